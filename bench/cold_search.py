"""A cold `rag search`: wall seconds and peak memory of the whole command from a fresh process
(Python start-up, imports, opening the index, encoding the question, searching, printing), timed
by /usr/bin/time over repeated runs with a warm disk cache. The query encoder the index's ONNX
export gives (rag.embed_onnx, the default) against the torch one (`RAG_QUERY_ENCODER=torch`, what
every search paid before) in the same run. Target: <= 1.5 s.

Run: .venv/bin/python bench/cold_search.py [--corpus seeds,kcna] [--runs 7]"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import KCNA, REPO, built_index

from rag.embed_onnx import OnnxEmbedder, onnx_query_embedder
from rag.retrieve import Searcher

QUESTION = "Which North Korean company made antivirus software?"
ENCODERS = {"onnx (default)": "auto", "torch": "torch"}


def timed(index_dir: Path, encoder: str) -> tuple[float, float]:
    """(wall seconds, peak resident MiB) of one `rag search` command."""
    command = ["/usr/bin/time", "-f", "%e %M", str(REPO / ".venv" / "bin" / "rag"), "search", QUESTION,
               "--index", str(index_dir)]  # fmt: skip
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("RAG_")}, "RAG_QUERY_ENCODER": encoder}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    wall, kilobytes = done.stderr.strip().splitlines()[-1].split()
    return float(wall), int(kilobytes) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="seeds,kcna")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    corpora = {"seeds": REPO / "seeds", "kcna": KCNA}
    for name in args.corpus.split(","):
        settings, _ = built_index(name, corpora[name])
        if onnx_query_embedder(settings.model, settings.index_dir) is None:  # an index built before the export
            Searcher(settings).close()
        assert isinstance(onnx_query_embedder(settings.model, settings.index_dir), OnnxEmbedder), "no ONNX export"
        print(f"--- {name}: {settings.index_dir}, {args.runs} runs each, load {os.getloadavg()[0]:.1f}")
        runs: dict[str, list[tuple[float, float]]] = {label: [] for label in ENCODERS}
        timed(settings.index_dir, "auto")  # the disk cache warmed
        for _ in range(args.runs):  # alternated, so that a busy moment falls on both
            for label, encoder in ENCODERS.items():
                runs[label].append(timed(settings.index_dir, encoder))
        for label, measured in runs.items():
            walls = [w for w, _ in measured]
            print(
                f"{label:15s} wall median {statistics.median(walls):.2f} s (min {min(walls):.2f}, max {max(walls):.2f})"
                f"  peak RSS {statistics.median(m for _, m in measured):.0f} MiB"
            )
        onnx, torch = (statistics.median(w for w, _ in runs[label]) for label in ENCODERS)
        print(f"torch / onnx: {torch / onnx:.1f}x (target: onnx <= 1.5 s)")


if __name__ == "__main__":
    main()
