"""The seam between the pipeline and where an index lives.

Two stores are built in: the local folder of FAISS, SQLite and BM25 files (rag.index, the default)
and a Milvus collection (rag.milvus_store: a Milvus Standalone or Distributed deployment, or a
Milvus Lite file). The build writes through `write_build`, the search reads through the
`VectorStore` that `open_store` gives; nothing else in rag knows which store it is using.

    RAG_STORE=faiss                         the index folder (settings.index_dir), the default
    RAG_STORE=milvus://HOST:19530           a Milvus server (`milvus+https://` for TLS)
    RAG_STORE=milvus:./rag.db               a Milvus Lite database on local disk
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from rag.index import Manifest
    from rag.lexical import LexicalHits
    from rag.milvus_store import MilvusBuild
    from rag.records import Passage
    from rag.settings import Settings
    from rag.vectors import BuildVectors


@runtime_checkable
class LexicalSearch(Protocol):
    """Keyword search over the passages (BM25): rag's own bm25s index, or a backend's own."""

    def search(self, query: str, n: int, allowed=None, also: Iterable[int] = (), variants: bool = False) -> LexicalHits:
        """The `n` best passages among `allowed` (as `VectorStore.select` gave it; None: all), the
        scores of the ids in `also`, and the corpus's best score for the question."""

    def scripts(self) -> set[str]:
        """The writing systems of the indexed words ('LATIN', 'HANGUL'...)."""

    def unknown(self, words: list[str]) -> list[str]:
        """Those of `words` that no indexed passage writes, in any spelling (rag.lexical.unknown_words)."""


