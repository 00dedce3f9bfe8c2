"""A full disk while a build is written: one line saying so, the previous index kept and still
answering, nothing half-written left behind. On a real 20 MB tmpfs (the tests run as root, as CI
does)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from rag.build import BuildError, build_index
from rag.index import StoredIndex
from rag.retrieve import Searcher
from rag.settings import Settings

from .conftest import SEEDS

pytestmark = pytest.mark.slow


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.fail(f"mounting a tmpfs needs root, as CI has: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder, leave_bytes: int) -> None:
    free = shutil.disk_usage(folder).free
    with (folder / "filler").open("wb") as handle:
        handle.truncate(0)
        handle.write(b"\0" * max(0, free - leave_bytes))


def test_a_full_disk_keeps_the_old_index_and_says_so_in_one_line(small_disk, tmp_path):
    corpus = tmp_path / "seeds"
    corpus.mkdir()
    shutil.copy(SEEDS / "003_40bc4345d3ad908c.txt", corpus)
    settings = Settings.from_env(environ={}, index_dir=small_disk / "idx", corpus=[corpus])
    build_index(settings, progress=False)
    before = [h.passage.text for h in Searcher(settings).search("IT goods exhibition", k=2)]
    shutil.copy(SEEDS / "004_dbe5a5fc2a9b13dc.txt", corpus)
    _fill(small_disk, 64 * 1024)
    with pytest.raises(BuildError) as caught:
        build_index(settings, progress=False)
    message = str(caught.value)
    assert "\n" not in message and "is the disk full?" in message and "previous index is kept" in message
    assert not list((small_disk / "idx" / "builds").glob(".*.partial"))
    assert [h.passage.text for h in Searcher(settings).search("IT goods exhibition", k=2)] == before
    StoredIndex(settings.index_dir).close()


def test_rag_index_on_a_full_disk_exits_with_one_line(small_disk, tmp_path):
    corpus = tmp_path / "seeds"
    corpus.mkdir()
    shutil.copy(SEEDS / "004_dbe5a5fc2a9b13dc.txt", corpus)
    _fill(small_disk, 64 * 1024)
    command = [sys.executable, "-m", "rag.cli", "index", str(corpus), "--index", str(small_disk / "idx")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("Error")]
    assert len(lines) == 1 and "disk" in lines[0], done.stderr[-1500:]
