"""How hits are shown: the citation line, plain-text output for the terminal, and the JSON contract."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rag.records import Hit

if TYPE_CHECKING:
    from rag.answer import Answer


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


def format_hits(hits: list[Hit]) -> str:
    if not hits:
        return "No passages found."
    blocks = []
    for hit in hits:
        lines = [f"{citation(hit)}  ({score_label(hit)})"]
        if hit.passage.url:
            lines.append(f"    {hit.passage.url}")
        lines += ["    " + line for line in hit.passage.text.split("\n")]
        if hit.passage.also_in:
            lines.append(f"    also in: {'; '.join(hit.passage.also_in)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


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


def dumps(obj: dict) -> str:
    return json.dumps(obj, ensure_ascii=False)
