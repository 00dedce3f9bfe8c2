"""Cut a document's blocks into passages along its own structure.

A headline list (a news front page) gives one passage per story: headline + teaser. An article or
a paper gives passages along paragraphs, packed to MIN_WORDS..MAX_WORDS inside a section; a
paragraph longer than MAX_WORDS is split between sentences, never inside one.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace

from rag.clean import END_MARK, normalise_text
from rag.dates import DATE_PATTERN, find_date
from rag.records import Block, Document, Passage

CHUNKER_VERSION = 6  # bump whenever passages would come out differently: old indexes must be rebuilt
MIN_WORDS = 40
MAX_WORDS = 200  # chosen on the tune questions: 150, 175, 200, 225, 250 (bench/RESULTS.md)
LEAD_WORDS = 60
# A date in a passage's opening words is its dateline; one further in is an event the text mentions
# (a footnote's "launched on May 6 1965"), which must not date the passage.
DATELINE_CHARS = 60
_GENERIC_HEADINGS = {"abstract", "introduction", "contents", "summary", "news", "home", "menu", "references"}
# Headings of a page's sidebar: they name no section of the text, so they stay out of its passages.
_SIDEBAR = re.compile(r"^(?:more|related|latest|other|popular|recommended|see also|read also|top)\b", re.I)
# A lowercase word of four letters or more: what a sentence has beside its names, titles and "of the".
_COMMON_WORD = re.compile(r"\b[a-z][a-z'-]{3,}\b")
_TERMINAL_END = re.compile(r"[.!?:;][\"'”’)\]]*" + END_MARK + "$")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")
_NOT_AN_END = re.compile(
    r"(?:\b[A-Z]|\b(?:Mr|Ms|Mrs|Dr|No|St|Jr|Sr|Co|vs|Inc|Ltd|etc|Fig|al|Prof|Gen|Lt|Col"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec))\.$"
)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences in text (a rule-based splitter that keeps initials,
    titles such as 'Mr.' and 'No. 2' inside their sentence)."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if _NOT_AN_END.search(text[max(0, match.start() - 6) : match.start() + 1]):
            continue
        end = match.end()
        spans.append((start, len(text[:end].rstrip())))
        start = end
    if start < len(text):
        spans.append((start, len(text.rstrip())))
    return [s for s in spans if s[1] > s[0]]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentences, with a headline (its own line) counted as one."""
    spans, offset = [], 0
    for line in text.split("\n"):
        spans += [(offset + a, offset + b) for a, b in split_sentences(line)]
        offset += len(line) + 1
    return spans or [(0, len(text))]


def passage_hash(text: str) -> str:
    return hashlib.sha1(" ".join(text.casefold().split()).encode()).hexdigest()[:16]


@dataclass
class _Piece:
    """A span of one block's text, with the original lines it covers."""

    text: str
    start_line: int | None
    end_line: int | None

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass
class _Draft:
    pieces: list[_Piece] = field(default_factory=list)
    title: str | None = None
    section: str | None = None
    date: str | None = None
    aside: bool = False  # under a sidebar heading ("More From ..."): other stories, not the article's

    @property
    def words(self) -> int:
        return sum(p.words for p in self.pieces)


def chunk_document(doc: Document, blocks: list[Block]) -> list[Passage]:
    if doc.title:  # cited and shown as the text is: "Respected Comrade\xa0Kim Jong Un\xa0Receives..."
        doc = replace(doc, title=normalise_text(doc.title) or None)
    blocks = _without_cut_tails(_teasers_without_punctuation(blocks))
    listed = is_headline_list(blocks)
    drafts = [d for d in (_chunk_list(doc, blocks) if listed else _chunk_article(doc, blocks)) if d.pieces]
    lead = None if listed else _lead(drafts)
    passages = []
    for number, draft in enumerate(drafts):
        text = "\n".join(p.text for p in draft.pieces)
        starts = [p.start_line for p in draft.pieces if p.start_line is not None]
        ends = [p.end_line for p in draft.pieces if p.end_line is not None]
        passages.append(
            Passage(
                text=text,
                source=doc.source,
                title=draft.title or doc.title,
                section=draft.section,
                start_line=min(starts) if starts else None,
                end_line=max(ends) if ends else None,
                date=draft.date or doc.date or find_date(text[:DATELINE_CHARS]),
                url=doc.url,
                hash=passage_hash(text),
                lead=lead if number and not draft.aside else None,
            )
        )
    return passages


