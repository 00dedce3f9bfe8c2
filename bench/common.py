"""Shared by the bench scripts: where the shared corpora are, and an index built once per corpus."""

from __future__ import annotations

import time
from pathlib import Path

from rag.build import build_index
from rag.index import index_exists
from rag.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
KCNA = SHARED / "corpora" / "kcna-stiles"
WORK = Path("/tmp/rag-bench")


def built_index(name: str, corpus: Path, **overrides) -> tuple[Settings, float | None]:
    """Settings for an index of `corpus` under /tmp/rag-bench/NAME, built when missing;
    returns the build time in seconds when it had to be built."""
    settings = Settings.from_env(environ={}, index_dir=WORK / name, corpus=[corpus], **overrides)
    if index_exists(settings.index_dir):
        return settings, None
    started = time.perf_counter()
    build_index(settings, progress=False)
    return settings, time.perf_counter() - started
