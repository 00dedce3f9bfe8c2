"""Champion lists (rag.champions): BM25 over the best postings of each long word list, on real
KCNA text, against the exhaustive sum of every posting. The thresholds are lowered so that a few
thousand passages have long lists; the 10M figures are bench/bm25_champions.py's."""

import numpy as np
import pytest

from rag.champions import Champions, write_champions
from rag.lexical import LexicalIndex
from tests.conftest import kcna_records

QUESTIONS = [
    "What did Kim Jong Un say about the nuclear force at the missile launch?",
    "greetings from the president of Russia on the founding anniversary",
    "flood damage rehabilitation in North Phyongan Province",
    "wheat harvest in Ryanggang Province",
    "Kim Yo Jong press statement on the drone over Pyongyang",
    "United States military exercises with south Korea",
    "zebra",
]


@pytest.fixture(scope="module")
def indexes(tmp_path_factory):
    """(exhaustive, pruned) over the same saved index of the KCNA stories' paragraphs."""
    texts = [line for r in kcna_records() for line in (r.get("story_text") or "").splitlines() if len(line) > 80]
    folder = tmp_path_factory.mktemp("bm25")
    LexicalIndex.build(texts[:6000]).save(folder)
    assert write_champions(folder, champions=100, pruned_from=200) > 20
    exhaustive = LexicalIndex.load(folder, min(len(texts), 6000))
    assert exhaustive.champions is not None  # written beside the index: read whenever there
    pruned = LexicalIndex.load(folder, exhaustive.size)
    exhaustive.champions = None
    return exhaustive, pruned


def test_every_score_given_is_the_exhaustive_one(indexes):
    exhaustive, pruned = indexes
    also = np.arange(0, exhaustive.size, 97)
    for question in QUESTIONS:
        whole = exhaustive.scores(question)
        found = pruned.search(question, 20, also=also)
        for pid, score in found.top.items():
            assert score == pytest.approx(whole[pid], rel=1e-5)
        assert found.scores == pytest.approx({int(p): float(whole[p]) for p in also}, rel=1e-5)
        assert found.best <= whole.max() + 1e-5


def test_the_exhaustive_top_ten_is_found(indexes, monkeypatch):
    exhaustive, pruned = indexes
    monkeypatch.setattr("rag.champions.RESCORED", 200)
    shares, same = [], 0
    for question in QUESTIONS[:-1]:
        # pruned: fewer passages scored than the words reach
        assert len(pruned.champions.candidates(pruned._terms(question))) < (exhaustive.scores(question) > 0).sum()
        wanted, found = exhaustive.search(question, 10), pruned.search(question, 10)
        shares.append(len(set(found.top) & set(wanted.top)) / len(wanted.top))
        # KCNA repeats paragraphs word for word: compare the scores too, which ties cannot reorder
        same += sorted(found.top.values()) == pytest.approx(sorted(wanted.top.values()), rel=1e-5)
        assert found.best == pytest.approx(wanted.best)
    assert np.mean(shares) >= 0.9 and same >= len(QUESTIONS) - 2
    assert pruned.search("zebra", 10).top == {}


def test_a_filter_still_searches_every_posting(indexes):
    exhaustive, pruned = indexes
    allowed = np.arange(0, exhaustive.size, 3, dtype=np.int64)
    question = QUESTIONS[0]
    assert pruned.search(question, 10, allowed).top == exhaustive.search(question, 10, allowed).top


def test_small_indexes_get_no_champions(tmp_path):
    LexicalIndex.build([f"kim jong un visits factory {i}" for i in range(300)]).save(tmp_path)
    assert not list(tmp_path.glob("champions.*"))
    assert Champions.load(tmp_path, LexicalIndex.load(tmp_path, 300).retriever.scores) is None
