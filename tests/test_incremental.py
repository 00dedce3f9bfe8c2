"""Incremental rebuilds: unchanged files are not read, unchanged passages are not embedded."""

from __future__ import annotations

import shutil

import pytest

from rag.build import build_index
from rag.index import StoredIndex
from rag.settings import Settings

from .conftest import SEEDS

pytestmark = pytest.mark.slow


@pytest.fixture
def corpus(tmp_path):
    (tmp_path / "seeds").mkdir()
    for name in ("003_40bc4345d3ad908c.txt", "004_dbe5a5fc2a9b13dc.txt"):  # small, to keep the tests quick
        shutil.copy(SEEDS / name, tmp_path / "seeds" / name)
    settings = Settings.from_env(environ={}, index_dir=tmp_path / "idx", corpus=[tmp_path / "seeds"])
    first = build_index(settings, progress=False)
    return settings, tmp_path / "seeds", first


def test_unchanged_reindex_reads_and_embeds_nothing(corpus):
    settings, _, first = corpus
    build = StoredIndex(settings.index_dir).path
    again = build_index(settings, progress=False)
    assert again.up_to_date and again.files_read == 0 and again.embedded == 0
    assert StoredIndex(settings.index_dir).path == build  # nothing rewritten
    assert first.embedded == first.passages


def test_touched_but_unchanged_file_is_not_reembedded(corpus):
    settings, seeds, _ = corpus
    path = seeds / "003_40bc4345d3ad908c.txt"
    path.write_bytes(path.read_bytes())  # new mtime, same content
    again = build_index(settings, progress=False)
    assert again.embedded == 0


def test_editing_one_file_embeds_only_its_new_passages(corpus):
    settings, seeds, first = corpus
    path = seeds / "004_dbe5a5fc2a9b13dc.txt"
    path.write_text(
        path.read_text()
        + "\nPyongyang opens a new apple orchard\n\nThe orchard in Taedong County planted 20,000 trees.\n"
    )
    again = build_index(settings, progress=False)
    assert again.files_read == 1 and again.embedded == 1
    assert again.passages == first.passages + 1
    stored = StoredIndex(settings.index_dir)
    hit = [p for p in stored.passages(list(range(len(stored)))) if "apple orchard" in p.text]
    assert len(hit) == 1 and hit[0].source == "seeds/004_dbe5a5fc2a9b13dc.txt"


def test_deleting_a_file_removes_its_passages(corpus):
    settings, seeds, first = corpus
    (seeds / "003_40bc4345d3ad908c.txt").unlink()
    again = build_index(settings, progress=False)
    assert again.embedded == 0 and again.files_read == 0
    stored = StoredIndex(settings.index_dir)
    sources = {p.source for p in stored.passages(list(range(len(stored))))}
    assert "seeds/003_40bc4345d3ad908c.txt" not in sources and len(stored) < first.passages


def test_full_rebuild_embeds_everything_again(corpus):
    settings, _, first = corpus
    again = build_index(settings, progress=False, full=True)
    assert again.embedded == first.passages and again.files_read == 2


def test_a_corpus_with_a_skipped_file_is_up_to_date_the_second_time(corpus):
    settings, seeds, _ = corpus
    (seeds / "deep.json").write_bytes(b"[" * 100_000 + b"]" * 100_000)
    first = build_index(settings, progress=False)
    assert not first.up_to_date and [f.source for f in first.skipped] == ["seeds/deep.json"]
    build = StoredIndex(settings.index_dir).path
    for _ in range(2):
        again = build_index(settings, progress=False)
        assert again.up_to_date and again.files_read == 0
        assert [f.skipped for f in again.skipped] == [f.skipped for f in first.skipped]
    assert StoredIndex(settings.index_dir).path == build


@pytest.mark.parametrize("name", ["passages.sqlite", "vectors.faiss"])
def test_garbage_of_the_same_size_is_found_and_repaired_by_rag_index(corpus, name):
    settings, _, _ = corpus
    from rag.retrieve import Searcher

    before = [h.passage.text for h in Searcher(settings).search("Russian tourist train", k=3)]
    target = StoredIndex(settings.index_dir).path / name
    size = target.stat().st_size
    with target.open("r+b") as handle:  # the header stays; the middle becomes noise
        handle.seek(size // 3)
        handle.write(bytes(range(256)) * ((size // 3) // 256))
    assert target.stat().st_size == size
    again = build_index(settings, progress=False)
    assert not again.up_to_date and again.embedded == again.passages  # nothing of it reused
    assert [h.passage.text for h in Searcher(settings).search("Russian tourist train", k=3)] == before
