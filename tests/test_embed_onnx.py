"""The query encoder without torch (rag.embed_onnx): the ONNX export a build writes beside the index
gives the torch model's vectors and the same results, and a search from a fresh process does not
import torch."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from rag.embed import get_embedder
from rag.embed_onnx import FOLDER, OnnxEmbedder, onnx_query_embedder
from rag.evaluate import read_questions
from rag.retrieve import Searcher

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
