"""Saved searches through the CLI, as an analyst follows a beat: save a question, a new file lands in
the corpus, the next build marks the passage it brings as new, the feed carries it, mark as read."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from .conftest import REPO

pytestmark = pytest.mark.slow

NEW_STORY = (
    "Hacker group blamed for theft\n\n"
    "Pyongyang, December 1 (KCNA) -- The Jiu antivirus software of the Jiu Economic Technology "
    "Development Company was updated this week to stop a new computer virus, its programmers said.\n"
)


def rag(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rag", *args], capture_output=True, text=True, timeout=300, cwd=cwd)


@pytest.fixture
def beat(tmp_path, corpus_dir):
    corpus = tmp_path / "seeds"
    shutil.copytree(corpus_dir / "seeds", corpus)
    index = str(tmp_path / "index")
    assert rag("index", str(corpus), "--index", index, "--quiet").returncode == 0
    return corpus, index


def test_a_new_passage_is_marked_new_fed_and_read(beat):
    corpus, index = beat
    added = rag("saved", "add", "antivirus", "Which company makes antivirus software?", "--index", index)
    assert added.returncode == 0, added.stderr
    assert "antivirus\t0 new\tWhich company makes antivirus software?" in rag("saved", "list", "--index", index).stdout
    (corpus / "zz_new.txt").write_text(NEW_STORY)
    built = rag("index", str(corpus), "--index", index, "--quiet")
    assert "saved searches: antivirus 1 new" in built.stderr, built.stderr
    listed = json.loads(rag("saved", "list", "--json", "--index", index).stdout)
    assert listed["name"] == "antivirus" and listed["new"] == 1

    new = json.loads(rag("saved", "new", "antivirus", "--json", "--index", index).stdout)
    assert set(new) == {"query", "results"} and len(new["results"]) == 1
    assert new["results"][0]["source"] == "seeds/zz_new.txt" and new["results"][0]["arrived"]

    import feedparser

    feed = feedparser.parse(rag("saved", "feed", "antivirus", "--index", index).stdout)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10" and len(feed.entries) == 1
    assert (
        "seeds/zz_new.txt" in feed.entries[0].summary and "Jiu antivirus software" in feed.entries[0].content[0].value
    )

    assert "1 passages of 'antivirus' marked as read" in rag("saved", "read", "antivirus", "--index", index).stdout
    assert "nothing new" in rag("saved", "new", "antivirus", "--index", index).stdout
    again = rag("index", str(corpus), "--index", index, "--quiet")  # up to date: nothing run, nothing new
    assert "saved searches" not in again.stderr
    assert rag("saved", "rm", "antivirus", "--index", index).returncode == 0
    assert rag("saved", "list", "--index", index).stdout == ""


def test_a_damaged_saved_searches_file_is_one_line_and_search_still_works(beat):
    corpus, index = beat
    (REPO / "index").exists()  # the tracked folder is never touched: everything here is in tmp
    assert rag("saved", "add", "jiu", "antivirus", "--index", index).returncode == 0
    (corpus / "zz_new.txt").write_text(NEW_STORY)
    from pathlib import Path

    (Path(index) / "saved_searches.json").write_text('{"format": 99, "searches": []}')
    listed = rag("saved", "list", "--index", index)
    assert listed.returncode == 1 and len(listed.stderr.strip().splitlines()) == 1
    assert "is not a saved-searches file of this rag" in listed.stderr
    built = rag("index", str(corpus), "--index", index, "--quiet")
    assert built.returncode == 0 and "saved searches not run again" in built.stderr
    found = json.loads(rag("search", "Jiu antivirus updated", "--json", "--index", index).stdout)
    assert found["results"][0]["source"] == "seeds/zz_new.txt"


def test_names_and_unknown_searches_are_one_line_errors(beat):
    _, index = beat
    bad = rag("saved", "add", "../feeds", "q", "--index", index)
    assert bad.returncode == 1 and "name is letters, digits" in bad.stderr
    missing = rag("saved", "new", "nope", "--index", index)
    assert missing.returncode == 1 and "no saved search 'nope'" in missing.stderr


def test_the_app_serves_the_feed_and_asks_a_feed_reader_for_the_password(beat):
    """GET /feeds/NAME.atom as the app serves it, with the app's password asked by HTTP Basic auth."""
    import base64
    from pathlib import Path

    import feedparser
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from rag.app import Engine
    from rag.feeds import serve_feeds
    from rag.settings import Settings

    corpus, index = beat
    assert rag("saved", "add", "antivirus", "Which company makes antivirus software?", "--index", index).returncode == 0
    (corpus / "zz_new.txt").write_text(NEW_STORY)
    assert rag("index", str(corpus), "--index", index, "--quiet").returncode == 0
    app = FastAPI()
    serve_feeds(app, Engine(Settings.from_env(index_dir=Path(index))), ("ana", "s3cret"))
    client = TestClient(app)
    refused = client.get("/feeds/antivirus.atom")
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Basic")
    wrong = base64.b64encode(b"ana:guess").decode()
    assert client.get("/feeds/antivirus.atom", headers={"Authorization": f"Basic {wrong}"}).status_code == 401
    right = {"Authorization": "Basic " + base64.b64encode(b"ana:s3cret").decode()}
    served = client.get("/feeds/antivirus.atom", headers=right)
    assert served.status_code == 200 and served.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(served.content)
    assert not feed.bozo and len(feed.entries) == 1 and "zz_new.txt" in feed.entries[0].summary
    assert client.get("/feeds/unknown.atom", headers=right).status_code == 404


def test_the_app_says_a_damaged_saved_searches_file_in_one_line_and_still_searches(beat):
    from pathlib import Path

    from rag.app import Engine, saved_page, saved_rows
    from rag.settings import Settings

    _, index = beat
    (Path(index) / "saved_searches.json").write_text('{"format": 99, "searches": "not a list"}')
    engine = Engine(Settings.from_env(index_dir=Path(index)))
    rows, note = saved_rows(engine)
    assert rows == [] and note.startswith("⚠ ") and "move it aside" in note and "\n" not in note
    assert "No saved search" in saved_page(engine, "anything")
    assert engine.search("Which company makes antivirus software?", 5)
