"""A search's results as a file for a report: CSV (a spreadsheet), Markdown (each passage a block
quote followed by its citation, to paste into a draft), RIS and BibTeX (to import into Zotero or a
reference manager). Every field comes from scraped documents, so each is escaped for its format:
a title with quotes, braces, newlines or markup cannot break the file or change its meaning.
`--json` (rag.present) is the machine contract; these are for people."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from rag.present import citation, reference
from rag.records import Hit

FORMATS = ("csv", "md", "ris", "bibtex")
SUFFIXES = {"csv": "csv", "md": "md", "ris": "ris", "bibtex": "bib"}
CSV_COLUMNS = ("rank", "text", "title", "section", "source", "lines", "date", "url", "also_in", "citation", "query")


def export(query: str, hits: list[Hit], form: str, accessed: dt.date | None = None) -> str:
    """The hits as a `form` file ("csv", "md", "ris" or "bibtex"); `accessed` is the access date
    the citations carry (today by default)."""
    accessed = accessed or dt.date.today()
    if form == "csv":
        return _csv(query, hits)
    if form == "md":
        return _markdown(query, hits, accessed)
    if form == "ris":
        return _ris(hits, accessed)
    if form == "bibtex":
        return _bibtex(hits, accessed)
    raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {form!r}")


def lines_of(hit: Hit) -> str:
    p = hit.passage
    if p.start_line is None:
        return ""
    return str(p.start_line) if p.start_line == p.end_line else f"{p.start_line}-{p.end_line}"


def _csv(query: str, hits: list[Hit]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180; quotes and newlines inside fields quoted
    writer.writerow(CSV_COLUMNS)
    for hit in hits:
        p = hit.passage
        row = [hit.rank, p.text, p.title or "", p.section or "", p.source, lines_of(hit), p.date or "", p.url or "",
               "; ".join(p.also_in), citation(hit), query]  # fmt: skip
        writer.writerow([_no_formula(str(v)) for v in row])
    return out.getvalue()


def _no_formula(value: str) -> str:
    # A cell starting with = + - @ is run as a formula by spreadsheets (CSV injection, OWASP).
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~])")


def _md_text(text: str) -> str:
    """Literal text in Markdown: every character Markdown or its HTML would read escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("&", "&amp;")


def _markdown(query: str, hits: list[Hit], accessed: dt.date) -> str:
    blocks = [f"Passages for: {_md_text(query)}"]
    for hit in hits:
        quote = "\n>\n".join("> " + _md_text(line) for line in hit.passage.text.split("\n") if line.strip())
        where = reference(hit).rstrip(".")
        blocks.append(f"{quote}\n\n— {_md_text(where)} \\(accessed {accessed.isoformat()}\\)")
    return "\n\n".join(blocks) + "\n"


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _ris(hits: list[Hit], accessed: dt.date) -> str:
    import rispy

    class Writer(rispy.RisWriter):
        def set_header(self, count: int) -> str:
            return ""  # no "1." line before each record: not part of RIS

    references = []
    for hit in hits:
        p = hit.passage
        # RIS is one tag a line: a newline inside a field would start a forged tag ("ER  - ").
        entry = {
            "type_of_reference": "ELEC" if p.url else "GEN",
            "title": _one_line(p.title) or _one_line(p.text)[:80],
            "secondary_title": _one_line(p.section),
            "abstract": _one_line(p.text),
            "notes": [_one_line(citation(hit))],
            "urls": [p.url] if p.url else [],
            "date": (p.date or "").replace("-", "/"),
            "year": (p.date or "")[:4],
            "access_date": accessed.strftime("%Y/%m/%d"),
            "name_of_database": _one_line(f"{p.source}, lines {lines_of(hit)}" if lines_of(hit) else p.source),
        }
        references.append({k: v for k, v in entry.items() if v})
    return rispy.dumps(references, implementation=Writer)


_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",  # not \{: BibTeX counts a brace even after a backslash
    "}": r"\textbraceright{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def _bib_text(text: str | None) -> str:
    """A field value whose braces stay balanced and whose LaTeX specials print as themselves."""
    return "".join(_BIBTEX_SPECIAL.get(c, c) for c in _one_line(text))


def _bibtex(hits: list[Hit], accessed: dt.date) -> str:
    import bibtexparser
    from bibtexparser import model

    library = bibtexparser.Library()
    for hit in hits:
        p = hit.passage
        fields = {
            "title": _bib_text(p.title) or _bib_text(_one_line(p.text)[:80]),
            "howpublished": _bib_text(p.url or p.source),
            "note": _bib_text(citation(hit)),
            "abstract": _bib_text(p.text),
            "url": _bib_text(p.url),
            "date": _bib_text(p.date),
            "year": (p.date or "")[:4] if (p.date or "")[:4].isdigit() else "",
            "urldate": accessed.isoformat(),
        }
        key = f"rag{hit.rank}_{(p.hash or 'passage')[:8]}"
        library.add(model.Entry("misc", key, [model.Field(k, v) for k, v in fields.items() if v]))
    return bibtexparser.write_string(library)
