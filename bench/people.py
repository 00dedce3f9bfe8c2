"""Precision and recall of the person finder (rag.people) on hand-labelled KCNA snippets.

Two steps, in this order, so the labels cannot bend toward the finder:

1. `--sample` draws paragraph-sized snippets of the raw KCNA records (glued words left as scraped)
   at random with a fixed seed, stratified by the record's topic (leader activity, diplomacy and
   world news, home and economic news, the rest), and writes them with an empty `people` list.
   A person then reads each snippet and fills `people` with every person name in it, written
   exactly as the text has it, once per snippet (Korean and foreign people; a name used inside an
   institution's name, "Kim Il Sung University", is not a person: see rag/people.py).
2. With no flag, runs the finder on the snippets and prints precision, recall and F1 per
   (snippet, name) mention and per distinct person, each also for Korean names alone, then the
   false positives and the misses.

Labelling conventions: titles are left out ("Premier Kim Tok Hun" -> "Kim Tok Hun"); a surname used
alone for a person ("ruined Yoon", "Choe in the message wished") and a name used for a government
("the puppet Yoon Suk Yeol group", "the Zelenskiy puppet clique") are labelled; "the President"
and other references without a name are not. A mention is a (snippet, name) pair: a name twice in
one snippet counts once; a paragraph republished in two stories is scored once.

The two files were drawn, then labelled by hand before the finder ever ran on them, with:
  bench/people.py --sample                      (seed 7: 150 snippets; too few names, so topped up)
  bench/people.py --sample --seed 8 --scale 0.4 --append                          (60 more)
  bench/people.py --sample --seed 11 --exclude bench/people_labels.jsonl --out bench/people_labels_2.jsonl
  bench/people.py --sample --seed 12 --scale 0.4 --append --exclude bench/people_labels.jsonl \
      --out bench/people_labels_2.jsonl
The first sample was then used to improve the finder; the second is the held-out check.

Run: .venv/bin/python bench/people.py --sample [--seed 7 --out FILE --exclude FILE --scale 1 --append]
     .venv/bin/python bench/people.py [--labels FILE ...]   (default: both labels files)"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
KCNA = REPO.parent / "shared" / "corpora" / "kcna-stiles" / "kcna_en_2023-12-24_2024-11-10.json"
LABELS = REPO / "bench" / "people_labels.jsonl"
HELD_OUT = REPO / "bench" / "people_labels_2.jsonl"
STRATA = {  # topic group -> (topics, snippets drawn)
    "leader": (("WPK General Secretary Kim Jong Un's Revolutionary Activities", "Top News"), 45),
    "diplomatic": (("External", "World", "News Commentary"), 40),
    "economic": (("Home News", "Society-Life"), 40),
    "other": (("Latest News", "Documents", "Photo", "Revolutionary Anecdote", "Always in Memory of People"), 25),
}
MIN_CHARS, MAX_CHARS = 200, 1200


def snippets(story: str) -> list[str]:
    """A story's paragraphs (its lines), a short one joined to the next until it is paragraph-sized."""
    out, run = [], ""
    for line in (x.strip() for x in story.split("\n")):
        if not line or line == "-0-":
            continue
        run = f"{run}\n{line}" if run else line
        if len(run) >= MIN_CHARS:
            out.append(run[:MAX_CHARS])
            run = ""
    return out


