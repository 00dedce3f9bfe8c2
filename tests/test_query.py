"""Time spans and quoted phrases read from the question."""

from __future__ import annotations

import datetime as dt

import pytest

from rag.query import parse_query, recent_months

TODAY = dt.date(2026, 11, 27)


@pytest.mark.parametrize(
    ("question", "since", "until"),
    [
        ("What did KCNA report in March 2024?", "2024-03-01", "2024-03-31"),
        ("Who visited Pyongyang on 15 April 2024?", "2024-04-15", "2024-04-15"),
        ("What was launched on May 27, 2024?", "2024-05-27", "2024-05-27"),
        ("Which delegation arrived in Feb. 2024", "2024-02-01", "2024-02-29"),
        ("the parade last June", "2026-06-01", "2026-06-30"),
        ("the parade last December", "2025-12-01", "2025-12-31"),
        ("S&T cooperation in 2010", "2010-01-01", "2010-12-31"),
        # Without a year: the latest such month or day up to today (the newest story, for a corpus)
        ("At the late-October ICBM launch", "2026-10-01", "2026-10-31"),
        ("Kim's December plenary", "2025-12-01", "2025-12-31"),
        ("during his September visit", "2026-09-01", "2026-09-30"),
        ("handed over by his ambassador on September 4?", "2026-09-04", "2026-09-04"),
        ("her 15 October statement", "2026-10-15", "2026-10-15"),
        ("the message of 30 November", "2025-11-30", "2025-11-30"),
        ("the reply of Sept. 16", "2026-09-16", "2026-09-16"),
    ],
)
def test_time_span_in_question(question, since, until):
    query = parse_query(question, today=TODAY)
    assert (query.since, query.until) == (since, until)
    assert query.in_span(since) and query.in_span(until)
    assert not query.in_span("1999-01-01") and not query.in_span(None)


@pytest.mark.parametrize(
    "question",
    [
        "May Day celebrations",
        "Who made the Jiu antivirus?",
        "2010 was a year of tension",
        "Why may the drills march on?",
        "What is on 31 February?",
    ],
)
def test_no_span_without_a_date(question):
    assert not parse_query(question, today=TODAY).dated


def test_quoted_phrases_must_all_match():
    query = parse_query('Which company made the “virus scanner” called "Jiu"?')
    assert query.phrases == ["virus scanner", "jiu"]
    assert query.matches_phrases("The now popular computer Virus  Scanner “Jiu” in late 2019")
    assert not query.matches_phrases("a virus scanner made abroad")


def test_the_numbers_a_question_names_years_aside():
    query = parse_query("What did 3 000 women send for the 76th birthday in September 2024, at 240 mm?")
    assert query.numbers == {"3", "000", "76th", "240"}
    assert query.names_numbers_of("Pyongyang -- the 76TH birthday: 3 000 members sent 240 mm shells")
    assert not query.names_numbers_of("the 79th founding anniversary: 3 000 members sent 240 mm shells")
    assert not parse_query("What happened in 2024?").numbers  # the year is the time span's
    assert not parse_query("Who visited the farm?").names_numbers_of("the 76th birthday")  # nothing to match


def test_a_story_reports_the_recent_months_it_names_not_its_dateline():
    august = parse_query("What was the railway's freight result in August 2024?")
    july_report = "Pyongyang, August 4 (KCNA) -- The railway carried out its freight plan for July."
    assert recent_months(july_report, "2024-08-04") == {"2024-07"}
    assert not august.in_span("2024-08-04", 3, july_report)  # printed in August, July's news
    assert august.in_span("2024-09-10", 3, "The freight plan for August was fulfilled.")  # past the lag
    assert august.in_span("2024-08-20", 3, "The railway carried freight.")  # no month named: its date counts
    war = "The war that broke out on June 25, 1950 ended in July 1953. Farmers worked hard."
    assert recent_months(war, "2024-08-04") == set()  # history, not what the story reports
    assert august.in_span("2024-08-04", 3, war)
    assert recent_months("The Mayor of a Novel town, a Junior officer", "2024-09-17") == set()  # words, not months
    assert recent_months("the reply of Sept. 16 and the plan for Aug.", "2024-09-17") == {"2024-09", "2024-08"}
    day = parse_query("What happened on 4 August 2024?")
    assert day.in_span("2024-08-04", 3, july_report)  # a day's span: the story's date alone
