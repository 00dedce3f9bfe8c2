"""The Gradio app: ask, read a short cited answer above the cited passages with the best sentence
marked, open the source lines around each, rebuild the index without a restart. The same search is
the API endpoint `search`; the answer with it is the endpoint `ask`."""

from __future__ import annotations

import atexit
import html
import json
import logging
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from rag import saved
from rag.answer import Answer, answer_question, final_answer
from rag.build import BuildError, build_index
from rag.cards import person_html, render_answer, render_hits
from rag.corpus import UploadRejected, Watcher, store_upload
from rag.export import SUFFIXES as EXPORT_SUFFIXES
from rag.export import export
from rag.feeds import serve_feeds
from rag.llm import chat_client
from rag.load import SUFFIXES
from rag.people import PeopleIndex, person_in_question
from rag.present import answer_json, person_hits, results_json
from rag.records import Hit
from rag.retrieve import Filters, QueryError, Searcher, parse_k
from rag.saved import SavedSearchError, refresh_after_build
from rag.settings import Settings, SettingsError
from rag.store import all_passages, store_exists, where_index
from rag.versions import StoryVersions

log = logging.getLogger(__name__)
TIMELINE_HITS = 50
PERSON_HITS = 30  # passages listed under a person's record, newest first

CSS = """
.hit {border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 14px; margin: 0 0 12px 0;}
.hit .cite {font-size: 0.9em; color: var(--body-text-color-subdued); margin-bottom: 6px;}
.hit .cite b {color: var(--body-text-color);}
.hit .passage {white-space: pre-wrap; margin: 0; line-height: 1.5;}
.hit mark {background: #fff3a8; color: #111; padding: 0 2px; border-radius: 2px;}
.hit .also {font-size: 0.85em; margin-top: 6px; color: var(--body-text-color-subdued);}
.hit .copy-cite {font-size: 0.8em; margin-top: 6px; padding: 1px 8px; border-radius: 4px;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-secondary); cursor: pointer;}
.hit pre {font-size: 0.8em; white-space: pre-wrap; max-height: 22em; overflow: auto;}
.answer {border-left: 4px solid var(--color-accent); padding: 6px 14px; margin: 0 0 14px 0; line-height: 1.6;}
.answer .unsupported {background: #ffd9d9; color: #111; border-radius: 2px; padding: 0 2px;}
.answer .by, .answer .flags {font-size: 0.85em; color: var(--body-text-color-subdued); margin: 4px 0 0 0;}
.answer .warn {font-size: 0.9em; color: #b45309; margin-top: 4px;}
.hit.new {border-left: 4px solid #16a34a;}
.hit .versions summary {cursor: pointer; font-size: 0.9em;}
.hit .diff {white-space: pre-wrap; font-size: 0.9em; max-height: 24em; overflow: auto; line-height: 1.5;}
.hit .diff ins {background: #c8f7d4; color: #111; text-decoration: none;}
.hit .diff del {background: #ffd4d4; color: #111;}
.person .co, .person .places {display: inline-block; vertical-align: top; min-width: 260px; margin-right: 24px;}
.person .n {color: var(--body-text-color-subdued); font-size: 0.85em;}
.badge {background: #16a34a; color: #fff; border-radius: 4px; padding: 0 6px; font-size: 0.85em;}
"""


