"""BM25's top n by MaxScore (rag.lexical.LexicalIndex._top_by_maxscore) equals the exhaustive top n:
the same scores, for random questions over a corpus with long and short lists."""

from __future__ import annotations

import random

import numpy as np
import pytest

import rag.lexical as lexical_module
from rag.lexical import BOUNDS_FILE, LexicalIndex

WORDS = [f"w{i}x" for i in range(400)]


def corpus(n: int = 4000, seed: int = 0) -> list[str]:
    """Texts whose words follow Zipf's law: a few words in most texts, most words in a few."""
    rng = random.Random(seed)
    weights = [1 / (i + 1) for i in range(len(WORDS))]
    return [" ".join(rng.choices(WORDS, weights, k=rng.randint(3, 60))) for _ in range(n)]


@pytest.fixture(autouse=True)
def maxscore_at_any_size(monkeypatch):
    monkeypatch.setattr(lexical_module, "MAXSCORE_MIN_POSTINGS", 0)  # this corpus is far below the real threshold


@pytest.fixture(scope="module")
def index() -> LexicalIndex:
    return LexicalIndex.build(corpus())


def questions(count: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    weights = [1 / (i + 1) ** 0.5 for i in range(len(WORDS))]
    return [" ".join(rng.choices(WORDS, weights, k=rng.randint(1, 9))) for _ in range(count)]


def exhaustive(index: LexicalIndex, query: str, n: int, also=()):
    index.use_bounds = False
    try:
        return index.top(query, n), index.search(query, n, also=also)
    finally:
        index.use_bounds = True


def same_top(a: dict[int, float], b: dict[int, float]) -> None:
    assert len(a) == len(b)
    assert np.allclose(sorted(a.values()), sorted(b.values()), atol=1e-5)
    cut = min(a.values(), default=0.0)
    # Ids may differ only among passages tied at the n-th score.
    assert {i for i, s in a.items() if s > cut + 1e-5} == {i for i, s in b.items() if s > cut + 1e-5}


@pytest.mark.parametrize("share", [0.5, 1.0])  # 1.0: never the exhaustive fallback
def test_top_equals_exhaustive_top_on_random_questions(index, share, monkeypatch):
    monkeypatch.setattr(lexical_module, "MAXSCORE_SHARE", share)
    assert index.bounds is not None
    rng = random.Random(2)
    for query in questions(300):
        n = rng.choice([1, 3, 10, 100, 1000])
        also = rng.sample(range(4000), 20)
        top, hits = exhaustive(index, query, n, also)
        same_top(index.top(query, n), top)
        fast = index.search(query, n, also=also)
        same_top(fast.top, hits.top)
        assert fast.best == pytest.approx(hits.best, abs=1e-5)
        assert fast.scores.keys() == hits.scores.keys()
        assert np.allclose([fast.scores[i] for i in also], [hits.scores[i] for i in also], atol=1e-5)


def test_rare_words_skip_the_long_lists(index, monkeypatch):
    expected = exhaustive(index, "w0x w1x w390x", 10)[0]
    read = []
    postings = LexicalIndex._postings
    monkeypatch.setattr(LexicalIndex, "_postings", lambda self, term: read.append(term) or postings(self, term))
    monkeypatch.setattr(LexicalIndex, "_scores_of_ids", lambda self, ids: pytest.fail("summed every posting"))
    top = index.top("w0x w1x w390x", 10)  # two words in most texts, one in a few
    assert len(top) == 10 and len(read) >= 3  # the long lists only looked up in
    same_top(top, expected)


def test_repeated_words_count_twice_as_in_the_exhaustive_sum(index):
    for query in ("w0x w0x w3x", "w7x w7x w7x w150x", "w1x w2x w2x"):
        same_top(index.top(query, 50), exhaustive(index, query, 50)[0])


def test_saved_index_keeps_its_bounds(tmp_path, index):
    index.save(tmp_path / "bm25")
    assert (tmp_path / "bm25" / BOUNDS_FILE).exists()
    loaded = LexicalIndex.load(tmp_path / "bm25", 4000)
    assert np.array_equal(loaded.bounds, index.bounds)
    for query in questions(50, seed=5):
        same_top(loaded.top(query, 100), exhaustive(loaded, query, 100)[0])
    (tmp_path / "bm25" / BOUNDS_FILE).unlink()  # as an index saved before the bounds were kept
    assert LexicalIndex.load(tmp_path / "bm25", 4000).bounds is None  # read exhaustively
    LexicalIndex.write_bounds(tmp_path / "bm25", loaded.retriever)
    assert np.array_equal(LexicalIndex.load(tmp_path / "bm25", 4000).bounds, index.bounds)


def test_filtered_and_unknown_words_as_before(index):
    allowed = np.arange(0, 4000, 3, dtype=np.int64)
    inside = index.top("w0x w9x w200x", 10, allowed)
    assert set(inside) <= set(allowed.tolist()) and len(inside) == 10
    assert index.top("nothing here", 10) == {} and index.search("nothing", 10).best == 0.0


def test_small_question_lists_are_summed_whole(index, monkeypatch):
    monkeypatch.setattr(lexical_module, "MAXSCORE_MIN_POSTINGS", 10**9)
    monkeypatch.setattr(LexicalIndex, "_top_by_maxscore", lambda *a: pytest.fail("MaxScore below its threshold"))
    assert len(index.top("w0x w1x w390x", 10)) == 10 and index.search("w0x w5x", 10).top
