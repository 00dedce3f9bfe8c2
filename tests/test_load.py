"""rag.load: files and folders into Documents, with line numbers, sources and skip reasons."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.load import RecordFields, SkipFile, corpus_root, iter_files, load_file

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

# 004 lines 8-16: a real NK News story used as file content below
HEADLINE = "Russian officials inspect North Korean railway in push to resume rail service"
TEASER = (
    "Far East tourism agency reveals officials joined trial run of passenger train from Khasan to Tumangang in DPRK"
)
STORY = f"{HEADLINE}\n\n{TEASER}\n\nAnton Sokolin June 10, 2024\n"


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def load(path: Path) -> list:
    return load_file(path, path.parent)


def texts(doc) -> list[str]:
    return [line.text for line in doc.lines]


# --- plain text --------------------------------------------------------------------------------


def test_txt_lines_keep_their_line_numbers(tmp_path):
    (doc,) = load(write(tmp_path / "story.txt", STORY))
    assert doc.source == "story.txt"
    assert [(line.number, line.text) for line in doc.lines[:5]] == [
        (1, HEADLINE),
        (2, ""),
        (3, TEASER),
        (4, ""),
        (5, "Anton Sokolin June 10, 2024"),
    ]
    assert (doc.title, doc.date, doc.url) == (None, None, None)


def test_md_is_read_like_text(tmp_path):
    (doc,) = load(write(tmp_path / "notes.md", "# Railway\n\n" + STORY))
    assert texts(doc)[:3] == [
        "# Railway",
        "",
        "Russian officials inspect North Korean railway in push to resume rail service",
    ]
    assert doc.lines[2].number == 3


def test_crlf_and_utf8_bom_are_normalised(tmp_path):
    data = "\ufeffRussian officials inspect\r\nFar East tourism agency\rAnton Sokolin June 10, 2024\r\n".encode()
    (doc,) = load(write(tmp_path / "crlf.txt", data))
    assert texts(doc) == ["Russian officials inspect", "Far East tourism agency", "Anton Sokolin June 10, 2024", ""]
    assert [line.number for line in doc.lines] == [1, 2, 3, 4]


@pytest.mark.parametrize("content", [b"", b"\n\n  \n\t\n", "\ufeff\n".encode()])
def test_empty_text_file_is_skipped(tmp_path, content):
    with pytest.raises(SkipFile, match="empty file"):
        load(write(tmp_path / "empty.txt", content))


def test_seed_file_is_cited_as_seeds_slash_name():
    """`rag index seeds/` cites seeds/003_....txt: the root is the folder above the one named."""
    root = corpus_root([SEEDS])
    assert root == SEEDS.parent
    (doc,) = load_file(SEEDS / "003_40bc4345d3ad908c.txt", root)
    assert doc.source == "seeds/003_40bc4345d3ad908c.txt"
    assert len(doc.lines) == 69
    assert (doc.lines[9].number, doc.lines[9].text) == (10, "December 29, 2025")
    assert (doc.lines[-1].number, doc.lines[-1].text) == (69, "More Articles")


# --- encodings ---------------------------------------------------------------------------------


KOREAN = (
    "평양에서 새로운 과학기술 전시회가 열렸다. 많은 연구자들과 기술자들이 참가하였다.\n"
    "조선중앙통신은 이 전시회가 경제 발전에 이바지할 것이라고 보도하였다.\n"
)


@pytest.mark.parametrize(
    "data",
    [
        ("Science and technology\n" + KOREAN).encode("utf-16"),  # BOM + little-endian (what Python writes)
        b"\xfe\xff" + ("Science and technology\n" + KOREAN).encode("utf-16-be"),
        b"\xff\xfe" + ("Science and technology\n" + KOREAN).encode("utf-16-le"),
    ],
    ids=["utf-16", "utf-16-be-bom", "utf-16-le-bom"],
)
def test_utf16_with_bom_decodes(tmp_path, data):
    (doc,) = load(write(tmp_path / "u16.txt", data))
    assert texts(doc) == ["Science and technology", *KOREAN.split("\n")]
    assert not doc.lines[0].text.startswith("\ufeff")


def test_euc_kr_korean_decodes(tmp_path):
    (doc,) = load(write(tmp_path / "kcna.txt", KOREAN.encode("euc-kr")))
    assert texts(doc) == KOREAN.split("\n")
    assert [line.number for line in doc.lines] == [1, 2, 3]


def test_nul_bytes_mean_binary(tmp_path):
    with pytest.raises(SkipFile, match="NUL"):
        load(write(tmp_path / "blob.txt", b"Russian officials\x00\x00\x00inspect\n"))


def test_utf16_crlf_is_normalised(tmp_path):
    (doc,) = load(write(tmp_path / "win.txt", "First line\r\nSecond line\r\n".encode("utf-16")))
    assert texts(doc) == ["First line", "Second line", ""]


def test_truncated_utf16_is_skipped_not_crashing(tmp_path):
    with pytest.raises(SkipFile):
        load(write(tmp_path / "cut.txt", b"\xff\xfeR\x00u\x00s"))


# --- HTML --------------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Russian officials inspect North Korean railway</title>
<meta property="article:published_time" content="2024-06-10T08:00:00+00:00">
<link rel="canonical" href="https://www.nknews.org/2024/06/russian-officials-inspect-railway/">
</head>
<body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/login">Log in</a></nav>
<article>
<h1>Russian officials inspect North Korean railway</h1>
<p>Far East tourism agency reveals officials joined trial run of passenger train from Khasan to Tumangang in DPRK.</p>
<p>Russian officials inspected the North Korean railway in a push to resume rail service between the two countries,
a regional tourism agency said on Monday, after a trial run of the passenger train.</p>
</article>
<footer>Copyright 2024 NK News. All rights reserved.</footer>
</body>
</html>
"""


