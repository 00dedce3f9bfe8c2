"""Shared by the bench scripts: where the shared corpora are, and an index built once per corpus."""

from __future__ import annotations

import os
import time
from pathlib import Path

from rag.build import build_index
from rag.evaluate import EvalReport, evaluate
from rag.index import IndexUnusable, StoredIndex
from rag.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
KCNA = SHARED / "corpora" / "kcna-stiles"
WORK = Path(os.environ.get("BENCH_WORK", "/tmp/rag-bench"))  # where bench indexes are built
QUESTIONS = REPO / "bench" / "questions"
# (name, corpus, questions): the tune halves of the held-out sets, on which every choice is made.
DEV_SETS = (("seeds", REPO / "seeds", QUESTIONS / "seeds_tune.jsonl"), ("kcna", KCNA, QUESTIONS / "kcna_tune.jsonl"))


def built_index(name: str, corpus: Path, **overrides) -> tuple[Settings, float | None]:
    """Settings for an index of `corpus` under /tmp/rag-bench/NAME, built when missing;
    returns the build time in seconds when it had to be built."""
    settings = Settings.from_env(environ={}, index_dir=WORK / name, corpus=[corpus], **overrides)
    if usable(settings.index_dir):
        return settings, None
    started = time.perf_counter()
    build_index(settings, progress=False, full=True)
    return settings, time.perf_counter() - started


def usable(index_dir: Path) -> bool:
    """Whether an index is there and this rag can read it (not one of an older format)."""
    try:
        StoredIndex(index_dir).close()
    except IndexUnusable:
        return False
    return True


def dev_scores(searcher, questions) -> EvalReport:
    """Hit@k and MRR of the searcher's ranking (no highlight: it does not change the order)."""
    return evaluate(questions, lambda q, k: searcher.search(q, k, highlight=False))
