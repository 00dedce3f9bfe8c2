"""How hits are shown: the citation line, plain-text output for the terminal, and the JSON contract."""

from __future__ import annotations

import json

from rag.records import Hit


def citation(hit: Hit) -> str:
    """'[1] seeds/003_x.txt, lines 1-6 · Title · 2024-06-10'"""
    p = hit.passage
    parts = [f"[{hit.rank}] {p.location}"]
    parts += [v for v in (p.title, p.section, p.date) if v]
    return " · ".join(parts)


def format_hits(hits: list[Hit]) -> str:
    if not hits:
        return "No passages found."
    blocks = []
    for hit in hits:
        lines = [f"{citation(hit)}  (score {hit.score:.4f})"]
        if hit.passage.url:
            lines.append(f"    {hit.passage.url}")
        lines += ["    " + line for line in hit.passage.text.split("\n")]
        if hit.passage.also_in:
            lines.append(f"    also in: {'; '.join(hit.passage.also_in)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def results_json(query: str, hits: list[Hit]) -> dict:
    return {"query": query, "results": [h.to_json() for h in hits]}


def dumps(obj: dict) -> str:
    return json.dumps(obj, ensure_ascii=False)
