"""Step three: join the written questions to their samples and split each set once, at random,
into `tune` and `test` halves. Questions written from the same sampled sentence stay on one side,
so that `test` never holds a near-twin of a `tune` question.

    python bench/questions/split.py   # writes {kcna,seeds,unanswerable}_{tune,test}.jsonl

Run once; the split is committed and never redrawn after looking at results."""

from __future__ import annotations

import json
import random
from pathlib import Path

from sample import SEED

HERE = Path(__file__).resolve().parent
KEEP = ("genre", "length", "position", "words", "kind", "date", "headline")


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def halves(items: list[dict], group) -> tuple[list[dict], list[dict]]:
    groups: dict[str, list[dict]] = {}
    for item in items:
        groups.setdefault(group(item), []).append(item)
    keys = sorted(groups)
    random.Random(SEED).shuffle(keys)
    tune, test = [], []
    for key in keys:
        (tune if len(tune) <= len(test) else test).extend(groups[key])
    return tune, test


def write(name: str, tune: list[dict], test: list[dict]) -> None:
    for split, items in (("tune", tune), ("test", test)):
        path = HERE / f"{name}_{split}.jsonl"
        path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
        print(f"{path.name}: {len(items)}")


def main() -> None:
    for name, parts in (("kcna", sorted(HERE.glob("kcna_part*.jsonl"))), ("seeds", [HERE / "seeds_questions.jsonl"])):
        samples = {s["id"]: s for s in read(HERE / f"samples_{name}.jsonl")}
        questions = []
        for written in (q for part in parts for q in read(part)):
            if written.get("skip"):
                continue
            sample = samples[written["id"]]
            questions.append(
                {"id": written["id"], "q": written["q"], "a": written["a"], "source": sample["source"]}
                | {k: sample[k] for k in KEEP if k in sample}
                | {"target": sample["target"]}
            )
        write(name, *halves(questions, lambda q: q["target"]))
    write("unanswerable", *halves(read(HERE / "unanswerable.jsonl"), lambda q: q["q"]))


if __name__ == "__main__":
    main()