class Engine:
    """The searcher the app answers from, replaced in one step when a rebuild finishes; the one it
    replaces is closed (its SQLite connection and memory maps released) once the searches that
    were in flight on it have had `retire_after` seconds to finish."""

    retire_after = 30.0

    def __init__(self, settings: Settings):
        self.settings = settings
        self._searcher = Searcher(settings)
        self._rebuild = threading.Lock()
        self.client = chat_client(settings)  # None unless the user configured a language model
        self._versions: tuple[Searcher | None, StoryVersions | None] = (None, None)
        self._people: tuple[Searcher | None, PeopleIndex | None] = (None, None)

    @property
    def searcher(self) -> Searcher:
        return self._searcher

    @property
    def people(self) -> PeopleIndex:
        searcher, people = self._people
        if searcher is not self._searcher:  # found once per build, at the first person asked for
            self._people = searcher, people = self._searcher, PeopleIndex.build(all_passages(self._searcher.index))
        return people

    @property
    def versions(self) -> StoryVersions:
        searcher, versions = self._versions
        if searcher is not self._searcher:  # one per build, made at its first use
            self._versions = searcher, versions = self._searcher, StoryVersions(self._searcher.index)
        return versions

    def search(self, question: str, k: int, filters: Filters | None = None) -> list[Hit]:
        return self._searcher.search(question, k=k, filters=filters)

    def answer(self, question: str, hits: list[Hit]) -> Iterator[Answer]:
        searcher = self._searcher
        unknown = searcher.unknown_names(question)
        return answer_question(question, hits, searcher.embedder, self.settings, self.client, unknown)

    def rebuild(self) -> str:
        if not self._rebuild.acquire(blocking=False):
            return "A rebuild is already running."
        try:
            report = build_index(self.settings, progress=True)
            if not report.up_to_date:
                old, self._searcher = self._searcher, Searcher(self.settings)  # in-flight searches finish on old
                retire = threading.Timer(self.retire_after, old.close)
                retire.daemon = True
                retire.start()
                return "\n".join(filter(None, [report.summary(), refresh_after_build(self.settings, self._searcher)]))
            return report.summary()
        except BuildError as err:  # e.g. a `rag index` in a terminal holds the lock
            return f"Not rebuilt: {err}"
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


def answer_updates(engine: Engine, question: str, hits: list[Hit]) -> Iterator[tuple[str, str, bool]]:
    """(answer HTML, result cards HTML, whether anything relevant was found) as the answer
    improves: the cards come first, then the model's answer streams in above them and is replaced
    by its checked version."""
    cards = render_hits(hits, engine)
    if engine.client is not None and hits:
        yield f'<div class="answer"><p class="by">asking {html.escape(engine.client.model)}…</p></div>', cards, True
    for answer in engine.answer(question, hits) if hits else []:
        if not answer.confident:  # weak matches only: say so instead of showing them as answers
            cards = (
                '<p class="nothing">Nothing relevant found in the corpus for this question.</p>'
                f"<details><summary>Show the closest passages anyway</summary>{cards}</details>"
            )
        yield render_answer(answer, hits, configured=engine.client is not None), cards, answer.confident
    if not hits:
        yield "", cards, False


def timeline_frame(hits: list[Hit]):
    """Matching passages per month ("2024-06"), for the timeline plot."""
    months = [h.passage.date[:7] for h in hits if h.passage.date and re.fullmatch(r"\d{4}-\d{2}.*", h.passage.date)]
    return pd_frame(dict(sorted(Counter(months).items())))


def pd_frame(per_month: dict[str, int]):
    """{"2024-06": 3, ...} as the frame a bar plot draws."""
    import pandas as pd

    return pd.DataFrame({"month": list(per_month), "passages": list(per_month.values())})


def audit_rows(engine: Engine) -> list[list]:
    """Per corpus file: passages indexed, or why it was skipped (or what of it was left out)."""
    files = engine.searcher.index.manifest.files
    return [[f.source, f.documents, f.passages, f.skipped or f.note or ""] for f in files]


def saved_rows(engine: Engine) -> tuple[list[list], str]:
    """The saved searches as table rows (name, question, new passages, last run), and a one-line
    note when the file cannot be read: it is said, and the search goes on working."""
    try:
        searches = saved.load(engine.settings.index_dir)
    except SavedSearchError as err:
        return [], f"⚠ {err}"
    return [
        [s.name, s.question, len(s.new), s.last_run.replace("T", " ").replace("+00:00", "")] for s in searches.values()
    ], ""


def saved_page(engine: Engine, name: str) -> str:
    """A saved search's results now, its new passages marked with when they arrived."""
    try:
        search = saved.load(engine.settings.index_dir)[name]
    except (SavedSearchError, KeyError):
        return "<p>No saved search of that name.</p>"
    hits = saved.results(engine.searcher, search, highlight=True)
    arrived = {digest: when.replace("T", " ").replace("+00:00", " UTC") for digest, when in search.new.items()}
    badges = {h.passage.hash: f"new · {arrived[h.passage.hash]}" for h in hits if h.passage.hash in arrived}
    feed = html.escape(f"feeds/{name}.atom", quote=True)
    head = (
        f'<p class="saved-head">{len(badges)} new of {len(hits)} passages for “{html.escape(search.question)}” · '
        f'<a href="{feed}" target="_blank">Atom feed</a></p>'
    )
    return head + render_hits(hits, engine, badges)


