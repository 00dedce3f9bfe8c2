"""The two stores side by side: the FAISS folder and Milvus Lite, on the seeds and the KCNA records.

For each corpus: build time into each store, bytes on disk per passage, and on the tune questions
the top-5 overlap (target >= 95%), Hit@1 / MRR@10 and query p50 / p95 of each. Then the paper
figure for 1M / 10M / 100M passages, from the bytes measured here.

    .venv/bin/python bench/scale.py [--corpus seeds|kcna|both]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEV_SETS, WORK, built_index, dev_scores

from rag.build import build_index
from rag.evaluate import read_questions
from rag.retrieve import Searcher
from rag.store import store_exists


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def timed_searches(searcher: Searcher, questions: list[str]) -> tuple[list[list[str]], list[float]]:
    tops, times = [], []
    for question in questions:
        started = time.perf_counter()
        hits = searcher.search(question, k=5)
        times.append((time.perf_counter() - started) * 1000)
        tops.append([h.passage.location for h in hits])
    return tops, times


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def compare(name: str, corpus: Path, questions_file: Path) -> dict:
    faiss_settings, faiss_build = built_index(name, corpus)
    lite = WORK / f"{name}-milvus.db"
    milvus_settings = replace(faiss_settings, store=f"milvus:{lite}", index_dir=WORK / f"{name}-milvus-lock")
    milvus_build = None
    if not store_exists(milvus_settings):
        started = time.perf_counter()
        build_index(milvus_settings, progress=False, full=True)
        milvus_build = time.perf_counter() - started
    questions = read_questions(questions_file)
    asked = [q.q for q in questions]
    row = {"name": name}
    tops = {}
    for label, settings in (("faiss", faiss_settings), ("milvus", milvus_settings)):
        searcher = Searcher(settings)
        searcher.search("warm up the model and the store", k=5)
        tops[label], times = timed_searches(searcher, asked)
        report = dev_scores(searcher, questions)
        row[label] = {
            "passages": len(searcher.index),
            "p50": statistics.median(times),
            "p95": p(times, 95),
            "hit1": report.hit_at_1,
            "mrr": report.mrr_at_10,
        }
        searcher.close()
    row["faiss"]["bytes"] = folder_bytes(Path(Searcher(faiss_settings).index.path))
    row["milvus"]["bytes"] = folder_bytes(lite)
    row["faiss"]["build"], row["milvus"]["build"] = faiss_build, milvus_build
    shared = sum(len(set(a) & set(b)) for a, b in zip(tops["faiss"], tops["milvus"]))
    row["overlap"] = shared / max(1, sum(len(a) for a in tops["faiss"]))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=["seeds", "kcna", "both"], default="both")
    args = parser.parse_args()
    sets = [s for s in DEV_SETS if args.corpus in (s[0], "both")]
    print(f"{'corpus':<7} {'store':<12} {'passages':>8} {'build s':>8} {'disk B/passage':>15} "
          f"{'p50 ms':>7} {'p95 ms':>7} {'Hit@1':>6} {'MRR':>6}  top-5 overlap")  # fmt: skip
    for name, corpus, questions in sets:
        row = compare(name, corpus, questions)
        for label in ("faiss", "milvus"):
            r = row[label]
            build = "cached" if r["build"] is None else f"{r['build']:.1f}"
            per = r["bytes"] / max(1, r["passages"])
            store = "FAISS" if label == "faiss" else "Milvus Lite"
            overlap = f"{row['overlap']:.3f}" if label == "milvus" else ""
            print(f"{name:<7} {store:<12} {r['passages']:>8} {build:>8} {per:>15,.0f} "
                  f"{r['p50']:>7.1f} {r['p95']:>7.1f} {r['hit1']:>6.3f} {r['mrr']:>6.3f}  {overlap}")  # fmt: skip


if __name__ == "__main__":
    main()
