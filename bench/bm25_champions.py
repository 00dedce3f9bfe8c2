"""BM25 at 10M passages: the exhaustive sum of every posting (the product below PRUNED_INDEX
passages) against champion lists (rag.champions, above it), on the synthetic corpus of
bench/scale10m.py, in the same process and run.

For each champion length: the time to write the lists, their size on disk, and over the questions
(bench/latency.py's, one thread, one at a time, the second of two passes) p50 / p95 of the whole
lexical call the searcher makes (top 100, the scores of 100 other passages, the best score), the
share of the exhaustive top 10 and top 100 found, and how often the best score is the exhaustive one.

Run (the 10M BM25 arrays are made by scale10m.py's bm25 step when missing, about 8 min, 10 GB):
    RAG_10M_WORK=/tmp/rag-10m BENCH_WORK=/tmp/rb-s10 .venv/bin/python bench/bm25_champions.py"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from latency import questions
from scale10m import FETCH, WORK, log, memory

import rag.champions
from rag.champions import PRUNED_FROM, Champions, write_champions
from rag.lexical import LexicalIndex


def timed_passes(lexical: LexicalIndex, asked: list[str], also: list[np.ndarray]):
    """Each question's LexicalHits and the second pass's seconds."""
    for _ in range(2):
        found, seconds = [], []
        for q, extra in zip(asked, also):
            started = time.perf_counter()
            found.append(lexical.search(q, FETCH, also=extra))
            seconds.append(time.perf_counter() - started)
    return found, seconds


def best(scores: dict[int, float], n: int) -> list[int]:
    return sorted(scores, key=lambda pid: (-scores[pid], pid))[:n]


def figures(seconds: list[float]) -> str:
    ms = sorted(1000 * s for s in seconds)
    return f"{statistics.median(ms):.1f} / {ms[int(0.95 * len(ms))]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=10_000_000)
    parser.add_argument("--champions", default="20000,40000,80000")
    parser.add_argument("--rescored", default="1000,2000,4000", help="passages scored exactly")
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args()
    if not (WORK / "bm25-build.json").exists():
        from bm25_tantivy import ensure_pairs
        from scale10m import step_bm25

        ensure_pairs(args.size)
        step_bm25(args.size, args.questions, search=False)
    lexical = LexicalIndex.load(WORK / "bm25", args.size)
    lexical.champions = None
    asked = questions(args.questions)
    rng = np.random.default_rng(1)
    also = [rng.choice(args.size, 100, replace=False) for _ in asked]
    exhaustive, seconds = timed_passes(lexical, asked, also)
    rows = [("exhaustive (every posting summed)", "–", "–", figures(seconds), "1", "1", "1")]
    log("exhaustive", rows[-1])
    for length in map(int, args.champions.split(",")):
        folder = WORK / f"champions-{length}"
        folder.mkdir(exist_ok=True)
        started = time.perf_counter()
        if not (folder / "champions.data.npy").exists():
            write_champions(WORK / "bm25", length, max(PRUNED_FROM, 2 * length), into=folder)
        written = time.perf_counter() - started
        size = sum(p.stat().st_size for p in folder.iterdir()) / 2**30
        lexical.champions = Champions.load(folder, lexical.retriever.scores)
        for rescored in map(int, args.rescored.split(",")):
            rag.champions.RESCORED = rescored
            pruned, seconds = timed_passes(lexical, asked, also)
            top10 = [len(set(best(p.top, 10)) & set(best(e.top, 10))) / 10 for p, e in zip(pruned, exhaustive)]
            top100 = [len(set(p.top) & set(e.top)) / max(1, len(e.top)) for p, e in zip(pruned, exhaustive)]
            same_best = [abs(p.best - e.best) < 1e-4 * max(1.0, e.best) for p, e in zip(pruned, exhaustive)]
            same_also = all(
                np.allclose(list(p.scores.values()), list(e.scores.values()), rtol=1e-5)
                for p, e in zip(pruned, exhaustive)
            )
            rows.append(
                (
                    f"champions of {length:,} (lists over {max(PRUNED_FROM, 2 * length):,}), {rescored:,} rescored",
                    f"{written:.0f}",
                    f"{size:.2f}",
                    figures(seconds),
                    f"{np.mean(top10):.3f}",
                    f"{np.mean(top100):.3f}",
                    f"{np.mean(same_best):.3f}" + ("" if same_also else " (other scores differ!)"),
                )
            )
            log(rows[-1])
    print(f"\n{args.size:,} passages, {len(asked)} questions, one thread; memory {memory()}\n")
    print(
        "| BM25 | lists written (s) | on disk (GiB) | whole lexical call p50 / p95 (ms) "
        "| exhaustive top 10 found | top 100 found | same best score |"
    )
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
