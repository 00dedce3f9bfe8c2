"""The indexing pipeline: load -> clean -> chunk -> deduplicate -> embed -> write.

Builds are incremental: a file whose size and modification time (or, failing that, SHA-256) match
the last build is not read again, its passages come from the index, and a passage whose text was
embedded before is not embedded again. `full=True` rebuilds everything."""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from tqdm import tqdm

from rag.chunk import CHUNKER_VERSION, chunk_document, passage_hash, sentence_spans
from rag.clean import clean_document, recurring_lines
from rag.embed import (
    Embedder,
    embedding_dimension,
    get_embedder,
    resolve_precision,
    return_freed_memory,
    weights_digest,
)
from rag.embed_onnx import ensure_export, export_query_encoder, onnx_query_embedder
from rag.embed_onnx import wanted as onnx_wanted
from rag.glue import learn_glued, mend
from rag.index import FAISS_KINDS, FORMAT_VERSION, FileEntry, IndexUnusable, IndexWriteError, Manifest
from rag.load import RecordFields, SkipFile, corpus_root, iter_files, load_file, source_name
from rag.records import Document, Passage
from rag.settings import Settings, cache_root
from rag.store import VectorStore, build_on_server, current_manifest, open_store, store_exists, write_build
from rag.vectors import BuildVectors
from rag.versions import documents_from_passages, group_versions, stored

log = logging.getLogger(__name__)


class BuildError(RuntimeError):
    """The build cannot run; the message says why and what to do."""


@dataclass
class BuildReport:
    files: list[FileEntry] = field(default_factory=list)
    documents: int = 0
    passages: int = 0
    duplicates: int = 0
    files_read: int = 0
    embedded: int = 0
    up_to_date: bool = False
    seconds: float = 0.0
    written_to: str = ""  # the new build's folder, or its Milvus collection

    @property
    def skipped(self) -> list[FileEntry]:
        return [f for f in self.files if f.skipped]

    def summary(self) -> str:
        if self.up_to_date:
            text = f"index is up to date: {len(self.files)} files unchanged ({self.seconds:.1f}s)"
        else:
            text = (
                f"indexed {self.documents} documents from {len(self.files) - len(self.skipped)} files into "
                f"{self.passages} passages ({self.duplicates} duplicates merged; {self.files_read} files read, "
                f"{self.embedded} passages embedded) in {self.seconds:.1f}s"
            )
        skipped = [f"skipped {f.source}: {f.skipped}" for f in self.skipped]
        partly = [f"partly read {f.source}: {f.note}" for f in self.files if f.note and not f.skipped]
        return "\n".join([text, *skipped, *partly])


def build_index(
    settings: Settings, paths: list[Path] | None = None, progress: bool = True, full: bool = False
) -> BuildReport:
    """Index the corpus at `paths` (default: settings.corpus) into settings.index_dir."""
    started = time.perf_counter()
    paths = [Path(p) for p in (paths or settings.corpus)]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise BuildError(f"no such file or folder: {', '.join(missing)}")
    if settings.faiss_index not in FAISS_KINDS:
        raise BuildError(f"faiss_index must be one of {', '.join(FAISS_KINDS)}, not {settings.faiss_index!r}")
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    with _build_lock(settings.index_dir), _on_ray(settings.ray):
        root = corpus_root(paths)
        report = BuildReport()
        if not full:
            report.files = _unchanged_files(settings, paths, root) or []
            if report.files:
                report.up_to_date = True
                report.seconds = time.perf_counter() - started
                return report
        previous = None if full else _previous_build(settings, root)
        chunks, recurring, glued = _chunk_corpus(paths, root, settings, previous, report, progress)
        unchanged = (
            previous is not None
            and report.files_read == 0
            and _same_index_choice(previous.manifest, settings)
            and _same_precision(previous.manifest, settings)
        )
        if unchanged and {f.source for f in report.files} == {f.source for f in previous.manifest.files}:
            report.up_to_date = True
            report.seconds = time.perf_counter() - started
            return report

        all_chunks = [p for items in chunks.values() for p in items]
        passages = merge_duplicates(all_chunks)
        today = dt.date.today().isoformat()
        manifest = Manifest(
            model=settings.model,
            dimension=0,  # known once the model is chosen, in _embed_and_write
            corpus_root=str(root),
            inputs=[source_name(p, root) for p in paths],
            files=report.files,
            documents=sum(f.documents for f in report.files),
            recurring_lines=sorted(recurring),
            glued_words=glued,
            versions=stored(group_versions(documents_from_passages(all_chunks))),  # before merging: each in its order
            faiss_kind=settings.faiss_index,
            ann_threshold=settings.ann_threshold,
            newest_date=max((p.date for p in passages if p.date and p.date <= today), default=""),
        )
        try:
            report.written_to = _embed_and_write(passages, chunks, manifest, settings, previous, progress, report)
        except IndexWriteError as err:
            raise BuildError(str(err)) from None
        report.documents = manifest.documents
        report.passages = len(passages)
        report.duplicates = len(all_chunks) - len(passages)
        report.seconds = time.perf_counter() - started
        return report


