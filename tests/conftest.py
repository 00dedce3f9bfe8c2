"""Shared fixtures: the real bundled model and a real index of the seeds, built once per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def _no_rag_env(monkeypatch):
    """Tests see the defaults, not the developer's RAG_* variables."""
    for key in list(os.environ):
        if key.startswith("RAG_"):
            monkeypatch.delenv(key)


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory) -> Path:
    """A copy of the seeds, laid out as a user would have it: <root>/seeds/*.txt."""
    root = tmp_path_factory.mktemp("corpus")
    shutil.copytree(SEEDS, root / "seeds")
    return root


@pytest.fixture(scope="session")
def seed_index(corpus_dir, tmp_path_factory):
    """(settings, build report) for an index of the seeds built with the real model."""
    from rag.build import build_index
    from rag.settings import Settings

    index_dir = tmp_path_factory.mktemp("index")
    settings = Settings.from_env(environ={}, index_dir=index_dir, corpus=[corpus_dir / "seeds"])
    report = build_index(settings, progress=False)
    return settings, report


@pytest.fixture(scope="session")
def searcher(seed_index):
    from rag.retrieve import Searcher

    settings, _ = seed_index
    return Searcher(settings)
