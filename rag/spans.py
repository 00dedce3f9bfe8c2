"""The time span a question names, as the first and last day it covers.

A point: "in March 2024", "on 15 April 2024", "2024-04-15", "15.04.2024", "last June", "in
August" (the latest August up to today). A range: "from July to August 2024", "between June and
September", "October 1-15, 2024", "2019-2021". An open end: "since June 2024", "after 2020",
"before March". A stretch counted back from today: "last year", "this month", "in the past three
weeks", "yesterday". A part of a year: "summer 2024", "late 2024", "the first half of 2023", "Q3
2024", "H2 2024". Times listed one after another ("in May 2024 and March 2025", "June or July")
are separate spans.

"Today" is the caller's: a search over an archive counts back from its newest story. Words that
are also months ("may", "march") count only capitalised, or with a day or a year beside them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from itertools import pairwise

Span = tuple[dt.date, dt.date]

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9  # "Sept. 16", as KCNA writes it
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR_NUMBER = r"(?P<year>(?:19|20)\d\d)"
_DAY_MONTH_YEAR = re.compile(rf"\b{_DAY}\s+{_MONTH},?\s+{_YEAR_NUMBER}\b", re.I)
_MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR_NUMBER}\b", re.I)
_MONTH_YEAR = re.compile(rf"\b{_MONTH},?\s+{_YEAR_NUMBER}\b", re.I)
_LAST_MONTH = re.compile(rf"\blast\s+{_MONTH}\b", re.I)
_YEAR = re.compile(rf"\b(?:in|during|of)\s+{_YEAR_NUMBER}\b", re.I)
# A year standing alone, as keyword queries write it ("singapore summit 2018 joint statement", "his
# 2018 New Year address"); not a count ("2000 workers", "1990 tons"), nor a number in a name
# ("Resolution 2094", "Hwasong-2018", "No. 2020"), nor a year to come after next.
_BARE_YEAR = re.compile(
    rf"(?<![-#/.\w])(?<!No\. )(?<!resolution ){_YEAR_NUMBER}\b(?![-/.,]?\d)(?!\s+[a-z]{{3,}}s\b)", re.I
)
# Without a year, a month must be capitalised and follow a preposition, qualifier or determiner
# ("in May", "late October", "his September visit"), or have a day beside it ("on September 4").
_CAPITALISED = "|".join(sorted((name.title() for name in MONTHS), key=len, reverse=True))
_NAME = rf"(?P<month>{_CAPITALISED})\b\.?"
_NO_YEAR = r"(?![.,]?\s*\d)"
_DAY_MONTH = _DAY.replace("day", "day2") + r"\s+" + _NAME.replace("month", "month2")
_DAY_NO_YEAR = re.compile(rf"\b(?:{_NAME}\s+{_DAY}|{_DAY_MONTH})\b{_NO_YEAR}")
_BEFORE_MONTH = r"(?:\b(?i:in|during|until|for|of|on|by|this|early|late|mid|the|a|his|her|its|their)|'s)"
_MONTH_NO_YEAR = re.compile(rf"{_BEFORE_MONTH}[\s-]+{_NAME}\b{_NO_YEAR}")
# KCNA names places and units after a day: "the April 25 Hostel", "the February 8 Vinalon Complex",
# "the August 3 Consumer Goods". A day between "the" and a capitalised word is such a name, not a time.
_DAY_NAMED = re.compile(rf"\bthe\s+{_NAME}\s+\d{{1,2}}(?:st|nd|rd|th)?\s+(?=[A-Z][a-z])")
_NAMED_MONTH = re.compile(rf"\b{_NAME}(?:\s+(?P<day>\d{{1,2}})\b)?(?:,?\s+{_YEAR_NUMBER}\b)?")

# One end of a range or an open span: a day, a month or a year, each part optional but one.
_ANY_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_POINT = re.compile(
    rf"\b(?:(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<month>{_ANY_MONTH})\b\.?"
    rf"|(?P<month2>{_ANY_MONTH})\b\.?(?:\s+(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?(?!\d))?)"
    rf"(?:,?\s+(?P<year>(?:19|20)\d\d)\b)?"
    r"|\b(?P<only_year>(?:19|20)\d\d)\b",
    re.I,
)
_JOIN = re.compile(r"\s*(?:-|–|—|\bto\b|\bthrough\b|\btill\b|\buntil\b|\band\b)\s*", re.I)
_LIST_JOIN = re.compile(r"\s*(?:,\s*(?:and|or)?|\band\b|\bor\b)\s*(?:(?:in|on|during)\s+)?", re.I)
_BETWEEN = re.compile(r"\bbetween\s+(?:the\s+)?$", re.I)
_DAYS_OF_MONTH = re.compile(
    rf"\b(?:(?P<first>\d{{1,2}})\s*(?:-|–|to)\s*(?P<last>\d{{1,2}})\s+{_MONTH}"
    rf"|{_MONTH.replace('month', 'month2')}\s+(?P<first2>\d{{1,2}})\s*(?:-|–|to)\s*(?P<last2>\d{{1,2}})(?!\d))"
    rf"(?:,?\s+{_YEAR_NUMBER}\b)?",
    re.I,
)
_THIRD = re.compile(r"\b(early|mid|late)[\s-]+$", re.I)
_OPEN = re.compile(
    r"\b(?P<word>since|after|before)\s+(?:(?:the\s+)?(?:early|mid|late|start\s+of|beginning\s+of)[\s-]+)?$", re.I
)

_COUNTS = {
    "a": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "few": 3,
    "several": 3,
}
_PAST = re.compile(
    r"\b(?:past|last|previous)\s+(?P<count>\d{1,3}|" + "|".join(_COUNTS) + r")"
    r"\s+(?P<unit>day|week|month|year)s?\b(?!\s+of\b)",
    re.I,
)
_RELATIVE = re.compile(
    r"\b(?P<which>last|this|previous|past)\s+(?P<unit>year|month|week)\b(?!\s+of\b)|\b(?P<yesterday>yesterday)\b", re.I
)

_SEASONS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "fall": (9, 11)}
_PARTS = {
    "early": (1, 4),
    "mid": (5, 8),
    "late": (9, 12),
    "first half": (1, 6),
    "second half": (7, 12),
    "first quarter": (1, 3),
    "second quarter": (4, 6),
    "third quarter": (7, 9),
    "fourth quarter": (10, 12),
    "q1": (1, 3),
    "q2": (4, 6),
    "q3": (7, 9),
    "q4": (10, 12),
    "h1": (1, 6),
    "h2": (7, 12),
    **_SEASONS,
}
_PART_OF_YEAR = re.compile(
    r"\b(?:the\s+)?(?P<part>early|mid|late|(?:first|second)\s+half|(?:first|second|third|fourth)\s+quarter"
    r"|q[1-4]|h[12]|spring|summer|autumn|fall)(?:[\s-]+of)?[\s-]+" + _YEAR_NUMBER + r"\b",
    re.I,
)
_SEASON_NO_YEAR = re.compile(
    r"\b(?P<which>this|last|in\s+the|during\s+the)\s+(?P<part>spring|summer|autumn)\b(?![\s-]+(?:of\s+)?\d)", re.I
)


# Days written in figures, rewritten in words before the reading: ISO "2024-09-09" and "2024/09/09",
# a month "2024-09" (zero-padded: "2011-12" is as likely a span of years), "09.09.2024" (day first, as
# Europe and Korea write it) and "9/15/2024" or "15/9/2024", whichever is a date. "9/10/2024" is either,
# and is read as both. "the 9th of September" is "9 September".
_ISO_DAY = re.compile(r"\b(?P<year>(?:19|20)\d\d)[-/](?P<month>0?[1-9]|1[0-2])[-/](?P<day>[0-3]?\d)\b")
_ISO_MONTH = re.compile(r"\b(?P<year>(?:19|20)\d\d)(?:-(?P<month>0[1-9])|/(?P<month2>0?[1-9]|1[0-2]))\b(?![-/]\d)")
_DOTTED_DAY = re.compile(r"\b(?P<day>[0-3]?\d)\.(?P<month>[01]?\d)\.(?P<year>(?:19|20)\d\d)\b")
_SLASHED_DAY = re.compile(r"\b(?P<a>[0-3]?\d)/(?P<b>[0-3]?\d)/(?P<year>(?:19|20)\d\d)\b")
_DAY_OF_MONTH = re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+of\s+(?=(?:{_ANY_MONTH})\b)", re.I)


def _in_words(year: str, month: str | int, day: str | int | None = None) -> str | None:
    """ "9 September 2024", or None when no such day is."""
    try:
        date = dt.date(int(year), int(month), int(day or 1))
    except ValueError:
        return None
    named = f"{calendar.month_name[date.month]} {date.year}"
    return f"{date.day} {named}" if day else named


def days_in_words(text: str) -> str:
    """Text with each day written in figures ("2024-09-09", "9/15/2024") written in words ("9
    September 2024"); a day figures leave ambiguous ("9/10/2024") as both, joined by "or"."""
    text = _DAY_OF_MONTH.sub(r"\g<day> ", text)
    text = _ISO_DAY.sub(lambda m: _in_words(m["year"], m["month"], m["day"]) or m[0], text)
    text = _ISO_MONTH.sub(lambda m: _in_words(m["year"], m["month"] or m["month2"]) or m[0], text)
    text = _DOTTED_DAY.sub(lambda m: _in_words(m["year"], m["month"], m["day"]) or m[0], text)

    def slashed(m: re.Match) -> str:
        readings = {_in_words(m["year"], m["a"], m["b"]), _in_words(m["year"], m["b"], m["a"])} - {None}
        return " or ".join(sorted(readings)) or m[0]

    return _SLASHED_DAY.sub(slashed, text)


def question_spans(text: str, today: dt.date) -> list[Span]:
    """The first and last day of each time the question names: usually one, several for a list of
    separate times ("in May 2024 and March 2025", "June or July"), none when it names no time."""
    text = days_in_words(_DAY_NAMED.sub("the ", text))
    if listed := _separate(text, today):
        return listed
    for find in (_range, _open_span, _part_of_year, _point, _counted_back):
        span = find(text, today)
        if span and span[0] <= span[1]:
            return [span]
    return []


def recent_months(text: str, date: str) -> set[str]:
    """The months (YYYY-MM) a story dated `date` names from its own and the two before ("the plan for
    July", "on August 27"), its own day aside; older ones ("June 25, 1950") are history, not news."""
    day = dt.date.fromisoformat(date)
    months = set()
    for match in _NAMED_MONTH.finditer(text):
        month = MONTHS[match["month"].lower()]
        if match["day"] and (month, int(match["day"])) == (day.month, day.day):
            continue  # its own dateline ("Pyongyang, August 4 (KCNA)")
        year = int(match["year"]) if match["year"] else _latest_year(month, day)
        if 0 <= (day.year - year) * 12 + day.month - month <= 2:
            months.add(f"{year:04d}-{month:02d}")
    return months


@dataclass(frozen=True)
class _Point:
    """A day, a month or a year named in the question, its year perhaps left to the context."""

    start: int  # where it is in the text
    end: int
    year: int | None
    month: int | None
    day: int | None

    def bounds(self, year: int) -> Span | None:
        if self.month is None:
            return dt.date(year, 1, 1), dt.date(year, 12, 31)
        if self.day is None:
            return _month(year, self.month)
        try:
            day = dt.date(year, self.month, self.day)
        except ValueError:
            return None
        return day, day


def _points(text: str) -> list[_Point]:
    points = []
    for match in _POINT.finditer(text):
        if match["only_year"]:
            points.append(_Point(match.start(), match.end(), int(match["only_year"]), None, None))
            continue
        name = match["month"] or match["month2"]
        day = match["day"] or match["day2"]
        year = int(match["year"]) if match["year"] else None
        if year is None and day is None and not name[0].isupper():
            continue  # "may", "march": words, not months
        points.append(_Point(match.start(), match.end(), year, MONTHS[name.lower()], int(day) if day else None))
    return points


def _range(text: str, today: dt.date) -> Span | None:
    """ "from July to August 2024", "between June and September", "2019-2021", "October 1-15"."""
    match = _DAYS_OF_MONTH.search(text)
    if match:
        month = MONTHS[(match["month"] or match["month2"]).lower()]
        first, last = int(match["first"] or match["first2"]), int(match["last"] or match["last2"])
        year = int(match["year"]) if match["year"] else _latest_year(month, today)
        try:
            return dt.date(year, month, first), dt.date(year, month, last)
        except ValueError:
            return None
    for first, last in pairwise(_points(text)):
        join = text[first.end : last.start]
        if not _JOIN.fullmatch(join):
            continue
        if (first.month is None) != (last.month is None) and first.year is None:
            continue  # "5 to 2024"
        last_year = last.year or (_latest_year(last.month, today) if last.month else None)
        if last_year is None:
            continue
        wraps = first.month and last.month and first.month > last.month  # "from December to February 2024"
        first_year = first.year or (last_year - 1 if wraps else last_year)
        start, end = first.bounds(first_year), last.bounds(last_year)
        if start and end:
            return start[0], end[1]
    return None


def _separate(text: str, today: dt.date) -> list[Span]:
    """ "in May 2024 and March 2025", "June or July 2024", "in 2019, 2020 and 2022": times named one
    after another are each their own span, not one range from the first to the last ("between June
    and September" is a range, read by `_range`). A year written once at the end is each one's."""
    run: list[_Point] = []
    for point in _points(text):
        if run and _LIST_JOIN.fullmatch(text[run[-1].end : point.start]):
            run.append(point)
            continue
        if len(run) > 1:
            break
        run = [] if _BETWEEN.search(text, 0, point.start) else [point]
    if len(run) < 2:
        return []
    spans, year = [], None
    for point in reversed(run):
        year = point.year or year or _latest_year(point.month, today)  # a point without a year has a month
        if bounds := point.bounds(year):
            spans.append(bounds)
    return sorted(spans)


def _open_span(text: str, today: dt.date) -> Span | None:
    """ "since June 2024" (to today), "after 2020", "before March 2024" (everything up to it)."""
    for point in _points(text):
        word = _OPEN.search(text[: point.start])
        if not word:
            continue
        year = point.year or _latest_year(point.month, today)
        bounds = point.bounds(year)
        if not bounds:
            continue
        kind = word["word"].lower()
        if kind == "since":
            return bounds[0], today
        if kind == "after":
            return bounds[1] + dt.timedelta(days=1), today
        return dt.date.min, bounds[0] - dt.timedelta(days=1)
    return None


def _part_of_year(text: str, today: dt.date) -> Span | None:
    """ "summer 2024", "late 2024", "the first half of 2023", "Q3 2024"; "last summer"."""
    match = _PART_OF_YEAR.search(text)
    if match:
        first, last = _PARTS[" ".join(match["part"].lower().split())]
        year = int(match["year"])
        return dt.date(year, first, 1), _month(year, last)[1]
    match = _SEASON_NO_YEAR.search(text)
    if match:
        first, last = _SEASONS[match["part"].lower()]
        # "this summer" has begun by today; "last summer" has ended.
        begun = today.year if (today.month, today.day) >= (first, 1) else today.year - 1
        ended = today.year if today > _month(today.year, last)[1] else today.year - 1
        year = ended if match["which"].lower() == "last" else begun
        return dt.date(year, first, 1), _month(year, last)[1]
    return None


def _counted_back(text: str, today: dt.date) -> Span | None:
    """ "in the past three weeks", "last year", "this month", "last week", "yesterday"."""
    match = _PAST.search(text)
    if match:
        count = match["count"].lower()
        return _back(int(count) if count.isdigit() else _COUNTS[count], match["unit"].lower(), today), today
    match = _RELATIVE.search(text)
    if not match:
        return None
    if match["yesterday"]:
        day = today - dt.timedelta(days=1)
        return day, day
    which, unit = match["which"].lower(), match["unit"].lower()
    if which == "past":  # "the past year": the twelve months before today
        return _back(1, unit, today), today
    this = which == "this"
    if unit == "year":
        year = today.year if this else today.year - 1
        return dt.date(year, 1, 1), min(dt.date(year, 12, 31), today)
    if unit == "month":
        first, last = _month(*_months_before(today, 0 if this else 1))
        return first, min(last, today)
    monday = today - dt.timedelta(days=today.weekday())
    return (monday, today) if this else (monday - dt.timedelta(days=7), monday - dt.timedelta(days=1))


def _back(count: int, unit: str, today: dt.date) -> dt.date:
    """The day `count` days, weeks, months or years before today."""
    if unit in ("day", "week"):
        return today - dt.timedelta(days=count * (7 if unit == "week" else 1))
    year, month = _months_before(today, count * (12 if unit == "year" else 1))
    return dt.date(year, month, min(today.day, calendar.monthrange(year, month)[1]))


def _months_before(today: dt.date, count: int) -> tuple[int, int]:
    """The year and month `count` months before today's."""
    year, month = divmod(today.year * 12 + today.month - 1 - count, 12)
    return year, month + 1


def _point(text: str, today: dt.date) -> Span | None:
    """One day, month or year: "on 15 April 2024", "in March 2024", "last June", "in August"."""
    for pattern in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR):
        match = pattern.search(text)
        if match:
            try:
                day = dt.date(int(match["year"]), MONTHS[match["month"].lower()], int(match["day"]))
            except ValueError:
                continue
            return day, day
    match = _MONTH_YEAR.search(text)
    if match:
        return _third(text, match, _month(int(match["year"]), MONTHS[match["month"].lower()]))
    match = _LAST_MONTH.search(text)
    if match:
        month = MONTHS[match["month"].lower()]
        return _month(today.year if month < today.month else today.year - 1, month)
    match = _DAY_NO_YEAR.search(text)
    if match:
        month, day = MONTHS[(match["month"] or match["month2"]).lower()], int(match["day"] or match["day2"])
        for year in (today.year, today.year - 1):  # the latest such day up to today
            try:
                date = dt.date(year, month, day)
            except ValueError:
                continue
            if date <= today:
                return date, date
    match = _MONTH_NO_YEAR.search(text)
    if match:
        month = MONTHS[match["month"].lower()]
        return _third(text, match, _month(_latest_year(month, today), month))
    match = _YEAR.search(text) or _BARE_YEAR.search(text)
    if match and int(match["year"]) <= today.year + 1:
        year = int(match["year"])
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    return None


def _third(text: str, match: re.Match, month: Span) -> Span:
    """ "early/mid/late October": the month's first, middle or last ten days or so."""
    qualifier = _THIRD.search(text, 0, match.start("month"))
    if not qualifier:
        return month
    first, last = {"early": (1, 10), "mid": (11, 20), "late": (21, month[1].day)}[qualifier[1].lower()]
    return month[0].replace(day=first), month[0].replace(day=last)


def _latest_year(month: int, today: dt.date) -> int:
    """The year of the latest `month` that has begun by `today`."""
    return today.year if month <= today.month else today.year - 1


def _month(year: int, month: int) -> Span:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
