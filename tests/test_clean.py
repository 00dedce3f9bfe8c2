# ruff: noqa: E501  (the excerpts are seed lines copied verbatim, however long)
"""Cleaning rules of rag.clean, each checked on an excerpt copied verbatim from a seed file.

Every excerpt below is a tuple of the seed file's lines (trailing spaces and non-breaking spaces
included); `test_excerpts_are_verbatim_copies_of_the_seed_files` proves they still match the seeds.
A Document built from an excerpt keeps the seed file's own line numbers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.clean import (
    classify,
    clean_document,
    is_boilerplate,
    is_pagination,
    normalise_text,
    recurring_lines,
)
from rag.load import corpus_root, iter_files, load_file
from rag.records import Document, Line

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def seed_path(prefix: str) -> Path:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path


def seed_lines(prefix: str) -> list[str]:
    return seed_path(prefix).read_text(encoding="utf-8").split("\n")


def excerpt_doc(lines: tuple[str, ...], first_line: int, source: str = "excerpt.txt") -> Document:
    """A Document holding the excerpt, numbered as in the seed file it was copied from."""
    return Document(source=source, lines=[Line(text, n) for n, text in enumerate(lines, start=first_line)])


def summary(blocks) -> list[tuple[int | None, int | None, str]]:
    return [(b.start_line, b.end_line, b.kind) for b in blocks]


# 001_f54d5b30b2e3cbbe.txt lines 153-158 (the end of the Naenara headline list)
NAENARA_001_TAIL = (
    "Calculation Method of Our\u00a0Party",
    "",
    "Though their country is not under favorable conditions, the state still spends colossal sums for the people’s comfort and happiness.",
    "",
    "",
    "Something went wrong. Please refresh the page and/or try again.",
)

# 000_aa227a5badb15332.txt lines 148-153 (the end of the other Naenara headline list)
NAENARA_000_TAIL = (
    "People Creating Dense\u00a0Forests",
    "",
    "Hoechang County has made a remarkable ecological recovery from the harsh 1990s to be densely covered in tall lush trees.",
    "",
    "",
    "Something went wrong. Please refresh the page and/or try again.",
)

# 003_40bc4345d3ad908c.txt lines 9-17 (Voice of Korea teaser list: each teaser printed twice around its date)
VOK_TEASERS = (
    "A launching drill of the long-range strategic cruise missiles was held in the West Sea of Korea on December 28. The respected",
    "December 29, 2025",
    "A launching drill of the long-range strategic cruise missiles was held in the West Sea of Korea on December 28. The respected",
    "An inauguration ceremony of a paper mill built in Unsan County of South Phyongan Province took place on December 28. The respected",
    "December 29, 2025",
    "An inauguration ceremony of a paper mill built in Unsan County of South Phyongan Province took place on December 28. The respected",
    "A provincial consumer goods exhibition took place in the city of Sariwon, North Hwanghae Province. It was attended by a lot of",
    "December 29, 2025",
    "A provincial consumer goods exhibition took place in the city of Sariwon, North Hwanghae Province. It was attended by a lot of",
)

# 004_dbe5a5fc2a9b13dc.txt lines 8-16 (NK News: the headline printed three times, then the byline)
NKNEWS_RAILWAY = (
    "Russian officials inspect North Korean railway in push to resume rail service",
    "",
    "Russian officials inspect North Korean railway in push to resume rail service",
    "",
    "Far East tourism agency reveals officials joined trial run of passenger train from Khasan to Tumangang in DPRK",
    "",
    "Russian officials inspect North Korean railway in push to resume rail service",
    "Anton Sokolin",
    "Anton Sokolin June 10, 2024",
)

# 004_dbe5a5fc2a9b13dc.txt lines 93-98 (the last story and the pagination links under it)
NKNEWS_TAIL = (
    "ROK, EU officials stress the need for greater cooperation to enforce sanctions on DPRK trading vessels funding regime",
    "",
    "Legal hurdles to board ships hinder North Korea sanctions enforcement: officials",
    "Ifang Bremer",
    "Ifang Bremer June 6, 2024",
    "1 9 10 11 12 13 14 15 1,077",
)

# 004_dbe5a5fc2a9b13dc.txt lines 32-52 (three stories carrying the same byline date)
NKNEWS_SAME_DATE = (
    "North Korea launches barrage of balloons toward South for second straight day",
    "Shreyas Reddy",
    "Shreyas Reddy June 9, 2024",
    "Seoul resumes propaganda broadcasts after more North Korean balloon launches",
    "",
    "Seoul resumes propaganda broadcasts after more North Korean balloon launches",
    "",
    "National Security Council authorized loudspeaker use near border after DPRK sent some 330 balloons south on Saturday",
    "",
    "Seoul resumes propaganda broadcasts after more North Korean balloon launches",
    "Shreyas Reddy",
    "Shreyas Reddy June 9, 2024",
    "North Korea launches trash balloons toward South Korea: ROK military",
    "",
    "North Korea launches trash balloons toward South Korea: ROK military",
    "",
    "New wave of DPRK balloons is likely a response to defector-activists’ latest launches of anti-regime leaflets and cash",
    "",
    "North Korea launches trash balloons toward South Korea: ROK military",
    "Shreyas Reddy",
    "Shreyas Reddy June 9, 2024",
)

# 002_e735870d7619d657.txt lines 1-13 (PDF text: the abstract, hard-wrapped and hyphenated)
PAPER_ABSTRACT = (
    " Abstract",
    "This study examines the technical level of North Korea’s S&T and identifies areas for potential North–South ",
    "cooperation. First, North Korean media is analyzed for situations and trends from 2010 to 2015. Despite ",
    "some commendable achievements, North Korean S&T remains lacking in basic science and commercializa-",
    "tion potential. Despite an awareness of the importance of international cooperation, North Korea is ham-",
    "pered by international sanctions and their own caution, consequently concentrating their efforts on China. ",
    "Details of their cooperation reflect their interests and needs to a certain extent, although their collaborations ",
    "were mainly in the form of meetings and conferences rather than active joint research. To assess the poten-",
    "tial areas of cooperation with South Korea, this study also draws on interviews with NGOs and professionals ",
    "working with North Korea. The country’s present situation is analyzed and some practical examples of pos-",
    "sible cooperation is suggested. North Korea has the potential to expand its cooperation not only with South ",
    "Korea but with many other countries. North Korea also promisingly expresses interest in cooperation.    ",
    " 1. INTRODUCTION",
)

# 002_e735870d7619d657.txt lines 94-107 (end of the introduction, a heading wrapped as "INFOR-/MATION")
PAPER_SECTION_2 = (
    "One way to assess the North Korean S&T skill level is to study the practical S&T skills being ap-",
    "plied to North Korea’s industries and economy. This review analyzes and summarizes public infor-",
    "mation to obtain the long-term view on the country’s S&T and certain industry areas during 2010-",
    "2015. Interviews were also conducted with professionals and NGO teams working in North Korea ",
    "to evaluate the present S&T level. The information is analyzed from the perspective of contributing ",
    "to a basis for future inter-Korean cooperation.",
    " 2. PRESENT SITUATION OF INDUSTRIES AND S&T (2010–2015) BASED ON INFOR-",
    "MATION FROM NORTH KOREA’S MEDIA",
    "",
    "We assume that information on S&T made public by North Korea should have something to reveal ",
    "concerning its industry. In order to discern the progression of S&T in North Korea’s industries, we ",
    "examine information revealed by North Korea’s media from 2010 to 2015.",
    "",
    "2.1. The Situation in 2010",
)

# 002_e735870d7619d657.txt lines 46-65 (a page foot: three footnotes between two body paragraphs)
PAPER_FOOTNOTES = (
    "Under their motto Jarukgaingsaing (recovery by our own strength in English translation), North ",
    "Korea advocates national S&T strategies using achievements made by their own technology as pro-",
    "paganda for internal consolidation. They emphasize S&T for solving three problems, namely ex-",
    "ternal security, poverty, and the bottleneck of political uncertainty arising from a power succession ",
    "across three consecutive generations. ",
    "",
    "1  Juche, usually translated as “self-reliance”, is the official political ideology of North Korea. It means “being the master of revolution and ",
    "reconstruction in one’s own country, holding fast to an independent position, rejecting dependence on others, using one’s own brains, ",
    "believing in one’s own strength under all circumstances. (Lee, 2003, p. 105)” ",
    "",
    "2 North Korea's IT Technology (http://www.northkoreatech.org/tag/cheo-technology)",
    "3  Confirmed during an interview on wind power project from Switzerland. The interviewee Stefan Burckhardt managed the alternative ",
    "",
    "energy project with North Korea in 2012. Available at http://www.agape.ch/projekte/asien/nordkorea/",
    " We discerned North Korea’s current situation of S&T and some of its industries through North Ko-",
    "rea’s S&T network (http://www.nktech.net), and through information and materials courtesy of the ",
    "Ministry of Unification. North Korea attempted to set up three consecutive five-year plans for the ",
    "improvement of S&T (1998–2012), but were unable to solve the more urgent “food problem” in ",
    "their populace. While receiving various kinds of external help, North Korea has also refused certain ",
    "forms of support to protect their principle of “utmost dignity.”",
)

# 002_e735870d7619d657.txt lines 20-30 (bullets whose words break across a blank line: "coopera-" / "" / "tion")
PAPER_BULLETS = (
    "mottos of Juche technology is “feet on our land, eyes to the world (Jenson, 209),ˮ and some efforts ",
    "towards this end can be seen in the following activities.",
    " •  Product donation by China in 2007 (computers and printers were donated through coopera-",
    "",
    "tion between science academies in North Korea and China),  ",
    " •  Investment of 4 million dollars for the national mobile phone network business by the ",
    "",
    "Orascom company in Egypt in 20082, ",
    " •  IT technology exchange program between Syracus University in New York and Kim Chaek ",
    "",
    "University in Pyongyang, although not readily admitted by either party, and  ",
)

# 000_aa227a5badb15332.txt lines 1-11 (headlines with a non-breaking space before their last word)
NAENARA_000_HEAD = (
    "Like Parents of\u00a0Students",
    "",
    "Officials of the Narae Ceramic Factory are rendering a lot of assistance to improving their local community and building a brighter future.",
    "",
    "Info Clip: Ryonpho Greenhouse\u00a0Farm",
    "",
    "Former military base transformed into enormous modern greenhouse farm is set to satisfy the vegetable demand for Hamhung City and other areas.",
    "",
    "5,500 Farm Machines\u00a0Tell",
    "",
    "The thousands of advanced farming machines sent to farmers in South Hwanghae Province reflect the care and concern of the state.",
)

EXCERPTS = [
    ("001", 153, NAENARA_001_TAIL),
    ("000", 148, NAENARA_000_TAIL),
    ("003", 9, VOK_TEASERS),
    ("004", 8, NKNEWS_RAILWAY),
    ("004", 93, NKNEWS_TAIL),
    ("004", 32, NKNEWS_SAME_DATE),
    ("002", 1, PAPER_ABSTRACT),
    ("002", 94, PAPER_SECTION_2),
    ("002", 46, PAPER_FOOTNOTES),
    ("002", 20, PAPER_BULLETS),
    ("000", 1, NAENARA_000_HEAD),
]


@pytest.mark.parametrize(("seed", "first", "excerpt"), EXCERPTS, ids=[f"{s}:{f}" for s, f, _ in EXCERPTS])
def test_excerpts_are_verbatim_copies_of_the_seed_files(seed, first, excerpt):
    assert tuple(seed_lines(seed)[first - 1 : first - 1 + len(excerpt)]) == excerpt


# --- boilerplate -------------------------------------------------------------------------------


@pytest.mark.parametrize(("excerpt", "first"), [(NAENARA_001_TAIL, 153), (NAENARA_000_TAIL, 148)], ids=["001", "000"])
def test_known_boilerplate_line_is_dropped(excerpt, first):
    blocks = clean_document(excerpt_doc(excerpt, first))
    assert summary(blocks) == [(first, first, "heading"), (first + 2, first + 2, "paragraph")]
    assert not any("Something went wrong" in b.text for b in blocks)
    assert is_boilerplate(normalise_text(excerpt[-1]))
    assert not is_boilerplate(normalise_text(excerpt[2]))  # the teaser is content


def test_line_recurring_across_many_documents_is_dropped():
    # The site banner of 004 (line 1, "News | NK News") heading three pages, each with a different
    # real story from 004 (lines 8+12, 17+21, 26+30).
    stories = [
        (
            "Russian officials inspect North Korean railway in push to resume rail service",
            "Far East tourism agency reveals officials joined trial run of passenger train from Khasan to Tumangang in DPRK",
        ),
        (
            "Seoul kicks off training against North Korean cyberattacks as tensions rise",
            "Two-week drills aim to improve ability to recover from attacks on critical infrastructure after DPRK balloon launches",
        ),
        (
            "North Korea launches barrage of balloons toward South for second straight day",
            "Launch of suspected ‘filth balloons’ follows Seoul’s decision to resume loudspeaker broadcasts near inter-Korean border",
        ),
    ]
    docs = [
        excerpt_doc(("News | NK News", "", headline, "", teaser), 1, f"page{i}.txt")
        for i, (headline, teaser) in enumerate(stories)
    ]
    recurring = recurring_lines(docs)
    assert recurring == {"news | nk news"}
    for doc, (headline, teaser) in zip(docs, stories, strict=True):
        assert [b.text for b in clean_document(doc, recurring)] == [headline, teaser]
    # Without the recurring set the banner stays: the rule is what removes it.
    assert clean_document(docs[0])[0].text == "News | NK News"
    # Two documents are too few to call anything site chrome.
    assert recurring_lines(docs[:2]) == set()


def test_story_shared_by_two_seed_pages_is_not_recurring_chrome():
    # 000 lines 100-150 and 001 lines 1-51 list the same stories ("High Ideal and Goal", ...).
    root = corpus_root([SEEDS])
    docs = [load_file(path, root)[0] for path in iter_files([SEEDS])]
    recurring = recurring_lines(docs)
    assert "high ideal and goal" not in recurring
    texts = [b.text for b in clean_document(docs[1], recurring)]
    assert texts[:2] == [
        "High Ideal and Goal",
        "The Electronic Automation Designing Institute is making continuous breakthroughs through collaboration and cooperation.",
    ]


# --- repeated lines ----------------------------------------------------------------------------


def test_teaser_printed_twice_in_a_row_is_kept_once():
    blocks = clean_document(excerpt_doc(VOK_TEASERS, 9))
    assert summary(blocks) == [
        (9, 9, "paragraph"),
        (10, 10, "dateline"),
        (12, 12, "paragraph"),
        (13, 13, "dateline"),
        (15, 15, "paragraph"),
        (16, 16, "dateline"),
    ]
    assert [b.text for b in blocks[::2]] == [VOK_TEASERS[0], VOK_TEASERS[3], VOK_TEASERS[6]]


def test_repeated_headline_within_a_few_lines_is_kept_once():
    blocks = clean_document(excerpt_doc(NKNEWS_RAILWAY, 8))
    assert summary(blocks) == [
        (8, 8, "heading"),
        (12, 12, "paragraph"),
        (15, 15, "heading"),
        (16, 16, "dateline"),
    ]
    headline = NKNEWS_RAILWAY[0]
    assert sum(b.text.count(headline) for b in blocks) == 1
    assert blocks[1].text.startswith("Far East tourism agency")


def test_repeated_datelines_are_all_kept():
    blocks = clean_document(excerpt_doc(NKNEWS_SAME_DATE, 32))
    datelines = [(b.start_line, b.text) for b in blocks if b.kind == "dateline"]
    assert datelines == [
        (34, "Shreyas Reddy June 9, 2024"),
        (43, "Shreyas Reddy June 9, 2024"),
        (52, "Shreyas Reddy June 9, 2024"),
    ]
    # The same excerpt's repeated headlines are still collapsed.
    texts = [b.text for b in blocks]
    assert texts.count("Seoul resumes propaganda broadcasts after more North Korean balloon launches") == 1
    assert texts.count("North Korea launches trash balloons toward South Korea: ROK military") == 1
    # and the teaser dates of 003 survive too (three identical "December 29, 2025" lines).
    vok = clean_document(excerpt_doc(VOK_TEASERS, 9))
    assert [b.text for b in vok if b.kind == "dateline"] == ["December 29, 2025"] * 3


# --- pagination --------------------------------------------------------------------------------


def test_pagination_debris_is_dropped():
    blocks = clean_document(excerpt_doc(NKNEWS_TAIL, 93))
    assert not any("1,077" in b.text for b in blocks)
    assert max(b.end_line for b in blocks) == 97
    assert blocks[0].text == NKNEWS_TAIL[0]
    assert (blocks[-1].start_line, blocks[-1].kind, blocks[-1].text) == (97, "dateline", "Ifang Bremer June 6, 2024")
    # and in the whole page, the debris is gone while the last story's byline date stays
    path = seed_path("004")
    whole = clean_document(load_file(path, corpus_root([path]))[0])
    assert not any("1,077" in b.text for b in whole)
    assert (whole[-1].start_line, whole[-1].text) == (97, "Ifang Bremer June 6, 2024")


@pytest.mark.parametrize(
    "text",
    ["1 9 10 11 12 13 14 15 1,077", "Page 3 of 10", "« Previous Next »", "1 2 3 Next"],
)
def test_is_pagination_true(text):
    assert is_pagination(text)


@pytest.mark.parametrize(
    "text",
    [
        "5,500 Farm Machines Tell",  # 000 line 9: a headline that starts with a number
        "2010",  # a bare year in a table (002 text)
        "Industry",  # 002 line 126: a table heading
        "6th Session of 14th SPA of DPRK held",  # 000 line 116
        "",
    ],
)
def test_is_pagination_false(text):
    assert not is_pagination(text)


# --- hyphenation -------------------------------------------------------------------------------


def test_words_hyphenated_across_lines_are_joined():
    blocks = clean_document(excerpt_doc(PAPER_ABSTRACT, 1))
    body = " ".join(b.text for b in blocks)
    assert "commercialization potential" in body
    assert "North Korea is hampered by international sanctions" in body
    assert "the potential areas" in body
    assert "possible cooperation" in body
    assert "ham-" not in body and "ham pered" not in body
    assert "North–South cooperation" in body  # a dash inside a line is kept


def test_upper_case_word_hyphenated_across_lines_is_joined():
    blocks = clean_document(excerpt_doc(PAPER_SECTION_2, 94))
    heading = next(b for b in blocks if b.start_line == 100)
    assert heading.text == (
        "2. PRESENT SITUATION OF INDUSTRIES AND S&T (2010–2015) BASED ON INFORMATION FROM NORTH KOREA’S MEDIA"
    )
    assert (heading.start_line, heading.end_line, heading.kind) == (100, 101, "heading")


def test_number_range_broken_after_hyphen_keeps_its_hyphen():
    blocks = clean_document(excerpt_doc(PAPER_SECTION_2, 94))
    first = blocks[0]
    assert (first.start_line, first.end_line) == (94, 99)
    assert "certain industry areas during 2010-2015. Interviews" in first.text
    assert "applied to North Korea’s industries" in first.text
    assert "public information to obtain" in first.text


def test_word_broken_across_a_blank_line_is_joined():
    blocks = clean_document(excerpt_doc(PAPER_BULLETS, 20))
    bullet = next(b for b in blocks if b.start_line == 22)
    assert bullet.text.startswith(
        "• Product donation by China in 2007 (computers and printers were donated through cooperation between "
        "science academies in North Korea and China),"
    )
    # line 24 ("tion between ...") starts right after "coopera", whose hyphen is gone
    assert bullet.line_starts[:2] == [(0, 22), (bullet.text.index("cooperation between") + len("coopera"), 24)]


# --- Unicode and whitespace --------------------------------------------------------------------


def test_non_breaking_spaces_in_headlines_become_plain_spaces():
    blocks = clean_document(excerpt_doc(NAENARA_000_HEAD, 1))
    assert [b.text for b in blocks if b.kind == "heading"] == [
        "Like Parents of Students",
        "Info Clip: Ryonpho Greenhouse Farm",
        "5,500 Farm Machines Tell",
    ]
    assert not any("\u00a0" in b.text for b in blocks)


def test_trailing_and_repeated_spaces_collapse():
    # 002 line 159 holds a double space, line 12 ends with four spaces.
    assert (
        normalise_text(
            "healthy and functional food material based on 100%  domestric foods (for example, systematic breeding in "
        )
        == "healthy and functional food material based on 100% domestric foods (for example, systematic breeding in"
    )
    blocks = clean_document(excerpt_doc(PAPER_ABSTRACT, 1))
    assert blocks[2].text.endswith("North Korea also promisingly expresses interest in cooperation.")


def test_nfkc_ligatures_zero_width_and_soft_hyphen_are_normalised():
    # 002 line 115 and 003 line 2, as a PDF extractor or a web page would deliver them: an "fi"
    # ligature, a zero-width space, a zero-width joiner, a soft hyphen, a BOM and full-width digits.
    line_115 = "products (such as the promotion of products made with the cultivation techniques of puri\ufb01ed water "
    line_2 = "Its opening ceremony was held at the Sci\u200b-Tech Com\u00adplex on Octo\u200dber \uff12\uff19.\ufeff"
    (paper,) = clean_document(excerpt_doc((line_115,), 115))
    assert (
        paper.text
        == "products (such as the promotion of products made with the cultivation techniques of purified water"
    )
    assert (paper.start_line, paper.end_line) == (115, 115)
    (article,) = clean_document(excerpt_doc((line_2,), 2))
    assert article.text == "Its opening ceremony was held at the Sci-Tech Complex on October 29."
    assert normalise_text("\u00a0\u2003Sapling\u00a0Production\t\u200bIncreases ") == "Sapling Production Increases"


# --- block kinds -------------------------------------------------------------------------------


def test_footnote_block_is_classified_as_footnote():
    blocks = clean_document(excerpt_doc(PAPER_FOOTNOTES, 46))
    assert summary(blocks) == [
        (46, 50, "paragraph"),
        (52, 54, "footnote"),
        (56, 56, "footnote"),
        (57, 59, "footnote"),
        (60, 65, "paragraph"),
    ]
    assert blocks[1].text.startswith("1 Juche, usually translated as “self-reliance”")
    assert blocks[1].text.endswith("(Lee, 2003, p. 105)”")
    assert blocks[3].text.endswith(
        "managed the alternative energy project with North Korea in 2012. Available at "
        "http://www.agape.ch/projekte/asien/nordkorea/"
    )
    assert blocks[0].text.endswith(
        "as propaganda for internal consolidation. They emphasize S&T for solving three "
        "problems, namely external security, poverty, and the bottleneck of political "
        "uncertainty arising from a power succession across three consecutive generations."
    )


def test_headings_and_paragraphs_of_the_paper():
    blocks = clean_document(excerpt_doc(PAPER_ABSTRACT, 1))
    assert summary(blocks) == [
        (1, 1, "heading"),
        (2, 6, "paragraph"),
        (7, 12, "paragraph"),
        (13, 13, "heading"),
    ]
    assert blocks[0].text == "Abstract"
    assert blocks[3].text == "1. INTRODUCTION"
    section = clean_document(excerpt_doc(PAPER_SECTION_2, 94))
    assert summary(section) == [
        (94, 99, "paragraph"),
        (100, 101, "heading"),
        (103, 105, "paragraph"),
        (107, 107, "heading"),
    ]
    assert section[-1].text == "2.1. The Situation in 2010"


def test_headlines_and_teasers_of_a_headline_list():
    blocks = clean_document(excerpt_doc(NAENARA_000_HEAD, 1))
    assert summary(blocks) == [
        (1, 1, "heading"),
        (3, 3, "paragraph"),
        (5, 5, "heading"),
        (7, 7, "paragraph"),
        (9, 9, "heading"),
        (11, 11, "paragraph"),
    ]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("December 29, 2025", "dateline"),  # 003 line 10
        ("Joon Ha Park | Shreyas Reddy June 10, 2024", "dateline"),  # 004 line 25
        ("1. INTRODUCTION", "heading"),  # 002 line 13
        ("Developers of Anticancer Pills", "heading"),  # 000 line 13
        ("Its opening ceremony was held at the Sci-Tech Complex on October 29.", "paragraph"),  # 003 line 2
        ("2 North Korea's IT Technology (http://www.northkoreatech.org/tag/cheo-technology)", "footnote"),  # 002 l. 56
        ("the raw material for textile and", "paragraph"),  # a wrapped fragment, lower case, dangling "and"
    ],
)
def test_classify(text, kind):
    assert classify(text) == kind


# --- line numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", ["000", "001", "002", "003", "004"])
def test_block_line_numbers_point_at_the_source_lines(seed):
    path = seed_path(seed)
    raw = seed_lines(seed)
    doc = load_file(path, corpus_root([path]))[0]
    blocks = clean_document(doc)
    assert blocks
    for block in blocks:
        numbers = [n for _, n in block.line_starts]
        assert block.start_line == numbers[0] == min(numbers)
        assert block.end_line == max(numbers)
        for offset, number in block.line_starts:
            source_line = normalise_text(raw[number - 1])
            # each original line starts where line_starts says (its end-of-line hyphen may be gone)
            assert block.text[offset:].startswith(source_line.rstrip("-‐")), (number, source_line)


def test_block_line_numbers_on_known_seed_lines():
    path = seed_path("004")
    doc = load_file(path, corpus_root([path]))[0]
    blocks = {b.start_line: b for b in clean_document(doc)}
    assert blocks[16].text == "Anton Sokolin June 10, 2024" and blocks[16].kind == "dateline"
    assert blocks[12].text.startswith("Far East tourism agency")
    assert 10 not in blocks and 14 not in blocks  # the repeats of the line-8 headline
    assert 98 not in blocks  # the pagination line
    path = seed_path("002")
    doc = load_file(path, corpus_root([path]))[0]
    blocks = {b.start_line: b for b in clean_document(doc)}
    assert (blocks[52].end_line, blocks[52].kind) == (54, "footnote")
    assert (blocks[100].end_line, blocks[100].kind) == (101, "heading")
    assert blocks[2].end_line == 6 and "hampered" in blocks[2].text
