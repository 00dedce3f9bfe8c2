"""The two stores side by side: the FAISS folder and Milvus Lite, on the seeds and the KCNA records.

For each corpus: build time into each store, bytes on disk per passage, and on the tune questions
the top-5 overlap (target >= 95%), Hit@1 / MRR@10 and query p50 / p95 of each.

With --ray: a full build of the KCNA records here and on Ray (a local Ray instance on the same
cores: the overhead ratio, target <= 1.25x), the per-actor throughput, and from it the projected
wall time of 30M passages on N CPU or GPU nodes.

    .venv/bin/python bench/scale.py [--corpus seeds|kcna|both] [--ray]
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
        tops.append([h.passage.hash for h in hits])  # a record's passages share one location
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


# all-MiniLM-L6-v2 encodes 14,200 sentences/s on a V100 (sbert.net, "Pretrained Models" table); our
# passages are ~150 words against a sentence's ~15, so a quarter of that is assumed per GPU.
GPU_PASSAGES_PER_S = 14_200 / 4


def ray_overhead() -> None:
    import shutil

    from common import KCNA

    base = built_index("kcna", KCNA)[0]
    timings = {}
    for label, ray in (("local", None), ("ray", "local")):
        settings = replace(base, index_dir=WORK / f"kcna-build-{label}", ray=ray)
        shutil.rmtree(settings.index_dir, ignore_errors=True)
        started = time.perf_counter()
        report = build_index(settings, progress=False, full=True)
        timings[label] = time.perf_counter() - started
        passages = report.passages
    import os

    actors = os.cpu_count() or 1
    rate = passages / timings["ray"]
    print(f"\nKCNA records, {passages} passages, full build (read, chunk, embed, write):")
    print(f"  local {timings['local']:.1f} s   Ray ({actors} actors, local instance) {timings['ray']:.1f} s   "
          f"overhead {timings['ray'] / timings['local']:.2f}x (target <= 1.25x)")  # fmt: skip
    print(f"  throughput {rate:.1f} passages/s, {rate / actors:.1f} per actor (one CPU each)")
    print("  projected wall time for 30M passages (embedding-bound, linear in actors):")
    for nodes in (1, 8, 32, 128):
        cpu_days = 30e6 / (rate / actors * 16 * nodes) / 86400
        gpu_hours = 30e6 / (GPU_PASSAGES_PER_S * nodes) / 3600
        print(f"    {nodes:>3} nodes: 16-CPU nodes {cpu_days:6.2f} days   1-GPU nodes {gpu_hours:6.2f} h")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=["seeds", "kcna", "both", "none"], default="both")
    parser.add_argument("--ray", action="store_true", help="also time a Ray build of the KCNA records")
    args = parser.parse_args()
    if args.ray:
        ray_overhead()
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
