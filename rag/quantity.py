"""Questions that ask for a number ("How many sheep are raised on the Muwon Tableland?", "How much
did the launch cost?") and the sentences that give one. A story about the Muwon Tableland that gives
no count of its sheep does not answer the question, however close its words are: the extractive
answer says so rather than quote the nearest sentence, and quotes first a sentence that gives the
number (bench/RESULTS.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.lexical import tokenize
from rag.query import A_YEAR, TEENS, TENS, UNITS
from rag.spans import MONTHS

_ASKS = re.compile(
    r"\bhow\s+(?P<many>many)\b|\bhow\s+(?:much|long|far|old|large|big|high|tall|wide|deep|often|heavy)\b"
    r"|\bwhat\s+(?:percentage|proportion|share|number|amount|quantity|total|sum|size|length|distance)\b",
    re.I,
)
# What follows "how many" up to the first of these is the thing counted: "how many [hotel rooms]
# will ...", "how many [train crew members] at the rail bureaus ...".
_COUNTED_ENDS = re.compile(
    r"\b(?:is|are|was|were|will|would|did|does|do|has|have|had|can|could|should|may|might|must|in|at|on|of|for|"
    r"from|to|by|with|inside|within|during|after|before|that|which|who|according|per|each|every)\b|[,;:?.!()]",
    re.I,
)
_SCALES = ("hundred", "thousand", "million", "billion", "dozen", "score", "tens", "twice", "thrice", "half", "double")
_NUMBER_WORD = re.compile(
    rf"^(?:{'|'.join((*UNITS, *TEENS, *TENS))})(?:-(?:{'|'.join(UNITS)}))?$|^(?:{'|'.join(_SCALES)})s?$", re.I
)
# A word or a figure: "Hwasong-19" and "No. 15" are names (by what comes before), "76th" an ordinal.
_TOKEN = re.compile(r"(?P<word>[A-Za-z]+(?:-[A-Za-z]+)*|\d+(?:[.,]\d+)*(?P<ordinal>st|nd|rd|th)?%?)")
_BEFORE_A_NAMED_NUMBER = {"no", "unit", "camp", "number", "article", "resolution", "route", "line"}
WINDOW = 5  # words between a figure and the thing it counts: "six new [locations]", "50 kinds of musical [instruments]"


@dataclass(frozen=True)
class AskedNumber:
    """What a question that asks for a number needs of a sentence: a figure, and for "how many X" the
    X (its stems) next to it."""

    counted: frozenset[str] = frozenset()

    def given_in(self, sentence: str) -> bool:
        words = _words(sentence)
        figures = [i for i, (_, figure) in enumerate(words) if figure]
        if not self.counted:
            return bool(figures)
        stems = [stem for stem, _ in words]
        return any(
            stems[j] in self.counted
            for i in figures
            for j in range(max(0, i - WINDOW), min(len(stems), i + WINDOW + 1))
        )


def asked_number(question: str) -> AskedNumber | None:
    """What the question asks a number of, or None when it asks for no number."""
    match = _ASKS.search(question)
    if not match:
        return None
    if not match["many"]:
        return AskedNumber()
    rest = question[match.end() :]
    end = _COUNTED_ENDS.search(rest)
    if end and end[0].casefold() == "of":  # "how many kinds of instruments": the instruments too
        end = _COUNTED_ENDS.search(rest, end.end())
    return AskedNumber(frozenset(tokenize([rest[: end.start() if end else len(rest)]])[0]))


def _words(sentence: str) -> list[tuple[str, bool]]:
    """Each word's stem, and whether it is a figure: digits or number words, but not a year, the day
    of a date ("September 9"), an ordinal ("76th") or a number in a name ("Hwasong-19", "No. 15")."""
    matches = list(_TOKEN.finditer(sentence))
    stems = tokenize([m["word"] for m in matches])
    out: list[tuple[str, bool]] = []
    previous = ""
    for match, stem in zip(matches, stems):
        word = match["word"]
        if word[0].isdigit():
            hyphened = sentence[match.start() - 1 : match.start()] == "-"
            named = hyphened or previous in _BEFORE_A_NAMED_NUMBER or previous in MONTHS
            out.append((word, not (match["ordinal"] or A_YEAR.fullmatch(word) or named)))
        else:
            out.append((stem[0] if stem else word.casefold(), bool(_NUMBER_WORD.match(word))))
        previous = word.casefold()
    return out
