"""The Milvus store against the FAISS one, for real: Milvus Lite in-process (a .db file) and a
Milvus Lite gRPC server in its own process on 127.0.0.1, reached as a Milvus cluster would be."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace

import pytest

from rag.build import BuildError, build_index
from rag.evaluate import read_questions
from rag.index import IndexUnusable
from rag.present import dumps, results_json
from rag.retrieve import Filters, Searcher
from rag.settings import Settings

from .conftest import REPO

pytestmark = pytest.mark.slow

QUESTIONS = [q.q for q in read_questions(REPO / "tests" / "data" / "dev_seeds.jsonl")]


def _cited(hits) -> list[dict]:
    """A result list as the --json object has it, less the scores (BM25 statistics and float
    rounding differ between the stores; what is cited must not)."""
    rows = results_json("q", hits)["results"]
    return [{k: v for k, v in row.items() if "score" not in k} for row in rows]


def test_same_top_five_as_faiss_on_the_dev_questions(searcher, milvus_searcher):
    shared = total = 0
    for question in QUESTIONS:
        faiss_top = [h.passage.location for h in searcher.search(question, k=5)]
        milvus_top = [h.passage.location for h in milvus_searcher.search(question, k=5)]
        shared += len(set(faiss_top) & set(milvus_top))
        total += len(faiss_top)
    assert shared / total >= 0.95, f"{shared}/{total} of the top-5 passages shared"


def test_citations_lines_and_also_in_are_identical(searcher, milvus_searcher):
    for question in QUESTIONS[:12]:
        faiss_hits, milvus_hits = searcher.search(question, k=5), milvus_searcher.search(question, k=5)
        if [h.passage.location for h in faiss_hits] == [h.passage.location for h in milvus_hits]:
            assert _cited(faiss_hits) == _cited(milvus_hits), question
    repeated = [h for q in QUESTIONS for h in milvus_searcher.search(q, k=5) if h.passage.also_in]
    assert repeated, "no passage repeated in another file was found: the also_in check proves nothing"


def test_filters_become_milvus_expressions(searcher, milvus_searcher):
    source = searcher.index.sources()[0]
    for filters in (Filters(sources=(source,)), Filters(since="2024-06-01"), Filters(until="2020-01-01")):
        faiss_hits = searcher.search("North Korea", k=10, filters=filters)
        milvus_hits = milvus_searcher.search("North Korea", k=10, filters=filters)
        # "North Korea" is in most passages: near-tied scores may swap one at the bottom of ten.
        shared = {h.passage.location for h in faiss_hits} & {h.passage.location for h in milvus_hits}
        assert milvus_hits and len(shared) >= len(faiss_hits) - 1, filters
        for hit in milvus_hits:
            if filters.sources:
                assert source in [hit.passage.source.split("#")[0], *hit.passage.also_in] or any(
                    place.startswith(source) for place in hit.passage.also_in
                )
            if filters.since:
                assert hit.passage.date and hit.passage.date >= filters.since
            if filters.until:
                assert hit.passage.date and hit.passage.date <= filters.until


def test_the_first_five_results_do_not_depend_on_k(milvus_searcher):
    for question in QUESTIONS[::4]:
        first = [[h.passage.hash for h in milvus_searcher.search(question, k=k, highlight=False)][:5] for k in (5, 50)]
        assert first[0] == first[1], question


def test_quoted_phrase_and_korean_question_as_with_faiss(searcher, milvus_searcher):
    question = '"test ride" passenger train'
    assert [h.passage.location for h in searcher.search(question)] == [
        h.passage.location for h in milvus_searcher.search(question)
    ]
    with pytest.raises(Exception, match="Hangul script"):
        milvus_searcher.search("평양에서 무엇을 했습니까")


def test_the_names_no_document_writes_are_the_same_as_with_faiss(searcher, milvus_searcher):
    question = "Did the Lazarus Group hack Phyongyang banks, as Kishida said in Gangwon?"
    assert milvus_searcher.unknown_names(question) == searcher.unknown_names(question) == ["Lazarus", "Kishida"]


def test_unchanged_corpus_is_up_to_date_and_a_new_file_swaps_the_alias(milvus_seed_index, tmp_path):
    base, _ = milvus_seed_index
    corpus = tmp_path / "corpus"
    shutil.copytree(base.corpus[0], corpus)
    settings = replace(base, corpus=(corpus,), store=f"milvus:{tmp_path / 'own.db'}", index_dir=tmp_path / "index")
    first = build_index(settings, progress=False)
    assert build_index(settings, progress=False).up_to_date
    reader = Searcher(settings)  # opened before the rebuild, as another app process would be
    old_collection = reader.index.real
    (corpus / "new.txt").write_text("Pyongyang opened a new tram line to the Ryomyong Street district in May.\n")
    second = build_index(settings, progress=False)
    assert not second.up_to_date and second.files_read == 1
    assert second.embedded < first.passages  # the unchanged passages kept their vectors
    hits = reader.search("Which district does the new tram line reach?", k=3)
    assert reader.index.real != old_collection  # it followed the alias to the new build
    assert hits[0].passage.source == "corpus/new.txt"
    third = build_index(replace(settings, model=settings.model), progress=False, full=True)
    from pymilvus import MilvusClient

    client = MilvusClient(str(tmp_path / "own.db"))
    builds = sorted(n for n in client.list_collections() if not n.endswith(("_sentences", "_side")))
    assert len(builds) == 2 and third.written_to.split("collection ")[1].startswith(builds[-1])  # oldest dropped


def test_a_failed_write_keeps_the_previous_build_serving(milvus_seed_index, tmp_path, monkeypatch):
    base, _ = milvus_seed_index
    settings = replace(base, store=f"milvus:{tmp_path / 'own.db'}", index_dir=tmp_path / "index")
    build_index(settings, progress=False)
    reader = Searcher(settings)
    before = [h.passage.location for h in reader.search("antivirus software")]
    from pymilvus import MilvusClient

    calls = []

    def fail_on_second_insert(self, name, rows, *args, **kwargs):
        calls.append(name)
        if len(calls) == 2:
            raise OSError("no space left on device")  # what a full disk on the server looks like
        return real_insert(self, name, rows, *args, **kwargs)

    real_insert = MilvusClient.insert
    monkeypatch.setattr(MilvusClient, "insert", fail_on_second_insert)
    with pytest.raises(BuildError, match="previous build is kept"):
        build_index(settings, progress=False, full=True)
    monkeypatch.undo()
    assert [h.passage.location for h in Searcher(settings).search("antivirus software")] == before
    client = MilvusClient(str(tmp_path / "own.db"))
    assert len([n for n in client.list_collections() if n.endswith("_side")]) == 1  # the partial one is gone


def test_model_mismatch_and_missing_collection_are_one_line_errors(milvus_seed_index):
    settings, _ = milvus_seed_index
    with pytest.raises(IndexUnusable, match="built with model"):
        Searcher(replace(settings, model="some/other-model"))
    with pytest.raises(IndexUnusable, match="no index in Milvus collection 'elsewhere'"):
        Searcher(replace(settings, collection="elsewhere"))


def test_build_and_search_through_the_grpc_server(milvus_server, corpus_dir, searcher, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "RAG_STORE": milvus_server}
    rag = [sys.executable, "-m", "rag"]
    built = subprocess.run(
        [*rag, "index", str(corpus_dir / "seeds"), "--index", str(tmp_path / "index"), "-q"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr
    assert "collection rag_" in built.stderr
    question = "Which company made an antivirus program?"
    found = subprocess.run(
        [*rag, "search", question, "--json", "--index", str(tmp_path / "index")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert found.returncode == 0, found.stderr
    over_grpc = json.loads(found.stdout)
    local = json.loads(dumps(results_json(question, searcher.search(question, k=5))))
    assert set(over_grpc) == set(local)
    strip = lambda rows: [{k: v for k, v in r.items() if "score" not in k} for r in rows]  # noqa: E731
    assert strip(over_grpc["results"]) == strip(local["results"])


def test_unreachable_server_is_a_one_line_error(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "RAG_STORE": "milvus://127.0.0.1:9"}
    found = subprocess.run(
        [sys.executable, "-m", "rag", "search", "anything"], capture_output=True, text=True, env=env, timeout=120
    )
    assert found.returncode != 0
    lines = [line for line in found.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Milvus at http://127.0.0.1:9" in lines[0], found.stderr


def test_store_setting_is_validated():
    from rag.settings import SettingsError

    with pytest.raises(SettingsError, match="store must be faiss"):
        Settings.from_env(environ={"RAG_STORE": "postgres://x"})
    with pytest.raises(SettingsError, match="collection must be"):
        Settings.from_env(environ={"RAG_COLLECTION": "bad-name"})


def test_two_app_processes_serve_one_collection_and_follow_a_rebuild(milvus_server, corpus_dir, tmp_path):
    from gradio_client import Client

    from .running import running_app

    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_dir / "seeds", corpus)
    settings = Settings.from_env(
        environ={}, store=milvus_server, collection="apps", index_dir=tmp_path / "index", corpus=[corpus]
    )
    build_index(settings, progress=False)
    env = {"RAG_STORE": milvus_server, "RAG_COLLECTION": "apps"}
    question = "Which district does the new tram line reach?"
    with (
        running_app(tmp_path / "a", tmp_path / "a.log", env=env) as (first, _),
        running_app(tmp_path / "b", tmp_path / "b.log", env=env) as (second, _),
    ):
        answers = [Client(url, verbose=False).predict(question, 3, api_name="/search") for url in (first, second)]
        assert answers[0] == answers[1] and answers[0]["results"]
        # A build from elsewhere (here the CLI's code path) swaps the alias; neither app restarts.
        (corpus / "tram.txt").write_text("Pyongyang opened a new tram line to the Ryomyong Street district in May.\n")
        build_index(settings, progress=False)
        for url in (first, second):
            top = Client(url, verbose=False).predict(question, 3, api_name="/search")["results"][0]
            assert top["source"].endswith("tram.txt"), top
    assert not (tmp_path / "a").exists() or not any((tmp_path / "a").iterdir())  # no index on disk
