"""Search latency in a warm process against its floor (encoding the query alone), on the KCNA corpus.

Run: .venv/bin/python bench/latency.py [N_QUESTIONS]"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import KCNA, REPO, built_index

from rag.retrieve import Searcher


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(n: int = 200) -> None:
    settings, build_seconds = built_index("kcna", KCNA)
    searcher = Searcher(settings)
    questions = [json.loads(line)["q"] for line in (REPO / "bench" / "dev_kcna.jsonl").read_text().splitlines()]
    records = json.loads(next(KCNA.glob("*.json")).read_text())
    questions += [r["headline"] for r in records if r.get("headline")]
    questions = questions[:n]
    searcher.search("warm up")
    floor, full = [], []
    for q in questions:
        started = time.perf_counter()
        searcher.embedder.encode_query(q)
        floor.append(time.perf_counter() - started)
        started = time.perf_counter()
        searcher.search(q, k=5)
        full.append(time.perf_counter() - started)
    if build_seconds is not None:
        size = len(searcher.index)
        print(f"build: {size} passages in {build_seconds:.1f} s ({size / build_seconds:.1f} passages/s)")
    for label, values in (("search", full), ("floor: encode query", floor)):
        p50, p95 = 1000 * statistics.median(values), 1000 * percentile(values, 0.95)
        print(f"{label:>22}: p50 {p50:6.1f} ms   p95 {p95:6.1f} ms")
    ratio = statistics.median(full) / statistics.median(floor)
    print(f"{'ratio p50':>22}: {ratio:.2f}x over {len(questions)} questions")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
