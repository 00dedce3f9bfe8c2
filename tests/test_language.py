"""A question in another language than English, in Latin letters (rag.language), with the real
language identifier."""

import pytest

from rag.language import foreign_language

ALL_UNKNOWN = lambda words: list(words)  # noqa: E731 - a corpus that writes none of the words
NONE_UNKNOWN = lambda words: []  # noqa: E731


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("¿Qué dijo Kim Jong Un sobre el misil Hwasong-19?", "es"),
        ("Qu'a dit Kim Yo Jong sur les drones au-dessus de Pyongyang en octobre ?", "fr"),
        ("Was hat Kim Jong Un beim Besuch der Fabrik gesagt?", "de"),
        ("Che cosa ha detto Kim Jong Un sulle inondazioni di Sinuiju?", "it"),
    ],
)
def test_a_question_in_another_language(question, language):
    assert foreign_language(question, ALL_UNKNOWN) == language


@pytest.mark.parametrize(
    "question",
    [
        "What did Kim Yo Jong say about the drones over Pyongyang in October?",
        "kim yo jong drone statement october",
        "Hwasongpho-19 ICBM",
        "Chollima Juche Songun",
        # keyword queries whose names a small corpus lacks: 2e-4 to 2e-3 for English
        "Norodom Sihamoni flowers 76th birthday royal",
        "kuwaiti figures messages dprk 76th birthday",
        "28th international parties seminar mexico latin america",
        "kangan wolam farms north hwanghae grain",
    ],
)
def test_an_english_question_or_names_alone(question):
    assert foreign_language(question, ALL_UNKNOWN) is None


def test_a_language_the_identifier_is_not_sure_of_is_not_named():
    # surely not English; Catalan at 0.81, though it is Spanish
    assert foreign_language("¿Qué empresa norcoreana creó el programa antivirus Jiu?", ALL_UNKNOWN) == ""


def test_a_question_in_the_corpus_own_words_is_not_read_by_the_identifier():
    # Spanish words a (Spanish) corpus writes: not "another language" than the corpus
    assert foreign_language("¿Qué dijo Kim Jong Un sobre el misil Hwasong-19?", NONE_UNKNOWN) is None