def _filters(sources: list[str] | None, since: str, until: str) -> Filters:
    since, until = (str(since or "")).strip() or None, (str(until or "")).strip() or None
    return Filters(sources=tuple(sources or ()), since=since, until=until)


def _gradio():
    # Gradio reports usage to its makers by default; questions about a corpus of scraped pages are the
    # user's business, and the machine may be offline. Nothing leaves unless the user turns it back on.
    # Set when the app is made (it must precede Gradio's import), never on importing rag.
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    # Four searches at once, not Gradio's one. The Blocks read this when they are made; `.queue()` would
    # say the same but build Gradio's routes once more (0.15 s of the start).
    os.environ.setdefault("GRADIO_DEFAULT_CONCURRENCY_LIMIT", "4")
    import gradio as gr

    return gr


def build_app(settings: Settings, mcp: bool = False, engine: Engine | None = None):
    gr = _gradio()
    engine = engine or Engine(settings)

    def show(question: str, k: float, sources: list[str], since: str, until: str):
        """The answer, the cards and the timeline; and (question, hits shown) for the download, which
        exports what the user sees rather than searching again."""
        try:
            filters = _filters(sources, since, until)
            wide = engine.search(question, max(parse_k(k), TIMELINE_HITS), filters)
        except QueryError as err:
            yield "", f"<p>{html.escape(str(err))}</p>", plot_of([]), (question, [])
            return
        plot = plot_of(wide)  # the timeline counts a wider set of matches than the cards show
        shown = (question, wide[: parse_k(k)])
        for answer_html, cards, relevant in answer_updates(engine, question, shown[1]):
            yield answer_html, cards, plot if relevant else plot_of([]), shown  # no bars for weak matches

    exports = Path(tempfile.mkdtemp(prefix="rag-exports-"))
    atexit.register(shutil.rmtree, exports, ignore_errors=True)  # downloads do not outlive the app

    def exported(shown: tuple[str, list[Hit]] | None, form: str):
        """The shown results as a file to download (rag.export), named after the question."""
        question, hits = shown or ("", [])
        if not hits:
            return gr.update(value=None, interactive=False)
        stem = "-".join(re.findall(r"[A-Za-z0-9]+", question))[:60] or "results"
        folder = Path(tempfile.mkdtemp(dir=exports))  # one per download: Gradio serves files by path
        path = folder / f"{stem}.{EXPORT_SUFFIXES[form]}"
        path.write_text(export(question, hits, form), encoding="utf-8")
        return gr.update(value=str(path), interactive=bool(hits))

    def plot_of(hits: list[Hit]):
        frame = timeline_frame(hits)
        if not len(frame):  # an empty frame would leave the last question's bars standing
            return gr.BarPlot(value=None)
        return gr.BarPlot(value=frame, y_lim=[0, int(frame["passages"].max()) + 1])  # bars start at zero

    def pick_span(evt: gr.SelectData) -> tuple[str, str]:
        """A range selected on the timeline becomes the date filter."""
        import pandas as pd

        # A brush over month bars gives the months it covers; a click, one month.
        picked = evt.index if isinstance(evt.index, (list, tuple)) else [evt.value or evt.index]
        months = sorted(
            pd.to_datetime(v, unit="ms") if isinstance(v, (int, float)) else pd.to_datetime(v) for v in picked
        )
        start, end = months[0], months[-1]
        end = end + pd.offsets.MonthEnd(0)
        return start.strftime("%Y-%m-%d"), end.strftime("%Y-%m-%d")

    pick_span.__annotations__["evt"] = gr.SelectData  # Gradio reads the type itself, not its string form

    def search(question: str, k: int = 5) -> dict:
        """Search the indexed documents for the passages that answer a question, each with its
        citation (source file and lines, or URL), date and the span of its best sentence. Returns the
        same object as `rag search --json`: {"query", "results": [{rank, score, text, source, title,
        section, start_line, end_line, date, url, also_in, highlight}]}.

        Args:
            question: the question in plain English, e.g. "Which company made an antivirus program?"
            k: how many passages to return (1-300)
        """
        try:
            return results_json(question, engine.search(question, k))
        except QueryError as err:  # said in the object, which keeps its shape: no results, and why
            return results_json(str(question), []) | {"error": str(err)}

    def ask(question: str, k: int = 5) -> dict:
        """Answer a question in a few sentences quoted from (or, with a language model configured,
        written from) the passages found, each followed by its [n] citation. Returns the same object
        as `rag ask --json`: the `search` object plus "answer": {text, citations, unsupported, model,
        sentences, flagged}.

        Args:
            question: the question in plain English
            k: how many passages to search and cite from (1-300)
        """
        try:
            hits = engine.search(question, k)
        except QueryError as err:
            refused = Answer(text=str(err), sentences=[str(err)], confident=False)
            return answer_json(str(question), [], refused) | {"error": str(err)}
        return answer_json(question, hits, final_answer(engine.answer(question, hits)))

    def saved_updates(note: str = ""):
        rows, problem = saved_rows(engine)
        return problem or note, rows, gr.update(choices=[r[0] for r in rows])

    def save_search(name: str, question: str, sources: list[str], since: str, until: str):
        """Save the question with its filters; its results now are not new to it."""
        try:
            if not str(question or "").strip():
                raise QueryError("type the question to save first")
            filters = _filters(sources, since, until)
            search = saved.SavedSearch(
                saved.check_name(str(name or "").strip()), question.strip(), list(filters.sources),
                filters.since, filters.until,
            )  # fmt: skip
            hits = saved.results(engine.searcher, search)
            saved.add(engine.settings.index_dir, search, hits, saved.corpus_files(engine.searcher))
            note = f"Saved {search.name!r}: {len(hits)} passages now; new ones are marked after each build."
        except (QueryError, SavedSearchError, OSError) as err:
            note = f"Not saved: {err}"
        return saved_updates(note)

    def mark_read(name: str):
        try:
            note = f"{saved.mark_read(engine.settings.index_dir, name)} passages of {name!r} marked as read."
        except (SavedSearchError, OSError) as err:
            note = str(err)
        return *saved_updates(note), saved_page(engine, name) if name else ""

    def forget(name: str):
        try:
            saved.remove(engine.settings.index_dir, name)
            note = f"Deleted the saved search {name!r}."
        except (SavedSearchError, OSError) as err:
            note = str(err)
        return *saved_updates(note), ""

    def show_person(name: str):
        report = engine.people.report(str(name or "").strip()) if str(name or "").strip() else None
        if report is None:
            said = f"Nobody called “{html.escape(str(name))}” is named in the index." if name else ""
            return f"<p>{said}</p>", gr.BarPlot(value=None), ""
        frame = pd_frame(report.timeline)
        plot = gr.BarPlot(value=frame, y_lim=[0, int(frame["passages"].max()) + 1])
        return person_html(report), plot, render_hits(person_hits(report, PERSON_HITS), engine, scored=False)

    def person_of_question(question: str):
        """A question that is a person's name opens their record too."""
        name = person_in_question(str(question or ""), engine.people)
        if name is None:
            return gr.update(), gr.update(), gr.update(), gr.update(), gr.update()
        return name, *show_person(name), gr.update(open=True)

    def refreshed():
        return engine.status(), audit_rows(engine), gr.update(choices=engine.searcher.index.sources())

    def rebuild(progress=gr.Progress(track_tqdm=True)):  # noqa: B008 - Gradio's idiom
        """Re-read the corpus folders and index what was added, changed or removed since the last
        build; searches go on being answered from the old index until the new one is complete.
        Returns the build report (files indexed, files skipped and why)."""
        progress(0, desc="Reading the corpus")
        summary = engine.rebuild()
        return summary, *refreshed()

    def upload(files, progress=gr.Progress(track_tqdm=True)):  # noqa: B008 - Gradio's idiom
        folder = engine.settings.upload_dir
        notes, stored = [], []
        for file in files or []:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                path = Path(file.name if hasattr(file, "name") else file)
                stored.append(store_upload(path, _original(file), folder, engine.settings.max_file_mb))
                notes.append(f"stored {stored[-1].name}")
            except (UploadRejected, OSError) as err:
                notes.append(f"rejected: {err}")
        if stored:
            progress(0, desc="Indexing the new files")
            if folder not in engine.settings.corpus:  # the first upload: the folder joins the corpus
                engine.settings = replace(engine.settings, corpus=(*engine.settings.corpus, folder))
            notes.append(engine.rebuild())
            notes += _remove_unindexed(engine, stored)
        # The file list is emptied: a second click must not store the same files again.
        return "\n\n".join(notes) or "No file given.", *refreshed(), None

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
                min_width=320,  # at phone width the slider goes below, not beside it
                elem_id="question",
            )
            k = gr.Slider(1, 20, value=min(settings.k, 20), step=1, label="Passages", scale=1, min_width=200)
        with gr.Row():
            sources = gr.Dropdown(
                engine.searcher.index.sources(), multiselect=True, label="Sources", scale=3, elem_id="sources"
            )
            since = gr.Textbox(label="From (YYYY-MM-DD)", scale=1, elem_id="since")
            until = gr.Textbox(label="To (YYYY-MM-DD)", scale=1, elem_id="until")
        with gr.Row():
            ask_button = gr.Button("Search", variant="primary", elem_id="search-button", scale=2)
            save_name = gr.Textbox(
                show_label=False, placeholder="name, e.g. rail-freight", scale=2, min_width=160, elem_id="save-name"
            )
            save_button = gr.Button("Save search", scale=1, min_width=120, elem_id="save-search")
        answer = gr.HTML(elem_id="answer")
        timeline = gr.BarPlot(
            x="month",
            y="passages",
            label="When the matching passages are dated",
            height=220,  # room for the month labels under the bars
            elem_id="timeline",
        )
        results = gr.HTML(elem_id="results")
        with gr.Row():
            export_format = gr.Dropdown(
                [("Markdown (quotes with citations)", "md"), ("CSV", "csv"), ("RIS (Zotero, EndNote)", "ris"),
                 ("BibTeX", "bibtex")],
                value="md", label="Export the results as", scale=2, elem_id="export-format",
            )  # fmt: skip
            download = gr.DownloadButton("Download results", scale=1, elem_id="download", interactive=False)
        with gr.Accordion("People: who appears when, where and with whom", open=False, elem_id="people-panel") as panel:
            with gr.Row():
                person = gr.Textbox(
                    show_label=False, placeholder="a name, e.g. Choe Son Hui", scale=4, elem_id="person-name"
                )
                person_button = gr.Button("Show person", scale=1, elem_id="person-button")
            person_head = gr.HTML(elem_id="person")
            person_plot = gr.BarPlot(
                x="month", y="passages", label="Passages naming them, per month", height=200, elem_id="person-timeline"
            )
            person_cards = gr.HTML(elem_id="person-passages")
        rows, note = saved_rows(engine)
        with gr.Accordion("Saved searches: what is new on your beat", open=True, elem_id="saved-panel"):
            saved_note = gr.Markdown(note, elem_id="saved-note")
            saved_table = gr.Dataframe(
                rows,
                headers=["name", "question", "new passages", "last run (UTC)"],
                datatype=["str", "str", "number", "str"],
                interactive=False,
                elem_id="saved",
            )
            with gr.Row():
                saved_pick = gr.Dropdown([r[0] for r in rows], label="Saved search", scale=3, elem_id="saved-pick")
                open_button = gr.Button("Open", scale=1, elem_id="saved-open")
                read_button = gr.Button("Mark as read", scale=1, elem_id="saved-read")
                forget_button = gr.Button("Delete", scale=1, elem_id="saved-rm")
            saved_results = gr.HTML(elem_id="saved-results")
        with gr.Accordion("Index and corpus", open=False):
            gr.Markdown(f"Corpus: {', '.join(str(p) for p in settings.corpus)} → index: {where_index(settings)}")
            audit = gr.Dataframe(
                audit_rows(engine),
                headers=["file", "documents", "passages", "skipped because"],
                datatype=["str", "number", "number", "str"],  # names and reasons shown as text, not Markdown
                elem_id="audit",
            )
            with gr.Row():
                # No file_types filter: the browser would drop a .exe without a word, where the
                # upload answers which types it takes.
                files = gr.File(
                    file_count="multiple", label=f"Add documents ({', '.join(sorted(SUFFIXES))})", elem_id="upload"
                )
                with gr.Column():
                    upload_button = gr.Button("Add to corpus and index", elem_id="upload-button")
                    rebuild_button = gr.Button("Rebuild index", elem_id="rebuild")
            # Plain text, never Markdown: the log names files and skip reasons, which come from the
            # corpus ("![i](x.png).txt", a JSON key holding a <div>) and must not render.
            rebuild_log = gr.Textbox(label="Log", interactive=False, lines=3, elem_id="rebuild-log")
        inputs = [question, k, sources, since, until]
        shown = gr.State(None)
        shown_outputs = [answer, results, timeline, shown]
        for trigger in (question.submit, ask_button.click):
            trigger(show, inputs, shown_outputs, api_visibility="private").then(
                exported, [shown, export_format], download, api_visibility="private"
            )
        export_format.change(exported, [shown, export_format], download, api_visibility="private")
        timeline.select(pick_span, None, [since, until], api_visibility="private").then(
            show, inputs, shown_outputs, api_visibility="private"
        ).then(exported, [shown, export_format], download, api_visibility="private")
        outputs = [rebuild_log, status, audit, sources]
        rebuild_button.click(rebuild, None, outputs, api_name="rebuild", concurrency_limit=1)
        upload_button.click(upload, files, [*outputs, files], api_visibility="private", concurrency_limit=1)
        gr.Timer(3).tick(refreshed, None, [status, audit, sources], api_visibility="private").then(
            lambda: saved_rows(engine)[0], None, saved_table, api_visibility="private"
        )
        shown = [person_head, person_plot, person_cards]
        for trigger in (person.submit, person_button.click):
            trigger(show_person, person, shown, api_visibility="private")
        for trigger in (question.submit, ask_button.click):
            trigger(person_of_question, question, [person, *shown, panel], api_visibility="private")
        beat = [saved_note, saved_table, saved_pick]
        save_button.click(save_search, [save_name, question, sources, since, until], beat, api_visibility="private")
        for trigger in (saved_pick.change, open_button.click):
            trigger(lambda name: saved_page(engine, name) if name else "", saved_pick, saved_results,
                    api_visibility="private")  # fmt: skip
        read_button.click(mark_read, saved_pick, [*beat, saved_results], api_visibility="private")
        forget_button.click(forget, saved_pick, [*beat, saved_results], api_visibility="private")
        # With MCP, agents get the two as tools answering JSON text (Gradio would send a dict as its
        # Python repr); the dict endpoints stay callable under their names, out of the tool list.
        visibility = "undocumented" if mcp else "public"
        gr.api(search, api_name="search", api_visibility=visibility)
        gr.api(ask, api_name="ask", api_visibility=visibility)
        if mcp:
            gr.api(_json_tool(search, "search"), api_name="search_json")
            gr.api(_json_tool(ask, "ask"), api_name="ask_json")
    demo.engine = engine
    return demo


