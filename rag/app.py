"""The Gradio app: ask, read the cited passages with the best sentence marked, open the source
lines around each, rebuild the index without a restart. The same search is the API endpoint `search`."""

from __future__ import annotations

import html
import logging
import threading

from rag.build import build_index
from rag.index import index_exists
from rag.present import citation, results_json
from rag.records import Hit
from rag.retrieve import QueryError, Searcher
from rag.settings import Settings

log = logging.getLogger(__name__)

CSS = """
.hit {border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 14px; margin: 0 0 12px 0;}
.hit .cite {font-size: 0.9em; color: var(--body-text-color-subdued); margin-bottom: 6px;}
.hit .cite b {color: var(--body-text-color);}
.hit .passage {white-space: pre-wrap; margin: 0; line-height: 1.5;}
.hit mark {background: #fff3a8; color: #111; padding: 0 2px; border-radius: 2px;}
.hit .also {font-size: 0.85em; margin-top: 6px; color: var(--body-text-color-subdued);}
.hit pre {font-size: 0.8em; white-space: pre-wrap; max-height: 22em; overflow: auto;}
"""


class Engine:
    """The searcher the app answers from, replaced in one step when a rebuild finishes."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._searcher = Searcher(settings)
        self._rebuild = threading.Lock()

    @property
    def searcher(self) -> Searcher:
        return self._searcher

    def search(self, question: str, k: int) -> list[Hit]:
        return self._searcher.search(question, k=int(k))

    def rebuild(self) -> str:
        if not self._rebuild.acquire(blocking=False):
            return "A rebuild is already running."
        try:
            report = build_index(self.settings, progress=True)
            self._searcher = Searcher(self.settings)  # searches in flight finish on the old one
            return report.summary()
        finally:
            self._rebuild.release()

    def status(self) -> str:
        m = self._searcher.index.manifest
        skipped = sum(1 for f in m.files if f.skipped)
        parts = [
            f"{m.documents} documents",
            f"{m.passages} passages",
            f"model {m.model}",
            f"built {m.built_at.replace('T', ' ').replace('+00:00', ' UTC')}",
        ]
        if skipped:
            parts.append(f"{skipped} files skipped")
        return "**Index:** " + " · ".join(parts)


def render_hits(hits: list[Hit], engine: Engine) -> str:
    """Result cards as HTML. Every piece of document text is escaped: pages are untrusted input."""
    if not hits:
        return "<p>Nothing relevant found.</p>"
    cards = []
    for hit in hits:
        p = hit.passage
        cite = html.escape(citation(hit))
        if p.title:
            cite = cite.replace(html.escape(p.title), f"<b>{html.escape(p.title)}</b>", 1)
        parts = [f'<div class="hit"><div class="cite">{cite} · score {hit.score:.3f}</div>']
        if p.url and p.url.startswith(("http://", "https://")):
            url = html.escape(p.url, quote=True)
            parts.append(f'<div class="cite"><a href="{url}" target="_blank" rel="noopener noreferrer">{url}</a></div>')
        parts.append(f'<p class="passage">{_marked(p.text, hit.highlight)}</p>')
        if p.also_in:
            places = "; ".join(html.escape(a) for a in p.also_in)
            parts.append(f'<div class="also">Also in {len(p.also_in)} more: {places}</div>')
        context = engine.searcher.context(p)
        if context:
            parts.append(
                f"<details><summary>Show source lines around {html.escape(p.location)}</summary>"
                f"<pre>{html.escape(context)}</pre></details>"
            )
        parts.append("</div>")
        cards.append("".join(parts))
    return "\n".join(cards)


def _marked(text: str, span: tuple[int, int] | None) -> str:
    if not span:
        return html.escape(text)
    a, b = span
    return f"{html.escape(text[:a])}<mark>{html.escape(text[a:b])}</mark>{html.escape(text[b:])}"


def build_app(settings: Settings):
    import gradio as gr

    engine = Engine(settings)

    def show(question: str, k: float) -> str:
        try:
            return render_hits(engine.search(question, int(k)), engine)
        except QueryError as err:
            return f"<p>{html.escape(str(err))}</p>"

    def search(question: str, k: int = 5) -> dict:
        """Search the corpus: returns {"query", "results": [{rank, score, text, source, title, section,
        start_line, end_line, date, url, also_in, highlight}]}, the same object as `rag search --json`."""
        try:
            return results_json(question, engine.search(question, k))
        except QueryError:
            return results_json(question, [])

    def rebuild(progress=gr.Progress(track_tqdm=True)) -> tuple[str, str]:  # noqa: B008 - Gradio's idiom
        progress(0, desc="Reading the corpus")
        summary = engine.rebuild()
        return summary, engine.status()

    with gr.Blocks(title="NK sources search") as demo:
        gr.Markdown(
            "## Search the sources\nAsk in plain English. Every passage comes with the file and lines it was "
            "taken from; open a card's source lines to check it in place."
        )
        status = gr.Markdown(engine.status(), elem_id="status")
        with gr.Row():
            question = gr.Textbox(
                label="Question",
                placeholder="e.g. Which company made an antivirus program?",
                scale=5,
                elem_id="question",
            )
            k = gr.Slider(1, 20, value=settings.k, step=1, label="Passages", scale=1)
        ask = gr.Button("Search", variant="primary", elem_id="search-button")
        results = gr.HTML(elem_id="results")
        with gr.Accordion("Index", open=False):
            gr.Markdown(f"Corpus: {', '.join(str(p) for p in settings.corpus)} → index: {settings.index_dir}/")
            rebuild_button = gr.Button("Rebuild index", elem_id="rebuild")
            rebuild_log = gr.Markdown()
        for trigger in (question.submit, ask.click):
            trigger(show, [question, k], results, api_visibility="private")
        rebuild_button.click(rebuild, None, [rebuild_log, status], api_name="rebuild", concurrency_limit=1)
        gr.api(search, api_name="search")
    return demo


def launch(settings: Settings, host: str = "127.0.0.1", port: int = 7860) -> None:
    if not index_exists(settings.index_dir):
        print(f"No index in {settings.index_dir}/ yet: building it from {', '.join(map(str, settings.corpus))}")
        print(build_index(settings).summary())
    demo = build_app(settings)
    import gradio as gr

    demo.queue(default_concurrency_limit=4).launch(
        server_name=host, server_port=port, css=CSS, theme=gr.themes.Soft(), footer_links=["api"]
    )