def sample(seed: int, out: Path, exclude: list[Path], scale: float = 1.0, append: bool = False) -> None:
    """Draw snippets and write them unlabelled; with `append`, add them after those already in `out`
    (skipping those texts, ids numbered on), to top a labelled sample up to enough names."""
    records = json.loads(KCNA.read_text(encoding="utf-8"))
    exclude = [*exclude, out] if append and out.exists() else exclude
    old = [json.loads(line) for path in exclude for line in path.read_text().splitlines() if line.strip()]
    taken = {row["text"] for row in old}
    rng = random.Random(seed)
    rows, seen_links = [], set()
    for group, (topics, n) in STRATA.items():
        first = sum(row["id"].startswith(f"{group}-") for row in old) if append else 0
        pool = []
        for r in records:
            if r["topic"] in topics and r.get("story_text") and r["link"] not in seen_links:
                pool.append(r)
        rng.shuffle(pool)
        drawn = 0
        for r in pool:  # one snippet per story, so that no story dominates
            if drawn == round(n * scale):
                break
            choices = [s for s in snippets(r["story_text"]) if s not in taken]
            if not choices:
                continue
            seen_links.add(r["link"])
            text = rng.choice(choices)
            rows.append(
                {
                    "id": f"{group}-{first + drawn:03d}",
                    "date": r["date_str"],
                    "topic": r["topic"],
                    "link": r["link"],
                    "text": text,
                    "people": [],
                }
            )
            drawn += 1
    with out.open("a" if append else "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{'added' if append else 'wrote'} {len(rows)} snippets to {out}")


def scores(tp: int, fp: int, fn: int) -> str:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return f"P {p:.3f}  R {r:.3f}  F1 {f:.3f}  (tp {tp}, fp {fp}, fn {fn})"


def evaluate(path: Path) -> None:
    from rag.people import SURNAMES, canonical, find_people, is_korean_name  # only now: sampling never runs it

    def korean(name: str) -> bool:  # a bare surname ("Choe in the message wished") is a Korean name too
        return is_korean_name(name) or name in SURNAMES

    rows, texts = [], set()
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line) if line.strip() else None
        if row and row["text"] not in texts:  # a paragraph republished in two stories is scored once
            rows.append(row)
            texts.add(row["text"])
    gold_pairs, found_pairs = set(), set()
    for row in rows:
        gold_pairs |= {(row["id"], name) for name in row["people"]}
        found_pairs |= {(row["id"], m.surface) for m in find_people(row["text"])}
    print(
        f"{path.name}: {len(rows)} snippets, {len(gold_pairs)} labelled (snippet, name) mentions, "
        f"{len({canonical(n) for _, n in gold_pairs})} distinct people"
    )
    for label, keep in (("all names", lambda n: True), ("Korean names", korean)):
        gold = {p for p in gold_pairs if keep(p[1])}
        found = {p for p in found_pairs if keep(p[1])}
        print(f"mention level, {label:12}: {scores(len(gold & found), len(found - gold), len(gold - found))}")
        gold_names = {canonical(n) for _, n in gold}
        found_names = {canonical(n) for _, n in found}
        tp = len(gold_names & found_names)
        print(f"distinct names, {label:11}: {scores(tp, len(found_names - gold_names), len(gold_names - found_names))}")
    text = {row["id"]: row["text"] for row in rows}
    for title, pairs in (("false positives", found_pairs - gold_pairs), ("misses", gold_pairs - found_pairs)):
        print(f"\n{title} ({len(pairs)}):")
        for sid, name in sorted(pairs):
            at = text[sid].find(name)
            context = text[sid][max(0, at - 40) : at + len(name) + 40].replace("\n", " ")
            print(f"  {sid}: {name!r}  … {context} …")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sample", action="store_true", help="draw snippets to label (overwrites --out)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=LABELS)
    parser.add_argument("--exclude", type=Path, action="append", default=[], help="labels file whose snippets to skip")
    parser.add_argument("--scale", type=float, default=1.0, help="draw this share of each stratum's snippets")
    parser.add_argument("--append", action="store_true", help="add snippets to --out instead of overwriting it")
    parser.add_argument("--labels", type=Path, action="append", help="labels file(s) to score (default: both)")
    args = parser.parse_args()
    if args.sample:
        if (
            not args.append
            and args.out.exists()
            and any(json.loads(x)["people"] for x in args.out.read_text().splitlines() if x.strip())
        ):
            sys.exit(f"{args.out} already holds labels: give another --out")
        sample(args.seed, args.out, args.exclude, args.scale, args.append)
        return
    for path in args.labels or [p for p in (LABELS, HELD_OUT) if p.exists()]:
        evaluate(path)
        print()


if __name__ == "__main__":
    main()
