"""`rag people NAME` and `rag versions` on real KCNA records: the person's passages newest first, the
months they appear in (months without them as 0), the people named with them, spellings folded; a
story scraped again after an edit, its versions and the word diff."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import SHARED, rescraped_story

pytestmark = pytest.mark.slow


def rag(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rag", *args], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> str:
    """An index of the 20 shortest KCNA stories that name the foreign minister, and 10 that do not."""
    records = json.loads(next((SHARED / "corpora" / "kcna-stiles").glob("*.json")).read_text())
    named = {r["link"]: r for r in records if "Choe Son Hui" in (r.get("story_text") or "")}
    others = {r["link"]: r for r in records if r.get("story_text") and "Choe" not in r["story_text"]}
    chosen = sorted(named.values(), key=lambda r: len(r["story_text"]))[:20]
    chosen += sorted(others.values(), key=lambda r: len(r["story_text"]))[:10]
    root = tmp_path_factory.mktemp("people")
    (root / "corpus").mkdir()
    (root / "corpus" / "kcna.json").write_text(json.dumps(chosen))
    (root / "corpus" / "rescraped.json").write_text(json.dumps(rescraped_story()))
    built = rag("index", str(root / "corpus"), "--index", str(root / "index"), "--quiet")
    assert built.returncode == 0, built.stderr
    return str(root / "index")


def test_people_json_is_the_persons_record_newest_first(index):
    done = rag("people", "Choe Son-hui", "--index", index, "--json", "-n", "50")
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["name"] == "Choe Son Hui" and record["passages_total"] >= 10
    dates = [p["date"] for p in record["passages"]]
    assert dates == sorted(dates, reverse=True) and record["last_seen"] == dates[0]
    first = record["passages"][0]
    assert set(first) >= {"rank", "text", "source", "title", "date", "url", "highlight"}  # the search schema
    start, end = first["highlight"]
    assert first["text"][start:end].replace("\n", " ") in ("Choe Son Hui", "ChoeSon Hui")
    months = list(record["timeline"])
    assert months == sorted(months) and months[0] == record["first_seen"][:7] and months[-1] == record["last_seen"][:7]
    assert sum(record["timeline"].values()) == record["passages_total"]
    assert record["co_mentions"] and all(c["passages"] >= 1 for c in record["co_mentions"])
    assert all(c["name"] != "Choe Son Hui" for c in record["co_mentions"])


def test_people_text_shows_timeline_company_and_passages(index):
    done = rag("people", "CHOE SON HUI", "--index", index, "-n", "3")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Choe Son Hui: ")
    assert "mentions per month" in done.stdout and "named with:" in done.stdout
    assert done.stdout.count("[") >= 3 and "Choe Son Hui" in done.stdout.split("[1]")[1]


def test_an_unknown_person_is_a_one_line_error(index):
    done = rag("people", "Nobody Atall Here", "--index", index)
    assert done.returncode == 1 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "rag search" in done.stderr


def test_versions_lists_the_edited_story_and_shows_what_changed(index):
    listed = rag("versions", "--index", index)
    assert listed.returncode == 0, listed.stderr
    assert "1 edited" in listed.stdout and "corpus/rescraped.json#0" in listed.stdout
    shown = rag("versions", "corpus/rescraped.json#1", "--index", index)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("2 versions (edited):")
    assert "[-240 mm -]{+240mm-calibre +}" in shown.stdout
    found = rag("search", "test-fire of the 240mm-calibre MRLS", "-k", "1", "--index", index)
    assert "2 versions (edited): rag versions 'corpus/rescraped.json#0'" in found.stdout
    alone = rag("versions", "corpus/kcna.json#0", "--index", index)
    assert alone.returncode == 1 and "no other version" in alone.stderr
