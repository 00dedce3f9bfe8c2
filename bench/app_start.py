"""App start with an existing index: seconds from launching `rag app` to its page being served and
to the first answer of its `search` API, against the floor of a fresh Python process that loads
the query encoder, opens the index and answers one search; with the ONNX query encoder (the
default) and with torch's (`--encoders auto,torch`). Also checks that the start re-embedded nothing
(the index's build is the same before and after, and the app printed no build). Targets: the page
in <= 3 s, the first answer <= 1.2x the floor (printed counted from launch and from the page).

Run: .venv/bin/python bench/app_start.py [--sizes kcna,1000000] [--runs 3] [--encoders auto,torch]"""

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

QUESTION = "Which company made an antivirus program?"
FLOOR = (
    "import sys; from rag.retrieve import Searcher; from rag.settings import Settings; "
    f"Searcher(Settings.from_env(index_dir=sys.argv[1])).search({QUESTION!r}, k=5)"
)


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


def first_answer(index_dir: Path, encoder: str, timeout: float = 300) -> tuple[float, float, str]:
    """Seconds from starting `rag app` to its page being served and to its first search answer,
    and what the app printed."""
    import urllib.request

    from gradio_client import Client

    port = free_port()
    command = [str(REPO / ".venv" / "bin" / "rag"), "app", "--index", str(index_dir), "--port", str(port)]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("RAG_")}, "RAG_QUERY_ENCODER": encoder}
    started = time.perf_counter()
    app = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    page = seconds = None
    try:
        while seconds is None:
            if app.poll() is not None or time.perf_counter() - started > timeout:
                break
            try:
                if page is None:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                        assert response.status == 200 and b"<html" in response.read(4096).lower()
                    page = time.perf_counter() - started
                client = Client(f"http://127.0.0.1:{port}/", verbose=False)
                result = client.predict(QUESTION, 5, api_name="/search")
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
    return page, seconds, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="kcna")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--encoders", default="auto,torch", help="query encoders: auto (ONNX), torch")
    args = parser.parse_args()
    for size in args.sizes.split(","):
        index_dir = index_for(size)
        build = current_build(index_dir)
        print(f"--- {size}: index {build}, {args.runs} starts each, load {os.getloadavg()[0]:.1f}")
        for encoder in args.encoders.split(","):
            env = {**os.environ, "PYTHONPATH": str(REPO), "RAG_QUERY_ENCODER": encoder}
            pages, starts, floors = [], [], []
            for _ in range(args.runs):
                started = time.perf_counter()
                subprocess.run([sys.executable, "-c", FLOOR, str(index_dir)], capture_output=True, check=True, env=env)
                floors.append(time.perf_counter() - started)
                page, seconds, output = first_answer(index_dir, encoder)
                pages.append(page)
                starts.append(seconds)
                rebuilt = "indexed" in output or "building" in output
                assert current_build(index_dir) == build and not rebuilt, "the app rebuilt the index at start"
            page, app, floor = statistics.median(pages), statistics.median(starts), statistics.median(floors)
            print(f"[{encoder}] page served: median {page:.1f} s (runs {', '.join(f'{s:.1f}' for s in pages)})")
            print(f"[{encoder}] first answer: median {app:.1f} s (runs {', '.join(f'{s:.1f}' for s in starts)})")
            after = statistics.median(s - p for s, p in zip(starts, pages))
            print(f"[{encoder}] floor, a fresh process: load the query encoder, open the index, one search: "
                  f"median {floor:.1f} s; first answer / floor {app / floor:.2f}x")  # fmt: skip
            # The app opens its index while Gradio imports, so the first question once the page is up
            # costs one search and the client's own connection, not a load.
            print(f"[{encoder}] first answer counted from the page being served: median {after:.2f} s, "
                  f"{after / floor:.2f}x the floor")  # fmt: skip


if __name__ == "__main__":
    main()
