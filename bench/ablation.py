"""Ablations of what the index holds, each against the default built the same way:

- title prefix off: passages embedded and BM25-indexed without their title/section in front;
- whole documents: one passage per document (no chunking), as the published SciFact figures were
  computed, to check that dense-only and BM25-only reproduce them before comparing;
- MMR diversity (a search-time setting, on the default indexes): how many different stories the top
  five hold, and what it costs in Hit@k.

Each variant is built by the product's own build path with one function swapped in this process
only, into its own folder under /tmp/rag-bench. Prints Markdown tables.

Run: .venv/bin/python bench/ablation.py [prefix] [scifact] [mmr]   (default: all three)"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEV_SETS, built_index, dev_scores
from quality import SCIFACT, searcher_for

import rag.build
from rag.beir import evaluate_split, load_split
from rag.chunk import passage_hash
from rag.evaluate import read_questions
from rag.records import Passage


@contextmanager
def no_title_prefix():
    original = Passage.embedding_text
    Passage.embedding_text = property(lambda p: p.text)
    try:
        yield
    finally:
        Passage.embedding_text = original


@contextmanager
def whole_documents():
    def one_passage(doc, blocks):
        text = "\n".join(b.text for b in blocks)
        if not text.strip():
            return []
        return [Passage(text, doc.source, doc.title, None, None, None, doc.date, doc.url, hash=passage_hash(text))]

    original = rag.build.chunk_document
    rag.build.chunk_document = one_passage
    try:
        yield
    finally:
        rag.build.chunk_document = original


VARIANTS = {"default": nullcontext, "no title prefix": no_title_prefix}
FUSIONS = (("dense", {"fusion": "dense"}), ("bm25", {"fusion": "bm25"}), ("convex 0.5 (default)", {}))


def dev_sets() -> None:
    print("\n### Dev sets: title prefix\n")
    print("| dev set | index | retrieval | Hit@1 | Hit@5 | MRR@10 |\n|---|---|---|---|---|---|")
    for name, corpus, questions_file in DEV_SETS:
        questions = read_questions(questions_file)
        for variant, patch in VARIANTS.items():
            with patch():  # only the build reads embedding_text (no reranker here)
                settings, _ = built_index(name if patch is nullcontext else f"{name}-noprefix", corpus)
            for label, overrides in FUSIONS:
                r = dev_scores(searcher_for(settings, **overrides), questions)
                print(
                    f"| {name} ({r.questions} q) | {variant} | {label} | {r.hit_at_1:.3f} | {r.hit_at_5:.3f} "
                    f"| {r.mrr_at_10:.3f} |",
                    flush=True,
                )


def scifact() -> None:
    test = load_split(SCIFACT, "test")
    print(f"\n### SciFact test ({len(test.queries)} queries): passages or whole abstracts, title prefix\n")
    print("| index | retrieval | nDCG@10 | Recall@100 |\n|---|---|---|---|")
    for variant, folder, patch in (
        ("passages, title prefix (default)", "scifact", nullcontext),
        ("passages, no title prefix", "scifact-noprefix", no_title_prefix),
        ("whole abstracts, title prefix", "scifact-whole", whole_documents),
    ):
        with patch():
            settings, seconds = built_index(folder, SCIFACT / "corpus.jsonl")
        if seconds:
            print(f"(built {folder} in {seconds:.0f} s)", flush=True)
        for label, overrides in FUSIONS:
            searcher = searcher_for(settings, **overrides)
            scores = evaluate_split(test, lambda q, s=searcher: s.search(q, k=300, highlight=False))
            print(f"| {variant} | {label} | {scores['ndcg_at_10']:.4f} | {scores['recall_at_100']:.4f} |", flush=True)


def mmr() -> None:
    import numpy as np

    print("\n### Dev sets: MMR diversity (top 5)\n")
    print(
        "| dev set | diversity | Hit@1 | Hit@5 | MRR@10 | stories in top 5 | closest pair (cosine) | ms/query |\n"
        "|---|---|---|---|---|---|---|---|"
    )
    for name, corpus, questions_file in DEV_SETS:
        settings, _ = built_index(name, corpus)
        questions = read_questions(questions_file)
        for diversity in (0.0, 0.1, 0.2, 0.3, 0.5):
            searcher = searcher_for(settings, diversity=diversity)
            r = dev_scores(searcher, questions)
            stories, closest, seconds = [], [], 0.0
            for question in questions:
                started = time.perf_counter()
                hits = searcher.search(question.q, 5, highlight=False)
                seconds += time.perf_counter() - started
                stories.append(len({(h.passage.source, h.passage.title) for h in hits}))
                vectors = searcher.embedder.encode([h.passage.embedding_text for h in hits])
                pairs = vectors @ vectors.T
                closest.append(float(np.max(pairs[np.triu_indices(len(hits), 1)])))
            print(
                f"| {name} ({r.questions} q) | {diversity} | {r.hit_at_1:.3f} | {r.hit_at_5:.3f} | {r.mrr_at_10:.3f} "
                f"| {np.mean(stories):.2f} | {np.mean(closest):.3f} | {1000 * seconds / len(questions):.0f} |",
                flush=True,
            )

    test = load_split(SCIFACT, "test")
    settings, _ = built_index("scifact", SCIFACT / "corpus.jsonl")
    print("\n| SciFact test | diversity | nDCG@10 | Recall@100 |\n|---|---|---|---|")
    for diversity in (0.0, 0.2, 0.3, 0.5):
        searcher = searcher_for(settings, diversity=diversity)
        scores = evaluate_split(test, lambda q, s=searcher: s.search(q, k=300, highlight=False))
        print(f"| {len(test.queries)} q | {diversity} | {scores['ndcg_at_10']:.4f} | {scores['recall_at_100']:.4f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", help="prefix, scifact, mmr (default: all three)")
    runs = {"prefix": dev_sets, "scifact": scifact, "mmr": mmr}
    parts = parser.parse_args().parts or list(runs)
    if unknown := set(parts) - set(runs):
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    started = time.perf_counter()
    for part in parts:
        runs[part]()
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
