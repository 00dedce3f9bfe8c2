"""A question typed without capitals is given those its words have in the passages found for it:
the reading of months, names and who wrote to whom needs them, though the model and BM25 do not."""

from __future__ import annotations

import datetime as dt

from rag.query import parse_query
from rag.truecase import caseless, truecase

from .conftest import stories_naming


def test_a_question_says_nothing_by_its_capitals_when_it_has_none_or_only_capitals():
    assert caseless("what did choe son hui say in september?")
    assert caseless("What did choe son hui say?")  # a capital opening the question says nothing
    assert caseless("WHAT DID CHOE SON HUI SAY?")
    assert not caseless("What did Choe Son Hui say?")
    assert not caseless("1234 ?")


def test_words_get_the_capitals_real_kcna_stories_write_them_with():
    texts = [r["story_text"] for r in stories_naming("Choe Son Hui", 20)]
    question = "what did choe son hui, dprk foreign minister, say to the minister in september?"
    cased = truecase(question, texts)
    assert "Choe Son Hui" in cased and "DPRK" in cased
    # Words the stories write in small letters as often stay so, whatever opens their sentences.
    assert cased.startswith("what did") and "to the minister in" in cased
    assert truecase(question.upper(), texts) == cased


def test_a_caseless_question_reads_its_month_and_sender_again():
    texts = [r["story_text"] for r in stories_naming("Choe Son Hui", 20)]
    today = dt.date(2024, 11, 10)
    question = "Which minister did Choe Son Hui greet in September?"
    read = parse_query(truecase(question.lower(), [*texts, "It was held in September."]), today)
    assert read.spans == parse_query(question, today).spans == (("2024-09-01", "2024-09-30"),)
    assert read.roles.sender == parse_query(question, today).roles.sender == {"choe", "son", "hui"}


def test_a_word_no_text_writes_stays_as_typed():
    question = "what about the lazarus group?"
    assert truecase(question, ["Group leaders met the group."]) == question
    assert truecase("who is kim?", []) == "who is kim?"
