"""The part of a message that asks (rag.asking): frames, greetings, thanks and remarks about the asker
go; a question's own setting, and the sentences a thin question leans on, stay."""

import pytest

from rag.asking import asking_part

QUESTION = "What did Kim Yo Jong condemn in her statement of 5 November?"
INNER = "what did Kim Yo Jong condemn in her statement of 5 November?"


@pytest.mark.parametrize(
    "message",
    [
        f"Hi, I'm researching North Korean media. Could you find out: {INNER}",
        f"Hello! I'm a journalist working on a story about the DPRK. {QUESTION} Thanks in advance.",
        f"Quick question for my report: {QUESTION}",
        f"{QUESTION} I need it for a briefing tomorrow.",
        f"Hey there. My editor wants to know: {QUESTION}",
        f"As an analyst tracking Pyongyang, I'd like to know {INNER}",
        f"Good morning. I work at a think tank covering Korea. {QUESTION}",
        f"Would you mind telling me {INNER}",
        f"Sorry if this is basic, but {INNER}",
        f"Good evening. {QUESTION} Cheers.",
        f"{QUESTION} A short answer is fine.",
        f"Dear assistant, {INNER}",
        f"Apologies for the bother -- {INNER}",
        f"ok so {INNER}",
        f"student here. {QUESTION}",
        f"Could you look this up for me? {QUESTION}",
        f"Hi again. {QUESTION}",
        f"{QUESTION} lol we were arguing about this",
    ],
)
def test_the_frame_around_a_question_goes(message):
    assert asking_part(message).casefold() == QUESTION.casefold()


@pytest.mark.parametrize(
    "question",
    [
        QUESTION,
        "During his visit to an arms plant in September 2024, what did Kim demand?",
        "When Kim met Putin, what did they sign?",
        "What did the U.S. Secretary of State say in Seoul?",
        "Mr. Kim visited a farm in June 2024. Which farm did Mr. Kim visit with his daughter?",
        "kim jong un missile launch october",
        'What did Kim mean by "I will never forgive them"?',
        "Which country thanked the DPRK for its support?",
        "In 2024 -- what did Kim do in Sinuiju?",
        "Kim Jong Un visited Russia, but what did he sign?",
        "Kim Yo Jong issued a statement. Who is she?",
    ],
)
def test_a_question_alone_is_left_as_it_is(question):
    assert asking_part(question) == question


def test_a_question_keeps_the_sentences_it_may_lean_on():
    assert asking_part("Kim visited a farm in June. Which farm was it?") == (
        "Kim visited a farm in June. Which farm was it?"
    )
    # the remark about the asker goes all the same
    assert asking_part("I follow the beat. Kim visited a farm in June. Which farm was it?") == (
        "Kim visited a farm in June. Which farm was it?"
    )
    assert "Kangdong" in asking_part("Could you tell me about the Kangdong farm: when did it open?")


def test_a_message_of_only_remarks_is_searched_as_it_is():
    assert asking_part("Thanks!") == "Thanks!"
    assert asking_part("I am researching North Korean media.") == "I am researching North Korean media."


def test_a_statement_is_not_cut_at_its_question_word():
    """A SciFact claim: the "I" of "I-carnitine" is not the asker, and a statement has no frame."""
    claim = "Higher plasma levels of I-carnitine, when associated with trimethylamine N-oxide, are correlated with it."
    assert asking_part(claim) == claim
