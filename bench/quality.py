"""Retrieval quality in one command: BEIR SciFact (nDCG@10, Recall@100) and the two dev sets
(Hit@k, MRR@10), for dense alone, BM25 alone and the fusions. The convex weight is chosen on
SciFact's train queries only, then scored on test.

Run: .venv/bin/python bench/quality.py [--skip-scifact]   (prints a Markdown table)"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEV_SETS, SHARED, built_index, dev_scores

from rag.beir import evaluate_split, load_split
from rag.evaluate import read_questions
from rag.retrieve import Searcher

SCIFACT = SHARED / "eval" / "scifact"
ALPHAS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
PUBLISHED = "BM25 0.665 (BEIR paper) · bm25s 0.687 · all-MiniLM-L6-v2 0.645 · BM25 + cross-encoder 0.688"


def searcher_for(settings, **overrides) -> Searcher:
    searcher = Searcher(settings)
    searcher.settings = replace(settings, **overrides).validated()
    return searcher


def scifact() -> None:
    settings, seconds = built_index("scifact", SCIFACT / "corpus.jsonl")
    if seconds:
        print(f"(built the SciFact index in {seconds:.0f} s)")
    train, test = load_split(SCIFACT, "train"), load_split(SCIFACT, "test")

    def run(split, **overrides):
        searcher = searcher_for(settings, **overrides)
        return evaluate_split(split, lambda q: searcher.search(q, k=300, highlight=False))

    tuned = tune_alpha(Searcher(settings), train)
    best = max(tuned, key=tuned.get)
    print("\nConvex weight on SciFact train (nDCG@10): " + ", ".join(f"{a}: {v:.4f}" for a, v in tuned.items()))
    print(f"\n### BEIR SciFact test ({len(test.queries)} queries); published: {PUBLISHED}\n")
    print("| retrieval | nDCG@10 | Recall@100 |\n|---|---|---|")
    for label, overrides in (
        ("dense only (all-MiniLM-L6-v2)", {"fusion": "dense"}),
        ("BM25 only (bm25s, Snowball stemmer)", {"fusion": "bm25"}),
        ("RRF k=60", {"fusion": "rrf"}),
        *([("convex alpha=0.5 (default)", {"fusion": "convex", "alpha": 0.5})] if best != 0.5 else []),
        (
            f"convex alpha={best} (tuned on train{', the default' if best == 0.5 else ''})",
            {"fusion": "convex", "alpha": best},
        ),
    ):
        scores = run(test, **overrides)
        print(f"| {label} | {scores['ndcg_at_10']:.4f} | {scores['recall_at_100']:.4f} |", flush=True)


def tune_alpha(searcher: Searcher, split) -> dict[float, float]:
    """nDCG@10 on `split` for each convex weight. Both retrievers run once per query and only the
    fusion is repeated, so the grid costs one search per query."""
    import numpy as np

    from rag.beir import ndcg_at
    from rag.fusion import convex

    doc_of = dict(searcher.index.db.execute("SELECT id, substr(source, instr(source, '#') + 1) FROM passages"))
    totals = dict.fromkeys(ALPHAS, 0.0)
    for qid, text in split.queries.items():
        vector = searcher.embedder.encode_query(text)
        scores, ids = searcher.index.vectors.search(vector[None, :], 300)
        dense = {int(i): float(v) for i, v in zip(ids[0], scores[0]) if i >= 0}
        bm25 = searcher.index.lexical.scores(text)
        top = np.argpartition(-bm25, 300)[:300]
        lexical = {int(i): float(bm25[i]) for i in top if bm25[i] > 0}
        for alpha in ALPHAS:
            fused = convex(dense, lexical, alpha)
            ranking = list(dict.fromkeys(doc_of[pid] for pid in sorted(fused, key=fused.get, reverse=True)))
            totals[alpha] += ndcg_at(ranking, split.qrels[qid])
    return {alpha: total / len(split.queries) for alpha, total in totals.items()}


def dev_sets() -> None:
    print("\n### Dev sets\n")
    print("| dev set | retrieval | Hit@1 | Hit@3 | Hit@5 | MRR@10 |\n|---|---|---|---|---|---|")
    for name, corpus, questions_file in DEV_SETS:
        settings, _ = built_index(name, corpus)
        questions = read_questions(questions_file)
        for label, overrides in (
            ("dense", {"fusion": "dense"}),
            ("bm25", {"fusion": "bm25"}),
            ("rrf", {"fusion": "rrf"}),
            ("convex 0.5, no date boost", {"fusion": "convex", "date_boost": 0.0}),
            ("convex 0.5 + date boost 0.5 (default)", {"fusion": "convex", "date_boost": 0.5}),
            ("convex 0.5 + date boost 1.0", {"fusion": "convex", "date_boost": 1.0}),
        ):
            searcher = searcher_for(settings, **overrides)
            r = dev_scores(searcher, questions)
            print(
                f"| {name} ({r.questions} q) | {label} | {r.hit_at_1:.3f} | {r.hit_at_3:.3f} | {r.hit_at_5:.3f} "
                f"| {r.mrr_at_10:.3f} |",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-scifact", action="store_true", help="only the two dev sets")
    args = parser.parse_args()
    started = time.perf_counter()
    dev_sets()
    if not args.skip_scifact:
        scifact()
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
