"""Index build speed against its floor, and rebuilds.

1. Full build (`build_index(full=True)`, model load included) in passages/s, against the floor: the
   bare `SentenceTransformer.encode` of the same passages with the same batch size. Target: within
   1.15x of the floor. Wall time and this process's CPU time are both given: the CPU time is the
   steadier figure on a machine that other jobs share.
2. Re-index after changing 1% of the files (at least one; KCNA is a single file, so there 1% of its
   records change). Target: under 5% of the full build's time.
3. Re-index with nothing changed, in this process and as a fresh `rag index` command. Target: under
   2 s for KCNA.

Corpora: `kcna`, a copy of the KCNA records; `synth`, synthetic records in many JSON files, texts
recombined from real KCNA sentences (bench/synthetic.py), sized so that a run stays near ten
minutes on two shared cores. Everything is written under /tmp/rag-bench/build-speed/.

Run: .venv/bin/python bench/build_speed.py --corpus kcna|synth [--records 4000 --files 400] [--threads N]"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import KCNA, REPO, WORK
from synthetic import edit_records, write_corpus

from rag import build as build_module
from rag.build import build_index
from rag.settings import Settings

HERE = WORK / "build-speed"


class Timer:
    """Wall and CPU seconds of a block."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def phase_timer() -> dict[str, float]:
    """Wrap the build's stages to time each one (wall seconds)."""
    from rag.embed import SentenceTransformerEmbedder
    from rag.embed_onnx import OnnxEmbedder
    from rag.lexical import LexicalIndex

    spent: dict[str, float] = {}

    def wrap(owner, name: str, label: str, method: bool = False) -> None:
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - started

        setattr(owner, name, classmethod(lambda cls, *a, **k: timed(*a, **k)) if method else timed)

    wrap(build_module, "_chunk_corpus", "chunk")
    wrap(build_module, "merge_duplicates", "merge")
    wrap(build_module, "get_embedder", "load model")
    wrap(SentenceTransformerEmbedder, "encode_with_sentences", "embed")
    wrap(OnnxEmbedder, "encode_with_sentences", "embed")
    wrap(build_module, "write_build", "write")
    wrap(LexicalIndex, "build", "bm25 (in write)", method=True)
    wrap(build_module, "ensure_export", "onnx export")  # copied from the cache, or traced by a child
    wrap(build_module, "export_query_encoder", "onnx export")
    return spent


def prepare(corpus: str, records: int, files: int) -> Path:
    folder = HERE / ("corpus-kcna" if corpus == "kcna" else f"corpus-synth-{records}-{files}")
    if folder.exists():
        shutil.rmtree(folder)  # fresh, unedited files every run
    if corpus == "kcna":
        folder.mkdir(parents=True)
        for path in KCNA.glob("*.json"):
            shutil.copy(path, folder / path.name)
    else:
        write_corpus(folder, records, files)
    return folder


