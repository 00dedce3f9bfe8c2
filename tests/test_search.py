"""Hybrid search with the real model over the real seed index."""

from __future__ import annotations

import itertools

import pytest

from rag.evaluate import answer_rank, evaluate, read_questions
from rag.retrieve import QueryError

from .conftest import REPO

pytestmark = pytest.mark.slow


@pytest.fixture(params=["faiss", "milvus"])
def searcher(request, searcher):
    """Every search test here runs on both stores: the FAISS folder and Milvus (Lite, in-process)."""
    return searcher if request.param == "faiss" else request.getfixturevalue("milvus_searcher")


PARAPHRASED = [
    ("Which company made an antivirus program?", "Jiu Economic Technology Development Company"),
    ("Who went on a test ride of the passenger train to North Korea?", "trial run of passenger train"),
    ("Why did South Korea turn the border loudspeakers back on?", "authorized loudspeaker use near border"),
    ("What did Russia and the DPRK show at the exhibition of IT products?", "DPRK-Russia IT Goods Exhibition"),
    ("Where are cancer medicines made from traditional remedies studied?", "Koryo Medicine General Hospital"),
]


@pytest.mark.parametrize(("question", "answer"), PARAPHRASED)
def test_paraphrased_question_finds_its_passage_in_the_top_5(searcher, question, answer):
    # Written by the first round's tuners (a dev set: what the held-out sets say comes first).
    hits = searcher.search(question, k=5)
    rank = answer_rank(hits, [answer])
    assert rank is not None and rank <= 5, [h.passage.text[:80] for h in hits]


def test_the_abstract_answers_why_science_cooperation_is_with_china(searcher):
    # Rank 5 with 150-word passages, 9 with 200 (chosen on the held-out tune questions, bench/RESULTS.md):
    # the whole abstract is one passage now, and the paper's cooperation tables share more of the words.
    question = "Why does North Korea's science cooperation focus on China?"
    answer = ["hampered by international sanctions"]
    ranks = {k: answer_rank(searcher.search(question, k=k), answer) for k in (10, 20, 50)}
    assert ranks[10] is not None and ranks[10] <= 10, ranks
    assert len(set(ranks.values())) == 1, ranks  # the same place whatever k is asked for


def test_results_never_repeat_text(searcher):
    from dataclasses import replace

    from rag.retrieve import Searcher

    no_mmr = Searcher(replace(searcher.settings, diversity=0.0))
    for question in ("North Korea balloons", "May Day in the DPRK", "Russian railway"):
        for hits in (searcher.search(question, k=10), no_mmr.search(question, k=10)):
            texts = [" ".join(h.passage.text.casefold().split()) for h in hits]
            assert len(texts) == len(set(texts))
            assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
        # Without MMR the order is the score's; with it a passage like one above may wait its turn.
        assert all(a.score >= b.score for a, b in itertools.pairwise(hits))


def test_highlight_marks_the_answering_sentence(searcher):
    hit = searcher.search("When did the cruise missile launching drill take place?", k=1)[0]
    start, end = hit.highlight
    assert 0 <= start < end <= len(hit.passage.text)
    assert "launching drill" in hit.passage.text[start:end]


def test_highlight_comes_from_the_index_without_encoding_sentences(searcher, monkeypatch):
    calls = []
    encode = searcher.embedder.embed_batch  # every encoding goes through it
    monkeypatch.setattr(
        searcher.embedder, "embed_batch", lambda texts, *a, **kw: calls.append(len(texts)) or encode(texts)
    )
    hits = searcher.search("When did the cruise missile launching drill take place?", k=5)
    assert calls == [1]  # the question alone
    assert all(h.highlight for h in hits)


def test_an_index_without_sentence_vectors_still_gets_highlights(seed_index):
    from rag.retrieve import Searcher

    settings, _ = seed_index
    searcher = Searcher(settings)
    searcher.index.sentence_starts = None  # as in an index written without them
    hit = searcher.search("When did the cruise missile launching drill take place?", k=1)[0]
    start, end = hit.highlight
    assert "launching drill" in hit.passage.text[start:end]
    searcher.close()


def test_citation_lines_hold_the_passage(searcher, seed_index):
    settings, _ = seed_index
    from rag.index import StoredIndex

    root = StoredIndex(settings.index_dir).manifest.corpus_root
    for hit in searcher.search("science and technology cooperation", k=10):
        p = hit.passage
        lines = (REPO / "seeds" / p.source.split("/", 1)[1]).read_text().split("\n")[p.start_line - 1 : p.end_line]
        cited = "".join("".join(lines).split()).replace("-", "").casefold()
        assert "".join(p.text.split()).replace("-", "").casefold() in _nfkc(cited), p.location
        assert root.endswith(REPO.name) or root  # corpus root is recorded


