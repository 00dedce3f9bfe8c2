"""What a question asks for beyond its words: a time span ("in March 2024", "on 15 April 2024",
"last June"), exact phrases in quotes, which must appear in the passages returned, and the numbers
it names ("the 76th birthday", "240 mm"), which tell apart the stories of one template."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9  # "Sept. 16", as KCNA writes it
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_DAY_MONTH_YEAR = re.compile(rf"\b{_DAY}\s+{_MONTH},?\s+(?P<year>(?:19|20)\d\d)\b", re.I)
_MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+(?P<year>(?:19|20)\d\d)\b", re.I)
_MONTH_YEAR = re.compile(rf"\b{_MONTH},?\s+(?P<year>(?:19|20)\d\d)\b", re.I)
_LAST_MONTH = re.compile(rf"\blast\s+{_MONTH}\b", re.I)
_YEAR = re.compile(r"\b(?:in|during|of|since)\s+(?P<year>(?:19|20)\d\d)\b", re.I)
# Without a year, a month must be capitalised ("may" and "march" are words too) and follow a
# preposition, qualifier or determiner ("in May", "late October", "his September visit"), or have a
# day beside it ("on September 4", "her 15 October statement").
_CAPITALISED = "|".join(sorted((name.title() for name in _MONTHS), key=len, reverse=True))
_NAME = rf"(?P<month>{_CAPITALISED})\b\.?"
_NO_YEAR = r"(?![.,]?\s*\d)"
_DAY_MONTH = _DAY.replace("day", "day2") + r"\s+" + _NAME.replace("month", "month2")
_DAY_NO_YEAR = re.compile(rf"\b(?:{_NAME}\s+{_DAY}|{_DAY_MONTH})\b{_NO_YEAR}")
_BEFORE_MONTH = r"(?:\b(?i:in|during|since|until|for|of|on|by|this|early|late|mid|the|a|his|her|its|their)|'s)"
_MONTH_NO_YEAR = re.compile(rf"{_BEFORE_MONTH}[\s-]+{_NAME}\b{_NO_YEAR}")
_NAMED_MONTH = re.compile(rf"\b{_NAME}(?:\s+(?P<day>\d{{1,2}})\b)?(?:,?\s+(?P<year>(?:19|20)\d\d)\b)?")
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
    span = _span(text, today)
    if span:
        query.since, query.until = (d.isoformat() for d in span)
    return query


def recent_months(text: str, date: str) -> set[str]:
    """The months (YYYY-MM) a story dated `date` names from its own and the two before ("the plan for
    July", "on August 27"), its own day aside; older ones ("June 25, 1950") are history, not news."""
    day = dt.date.fromisoformat(date)
    months = set()
    for match in _NAMED_MONTH.finditer(text):
        month = _MONTHS[match["month"].lower()]
        if match["day"] and (month, int(match["day"])) == (day.month, day.day):
            continue  # its own dateline ("Pyongyang, August 4 (KCNA)")
        year = int(match["year"]) if match["year"] else _latest_year(month, day)
        if 0 <= (day.year - year) * 12 + day.month - month <= 2:
            months.add(f"{year:04d}-{month:02d}")
    return months


def numbers_in(text: str) -> set[str]:
    return {n.casefold() for n in _NUMBER.findall(text)}


def _span(text: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    for pattern in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR):
        match = pattern.search(text)
        if match:
            try:
                day = dt.date(int(match["year"]), _MONTHS[match["month"].lower()], int(match["day"]))
            except ValueError:
                continue
            return day, day
    match = _MONTH_YEAR.search(text)
    if match:
        return _month(int(match["year"]), _MONTHS[match["month"].lower()])
    match = _LAST_MONTH.search(text)
    if match:
        month = _MONTHS[match["month"].lower()]
        return _month(today.year if month < today.month else today.year - 1, month)
    match = _DAY_NO_YEAR.search(text)
    if match:
        month, day = _MONTHS[(match["month"] or match["month2"]).lower()], int(match["day"] or match["day2"])
        for year in (today.year, today.year - 1):  # the latest such day up to today
            try:
                date = dt.date(year, month, day)
            except ValueError:
                continue
            if date <= today:
                return date, date
    match = _MONTH_NO_YEAR.search(text)
    if match:
        month = _MONTHS[match["month"].lower()]
        return _month(_latest_year(month, today), month)
    match = _YEAR.search(text)
    if match:
        year = int(match["year"])
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    return None


def _latest_year(month: int, today: dt.date) -> int:
    """The year of the latest `month` that has begun by `today`."""
    return today.year if month <= today.month else today.year - 1


def _month(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