def _unchanged_files(settings: Settings, paths: list[Path], root: Path) -> list[FileEntry] | None:
    """The last build's files when nothing changed since: the same files with the same sizes and
    modification times, the same model, chunker and vector index choice. Read from the manifest
    alone, so an unchanged corpus is confirmed without opening the index (None: look closer)."""
    manifest = current_manifest(settings)
    if manifest is None:
        return None
    if (manifest.model, manifest.chunker_version, manifest.format_version, manifest.corpus_root) != (
        settings.model,
        CHUNKER_VERSION,
        FORMAT_VERSION,
        str(root),
    ) or not _same_index_choice(manifest, settings):
        return None
    if not _same_precision(manifest, settings):
        return None
    known = {f.source: f for f in manifest.files}
    seen = 0
    for path in iter_files(paths):
        entry = known.get(source_name(path, root))
        if entry is None or (entry.skipped and not skip_is_final(entry.skipped)):
            return None
        try:
            stat = path.stat()
        except OSError:
            return None
        if (stat.st_size, stat.st_mtime_ns) != (entry.size, entry.mtime_ns):
            return None
        seen += 1
    return manifest.files if seen == len(known) and seen else None


def _same_index_choice(manifest: Manifest, settings: Settings) -> bool:
    """Whether the vector index was built as the settings ask (else it is rewritten, nothing re-embedded)."""
    return (manifest.faiss_kind, manifest.ann_threshold) == (settings.faiss_index, settings.ann_threshold)


def _same_precision(manifest: Manifest, settings: Settings) -> bool:
    """Whether the vectors are of the precision asked ("auto" takes the index's own) and of the
    model's weights as they are now."""
    weights = manifest.model_weights in ("", weights_digest(settings.model))
    return settings.precision in ("auto", manifest.precision) and weights


def _previous_build(settings: Settings, root: Path) -> VectorStore | None:
    """The current build, when its passages and vectors can be reused for this one."""
    if not store_exists(settings):
        return None
    try:
        previous = open_store(settings, settings.model)
    except IndexUnusable as err:
        log.info("full rebuild: %s", err)
        return None
    if corrupt := previous.verify():  # nothing of it can be trusted for reuse
        log.warning("full rebuild: %s", corrupt)
        previous.close()
        return None
    return previous if previous.manifest.corpus_root == str(root) else None


