"""The index on disk: round trip, deduplication across files, manifest, refusals, atomic swap."""

from __future__ import annotations

import json
import shutil

import pytest

from rag.build import BuildError, build_index
from rag.chunk import CHUNKER_VERSION
from rag.index import IndexUnusable, StoredIndex, current_build
from rag.settings import Settings

pytestmark = pytest.mark.slow


def test_round_trip_keeps_every_field(seed_index):
    settings, report = seed_index
    stored = StoredIndex(settings.index_dir)
    assert len(stored) == report.passages > 200
    assert stored.vectors.ntotal == len(stored)
    passages = stored.passages(list(range(len(stored))))
    assert {p.source.split("/")[0] for p in passages} == {"seeds"}
    assert all(p.hash and p.text for p in passages)
    dated = [p for p in passages if p.date]
    assert dated and all(len(p.date) == 10 and p.date[4] == "-" for p in dated)
    railway = next(p for p in passages if p.text.startswith("Russian officials inspect North Korean railway"))
    assert (railway.source, railway.start_line, railway.date) == ("seeds/004_dbe5a5fc2a9b13dc.txt", 8, "2024-06-10")


def test_manifest_records_model_chunker_and_file_hashes(seed_index, corpus_dir):
    import hashlib

    settings, _ = seed_index
    manifest = json.loads((current_build(settings.index_dir) / "manifest.json").read_text())
    assert manifest["model"] == "all-MiniLM-L6-v2"
    assert manifest["dimension"] == 384
    assert manifest["chunker_version"] == CHUNKER_VERSION
    files = {f["source"]: f for f in manifest["files"]}
    assert len(files) == 5
    seed = corpus_dir / "seeds" / "003_40bc4345d3ad908c.txt"
    assert files["seeds/003_40bc4345d3ad908c.txt"]["sha256"] == hashlib.sha256(seed.read_bytes()).hexdigest()
    assert all(f["passages"] > 0 and f["skipped"] is None for f in files.values())


def test_story_shared_by_two_files_is_stored_once_and_lists_both(seed_index):
    settings, report = seed_index
    stored = StoredIndex(settings.index_dir)
    passages = stored.passages(list(range(len(stored))))
    jiu = [p for p in passages if "Jiu Economic Technology Development Company" in p.text]
    assert len(jiu) == 1
    places = [jiu[0].location, *jiu[0].also_in]
    assert any(p.startswith("seeds/000_") for p in places) and any(p.startswith("seeds/001_") for p in places)
    assert report.duplicates >= 10
    texts = [" ".join(p.text.casefold().split()) for p in passages]
    assert len(texts) == len(set(texts))


def test_index_made_with_another_model_is_refused(seed_index):
    settings, _ = seed_index
    with pytest.raises(IndexUnusable, match="rebuild"):
        StoredIndex(settings.index_dir, model="some/other-model")


def test_index_made_with_another_chunker_is_refused(seed_index, tmp_path):
    settings, _ = seed_index
    copy = tmp_path / "old"
    shutil.copytree(current_build(settings.index_dir), copy / "builds" / "old")
    (copy / "current").symlink_to("builds/old")
    manifest = copy / "builds" / "old" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["chunker_version"] = CHUNKER_VERSION - 1
    manifest.write_text(json.dumps(data))
    with pytest.raises(IndexUnusable, match="rebuild"):
        StoredIndex(copy)


def test_missing_index_says_how_to_build_one(tmp_path):
    with pytest.raises(IndexUnusable, match="rag index"):
        StoredIndex(tmp_path / "nothing-here")


def test_rebuild_swaps_in_a_new_build_and_old_reader_keeps_working(seed_index, corpus_dir, tmp_path):
    settings = Settings.from_env(
        environ={}, index_dir=tmp_path / "idx", corpus=[corpus_dir / "seeds" / "004_dbe5a5fc2a9b13dc.txt"]
    )
    build_index(settings, progress=False)
    first = StoredIndex(settings.index_dir)
    first_build = first.path
    build_index(settings, progress=False, full=True)
    second = StoredIndex(settings.index_dir)
    assert second.path != first_build
    assert first.passages([0])[0].text == second.passages([0])[0].text  # the old reader still answers


def test_missing_corpus_path_is_a_clear_error(tmp_path):
    settings = Settings.from_env(environ={}, index_dir=tmp_path / "idx", corpus=[tmp_path / "nope"])
    with pytest.raises(BuildError, match="no such file or folder"):
        build_index(settings, progress=False)


@pytest.mark.slow
@pytest.mark.parametrize("damaged", ["sentences.npy", "bm25/data.csc.index.npy", "vectors.faiss"])
def test_a_file_cut_short_under_a_running_searcher_gets_a_message_not_a_crash(seed_index, tmp_path, damaged):
    """Truncated while a process has the index open (its memory maps would raise SIGBUS): the
    search answers with a message, the process lives on. Run in a child process, so that a crash
    would show as its exit status."""
    import shutil
    import subprocess
    import sys

    settings, _ = seed_index
    copy = tmp_path / "idx"
    shutil.copytree(settings.index_dir, copy, symlinks=True)
    script = (
        "import os, sys\nfrom pathlib import Path\nfrom rag.retrieve import QueryError, Searcher\n"
        "from rag.settings import Settings\n"
        f"searcher = Searcher(Settings.from_env(environ={{}}, index_dir=Path({str(copy)!r})))\n"
        "searcher.search('railway')\n"
        f"os.truncate(searcher.index.path / {damaged!r}, 0)\n"
        "try:\n    searcher.search('railway')\nexcept QueryError as err:\n    print('MESSAGE', err)\n"
        "print('ALIVE')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "MESSAGE the index is damaged" in result.stdout and "rag index --full" in result.stdout
    assert "ALIVE" in result.stdout
