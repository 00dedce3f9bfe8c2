"""Plain records passed between the pipeline stages (load -> clean -> chunk -> index -> retrieve)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Line:
    """One line of extracted text and where it sits in the original file (1-based, None if unknown)."""

    text: str
    number: int | None


@dataclass
class Document:
    """A file, or one record of a JSON export, as read from disk."""

    source: str  # path relative to the corpus root; "FILE#ID" for a JSON record
    lines: list[Line]
    title: str | None = None
    date: str | None = None  # YYYY-MM-DD
    url: str | None = None


@dataclass
class Block:
    """A paragraph-like run of cleaned text with the original lines it spans."""

    text: str
    start_line: int | None
    end_line: int | None
    kind: str = "paragraph"  # paragraph | heading | dateline | footnote
    line_starts: list[tuple[int, int | None]] = field(default_factory=list)  # (char offset, line number)


@dataclass
class Passage:
    """The unit that is embedded, indexed and cited."""

    text: str
    source: str
    title: str | None
    section: str | None
    start_line: int | None
    end_line: int | None
    date: str | None
    url: str | None
    hash: str = ""
    also_in: list[str] = field(default_factory=list)
    # The opening sentence of the article, on its later passages: the event that the paragraph goes on
    # to report ("...received a message of greeting on the 76th birthday of the DPRK" over a list of
    # its senders). It is searched with the passage and never shown as part of it.
    lead: str | None = None

    @property
    def embedding_text(self) -> str:
        """What is embedded and BM25-indexed: the passage with its title and section in front, so that
        a paragraph is found by what its document is about; users still see only the passage."""
        head = [h for h in (self.title, self.section) if h and h not in self.text]
        return "\n".join([*head, self.text])

    @property
    def lexical_text(self) -> str:
        """What BM25 indexes: the embedding text with the article's lead in front."""
        return f"{self.lead}\n{self.embedding_text}" if self.lead else self.embedding_text

    @property
    def location(self) -> str:
        """Human citation of where this passage sits: file and lines, or the record id."""
        if self.start_line is None:
            return self.source
        if self.start_line == self.end_line:
            return f"{self.source}, line {self.start_line}"
        return f"{self.source}, lines {self.start_line}-{self.end_line}"


@dataclass
class Hit:
    """A passage returned for a query, with its fused score and supporting-sentence span."""

    passage: Passage
    score: float
    rank: int = 0
    highlight: tuple[int, int] | None = None
    dense_score: float | None = None  # cosine to the question, when the dense retriever saw the passage
    rerank_score: float | None = None  # the cross-encoder's score, when one re-ordered the results
    # Whether the passage is from, or names, the time the question asks about; None: it names none.
    in_period: bool | None = None

    def to_json(self) -> dict:
        p = self.passage
        record = {
            "rank": self.rank,
            "score": round(float(self.score), 6),
            "text": p.text,
            "source": p.source,
            "title": p.title,
            "section": p.section,
            "start_line": p.start_line,
            "end_line": p.end_line,
            "date": p.date,
            "url": p.url,
            "also_in": list(p.also_in),
            "highlight": list(self.highlight) if self.highlight else None,
        }
        if self.rerank_score is not None:
            record["rerank_score"] = round(float(self.rerank_score), 6)
        if self.in_period is not None:
            record["in_period"] = self.in_period
        return record
