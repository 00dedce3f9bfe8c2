"""App start with an existing index: seconds from launching `rag app` to the first answer of its
`search` API, against the floor of any start, a fresh Python process that loads the model and
encodes one question. Also checks that the start re-embedded nothing (the index's build is the
same before and after, and the app printed no build). Target: under 10 s.

Run: .venv/bin/python bench/app_start.py [--sizes kcna,1000000] [--runs 3]"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import KCNA, REPO, built_index, usable

from rag.index import current_build

FLOOR = "from rag.embed import get_embedder; get_embedder().encode_query('Which company made an antivirus program?')"


def index_for(size: str) -> Path:
    if size == "kcna":
        return built_index("kcna", KCNA)[0].index_dir
    from synthetic import synthetic_index_dir

    folder = synthetic_index_dir(int(size))
    if not usable(folder):
        raise SystemExit(f"no synthetic index of {size} passages: build it with bench/latency.py --sizes {size}")
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_answer(index_dir: Path, timeout: float = 300) -> tuple[float, str]:
    """Seconds from starting `rag app` to its first search answer, and what the app printed."""
    from gradio_client import Client

    port = free_port()
    command = [str(REPO / ".venv" / "bin" / "rag"), "app", "--index", str(index_dir), "--port", str(port)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    started = time.perf_counter()
    app = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    seconds = None
    try:
        while seconds is None:
            if app.poll() is not None or time.perf_counter() - started > timeout:
                break
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    pass
                client = Client(f"http://127.0.0.1:{port}/", verbose=False)
                result = client.predict("Which company made an antivirus program?", 5, api_name="/search")
            except Exception:  # not listening yet, or up but not ready
                time.sleep(0.05)
                continue
            assert result["results"], result
            seconds = time.perf_counter() - started
    finally:
        app.terminate()
        try:
            output = app.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:
            app.kill()
            output = app.communicate()[0]
    if seconds is None:
        raise SystemExit(f"no answer from the app:\n{output}")
    return seconds, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="kcna")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for size in args.sizes.split(","):
        index_dir = index_for(size)
        build = current_build(index_dir)
        starts, floors = [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", FLOOR], capture_output=True, check=True, env=env)
            floors.append(time.perf_counter() - started)
            seconds, output = first_answer(index_dir)
            starts.append(seconds)
            rebuilt = "indexed" in output or "building" in output
            assert current_build(index_dir) == build and not rebuilt, "the app rebuilt the index at start"
        app, floor = statistics.median(starts), statistics.median(floors)
        print(f"--- {size}: index {build}, {args.runs} starts, load {os.getloadavg()[0]:.1f}")
        print(f"app start to first answer: median {app:.1f} s (runs {', '.join(f'{s:.1f}' for s in starts)})")
        print(f"floor, load model + encode one question: median {floor:.1f} s")
        print(f"ratio: {app / floor:.2f}x; index unchanged, nothing re-embedded (target < 10 s)")


if __name__ == "__main__":
    main()
