"""rag: semantic search with citations over scraped news pages, papers and JSON exports.

The Python API, in three lines:

    import rag
    index = rag.open_index("index/")          # or rag.open_index(store="milvus://host:19530")
    hits = index.search("Which company made an antivirus program?", k=5)

Each `Hit` holds its `passage` (text, source file, lines, date, url, where else it appears), its
score, its rank and the span of its best sentence. `rag.build_index` builds or refreshes an index.
Settings not given here come from RAG_* environment variables, then the defaults (rag.settings).
Importing rag loads no model and changes nothing: the model loads on the first search.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

from rag.build import BuildError, BuildReport
from rag.embed import Embedder, ModelError
from rag.index import IndexUnusable
from rag.records import Hit, Passage
from rag.retrieve import Filters, QueryError, Searcher
from rag.settings import Settings, SettingsError
from rag.store import LexicalSearch, VectorStore

__all__ = [
    "BuildError",
    "BuildReport",
    "Embedder",
    "Filters",
    "Hit",
    "Index",
    "IndexUnusable",
    "LexicalSearch",
    "ModelError",
    "Passage",
    "QueryError",
    "Settings",
    "SettingsError",
    "VectorStore",
    "build_index",
    "open_index",
]


class Index:
    """An index opened for searching. Use it as a context manager, or call close()."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._searcher = Searcher(settings)

    def search(
        self,
        question: str,
        k: int = 5,
        *,
        sources: tuple[str, ...] | list[str] = (),
        since: str | None = None,
        until: str | None = None,
    ) -> list[Hit]:
        """The k passages that best answer the question, best first; `sources` (file names as in
        `sources()`), `since` and `until` (YYYY-MM-DD) limit where they may come from."""
        filters = Filters(tuple(sources), since, until)
        return self._searcher.search(question, k=k, filters=filters if filters.active else None)

    def sources(self) -> list[str]:
        """The indexed files."""
        return self._searcher.index.sources()

    def __len__(self) -> int:
        return len(self._searcher.index)

    def close(self) -> None:
        self._searcher.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_index(
    path: str | PathLike[str] = "index", *, store: str | None = None, collection: str | None = None, **settings
) -> Index:
    """The index in folder `path` (or, with `store="milvus://HOST:PORT"` or `"milvus:FILE.db"`, in
    that Milvus collection). Other keyword arguments are settings (`model`, `fusion`, `diversity`...)."""
    return Index(Settings.from_env(index_dir=Path(path), store=store, collection=collection, **settings))


def build_index(
    corpus: str | PathLike[str] | list[str | PathLike[str]] = "seeds",
    path: str | PathLike[str] = "index",
    *,
    store: str | None = None,
    collection: str | None = None,
    full: bool = False,
    progress: bool = False,
    **settings,
) -> BuildReport:
    """Index the files and folders of `corpus` into `path` (or the Milvus `store`); only what changed
    since the last build is read and embedded again, unless `full`."""
    from rag.build import build_index as build

    paths = [Path(p) for p in (corpus if isinstance(corpus, list) else [corpus])]
    chosen = Settings.from_env(index_dir=Path(path), store=store, collection=collection, corpus=paths, **settings)
    return build(chosen, progress=progress, full=full)
