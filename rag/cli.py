"""The `rag` command: index, search, app, eval. Heavy imports live inside the commands so that
`rag --help` answers at once."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import click

from rag.settings import MAX_K, Settings, SettingsError

# The tool's own error types only: any other exception is a bug, and keeps its traceback.
_USER_ERRORS: tuple[type[Exception], ...] = (SettingsError, FileNotFoundError)


def _user_errors() -> tuple[type[Exception], ...]:
    from rag.build import BuildError
    from rag.corpus import UploadRejected
    from rag.embed import ModelError
    from rag.evaluate import QuestionFileError
    from rag.index import IndexUnusable
    from rag.retrieve import QueryError
    from rag.saved import SavedSearchError

    return (
        *_USER_ERRORS, BuildError, ModelError, IndexUnusable, QueryError, QuestionFileError, UploadRejected,
        SavedSearchError,
    )  # fmt: skip


class _Command(click.Command):
    """Turns the tool's own errors into one-line messages and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except _user_errors() as err:
            raise click.ClickException(str(err).splitlines()[0] if str(err) else type(err).__name__) from None


def _settings(**overrides) -> Settings:
    try:
        return Settings.from_env(**overrides)
    except SettingsError as err:
        raise click.ClickException(str(err)) from None


_index_option = click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Index folder to use [default: index/, or $RAG_INDEX_DIR]. Several corpora can live side by side.",
)
_store_option = click.option(
    "--store",
    default=None,
    metavar="faiss|milvus://HOST:PORT|milvus:PATH.db",
    help="Where the index lives [default: faiss, the --index folder, or $RAG_STORE]: a Milvus server, or a "
    "Milvus Lite file.",
)
_collection_option = click.option(
    "--collection", default=None, help="Milvus alias of the current build [default: rag, or $RAG_COLLECTION]."
)


def index_option(command):
    """--index, --store and --collection: where the index is read or written."""
    return _index_option(_store_option(_collection_option(command)))


model_option = click.option(
    "--model",
    default=None,
    help="Sentence-transformers model: name or local path [default: the bundled all-MiniLM-L6-v2, or $RAG_MODEL].",
)
fusion_option = click.option(
    "--fusion",
    type=click.Choice(["evidence", "convex", "rrf", "dense", "bm25"]),
    default=None,
    help="How dense and BM25 rankings combine [default: evidence, or $RAG_FUSION]; dense/bm25 use one alone.",
)

reranker_option = click.option(
    "--reranker",
    default=None,
    metavar="NAME_OR_PATH",
    help="Cross-encoder that re-orders the top passages ($RAG_RERANK_DEPTH, 30), e.g. a local copy of "
    "cross-encoder/ms-marco-MiniLM-L6-v2 [default: none, or $RAG_RERANKER]. Slower, often sharper.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rag-nk", prog_name="rag")
def main() -> None:
    """Semantic search with checkable citations over scraped news pages, papers and JSON exports."""