def _nfkc(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKC", text)


def test_empty_question_is_refused_with_a_message(searcher):
    with pytest.raises(QueryError, match="empty"):
        searcher.search("   ")


def test_context_shows_numbered_source_lines(searcher):
    hit = searcher.search("Which company made an antivirus program?", k=1)[0]
    context = searcher.context(hit.passage)
    assert f">{hit.passage.start_line:>5}  " in context  # cited lines are marked
    assert "Jiu" in context


def test_seed_dev_set_scores(searcher):
    questions = read_questions(REPO / "tests" / "data" / "dev_seeds.jsonl")
    report = evaluate(questions, lambda q, k: searcher.search(q, k))
    assert report.questions >= 30
    # Measured 0.93 / 1.00 with convex fusion (bench/RESULTS.md); a drop below these is a regression.
    assert report.hit_at_1 >= 0.85
    assert report.hit_at_5 >= 0.95


def test_quoted_phrase_keeps_only_passages_containing_it(searcher):
    hits = searcher.search('"filth balloons" launched toward the South', k=5)
    assert hits and all("filth balloons" in h.passage.text.casefold() for h in hits)
    assert searcher.search('"no such phrase anywhere in the seeds"', k=5) == []


def test_filters_limit_results_to_a_file_and_a_date_span(searcher):
    from rag.retrieve import Filters

    only_001 = Filters(sources=("seeds/001_f54d5b30b2e3cbbe.txt",))
    hits = searcher.search("computer virus scanner", k=5, filters=only_001)
    assert hits
    for hit in hits:
        places = [hit.passage.location, *hit.passage.also_in]
        assert any(p.startswith("seeds/001_f54d5b30b2e3cbbe.txt") for p in places)
    june = Filters(since="2024-06-08", until="2024-06-30")
    hits = searcher.search("balloons", k=5, filters=june)
    assert hits and all("2024-06-08" <= h.passage.date <= "2024-06-30" for h in hits)
    assert searcher.search("balloons", k=5, filters=Filters(sources=("seeds/none.txt",))) == []


def test_mmr_holds_back_a_passage_like_one_already_ranked():
    import numpy as np

    from rag.fusion import maximal_marginal_relevance

    same, other = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    vectors = np.stack([same, same, other, other * 0.6 + same * 0.8])
    ids, relevance = [10, 11, 12, 13], [1.0, 0.99, 0.6, 0.5]
    assert maximal_marginal_relevance(ids, relevance, vectors, 0.0) == ids
    assert maximal_marginal_relevance(ids, relevance, vectors, 0.5)[:2] == [10, 12]  # the copy of 10 waits


def test_diversity_changes_the_order_but_not_what_is_found(seed_index):
    from dataclasses import replace

    from rag.retrieve import Searcher

    settings, _ = seed_index
    question = "Russian tourists travel to North Korea by train"
    plain = Searcher(replace(settings, diversity=0.0)).search(question, k=10, highlight=False)
    diverse = Searcher(replace(settings, diversity=0.6)).search(question, k=10, highlight=False)
    assert diverse[0].passage.hash == plain[0].passage.hash  # the best passage stays first
    assert [h.passage.hash for h in diverse] != [h.passage.hash for h in plain]


def test_the_source_filter_matches_whole_file_names_non_ascii_ones_too(tmp_path):
    """A story repeated in two files is one passage listing the other file in also_in: the filter
    finds it by either name, exactly (a.txt is not a.txt2.md), whatever the script of the name."""
    from rag.build import build_index
    from rag.retrieve import Filters, Searcher
    from rag.settings import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    story = "Rail link\n\nThe Tumangang rail link carried {} passengers in its first week of service.\n"
    (corpus / "a.txt").write_text(story.format("41"))
    for name in ("b.txt", "a.txt2.md"):
        (corpus / name).write_text(story.format("52"))
    for name in ("x.txt", "조선중앙통신.txt"):
        (corpus / name).write_text(story.format("74"))
    settings = Settings.from_env(environ={}, index_dir=tmp_path / "idx", corpus=[corpus])
    build_index(settings, progress=False)
    searcher = Searcher(settings)
    for name, figure in (("corpus/a.txt", "41"), ("corpus/a.txt2.md", "52"), ("corpus/조선중앙통신.txt", "74")):
        hits = searcher.search("rail link passengers", k=5, filters=Filters(sources=(name,)))
        assert [figure in h.passage.text for h in hits] == [True], (name, [h.passage.text for h in hits])
