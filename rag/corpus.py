"""Changing the corpus folder from outside the CLI: saving uploaded files safely, and watching the
folder so that added, changed or removed files are re-indexed within seconds."""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import threading
import unicodedata
from collections.abc import Callable
from pathlib import Path

from rag.load import SUFFIXES, iter_files
from rag.settings import Settings

log = logging.getLogger(__name__)


class UploadRejected(ValueError):
    """An uploaded file that is not stored; the message says why."""


def safe_name(name: str) -> str:
    """A plain file name from whatever the browser sent: no folders, no '..', no leading dot,
    no control characters. Raises UploadRejected when nothing usable is left."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip().lstrip(".")
    if not base or base in {".", ".."}:
        raise UploadRejected(f"{name!r} is not a usable file name")
    return base[:200]


def store_upload(source: Path, original_name: str, folder: Path, max_mb: float = Settings.max_file_mb) -> Path:
    """Copy an uploaded file into the corpus folder under a safe name; never outside it, never over a
    link, never over an existing file of another content (a numbered name is used instead)."""
    name = safe_name(original_name)
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise UploadRejected(f"{name}: {suffix or 'no extension'} is not supported ({', '.join(sorted(SUFFIXES))})")
    size = source.stat().st_size
    if size > max_mb * 1e6:
        raise UploadRejected(f"{name}: {size / 1e6:.1f} MB is over the {max_mb:g} MB upload limit")
    folder = folder.resolve()
    target = folder / name
    stem, n = Path(name).stem, 1
    while target.exists() or target.is_symlink():
        if target.is_file() and not target.is_symlink() and _same_content(target, source):
            return target
        n += 1
        target = folder / f"{stem}-{n}{suffix}"
    if target.resolve().parent != folder:  # belt and braces: the name cannot point elsewhere
        raise UploadRejected(f"{name}: refusing to write outside {folder}")
    # A temporary file of our own, created exclusively in the target folder: a link planted under
    # a predictable name (".NAME.partial" -> /tmp/victim) is never followed or written through.
    descriptor, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=folder)
    try:
        with os.fdopen(descriptor, "wb") as out, source.open("rb") as data:
            shutil.copyfileobj(data, out)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)  # a full disk or a stopped copy leaves nothing behind
        raise
    return target


def _same_content(a: Path, b: Path) -> bool:
    return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()


def snapshot(paths: list[Path]) -> dict[str, tuple[int, int]]:
    """(size, mtime) of every corpus file: what changes when a file is added, edited or removed."""
    state = {}
    for file in iter_files([p for p in paths if p.exists()]):
        try:
            stat = file.stat()
        except OSError:
            continue
        state[str(file)] = (stat.st_size, stat.st_mtime_ns)
    return state


class Watcher(threading.Thread):
    """Polls the corpus every `interval` seconds and calls `on_change` once the files have stopped
    changing (a file being copied in is not indexed half-written). Polling works on every file
    system, network mounts included, where change notifications often do not.

    The first snapshot is taken when the watcher is made, not when its thread starts: make it
    before the build it follows, and a file dropped in meanwhile is not missed. With `catch_up`,
    `on_change` also runs once at start, for what changed while nothing was watching."""

    def __init__(self, paths: list[Path], on_change: Callable[[], None], interval: float = 2.0, catch_up: bool = False):
        super().__init__(daemon=True, name="corpus-watcher")
        self.paths = paths
        self.on_change = on_change
        self.interval = interval
        self.catch_up = catch_up
        self.stopped = threading.Event()
        self.last = snapshot(paths)

    def run(self) -> None:
        if self.catch_up:
            self._call()
        while not self.stopped.wait(self.interval):
            current = snapshot(self.paths)
            if current == self.last:
                continue
            if self.stopped.wait(self.interval / 2) or snapshot(self.paths) != current:
                continue  # still being written: look again next round
            self.last = current
            self._call()

    def _call(self) -> None:
        try:
            self.on_change()
        except Exception:  # a failed rebuild must not stop the watching
            log.exception("re-indexing after a corpus change failed")

    def stop(self) -> None:
        self.stopped.set()