@main.command(cls=_Command)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_option
@model_option
@click.option("--full", is_flag=True, help="Re-read and re-embed everything instead of only what changed.")
@click.option("--text-field", default=None, help="JSON records: field holding the article text [default: detected].")
@click.option("--title-field", default=None, help="JSON records: field holding the headline [default: detected].")
@click.option("--date-field", default=None, help="JSON records: field holding the date [default: detected].")
@click.option("--url-field", default=None, help="JSON records: field holding the URL [default: detected].")
@click.option(
    "--batch-size", type=int, default=None, help="Texts per embedding batch [default: 16, or $RAG_BATCH_SIZE]."
)
@click.option(
    "--faiss-index",
    type=click.Choice(["auto", "flat", "ivf", "hnsw", "ivfsq8"]),
    default=None,
    help="Vector index: auto (exact up to --ann-threshold passages, IVF above, IVF with 8-bit codes above 2M), "
    "or flat, ivf, hnsw, ivfsq8 whatever the size [default: auto, or $RAG_FAISS_INDEX].",
)
@click.option(
    "--ann-threshold",
    type=click.IntRange(0),
    default=None,
    help="Passages above which auto switches to approximate search [default: 50000, or $RAG_ANN_THRESHOLD].",
)
@click.option(
    "--ray",
    "ray_address",
    is_flag=False,
    flag_value="auto",
    default=None,
    metavar="[ADDRESS]",
    help="Read and embed on a Ray cluster: auto (the running one, the default of a bare --ray), local "
    "(start one here), or ray://HOST:10001 [or $RAG_RAY]. Needs pip install 'rag-nk[ray]'.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
@click.option("--watch", is_flag=True, help="Keep running: re-index within seconds whenever corpus files change.")
def index(
    paths,
    index_dir,
    store,
    collection,
    model,
    full,
    text_field,
    title_field,
    date_field,
    url_field,
    batch_size,
    faiss_index,
    ann_threshold,
    ray_address,
    quiet,
    watch,
) -> None:
    """Build the index from PATHS (files or folders; default: seeds/).

    Reads .txt, .md, .html/.htm, .pdf and .json/.jsonl (lists of article records)."""
    from rag.build import build_index

    settings = _settings(
        index_dir=index_dir,
        store=store,
        collection=collection,
        model=model,
        corpus=list(paths) or None,
        text_field=text_field,
        title_field=title_field,
        date_field=date_field,
        url_field=url_field,
        batch_size=batch_size,
        faiss_index=faiss_index,
        ann_threshold=ann_threshold,
        ray=ray_address,
    )
    if watch:
        from rag.corpus import Watcher

        def rebuild() -> None:
            again = build_index(settings, progress=False)
            click.echo(again.summary(), err=True)
            if not again.up_to_date:
                _refresh_saved(settings)

        watcher = Watcher(list(settings.corpus), rebuild)  # before the build: what changes during it is seen
    report = build_index(settings, progress=not quiet, full=full)
    click.echo(report.summary(), err=True)
    if not report.up_to_date:
        click.echo(f"index written to {report.written_to}", err=True)
        _refresh_saved(settings)
    if watch:
        import threading

        watcher.start()
        click.echo(f"watching {', '.join(map(str, settings.corpus))} (Ctrl-C to stop)", err=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            watcher.stop()


@main.command(cls=_Command)
@click.argument("question", required=False)
@click.option("-k", "k", type=click.IntRange(1, MAX_K), default=None, help="Number of passages, 1-300 [default: 5].")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (one per line with --queries).")
@click.option(
    "--format",
    "form",
    type=click.Choice(["text", "csv", "md", "ris", "bibtex"]),
    default="text",
    help="Print the results as CSV, Markdown (block quotes with citations), RIS or BibTeX, for a report or "
    "Zotero [default: text].",
)
@click.option(
    "--queries",
    type=click.File("r", encoding="utf-8"),
    default=None,
    help="File with one question per line ('-' for stdin); answers each in order.",
)
@index_option
@model_option
@fusion_option
@reranker_option
def search(question, k, as_json, form, queries, index_dir, store, collection, model, fusion, reranker) -> None:
    """Find the passages that answer QUESTION, with citations."""
    from rag.present import dumps, format_hits, results_json
    from rag.retrieve import QueryError, Searcher
    from rag.versions import StoryVersions

    if (question is None) == (queries is None):
        raise click.UsageError("give either a QUESTION or --queries FILE")
    if form != "text" and (as_json or queries is not None):
        raise click.UsageError("--format writes one question's results: not with --json or --queries")
    settings = _settings(
        index_dir=index_dir, store=store, collection=collection, model=model, k=k, fusion=fusion, reranker=reranker
    )
    searcher = Searcher(settings)
    questions = [question] if queries is None else [line.rstrip("\n") for line in queries if line.strip()]
    for text in questions:
        try:
            hits = searcher.search(text)
        except QueryError as err:
            if queries is None:
                raise click.ClickException(str(err)) from None
            hits = []
        if as_json:
            click.echo(dumps(results_json(text, hits)))
        elif form != "text":
            from rag.export import export

            click.echo(export(text, hits, form), nl=False)
        else:
            if queries is not None:
                click.echo(f"# {text}")
            click.echo(format_hits(hits, StoryVersions(searcher.index)))
            if queries is not None:
                click.echo()


@main.command(cls=_Command)
@click.argument("question")
@click.option("-k", "k", type=click.IntRange(1, MAX_K), default=None, help="Number of passages, 1-300 [default: 5].")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: the `search --json` one plus answer.")
@click.option(
    "--llm-url",
    default=None,
    help="OpenAI-compatible server to write the answer, e.g. http://localhost:11434/v1 for Ollama "
    "[default: none, or $RAG_LLM_URL]. API key from $RAG_LLM_API_KEY or $OPENAI_API_KEY.",
)
@click.option("--llm-model", default=None, help="Model name on that server [default: $RAG_LLM_MODEL].")
@index_option
@model_option
@fusion_option
@reranker_option
def ask(question, k, as_json, llm_url, llm_model, index_dir, store, collection, model, fusion, reranker) -> None:
    """Answer QUESTION in a few cited sentences above the passages. Without --llm-url the answer
    quotes the passages' best sentences; with it, a language model writes it and each sentence is
    checked against the passages it cites."""
    from rag.answer import answer_question, final_answer
    from rag.llm import chat_client
    from rag.present import answer_json, dumps, format_answer, format_hits
    from rag.retrieve import QueryError, Searcher

    settings = _settings(
        index_dir=index_dir,
        store=store,
        collection=collection,
        model=model,
        k=k,
        fusion=fusion,
        reranker=reranker,
        llm_url=llm_url,
        llm_model=llm_model,
    )
    searcher = Searcher(settings)
    try:
        hits = searcher.search(question)
    except QueryError as err:
        raise click.ClickException(str(err)) from None
    unknown = searcher.unknown_names(question)
    answer = final_answer(answer_question(question, hits, searcher.embedder, settings, chat_client(settings), unknown))
    if answer.warning:
        click.echo(f"warning: {answer.warning}", err=True)
    if as_json:
        click.echo(dumps(answer_json(question, hits, answer)))
    else:
        click.echo(format_answer(answer))
        click.echo()
        click.echo(format_hits(hits))


@main.command(name="eval", cls=_Command)
@click.argument("questions_file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--beir",
    "beir_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Score on a BEIR dataset folder instead (corpus.jsonl, queries.jsonl, qrels/): nDCG@10, Recall@100. "
    "Its corpus is indexed into --index first when that holds no index.",
)
@click.option("--split", default="test", show_default=True, help="BEIR qrels split to score (test, train, dev).")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as one JSON object.")
@index_option
@model_option
@fusion_option
@reranker_option
def eval_command(
    questions_file, beir_dir, split, as_json, index_dir, store, collection, model, fusion, reranker
) -> None:
    """Score retrieval on QUESTIONS_FILE (JSONL lines {"q": ..., "a": [...]}): Hit@1/3/5, MRR@10;
    or on a BEIR dataset with --beir DIR."""
    from rag.present import dumps
    from rag.retrieve import Searcher

    if (questions_file is None) == (beir_dir is None):
        raise click.UsageError("give either QUESTIONS_FILE or --beir DIR")
    settings = _settings(
        index_dir=index_dir,
        store=store,
        collection=collection,
        model=model,
        fusion=fusion,
        reranker=reranker,
        corpus=[beir_dir] if beir_dir else None,
    )
    if beir_dir is not None:
        from rag.beir import evaluate_split, load_split
        from rag.build import build_index
        from rag.store import store_exists

        data = load_split(beir_dir, split)
        if not store_exists(settings):
            click.echo(build_index(settings, [beir_dir / "corpus.jsonl"]).summary(), err=True)
        searcher = Searcher(settings)
        built_from = searcher.index.manifest.inputs
        if not any(Path(name).name == "corpus.jsonl" for name in built_from):
            raise click.ClickException(
                f"{settings.index_dir}/ holds an index of {', '.join(built_from) or 'another corpus'}, not of "
                f"{beir_dir}/corpus.jsonl: give an index folder of its own, e.g. --index index-{beir_dir.name}"
            )
        scores = evaluate_split(data, lambda q: searcher.search(q, k=300, highlight=False))
        if as_json:
            click.echo(dumps(scores))
        else:
            click.echo(
                f"{beir_dir.name} {split}: {scores['queries']} queries  nDCG@10 {scores['ndcg_at_10']:.4f}  "
                f"Recall@100 {scores['recall_at_100']:.4f}"
            )
        return
    from rag.evaluate import evaluate, read_questions

    questions = read_questions(questions_file)
    searcher = Searcher(settings)
    report = evaluate(questions, lambda q, k: searcher.search(q, k, highlight=False))
    if as_json:
        click.echo(dumps(report.to_json()))
    else:
        click.echo(report.summary())
        for miss in report.misses:
            click.echo(f"  not in top 5: {miss}")


@main.command(cls=_Command)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to bind; keep it local unless you mean it."
)
@click.option("--port", type=int, default=7860, show_default=True, help="Port to listen on.")
@click.option(
    "--corpus",
    "corpus",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Corpus files or folders, read on first start and by 'Rebuild index' [default: seeds/].",
)
@click.option(
    "--auth",
    default=None,
    help="USER:PASSWORD required to open the app [default: $RAG_AUTH]; needed to bind beyond localhost.",
)
@click.option("--share", is_flag=True, help="Also serve through a public Gradio link (needs --auth).")
@click.option("--watch", is_flag=True, help="Re-index within seconds when corpus files are added, changed or removed.")
@click.option("--mcp", is_flag=True, help="Also serve the search as an MCP tool (needs the gradio[mcp] extra).")
@index_option
@model_option
@reranker_option
def app(host, port, corpus, auth, share, watch, mcp, index_dir, store, collection, model, reranker) -> None:
    """Start the web app (builds the index first if there is none)."""
    import importlib.util

    from rag.app import launch

    if mcp and importlib.util.find_spec("mcp") is None:
        raise click.ClickException("--mcp needs the MCP extra: pip install 'rag-nk[mcp]' (or 'gradio[mcp]')")
    settings = _settings(
        index_dir=index_dir,
        store=store,
        collection=collection,
        model=model,
        corpus=list(corpus) or None,
        auth=auth,
        reranker=reranker,
    )
    credentials = None
    if settings.auth:
        user, colon, password = settings.auth.partition(":")
        if not (user and colon and password):
            raise click.BadParameter("give --auth as USER:PASSWORD", param_hint="--auth")
        credentials = (user, password)
    launch(settings, host=host, port=port, auth=credentials, share=share, watch=watch, mcp=mcp)


@main.command(cls=_Command)
@click.argument("name")
@click.option("-n", "limit", type=click.IntRange(1, 10_000), default=20, show_default=True, help="Passages to list.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (passages in the search schema).")
@index_option
def people(name, limit, as_json, index_dir, store, collection) -> None:
    """The passages naming the person NAME, newest first, with mentions per month, the places and
    the people named with them; spellings are matched (Kim Jong Un, Kim Jong-un, Pak/Park, Ri/Lee)."""
    from rag.people import PeopleIndex
    from rag.present import dumps, format_person, person_json
    from rag.store import all_passages, open_store

    vectors = open_store(_settings(index_dir=index_dir, store=store, collection=collection))
    try:
        report = PeopleIndex.build(all_passages(vectors)).report(name)
    finally:
        vectors.close()
    if report is None:
        raise click.ClickException(
            f"nobody called {name!r} is named in the index; try another spelling or `rag search`"
        )
    click.echo(dumps(person_json(report, limit)) if as_json else format_person(report, limit))


@main.command(cls=_Command)
@click.argument("source", required=False)
@index_option
def versions(source, index_dir, store, collection) -> None:
    """The versions of the story in SOURCE (as cited: FILE or FILE#ID) with a word diff of what
    changed; without SOURCE, how many stories have versions, and the edited ones."""
    from rag.present import format_versions
    from rag.store import open_store
    from rag.versions import StoryVersions, from_stored

    vectors = open_store(_settings(index_dir=index_dir, store=store, collection=collection))
    try:
        groups = from_stored(vectors.manifest.versions)
        if source is None:
            edited = [g for g in groups if not g.exact]
            click.echo(
                f"{len(groups)} stories with versions: {len(groups) - len(edited)} identical, {len(edited)} edited"
            )
            for group in edited:
                click.echo(f"  {len(group)} versions  {group.docs[0].date or 'undated'}  {group.docs[0].source}  "
                           f"{group.docs[0].title or ''}".rstrip())  # fmt: skip
            return
        story = StoryVersions(vectors)
        group = next((g for g in groups if source in g.sources), None)
        if group is None:
            raise click.ClickException(f"{source!r} has no other version in the index (`rag versions` lists them)")
        click.echo(format_versions(group, story.text))
    finally:
        vectors.close()


@main.group()
def saved() -> None:
    """Saved searches: questions followed over time, with the passages new since the last look."""


@saved.command("add", cls=_Command)
@click.argument("name")
@click.argument("question")
@click.option("--source", "sources", multiple=True, help="Only passages of this file (repeatable).")
@click.option("--since", default=None, help="Only passages dated on or after YYYY-MM-DD.")
@click.option("--until", default=None, help="Only passages dated on or before YYYY-MM-DD.")
@index_option
def saved_add(name, question, sources, since, until, index_dir, store, collection) -> None:
    """Save QUESTION as NAME; after every build, passages new to its results are marked."""
    from rag import saved as saved_searches
    from rag.retrieve import Searcher

    settings = _settings(index_dir=index_dir, store=store, collection=collection)
    saved_searches.check_name(name)
    search = saved_searches.SavedSearch(name, question, list(sources), since, until)
    searcher = Searcher(settings)
    hits = saved_searches.runner(searcher)(search)
    saved_searches.add(settings.index_dir, search, hits, saved_searches.corpus_files(searcher))
    click.echo(f"saved {name!r}: {len(hits)} passages now; new ones are marked after each build")


@saved.command("list", cls=_Command)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per saved search.")
@_index_option
def saved_list(as_json, index_dir) -> None:
    """The saved searches, with how many passages are new in each."""
    from rag import saved as saved_searches
    from rag.present import dumps

    settings = _settings(index_dir=index_dir)
    for search in saved_searches.load(settings.index_dir).values():
        if as_json:
            fields = ("name", "question", "sources", "since", "until", "created", "last_run")
            click.echo(dumps({**{f: getattr(search, f) for f in fields}, "new": len(search.new)}))
            continue
        filters = [f"source {s}" for s in search.sources] + [
            f"{label} {value}" for label, value in (("since", search.since), ("until", search.until)) if value
        ]
        extra = f" ({', '.join(filters)})" if filters else ""
        click.echo(f"{search.name}	{len(search.new)} new	{search.question}{extra}")


@saved.command("rm", cls=_Command)
@click.argument("name")
@_index_option
def saved_rm(name, index_dir) -> None:
    """Forget the saved search NAME."""
    from rag import saved as saved_searches

    saved_searches.remove(_settings(index_dir=index_dir).index_dir, name)
    click.echo(f"removed {name!r}")


@saved.command("new", cls=_Command)
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="The `search --json` object; each result has `arrived`.")
@index_option
def saved_new(name, as_json, index_dir, store, collection) -> None:
    """The passages new to NAME's results since it was last marked read, newest first."""
    from rag import saved as saved_searches
    from rag.present import dumps, format_hits
    from rag.retrieve import Searcher

    settings = _settings(index_dir=index_dir, store=store, collection=collection)
    search = _saved_search(settings, name)
    found = saved_searches.new_hits(Searcher(settings), search)
    for rank, (hit, _) in enumerate(found, 1):
        hit.rank = rank
    if as_json:
        results = [{**hit.to_json(), "arrived": arrived} for hit, arrived in found]
        click.echo(dumps({"query": search.question, "results": results}))
    else:
        click.echo(format_hits([hit for hit, _ in found]) if found else f"nothing new for {name!r}")


