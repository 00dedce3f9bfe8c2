"""The indexing pipeline: load -> clean -> chunk -> deduplicate -> embed -> write."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from rag.chunk import chunk_document
from rag.clean import clean_document, recurring_lines
from rag.embed import get_embedder
from rag.index import FileEntry, Manifest, write_index
from rag.lexical import LexicalIndex
from rag.load import RecordFields, SkipFile, corpus_root, iter_files, load_file
from rag.records import Document, Passage
from rag.settings import Settings

log = logging.getLogger(__name__)


class BuildError(RuntimeError):
    """The build cannot run; the message says why and what to do."""


@dataclass
class BuildReport:
    files: list[FileEntry] = field(default_factory=list)
    documents: int = 0
    passages: int = 0
    duplicates: int = 0
    seconds: float = 0.0

    @property
    def skipped(self) -> list[FileEntry]:
        return [f for f in self.files if f.skipped]

    def summary(self) -> str:
        text = (
            f"indexed {self.documents} documents from {len(self.files) - len(self.skipped)} files into "
            f"{self.passages} passages ({self.duplicates} duplicates merged) in {self.seconds:.1f}s"
        )
        return "\n".join([text, *(f"skipped {f.source}: {f.skipped}" for f in self.skipped)])


def build_index(settings: Settings, paths: list[Path] | None = None, progress: bool = True) -> BuildReport:
    """Read the corpus at `paths` (default: settings.corpus) and write a fresh index to settings.index_dir."""
    started = time.perf_counter()
    paths = [Path(p) for p in (paths or settings.corpus)]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise BuildError(f"no such file or folder: {', '.join(missing)}")
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    with _build_lock(settings.index_dir):
        root = corpus_root(paths)
        report = BuildReport()
        documents = _read(paths, root, settings, report, progress)
        recurring = recurring_lines(documents)
        chunked = [p for doc in documents for p in chunk_document(doc, clean_document(doc, recurring))]
        passages = merge_duplicates(chunked)
        counts: dict[str, int] = {}
        for p in chunked:
            name = p.source.split("#")[0]
            counts[name] = counts.get(name, 0) + 1
        for entry in report.files:
            entry.passages = counts.get(entry.source, 0)

        embedder = get_embedder(settings.model)
        texts = [embedding_text(p) for p in passages]
        vectors = embedder.encode(texts, batch_size=settings.batch_size, progress=progress)
        manifest = Manifest(
            model=settings.model,
            dimension=embedder.dimension,
            corpus_root=str(root),
            inputs=[p.resolve().relative_to(root).as_posix() for p in paths],
            files=report.files,
            documents=len(documents),
        )
        write_index(settings.index_dir, manifest, passages, vectors, LexicalIndex.build(texts))
        report.documents = len(documents)
        report.passages = len(passages)
        report.duplicates = len(chunked) - len(passages)
        report.seconds = time.perf_counter() - started
        return report


def _read(paths: list[Path], root: Path, settings: Settings, report: BuildReport, progress: bool) -> list[Document]:
    fields = RecordFields(settings.text_field, settings.title_field, settings.date_field, settings.url_field)
    documents: list[Document] = []
    for path in tqdm(list(iter_files(paths)), desc="Reading", unit="file", disable=not progress):
        source = path.resolve().relative_to(root).as_posix()
        try:
            data = path.read_bytes()
            entry = FileEntry(source=source, sha256=hashlib.sha256(data).hexdigest())
            documents.extend(load_file(path, root, fields))
        except SkipFile as reason:
            entry.skipped = str(reason)
        except OSError as err:
            entry = FileEntry(source=source, sha256="", skipped=f"cannot read ({err.strerror or err})")
        report.files.append(entry)
    return documents


def merge_duplicates(passages: list[Passage]) -> list[Passage]:
    """One passage per distinct text; the places that repeat it are listed in its also_in."""
    by_hash: dict[str, Passage] = {}
    for passage in passages:
        first = by_hash.get(passage.hash)
        if first is None:
            by_hash[passage.hash] = passage
        elif passage.location != first.location and passage.location not in first.also_in:
            first.also_in.append(passage.location)
            first.date = first.date or passage.date
    return list(by_hash.values())


def embedding_text(passage: Passage) -> str:
    """What is embedded and BM25-indexed: the passage with its title and section in front, so that
    a paragraph is found by what its document is about; users still see only the passage."""
    head = [h for h in (passage.title, passage.section) if h and h not in passage.text]
    return "\n".join([*head, passage.text])


@contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    with open(index_dir / ".build.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError(f"another `rag index` is already building {index_dir}/; wait for it to finish") from None
        yield
