"""Time spans, quoted phrases and numbers read from the question."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

import pytest

from rag.query import names_in, numbers_in, parse_query
from rag.spans import recent_months

from .conftest import kcna_records

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
        ("Kim's December plenary", "2025-12-01", "2025-12-31"),
        ("during his September visit", "2026-09-01", "2026-09-30"),
        ("handed over by his ambassador on September 4?", "2026-09-04", "2026-09-04"),
        ("her 15 October statement", "2026-10-15", "2026-10-15"),
        ("the message of 30 November", "2025-11-30", "2025-11-30"),
        ("the reply of Sept. 16", "2026-09-16", "2026-09-16"),
        ("what was said at the June 25 meeting", "2026-06-25", "2026-06-25"),  # a day, not "the April 25 Hostel"
        ("in mid-September 2024", "2024-09-11", "2024-09-20"),
        ("At the late-October ICBM launch", "2026-10-21", "2026-10-31"),
        # Ranges: both ends' bounds, a year shared from the end, a range of days
        ("What did KCNA report from July to August 2024?", "2024-07-01", "2024-08-31"),
        ("talks between June and September", "2026-06-01", "2026-09-30"),
        ("the drills from December to February 2024", "2023-12-01", "2024-02-29"),
        ("the 2018-2019 summits", "2018-01-01", "2019-12-31"),
        ("in May and June 2024", "2024-05-01", "2024-06-30"),
        ("between 2018 and 2019", "2018-01-01", "2019-12-31"),
        ("the plenary of October 1-15, 2024", "2024-10-01", "2024-10-15"),
        ("Kim's speeches on 10-11 October", "2026-10-10", "2026-10-11"),
        ("June 25, 1950 - July 27, 1953", "1950-06-25", "1953-07-27"),
        # Open ends: to today, or everything before
        ("What has KCNA said about Russia since June 2024?", "2024-06-01", "2026-11-27"),
        ("since 2020", "2020-01-01", "2026-11-27"),
        ("since early 2022", "2022-01-01", "2026-11-27"),
        ("after 2020", "2021-01-01", "2026-11-27"),
        ("before March 2024", "0001-01-01", "2024-02-29"),
        # Counted back from today
        ("What did KCNA say last year about drones?", "2025-01-01", "2025-12-31"),
        ("this year's harvest", "2026-01-01", "2026-11-27"),
        ("last month", "2026-10-01", "2026-10-31"),
        ("this month", "2026-11-01", "2026-11-27"),
        ("last week", "2026-11-16", "2026-11-22"),
        ("in the past three weeks", "2026-11-06", "2026-11-27"),
        ("over the last 6 months", "2026-05-27", "2026-11-27"),
        ("the past year", "2025-11-27", "2026-11-27"),
        ("yesterday", "2026-11-26", "2026-11-26"),
        # Parts of a year
        ("the floods of summer 2024", "2024-06-01", "2024-08-31"),
        ("autumn 2024", "2024-09-01", "2024-11-30"),
        ("late 2024", "2024-09-01", "2024-12-31"),
        ("the first half of 2023", "2023-01-01", "2023-06-30"),
        ("Q3 2024", "2024-07-01", "2024-09-30"),
        ("the third quarter of 2024", "2024-07-01", "2024-09-30"),
        ("last summer", "2026-06-01", "2026-08-31"),
        ("in the spring", "2026-03-01", "2026-05-31"),
        ("H2 2024", "2024-07-01", "2024-12-31"),
        # Days in figures, and "the 9th of September"
        ("What did KCNA report on 2024-09-09?", "2024-09-09", "2024-09-09"),
        ("the statement of 2024/10/15", "2024-10-15", "2024-10-15"),
        ("the reports of 2024-09", "2024-09-01", "2024-09-30"),
        ("news in 2024/9", "2024-09-01", "2024-09-30"),
        ("the meeting on 09.09.2024", "2024-09-09", "2024-09-09"),
        ("the launch on 31.12.2023", "2023-12-31", "2023-12-31"),
        ("the launch on 9/15/2024", "2024-09-15", "2024-09-15"),
        ("the launch on 15/9/2024", "2024-09-15", "2024-09-15"),
        ("on the 9th of September 2024", "2024-09-09", "2024-09-09"),
        ("from 2024-09-01 to 2024-09-15", "2024-09-01", "2024-09-15"),
        # a year standing alone, as keyword queries write it
        ("singapore summit 2018 joint statement", "2018-01-01", "2018-12-31"),
        ("What did his 2018 New Year address promise?", "2018-01-01", "2018-12-31"),
        ("2010 was a year of tension", "2010-01-01", "2010-12-31"),
    ],
)
def test_time_span_in_question(question, since, until):
    query = parse_query(question, today=TODAY)
    assert (query.since, query.until) == (since, until)
    assert query.in_span(since) and query.in_span(until)
    if since != "0001-01-01":
        assert not query.in_span((dt.date.fromisoformat(since) - dt.timedelta(days=1)).isoformat())
    assert not query.in_span((dt.date.fromisoformat(until) + dt.timedelta(days=1)).isoformat())
    assert not query.in_span(None)


@pytest.mark.parametrize(
    ("question", "spans"),
    [
        ("What happened in May 2024 and March 2025?", [("2024-05-01", "2024-05-31"), ("2025-03-01", "2025-03-31")]),
        ("Kim's words in May 2024 and in March 2025?", [("2024-05-01", "2024-05-31"), ("2025-03-01", "2025-03-31")]),
        ("news from June or July 2024", [("2024-06-01", "2024-06-30"), ("2024-07-01", "2024-07-31")]),
        ("the harvests of 2019, 2020 and 2022", [(f"{y}-01-01", f"{y}-12-31") for y in (2019, 2020, 2022)]),
        ("the plans for August and September", [("2026-08-01", "2026-08-31"), ("2026-09-01", "2026-09-30")]),
        # A range stays one span
        ("the launch on 9/10/2024", [("2024-09-10", "2024-09-10"), ("2024-10-09", "2024-10-09")]),  # either reading
        ("between June and September 2024", [("2024-06-01", "2024-09-30")]),
        ("from July to August 2024", [("2024-07-01", "2024-08-31")]),
    ],
)
def test_separate_times_are_separate_spans(question, spans):
    """Times listed one after another are each their own span: the months between them are not
    asked for (before, "May 2024 and March 2025" read as May 2024 to March 2025)."""
    query = parse_query(question, today=TODAY)
    assert list(query.spans) == spans
    for since, until in spans:
        assert query.in_span(since) and query.in_span(until)
    for (_, end), (start, _) in pairwise(spans):
        gap = dt.date.fromisoformat(end) + dt.timedelta(days=1)
        assert gap.isoformat() >= start or not query.in_span(gap.isoformat())


@pytest.mark.parametrize(
    "question",
    [
        "May Day celebrations",
        "Who made the Jiu antivirus?",
        "Why may the drills march on?",
        # numbers that are not years: a count, a resolution, a number, a missile, a year to come
        "How many of the 2000 workers finished early?",
        "1990 tons of rice",
        "UN Resolution 2094 sanctions",
        "Decree No. 2020 of the presidium",
        "Hwasong-2024 launch",
        "the 2050 plan",
        "What is on 31 February?",
        "the last year of the war",
        "in the fall of the regime",
        "relations between the two Koreas",
        "what has he said since Kim Il Sung died?",
        "the 76th May Day",
        "since the summer",  # the summer is not yet a date here; "this summer" is
        "Why, Kim said at the April 25 Hostel, were education measures needed?",  # places named after a day
        "What does the February 8 Vinalon Complex make?",
        "What happened on 2024-02-30?",  # no such day
        "What do the August 3 Consumer Goods workers make?",
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
    assert query.numbers == {"3000", "76", "240"}
    assert query.share_of_numbers_in("Pyongyang -- the 76TH birthday: 3 000 members sent 240 mm shells") == 1.0
    assert query.share_of_numbers_in("the 79th founding anniversary: 3 000 members sent 240 mm shells") == 2 / 3
    assert not parse_query("What happened in 2024?").numbers  # the year is the time span's
    assert parse_query("Who visited the farm?").share_of_numbers_in("the 76th birthday") == 0.0  # nothing to match


def test_a_number_is_matched_however_it_is_written():
    # Ordinal or not, with or without a thousands separator, in figures or in words from ten up.
    assert parse_query("Which factory turned 70?").share_of_numbers_in("on its 70th founding anniversary") == 1.0
    assert parse_query("its seventieth anniversary").share_of_numbers_in("the 70th anniversary") == 1.0
    assert parse_query("twenty-two farms").share_of_numbers_in("22 farms") == 1.0
    assert parse_query("3,000 hectares").share_of_numbers_in("3 000 hectares") == 1.0
    assert parse_query("3000 hectares").share_of_numbers_in("3,000 hectares") == 1.0
    assert parse_query("an altitude of 7,687.5 km").share_of_numbers_in("7 687.5km") == 1.0
    assert parse_query("an altitude of 7,687.5 km").share_of_numbers_in("7 687km") == 0.0
    # A date's day and year are not read as one figure; one to nine in words are not numbers.
    assert parse_query("on Oct. 10, 2024").numbers == {"10"}
    assert not parse_query("the first deputy of one party").numbers


def test_a_number_the_story_lacks_costs_only_its_share():
    # "No. 2 leader" is not written in the list that names the party; the anniversary is.
    query = parse_query("Which party, through its No. 2 leader, congratulated Kim on the WPK's 79th anniversary?")
    assert query.share_of_numbers_in("the 79th founding anniversary: the first deputy general secretary") == 0.5


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


def test_a_passage_speaks_of_the_time_asked_about_by_its_date_or_by_naming_its_year():
    summit = parse_query("What did Kim and Trump agree at the June 2018 Singapore summit?", today=TODAY)
    assert summit.speaks_of("2018-06-13", 3, "The talks ended.")  # dated within it
    assert summit.speaks_of("2024-06-21", 3, "the joint statement adopted in Singapore in 2018")  # recalled
    assert not summit.speaks_of("2024-06-21", 3, "Putin and Kim signed a treaty in June.")  # another June
    assert not summit.speaks_of(None, 3, "a summit in 20180 or 12018")  # a year is a whole number
    assert not summit.speaks_of(None, 3, "")
    # A long open span is not looked for by its years: any story of it is dated in it anyway.
    since = parse_query("What has changed since 1990?", today=TODAY)
    assert since.speaks_of("2024-01-01", 3, "") and not since.speaks_of("1985-01-01", 3, "in 1995")


def test_the_share_reads_each_figure_as_numbers_in_reads_it():
    # share_of_numbers_in looks for each figure's own forms rather than reading every figure of the
    # text (3x faster over a question's candidates); both must agree, on real KCNA stories.
    stories = [r["story_text"] for r in kcna_records() if r.get("story_text")][:600]
    stories += ["seventy-two farms", "some seventy-odd farms", "1,070 and 3 070 tons", "flew 7 687.5km", "the 76THS"]
    questions = ["the 76th", "turning 70", "seventy", "3,000 tons", "twenty-two farms", "No. 2, 79th", "7,687.5"]
    for query in map(parse_query, questions):
        for text in stories:
            expected = len(query.numbers & numbers_in(text)) / len(query.numbers)
            assert query.share_of_numbers_in(text) == expected, (query.text, text[:80])


def test_the_names_a_question_asks_about_are_its_capitalised_words_but_times_and_numbers():
    question = "When did the Lazarus Group of Pyongyang hit Bybit in April, before the Fourteenth SPA's Ninth session?"
    assert names_in(question) == ["Lazarus", "Group", "Pyongyang", "Bybit", "SPA's"]
    assert names_in("Which company made an antivirus program?") == []  # the first word is no name


@pytest.mark.parametrize(
    ("question", "order"),
    [
        ("What is Kim Yo Jong's latest statement about?", "newest"),
        ("the most recent missile launch", "newest"),
        ("What did the foreign ministry say recently about Japan?", "newest"),
        ("his last visit to Russia", "newest"),
        ("When did Kim last inspect the plant?", "newest"),
        ("the newest destroyer", "newest"),
        ("When did Kim visit the farm for the first time?", "oldest"),
        ("the earliest greeting from Laos", "oldest"),
        # times, not an order: rag.spans reads them
        ("What did Kim say last year?", None),
        ("the parade last June", None),
        ("in the last two weeks", None),
        ("over the last 6 months", None),
        ("the last third of the speech", None),
        ("the first deputy premier", None),
        ("the earliest and the latest launch", None),
    ],
)
def test_the_order_a_question_asks_for(question, order):
    assert parse_query(question, today=TODAY).order == order


@pytest.mark.parametrize(
    ("question", "numbers"),
    [
        ("What did KCNA report on 2024-09-09?", {"9"}),
        ("What did KCNA report on September 9, 2024?", {"9"}),
        ("the meeting on 09.09.2024", {"9"}),
        ("the reports of 2024-09", set()),
        ("the 76th anniversary on 2024/09/09", {"76", "9"}),
    ],
)
def test_a_day_in_figures_names_the_numbers_the_words_would(question, numbers):
    """ "2024-09-09" names the day 9, as "September 9, 2024" does: not "09", which no story writes."""
    assert parse_query(question, today=TODAY).numbers == numbers
