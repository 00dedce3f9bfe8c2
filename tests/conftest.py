"""Shared fixtures: the real bundled model and a real index of the seeds, built once per session."""

from __future__ import annotations

import collections
import json
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session", autouse=True)
def _own_cache(tmp_path_factory):
    """The session's builds share a cache of their own (the ONNX export, rag.embed_onnx), not the
    developer's: the first build traces the export, the later ones copy it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        yield


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


@pytest.fixture(scope="session")
def milvus_seed_index(corpus_dir, tmp_path_factory):
    """(settings, build report) for the same seeds built into a Milvus Lite database (in-process)."""
    from rag.build import build_index
    from rag.settings import Settings

    root = tmp_path_factory.mktemp("milvus")
    settings = Settings.from_env(
        environ={}, index_dir=root / "index", corpus=[corpus_dir / "seeds"], store=f"milvus:{root / 'rag.db'}"
    )
    return settings, build_index(settings, progress=False)


@pytest.fixture(scope="session")
def milvus_searcher(milvus_seed_index):
    from rag.retrieve import Searcher

    return Searcher(milvus_seed_index[0])


@pytest.fixture(scope="session")
def milvus_server(tmp_path_factory):
    """A Milvus Lite gRPC server in its own process on 127.0.0.1, reached as a Milvus cluster is:
    its `milvus://127.0.0.1:PORT` address."""
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = tmp_path_factory.mktemp("milvus-server")
    log = (data / "server.log").open("w")
    command = [sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(data / "db"), "--host", "127.0.0.1"]
    server = subprocess.Popen([*command, "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert server.poll() is None, (data / "server.log").read_text()
            time.sleep(0.2)
    else:
        server.kill()
        pytest.fail("the Milvus Lite server did not start within 60 s")
    yield f"milvus://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=30)
    log.close()


def kcna_records() -> list[dict]:
    return json.loads(next((SHARED / "corpora" / "kcna-stiles").glob("*.json")).read_text())


def stories_naming(name: str, count: int) -> list[dict]:
    """The shortest `count` KCNA stories that name `name`, one per link."""
    named = {r["link"]: r for r in kcna_records() if name in (r.get("story_text") or "")}
    return sorted(named.values(), key=lambda r: len(r["story_text"]))[:count]


def rescraped_story() -> list[dict]:
    """The shortest KCNA story that the scrape holds twice, edited in between (same link)."""
    records = kcna_records()
    by_link = collections.defaultdict(list)
    for record in records:
        if record.get("story_text"):
            by_link[record["link"]].append(record)
    edited = [v for v in by_link.values() if len({" ".join(r["story_text"].split()) for r in v}) > 1]
    return min(edited, key=lambda v: len(v[0]["story_text"]))
