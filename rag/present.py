"""How hits are shown: the citation line, plain-text output for the terminal, and the JSON contract."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rag.records import Hit

if TYPE_CHECKING:
    from rag.answer import Answer
    from rag.people import PersonReport
    from rag.versions import StoryVersions, VersionGroup


def citation(hit: Hit) -> str:
    """'[1] seeds/003_x.txt, lines 1-6 · Title · 2024-06-10'"""
    p = hit.passage
    parts = [f"[{hit.rank}] {p.location}"]
    parts += [v for v in (p.title, p.section, p.date) if v]
    return " · ".join(parts)


def score_label(hit: Hit) -> str:
    """'score 0.866, cosine 0.62': the fused score ranks this question's candidates against each
    other (the lowest of a filtered few reads 0); the cosine to the question, when the dense
    retriever saw the passage, can be compared across questions."""
    label = f"score {hit.score:.3f}"
    return label if hit.dense_score is None else f"{label}, cosine {hit.dense_score:.2f}"


def reference(hit: Hit) -> str:
    """A reference to paste into notes: '“Title”, section, seeds/x.txt, lines 1-6 (or URL), 2024-06-10.'"""
    p = hit.passage
    parts = [f"“{p.title}”" if p.title else None, p.section, p.url or p.location, p.date]
    return ", ".join(v for v in parts if v) + "."


def format_hits(hits: list[Hit], versions: StoryVersions | None = None, scored: bool = True) -> str:
    """Hits for the terminal; with `versions`, a line under a story that has other versions; `scored`
    False leaves out the scores (passages listed by date, not ranked)."""
    if not hits:
        return "No passages found."
    blocks = []
    for hit in hits:
        lines = [f"{citation(hit)}  ({score_label(hit)})" if scored else citation(hit)]
        if hit.passage.url:
            lines.append(f"    {hit.passage.url}")
        lines += ["    " + line for line in hit.passage.text.split("\n")]
        if hit.passage.also_in:
            lines.append(f"    also in: {'; '.join(hit.passage.also_in)}")
        if versions is not None and (group := versions.of(hit.passage)) is not None:
            kind = "identical" if group.exact else "edited"
            lines.append(f"    {len(group)} versions ({kind}): rag versions '{group.docs[0].source}'")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def format_versions(group: VersionGroup, text_of) -> str:
    """A story's versions for the terminal, oldest first, and what changed from each to the next as
    a word diff ([-removed-] {+added+}); `text_of(source)` gives a version's text."""
    from rag.versions import word_diff

    lines = [f"{len(group)} versions ({'identical texts' if group.exact else 'edited'}):"]
    lines += [f"  {d.date or 'undated'}  {d.source}  {d.title or ''}".rstrip() for d in group.docs]
    for old, new in zip(group.docs, group.docs[1:]):
        before, after = text_of(old.source), text_of(new.source)
        if group.exact or before.split() == after.split():
            continue
        marks = {"delete": "[-{}-]", "insert": "{{+{}+}}", "equal": "{}"}
        changed = "".join(marks[op].format(text) for op, text in word_diff(before, after))
        lines += ["", f"What changed from {old.source} to {new.source}:", changed]
    return "\n".join(lines)


def results_json(query: str, hits: list[Hit]) -> dict:
    return {"query": query, "results": [h.to_json() for h in hits]}


def answer_json(query: str, hits: list[Hit], answer: Answer) -> dict:
    """`rag ask --json` and the app's `ask` endpoint: the search object plus the answer."""
    return {**results_json(query, hits), "answer": answer.to_json()}


def format_answer(answer: Answer) -> str:
    """The answer for the terminal: its sentences with [n] markers, then what vouches for it."""
    lines = []
    for i, sentence in enumerate(answer.sentences or [answer.text]):
        lines.append(f"{'  UNSUPPORTED ' if i in answer.unsupported else '  '}{sentence}")
    if answer.model:
        lines.append(f"  (answered by {answer.model}; each sentence checked against the passages it cites)")
    elif answer.confident:
        lines.append("  (extractive answer: sentences quoted from the passages below)")
    lines += [f"  ! {note}" for note in answer.flagged]
    return "Answer:\n" + "\n".join(lines)


def person_hits(report: PersonReport, limit: int) -> list[Hit]:
    """The passages naming a person, newest first, as hits: ranked in date order, the first
    mention marked, so that they print, export and serialise as search results do."""
    return [
        Hit(a.passage, score=0.0, rank=i, highlight=a.spans[0] if a.spans else None)
        for i, a in enumerate(report.appearances[:limit], 1)
    ]


def person_json(report: PersonReport, limit: int) -> dict:
    """`rag people NAME --json`: the person's record; "passages" holds objects of the `search --json`
    results schema, newest first."""
    return {
        "name": report.name,
        "spellings": report.spellings,
        "mentions": report.mentions,
        "passages_total": len(report.appearances),
        "first_seen": report.first_seen,
        "last_seen": report.last_seen,
        "timeline": report.timeline,
        "places": [{"place": p, "passages": n} for p, n in report.places],
        "co_mentions": [{"name": p, "passages": n} for p, n in report.co_mentions],
        "passages": [h.to_json() for h in person_hits(report, limit)],
    }


def format_person(report: PersonReport, limit: int, top: int = 10) -> str:
    """The person's record for the terminal: when they appear, where, with whom, then the passages."""
    width = max(report.timeline.values(), default=1) or 1
    bars = {month: "#" * max(min(n, 1), round(30 * n / width)) for month, n in report.timeline.items()}
    lines = [
        f"{report.name}: {len(report.appearances)} passages, {report.first_seen or '?'} to {report.last_seen or '?'}",
        f"  written as: {', '.join(report.spellings)}",
        "  mentions per month (passages):",
        *(f"    {month}  {bar:30s} {report.timeline[month]}" for month, bar in bars.items()),
        "  named with: " + (", ".join(f"{name} ({n})" for name, n in report.co_mentions[:top]) or "nobody"),
        "  places: " + (", ".join(f"{place} ({n})" for place, n in report.places[:top]) or "none named"),
        "",
    ]  # fmt: skip
    return "\n".join(lines) + "\n" + format_hits(person_hits(report, limit), scored=False)


def dumps(obj: dict) -> str:
    return json.dumps(obj, ensure_ascii=False)
