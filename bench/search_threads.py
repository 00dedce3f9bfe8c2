"""Search latency with one BLAS thread during a search (the default) against numpy's own thread
count (the first round's behaviour), same index, same questions, same run.

    .venv/bin/python bench/search_threads.py      # the KCNA records' index and its tune questions
"""

from __future__ import annotations

import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEV_SETS, built_index

import rag.retrieve
from rag.evaluate import read_questions
from rag.retrieve import Searcher


def p50(searcher: Searcher, questions: list[str]) -> tuple[float, float]:
    times = []
    for question in questions:
        started = time.perf_counter()
        searcher.search(question, k=5)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), statistics.quantiles(times, n=20)[18]


def main() -> None:
    for name, corpus, questions_file in DEV_SETS:
        settings, _ = built_index(name, corpus)
        questions = [q.q for q in read_questions(questions_file)]
        searcher = Searcher(settings)
        searcher.search("warm up", k=5)
        limited = rag.retrieve.blas_threads
        rows = []
        for label, limit in (("numpy's own BLAS threads", lambda n: nullcontext()), ("one BLAS thread", limited)):
            rag.retrieve.blas_threads = limit
            rows.append((label, *p50(searcher, questions)))
        rag.retrieve.blas_threads = limited
        for label, median, p95 in rows:
            print(f"{name:<6} {label:<26} p50 {median:6.1f} ms  p95 {p95:6.1f} ms  ({len(questions)} questions)")


if __name__ == "__main__":
    main()
