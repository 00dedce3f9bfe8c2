"""Which fusion of dense and BM25 retrieval works best: Hit@k and MRR@10 on the two dev sets.

Run: .venv/bin/python bench/fusion.py   (baseline rows: dense alone and BM25 alone, same run)"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import KCNA, REPO, built_index

from rag.evaluate import evaluate, read_questions
from rag.retrieve import Searcher

DEV_SETS = [
    ("seeds", REPO / "seeds", REPO / "tests" / "data" / "dev_seeds.jsonl"),
    ("kcna", KCNA, REPO / "bench" / "dev_kcna.jsonl"),
]
METHODS = [("dense", {}), ("bm25", {}), ("rrf", {}), *((f"convex a={a}", {"alpha": a}) for a in (0.3, 0.5, 0.7))]


def main() -> None:
    print("| dev set | fusion | Hit@1 | Hit@3 | Hit@5 | MRR@10 |")
    print("|---|---|---|---|---|---|")
    for name, corpus, questions_file in DEV_SETS:
        settings, _ = built_index(name, corpus)
        questions = read_questions(questions_file)
        for label, overrides in METHODS:
            method = label.split()[0]
            searcher = Searcher(settings.__class__.from_env(environ={}, index_dir=settings.index_dir, **overrides))
            report = evaluate(questions, lambda q, k, s=searcher, m=method: s.search(q, k, fusion=m, highlight=False))
            print(
                f"| {name} ({report.questions} q) | {label} | {report.hit_at_1:.3f} | {report.hit_at_3:.3f} "
                f"| {report.hit_at_5:.3f} | {report.mrr_at_10:.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
