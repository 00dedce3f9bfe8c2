"""The index on disk: a folder of plain files, swapped in atomically.

    INDEX_DIR/current -> builds/<stamp>/      (a symlink, replaced in one rename)
    builds/<stamp>/manifest.json              model, dimension, chunker version, corpus files and hashes
    builds/<stamp>/vectors.faiss              normalised embeddings, inner-product search
    builds/<stamp>/passages.sqlite            passage text and metadata, row id = vector id
    builds/<stamp>/bm25/                      the BM25 index (bm25s .npy and .json files)

A search reads whatever `current` points to, so a rebuild never leaves a half-written index behind.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
from contextlib import closing
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from rag.chunk import CHUNKER_VERSION, passage_hash
from rag.lexical import LexicalIndex
from rag.records import Passage

FORMAT_VERSION = 1


class IndexUnusable(RuntimeError):
    """The index is missing, damaged or was built differently; the message says what to run."""


@dataclass
class FileEntry:
    source: str
    sha256: str
    passages: int = 0
    skipped: str | None = None
    size: int = 0
    mtime_ns: int = 0
    documents: int = 0


@dataclass
class Manifest:
    model: str
    dimension: int
    chunker_version: int = CHUNKER_VERSION
    format_version: int = FORMAT_VERSION
    corpus_root: str = ""
    inputs: list[str] = field(default_factory=list)
    files: list[FileEntry] = field(default_factory=list)
    documents: int = 0
    passages: int = 0
    built_at: str = ""
    faiss_index: str = "IndexFlatIP"
    recurring_lines: list[str] = field(default_factory=list)  # boilerplate found at the last full build

    @classmethod
    def read(cls, path: Path) -> Manifest:
        data = json.loads(path.read_text())
        data["files"] = [FileEntry(**f) for f in data.get("files", [])]
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


_COLUMNS = ("text", "source", "title", "section", "start_line", "end_line", "date", "url", "hash", "also_in")
_SCHEMA = ", ".join(f"{c} {'INTEGER' if c.endswith('_line') else 'TEXT'}" for c in _COLUMNS)


def write_index(
    index_dir: Path,
    manifest: Manifest,
    passages: list[Passage],
    vectors: np.ndarray,
    lexical: LexicalIndex,
    chunks: dict[str, list[Passage]],
) -> Path:
    """Write a complete new build beside the current one, then point `current` at it.

    `chunks` are each file's passages before deduplication: the next incremental build takes them
    as they are for files that did not change."""
    import faiss

    builds = index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    for stale in builds.glob(".*.partial"):  # left by a build that was killed; the caller holds the lock
        shutil.rmtree(stale, ignore_errors=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    work = builds / f".{stamp}.partial"
    work.mkdir()
    manifest.built_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    manifest.passages = len(passages)

    index = faiss.IndexFlatIP(manifest.dimension)
    if len(vectors):
        index.add(vectors)
    faiss.write_index(index, str(work / "vectors.faiss"))
    marks = ", ".join("?" * len(_COLUMNS))
    with closing(sqlite3.connect(work / "passages.sqlite")) as db, db:
        db.execute(f"CREATE TABLE passages (id INTEGER PRIMARY KEY, {_SCHEMA})")
        db.execute(f"CREATE TABLE chunks (file TEXT, position INTEGER, {_SCHEMA})")
        db.executemany(f"INSERT INTO passages VALUES (?, {marks})", ((i, *_row(p)) for i, p in enumerate(passages)))
        db.executemany(
            f"INSERT INTO chunks VALUES (?, ?, {marks})",
            ((file, n, *_row(p)) for file, items in chunks.items() for n, p in enumerate(items)),
        )
        db.execute("CREATE INDEX passages_source ON passages (source)")
        db.execute("CREATE INDEX chunks_file ON chunks (file)")
    lexical.save(work / "bm25")
    (work / "manifest.json").write_text(json.dumps(asdict(manifest), indent=1))

    final = builds / stamp
    work.rename(final)
    link = index_dir / ".current.tmp"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(Path("builds") / stamp)
    os.replace(link, index_dir / "current")
    _remove_old_builds(builds, keep=final)
    return final


def _remove_old_builds(builds: Path, keep: Path) -> None:
    # Keep the previous build too: a process that opened it just before the swap may still read it.
    done = sorted((p for p in builds.iterdir() if p.is_dir() and not p.name.startswith(".")), reverse=True)
    for old in done[2:]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)


def current_build(index_dir: Path) -> Path | None:
    link = index_dir / "current"
    if not link.exists():
        return None
    return link.resolve()


def index_exists(index_dir: Path) -> bool:
    build = current_build(index_dir)
    return build is not None and (build / "manifest.json").exists()


class StoredIndex:
    """A built index opened for searching: FAISS vectors, BM25, and passages read from SQLite on demand."""

    def __init__(self, index_dir: Path, model: str | None = None):
        build = current_build(index_dir)
        if build is None:
            raise IndexUnusable(f"no index in {index_dir}/: build one with `rag index --index {index_dir}`")
        self.path = build
        try:
            self.manifest = Manifest.read(build / "manifest.json")
        except (OSError, ValueError, TypeError) as err:
            raise IndexUnusable(
                f"index manifest in {build} is unreadable ({err}); rebuild with `rag index --full`"
            ) from None
        m = self.manifest
        if m.format_version > FORMAT_VERSION:
            raise IndexUnusable("this index was written by a newer version of rag; upgrade rag or rebuild the index")
        if m.chunker_version != CHUNKER_VERSION or m.format_version != FORMAT_VERSION:
            raise IndexUnusable(
                f"index built with chunker v{m.chunker_version}, this rag uses v{CHUNKER_VERSION}: "
                f"rebuild with `rag index --index {index_dir}`"
            )
        if model is not None and model != m.model:
            raise IndexUnusable(
                f"index built with model {m.model!r} but {model!r} was asked for: rebuild with "
                f"`rag index --model {model} --index {index_dir}` or search with --model {m.model}"
            )
        import faiss

        try:
            self.vectors = faiss.read_index(str(build / "vectors.faiss"))
            self.lexical = LexicalIndex.load(build / "bm25", m.passages)
            self.db = sqlite3.connect(f"file:{build / 'passages.sqlite'}?mode=ro", uri=True, check_same_thread=False)
            count = self.db.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
        except (RuntimeError, OSError, ValueError, sqlite3.Error) as err:
            raise IndexUnusable(f"index in {build} is damaged ({err}); rebuild with `rag index --full`") from None
        if count != m.passages or self.vectors.ntotal != m.passages:
            raise IndexUnusable(f"index in {build} is incomplete; rebuild with `rag index --full`")

    def __len__(self) -> int:
        return self.manifest.passages

    def passages(self, ids: list[int]) -> list[Passage]:
        """Passages by vector id, in the order asked."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(f"SELECT id, {', '.join(_COLUMNS)} FROM passages WHERE id IN ({marks})", ids)
        by_id = {row[0]: _passage(row[1:]) for row in rows}
        return [by_id[i] for i in ids]

    def ids_matching(
        self, sources: tuple[str, ...] = (), since: str | None = None, until: str | None = None
    ) -> list[int]:
        """Ids of passages from the given files (also where they are repeated) dated within the span."""
        clauses, args = [], []
        if sources:
            any_source = []
            for source in sources:
                any_source.append("(source = ? OR source LIKE ? ESCAPE '\\' OR also_in LIKE ? ESCAPE '\\')")
                escaped = source.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                args += [source, escaped + "#%", f'%"{escaped}%']
            clauses.append("(" + " OR ".join(any_source) + ")")
        if since:
            clauses.append("date >= ?")
            args.append(since)
        if until:
            clauses.append("date <= ?")
            args.append(until)
        where = " AND ".join(clauses) or "1"
        return [row[0] for row in self.db.execute(f"SELECT id FROM passages WHERE {where}", args)]

    def sources(self) -> list[str]:
        """The files in the index, for choosing among them."""
        return sorted({f.source for f in self.manifest.files if not f.skipped})

    def ids_containing(self, phrases: list[str], limit: int = 200) -> list[int]:
        """Ids of passages whose text holds every phrase (case-insensitive for ASCII, as SQLite's LIKE)."""
        escaped = ["%" + p.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for p in phrases]
        where = " AND ".join("text LIKE ? ESCAPE '\\'" for _ in phrases)
        return [row[0] for row in self.db.execute(f"SELECT id FROM passages WHERE {where} LIMIT ?", (*escaped, limit))]

    def file_chunks(self, file: str) -> list[Passage]:
        """A file's passages as chunked at the last build, before deduplication."""
        rows = self.db.execute(f"SELECT {', '.join(_COLUMNS)} FROM chunks WHERE file = ? ORDER BY position", (file,))
        passages = [_passage(row) for row in rows]
        for passage in passages:
            passage.also_in = []
        return passages

    def vectors_by_hash(self) -> dict[str, np.ndarray]:
        """Stored embeddings keyed by the hash of the text that was embedded, so that unchanged
        passages are not embedded again."""
        if not len(self):
            return {}
        matrix = self.vectors.reconstruct_n(0, len(self))
        rows = self.db.execute(f"SELECT {', '.join(_COLUMNS)} FROM passages ORDER BY id")
        return {passage_hash(_passage(row).embedding_text): vector for row, vector in zip(rows, matrix)}

    def close(self) -> None:
        self.db.close()


def _row(passage: Passage) -> tuple:
    return tuple(json.dumps(passage.also_in) if c == "also_in" else getattr(passage, c) for c in _COLUMNS)


def _passage(row) -> Passage:
    values = dict(zip(_COLUMNS, row))
    values["also_in"] = json.loads(values["also_in"] or "[]")
    return Passage(**values)
