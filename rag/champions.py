"""BM25 at many millions of passages: each long word list searched through its champions.

Summing every posting of a question's words is exact and fast up to a million or two passages, but
at 10M a common word has millions of postings, and summing them took 65-85 ms a question here at
the median, 180-300 ms at p95 (bench/RESULTS.md). A word whose list is longer than PRUNED_FROM
keeps, beside its whole list, its CHAMPIONS postings of highest score (static index pruning:
"champion lists", Manning, Raghavan and Schuetze, Introduction to Information Retrieval, 7.1.3).
A question sums the champions of its long words and the whole lists of its short ones, takes the
RESCORED passages of highest sum, and scores those (and any passage asked about) exactly, from the
whole lists: every score it returns is the passage's true BM25 score; what can differ from the
exhaustive sum is which passages make the list.

The champions are written beside bm25s's own arrays (`champions.*.npy`), only for an index of at
least PRUNED_INDEX passages, and read only when there. The sizes were chosen on the 10M synthetic
corpus (bench/bm25_champions.py): 40,000 champions and 4,000 passages rescored find 0.93 of the
exhaustive top 10 in a third of its time. That corpus is the worst case: its words are KCNA's 6,617
stems, all common; a real corpus's rare words have short lists, which are read whole (not measured
at this size). A search within a filter still sums every posting."""

from __future__ import annotations

from pathlib import Path

import numpy as np

PRUNED_INDEX = 2_000_000
PRUNED_FROM = 100_000
CHAMPIONS = 40_000
RESCORED = 4_000
_FILES = ("indptr", "indices", "data")


def write_champions(
    folder: Path, champions: int = CHAMPIONS, pruned_from: int = PRUNED_FROM, into: Path | None = None
) -> int:
    """Writes the champion lists of the bm25s index in `folder` (into `folder`, or `into`); returns
    how many words have one. Nothing is written when a long list is not sorted by passage (the exact
    lookup needs that)."""
    indptr = np.load(folder / "indptr.csc.index.npy")
    indices = np.load(folder / "indices.csc.index.npy", mmap_mode="r")
    data = np.load(folder / "data.csc.index.npy", mmap_mode="r")
    lengths = np.diff(indptr)
    long = np.flatnonzero(lengths > max(pruned_from, champions))
    kept_indptr = np.zeros(len(indptr), dtype=np.int64)
    kept_indptr[long + 1] = champions
    kept_indptr = np.cumsum(kept_indptr)
    kept_indices = np.empty(int(kept_indptr[-1]), dtype=np.int32)
    kept_data = np.empty(int(kept_indptr[-1]), dtype=np.float32)
    for term in long:
        start, end = int(indptr[term]), int(indptr[term + 1])
        rows = np.asarray(indices[start:end])
        if np.any(rows[1:] <= rows[:-1]):
            return 0
        weights = np.asarray(data[start:end])
        best = np.sort(np.argpartition(weights, len(weights) - champions)[len(weights) - champions :])
        at = slice(int(kept_indptr[term]), int(kept_indptr[term + 1]))
        kept_indices[at], kept_data[at] = rows[best], weights[best]
    for name, array in zip(_FILES, (kept_indptr, kept_indices, kept_data)):
        np.save((into or folder) / f"champions.{name}.npy", array)
    return len(long)


class Champions:
    """The champion lists of one index, beside its whole lists (bm25s's csc arrays)."""

    def __init__(self, folder: Path, matrix: dict):
        self.whole = matrix["indptr"], matrix["indices"], matrix["data"]
        self.kept = tuple(np.load(folder / f"champions.{name}.npy", mmap_mode="r") for name in _FILES)

    @classmethod
    def load(cls, folder: Path, matrix: dict) -> Champions | None:
        return cls(folder, matrix) if (folder / "champions.indptr.npy").exists() else None

    def candidates(self, terms: list[int]) -> np.ndarray:
        """The RESCORED passages (at most) of highest sum over the champions of the long words and the
        whole lists of the short ones, sorted."""
        rows, weights = zip(*map(self._postings, terms)) if terms else ((), ())
        if not rows or not sum(map(len, rows)):
            return np.zeros(0, dtype=np.int64)
        passages, inverse = np.unique(np.concatenate(rows), return_inverse=True)
        summed = np.bincount(inverse, weights=np.concatenate(weights))
        if len(passages) > RESCORED:
            passages = np.sort(passages[np.argpartition(summed, len(summed) - RESCORED)[-RESCORED:]])
        return passages.astype(np.int64)

    def _postings(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        """The word's champions (passages, scores), or its whole list when it is short."""
        indptr, indices, data = self.kept
        start, end = int(indptr[term]), int(indptr[term + 1])
        if end == start:
            indptr, indices, data = self.whole
            start, end = int(indptr[term]), int(indptr[term + 1])
        return indices[start:end], data[start:end]

    def exact(self, terms: list[int], passages: np.ndarray) -> np.ndarray:
        """The BM25 score of each of the (sorted) passages: each word's posting looked up in its
        whole list, sorted by passage."""
        indptr, indices, data = self.whole
        out = np.zeros(len(passages), dtype=np.float64)
        for term in terms:
            start, end = int(indptr[term]), int(indptr[term + 1])
            if end == start:
                continue
            listed = indices[start:end]
            at = np.minimum(np.searchsorted(listed, passages), end - start - 1)
            found = listed[at] == passages
            out[found] += data[start + at[found]]
        return out