def _chunk_corpus(
    paths: list[Path],
    root: Path,
    settings: Settings,
    previous: VectorStore | None,
    report: BuildReport,
    progress: bool,
) -> tuple[dict[str, list[Passage]], set[str], dict[str, str]]:
    """Every file's passages: taken from the previous build when the file is unchanged, else read."""
    fields = RecordFields(settings.text_field, settings.title_field, settings.date_field, settings.url_field)
    known = {f.source: f for f in previous.manifest.files} if previous else {}
    chunks: dict[str, list[Passage]] = {}
    fresh: dict[str, list[Document]] = {}
    sources = {path: source_name(path, root) for path in iter_files(paths)}
    calls = [(path, source, root, fields, known.get(source), settings.max_file_mb) for path, source in sources.items()]
    if settings.ray:
        from rag.distributed import map_files

        read = map_files(_read_file, calls)
    else:
        read = (_read_file(*call) for call in tqdm(calls, desc="Reading", unit="file", disable=not progress))
    for (entry, documents), source in zip(read, sources.values()):
        report.files.append(entry)
        if documents is None:  # unchanged since the last build
            chunks[source] = previous.file_chunks(source)
        else:
            fresh[source] = documents
    report.files_read = len(fresh)
    # Boilerplate is learnt across the whole corpus at a full build and kept for incremental ones;
    # glued words are learnt from what is read, on top of those learnt before.
    fresh_documents = [d for docs in fresh.values() for d in docs]
    if previous is None:
        recurring, glued = recurring_lines(fresh_documents), {}
    else:
        recurring, glued = set(previous.manifest.recurring_lines), dict(previous.manifest.glued_words)
    glued |= learn_glued(text for doc in fresh_documents for text in (doc.title or "", *(x.text for x in doc.lines)))
    entries = {entry.source: entry for entry in report.files}
    calls = [(documents, recurring, glued) for documents in fresh.values()]
    if settings.ray:
        from rag.distributed import map_files

        chunked = map_files(_chunk_file, calls)
    else:
        chunked = [_chunk_file(*call) for call in calls]
    for source, (passages, error) in zip(fresh, chunked):
        chunks[source] = passages
        if error:
            entries[source].skipped = error
    for entry in report.files:
        entry.passages = len(chunks.get(entry.source, []))
        if not entry.passages and not entry.skipped:
            entry.skipped = "no readable text left after cleaning"
    return chunks, recurring, glued


def _chunk_file(
    documents: list[Document], recurring: set[str], glued: dict[str, str]
) -> tuple[list[Passage], str | None]:
    """A file's passages, or none and why: whatever one file holds, the rest is indexed."""
    try:
        return [
            p
            for doc in documents
            for p in chunk_document(
                replace(doc, title=mend(doc.title or "", glued) or None), clean_document(doc, recurring, glued)
            )
        ], None
    except Exception as err:
        return [], f"cannot be cleaned: {one_line(err)}"