def change_one_percent(folder: Path, corpus: str) -> str:
    paths = sorted(folder.glob("*.json"))
    if corpus == "kcna":
        path = paths[0]
        items = json.loads(path.read_text())
        rng = random.Random(1)
        chosen = rng.sample(range(len(items)), max(1, len(items) // 100))
        for i in chosen:
            items[i]["story_text"] = (items[i].get("story_text") or "") + " The report was updated on Monday."
        path.write_text(json.dumps(items))
        return f"{len(chosen)} of {len(items)} records in {path.name}"
    changed = paths[:: max(1, len(paths) // max(1, len(paths) // 100))][: max(1, len(paths) // 100)]
    for n, path in enumerate(changed):
        edit_records(path, seed=n)
    return f"{len(changed)} of {len(paths)} files"


def full_build(settings: Settings, state: dict) -> None:
    spent = phase_timer()
    with Timer() as full:
        report = build_index(settings, progress=False, full=True)
    phases = ", ".join(f"{k} {v:.1f}" for k, v in spent.items())
    n = report.passages
    print(f"full build: {n} passages, {report.documents} documents: {full.wall:.1f} s wall / {full.cpu:.1f} s CPU")
    rest = full.wall - sum(v for k, v in spent.items() if not k.endswith("(in write)"))
    print(f"  stages (s): {phases}; the rest {rest:.1f}")
    print(f"  throughput {n / full.wall:.1f} passages/s")
    state.update(passages=n, full_wall=full.wall, full_cpu=full.cpu)


def floor(settings: Settings, state: dict) -> None:
    from rag.embed import get_embedder
    from rag.index import StoredIndex

    stored = StoredIndex(settings.index_dir)
    texts = [p.embedding_text for p in stored.passages(list(range(len(stored))))]
    stored.close()
    model = get_embedder(settings.model).model
    with Timer() as bare:
        model.encode(texts, batch_size=settings.batch_size, show_progress_bar=False)
    n = len(texts)
    print(f"floor: SentenceTransformer.encode of the same {n} passages, batch {settings.batch_size}:")
    print(f"  {bare.wall:.1f} s wall / {bare.cpu:.1f} s CPU, {n / bare.wall:.1f} passages/s")
    if "full_wall" in state:
        wall, cpu = state["full_wall"] / bare.wall, state["full_cpu"] / bare.cpu
        print(f"ratio build/floor: {wall:.3f}x wall, {cpu:.3f}x CPU (target <= 1.15x)")


def rebuilds(settings: Settings, folder: Path, corpus: str, state: dict) -> None:
    full = state.get("full_wall")
    what = change_one_percent(folder, corpus)
    with Timer() as partial:
        again = build_index(settings, progress=False)
    share = f", {100 * partial.wall / full:.2f}% of the full build (target < 5%)" if full else ""
    print(
        f"1% changed ({what}), in process: {partial.wall:.2f} s wall / {partial.cpu:.2f} s CPU, "
        f"{again.files_read} files read, {again.embedded} passages embedded{share}"
    )
    rag = [str(REPO / ".venv" / "bin" / "rag"), "index", str(folder), "--index", str(settings.index_dir), "-q"]
    what = change_one_percent(folder, corpus)
    started = time.perf_counter()
    out = subprocess.run(rag, capture_output=True, text=True, check=True)
    cli = time.perf_counter() - started
    share = f", {100 * cli / full:.2f}% of the full build (target < 5%)" if full else ""
    print(f"1% changed again ({what}), `rag index` command (model load included): {cli:.2f} s{share}")
    print(f"  {out.stderr.strip().splitlines()[0]}")

    with Timer() as unchanged:
        same = build_index(settings, progress=False)
    assert same.up_to_date and same.embedded == 0
    print(f"nothing changed, in process: {unchanged.wall:.3f} s (target < 2 s)")
    started = time.perf_counter()
    out = subprocess.run(rag, capture_output=True, text=True, check=True)
    cli = time.perf_counter() - started
    print(f"nothing changed, `rag index` command: {cli:.2f} s (target < 2 s)")
    print(f"  {out.stderr.strip().splitlines()[0]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=["kcna", "synth"], default="kcna")
    parser.add_argument("--records", type=int, default=4000, help="synth: records")
    parser.add_argument("--files", type=int, default=400, help="synth: JSON files")
    parser.add_argument("--threads", type=int, default=0, help="torch threads [default: torch's]")
    parser.add_argument(
        "--steps",
        default="full,floor,rebuilds",
        help="comma-separated; a long run can be split, e.g. --steps full, then floor, then rebuilds "
        "(the full build's time is kept in /tmp/rag-bench/build-speed/)",
    )
    args = parser.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    steps = args.steps.split(",")
    name = "kcna" if args.corpus == "kcna" else f"synth-{args.records}-{args.files}"
    folder = HERE / f"corpus-{name}"
    index_dir = HERE / f"index-{name}"
    saved = HERE / f"state-{name}.json"
    if "full" in steps:
        prepare(args.corpus, args.records, args.files)
        shutil.rmtree(index_dir, ignore_errors=True)
    settings = Settings.from_env(environ={}, index_dir=index_dir, corpus=[folder])
    state = json.loads(saved.read_text()) if saved.exists() and "full" not in steps else {}
    files = sum(1 for _ in folder.glob("*.json"))
    print(f"corpus {folder} ({files} files), torch threads {torch.get_num_threads()}, load {os.getloadavg()[0]:.1f}")
    if "full" in steps:
        full_build(settings, state)
        saved.write_text(json.dumps(state))
    if "floor" in steps:
        floor(settings, state)
    if "rebuilds" in steps:
        rebuilds(settings, folder, args.corpus, state)


if __name__ == "__main__":
    main()