@saved.command("read", cls=_Command)
@click.argument("name")
@_index_option
def saved_read(name, index_dir) -> None:
    """Mark NAME's new passages as read."""
    from rag import saved as saved_searches

    count = saved_searches.mark_read(_settings(index_dir=index_dir).index_dir, name)
    click.echo(f"{count} passages of {name!r} marked as read")


@saved.command("feed", cls=_Command)
@click.argument("name")
@index_option
def saved_feed(name, index_dir, store, collection) -> None:
    """NAME's new passages as an Atom feed on standard output (for a feed reader or Slack)."""
    from rag import saved as saved_searches
    from rag.retrieve import Searcher

    settings = _settings(index_dir=index_dir, store=store, collection=collection)
    search = _saved_search(settings, name)
    sys.stdout.buffer.write(saved_searches.atom_feed(search, saved_searches.new_hits(Searcher(settings), search)))


def _saved_search(settings: Settings, name: str):
    from rag import saved as saved_searches

    found = saved_searches.load(settings.index_dir).get(name)
    if found is None:
        raise click.ClickException(f"no saved search {name!r}; `rag saved list` shows them")
    return found


def _refresh_saved(settings: Settings) -> None:
    """After a build: the saved searches run again, what is new to each said in one line."""
    from rag.saved import refresh_after_build

    if line := refresh_after_build(settings):
        click.echo(line, err=True)


