"""Search latency in a warm process (model loaded) against its floor, encoding the query alone: on the
KCNA corpus and on synthetic indexes of 10k, 100k and 1M passages (bench/synthetic.py) written
through rag.index.write_index with the default settings, so the real search path is measured
(exact search up to the ANN threshold, IVF above it). Also: resident memory of the warm searcher,
and for approximate indexes recall@10 of the dense search against exact search.

Each size is measured in a fresh process (so its memory is its own); missing indexes are built
first, in another process, under /tmp/rag-bench/.

Run: .venv/bin/python bench/latency.py [--sizes kcna,10000,100000,1000000] [--questions 200]"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import KCNA, REPO, built_index


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def questions(n: int) -> list[str]:
    found = [json.loads(line)["q"] for line in (REPO / "bench" / "dev_kcna.jsonl").read_text().splitlines()]
    records = json.loads(next(KCNA.glob("*.json")).read_text())
    found += list(dict.fromkeys(r["headline"] for r in records if r.get("headline")))
    return found[:n]


def memory_mib() -> tuple[float, float]:
    """(resident now, peak resident) of this process in MiB."""
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


def settings_for(size: str):
    from rag.settings import Settings

    if size == "kcna":
        settings, _ = built_index("kcna", KCNA)
        return settings
    from synthetic import synthetic_index_dir

    return Settings.from_env(environ={}, index_dir=synthetic_index_dir(int(size)))


def build(size: str) -> None:
    from common import usable

    if size == "kcna":
        settings_for(size)
        return
    from synthetic import synthetic_index_dir, write_synthetic_index

    if not usable(synthetic_index_dir(int(size))):
        started = time.perf_counter()
        write_synthetic_index(int(size))
        seconds = time.perf_counter() - started
        print(f"built synthetic index of {int(size)} passages in {seconds:.0f} s", file=sys.stderr)


def measure(size: str, n: int, threads: int) -> dict:
    started = time.perf_counter()
    from rag.retrieve import Searcher

    if threads:
        import faiss
        import torch

        torch.set_num_threads(threads)
        faiss.omp_set_num_threads(threads)

    searcher = Searcher(settings_for(size))
    searcher.search("warm up")
    first_answer = time.perf_counter() - started
    index = searcher.index
    asked = questions(n)
    floor, full, plain, dense, bm25 = [], [], [], [], []
    for number, q in enumerate(asked):
        t0 = time.perf_counter()
        vector = searcher.embedder.encode_query(q)
        t1 = time.perf_counter()
        # The second search of a question finds its pages cached by the first: alternate which goes first.
        order = (True, False) if number % 2 else (False, True)
        for highlight in order:
            started = time.perf_counter()
            searcher.search(q, k=5, highlight=highlight)
            (full if highlight else plain).append(time.perf_counter() - started)
        t3 = time.perf_counter()
        index.search(vector[None, :], 100)
        t4 = time.perf_counter()
        index.lexical.top(q, 100)
        t5 = time.perf_counter()
        floor.append(t1 - t0)
        dense.append(t4 - t3)
        bm25.append(t5 - t4)
    rss, peak = memory_mib()
    result = {
        "size": len(index),
        "index": index.manifest.faiss_index,
        "params": index.manifest.faiss_params,
        "questions": len(asked),
        "threads": _threads(),
        "open_s": first_answer,
        "rss_mib": rss,
        "peak_rss_mib": peak,
    }
    for name, values in (("search", full), ("search_no_highlight", plain), ("floor", floor)):
        result[name] = {"p50_ms": 1000 * statistics.median(values), "p95_ms": 1000 * percentile(values, 0.95)}
    result["dense_p50_ms"] = 1000 * statistics.median(dense)
    result["bm25_p50_ms"] = 1000 * statistics.median(bm25)
    if index.manifest.faiss_params:
        result.update(ann_recall(searcher, asked))
    return result


def _threads() -> str:
    import faiss
    import torch

    return f"torch {torch.get_num_threads()}, faiss {faiss.omp_get_max_threads()}"


def ann_recall(searcher, asked: list[str], k: int = 10) -> dict:
    """Recall@k of the approximate dense search against exact search over the same stored vectors,
    with the benchmark's real questions; and what the exact search costs per question."""
    import faiss

    from rag.index import recall_at

    index = searcher.index
    vectors = searcher.embedder.encode(asked, 64)
    exact = faiss.IndexFlatIP(index.manifest.dimension)
    exact.add(index.vectors.reconstruct_n(0, len(index)))
    times = []
    truth = []
    for vector in vectors:
        started = time.perf_counter()
        truth.append(exact.search(vector[None, :], k)[1][0])
        times.append(time.perf_counter() - started)
    found = index.search(vectors, k)[1]
    return {"recall_at_10": recall_at(found, np.asarray(truth)), "exact_dense_p50_ms": 1000 * statistics.median(times)}


