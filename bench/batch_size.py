"""The embedding batch size of a build: wall time, CPU time and peak resident memory of a full
build (`rag index --full`, a fresh process each, model load included) at each batch size, same
corpus, same threads. The batch that is fastest at no more memory is the default (`RAG_BATCH_SIZE`).

Run: .venv/bin/python bench/batch_size.py [--corpus seeds|kcna] [--sizes 16,32,64] [--threads 1]"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import KCNA, REPO

CORPORA = {"seeds": REPO / "seeds", "kcna": KCNA}


def build(corpus: Path, batch: int, threads: int) -> tuple[float, float, float]:
    """Wall s, CPU s and peak RSS MiB of one full build in a fresh process."""
    folder = Path(tempfile.mkdtemp(prefix="rag-batch-"))
    # An empty cache for each: every size traces the query encoder's export, as the first index does.
    env = {
        **os.environ,
        "RAG_BATCH_SIZE": str(batch),
        "RAG_INDEX_DIR": str(folder),
        "RAG_CACHE_DIR": str(folder / "cache"),
    }
    env |= {v: str(threads) for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    started = time.perf_counter()
    command = [str(REPO / ".venv" / "bin" / "rag"), "index", "--full", str(corpus), "--index", str(folder)]
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)  # this child's own usage, not the sum of all children
    wall = time.perf_counter() - started
    shutil.rmtree(folder, ignore_errors=True)
    if status:
        raise SystemExit(f"the build at batch {batch} failed (status {status})")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=sorted(CORPORA), default="seeds")
    parser.add_argument("--sizes", default="16,32,64")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    print(f"{args.corpus}, {args.threads} thread(s), load {os.getloadavg()[0]:.1f}")
    print("| batch | build wall s | CPU s | peak RSS MiB |\n|---|---|---|---|")
    for batch in map(int, args.sizes.split(",")):
        wall, cpu, rss = build(CORPORA[args.corpus], batch, args.threads)
        print(f"| {batch} | {wall:.1f} | {cpu:.1f} | {rss:.0f} |", flush=True)


if __name__ == "__main__":
    main()