def _json_tool(endpoint, name: str):
    """`endpoint` (question, k) -> dict as an MCP tool of the same name and description that
    answers the object as JSON text, which an agent can parse."""

    def tool(question: str, k: int = 5) -> str:
        return json.dumps(endpoint(question, k), ensure_ascii=False)

    tool.__name__ = name
    tool.__doc__ = (endpoint.__doc__ or "").replace("Returns the same object", "Returns, as JSON text, the same object")
    return tool


def _remove_unindexed(engine: Engine, stored: list[Path]) -> list[str]:
    """Uploaded files the build skipped (a broken PDF, a page with no text) are taken out of the
    upload folder again, so that they do not sit there unseen; one note each, with the reason."""
    skipped = {f.source: f.skipped for f in engine.searcher.index.manifest.files if f.skipped}
    root = Path(engine.searcher.index.manifest.corpus_root)
    notes = []
    for path in stored:
        reason = next((r for source, r in skipped.items() if (root / source).resolve() == path.resolve()), None)
        if reason:
            path.unlink(missing_ok=True)
            notes.append(f"removed {path.name}: it could not be indexed ({reason})")
    return notes


def _original(file) -> str:
    """The name the user's file had (Gradio stores uploads under a temporary path)."""
    return getattr(file, "orig_name", None) or Path(getattr(file, "name", str(file))).name


