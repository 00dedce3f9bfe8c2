"""rag.dates on strings taken from the seed files and from JSON exports."""

from __future__ import annotations

import pytest

from rag.dates import find_date, is_dateline, normalise_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Anton Sokolin June 10, 2024", "2024-06-10"),  # 004 line 16
        ("Joon Ha Park | Shreyas Reddy June 10, 2024", "2024-06-10"),  # 004 line 25
        ("December 29, 2025", "2025-12-29"),  # 003 line 10
        ("July 17, 2024", "2024-07-17"),  # 004 line 2
        ("10 June 2024", "2024-06-10"),
        ("10th June, 2024", "2024-06-10"),
        ("Jun. 10, 2024", "2024-06-10"),
        ("Sept 3, 2024", "2024-09-03"),
        ("2024-01-02", "2024-01-02"),
        # 002 line 333: a date inside a sentence
        ("In a New Year’s address (January 2, 2015), it was declared", "2015-01-02"),
        # 002 line 518: a zero-padded day
        (" –  The New Year announcement on January 02, 2015 stated, “We must build up our country ", "2015-01-02"),
    ],
)
def test_find_date(text, expected):
    assert find_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Its opening ceremony was held at the Sci-Tech Complex on October 29.",  # 003 line 2: no year
        "on October 29",
        "2010",  # a bare year
        # 002 line 109
        "2010 was a year of heightened inter-Korean tensions and diminished cooperation levels. North Ko-",
        "1704153600000",  # epoch milliseconds are for JSON fields, not running text
        "June 2024",
        "February 30, 2024",  # matches the pattern but is no date
        "",
    ],
)
def test_find_date_none(text):
    assert find_date(text) is None


def test_find_date_returns_the_first_date():
    assert find_date("Published December 28, 2025; updated December 29, 2025") == "2025-12-28"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("December 29, 2025", "2025-12-29"),
        ("10 June 2024", "2024-06-10"),
        ("2024-01-02", "2024-01-02"),
        ("2024-06-10T08:00:00+09:00", "2024-06-10"),  # an ISO timestamp keeps its own calendar day
        ("Mon, 10 Jun 2024 08:00:00 GMT", "2024-06-10"),
        ("1704153600000", "2024-01-02"),  # epoch milliseconds (2024-01-02T00:00:00Z)
        ("1704153600", "2024-01-02"),  # epoch seconds
        (" 1704153600000 ", "2024-01-02"),
    ],
)
def test_normalise_date(text, expected):
    assert normalise_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "on October 29",
        "October 29",
        "2010",
        "June 2024",
        "",
        "   ",
        "not a date",
        "0",
        "Anton Sokolin June 10, 2024",  # a whole dateline is for find_date, not a date value
    ],
)
def test_normalise_date_none(text):
    assert normalise_date(text) is None


@pytest.mark.parametrize("text", ["yesterday", "3 hours ago"])
def test_normalise_date_rejects_relative_dates(text):
    assert normalise_date(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "Anton Sokolin June 10, 2024",  # 004 line 16
        "Joon Ha Park | Shreyas Reddy June 10, 2024",  # 004 line 25
        "December 29, 2025",  # 003 line 10
        "July 17, 2024",  # 004 line 2
        "10 June 2024",
        "2024-01-02",
    ],
)
def test_is_dateline(text):
    assert is_dateline(text)


@pytest.mark.parametrize(
    "text",
    [
        "on October 29",
        "2010",
        "1704153600000",
        "Anton Sokolin",  # 004 line 15: the byline without its date
        "The exhibition closes on November 2, 2024.",  # a sentence ending in a date is content
        # 003 line 9: a teaser that mentions a day, not a dateline
        "A launching drill of the long-range strategic cruise missiles was held in the West Sea of Korea on "
        "December 28. The respected",
        # a date that does not end the line
        "Anton Sokolin June 10, 2024 Seoul",
        # 002 line 333: a full date inside a long sentence
        "In a New Year’s address (January 2, 2015), it was declared, “We must bring a transformation to",
        # ends with a date but is far too long for a dateline
        "Posted by the editorial board of the NK News service team and its many correspondents on June 9, 2024",
        "",
    ],
)
def test_is_dateline_false(text):
    assert not is_dateline(text)
