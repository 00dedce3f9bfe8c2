"""The HTML the app shows: result cards and answers. Every piece of document text is escaped:
pages are untrusted input, and a model's answer echoes them."""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

from rag.answer import REFUSAL, Answer
from rag.present import citation, reference, score_label
from rag.records import Hit

if TYPE_CHECKING:
    from rag.people import PersonReport
from rag.versions import VersionGroup, diff_html


def render_hits(hits: list[Hit], engine, badges: dict[str, str] | None = None, scored: bool = True) -> str:
    """Result cards as HTML; `engine.searcher` gives each card its source lines. `badges` (passage
    hash -> words) marks cards, e.g. the passages new to a saved search; `scored` False leaves out
    the score (passages listed by date, not ranked)."""
    if not hits:
        return "<p>Nothing relevant found.</p>"
    cards = []
    for hit in hits:
        p = hit.passage
        cite = html.escape(citation(hit))
        if p.title:
            cite = cite.replace(html.escape(p.title), f"<b>{html.escape(p.title)}</b>", 1)
        badge = (badges or {}).get(p.hash)
        mark = f'<span class="badge">{html.escape(badge)}</span> ' if badge else ""
        kind = "hit new" if badge else "hit"
        score = f" · {score_label(hit)}" if scored else ""
        parts = [f'<div class="{kind}" id="hit-{hit.rank}"><div class="cite">{mark}{cite}{score}</div>']
        if p.url and p.url.startswith(("http://", "https://")):
            url = html.escape(p.url, quote=True)
            parts.append(f'<div class="cite"><a href="{url}" target="_blank" rel="noopener noreferrer">{url}</a></div>')
        parts.append(f'<p class="passage">{_marked(p.text, hit.highlight)}</p>')
        parts.append(
            f'<button class="copy-cite" type="button" data-cite="{html.escape(reference(hit), quote=True)}">'
            "Copy citation</button>"
        )
        if p.also_in:
            places = "; ".join(html.escape(a) for a in p.also_in)
            parts.append(f'<div class="also">Also in {len(p.also_in)} more: {places}</div>')
        group = engine.versions.of(p)
        if group is not None:
            parts.append(versions_html(group, engine.versions.text))
        context = engine.searcher.context(p)
        if context:
            parts.append(
                f"<details><summary>Show source lines around {html.escape(p.location)}</summary>"
                f"<pre>{html.escape(context)}</pre></details>"
            )
        parts.append("</div>")
        cards.append("".join(parts))
    return "\n".join(cards)


def render_answer(answer: Answer, hits: list[Hit], configured: bool = False) -> str:
    """The answer as HTML: markers [n] link to their cards, unsupported sentences are marked, and a
    line says who answered. The text is escaped: a model's answer echoes untrusted documents."""
    ranks = {hit.rank for hit in hits}

    def linked(text: str) -> str:
        return re.sub(
            r"\[(\d+)\]", lambda m: f'<a href="#hit-{m[1]}">[{m[1]}]</a>' if int(m[1]) in ranks else m[0], text
        )

    if answer.partial:
        body = linked(html.escape(answer.text)) + " …"
    else:
        body = " ".join(
            f'<span class="unsupported" title="not supported by the passage it cites">⚠ {linked(html.escape(s))}</span>'
            if i in answer.unsupported
            else linked(html.escape(s))
            for i, s in enumerate(answer.sentences or [answer.text])
        )
    if answer.model:
        by = f"answered by {html.escape(answer.model)}" + (
            " (writing…)" if answer.partial else "; each sentence checked against the passages it cites"
        )
    elif not answer.confident:  # the text says why: nothing close, or nothing from the time asked about
        by = "no answer: nothing in the corpus comes close to the question" if answer.text == REFUSAL else "no answer"
    elif answer.warning:
        by = "extractive answer: sentences quoted from the passages (the language model failed)"
    elif configured:
        by = "extractive answer: sentences quoted from the passages"
    else:
        by = "extractive answer (no language model configured): sentences quoted from the passages"
    parts = [f'<div class="answer"><div>{body}</div><p class="by">{by}</p>']
    if answer.warning:
        parts.append(f'<div class="warn">⚠ {html.escape(answer.warning)}</div>')
    if answer.flagged:
        parts.append('<ul class="flags">' + "".join(f"<li>{html.escape(f)}</li>" for f in answer.flagged) + "</ul>")
    parts.append("</div>")
    return "".join(parts)


def _marked(text: str, span: tuple[int, int] | None) -> str:
    if not span:
        return html.escape(text)
    a, b = span
    return f"{html.escape(text[:a])}<mark>{html.escape(text[a:b])}</mark>{html.escape(text[b:])}"


def versions_html(group: VersionGroup, text_of) -> str:
    """ "3 versions": the versions of a story with their dates and sources, and what changed from
    each to the next (a word diff) where the text differs; `text_of(source)` gives a version's text."""
    label = f"{len(group)} versions" + (" (identical texts)" if group.exact else "")
    items = "".join(
        f"<li>{html.escape(d.date or 'undated')} · {html.escape(d.source)} · {html.escape(d.title or '')}</li>"
        for d in group.docs
    )
    diffs = []
    for old, new in zip(group.docs, group.docs[1:]):
        before, after = text_of(old.source), text_of(new.source)
        if group.exact or " ".join(before.split()) == " ".join(after.split()):
            continue
        diffs.append(
            f'<p class="diff-head">What changed from {html.escape(old.source)} ({html.escape(old.date or "undated")}) '
            f"to {html.escape(new.source)} ({html.escape(new.date or 'undated')}):</p>"
            f'<div class="diff">{diff_html(before, after)}</div>'
        )
    return f'<details class="versions"><summary>{label}</summary><ul>{items}</ul>{"".join(diffs)}</details>'


def person_html(report: PersonReport, top: int = 12) -> str:
    """A person's record: how often and when they are named, the spellings, the people named with
    them and the places (counts of passages)."""

    def listed(pairs: list[tuple[str, int]], empty: str) -> str:
        items = "".join(f"<li>{html.escape(name)} <span class='n'>{n}</span></li>" for name, n in pairs[:top])
        return f"<ul>{items}</ul>" if items else f"<p>{empty}</p>"

    last = f" · last seen {html.escape(report.last_seen)}" if report.last_seen else ""
    first = f"first seen {html.escape(report.first_seen)}" if report.first_seen else "undated"
    return (
        f'<div class="person"><h3>{html.escape(report.name)}</h3>'
        f"<p>{len(report.appearances)} passages · {first}{last} · written as "
        f"{html.escape(', '.join(report.spellings))}</p>"
        f'<div class="co"><b>Named with</b>{listed(report.co_mentions, "nobody else")}</div>'
        f'<div class="places"><b>Places</b>{listed(report.places, "no place named")}</div></div>'
    )
