"""Exports for reports (rag.export): each format read back by a real parser, with fields that try
to break it; and `rag search --format` on the real seeds index."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys

import pytest

from rag.export import FORMATS, export
from rag.records import Hit, Passage

ACCESSED = dt.date(2026, 12, 2)
HOSTILE = 'Kim\'s "visit" {to} \\ Hamhung}} @misc{x, & 100% #1 $5 _a ~b ^c'


def hits() -> list[Hit]:
    first = Passage(
        text='Officials of the Narae Ceramic Factory said "we helped".\nER  - \nTY  - JOUR\n=HYPERLINK("http://x")',
        source="seeds/000_aa.txt",
        title=HOSTILE + "\nsecond line",
        section="Economy * _news_ [link](http://evil) <script>alert(1)</script>",
        start_line=3,
        end_line=7,
        date="2024-06-10",
        url=None,
        hash="abcdef0123456789",
        also_in=["kcna.json, record 12"],
    )
    second = Passage(
        text="The Jiu antivirus program was made by a Pyongyang company.",
        source="kcna/kcna_en.json, record 9",
        title=None,
        section=None,
        start_line=None,
        end_line=None,
        date=None,
        url="http://www.kcna.kp/en/article/q/abc.kcmsf?x=1&y=2",
        hash="0011223344556677",
    )
    return [Hit(first, 0.9, rank=1), Hit(second, 0.5, rank=2)]


def test_csv_reads_back_field_for_field():
    rows = list(csv.DictReader(io.StringIO(export('what? "q"', hits(), "csv", ACCESSED))))
    assert len(rows) == 2
    assert rows[0]["title"] == HOSTILE + "\nsecond line"
    assert rows[0]["text"].startswith("Officials of the Narae") and "\n=HYPERLINK" in rows[0]["text"]
    assert rows[0]["lines"] == "3-7" and rows[0]["source"] == "seeds/000_aa.txt" and rows[0]["date"] == "2024-06-10"
    assert rows[1]["url"] == "http://www.kcna.kp/en/article/q/abc.kcmsf?x=1&y=2" and rows[1]["lines"] == ""
    assert rows[0]["query"] == 'what? "q"'


def test_a_csv_cell_is_never_a_formula():
    row = next(csv.DictReader(io.StringIO(export("=1+1", [hits()[0]], "csv", ACCESSED))))
    assert row["query"] == "'=1+1"


def test_markdown_is_one_block_quote_per_passage_with_its_citation_as_text():
    from markdown_it import MarkdownIt

    text = export("antivirus", hits(), "md", ACCESSED)
    tokens = MarkdownIt().parse(text)
    assert sum(t.type == "blockquote_open" for t in tokens) == 2
    html = MarkdownIt().render(text)
    assert "<script>" not in html and "<a " not in html and "<em>" not in html  # the source's markup stays text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "[link](http://evil)" in html
    assert "Officials of the Narae Ceramic Factory said" in html
    assert "accessed 2026-12-02" in html and "seeds/000_aa.txt, lines 3-7" in html


def test_ris_reads_back_as_two_records_whatever_the_text_holds():
    import rispy

    records = rispy.loads(export("antivirus", hits(), "ris", ACCESSED))
    assert len(records) == 2  # a forged "ER  - " line in a passage ends nothing
    first, second = records
    assert first["title"] == HOSTILE + " second line"
    assert first["abstract"].startswith("Officials of the Narae") and "ER - TY - JOUR" in first["abstract"]
    assert first["access_date"] == "2026/12/02" and first["date"] == "2024/06/10"
    assert second["type_of_reference"] == "ELEC" and second["urls"] == [
        "http://www.kcna.kp/en/article/q/abc.kcmsf?x=1&y=2"
    ]


def test_bibtex_reads_back_with_balanced_fields():
    import bibtexparser

    library = bibtexparser.parse_string(export("antivirus", hits(), "bibtex", ACCESSED))
    assert not library.failed_blocks
    assert len(library.entries) == 2
    first, second = library.entries
    title = first.fields_dict["title"].value
    assert title.count("{") == title.count("}")  # what a LaTeX run needs
    assert r"Kim's \"visit\"" not in title and r"\textbraceleft{}to\textbraceright{}" in title and r"100\%" in title
    assert first.fields_dict["urldate"].value == "2026-12-02" and first.fields_dict["year"].value == "2024"
    assert second.fields_dict["url"].value == r"http://www.kcna.kp/en/article/q/abc.kcmsf?x=1\&y=2"


def test_nothing_found_is_an_empty_but_valid_file():
    for form in FORMATS:
        assert isinstance(export("nothing", [], form, ACCESSED), str)
    with pytest.raises(ValueError, match="format must be one of"):
        export("q", [], "docx")


@pytest.mark.slow
@pytest.mark.parametrize("form", ["csv", "md", "ris", "bibtex"])
def test_rag_search_writes_each_format_and_json_is_unchanged(seed_index, form):
    settings, _ = seed_index
    base = [sys.executable, "-m", "rag", "search", "Which company made antivirus software?", "--index",
            str(settings.index_dir)]  # fmt: skip
    done = subprocess.run([*base, "--format", form], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-1000:]
    as_json = json.loads(subprocess.run([*base, "--json"], capture_output=True, text=True, timeout=120).stdout)
    assert set(as_json) == {"query", "results"} and len(as_json["results"]) == 5
    first = as_json["results"][0]["text"].split("\n")[0][:40]
    if form == "csv":
        assert next(csv.DictReader(io.StringIO(done.stdout)))["text"].startswith(first)
    elif form == "ris":
        import rispy

        assert len(rispy.loads(done.stdout)) == 5
    elif form == "bibtex":
        import bibtexparser

        assert len(bibtexparser.parse_string(done.stdout).entries) == 5
    else:
        assert done.stdout.count("\n> ") >= 5
    both = subprocess.run([*base, "--format", form, "--json"], capture_output=True, text=True, timeout=120)
    assert both.returncode == 2 and "not with --json" in both.stderr
