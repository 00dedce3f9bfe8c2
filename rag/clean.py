"""Clean a Document's lines and group them into Blocks (paragraphs, headings, datelines, footnotes).

Each rule here comes from what scraped pages and PDF text really contain: page chrome that recurs
across files, a teaser printed twice in a row, pagination links, words hyphenated across line breaks.
Blocks keep the line numbers they came from, so cleaned text can still be cited.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from rag.dates import is_dateline
from rag.glue import mend
from rag.records import Block, Document

# Web-page chrome that is never content, whatever the site.
KNOWN_BOILERPLATE = re.compile(
    r"^(?:something went wrong\b.*|please (?:refresh|try again|enable javascript)\b.*|more articles"
    r"|read more|load more|show more|share (?:this|on \w+)|subscribe(?: now)?|sign (?:in|up)|log ?in"
    r"|skip to (?:main )?content|back to top|advertisement|loading\.*|all rights reserved\.?"
    r"|(?:copyright|©).{0,80}|cookies? (?:policy|settings)|accept (?:all )?cookies|print this (?:page|article))$",
    re.IGNORECASE,
)
_PAGE_TOKEN = re.compile(
    r"^(?:\d{1,3}(?:,\d{3})*|page|of|prev(?:ious)?|next|first|last|[«»‹›<>|·…]|\.\.\.)$", re.IGNORECASE
)
_FOOTNOTE = re.compile(r"^\d{1,2}\s{1,3}[A-Z(“\"]")
_SECTION_NUMBER = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[IVX]+\.)\s+\S")
# A line ending in one of these is the first half of a wrapped sentence, not a headline.
_DANGLING = re.compile(r"\b(?:and|or|the|of|a|an|that|which)$", re.IGNORECASE)
# A wire story's end mark after its last full stop (KCNA's "-0-", "-30-", "(END)", "###") still ends a
# sentence: without it, "Please accept my high regard. -0-" read as a heading and was dropped.
END_MARK = r"(?:\s*(?:-0-|-30-|\(END\)|###))?"
_TERMINAL = re.compile(r"[.!?;:,][\"'”’)\]]*" + END_MARK + "$")
_BLOB = re.compile(r"[!-~]{200,}")  # base64, minified script, tracking URLs: no words to read
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u00ad\u200b-\u200d\ufeff]")
REPEAT_WINDOW = 8  # a teaser or headline repeated within this many lines is page layout, not content
HEADING_MAX_WORDS = 14


@dataclass
class CleanLine:
    text: str
    number: int | None
    blank_before: bool = False
    indented: bool = False  # PDF text marks a new paragraph with a leading space


def normalise_text(text: str) -> str:
    """NFKC (ligatures, full-width forms), no control or zero-width characters, single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = _BLOB.sub(" ", _CONTROL.sub("", text))
    return " ".join(text.split())


def line_key(text: str) -> str:
    return normalise_text(text).casefold()


def is_pagination(text: str) -> bool:
    """'1 9 10 11 12 1,077', 'Page 3 of 10', '« Previous Next »': navigation, not content."""
    tokens = text.split()
    if not tokens or not all(_PAGE_TOKEN.match(t) for t in tokens):
        return False
    numbers = sum(t[0].isdigit() for t in tokens)
    words = len(tokens) - numbers
    return numbers >= 2 or words >= 1


def is_boilerplate(text: str) -> bool:
    return bool(KNOWN_BOILERPLATE.match(text))


def recurring_lines(documents: list[Document], min_docs: int = 3, share: float = 0.3) -> set[str]:
    """Short lines found in many documents (site navigation, footers): at least `min_docs` files
    and `share` of all of them. Stories shared by two pages survive: they recur in few files."""
    if len(documents) < min_docs:
        return set()
    counts: Counter[str] = Counter()
    for doc in documents:
        counts.update({line_key(line.text) for line in doc.lines if 0 < len(line.text.split()) <= 8})
    threshold = max(min_docs, share * len(documents))
    return {key for key, n in counts.items() if n >= threshold}


def clean_lines(
    doc: Document, recurring: set[str] = frozenset(), glued: dict[str, str] | None = None
) -> list[CleanLine]:
    """Normalised, non-empty lines of content, glued words mended (rag.glue); blank lines become a
    flag on the next line."""
    kept: list[CleanLine] = []
    blank = False
    for line in doc.lines:
        text = mend(normalise_text(line.text), glued or {})
        if not text:
            blank = True
            continue
        key = text.casefold()
        if is_pagination(text) or is_boilerplate(text) or key in recurring:
            blank = True
            continue
        recent = {line_key(c.text) for c in kept[-REPEAT_WINDOW:]}
        if key in recent and not is_dateline(text):
            continue
        indented = line.text[:1].isspace()
        kept.append(CleanLine(text, line.number, blank_before=blank or not kept, indented=indented))
        blank = False
    return kept