@main.command(cls=_Command)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the tuned model [default: INDEX/tuned-model].",
)
@click.option("--epochs", type=click.IntRange(1, 10), default=1, show_default=True)
@click.option(
    "--check",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Questions with answers (JSON Lines, as `rag eval` reads): the tuned model is kept only if it ranks "
    "them better than the index's model (MRR@10); this builds a second index to compare.",
)
@index_option
def tune(out, epochs, check, index_dir, store, collection) -> None:
    """Adapt the index's embedding model to its corpus, without labels (inverse cloze over its own
    passages), and write the tuned model; then build with it: rag index --full --model FOLDER."""
    from tqdm import tqdm

    from rag.build import build_index
    from rag.evaluate import evaluate, read_questions
    from rag.retrieve import Searcher
    from rag.store import all_passages, open_store
    from rag.tune import tune_model

    settings = _settings(index_dir=index_dir, store=store, collection=collection)
    store_ = open_store(settings)
    manifest = store_.manifest
    passages = list(all_passages(store_))
    store_.close()
    out = out or settings.index_dir / "tuned-model"
    with tqdm(desc="Tuning", unit="step", disable=False) as bar:

        def step(done: int, total: int, loss: float) -> None:
            bar.total = total
            bar.set_postfix(loss=f"{loss:.3f}")
            bar.update(1)

        report = tune_model(manifest.model, passages, out, epochs=epochs, on_step=step)
    click.echo(f"tuned {manifest.model} on {report['pairs']} pairs of {len(passages)} passages in {report['steps']} "
               f"steps (loss {report['first_loss']:.3f} -> {report['last_loss']:.3f}): {out}", err=True)  # fmt: skip
    if check is None:
        click.echo(f"build with it: rag index --full --model {out} --index {settings.index_dir}", err=True)
        return
    import shutil
    import tempfile

    questions = read_questions(check)
    trial = Path(tempfile.mkdtemp(prefix=".tune-check-", dir=settings.index_dir))
    try:
        corpus = [Path(manifest.corpus_root) / name for name in manifest.inputs] or list(settings.corpus)
        tuned_settings = replace(settings, store="faiss", index_dir=trial, model=str(out), corpus=tuple(corpus))
        build_index(tuned_settings, progress=True, full=True)
        scores = {}
        for label, where in (("index's model", settings), ("tuned model", tuned_settings)):
            searcher = Searcher(where)
            scores[label] = evaluate(questions, lambda q, k, s=searcher: s.search(q, k, highlight=False))
            searcher.close()
            click.echo(f"{label:14s} {scores[label].summary()}", err=True)
    finally:
        shutil.rmtree(trial, ignore_errors=True)
    if scores["tuned model"].mrr_at_10 > scores["index's model"].mrr_at_10:
        click.echo(f"kept: build with it: rag index --full --model {out} --index {settings.index_dir}", err=True)
    else:
        shutil.rmtree(out, ignore_errors=True)
        click.echo("not kept: the tuned model ranked the questions no better; the index's model stays", err=True)


if __name__ == "__main__":
    sys.exit(main())