@runtime_checkable
class VectorStore(Protocol):
    """A built index opened for searching. Ids are the store's own: whatever `search` and `select`
    return is what `get`, `vectors_of` and `best_sentences` take. A build is never changed
    in place (a changed corpus is a new build, swapped in whole), so there is no delete."""

    manifest: Manifest
    lexical: LexicalSearch

    def __len__(self) -> int: ...

    def search(self, query_vectors: np.ndarray, n: int, allowed=None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the n passages nearest each query vector by inner product, the FAISS
        convention: one row per query, id -1 where fewer qualify."""

    def select(self, sources: Sequence[str] = (), since: str | None = None, until: str | None = None):
        """The passages from these files within the date span, in the form `search` takes as
        `allowed` (FAISS: an id array; Milvus: a filter expression); len() of it is their number."""

    def get(self, ids: Sequence[int]) -> list[Passage]:
        """Passages by id, in the order asked."""

    def ids_containing(self, phrases: list[str], limit: int = 200) -> list[int]: ...

    def vectors_of(self, ids: Sequence[int]) -> np.ndarray: ...

    def best_sentences(self, query_vector: np.ndarray, ids: Sequence[int]) -> list[tuple[int, float] | None]:
        """For each passage, its sentence closest to the query vector: (position, cosine), None
        where the store holds no sentence vectors for it."""

    def file_chunks(self, file: str) -> list[Passage]:
        """A file's passages as chunked at the last build, before duplicates were merged."""

    def reusable(self) -> dict[str, tuple[int, int]]:
        """The passages whose vectors a next build may reuse: the hash of each one's embedded text
        -> (its id, how many sentence vectors it has); none in a build without sentence vectors."""

    def sentence_vectors_of(self, ids: Sequence[int]) -> list[np.ndarray]:
        """Each passage's sentence vectors (float32, one row a sentence)."""

    def sources(self) -> list[str]: ...

    def problem(self) -> str | None:
        """What makes the store unsafe to read right now (a file cut short), checked before each search."""

    def verify(self) -> str | None:
        """What of the build no longer holds what was written (reads all of it; before reusing it)."""

    def refresh(self) -> None:
        """Follow a build that other processes swapped in since the store was opened."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class StoreAddress:
    kind: str  # "faiss" | "milvus"
    uri: str = ""  # for Milvus: what MilvusClient takes (http://HOST:PORT, or a Lite database path)
    token: str | None = field(default=None, repr=False)  # Milvus "USER:PASSWORD" or API key

    @property
    def lite(self) -> bool:
        return self.kind == "milvus" and not self.uri.startswith(("http://", "https://"))


def parse_store(value: str) -> StoreAddress:
    """`faiss`, `milvus://HOST[:PORT]`, `milvus+https://HOST[:PORT]` or `milvus:PATH` (Milvus Lite)."""
    text = (value or "faiss").strip()
    if text == "faiss":
        return StoreAddress("faiss")
    for prefix, scheme in (("milvus://", "http://"), ("milvus+https://", "https://")):
        if text.startswith(prefix) and len(text) > len(prefix):
            host = text[len(prefix) :].rstrip("/")
            return StoreAddress("milvus", scheme + (host if ":" in host else host + ":19530"))
    if text.startswith("milvus:") and len(text) > len("milvus:") and not text.startswith(("milvus://", "milvus+")):
        return StoreAddress("milvus", text[len("milvus:") :])
    raise ValueError(f"store must be faiss, milvus://HOST:PORT or milvus:PATH.db (Milvus Lite), not {value!r}")


def store_address(settings: Settings) -> StoreAddress:
    return replace(parse_store(settings.store), token=settings.milvus_token)


def where_index(settings: Settings) -> str:
    """Where the index is, in words: the folder, or the Milvus collection."""
    if parse_store(settings.store).kind == "milvus":
        return f"{settings.store} (collection {settings.collection})"
    return f"{settings.index_dir}/"


def open_store(settings: Settings, model: str | None = None) -> VectorStore:
    """The current build of the configured store, checked against `model` when given."""
    address = store_address(settings)
    if address.kind == "milvus":
        from rag.milvus_store import MilvusStore

        return MilvusStore(address, settings.collection, model)
    from rag.index import StoredIndex

    return StoredIndex(settings.index_dir, model)


def all_passages(store: VectorStore, block: int = 1000) -> Iterator[Passage]:
    """Every passage of a build, in id order, read a block at a time."""
    for start in range(0, len(store), block):
        yield from store.get(list(range(start, min(start + block, len(store)))))


def store_exists(settings: Settings) -> bool:
    """Whether the configured store holds a build to search."""
    address = store_address(settings)
    if address.kind == "milvus":
        from rag.milvus_store import build_exists

        return build_exists(address, settings.collection)
    from rag.index import index_exists

    return index_exists(settings.index_dir)


def current_manifest(settings: Settings) -> Manifest | None:
    """The manifest of the current build when it is whole, without opening the index (None: no
    usable build; look closer)."""
    address = store_address(settings)
    if address.kind == "milvus":
        from rag.milvus_store import read_manifest

        return read_manifest(address, settings.collection)
    from rag.index import whole_manifest

    return whole_manifest(settings.index_dir)


def write_build(
    settings: Settings,
    manifest: Manifest,
    passages: list[Passage],
    vectors: BuildVectors,
    chunks: dict[str, list[Passage]],
) -> str:
    """Write a complete new build into the configured store and make it the current one in one step;
    a search sees the old build or the new one, never half of one. Returns where it was written."""
    address = store_address(settings)
    if address.kind == "milvus":
        from rag.milvus_store import write_collection

        return write_collection(address, settings.collection, manifest, passages, vectors, chunks)
    from rag.index import write_index
    from rag.lexical import LexicalIndex

    lexical = LexicalIndex.build([p.lexical_text for p in passages])
    path = write_index(
        settings.index_dir,
        manifest,
        passages,
        vectors.vectors,
        lexical,
        chunks,
        settings.faiss_index,
        settings.ann_threshold,
        vectors.sentences,
    )
    return str(path)


def build_on_server(settings: Settings, manifest: Manifest, count: int) -> MilvusBuild | None:
    """A new build of `count` passages that the workers of a Ray build insert into themselves: a
    Milvus server's. None for the FAISS folder and Milvus Lite, which only this process writes."""
    address = store_address(settings)
    if address.kind != "milvus" or address.lite:
        return None
    from rag.milvus_store import MilvusBuild

    return MilvusBuild.begin(address, settings.collection, manifest, count, upsert=True)