def test_html_main_text_title_date_and_url(tmp_path):
    path = write(tmp_path / "page.html", PAGE)
    (doc,) = load(path)
    assert doc.source == "page.html"
    assert doc.title == "Russian officials inspect North Korean railway"
    assert doc.date == "2024-06-10"
    assert doc.url == "https://www.nknews.org/2024/06/russian-officials-inspect-railway/"
    body = "\n".join(texts(doc))
    assert "Far East tourism agency reveals officials joined trial run" in body
    assert "Russian officials inspected the North Korean railway" in body
    assert "Copyright" not in body and "Log in" not in body


def test_html_lines_point_at_the_raw_html_lines(tmp_path):
    path = write(tmp_path / "page.htm", PAGE)
    raw = PAGE.split("\n")
    (doc,) = load(path)
    by_text = {line.text: line.number for line in doc.lines}
    teaser = next(t for t in by_text if t.startswith("Far East tourism agency"))
    assert by_text[teaser] == 13
    for line in doc.lines:
        assert line.number is not None
        # the line cited holds the start of the extracted text
        assert " ".join(line.text.split())[:40] in " ".join(raw[line.number - 1].split()), line


def test_html_without_text_is_skipped(tmp_path):
    path = write(tmp_path / "blank.html", "<html><head><title></title></head><body><nav></nav></body></html>")
    with pytest.raises(SkipFile, match="no readable text"):
        load(path)


# --- PDF ---------------------------------------------------------------------------------------