def to_blocks(lines: list[CleanLine]) -> list[Block]:
    """Group cleaned lines into blocks. A block ends at a blank line, after a line that ends a
    sentence, after a line much shorter than the document's wrap width, and around datelines."""
    if not lines:
        return []
    lengths = sorted(len(c.text) for c in lines)
    wrap_width = lengths[int(0.9 * (len(lengths) - 1))]
    # Indentation marks paragraphs only where few lines are indented.
    indent_marks = sum(c.indented for c in lines) < 0.3 * len(lines)
    runs: list[list[CleanLine]] = []
    for i, line in enumerate(lines):
        prev = lines[i - 1] if i else None
        starts_new = (
            prev is None
            or (line.blank_before and not _continues_sentence(prev.text, line.text))
            or (indent_marks and line.indented)
            or is_dateline(line.text)
            or is_dateline(prev.text)
            or _ends_sentence(prev.text)
            or len(prev.text) < 0.6 * wrap_width
            or (bool(_FOOTNOTE.match(line.text)) and bool(_FOOTNOTE.match(runs[-1][0].text)))
        )
        if starts_new and not (prev and _hyphen_continues(prev.text, line.text)):
            runs.append([line])
        else:
            runs[-1].append(line)
    return [_make_block(run) for run in runs]


def _ends_sentence(text: str) -> bool:
    return bool(re.search(r"[.!?][\"'”’)\]]*$", text))


def _continues_sentence(prev: str, nxt: str) -> bool:
    """A page break or stray blank line inside a sentence: no end punctuation, lower-case next."""
    return not _TERMINAL.search(prev) and nxt[:1].islower()


def _hyphen_continues(prev: str, nxt: str) -> bool:
    """'ham-' + 'pered', 'INFOR-' + 'MATION', '2010-' + '2015': the word goes on in the next line
    (but not into a footnote: 'proj-' + '19  Drawn from...' is a page's foot, not 'proj-19')."""
    return (
        bool(re.search(r"[A-Za-z0-9][-‐]$", prev))
        and bool(re.match(r"[a-z0-9]|[A-Z]{2}", nxt))
        and not _FOOTNOTE.match(nxt)
    )


def join_lines(parts: list[str]) -> tuple[str, list[int]]:
    """Join wrapped lines into one text, undoing end-of-line hyphenation; also returns where each
    part starts in the joined text."""
    text = ""
    starts: list[int] = []
    for part in parts:
        if text and re.search(r"[A-Za-z][-‐]$", text) and re.match(r"[a-z]|[A-Z]{2}", part):
            text = text[:-1]  # a word broken across lines: drop the hyphen, no space
        elif text and not re.search(r"[-‐–]$", text):
            text += " "
        starts.append(len(text))
        text += part
    return text, starts


def _make_block(run: list[CleanLine]) -> Block:
    text, starts = join_lines([c.text for c in run])
    numbers = [c.number for c in run]
    known = [n for n in numbers if n is not None]
    return Block(
        text=text,
        start_line=min(known) if known else None,
        end_line=max(known) if known else None,
        kind=classify(text, len(run)),
        line_starts=list(zip(starts, numbers)),
    )


def classify(text: str, n_lines: int = 1) -> str:
    words = text.split()
    if is_dateline(text):
        return "dateline"
    if _FOOTNOTE.match(text):
        return "footnote"
    numbered = bool(_SECTION_NUMBER.match(text)) and len(words) <= 20
    if (
        (n_lines == 1 or numbered)
        and len(words) <= (20 if numbered else HEADING_MAX_WORDS)
        and not _TERMINAL.search(text)
        and not _DANGLING.search(text)
        and (text[0].isupper() or text[0].isdigit() or text[0] in "\"“'‘")
    ):
        return "heading"
    return "paragraph"


def clean_document(
    doc: Document, recurring: set[str] = frozenset(), glued: dict[str, str] | None = None
) -> list[Block]:
    """A document's content as classified blocks, boilerplate removed, glued words mended."""
    return to_blocks(clean_lines(doc, recurring, glued))
