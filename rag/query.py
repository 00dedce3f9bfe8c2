"""What a question asks for beyond its words: a time span (read by `rag.spans`: "in March 2024",
"since June", "last year"), exact phrases in quotes, which must appear in the passages returned, and
the numbers it names ("the 76th birthday", "240 mm"), which tell apart the stories of one template."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from rag.spans import question_span, recent_months

_PHRASE = re.compile(r"[\"“”]([^\"“”]{2,200})[\"“”]")
_NUMBER = re.compile(r"\b\d+(?:st|nd|rd|th)?\b", re.I)
_A_YEAR = re.compile(r"(?:19|20)\d\d")  # a year is the time span's, not a number to match


@dataclass
class Query:
    text: str
    phrases: list[str] = field(default_factory=list)
    since: str | None = None  # YYYY-MM-DD, inclusive
    until: str | None = None
    numbers: frozenset[str] = frozenset()

    @property
    def dated(self) -> bool:
        return self.since is not None

    def in_span(self, date: str | None, lag_days: int = 0, text: str | None = None) -> bool:
        """Whether a passage dated `date` reports on the span: dated inside it, or up to `lag_days`
        after it ("the rail sector's August result" is in a story of 3 September). For a span of a
        month or more, a passage whose `text` names recent months reports on those instead: a story
        of 4 August on "the plan for July" is July's news, one of 10 September on August's is August's."""
        if not date or self.since is None:
            return False
        named = recent_months(text, date) if text and self.since != self.until else set()
        if named:
            return date >= self.since and any(self.since[:7] <= month <= self.until[:7] for month in named)
        until = (dt.date.fromisoformat(self.until) + dt.timedelta(days=lag_days)).isoformat()
        return self.since <= date <= until

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
    query = Query(text=text, phrases=[p for p in phrases if p], numbers=numbers)
    span = question_span(text, today)
    if span:
        query.since, query.until = (d.isoformat() for d in span)
    return query


def numbers_in(text: str) -> set[str]:
    return {n.casefold() for n in _NUMBER.findall(text)}