def _read_file(
    path: Path, source: str, root: Path, fields: RecordFields, known: FileEntry | None, max_mb: float
) -> tuple[FileEntry, list[Document] | None]:
    """The file's manifest entry and its documents, or None for documents when it is unchanged."""
    try:
        if path.is_dir():  # a folder iter_files could not open
            os.listdir(path)
        stat = path.stat()
        reusable = known and (not known.skipped or skip_is_final(known.skipped))
        if reusable and (known.size, known.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
            return known, None  # unchanged: its passages (or its reason to be skipped) still hold
        if stat.st_size > max_mb * 1e6:
            reason = f"larger than {max_mb:g} MB ({stat.st_size / 1e6:.0f} MB); raise RAG_MAX_FILE_MB to index it"
            return FileEntry(source, "", size=stat.st_size, mtime_ns=stat.st_mtime_ns, skipped=reason), []
        data = path.read_bytes()
    except OSError as err:
        return FileEntry(source=source, sha256="", skipped=f"cannot read ({err.strerror or err})"), []
    entry = FileEntry(source, hashlib.sha256(data).hexdigest(), size=stat.st_size, mtime_ns=stat.st_mtime_ns)
    if known and not known.skipped and known.sha256 == entry.sha256:
        entry.documents = known.documents
        return entry, None  # touched but not changed
    notes: list[str] = []
    try:
        documents = load_file(path, root, fields, data=data, notes=notes)
        entry.note = "; ".join(notes) or None
    except SkipFile as reason:
        entry.skipped = str(reason)
        return entry, []
    except Exception as err:  # a hostile file (JSON nested 100,000 deep, a PDF bomb) never stops a build
        entry.skipped = f"cannot be read: {one_line(err)}"
        return entry, []
    entry.documents = len(documents)
    return entry, documents


def skip_is_final(reason: str) -> bool:
    """Whether an unchanged file would be skipped again for this reason: not when the reason is a
    limit the user may have raised or a package they may have installed since."""
    return not reason.startswith(("larger than", "reading ", "cannot read"))


def one_line(err: BaseException, limit: int = 150) -> str:
    """An exception as one short line: its type and the start of its message."""
    text = " ".join(str(err).split()) or type(err).__name__
    text = f"{type(err).__name__}: {text}" if type(err).__name__ not in text else text
    return text if len(text) <= limit else text[: limit - 1] + "…"


EMBED_BLOCK = 1024  # passages the local model embeds before their vectors go to disk (and the bar moves)


def _embed_and_write(
    passages: list[Passage],
    chunks: dict[str, list[Passage]],
    manifest: Manifest,
    settings: Settings,
    previous: VectorStore | None,
    progress: bool,
    report: BuildReport,
) -> str:
    """Embed the passages that the previous build did not hold (the model is not even loaded when
    there is nothing new) and write the build. Vectors go to disk as they are made (rag.vectors),
    so no stage holds all of them; on Ray into a Milvus server, the workers insert them."""
    manifest.precision = _precision(settings, previous)
    manifest.model_weights = weights_digest(settings.model)
    # An index holds vectors of one precision and one set of weights (a model retrained into the
    # same folder is another model): other vectors are not reused (bench/RESULTS.md).
    known = previous.reusable() if previous is not None and _same_precision(previous.manifest, settings) else {}
    keys = [passage_hash(p.embedding_text) for p in passages]
    reused = [i for i, key in enumerate(keys) if key in known]
    todo = sorted(set(range(len(passages))) - set(reused))
    spans = {i: _sentence_spans_in_embedding_text(passages[i]) for i in todo}
    embedder = None
    if not todo and previous is not None:
        manifest.dimension = previous.manifest.dimension
    elif settings.ray:  # the model is loaded by the cluster's actors only
        manifest.dimension = embedding_dimension(settings.model)
    else:
        embedder = _local_embedder(settings, manifest.precision, bool(todo))
        manifest.dimension = embedder.dimension
    report.embedded = len(todo)
    old_ids = {i: known[keys[i]][0] for i in reused}
    server = build_on_server(settings, manifest, len(passages)) if settings.ray and todo else None
    if server is not None:
        return _insert_on_ray(passages, chunks, manifest, settings, server, previous, old_ids, todo, spans, progress)
    counts = [len(spans[i]) if i in spans else known[keys[i]][1] for i in range(len(passages))]
    del known
    try:
        vectors = BuildVectors(settings.index_dir, manifest.dimension, counts)
    except OSError as err:
        raise BuildError(
            f"cannot write the new index's vectors in {settings.index_dir}/ ({err.strerror or err}): is the disk "
            "full? The previous index is kept"
        ) from None
    try:
        for ids, old_vectors, old_sentences in _reused_vectors(previous, old_ids):
            vectors.put(ids, old_vectors, old_sentences)
        if todo and settings.ray:
            for batch in _on_ray_or_fail(settings, manifest.precision, todo, passages, spans, progress):
                vectors.put(batch.ids, batch.vectors, batch.sentences)
        elif todo:
            longest_first = sorted(todo, key=lambda i: -len(passages[i].embedding_text))  # batches padded less
            with tqdm(total=len(todo), desc="Embedding", unit="passage", disable=not progress) as bar:
                for start in range(0, len(todo), EMBED_BLOCK):
                    block = longest_first[start : start + EMBED_BLOCK]
                    texts = [passages[i].embedding_text for i in block]
                    fresh = embedder.encode_with_sentences(texts, [spans[i] for i in block], settings.batch_size)
                    vectors.put(block, *fresh)
                    bar.update(len(block))
            return_freed_memory()  # the batches' activations, before BM25 and the passage store are built
        written = write_build(settings, manifest, passages, vectors, chunks)
    finally:
        vectors.close()
    return written


def _local_embedder(settings: Settings, precision: str, todo: bool) -> Embedder:
    """The model that embeds this build's passages on this machine. The query encoder's ONNX export
    is made first (copied from the machine's cache, else traced by a child process), so that
    searches start without torch. At fp32 the build embeds with that export too: its vectors are
    the torch model's (cosine >= 0.99999, tests/test_embed_onnx.py), as fast a batch
    (bench/RESULTS.md), and this process never imports torch, which saves an update its 2-3 s start
    and the build ~400 MiB."""
    if not (todo and onnx_wanted(settings)):
        return get_embedder(settings.model, precision)
    name, index_dir, cache = settings.model, settings.index_dir, cache_root(settings)
    exported = ensure_export(name, index_dir, cache)
    if exported and precision == "fp32":
        onnx = onnx_query_embedder(name, index_dir)
        if onnx is not None:
            return onnx
    embedder = get_embedder(name, precision)
    if exported is None:  # the child could not run: traced here, before the batches' activations exist
        export_query_encoder(embedder, index_dir, cache)
        return_freed_memory()
    return embedder


def _precision(settings: Settings, previous: VectorStore | None) -> str:
    """The precision of this build's vectors: as asked; with "auto", that of the build it adds to
    (an index is never re-embedded only because it is updated on another machine), else bf16
    where this CPU has it (rag.embed.resolve_precision)."""
    if settings.precision == "auto" and previous is not None:
        return previous.manifest.precision
    return resolve_precision(settings.precision)


REUSE_BLOCK = 256  # passages whose vectors are read from the previous build at a time


def _reused_vectors(previous: VectorStore | None, old_ids: dict[int, int]):
    """(ids in this build, their vectors, their sentence vectors), read from the previous build a
    block at a time."""
    mine = list(old_ids)
    for start in range(0, len(mine), REUSE_BLOCK):
        ids = mine[start : start + REUSE_BLOCK]
        theirs = [old_ids[i] for i in ids]
        yield ids, previous.vectors_of(theirs), previous.sentence_vectors_of(theirs)


def _insert_on_ray(passages, chunks, manifest, settings, server, previous, old_ids, todo, spans, progress) -> str:
    """A Ray build into a Milvus server: the workers insert the passages they embed, this process
    the ones reused from the previous build, then the build is made current."""
    words: set[str] = set()
    try:
        for ids, vectors, sentences in _reused_vectors(previous, old_ids):
            words |= server.insert(ids, [passages[i] for i in ids], vectors, sentences)
        for batch in _on_ray_or_fail(settings, manifest.precision, todo, passages, spans, progress, server):
            words |= batch.words
    except BaseException:
        server.abort()
        raise
    return server.commit(manifest, chunks, words)


def _on_ray_or_fail(settings, precision, todo, passages, spans, progress, sink=None):
    """The batches the cluster embeds; a BuildError that keeps the previous index if it fails."""
    from rag.distributed import embed_on_ray

    try:
        yield from embed_on_ray(
            settings.model, precision, todo, [passages[i] for i in todo], [spans[i] for i in todo],
            settings.batch_size, progress, sink,
        )  # fmt: skip
    except Exception as err:  # a cluster gone, a node lost beyond Ray's retries
        raise BuildError(
            f"the Ray build failed ({one_line(err)}): the previous index is kept; check the cluster "
            "(`ray status`) and run `rag index` again"
        ) from None


def _sentence_spans_in_embedding_text(passage: Passage) -> list[tuple[int, int]]:
    """The passage's sentences, as spans of its embedding text (which ends with the passage)."""
    offset = len(passage.embedding_text) - len(passage.text)
    return [(a + offset, b + offset) for a, b in sentence_spans(passage.text)]


def merge_duplicates(passages: list[Passage]) -> list[Passage]:
    """One passage per distinct text; the places that repeat it are listed in its also_in."""
    by_hash: dict[str, Passage] = {}
    for passage in passages:
        first = by_hash.get(passage.hash)
        if first is None:
            by_hash[passage.hash] = Passage(**{**passage.__dict__, "also_in": []})
        elif passage.location != first.location and passage.location not in first.also_in:
            first.also_in.append(passage.location)
            first.date = first.date or passage.date
    return list(by_hash.values())


@contextmanager
def _on_ray(address: str | None) -> Iterator[None]:
    if not address:
        yield
        return
    from rag.distributed import ray_cluster

    try:
        cluster = ray_cluster(address)
        cluster.__enter__()
    except ImportError:
        raise BuildError("--ray needs Ray: pip install 'rag-nk[ray]'") from None
    except Exception as err:  # no cluster at that address
        raise BuildError(f"cannot join the Ray cluster {address!r} ({one_line(err)}): is it running?") from None
    try:
        yield
    finally:
        cluster.__exit__(None, None, None)


@contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    with open(index_dir / ".build.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError(f"another `rag index` is already building {index_dir}/; wait for it to finish") from None
        handle.write(str(os.getpid()))
        handle.flush()
        yield
