"""Questions that ask for a number, and the sentences that give it (rag.quantity)."""

import pytest

from rag.quantity import asked_number


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        ("How many train crew members completed their runs?", "More than 200 locomotive crew members took part."),
        ("At how many locations inside the DMZ was land cleared?", "Land was cleared at six locations inside the DMZ."),
        ("How many sheep graze on the Muwon Tableland?", "Some 3 000 head of sheep graze on the tableland."),
        ("How many people attended the rally?", "Tens of thousands of people attended the rally."),
        ("How much money did the launch cost?", "It cost 2.5 million won."),
        ("What percentage of the plan did the farm carry out?", "The farm carried out 120% of its plan."),
        ("How long is the new railway?", "The new railway is forty-two kilometres long."),
    ],
)
def test_a_sentence_that_gives_the_number(question, sentence):
    assert asked_number(question).given_in(sentence)


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        # a count of something else
        ("How many sheep graze on the Muwon Tableland?", "The tableland has 12 new goat sheds and a dairy."),
        # dates, years, ordinals and numbers in names are no answer to "how many" or "how much"
        ("How many hotel rooms does the Kalma area offer?", "The Kalma area opened on June 24, 2024."),
        ("How much did the launch cost?", "The Hwasong-19 was launched on October 31 for the 76th anniversary."),
        ("How much did the camp cost to run?", "Camp No. 15 was named in a 2014 report."),
    ],
)
def test_a_sentence_that_does_not(question, sentence):
    assert not asked_number(question).given_in(sentence)


@pytest.mark.parametrize(
    "question",
    [
        "What did Kim say about the many challenges?",
        "Who visited the farm in 2024?",
        "Which unit fired the 240 mm rockets?",
    ],
)
def test_a_question_that_asks_for_no_number(question):
    assert asked_number(question) is None