def make_pdf(pages: list[list[str]], title: str | None = None) -> bytes:
    """A small real PDF (Helvetica text, one content stream per page) written by hand: reportlab is
    not installed and pypdf cannot lay out text."""
    objects: list[bytes] = [b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>", b""]  # 1 font, 2 pages
    kids = []
    for lines in pages:
        ops = [b"BT", b"/F1 12 Tf", b"14 TL", b"72 720 Td"]
        for line in lines:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(b"(" + escaped.encode("latin-1") + b") Tj T*")
        ops.append(b"ET")
        stream = b"\n".join(ops) if lines else b""
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 1 0 R >> >> /Contents %d 0 R >>" % content
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    catalog = len(objects)
    trailer = b"<< /Size %d /Root %d 0 R" % (len(objects) + 2 if title else len(objects) + 1, catalog)
    if title:
        objects.append(b"<< /Title (" + title.encode("latin-1") + b") >>")
        trailer += b" /Info %d 0 R" % len(objects)
    return pdf_file(objects, trailer + b" >>")


def pdf_file(objects: list[bytes], trailer: bytes) -> bytes:
    """A PDF of numbered `objects` with its cross-reference table and `trailer` dictionary."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n" + trailer + b"\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def test_pdf_gives_one_document_per_page_with_text(tmp_path):
    pdf = make_pdf(
        [
            ["Science and technology cooperation between", "the two academies was discussed."],
            [],  # a blank page gives no document
            ["Appendix: Top Ten Inventions of 2014"],
        ],
        title="North Korean S&T Review",
    )
    docs = load(write(tmp_path / "paper.pdf", pdf))
    assert [d.source for d in docs] == ["paper.pdf#page=1", "paper.pdf#page=3"]
    assert texts(docs[0])[:2] == ["Science and technology cooperation between", "the two academies was discussed."]
    assert texts(docs[1])[0] == "Appendix: Top Ten Inventions of 2014"
    assert all(line.number is None for d in docs for line in d.lines)  # PDF text has no line numbers
    assert {d.title for d in docs} == {"North Korean S&T Review"}


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.4\nthis is not really a pdf\n", b"", b"<html>not a pdf</html>", b"\x00" * 64],
    ids=["garbage", "empty", "html", "nul"],
)
def test_malformed_pdf_is_skipped_with_one_line_reason(tmp_path, data):
    with pytest.raises(SkipFile) as caught:
        load(write(tmp_path / "broken.pdf", data))
    reason = str(caught.value)
    assert reason.startswith("unreadable PDF")
    assert "\n" not in reason


def test_truncated_pdf_is_skipped(tmp_path):
    pdf = make_pdf([["Science and technology cooperation"]])
    with pytest.raises(SkipFile, match="unreadable PDF"):
        load(write(tmp_path / "cut.pdf", pdf[: len(pdf) // 2]))


def test_pdf_without_text_is_skipped(tmp_path):
    with pytest.raises(SkipFile, match="no extractable text"):
        load(write(tmp_path / "scan.pdf", make_pdf([[]])))


def test_encrypted_pdf_is_skipped(tmp_path):
    from pypdf import PdfReader, PdfWriter

    plain = write(tmp_path / "plain.pdf", make_pdf([["Confidential cooperation plan"]]))
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt("secret", algorithm="RC4-128")
    locked = tmp_path / "locked.pdf"
    writer.write(locked)
    with pytest.raises(SkipFile, match="encrypted PDF"):
        load(locked)


# --- JSON and JSONL ----------------------------------------------------------------------------

RECORDS = [
    {
        "_id": "66a1f0",
        "headline": "Russian officials inspect North Korean railway in push to resume rail service",
        "story_text": "Far East tourism agency reveals officials joined trial run of passenger train.\n"
        "The train ran from Khasan to Tumangang in DPRK.",
        "link": "https://www.nknews.org/2024/06/railway/",
        "date_str": "June 10, 2024",
        "author": "Anton Sokolin",
    },
    {
        "_id": "66a1f1",
        "headline": "Seoul kicks off training against North Korean cyberattacks as tensions rise",
        "story_text": "Two-week drills aim to improve ability to recover from attacks on critical infrastructure.",
        "link": "https://www.nknews.org/2024/06/drills/",
        "date_str": 1704153600000,  # epoch milliseconds: 2024-01-02T00:00:00Z
        "author": "Joon Ha Park",
    },
]


def check_records(docs, name: str):
    assert [d.source for d in docs] == [f"{name}#66a1f0", f"{name}#66a1f1"]
    first, second = docs
    assert first.title == "Russian officials inspect North Korean railway in push to resume rail service"
    assert texts(first) == [
        "Far East tourism agency reveals officials joined trial run of passenger train.",
        "The train ran from Khasan to Tumangang in DPRK.",
    ]
    assert all(line.number is None for d in docs for line in d.lines)
    assert first.url == "https://www.nknews.org/2024/06/railway/"
    assert first.date == "2024-06-10"
    assert second.date == "2024-01-02"
    assert second.url == "https://www.nknews.org/2024/06/drills/"


def test_json_list_of_records(tmp_path):
    docs = load(write(tmp_path / "export.json", json.dumps(RECORDS, indent=2)))
    check_records(docs, "export.json")


def test_jsonl_records(tmp_path):
    content = "\n".join(json.dumps(r) for r in RECORDS[:1]) + "\n\n" + json.dumps(RECORDS[1]) + "\n"
    docs = load(write(tmp_path / "export.jsonl", content))
    check_records(docs, "export.jsonl")


def test_json_records_in_a_wrapper_object(tmp_path):
    docs = load(write(tmp_path / "wrapped.json", json.dumps({"articles": RECORDS, "count": 2})))
    check_records(docs, "wrapped.json")


def test_json_record_id_from_id_field(tmp_path):
    records = [{"id": 7, "text": "Body seven of the export."}, {"id": 8, "text": "Body eight of the export."}]
    docs = load(write(tmp_path / "ids.json", json.dumps(records)))
    assert [d.source for d in docs] == ["ids.json#7", "ids.json#8"]
    assert [(d.title, d.date, d.url) for d in docs] == [(None, None, None)] * 2


def test_json_record_id_falls_back_to_position(tmp_path):
    records = [{"text": "Body zero."}, {"text": ""}, {"text": "Body two."}]
    docs = load(write(tmp_path / "plain.json", json.dumps(records)))
    assert [d.source for d in docs] == ["plain.json#0", "plain.json#2"]  # the empty record is left out
    assert [texts(d) for d in docs] == [["Body zero."], ["Body two."]]


def test_json_dates_in_several_forms(tmp_path):
    records = [
        {"text": "a", "date": 1704153600},  # epoch seconds
        {"text": "b", "date": "1704153600000"},  # epoch milliseconds as a string
        {"text": "c", "date": "2024-01-02T10:00:00Z"},
        {"text": "d", "date": "10 June 2024"},
        {"text": "e", "date": "not a date"},
        {"text": "f", "date": ""},
    ]
    docs = load(write(tmp_path / "dates.json", json.dumps(records)))
    assert [d.date for d in docs] == ["2024-01-02", "2024-01-02", "2024-01-02", "2024-06-10", None, None]


def test_json_text_field_found_by_length_when_unnamed(tmp_path):
    body = "Researchers of the Pyongyang Vegetable Science Institute recently developed a new variety of hot pepper."
    records = [{"summary_body": body, "label": "agriculture"}]
    (doc,) = load(write(tmp_path / "odd.json", json.dumps(records)))
    assert texts(doc) == [body]


def test_json_fields_named_by_the_user(tmp_path):
    records = [{"msg": "A short body.", "heading": "Headline", "when": "2024-06-10", "where": "https://x.org/1"}]
    path = write(tmp_path / "named.json", json.dumps(records))
    with pytest.raises(SkipFile, match="no text field"):
        load(path)
    (doc,) = load_file(path, tmp_path, RecordFields(text="msg", title="heading", date="when", url="where"))
    assert (texts(doc), doc.title, doc.date, doc.url) == (
        ["A short body."],
        "Headline",
        "2024-06-10",
        "https://x.org/1",
    )


@pytest.mark.parametrize(
    "content",
    [
        json.dumps("just a string"),
        json.dumps(["a", "b"]),
        json.dumps({"text": "a single object is not a list of records"}),
        json.dumps({"a": [{"text": "x"}], "b": [{"text": "y"}]}),  # two candidate lists
        json.dumps([{"text": "x"}, 3]),
        json.dumps(42),
    ],
    ids=["string", "strings", "object", "two-lists", "mixed", "number"],
)
def test_json_that_is_not_a_list_of_records_is_skipped(tmp_path, content):
    with pytest.raises(SkipFile, match="not a list of records"):
        load(write(tmp_path / "odd.json", content))


def test_json_records_missing_the_text_field_are_skipped(tmp_path):
    records = [{"headline": "Only a headline", "link": "https://x.org/1", "date_str": "June 10, 2024"}]
    with pytest.raises(SkipFile, match="no text field"):
        load(write(tmp_path / "headlines.json", json.dumps(records)))


def test_json_records_with_empty_text_are_skipped(tmp_path):
    records = [{"story_text": "", "headline": "H1"}, {"story_text": "   ", "headline": "H2"}, {"headline": "H3"}]
    with pytest.raises(SkipFile, match="no record has text in field 'story_text'"):
        load(write(tmp_path / "empty_bodies.json", json.dumps(records)))


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [("bad.json", '[{"text": ', "line 1"), ("bad.jsonl", '\nnot json\n{"text": \n', "line 2")],
)
def test_invalid_json_is_skipped_with_the_line(tmp_path, name, content, where):
    with pytest.raises(SkipFile, match=f"invalid JSON .*{where}"):
        load(write(tmp_path / name, content))


@pytest.mark.parametrize("name", ["empty.json", "empty.jsonl"])
def test_empty_json_file_is_skipped(tmp_path, name):
    with pytest.raises(SkipFile):
        load(write(tmp_path / name, ""))


# --- corpus_root and iter_files ----------------------------------------------------------------


def test_corpus_root(tmp_path):
    a = write(tmp_path / "corpus" / "a.txt", STORY)
    b = write(tmp_path / "corpus" / "sub" / "b.txt", STORY)
    other = write(tmp_path / "other" / "c.txt", STORY)
    assert corpus_root([tmp_path / "corpus"]) == tmp_path  # the folder itself is named in sources
    assert corpus_root([a]) == tmp_path / "corpus"
    assert corpus_root([a, b]) == tmp_path / "corpus"
    assert corpus_root([a, other]) == tmp_path
    (doc,) = load_file(b, corpus_root([tmp_path / "corpus"]))
    assert doc.source == "corpus/sub/b.txt"


def test_iter_files_order_suffixes_and_hidden_files(tmp_path):
    for name in [
        "b.txt",
        "a.md",
        "c.PDF",
        "d.csv",
        "e.docx",
        "noext",
        ".hidden.txt",
        "sub/f.html",
        "sub/.g.json",
        "sub/h.jsonl",
        "z.htm",
    ]:
        write(tmp_path / name, "x")
    found = [p.relative_to(tmp_path).as_posix() for p in iter_files([tmp_path])]
    assert found == ["a.md", "b.txt", "c.PDF", "sub/f.html", "sub/h.jsonl", "z.htm"]
    assert [p.relative_to(tmp_path).as_posix() for p in iter_files([tmp_path])] == found  # stable
    # a file named before its folder comes first, and each file comes once
    again = [p.relative_to(tmp_path).as_posix() for p in iter_files([tmp_path / "z.htm", tmp_path, tmp_path / "sub"])]
    assert again == ["z.htm", "a.md", "b.txt", "c.PDF", "sub/f.html", "sub/h.jsonl"]


def test_iter_files_on_the_seeds():
    assert [p.name for p in iter_files([SEEDS])] == sorted(p.name for p in SEEDS.glob("*.txt"))


def test_iter_files_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError):
        list(iter_files([tmp_path / "nowhere"]))


def test_iter_files_skips_hidden_folders(tmp_path):
    write(tmp_path / "story.txt", STORY)
    write(tmp_path / ".cache" / "copy.txt", STORY)
    assert [p.name for p in iter_files([tmp_path])] == ["story.txt"]


def test_html_without_its_cleaner_installed_is_skipped_with_what_to_install(tmp_path):
    """lxml 6 no longer pulls in lxml_html_clean, which justext (under trafilatura) imports: with it
    missing, an HTML file is skipped with the package to install, never a traceback. Run in a fresh
    interpreter with the module hidden, as a fresh install without it would be."""
    import subprocess
    import sys

    page = tmp_path / "page.html"
    page.write_text("<html><body><article><p>" + "A story about the railway. " * 20 + "</p></article></body></html>")
    script = (
        "import sys; sys.modules['lxml_html_clean'] = None; sys.modules['lxml.html.clean'] = None\n"
        "from pathlib import Path\nfrom rag.load import SkipFile, load_file\n"
        f"try:\n    load_file(Path({str(page)!r}), Path({str(tmp_path)!r}))\n"
        "except SkipFile as reason:\n    print('SKIPPED', reason)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "SKIPPED reading .html files needs lxml_html_clean: pip install lxml_html_clean" in result.stdout
