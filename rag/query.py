"""What a question asks for beyond its words: the time spans it names (read by `rag.spans`: "in
March 2024", "since June", "last year"), exact phrases in quotes, which must appear in the passages
returned, the numbers it names ("the 76th birthday", "240 mm"), which tell apart the stories of one
template, and who it says sent a message to whom (read by `rag.messages`)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cached_property

from rag.messages import Roles, question_roles
from rag.spans import MONTHS, days_in_words, question_spans, recent_months

_PHRASE = re.compile(r"[\"“”]([^\"“”]{2,200})[\"“”]")
# A figure as KCNA and its readers write it: "3 000" and "3,000" are 3000; "76th" is 76 ("turning 70"
# is the "70th anniversary"); from ten up, a number in words is its figure ("seventieth", "twenty-two").
# One to nine in words are left alone: "first", "one of" are rarely the number a question names.
_NUMBER = re.compile(r"\b\d{1,3}(?:(?:,| )\d{3})+(?:\.\d+)?(?![\d,])|\b\d+(?:\.\d+)?(?=(?:st|nd|rd|th)?\b)", re.I)
TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
UNITS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_ORDINAL_UNITS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth")


def _number_words() -> dict[str, str]:
    """Ten to ninety-nine in words, cardinal and ordinal, to their figures."""
    words = {"twelfth": "12"}
    for value, teen in enumerate(TEENS, start=10):
        words[teen] = words[teen + "th"] = str(value)
    for value, tens in zip(range(20, 100, 10), TENS):
        words[tens] = words[tens[:-1] + "ieth"] = str(value)
        for unit, (cardinal, ordinal) in enumerate(zip(UNITS, _ORDINAL_UNITS), start=1):
            words[f"{tens}-{cardinal}"] = words[f"{tens}-{ordinal}"] = str(value + unit)
    return words


_NUMBER_WORDS = _number_words()
MAX_SPOKEN_YEARS = 10  # a longer span is not looked for by its years in the text
# The words that may be numbers, found by the stems of ten to ninety, then looked up in _NUMBER_WORDS.
_WORD = re.compile(r"\b(?:ten|eleven|twel|thirt|fourt|fift|sixt|sevent|eight|ninet|twent|fort)[a-z]*(?:-[a-z]+)?", re.I)
A_YEAR = re.compile(r"(?:19|20)\d\d")  # a year is the time span's, not a number to match


@dataclass
class Query:
    text: str
    phrases: list[str] = field(default_factory=list)
    spans: tuple[tuple[str, str], ...] = ()  # (first, last day) of each time it names, YYYY-MM-DD, inclusive
    numbers: frozenset[str] = frozenset()
    roles: Roles = field(default_factory=Roles)  # who the question says sent a message, and to whom
    order: str | None = None  # "newest" for "the latest statement", "oldest" for "the earliest"; rag.query.order_of

    @property
    def dated(self) -> bool:
        return bool(self.spans)

    @property
    def since(self) -> str | None:
        return min(first for first, _ in self.spans) if self.spans else None

    @property
    def until(self) -> str | None:
        return max(last for _, last in self.spans) if self.spans else None

    def in_span(self, date: str | None, lag_days: int = 0, text: str | None = None) -> bool:
        """Whether a passage dated `date` reports on one of the spans: dated inside it, or up to
        `lag_days` after it ("the rail sector's August result" is in a story of 3 September). For a
        span of a month or more, a passage whose `text` names recent months reports on those instead:
        a story of 4 August on "the plan for July" is July's news, one of 10 September on August's is
        August's."""
        if not date:
            return False
        # Only a span longer than a day reads the months a story names: skip the scan for the others.
        named = recent_months(text, date) if text and any(a != b for a, b in self.spans) else set()
        return any(_reports_on(date, named, since, until, lag_days) for since, until in self.spans)

    def speaks_of(self, date: str | None, lag_days: int = 0, text: str = "") -> bool:
        """Whether a passage is from one of the spans (`in_span`) or names one of their years: a
        story of 2024 recalling "the summer of 2014" speaks of 2014, one of 2024 alone does not
        speak of June 2018 or of the spring of 2025."""
        if self.in_span(date, lag_days, text):
            return True
        return bool(self._years and self._years.search(text))

    @cached_property
    def _years(self) -> re.Pattern | None:  # the spans' years, as a story would write them
        years = {y for since, until in self.spans for y in range(int(since[:4]), int(until[:4]) + 1)}
        if not years or len(years) > MAX_SPOKEN_YEARS:  # "since 1990": any story is from it anyway
            return None
        return re.compile(rf"\b(?:{'|'.join(map(str, sorted(years)))})\b")

    def share_of_numbers_in(self, text: str) -> float:
        """The share of the numbers the question names ("76th", "240"; years aside) that text has, 0
        when it names none: a question's "No. 2 leader" must not cost the story its "79th"."""
        if not self.numbers:
            return 0.0
        figures = _figures_in(text)
        held = sum(f in figures or bool(words and words.search(text)) for f, words in self._number_words)
        return held / len(self.numbers)

    @cached_property
    def _number_words(self) -> list[tuple[str, re.Pattern | None]]:
        # Each figure's own words ("seventy", "seventieth"): a search for them is 3x faster over a
        # question's candidates than reading every number word of each candidate (numbers_in).
        return [(figure, _words_pattern(figure)) for figure in sorted(self.numbers)]

    def matches_phrases(self, text: str) -> bool:
        folded = " ".join(text.casefold().split())
        return all(p in folded for p in self.phrases)


