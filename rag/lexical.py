"""BM25 over passages (bm25s: sparse-matrix BM25, Lucene's scoring variant, Robertson et al. 1994),
with English stop words and the Snowball stemmer, saved as plain .npy/.json files.

Korean, Chinese and Japanese words also give their character bigrams, as Lucene's CJK analyser
does: a Korean noun is written with its particle attached ("과학기술전당에서"), so the bare
noun in a question matches only through the pieces the two share."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3]{3,}")


def tokenize(texts: list[str]) -> list[list[str]]:
    import bm25s

    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)
    return [_with_cjk_bigrams(words) for words in tokens]


def _with_cjk_bigrams(words: list[str]) -> list[str]:
    bigrams = [run[i : i + 2] for word in words for run in _CJK_RUN.findall(word) for i in range(len(run) - 1)]
    return words + bigrams if bigrams else words


class LexicalIndex:
    def __init__(self, retriever, size: int):
        self.retriever = retriever
        self.size = size

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        import bm25s

        retriever = bm25s.BM25()
        if texts:
            retriever.index(tokenize(texts), show_progress=False)
        return cls(retriever, len(texts))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self.size:
            self.retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> LexicalIndex:
        import bm25s

        if size == 0:
            return cls.build([])
        return cls(bm25s.BM25.load(str(folder), mmap=True, show_progress=False), size)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage for the query (zeros when no query word is indexed)."""
        return self._scores(query).astype(np.float32)

    def _scores(self, query: str) -> np.ndarray:
        tokens = tokenize([query])[0] if self.size else []
        ids = self.retriever.get_tokens_ids(tokens) if tokens else []
        if not ids:
            return np.zeros(self.size)
        # The postings of the query's words, summed per passage in one pass (bincount): bm25s's own
        # numpy path uses np.add.at, several times slower on the long postings of a large corpus.
        matrix = self.retriever.scores
        indptr, indices, data = matrix["indptr"], matrix["indices"], matrix["data"]
        spans = [(int(indptr[t]), int(indptr[t + 1])) for t in ids]
        rows = np.concatenate([indices[a:b] for a, b in spans])
        weights = np.concatenate([data[a:b] for a, b in spans])
        scores = np.bincount(rows, weights=weights, minlength=self.size)
        nonoccurrence = getattr(self.retriever, "nonoccurrence_array", None)
        if nonoccurrence is not None:  # BM25L/BM25+ variants; the default (Lucene) has none
            scores += nonoccurrence[ids].sum()
        return scores

    def top(self, query: str, n: int, allowed: np.ndarray | None = None) -> dict[int, float]:
        """The (at most) n passages with the highest positive BM25 score, among `allowed` ids when
        given: {passage id: score}."""
        scores = self._scores(query)
        ids = None if allowed is None else np.asarray(allowed, dtype=np.int64)
        if ids is not None:
            scores = scores[ids]
        top = top_n(scores, n)
        top = top[scores[top] > 0]
        values = scores[top].astype(np.float32).tolist()
        return dict(zip((top if ids is None else ids[top]).tolist(), values))


def top_n(scores: np.ndarray, n: int) -> np.ndarray:
    """Positions of the n highest scores (any order), without a selection over every score: the
    n-th highest of the block maxima bounds the n-th highest score from below, so only the scores at
    or above it need sorting (exact; at a million passages several times faster than argpartition)."""
    size = len(scores)
    if n <= 0 or not size:
        return np.zeros(0, dtype=np.int64)
    if n >= size:
        return np.arange(size)
    block = size // (4 * n)
    if block < 16:
        return np.argpartition(scores, size - n)[size - n :]
    full = size - size % block
    maxima = scores[:full].reshape(-1, block).max(axis=1)
    bound = np.partition(maxima, len(maxima) - n)[len(maxima) - n]
    candidates = np.flatnonzero(scores >= bound)
    if len(candidates) <= n:
        return candidates
    return candidates[np.argpartition(scores[candidates], len(candidates) - n)[len(candidates) - n :]]