# One listener for every card's "Copy citation" button: cards are re-rendered HTML, not components.
# The copy-citation buttons, and a click on a timeline bar: Gradio's plot reports a dragged range
# only, so a click sets the date filter to that bar's month here and searches again.
COPY_JS = """
() => {
  document.addEventListener('click', async (event) => {
    const button = event.target.closest('button.copy-cite');
    if (!button) return;
    try { await navigator.clipboard.writeText(button.dataset.cite); button.textContent = 'Copied'; }
    catch (err) { button.textContent = 'Copy failed: select the text instead'; }
  });
  const setText = (id, value) => {
    const box = document.querySelector(`#${id} textarea, #${id} input`);
    box.value = value;
    box.dispatchEvent(new Event('input', {bubbles: true}));
  };
  document.addEventListener('click', (event) => {
    if (!event.target.closest('#timeline')) return;
    const bar = document.elementsFromPoint(event.clientX, event.clientY)
      .find((el) => el.matches('#timeline g.plot_marks path[aria-label]'));
    const month = bar && /month: (\\d{4})-(\\d{2})/.exec(bar.getAttribute('aria-label'));
    if (!month) return;
    const last = new Date(Number(month[1]), Number(month[2]), 0).getDate();
    setText('since', `${month[1]}-${month[2]}-01`);
    setText('until', `${month[1]}-${month[2]}-${String(last).padStart(2, '0')}`);
    setTimeout(() => document.querySelector('#search-button').click(), 100);
  });
}
"""


