"""The index on disk, the default store (rag.store.VectorStore): a folder of plain files, swapped
in atomically.

    INDEX_DIR/current -> builds/<stamp>/      (a symlink, replaced in one rename)
    builds/<stamp>/manifest.json              model, dimension, chunker version, corpus files and hashes
    builds/<stamp>/vectors.faiss              normalised embeddings, inner-product search: exact (flat) up to
                                              `ann_threshold` passages, approximate (IVF or HNSW) above
    builds/<stamp>/passages.sqlite            passage text and metadata, row id = vector id
    builds/<stamp>/bm25/                      the BM25 index (bm25s .npy and .json files)
    builds/<stamp>/sentences.npy              float16 vectors of each passage's sentences (the highlight),
    builds/<stamp>/sentence_starts.npy        row of passage i's first sentence at [i], one past the last at [i + 1]

A search reads whatever `current` points to, so a rebuild never leaves a half-written index behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import mmap
import os
import shutil
import sqlite3
import threading
from collections.abc import Sequence
from contextlib import closing
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from rag.chunk import CHUNKER_VERSION, passage_hash
from rag.lexical import LexicalIndex
from rag.records import Passage
from rag.settings import Settings
from rag.vectors import SentenceVectors

FORMAT_VERSION = 3  # 2: sentence vectors stored for the highlight; 3: a table of the files each passage is in

FAISS_KINDS = ("auto", "flat", "ivf", "hnsw", "ivfsq8")
DEFAULT_ANN_THRESHOLD = Settings.ann_threshold
# kind "auto": more passages than this get IVF with 8-bit codes instead of float16 ones, whose 768 bytes a
# vector (7.7 GB at 10M) would not fit a searcher in 8 GiB (bench/RESULTS.md, issue 13, part 3).
SQ8_THRESHOLD = 2_000_000
EXACT_SUBSET = 20_000  # a filtered search over at most this many passages of an approximate index is exact
ANN_RECALL_TARGET = 0.97  # recall@10 against exact search that nprobe/efSearch are tuned for at build time


class IndexWriteError(RuntimeError):
    """A new build could not be written (a full disk); nothing of it is left and `current` is unchanged."""


class IndexUnusable(RuntimeError):
    """The index is missing, damaged or was built differently; the message says what to run."""


@dataclass
class FileEntry:
    source: str
    sha256: str
    passages: int = 0
    skipped: str | None = None
    note: str | None = None  # what was left out of a file that was read (a bad line of JSON Lines)
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
    faiss_index: str = "IndexFlatIP"  # IndexFlatIP (exact), IndexIVFScalarQuantizer or IndexHNSWSQ
    ann_threshold: int = DEFAULT_ANN_THRESHOLD  # with faiss_kind "auto": passages above which the index is approximate
    faiss_kind: str = "auto"  # as asked: auto | flat | ivf | hnsw | ivfsq8
    precision: str = "fp32"  # of the arithmetic that made the vectors (rag.embed.resolve_precision)
    model_weights: str = ""  # rag.embed.weights_digest of the model ("" in builds before it was kept)
    faiss_params: dict = field(default_factory=dict)  # nlist, nprobe, ef_search...: set again when the index is opened
    recurring_lines: list[str] = field(default_factory=list)  # boilerplate found at the last full build
    glued_words: dict = field(default_factory=dict)  # {glued token: mended}, rag.glue, learnt at each build
    versions: list = field(default_factory=list)  # documents that are versions of one story (rag.versions.stored)
    newest_date: str = ""  # of the passages, none after the build: "last June" means the corpus's last June
    artifacts: dict = field(default_factory=dict)  # bytes of every other file of the build, to catch truncation
    checksums: dict = field(default_factory=dict)  # SHA-256 of each, to catch garbage of the same size

    @classmethod
    def read(cls, path: Path) -> Manifest:
        data = json.loads(path.read_text())
        if not isinstance(data, dict):
            raise ValueError(f"expected a JSON object, found {type(data).__name__}")
        data["files"] = [FileEntry(**f) for f in data.get("files", [])]
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    def damage(self, build: Path) -> str | None:
        """What is wrong with the build's files (a file missing or not the size it was written
        at), or None. Cheap enough to run before calling an index up to date."""
        for name, size in self.artifacts.items():
            try:
                found = (build / name).stat().st_size
            except OSError:
                return f"{name} is missing"
            if found != size:
                return f"{name} is {found} bytes, {size} were written"
        return None

    def corruption(self, build: Path) -> str | None:
        """Which build file no longer holds what was written (its SHA-256 differs), or None. Reads
        every file: run by `rag index` before it calls an index up to date, not by every search."""
        for name, digest in self.checksums.items():
            try:
                if _sha256(build / name) != digest:
                    return f"{name} was changed after it was written"
            except OSError:
                return f"{name} is missing"
        return None


def check_manifest(m: Manifest, model: str | None, where: str) -> None:
    """IndexUnusable unless this rag reads the build and it was built with `model` (when given);
    `where` is the option that names the index in the command to run (`--index index/`)."""
    if m.format_version > FORMAT_VERSION:
        raise IndexUnusable(
            f"this index was written by a newer version of rag (format {m.format_version}, this one reads "
            f"{FORMAT_VERSION}): upgrade rag, or rebuild it with `rag index --full {where}`"
        )
    if m.chunker_version != CHUNKER_VERSION or m.format_version != FORMAT_VERSION:
        raise IndexUnusable(
            f"index built by an older rag (format {m.format_version}, chunker v{m.chunker_version}; this one "
            f"writes format {FORMAT_VERSION}, chunker v{CHUNKER_VERSION}): rebuild with `rag index {where}`"
        )
    if model is not None and model != m.model:
        raise IndexUnusable(
            f"index built with model {m.model!r} but {model!r} was asked for: rebuild with "
            f"`rag index --model {model} {where}` or search with --model {m.model}"
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_COLUMNS = tuple(f.name for f in fields(Passage))  # one column a field, so a new field is stored too
_SCHEMA = ", ".join(f"{c} {'INTEGER' if c.endswith('_line') else 'TEXT'}" for c in _COLUMNS)


def write_index(
    index_dir: Path,
    manifest: Manifest,
    passages: list[Passage],
    vectors: np.ndarray,
    lexical: LexicalIndex,
    chunks: dict[str, list[Passage]],
    faiss_index: str = "auto",
    ann_threshold: int = DEFAULT_ANN_THRESHOLD,
    sentences: Sequence[np.ndarray] | None = None,
) -> Path:
    """Write a complete new build beside the current one, then point `current` at it.

    `chunks` are each file's passages before deduplication: the next incremental build takes them
    as they are for files that did not change. `sentences` holds each passage's sentence vectors
    (see Embedder.encode_with_sentences); without them the highlight is computed at search time.
    `faiss_index` picks the vector index (see `make_vector_index`); the choice and its search
    parameters are recorded in the manifest."""
    import faiss

    builds = index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    for stale in builds.glob(".*.partial"):  # left by a build that was killed; the caller holds the lock
        shutil.rmtree(stale, ignore_errors=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    work = builds / f".{stamp}.partial"
    work.mkdir()
    try:
        manifest.built_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        manifest.passages = len(passages)

        index, manifest.faiss_params = make_vector_index(vectors, manifest.dimension, faiss_index, ann_threshold)
        manifest.faiss_index = type(index).__name__
        manifest.faiss_kind = faiss_index
        manifest.ann_threshold = ann_threshold
        faiss.write_index(index, str(work / "vectors.faiss"))
        del index
        marks = ", ".join("?" * len(_COLUMNS))
        with closing(sqlite3.connect(work / "passages.sqlite")) as db, db:
            db.execute(f"CREATE TABLE passages (id INTEGER PRIMARY KEY, {_SCHEMA})")
            db.execute(f"CREATE TABLE chunks (file TEXT, position INTEGER, {_SCHEMA})")
            db.executemany(f"INSERT INTO passages VALUES (?, {marks})", ((i, *_row(p)) for i, p in enumerate(passages)))
            db.executemany(
                f"INSERT INTO chunks VALUES (?, ?, {marks})",
                ((file, n, *_row(p)) for file, items in chunks.items() for n, p in enumerate(items)),
            )
            # Every file a passage is in (its own and those it is repeated in), for the source filter: an
            # exact match on a file name, not a LIKE over JSON text.
            db.execute("CREATE TABLE places (passage INTEGER, file TEXT)")
            db.executemany(
                "INSERT INTO places VALUES (?, ?)", ((i, f) for i, p in enumerate(passages) for f in files_of(p))
            )
            db.execute("CREATE INDEX passages_source ON passages (source)")
            db.execute("CREATE INDEX chunks_file ON chunks (file)")
            db.execute("CREATE INDEX places_file ON places (file)")
        lexical.save(work / "bm25")
        if isinstance(sentences, SentenceVectors):  # already on disk as this folder keeps them
            sentences.owner.move_sentences(work)
        elif sentences is not None:
            starts = np.concatenate([[0], np.cumsum([len(rows) for rows in sentences])]).astype(np.int64)
            rows = np.concatenate([*sentences, np.zeros((0, manifest.dimension), np.float16)]).astype(
                np.float16, copy=False
            )
            np.save(work / "sentences.npy", rows)
            np.save(work / "sentence_starts.npy", starts)
        files = [f for f in sorted(work.rglob("*")) if f.is_file()]
        manifest.artifacts = {str(f.relative_to(work)): f.stat().st_size for f in files}
        manifest.checksums = {str(f.relative_to(work)): _sha256(f) for f in files}
        (work / "manifest.json").write_text(json.dumps(asdict(manifest), indent=1))

    except (OSError, RuntimeError, sqlite3.Error) as err:  # a full disk, above all
        shutil.rmtree(work, ignore_errors=True)
        reason = " ".join(str(err).split())[:120] or type(err).__name__
        raise IndexWriteError(
            f"cannot write the new index in {index_dir}/ ({reason}): is the disk full? The previous index is kept"
        ) from None
    final = builds / stamp
    work.rename(final)
    link = index_dir / ".current.tmp"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(Path("builds") / stamp)
    os.replace(link, index_dir / "current")
    _remove_old_builds(builds, keep=final)
    return final


def make_vector_index(
    vectors: np.ndarray, dimension: int, kind: str = "auto", ann_threshold: int = DEFAULT_ANN_THRESHOLD
):
    """The FAISS index over `vectors` (L2-normalised float32, inner product) and its search parameters.

    kind "auto": exact search (IndexFlatIP) up to `ann_threshold` vectors, IVF with float16 codes
    above it, IVF with 8-bit codes ("ivfsq8") above SQ8_THRESHOLD;
    "flat", "ivf", "hnsw" and "ivfsq8" force that index whatever the size (an IVF index needs 39
    vectors per list to train, so a corpus of under 156 passages stays flat). IVF and HNSW store
    float16 vectors (half the memory of float32, no measurable loss for cosine ranking); "ivfsq8"
    one byte a dimension, which keeps a 10M-passage searcher under 8 GiB at recall@10 0.97
    (bench/RESULTS.md: IVF-PQ with a re-rank lost to it on memory, recall and build time). The
    search breadth (IVF nprobe, HNSW efSearch) is the smallest that reaches ANN_RECALL_TARGET
    recall@10 against exact search on sample queries drawn around the corpus's own vectors."""
    import faiss

    if kind not in FAISS_KINDS:
        raise ValueError(f"faiss_index must be one of {', '.join(FAISS_KINDS)}, not {kind!r}")
    size = len(vectors)
    if kind == "auto":
        kind = ("ivfsq8" if size > SQ8_THRESHOLD else "ivf") if size > ann_threshold else "flat"
    nlist = _ivf_lists(size)
    if kind in ("ivf", "ivfsq8") and nlist < 4:
        kind = "flat"
    if kind == "flat" or size == 0:
        index = faiss.IndexFlatIP(dimension)
        _add_in_blocks(index, vectors)
        return index, {}
    fp16 = faiss.ScalarQuantizer.QT_fp16
    if kind in ("ivf", "ivfsq8"):
        quantizer = faiss.IndexFlatIP(dimension)
        codes = fp16 if kind == "ivf" else faiss.ScalarQuantizer.QT_8bit
        index = faiss.IndexIVFScalarQuantizer(quantizer, dimension, nlist, codes, faiss.METRIC_INNER_PRODUCT)
        # k-means on a sample (64 a list: a 1M-vector index trains in seconds; 40 above the SQ8 threshold,
        # where 4096 lists are learnt in minutes on two cores), then the vectors added a block at a
        # time: `vectors` may be a file mapped from disk, larger than memory.
        _train_on_sample(index, vectors, (64 if kind == "ivf" else 40) * nlist)
        _add_in_blocks(index, vectors)
        params = {"nlist": nlist} if kind == "ivf" else {"nlist": nlist, "codes": "sq8"}
        params["nprobe"] = _tune(index, vectors, "nprobe", [n for n in _LADDER if n <= nlist])
    else:
        index = faiss.IndexHNSWSQ(dimension, fp16, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 64
        index.train(np.ascontiguousarray(vectors[:1], dtype=np.float32))
        _add_in_blocks(index, vectors)
        params = {"m": 32, "ef_construction": 64, "ef_search": _tune(index, vectors, "ef_search", _LADDER[4:])}
    set_search_params(index, params)
    return index, params


def _train_on_sample(index, vectors: np.ndarray, count: int) -> None:
    size = len(vectors)
    rng = np.random.default_rng(0)
    sample = np.sort(rng.choice(size, size=min(size, count), replace=False))
    index.cp.max_points_per_centroid = max(1, count // index.nlist)
    index.train(np.ascontiguousarray(vectors[sample], dtype=np.float32))


_LADDER = (1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024)


def _ivf_lists(size: int) -> int:
    """Inverted lists for an IVF index: the power of two nearest sqrt(size), at most 4096, and few
    enough that k-means has 39 vectors per list to learn from (under 4 lists: no IVF). 4096 stays
    the cap at 10M (2,400 vectors a list): assigning 10M vectors to more lists costs more on two
    cores than the shorter lists save (bench/RESULTS.md, issue 13)."""
    nlist = min(4096, 2 ** round(np.log2(max(size, 1)) / 2))
    while nlist > 1 and size < 39 * nlist:
        nlist //= 2
    return int(nlist)


def set_search_params(index, params: dict) -> None:
    import faiss

    if "nprobe" in params:
        faiss.extract_index_ivf(index).nprobe = int(params["nprobe"])
    if "ef_search" in params:
        index.hnsw.efSearch = int(params["ef_search"])


def _tune(index, vectors: np.ndarray, name: str, ladder, queries: int = 200, k: int = 10) -> int:
    """The smallest search breadth on `ladder` whose recall@k against exact search reaches the target,
    measured on queries that sit around sampled corpus vectors (cosine ~0.6 to their origin, about
    as far as a question is from the passage that answers it)."""

    rng = np.random.default_rng(0)
    sample = np.asarray(vectors[rng.choice(len(vectors), size=min(queries, len(vectors)), replace=False)], np.float32)
    noise = rng.standard_normal(sample.shape).astype(np.float32)
    noise *= 1.33 / np.linalg.norm(noise, axis=1, keepdims=True)
    probe = sample + noise
    probe /= np.linalg.norm(probe, axis=1, keepdims=True)
    truth = _exact_neighbours(vectors, probe, k)
    for value in ladder:
        set_search_params(index, {name: value})
        _, found = index.search(probe, k)
        if recall_at(found, truth) >= ANN_RECALL_TARGET:
            return int(value)
    return int(ladder[-1])


BLOCK = 65_536  # vectors read from disk at a time: 100 MB of 384-float vectors


def _add_in_blocks(index, vectors: np.ndarray) -> None:
    for start in range(0, len(vectors), BLOCK):
        index.add(np.ascontiguousarray(vectors[start : start + BLOCK], dtype=np.float32))


def _exact_neighbours(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Ids of each query's k nearest vectors by inner product, reading `vectors` a block at a time."""
    import faiss

    heap = faiss.ResultHeap(len(queries), k, keep_max=True)
    for start in range(0, len(vectors), BLOCK):
        block = np.ascontiguousarray(vectors[start : start + BLOCK], dtype=np.float32)
        scores, ids = faiss.knn(queries, block, min(k, len(block)), metric=faiss.METRIC_INNER_PRODUCT)
        heap.add_result(scores, ids + start)
    heap.finalize()
    return heap.I


def recall_at(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of each row of `truth` (exact neighbour ids) that `found` also holds."""
    hits = sum(len(set(f[f >= 0].tolist()) & set(t[t >= 0].tolist())) for f, t in zip(found, truth))
    return hits / max(1, int((truth >= 0).sum()))


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


def whole_manifest(index_dir: Path) -> Manifest | None:
    """The current build's manifest when every file of the build is there as written (None: no
    build, or one to look at closer). Reads the files to check them, but opens no index."""
    build = current_build(index_dir)
    if build is None or not all((build / name).exists() for name in ("vectors.faiss", "passages.sqlite")):
        return None
    try:
        manifest = Manifest.read(build / "manifest.json")
    except (OSError, ValueError, TypeError):
        return None
    if manifest.damage(build) or manifest.corruption(build):
        return None
    return manifest


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
        self._lock = threading.Lock()
        try:
            self.manifest = Manifest.read(build / "manifest.json")
        except (OSError, ValueError, TypeError) as err:
            raise IndexUnusable(
                f"index manifest in {build} is unreadable ({err}); rebuild with `rag index --full --index {index_dir}`"
            ) from None
        m = self.manifest
        check_manifest(m, model, f"--index {index_dir}")
        if damage := m.damage(build):
            raise IndexUnusable(
                f"index in {build} is damaged ({damage}); rebuild with `rag index --full --index {index_dir}`"
            )
        import faiss

        try:
            self.vectors = faiss.read_index(str(build / "vectors.faiss"))
            set_search_params(self.vectors, m.faiss_params)
            self.lexical = LexicalIndex.load(build / "bm25", m.passages)
            self.sentence_rows, self.sentence_starts = None, None
            if (build / "sentence_starts.npy").exists():
                self.sentence_rows = _map_for_random_reads(build / "sentences.npy")
                self.sentence_starts = np.load(build / "sentence_starts.npy")
            self.db = sqlite3.connect(f"file:{build / 'passages.sqlite'}?mode=ro", uri=True, check_same_thread=False)
            count = self.db.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
        except (RuntimeError, OSError, ValueError, EOFError, sqlite3.Error) as err:  # EOFError: an emptied .npy
            raise IndexUnusable(
                f"index in {build} is damaged ({err}); rebuild with `rag index --full --index {index_dir}`"
            ) from None
        if count != m.passages or self.vectors.ntotal != m.passages:
            raise IndexUnusable(f"index in {build} is incomplete; rebuild with `rag index --full --index {index_dir}`")

    def __len__(self) -> int:
        return self.manifest.passages

    def search(self, queries: np.ndarray, n: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The n passages nearest each query vector by inner product: (scores, ids), id -1 where fewer
        qualify. Only ids in `allowed` (int64) are returned when it is given: exactly, for an
        exact index or a subset of at most EXACT_SUBSET passages; else the approximate index's search
        is widened in proportion to the share of the corpus that the subset leaves out."""
        import faiss

        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if allowed is None:
            return self.vectors.search(queries, n)
        allowed = np.ascontiguousarray(allowed, dtype=np.int64)
        params = self.manifest.faiss_params
        selector = faiss.IDSelectorBatch(allowed)
        if not params:  # exact index
            return self.vectors.search(queries, n, params=faiss.SearchParameters(sel=selector))
        if len(allowed) <= EXACT_SUBSET:
            scores = queries @ self.vectors_of(allowed).T
            order = np.argsort(-scores, axis=1, kind="stable")[:, :n]
            found = np.full((len(queries), n), -1, dtype=np.int64)
            best = np.full((len(queries), n), -np.inf, dtype=np.float32)
            found[:, : order.shape[1]] = allowed[order]
            best[:, : order.shape[1]] = np.take_along_axis(scores, order, axis=1)
            return best, found
        widen = len(self) / max(1, len(allowed))
        if "nprobe" in params:
            nprobe = min(int(params["nlist"]), int(np.ceil(params["nprobe"] * widen)))
            search = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
        else:
            search = faiss.SearchParametersHNSW(sel=selector, efSearch=int(np.ceil(params["ef_search"] * widen)))
        return self.vectors.search(queries, n, params=search)

    def get(self, ids: list[int]) -> list[Passage]:
        """Passages by vector id, in the order asked."""
        return self.passages(ids)

    def passages(self, ids: list[int]) -> list[Passage]:
        """Passages by vector id, in the order asked."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(f"SELECT id, {', '.join(_COLUMNS)} FROM passages WHERE id IN ({marks})", ids)
        by_id = {row[0]: _passage(row[1:]) for row in rows}
        return [by_id[i] for i in ids]

    def select(self, sources=(), since: str | None = None, until: str | None = None) -> np.ndarray:
        return np.asarray(self.ids_matching(tuple(sources), since, until), dtype=np.int64)

    def problem(self) -> str | None:
        # A build file cut short under a running process (a full disk, a stray `truncate`) would be
        # read through its memory map and kill the process with SIGBUS: a few stat calls first.
        return self.manifest.damage(self.path)

    def verify(self) -> str | None:
        return self.manifest.corruption(self.path)

    def refresh(self) -> None:
        """Nothing to follow: the app opens the new build itself after a rebuild."""

    def ids_matching(
        self, sources: tuple[str, ...] = (), since: str | None = None, until: str | None = None
    ) -> list[int]:
        """Ids of passages from the given files (also where they are repeated) dated within the span."""
        clauses, args = [], []
        if sources:
            clauses.append(f"id IN (SELECT passage FROM places WHERE file IN ({', '.join('?' * len(sources))}))")
            args += list(sources)
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
        escaped = ["%" + _like_literal(p) + "%" for p in phrases]
        where = " AND ".join("text LIKE ? ESCAPE '\\'" for _ in phrases)
        return [row[0] for row in self.db.execute(f"SELECT id FROM passages WHERE {where} LIMIT ?", (*escaped, limit))]

    def file_chunks(self, file: str) -> list[Passage]:
        """A file's passages as chunked at the last build, before deduplication."""
        rows = self.db.execute(f"SELECT {', '.join(_COLUMNS)} FROM chunks WHERE file = ? ORDER BY position", (file,))
        passages = [_passage(row) for row in rows]
        for passage in passages:
            passage.also_in = []
        return passages

    def reusable(self) -> dict[str, tuple[int, int]]:
        if not len(self) or self.sentence_starts is None:
            return {}
        self._readable()
        counts = np.diff(self.sentence_starts).tolist()
        rows = self.db.execute(f"SELECT {', '.join(_COLUMNS)} FROM passages ORDER BY id")
        return {passage_hash(_passage(row).embedding_text): (pid, counts[pid]) for pid, row in enumerate(rows)}

    def sentence_vectors_of(self, ids) -> list[np.ndarray]:
        return [self.sentence_vectors(int(pid)) for pid in ids]

    def sentence_vectors(self, pid: int) -> np.ndarray | None:
        """Passage `pid`'s sentence vectors (float32), or None when the index holds none."""
        if self.sentence_starts is None:
            return None
        start, end = self.sentence_starts[pid], self.sentence_starts[pid + 1]
        return np.asarray(self.sentence_rows[start:end], dtype=np.float32)

    def best_sentences(self, query_vector: np.ndarray, ids) -> list[tuple[int, float] | None]:
        out: list[tuple[int, float] | None] = []
        for pid in ids:
            vectors = self.sentence_vectors(int(pid))
            if vectors is None or not len(vectors):
                out.append(None)
                continue
            similarity = vectors @ query_vector
            best = int(np.argmax(similarity))
            out.append((best, float(similarity[best])))
        return out

    def vectors_of(self, ids) -> np.ndarray:
        """The stored embeddings of the passages `ids` (float32, one row each)."""
        self._readable()
        return self.vectors.reconstruct_batch(np.asarray(ids, dtype=np.int64))

    def _readable(self) -> None:
        """Let vectors be read back by id: an IVF index needs its id -> list map, made on first use."""
        import faiss

        with self._lock:
            ivf = faiss.try_extract_index_ivf(self.vectors)
            if ivf is not None and ivf.direct_map.type == faiss.DirectMap.NoMap:
                ivf.make_direct_map()

    def close(self) -> None:
        """Release the SQLite connection and the memory maps (the arrays go with their last reference)."""
        self.db.close()
        self.sentence_rows = self.sentence_starts = None


def files_of(passage: Passage) -> list[str]:
    """The files a passage is in: its own, and those of the places it is repeated ("FILE#ID",
    "FILE, lines 3-5")."""
    places = [passage.source, *passage.also_in]
    return list(dict.fromkeys(place.split(", line")[0].split("#")[0] for place in places))


def _row(passage: Passage) -> tuple:
    return tuple(json.dumps(passage.also_in) if c == "also_in" else getattr(passage, c) for c in _COLUMNS)


def _map_for_random_reads(path: Path) -> np.ndarray:
    """A .npy array mapped from disk, read a few rows at a time in no order: the kernel is told not to
    read ahead, which would fetch 128 KB around each row (measured at 1M passages: 0.24 ms a
    passage's sentences with read-ahead, 0.015 ms without, and fewer pages held)."""
    with open(path, "rb") as file:
        version = np.lib.format.read_magic(file)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read_header(file)
        offset = file.tell()
        mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    if hasattr(mapped, "madvise"):
        mapped.madvise(mmap.MADV_RANDOM)
    rows = np.frombuffer(mapped, dtype=dtype, count=int(np.prod(shape)), offset=offset)
    return rows.reshape(shape, order="F" if fortran else "C")


def _like_literal(text: str) -> str:
    """`text` for a LIKE pattern with ESCAPE '\\': its own % and _ match only themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _passage(row) -> Passage:
    values = dict(zip(_COLUMNS, row))
    values["also_in"] = json.loads(values["also_in"] or "[]")
    return Passage(**values)
