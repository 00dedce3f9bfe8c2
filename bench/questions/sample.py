"""Step one of writing the held-out question sets: sample the passages first, before anyone looks
at what the system returns, so that the questions cannot bend towards it.

Samples sentences from the raw KCNA records (stratified over story length, the sentence's position
in its story and genre) and lines from the seed files (every file; the paper's tables and footnotes,
the NK News bylines), with a fixed seed, and writes them for the question writers:

    python bench/questions/sample.py    # writes bench/questions/samples_kcna.jsonl, samples_seeds.jsonl

Nothing here imports rag: the sample does not depend on how the product cleans or chunks."""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
KCNA = REPO.parent / "shared" / "corpora" / "kcna-stiles" / "kcna_en_2023-12-24_2024-11-10.json"
SEED = 20261201
SENTENCE = re.compile(r"(?<=[.!?”\"])\s+(?=[A-Z“\"])")

GENRES = (
    ("speech", re.compile(r"\b(speech|address|report|lecture)\b", re.I)),
    (
        "greetings_letters",
        re.compile(r"greeting|message|letter|congratulat|reply|condolence|sympathy|wreath|gift|floral|felicitat", re.I),
    ),
    ("commentary", re.compile(r"commentary|statement|spokes|article|press|rebuff|denounce|slam|censure", re.I)),
    ("leader", re.compile(r"kim jong un|kimjong", re.I)),
    (
        "economy",
        re.compile(
            r"farm|factory|production|plant|construction|railway|harvest|coal|steel|fish|power station|econom"
            r"|sapling|greenhouse|housing|mine|industr",
            re.I,
        ),
    ),
)


def genre(record: dict) -> str:
    headline, topic = record["headline"], record["topic"]
    if "Commentary" in topic:
        return "commentary"
    for name, pattern in GENRES:
        if pattern.search(headline) or (name == "leader" and "Revolutionary Activities" in topic):
            return name
    return "other"


def length_bucket(words: int) -> str:
    return "short" if words < 150 else "medium" if words <= 500 else "long"


def kcna_samples(per_genre: int = 58) -> list[dict]:
    rng = random.Random(SEED)
    seen, by_genre = set(), defaultdict(list)
    for number, record in enumerate(json.loads(KCNA.read_text(encoding="utf-8"))):
        text = (record.get("story_text") or "").strip()
        if not text or record["link"] in seen:
            continue
        seen.add(record["link"])
        by_genre[genre(record)].append((number, record))
    samples, positions = [], ("first", "middle", "last")
    for name in sorted(by_genre):
        pool = by_genre[name]
        buckets = defaultdict(list)
        for item in pool:
            buckets[length_bucket(len(item[1]["story_text"].split()))].append(item)
        # As even as the genre allows over the three lengths.
        picked = []
        order = [b for b in ("short", "medium", "long") if buckets[b]]
        for b in order:
            rng.shuffle(buckets[b])
        while len(picked) < per_genre and any(buckets[b] for b in order):
            for b in order:
                if buckets[b] and len(picked) < per_genre:
                    picked.append(buckets[b].pop())
        for i, (number, record) in enumerate(picked):
            sentences = [s for s in SENTENCE.split(record["story_text"].strip()) if len(s.split()) >= 6]
            if not sentences:
                continue
            position = positions[i % 3]
            n = len(sentences)
            lo, hi = {
                "first": (0, max(1, n // 3)),
                "middle": (n // 3, max(n // 3 + 1, 2 * n // 3)),
                "last": (2 * n // 3, n),
            }[position]
            lo = min(lo, n - 1)
            at = rng.randrange(lo, max(lo + 1, min(hi, n)))
            samples.append(
                {
                    "id": f"kcna-{len(samples):03d}",
                    "record": number,
                    "source": record["link"],
                    "headline": record["headline"],
                    "date": record["date_str"],
                    "topic": record["topic"],
                    "genre": name,
                    "length": length_bucket(len(record["story_text"].split())),
                    "words": len(record["story_text"].split()),
                    "position": position,
                    "sentence_index": at,
                    "sentences": len(sentences),
                    "target": sentences[at],
                    "context": " ".join(sentences[max(0, at - 2) : at + 3]),
                }
            )
    return samples


SEED_QUOTAS = {"000": 22, "001": 22, "002": 40, "003": 16, "004": 22}


def seed_kind(name: str, line: str, in_table: bool) -> str:
    if name.startswith("002"):
        if in_table:
            return "table"
        if re.match(r"^\d{1,2}\s{1,2}\S", line):
            return "footnote"
        return "body"
    if name.startswith("004") and re.search(
        r"(January|February|March|April|May|June|July|August|September|October|November|December) \d{1,2}, 20\d\d$",
        line,
    ):
        return "byline"
    return "body"


def seed_samples() -> list[dict]:
    rng = random.Random(SEED + 1)
    samples = []
    for path in sorted((REPO / "seeds").glob("*.txt")):
        lines = path.read_text(encoding="utf-8").split("\n")
        candidates, in_table = defaultdict(list), False
        for number, line in enumerate(lines, start=1):
            stripped = line.strip()
            if stripped.startswith("TABLE"):
                in_table = True
            elif in_table and not stripped:
                in_table = False
            kind = seed_kind(path.name, stripped, in_table)
            if len(stripped.split()) >= (2 if kind == "byline" else 6):
                candidates[kind].append(number)
        quota = SEED_QUOTAS[path.name[:3]]
        # Tables, footnotes and bylines get a fixed share so they cannot be missed by chance.
        special = {"table": 10, "footnote": 8, "byline": 7}
        chosen = []
        for kind, lines_of_kind in sorted(candidates.items()):
            take = min(special.get(kind, 0), len(lines_of_kind))
            chosen += [(kind, n) for n in rng.sample(lines_of_kind, take)]
        body = [n for n in candidates["body"] if ("body", n) not in chosen]
        chosen += [("body", n) for n in rng.sample(body, min(len(body), quota - len(chosen)))]
        for kind, number in sorted(chosen, key=lambda c: c[1]):
            samples.append(
                {
                    "id": f"seeds-{len(samples):03d}",
                    "source": path.name,
                    "line": number,
                    "kind": kind,
                    "target": lines[number - 1].strip(),
                    "context": "\n".join(lines[max(0, number - 4) : number + 3]),
                }
            )
    return samples


def main() -> None:
    for name, samples in (("kcna", kcna_samples()), ("seeds", seed_samples())):
        out = HERE / f"samples_{name}.jsonl"
        out.write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in samples), encoding="utf-8")
        print(f"{out.name}: {len(samples)} samples")


if __name__ == "__main__":
    main()