def launch(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: tuple[str, str] | None = None,
    share: bool = False,
    watch: bool = False,
    mcp: bool = False,
) -> None:
    if host not in ("127.0.0.1", "localhost", "::1") and auth is None:
        raise SettingsError(
            f"binding to {host} exposes the corpus to the network: set --auth USER:PASSWORD (or RAG_AUTH)"
        )
    if share and auth is None:
        raise SettingsError("--share makes the app public: set --auth USER:PASSWORD (or RAG_AUTH) too")
    if mcp and auth is not None:
        # Gradio serves its MCP routes (schema, tools/list, tools/call) outside its login: with a
        # password set they would answer anyone. MCP is for a local agent, on 127.0.0.1 only.
        raise SettingsError("--mcp serves the tools without the login of --auth: use --mcp on 127.0.0.1 without --auth")
    if settings.upload_dir.is_dir() and settings.upload_dir not in settings.corpus:
        settings = replace(settings, corpus=(*settings.corpus, settings.upload_dir))  # earlier uploads
    # A service manager stops the app with SIGTERM: shut down as on Ctrl-C, so the server closes and
    # the exit handlers (the downloads' folder) run, instead of dying where it stands.
    signal.signal(signal.SIGTERM, _interrupt)
    built_now = not store_exists(settings)
    if built_now:
        print(f"No index in {where_index(settings)} yet: building it from {', '.join(map(str, settings.corpus))}")
        print(build_index(settings).summary())
    if not mcp:
        # Gradio imports the `mcp` package whenever it is installed (0.3 s of the start); a None entry
        # is Python's own way to make that import fail, and Gradio then goes on without MCP. This
        # process is the app's own and serves no MCP, so nothing else here wants the package.
        sys.modules.setdefault("mcp", None)
    with ThreadPoolExecutor(1) as pool:
        opening = pool.submit(Engine, settings)  # FAISS, SQLite and ONNX Runtime load outside the GIL
        gr = _gradio()  # meanwhile: Gradio's import is most of the start
        engine = opening.result()
    demo = build_app(settings, mcp=mcp, engine=engine)
    if watch:
        # An index found on disk may predate files dropped in while the app was down: catch up first.
        Watcher(list(settings.corpus), demo.engine.rebuild, catch_up=not built_now).start()
        print(f"Watching {', '.join(map(str, settings.corpus))}: changes are indexed within seconds")
    print(f"Serving on {host}:{port}" + (" with a password" if auth else " (local only, no password)"))

    try:
        demo.launch(
            prevent_thread_lock=True,  # the feed route joins Gradio's server before it blocks
            server_name=host,
            server_port=port,
            css=CSS,
            theme=gr.themes.Soft(),
            js=COPY_JS,
            footer_links=["api"],
            auth=auth,
            share=share,
            mcp_server=mcp,
        )
        serve_feeds(demo.app, demo.engine, auth)
        demo.block_thread()  # returns on Ctrl-C or SIGTERM, the server closed
    except KeyboardInterrupt:  # one that came while the server was still starting
        demo.close()


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
