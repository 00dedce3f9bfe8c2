"""Step two's check, for the question writers: each question's answer strings are in its sampled
sentence, and the question copies no run of four or more words from the sample (paraphrased, as
a reader who has not seen the text would ask). It also says in how many KCNA records or seed files
each answer string occurs, so that a writer can make an answer distinctive. It never runs the
system.

    python bench/questions/check.py bench/questions/kcna_part1.jsonl"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from sample import KCNA, REPO

WORD = re.compile(r"[a-z0-9]+")


def grams(text: str, n: int = 4) -> set[tuple[str, ...]]:
    words = WORD.findall(text.casefold())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def squash(text: str) -> str:
    return "".join(text.casefold().split())


def main(path: Path) -> int:
    samples = {}
    for name in ("kcna", "seeds"):
        for line in (Path(__file__).parent / f"samples_{name}.jsonl").read_text(encoding="utf-8").splitlines():
            sample = json.loads(line)
            samples[sample["id"]] = sample
    texts = [squash(r.get("story_text") or "") for r in json.loads(KCNA.read_text(encoding="utf-8"))]
    texts += [squash(p.read_text(encoding="utf-8")) for p in sorted((REPO / "seeds").glob("*.txt"))]
    problems = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        item = json.loads(line)
        if item.get("skip"):
            continue
        sample = samples.get(item.get("id"))
        where = f"{path.name}:{number} ({item.get('id')})"
        if sample is None:
            print(f"{where}: no sample with this id")
            problems += 1
            continue
        for answer in item["a"]:
            if squash(answer) not in squash(sample["target"]):
                print(f"{where}: answer {answer!r} is not in the target sentence")
                problems += 1
            count = sum(squash(answer) in t for t in texts)
            if count > 3:
                print(f"{where}: answer {answer!r} occurs in {count} records/files: make it more distinctive")
        copied = grams(item["q"]) & (
            grams(sample["target"]) | grams(sample.get("context", "")) | grams(sample.get("headline", ""))
        )
        if copied:
            print(f"{where}: copies {', '.join(' '.join(g) for g in sorted(copied))!r}")
            problems += 1
    print(f"{problems} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
