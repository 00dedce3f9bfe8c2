"""Read the corpus: files and folders into Documents, one per file (or per JSON record, per PDF page).

Each extracted line keeps its line number in the original file so that citations can be checked.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rag.dates import normalise_date
from rag.records import Document, Line

SUFFIXES = {".txt", ".md", ".html", ".htm", ".pdf", ".json", ".jsonl"}
TEXT_FIELDS = ("story_text", "text", "content", "body", "article", "article_text", "story", "full_text")
TITLE_FIELDS = ("headline", "title", "name", "subject")
DATE_FIELDS = ("date_str", "date", "published", "published_at", "pubdate", "datetime", "time", "created_at")
URL_FIELDS = ("link", "url", "href", "source_url", "permalink")
ID_FIELDS = ("_id", "id", "uuid", "doc_id")


class SkipFile(Exception):
    """A file that cannot be indexed; the message is the one-line reason shown in the build report."""


@dataclass(frozen=True)
class RecordFields:
    """Which JSON fields hold text, title, date and URL; None means detect."""

    text: str | None = None
    title: str | None = None
    date: str | None = None
    url: str | None = None


def corpus_root(paths: list[Path]) -> Path:
    """The folder that sources are named relative to: the common parent of the inputs,
    so that `rag index seeds/` cites `seeds/003_....txt`."""
    parents = [os.path.dirname(os.path.abspath(p)) for p in paths]
    return Path(os.path.commonpath(parents)) if parents else Path.cwd()


def source_name(path: Path, root: Path) -> str:
    """The path as cited: relative to the corpus root, through symlinks rather than to their targets."""
    return Path(os.path.relpath(os.path.abspath(path), root)).as_posix()


def iter_files(paths: list[Path]) -> Iterator[Path]:
    """Every supported file under the given files and folders, in a stable order, each once.
    Hidden files and folders (.git, .cache) are not part of the corpus; links to folders are not
    followed, so a link loop cannot trap the walk. A folder that cannot be opened is yielded
    itself, so that the caller can report it rather than pass over its files in silence."""
    seen: set[str] = set()
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(f"{path} does not exist")
        unreadable: list[Path] = []
        if path.is_dir():
            candidates = []
            for folder, dirs, files in os.walk(path, followlinks=False, onerror=_collect(unreadable)):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                candidates += [Path(folder) / f for f in files if not f.startswith(".")]
            candidates = sorted(candidates + unreadable)
        else:
            candidates = [path]
        for file in candidates:
            key = os.path.realpath(file)
            if (file.suffix.lower() in SUFFIXES or file in unreadable) and key not in seen:
                seen.add(key)
                yield file


def _collect(errors: list[Path]) -> Callable[[OSError], None]:
    return lambda err: errors.append(Path(err.filename))


def load_file(
    path: Path,
    root: Path,
    fields: RecordFields = RecordFields(),
    data: bytes | None = None,
    notes: list[str] | None = None,
) -> list[Document]:
    """Documents held by one file (its bytes may be given when already read). Raises SkipFile
    with a reason when it holds none; what was left out of a file that is read (a bad line of JSON
    Lines) is added to `notes`."""
    source = source_name(path, root)
    suffix = path.suffix.lower()
    data = path.read_bytes() if data is None else data
    try:
        if suffix == ".pdf":
            return _load_pdf(data, source)
        text = decode(data)
        if suffix in (".json", ".jsonl"):
            return _load_records(text, source, fields, jsonl=suffix == ".jsonl", notes=notes)
        if suffix in (".html", ".htm"):
            return [_load_html(text, source)]
    except ImportError as err:  # an extractor's own dependency missing from this install
        name = err.name or ""
        package = "lxml_html_clean" if "html_clean" in str(err) or name.startswith("lxml") else name.split(".")[0]
        raise SkipFile(
            f"reading {suffix} files needs {package or err}: pip install {package} and index again"
        ) from None
    lines = [Line(t, i) for i, t in enumerate(text.split("\n"), start=1)]
    if not any(line.text.strip() for line in lines):
        raise SkipFile("empty file")
    return [Document(source=source, lines=lines)]


def decode(data: bytes) -> str:
    """Bytes to text: UTF-8 (with or without BOM), UTF-16 with BOM, else the detected legacy encoding."""
    try:
        text = data.decode("utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None:
            raise SkipFile("binary or undecodable content") from None
        text = str(best)
    if "\x00" in text:
        raise SkipFile("binary content (NUL bytes)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _load_html(raw: str, source: str) -> Document:
    import trafilatura

    extracted = trafilatura.extract(raw, output_format="txt", include_comments=False, favor_recall=True)
    if not extracted or not extracted.strip():
        raise SkipFile("no readable text in HTML")
    meta = trafilatura.extract_metadata(raw)
    numbers = _locate_lines(extracted.split("\n"), raw)
    lines = [Line(t, n) for t, n in zip(extracted.split("\n"), numbers)]
    return Document(
        source=source,
        lines=lines,
        title=meta.title if meta else None,
        date=normalise_date(meta.date) if meta and meta.date else None,
        url=meta.url if meta else None,
    )


_TAG = re.compile(r"<[^>]*>")


def _locate_lines(extracted: list[str], raw: str) -> list[int | None]:
    """Line numbers in the raw HTML where each extracted line's text starts, searched forward."""
    raw_lines = [" ".join(html.unescape(_TAG.sub(" ", line)).split()) for line in raw.split("\n")]
    numbers: list[int | None] = []
    cursor = 0
    for line in extracted:
        probe = " ".join(line.split())[:40]
        found = None
        if probe:
            for i in range(cursor, len(raw_lines)):
                if probe in raw_lines[i]:
                    found = i
                    break
        if found is not None:
            cursor = found
        numbers.append(found + 1 if found is not None else None)
    return numbers


