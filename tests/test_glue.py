"""Glued words in the KCNA scrape ("ComradeKim Jong Unvisited") are mended from the corpus's own
vocabulary; real words that merely start like a name ("Union", "United", "University") stay whole."""

from __future__ import annotations

import json
import re
from functools import cache

import pytest

from rag.clean import clean_document
from rag.glue import learn_glued, mend
from rag.records import Document, Line

from .conftest import SHARED

KCNA = SHARED / "corpora" / "kcna-stiles" / "kcna_en_2023-12-24_2024-11-10.json"


@cache
def kcna_texts() -> list[str]:
    if not KCNA.exists():
        pytest.fail(f"{KCNA} is missing: the shared corpora must sit beside the checkout")
    records = json.loads(KCNA.read_text(encoding="utf-8"))
    return [r["headline"] for r in records] + [r["story_text"] or "" for r in records]


@cache
def kcna_mends() -> dict[str, str]:
    return learn_glued(kcna_texts())


@pytest.mark.parametrize(
    ("scraped", "mended"),
    [
        # Excerpts of real KCNA records, as the scrape has them.
        (
            "Pyongyang, January 2 (KCNA) -- The respected ComradeKim Jong Uninvited labor innovators",
            "Pyongyang, January 2 (KCNA) -- The respected Comrade Kim Jong Un invited labor innovators",
        ),
        ("PresidentKim Il SungandKim Jong Ilvisited", "President Kim Il Sung and Kim Jong Il visited"),
        ("sent a message of greeting toKim Jong Un", "sent a message of greeting to Kim Jong Un"),
        ("Kim Jong Unreceived a message", "Kim Jong Un received a message"),
        ("the letter sent by Kim Jong Unto the builders", "the letter sent by Kim Jong Un to the builders"),
        # "Square" is never written alone in the scrape, only glued; "square" is.
        ("ceremony was held at Kim Il SungSquare on January 1", "ceremony was held at Kim Il Sung Square on January 1"),
    ],
)
def test_glued_names_are_mended(scraped, mended):
    assert mend(scraped, kcna_mends()) == mended


@pytest.mark.parametrize(
    "whole",
    [
        "the Union of Agricultural Workers",
        "the United Nations",
        "Kim Il Sung University",
        "Unless the US changes its policy",
        "the Unit 1 building",
        "Kangwon Province",
        "Hwasong area",
        "Thailand",
        "East European countries",
        "the Pyongyang Textile Machine Factory",
    ],
)
def test_real_words_and_places_stay_whole(whole):
    assert mend(whole, kcna_mends()) == whole


def test_almost_no_glued_leader_name_is_left_in_the_corpus():
    glued = re.compile(r"\b(?:[A-Za-z]+Kim|Kim Jong Un[a-z]+|Kim Il Sung[a-z]+|Kim Jong Il[a-z]+)\b")
    before = sum(len(glued.findall(t)) for t in kcna_texts())
    after = sum(len(glued.findall(mend(t, kcna_mends()))) for t in kcna_texts())
    assert before > 1500  # 1,741 with this pattern (the issue counted over 2,000 glued tokens of all kinds)
    assert after < 0.03 * before, after  # 50 of 1,741 left: "HEKim" (31; "HE" is never on its own), "Unpresided"


def test_a_small_corpus_learns_nothing_it_cannot_trust():
    # Each half must be seen on its own often enough; two documents are not enough evidence.
    assert learn_glued(["ComradeKim Jong Unvisited the farm.", "Comrade Kim Jong Un visited."]) == {}


def test_cleaning_mends_the_lines_and_keeps_their_numbers():
    doc = Document("kcna.json#7", [Line("The respected ComradeKim Jong Unvisited the farm.", 1)])
    (block,) = clean_document(doc, glued=kcna_mends())
    assert block.text == "The respected Comrade Kim Jong Un visited the farm."
    assert (block.start_line, block.end_line) == (1, 1)