def compare_ann(size: int, n: int, threads: int) -> None:
    """Exact, IVF and HNSW indexes over the same synthetic vectors, as rag.index.make_vector_index
    makes them: build time, memory, single-question search time and recall@10 against exact search
    with the benchmark's real questions."""
    import faiss
    from synthetic import base_passages, synthetic_vectors

    from rag.embed import get_embedder
    from rag.index import make_vector_index, recall_at

    if threads:
        faiss.omp_set_num_threads(threads)
    _, base = base_passages()
    vectors, _, _ = synthetic_vectors(base, size)
    queries = get_embedder().encode(questions(n), 64)
    truth = None
    threads = faiss.omp_get_max_threads()
    print(f"--- vector index choice at {size} vectors, {len(queries)} questions, faiss threads {threads}")
    for kind in ("flat", "ivf", "hnsw"):
        started = time.perf_counter()
        index, params = make_vector_index(vectors, vectors.shape[1], kind)
        built = time.perf_counter() - started
        times = []
        found = []
        for q in queries:
            started = time.perf_counter()
            found.append(index.search(q[None, :], 100)[1][0][:10])
            times.append(time.perf_counter() - started)
        found = np.asarray(found)
        truth = found if truth is None else truth
        megabytes = len(faiss.serialize_index(index)) / 2**20
        print(
            f"{kind:>5} {type(index).__name__:<25} {params!s:<46} build {built:6.1f} s  {megabytes:6.0f} MiB  "
            f"search p50 {1000 * statistics.median(times):6.2f} ms  recall@10 {recall_at(found, truth):.3f}"
        )
        del index


def report(r: dict) -> None:
    s, f, p = r["search"], r["floor"], r["search_no_highlight"]
    print(f"--- {r['size']} passages, {r['index']} {r['params'] or ''}, {r['questions']} questions, {r['threads']}")
    print(f"{'search':>28}: p50 {s['p50_ms']:7.1f} ms   p95 {s['p95_ms']:7.1f} ms")
    print(f"{'search (no highlight)':>28}: p50 {p['p50_ms']:7.1f} ms   p95 {p['p95_ms']:7.1f} ms")
    print(f"{'floor: encode query':>28}: p50 {f['p50_ms']:7.1f} ms   p95 {f['p95_ms']:7.1f} ms")
    print(f"{'ratio p50':>28}: {s['p50_ms'] / f['p50_ms']:.2f}x (no highlight {p['p50_ms'] / f['p50_ms']:.2f}x)")
    print(f"{'parts p50':>28}: dense {r['dense_p50_ms']:.2f} ms, bm25 {r['bm25_p50_ms']:.2f} ms")
    if "recall_at_10" in r:
        exact = r["exact_dense_p50_ms"]
        print(f"{'ANN recall@10 vs exact':>28}: {r['recall_at_10']:.3f} (exact dense search p50 {exact:.1f} ms)")
    print(f"{'warm searcher memory':>28}: {r['rss_mib']:.0f} MiB resident (peak {r['peak_rss_mib']:.0f} MiB)")
    print(f"{'open + first answer':>28}: {r['open_s']:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="kcna,10000,100000,1000000")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--threads", type=int, default=0, help="torch and faiss threads [default: theirs]")
    parser.add_argument("--ann-choice", type=int, default=0, help="compare flat, IVF and HNSW at this size instead")
    parser.add_argument("--build", help=argparse.SUPPRESS)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ann_choice:
        compare_ann(args.ann_choice, args.questions, args.threads)
        return
    if args.build:
        build(args.build)
        return
    if args.measure:
        print(json.dumps(measure(args.measure, args.questions, args.threads)))
        return
    script = [sys.executable, str(Path(__file__).resolve())]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for size in args.sizes.split(","):
        subprocess.run([*script, "--build", size], check=True, env=env)
        out = subprocess.run(
            [*script, "--measure", size, "--questions", str(args.questions), "--threads", str(args.threads)],
            check=True,
            env=env,
            capture_output=True,
            text=True,
        ).stdout
        report(json.loads(out.strip().splitlines()[-1]))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