def _load_pdf(data: bytes, source: str) -> list[Document]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        # An empty user password (only editing is restricted) opens in any viewer: open it here too.
        if reader.is_encrypted and not reader.decrypt(""):
            raise SkipFile("encrypted PDF (needs a password)")
        title = (reader.metadata.title if reader.metadata else None) or None
        pages = [page.extract_text() or "" for page in reader.pages]
    except SkipFile:
        raise
    except (PdfReadError, ValueError, KeyError, OSError) as err:
        raise SkipFile(f"unreadable PDF ({err})") from None
    docs = [
        # A page fragment is what PDF viewers open: the citation stays checkable without line numbers.
        Document(source=f"{source}#page={n}", lines=[Line(t, None) for t in text.split("\n")], title=title)
        for n, text in enumerate(pages, start=1)
        if text.strip()
    ]
    if not docs:
        raise SkipFile("PDF has no extractable text (scanned images?)")
    return docs


def _load_records(
    text: str, source: str, fields: RecordFields, jsonl: bool, notes: list[str] | None = None
) -> list[Document]:
    if jsonl:
        records = _json_lines(text, notes if notes is not None else [])
    else:
        try:
            records = json.loads(text)
        except json.JSONDecodeError as err:
            raise SkipFile(f"invalid JSON ({err.msg} at line {err.lineno})") from None
    if isinstance(records, dict):  # {"articles": [...]} and similar wrappers
        lists = [v for v in records.values() if isinstance(v, list)]
        records = lists[0] if len(lists) == 1 else None
    if not isinstance(records, list) or not all(isinstance(r, dict) or (jsonl and r is None) for r in records):
        raise SkipFile("JSON is not a list of records (objects)")
    text_field = fields.text or _detect(records, TEXT_FIELDS, longest=True)
    if text_field is None:
        raise SkipFile("no text field found in the JSON records; name it with --text-field")
    title_field = fields.title or _detect(records, TITLE_FIELDS)
    date_field = fields.date or _detect(records, DATE_FIELDS)
    url_field = fields.url or _detect(records, URL_FIELDS)
    id_field = _detect(records, ID_FIELDS)
    docs = []
    for position, record in enumerate(records):
        if record is None:  # a JSON Lines line that did not parse (said in `notes`)
            continue
        body = record.get(text_field)
        if not isinstance(body, str) or not body.strip():
            continue
        record_id = record.get(id_field) if id_field else None
        date = record.get(date_field) if date_field else None
        docs.append(
            Document(
                source=f"{source}#{record_id if record_id not in (None, '') else position}",
                lines=[Line(t, None) for t in body.replace("\r\n", "\n").split("\n")],
                title=_str_or_none(record.get(title_field)) if title_field else None,
                date=normalise_date(str(date)) if date not in (None, "") else None,
                url=_str_or_none(record.get(url_field)) if url_field else None,
            )
        )
    if not docs:
        raise SkipFile(f"no record has text in field {text_field!r}")
    return docs


def _json_lines(text: str, notes: list[str]) -> list[dict | None]:
    """The records of a JSON Lines file, None for a line that does not parse (the others keep their
    positions, so record ids stay the same); each bad line is noted with its number. Raises
    SkipFile when no line parses."""
    records: list[dict | None] = []
    bad = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as err:
            records.append(None)
            bad.append(f"line {number}: {err.msg}")
    if bad and not any(r is not None for r in records):
        raise SkipFile(f"invalid JSON ({bad[0]})")
    if bad:
        notes.append(f"{len(bad)} of {len(records)} lines skipped as invalid JSON ({'; '.join(bad[:3])})")
    return records


def _detect(records: list[dict], names: tuple[str, ...], longest: bool = False) -> str | None:
    """The first known field name present in the records; for text, else the longest string field."""
    sample = [r for r in records[:200] if r is not None] or [{}]
    present = {k for r in sample for k, v in r.items() if isinstance(v, (str, int, float)) and v != ""}
    for name in names:
        if name in present:
            return name
    if not longest:
        return None
    lengths: dict[str, int] = {}
    for record in sample:
        for key, value in record.items():
            if isinstance(value, str):
                lengths[key] = lengths.get(key, 0) + len(value)
    best = max(lengths, key=lengths.get, default=None)
    # A field averaging under 80 characters is a label, not an article body.
    return best if best and lengths[best] / len(sample) >= 80 else None


def _str_or_none(value) -> str | None:
    return str(value).strip() or None if value is not None else None
