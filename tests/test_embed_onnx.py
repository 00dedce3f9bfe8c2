"""The query encoder without torch (rag.embed_onnx): the ONNX export a build writes beside the index
gives the torch model's vectors and the same results, and a search from a fresh process does not
import torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from rag.embed import get_embedder
from rag.embed_onnx import FOLDER, OnnxEmbedder, export_query_encoder, onnx_query_embedder
from rag.evaluate import read_questions
from rag.retrieve import Searcher
from rag.settings import Settings, cache_root

from .conftest import REPO

pytestmark = pytest.mark.slow

QUESTIONS = [q.q for q in read_questions(REPO / "tests" / "data" / "dev_seeds.jsonl")]


def test_the_build_writes_an_export_that_gives_the_torch_vectors(seed_index):
    settings, _ = seed_index
    onnx = onnx_query_embedder(settings.model, settings.index_dir)
    assert isinstance(onnx, OnnxEmbedder)
    torch_model = get_embedder(settings.model)
    texts = [*QUESTIONS, "Pyongyang " * 400, "평양", ""]
    cosines = np.sum(onnx.embed_batch(texts) * torch_model.embed_batch(texts), axis=1)
    assert cosines.min() >= 0.9999, cosines.min()


def test_every_dev_question_has_the_same_top_five_either_way(seed_index):
    settings, _ = seed_index
    onnx, torch_path = Searcher(settings), Searcher(replace(settings, query_encoder="torch"))
    assert isinstance(onnx.embedder, OnnxEmbedder) and not isinstance(torch_path.embedder, OnnxEmbedder)
    for question in QUESTIONS:
        mine, theirs = onnx.search(question, k=5), torch_path.search(question, k=5)
        assert [h.passage.location for h in mine] == [h.passage.location for h in theirs], question
        # The vectors agree to a cosine of 0.9999, so the scores to about 1e-4: rounded to four places,
        # one of them can land on either side of a rounding boundary (0.71065).
        assert np.allclose([h.score for h in mine], [h.score for h in theirs], atol=5e-4), question


def test_a_search_from_a_fresh_process_imports_no_torch(seed_index):
    settings, _ = seed_index
    script = (
        "import sys\nfrom rag.cli import main\n"
        f"sys.argv = ['rag', 'search', 'antivirus software', '--json', '--index', {str(settings.index_dir)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(m for m in ('torch', 'sentence_transformers', 'transformers', 'gradio') "
        "if m in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", "import json\n" + script], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result, heavy = done.stdout.strip().splitlines()[-2:]
    assert json.loads(result)["results"][0]["source"].startswith("seeds/")
    assert json.loads(heavy) == []


def test_a_stale_or_damaged_export_is_not_used(seed_index, tmp_path):
    import shutil

    settings, _ = seed_index
    index_dir = tmp_path / "index"
    shutil.copytree(settings.index_dir, index_dir, symlinks=True)
    info = index_dir / FOLDER / "info.json"
    fields = json.loads(info.read_text())
    info.write_text(json.dumps({**fields, "weights": "another model's files"}))
    assert onnx_query_embedder(settings.model, index_dir) is None  # the model was replaced since
    info.write_text(json.dumps(fields))
    (index_dir / FOLDER / "model.onnx").write_bytes(b"not a model")
    assert onnx_query_embedder(settings.model, index_dir) is None
    searcher = Searcher(replace(settings, index_dir=index_dir))  # torch answers, and exports again
    assert searcher.search("antivirus software", k=1)
    assert isinstance(onnx_query_embedder(settings.model, index_dir), OnnxEmbedder)


def test_a_second_index_copies_the_machine_s_export_instead_of_tracing_the_model(tmp_path, monkeypatch):
    import torch.onnx

    embedder, cache = get_embedder(), tmp_path / "cache"
    assert export_query_encoder(embedder, tmp_path / "one", cache)
    (kept,) = (cache / FOLDER).iterdir()
    monkeypatch.setattr(torch.onnx, "export", lambda *a, **k: pytest.fail("the model was traced again"))
    assert export_query_encoder(embedder, tmp_path / "two", cache)
    assert isinstance(onnx_query_embedder(embedder.name, tmp_path / "two"), OnnxEmbedder)
    model = (tmp_path / "two" / FOLDER / "model.onnx").read_bytes()
    assert model == (kept / "model.onnx").read_bytes() == (tmp_path / "one" / FOLDER / "model.onnx").read_bytes()


def test_a_damaged_export_in_the_cache_is_traced_afresh_and_replaced(tmp_path):
    embedder, cache = get_embedder(), tmp_path / "cache"
    assert export_query_encoder(embedder, tmp_path / "one", cache)
    (kept,) = (cache / FOLDER).iterdir()
    (kept / "model.onnx").write_bytes(b"half a model")
    assert export_query_encoder(embedder, tmp_path / "two", cache)
    assert isinstance(onnx_query_embedder(embedder.name, tmp_path / "two"), OnnxEmbedder)
    assert (kept / "model.onnx").read_bytes() != b"half a model"


def test_the_cache_keeps_the_exports_of_a_model_last_written_or_used(tmp_path):
    import os
    import shutil

    from rag.embed_onnx import KEPT_PER_MODEL, cached_export

    embedder, cache = get_embedder(), tmp_path / "cache"
    assert export_query_encoder(embedder, tmp_path / "one", cache)
    (kept,) = (cache / FOLDER).iterdir()
    older = [f"weights-{n}" for n in range(KEPT_PER_MODEL + 1)]  # the model's files as they were before
    for age, key in enumerate(older):
        shutil.copytree(kept, cache / FOLDER / key)
        info = cache / FOLDER / key / "info.json"
        info.write_text(json.dumps({**json.loads(info.read_text()), "weights": key}))
        os.utime(cache / FOLDER / key, (1e9 + age, 1e9 + age))  # weights-0 the oldest
    shutil.copytree(kept, cache / FOLDER / "another-model")
    info = cache / FOLDER / "another-model" / "info.json"
    info.write_text(json.dumps({**json.loads(info.read_text()), "model": "another"}))
    os.utime(cache / FOLDER / "another-model", (1e9, 1e9))
    shutil.rmtree(kept)  # this model's current export is traced again, kept, and the oldest forgotten
    assert export_query_encoder(embedder, tmp_path / "two", cache)
    newest = sorted(older)[-(KEPT_PER_MODEL - 1) :]
    assert sorted(p.name for p in (cache / FOLDER).iterdir()) == sorted([kept.name, "another-model", *newest])
    os.utime(cache / FOLDER / kept.name, (1e9, 1e9))
    assert cached_export(embedder.name, tmp_path / "three", cache)  # a copy made from it counts as a use
    assert (cache / FOLDER / kept.name).stat().st_mtime > 1e9 + 100


def test_a_cache_that_cannot_be_written_still_gives_the_index_its_export(tmp_path):
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache folder would be")
    assert export_query_encoder(get_embedder(), tmp_path / "one", blocked)
    assert isinstance(onnx_query_embedder(get_embedder().name, tmp_path / "one"), OnnxEmbedder)
    assert blocked.read_text() == "a file where the cache folder would be"


def test_the_cache_folder_follows_the_setting_then_xdg_then_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root(Settings.from_env(environ={})) == tmp_path / "xdg" / "rag"
    assert cache_root(Settings.from_env(environ={"RAG_CACHE_DIR": str(tmp_path / "mine")})) == tmp_path / "mine"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_root(Settings.from_env(environ={"RAG_CACHE_DIR": ""})) == tmp_path / "home" / ".cache" / "rag"


def test_the_export_embeds_passages_and_their_sentences_as_the_torch_model_does(seed_index):
    from rag.build import _sentence_spans_in_embedding_text
    from rag.store import all_passages

    settings, _ = seed_index
    passages = list(all_passages(Searcher(settings).index))
    texts = [p.embedding_text for p in passages]
    spans = [_sentence_spans_in_embedding_text(p) for p in passages]
    long = "The first sentence is short. " + "Pyongyang is the capital. " * 80  # sentences past 256 word pieces
    texts.append(long)
    spans.append([(0, 28), (29, 55), (len(long) - 26, len(long) - 1)])
    onnx = onnx_query_embedder(settings.model, settings.index_dir)
    vectors, sentences = onnx.encode_with_sentences(texts, spans, batch_size=16)
    torch_vectors, torch_sentences = get_embedder(settings.model).encode_with_sentences(texts, spans, batch_size=16)
    assert np.sum(vectors * torch_vectors, axis=1).min() >= 0.99999
    for mine, theirs in zip(sentences, torch_sentences):
        assert mine.shape == theirs.shape
        empty = np.linalg.norm(theirs, axis=1) == 0  # the sentence the model's length limit cut off
        assert np.array_equal(np.linalg.norm(mine, axis=1) == 0, empty)
        assert np.all(np.sum(mine * theirs, axis=1)[~empty] >= 0.99999)
    assert np.linalg.norm(sentences[-1][-1]) == 0 and np.linalg.norm(sentences[-1][0]) > 0


@pytest.mark.parametrize("cache", ["the session's", "empty"])
def test_an_fp32_build_imports_no_torch_and_finds_what_the_torch_build_finds(seed_index, corpus_dir, tmp_path, cache):
    """The seeds' index was the session's first: its export is in the session's cache, and a second
    index copies it from there. With an empty cache (a machine's first index) a child process traces
    it. Either way the build embeds with the export, in a process that never imports torch."""
    settings, _ = seed_index
    index_dir = tmp_path / "index"
    env = dict(os.environ, RAG_CACHE_DIR=str(tmp_path / "cache")) if cache == "empty" else None
    script = (
        "import sys\nfrom rag.cli import main\n"
        f"sys.argv = ['rag', 'index', {str(corpus_dir / 'seeds')!r}, '--index', {str(index_dir)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))\n"
    )
    command = [sys.executable, "-c", script]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=REPO, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
    if cache == "empty":  # traced, and kept for the machine's next index
        assert len(list((tmp_path / "cache" / FOLDER).iterdir())) == 1
    mine, theirs = Searcher(replace(settings, index_dir=index_dir)), Searcher(settings)
    assert isinstance(mine.embedder, OnnxEmbedder)
    assert len(mine.index) == len(theirs.index)
    ids = list(range(len(mine.index)))
    assert [p.hash for p in mine.index.get(ids)] == [p.hash for p in theirs.index.get(ids)]
    assert np.sum(mine.index.vectors_of(ids) * theirs.index.vectors_of(ids), axis=1).min() >= 0.99999
    for question in QUESTIONS:
        found = [h.passage.location for h in mine.search(question, k=5)]
        assert found == [h.passage.location for h in theirs.search(question, k=5)], question


def test_a_build_whose_export_process_cannot_start_traces_the_export_itself(seed_index, tmp_path, monkeypatch):
    from rag.build import _local_embedder

    settings, _ = seed_index
    settings = replace(settings, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache")
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))
    embedder = _local_embedder(settings, "fp32", todo=True)
    assert not isinstance(embedder, OnnxEmbedder)  # torch embeds this build
    assert isinstance(onnx_query_embedder(settings.model, settings.index_dir), OnnxEmbedder)  # the next is without


def test_a_bf16_build_embeds_with_torch_even_with_the_export_at_hand(seed_index, tmp_path):
    from rag.build import _local_embedder

    settings, _ = seed_index
    settings = replace(settings, index_dir=tmp_path / "index")
    assert isinstance(_local_embedder(settings, "fp32", todo=True), OnnxEmbedder)
    assert not isinstance(_local_embedder(settings, "bf16", todo=True), OnnxEmbedder)
