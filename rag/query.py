"""What a question asks for beyond its words: the time spans it names (read by `rag.spans`: "in
March 2024", "since June", "last year"), exact phrases in quotes, which must appear in the passages
returned, the numbers it names ("the 76th birthday", "240 mm"), which tell apart the stories of one
template, and who it says sent a message to whom (read by `rag.messages`)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from rag.messages import Roles, question_roles
from rag.spans import question_spans, recent_months

_PHRASE = re.compile(r"[\"“”]([^\"“”]{2,200})[\"“”]")
_NUMBER = re.compile(r"\b\d+(?:st|nd|rd|th)?\b", re.I)
_A_YEAR = re.compile(r"(?:19|20)\d\d")  # a year is the time span's, not a number to match


@dataclass
class Query:
    text: str
    phrases: list[str] = field(default_factory=list)
    spans: tuple[tuple[str, str], ...] = ()  # (first, last day) of each time it names, YYYY-MM-DD, inclusive
    numbers: frozenset[str] = frozenset()
    roles: Roles = field(default_factory=Roles)  # who the question says sent a message, and to whom

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

    def names_numbers_of(self, text: str) -> bool:
        """Whether text has every number the question names ("76th", "240"; years aside)."""
        return bool(self.numbers) and self.numbers <= numbers_in(text)

    def matches_phrases(self, text: str) -> bool:
        folded = " ".join(text.casefold().split())
        return all(p in folded for p in self.phrases)


def parse_query(text: str, today: dt.date | None = None) -> Query:
    today = today or dt.date.today()
    phrases = [" ".join(p.casefold().split()) for p in _PHRASE.findall(text)]
    numbers = frozenset(n for n in numbers_in(text) if not _A_YEAR.fullmatch(n))
    spans = tuple((first.isoformat(), last.isoformat()) for first, last in question_spans(text, today))
    return Query(text, [p for p in phrases if p], spans, numbers, question_roles(text))


def _reports_on(date: str, named: set[str], since: str, until: str, lag_days: int) -> bool:
    if named and since != until:
        return date >= since and any(since[:7] <= month <= until[:7] for month in named)
    last = (dt.date.fromisoformat(until) + dt.timedelta(days=lag_days)).isoformat()
    return since <= date <= last


def numbers_in(text: str) -> set[str]:
    return {n.casefold() for n in _NUMBER.findall(text)}