def _lead(drafts: list[_Draft]) -> str | None:
    """The article's opening sentence, when the article opens with text rather than a heading: a
    news story's lead says what happened, where and when, and the paragraphs after it go on from
    there without repeating it. A paper opens with a heading ("Abstract"); its sections are their
    own context. Long openings are cut to LEAD_WORDS."""
    if not drafts or drafts[0].section is not None:
        return None
    text = drafts[0].pieces[0].text
    spans = split_sentences(text)
    start, end = spans[0] if spans else (0, len(text))
    words = text[start:end].split()
    return " ".join(words[:LEAD_WORDS]) or None


def is_headline_list(blocks: list[Block]) -> bool:
    """Most sections are a headline over one short teaser, and they hold most of the words."""
    sections: list[list[Block]] = []
    for block in blocks:
        if block.kind == "heading":
            sections.append([])
        elif block.kind == "paragraph" and sections:
            sections[-1].append(block)
    with_body = [s for s in sections if s]
    short = [s for s in with_body if len(s) <= 2 and sum(len(b.text.split()) for b in s) <= 60]
    all_words = sum(len(b.text.split()) for b in blocks if b.kind == "paragraph")
    short_words = sum(len(b.text.split()) for s in short for b in s)
    return len(short) >= 4 and len(short) >= 0.6 * len(with_body) and short_words >= 0.5 * all_words


def _teasers_without_punctuation(blocks: list[Block]) -> list[Block]:
    """A teaser with no final full stop looks like a heading; it is the body of the headline above
    it when the next block is another heading or a dateline."""
    out = list(blocks)
    for i in range(len(out) - 1):
        nxt = out[i + 2].kind if i + 2 < len(out) else "heading"
        if (
            out[i].kind == "heading"
            and out[i + 1].kind == "heading"
            and nxt in ("heading", "dateline")
            and len(out[i + 1].text.split()) > len(out[i].text.split())
        ):
            out[i + 1] = Block(**{**out[i + 1].__dict__, "kind": "paragraph"})
    return out


def _without_cut_tails(blocks: list[Block]) -> list[Block]:
    """Teasers that a page cut mid-sentence ("...took place on December 28. The respected"): the
    cut is marked with an ellipsis, so that no one quotes it as what the source says. A teaser that
    is one cut sentence is still a passage when it says something ("New houses were built at the
    Wonjon Stockbreeding Farm of ... and the Sangok": the only place the page names that farm); one
    made of names and titles alone ("The respected Comrade Kim Jong Un, ... President of the State
    Affairs of the") is none, or it would come first for every question naming him. Teasers are cut
    when the page cuts them all to one width: three or more one-line blocks without a full stop,
    each followed by a date line or a heading, their lengths within a tenth of each other. A wrapped
    PDF line is continued by more text, and teasers without full stops whose lengths vary
    ("...broadcasts near inter-Korean border") are whole."""
    teasers = [
        i
        for i, block in enumerate(blocks)
        if block.kind == "paragraph"
        and block.start_line == block.end_line
        and (blocks[i + 1].kind if i + 1 < len(blocks) else "end") in ("dateline", "heading", "end")
        and not _TERMINAL_END.search(block.text)
    ]
    lengths = [len(blocks[i].text) for i in teasers]
    if len(teasers) < 3 or max(lengths) - min(lengths) > 0.1 * max(lengths):
        return blocks
    out = list(blocks)
    for i in teasers:
        text = out[i].text
        keep = len(split_sentences(text)) > 1 or len(_COMMON_WORD.findall(text)) >= 2
        out[i] = Block(**{**out[i].__dict__, "text": text + " …"}) if keep else None
    return [b for b in out if b is not None]


def _chunk_list(doc: Document, blocks: list[Block]) -> list[_Draft]:
    drafts: list[_Draft] = []
    current = _Draft()
    page_date = _Draft()  # the page's own date line, above its first story: it opens the first passage
    for block in blocks:
        if block.kind == "heading":
            current = _flush(drafts, current, _Draft(title=block.text, pieces=[_whole(block)], date=page_date.date))
        elif block.kind == "dateline":
            target = current if _has_body(current) else (drafts[-1] if drafts else None)
            if target is None:
                page_date.pieces.append(_whole(block))
                page_date.date = page_date.date or find_date(block.text)
                continue
            if target.date is None:
                target.date = find_date(block.text)
            if _is_byline(block.text):  # "Anton Sokolin June 10, 2024": who wrote it
                target.pieces.append(_whole(block))
        elif _has_body(current):  # a story without its headline (lost by the scraper)
            current = _flush(drafts, current, _Draft(pieces=[_whole(block)]))
        else:
            current.pieces = [*page_date.pieces, *current.pieces, _whole(block)]
            current.date, page_date = current.date or page_date.date, _Draft()
    _flush(drafts, current, None)
    return drafts