def parse_query(text: str, today: dt.date | None = None) -> Query:
    today = today or dt.date.today()
    phrases = [" ".join(p.casefold().split()) for p in _PHRASE.findall(text)]
    # A day in figures names its day as the words do ("2024-09-09" as "9 September 2024"), not "09".
    numbers = frozenset(n for n in numbers_in(days_in_words(text)) if not A_YEAR.fullmatch(n))
    spans = tuple((first.isoformat(), last.isoformat()) for first, last in question_spans(text, today))
    return Query(text, [p for p in phrases if p], spans, numbers, question_roles(text), order_of(text))


# "her latest statement", "the most recent launch", "what did he say recently", "his last visit", "the
# last time"; not "last year", "last June", "the last two weeks" (times: rag.spans), "the last third".
_TIME_UNITS = ("year", "month", "week", "day", "night", "quarter", "half", "third", "decade", "century")
_SEASONS = ("summer", "winter", "spring", "autumn", "fall")
_TIME_WORDS = "|".join((*_TIME_UNITS, *_SEASONS, "few", "several", r"\d+", *MONTHS, *UNITS, *TEENS, *TENS))
_NEWEST = re.compile(
    rf"\b(?:latest|newest|most\s+recent(?:ly)?|recent(?:ly)?|last(?![\s-]+(?:(?:{_TIME_WORDS})s?\b|of\b)))\b", re.I
)
_OLDEST = re.compile(r"\b(?:earliest|oldest|first[\s-]+ever|for\s+the\s+first\s+time|first\s+time)\b", re.I)


def order_of(text: str) -> str | None:
    """ "newest" when the question asks for the latest of its kind, "oldest" for the earliest, else
    None: an analyst following a beat asks "what did her latest statement condemn?"."""
    newest, oldest = _NEWEST.search(text), _OLDEST.search(text)
    if newest and oldest:
        return None  # "the first and the latest": no one order
    return "newest" if newest else "oldest" if oldest else None


def _reports_on(date: str, named: set[str], since: str, until: str, lag_days: int) -> bool:
    if named and since != until:
        return date >= since and any(since[:7] <= month <= until[:7] for month in named)
    last = (dt.date.fromisoformat(until) + dt.timedelta(days=lag_days)).isoformat()
    return since <= date <= last


def _words_pattern(figure: str) -> re.Pattern | None:
    """The words numbers_in reads as `figure` ("seventy", "seventieth", the "seventy" of
    "seventy-odd"), but not as part of another number ("seventy-two")."""
    words = [w for w, value in _NUMBER_WORDS.items() if value == figure]
    if not words:
        return None
    units = "|".join(UNITS + _ORDINAL_UNITS)
    return re.compile(rf"\b(?:{'|'.join(words)})\b(?!-(?:{units})\b)", re.I)


def _figures_in(text: str) -> set[str]:
    """The figures text writes in digits: "3 000" -> "3000", "76th" -> "76"."""
    return {re.sub(r"[ ,]", "", n) for n in _NUMBER.findall(text)}


def numbers_in(text: str) -> set[str]:
    """The figures text names, each as digits: "3 000" -> "3000", "76th" -> "76", "seventieth" -> "70"."""
    figures = _figures_in(text)
    for word in map(str.casefold, _WORD.findall(text)):
        # "twenty-two" whole, else each half: "twenty-odd", "fifty-year"
        halves = (_NUMBER_WORDS.get(half) for half in word.split("-"))
        figure = _NUMBER_WORDS.get(word) or next((f for f in halves if f), None)
        if figure:
            figures.add(figure)
    return figures


_CAPITALISED_WORD = re.compile(r"\b[A-Z][A-Za-z'-]{2,}")
_NOT_NAMES = {*MONTHS, *(d.casefold() for d in calendar.day_name), *UNITS, *_ORDINAL_UNITS, *_NUMBER_WORDS, "hundred"}


def names_in(text: str) -> list[str]:
    """The question's capitalised words but its first, months, days and numbers aside ("April",
    "Fourteenth"): the names a corpus that never writes them cannot answer about."""
    words = (m[0] for m in _CAPITALISED_WORD.finditer(text) if m.start() > 0)
    return list(dict.fromkeys(w for w in words if w.casefold() not in _NOT_NAMES))
