"""The app started for real on a free port and queried through gradio_client."""

from __future__ import annotations

from pathlib import Path

import pytest

from .running import running_app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def app_url(seed_index, tmp_path_factory):
    settings, _ = seed_index
    with running_app(settings.index_dir, tmp_path_factory.mktemp("app") / "app.log") as (url, _):
        yield url


def test_search_endpoint_answers_like_the_cli(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    result = client.predict("Which company made an antivirus program?", 3, api_name="/search")
    assert result["query"] == "Which company made an antivirus program?"
    assert len(result["results"]) == 3
    top = result["results"][0]
    assert "Jiu Economic Technology Development Company" in top["text"]
    assert top["rank"] == 1 and top["source"].startswith("seeds/") and top["start_line"] >= 1
    assert any(place.startswith("seeds/") for place in top["also_in"])


def test_binds_to_localhost_only(app_url):
    """The listening socket itself (from the kernel's table) is bound to 127.0.0.1, not to all addresses."""
    port = int(app_url.rstrip("/").rsplit(":", 1)[1])
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, local_port = local.split(":")
            if state == "0A" and int(local_port, 16) == port:  # 0A: LISTEN
                listening.add(address)
    assert listening == {"0100007F"}, listening  # 127.0.0.1, little-endian hex


def test_page_escapes_markup_from_documents(seed_index, tmp_path):
    from rag.app import Engine, render_hits
    from rag.records import Hit, Passage

    settings, _ = seed_index
    engine = Engine(settings)
    evil = Passage(
        text="<script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(3))",
        source="evil.html",
        title="<b>t</b>",
        section=None,
        start_line=None,
        end_line=None,
        date=None,
        url="javascript:alert(4)",
    )
    page = render_hits([Hit(evil, 0.5, rank=1, highlight=(0, 10))], engine)
    assert "<script>" not in page and "<img" not in page and "<b>t</b>" not in page
    assert "&lt;script&gt;" in page
    assert 'href="javascript:' not in page


def test_a_rebuild_closes_the_searcher_it_replaces_once_searches_on_it_are_done(tmp_path):
    import shutil
    import sqlite3
    import time

    from rag.app import Engine
    from rag.build import build_index
    from rag.settings import Settings

    from .conftest import SEEDS

    corpus = tmp_path / "seeds"
    corpus.mkdir()
    shutil.copy(SEEDS / "003_40bc4345d3ad908c.txt", corpus)
    settings = Settings.from_env(environ={}, index_dir=tmp_path / "idx", corpus=[corpus])
    build_index(settings, progress=False)
    engine = Engine(settings)
    engine.retire_after = 0.2
    old = engine.searcher
    shutil.copy(SEEDS / "004_dbe5a5fc2a9b13dc.txt", corpus)
    engine.rebuild()
    assert engine.searcher is not old
    assert old.search("Russian exhibition", k=1)  # in the grace period the old one still answers
    time.sleep(1)
    with pytest.raises(sqlite3.ProgrammingError):
        old.index.db.execute("SELECT 1")
    assert engine.search("Russian tourist train", k=1)


def test_sigterm_stops_the_app_cleanly_and_removes_its_downloads_folder(seed_index, tmp_path):
    """A service manager's SIGTERM shuts the app down as Ctrl-C does: exit status 0, and the folder
    of export downloads it made goes with it (before, one was left in /tmp by every start)."""
    settings, _ = seed_index
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    with running_app(settings.index_dir, tmp_path / "app.log", env={"TMPDIR": str(scratch)}) as (_, process):
        assert list(scratch.glob("rag-exports-*"))
    assert process.returncode == 0, (tmp_path / "app.log").read_text()[-2000:]
    assert not list(scratch.glob("rag-exports-*"))