def _chunk_article(doc: Document, blocks: list[Block]) -> list[_Draft]:
    title = doc.title
    first = next((b for b in blocks if b.kind != "dateline"), None)
    if title is None and first is not None and first.kind == "heading" and _is_title(first.text):
        title = first.text
    drafts: list[_Draft] = []
    notes: list[_Draft] = []
    current = _Draft(title=title)
    note = _Draft(title=title, section="Notes")
    doc_date = None
    aside = False
    for block in blocks:
        if block.kind == "heading":
            if block is first and block.text == title:
                continue
            # The heading opens its section's passage, so it is cited and searched with the text under
            # it. A short section (a table row, a sub-heading) goes on with what follows: the heading
            # never ends a passage that its own text is not in.
            sidebar = bool(_SIDEBAR.match(block.text))
            aside = aside or sidebar  # a page's sidebar runs to its end
            heading = [] if sidebar else [_whole(block)]
            if current.words >= MIN_WORDS or not current.pieces:
                current = _flush(drafts, current, _Draft(title=title, section=block.text, pieces=heading))
            else:
                current.pieces += heading
                current.section = block.text
            current.aside = aside
        elif block.kind == "dateline":
            date = find_date(block.text)
            if not drafts and not current.pieces:
                doc_date = doc_date or date  # a date under the title dates the whole article
            elif current.pieces:
                current.date = current.date or date
                current = _flush(drafts, current, _Draft(title=title, section=current.section, aside=aside))
        else:
            if block.kind != "footnote" and note.pieces:  # footnotes pack only with their neighbours
                note = _flush(notes, note, _Draft(title=title, section="Notes"))
            target = note if block.kind == "footnote" else current
            for piece in _split_long(block):
                if target.pieces and target.words + piece.words > MAX_WORDS and target.words >= MIN_WORDS:
                    fresh = _Draft(title=title, section=target.section, aside=target.aside)
                    if target is note:
                        note = _flush(notes, note, fresh)
                        target = note
                    else:
                        current = _flush(drafts, current, fresh)
                        target = current
                target.pieces.append(piece)
    _flush(drafts, current, None)
    _flush(notes, note, None)
    for draft in drafts:
        draft.date = draft.date or doc_date
    return drafts + notes


def _flush(drafts: list[_Draft], draft: _Draft, fresh: _Draft | None) -> _Draft | None:
    if _has_body(draft):
        drafts.append(draft)
    return fresh


def _has_body(draft: _Draft) -> bool:
    """A headline or a section heading alone is no story: it needs text below it."""
    headings = {draft.title, draft.section}
    return any(p.text not in headings for p in draft.pieces)


def _is_byline(text: str) -> bool:
    """A dateline with words before the date: a reporter's name."""
    match = DATE_PATTERN.search(text)
    return bool(match) and len(text[: match.start()].split()) >= 1


def _is_title(text: str) -> bool:
    return text.casefold().strip(" :") not in _GENERIC_HEADINGS and not re.match(r"^\d", text)


def _whole(block: Block) -> _Piece:
    return _Piece(block.text, block.start_line, block.end_line)


def _split_long(block: Block) -> list[_Piece]:
    """The block as one piece, or, when it is longer than MAX_WORDS, as runs of whole sentences."""
    if len(block.text.split()) <= MAX_WORDS:
        return [_whole(block)]
    pieces, start, end, words = [], None, 0, 0
    target = MAX_WORDS * 2 // 3
    for s, e in split_sentences(block.text):
        n = len(block.text[s:e].split())
        if start is not None and words + n > target and words >= MIN_WORDS:
            pieces.append(_span(block, start, end))
            start, words = None, 0
        start = s if start is None else start
        end, words = e, words + n
    if start is not None:
        pieces.append(_span(block, start, end))
    return pieces


def _span(block: Block, start: int, end: int) -> _Piece:
    """The piece of block text [start, end) and the original lines that hold it."""
    lines = [n for offset, n in block.line_starts if offset < end]
    first = [n for offset, n in block.line_starts if offset <= start]
    start_line = first[-1] if first else block.start_line
    return _Piece(block.text[start:end], start_line, lines[-1] if lines else block.end_line)
