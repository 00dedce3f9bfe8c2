"""Embedding precision (Settings.precision): a bf16 build records it, ranks the dev questions as the
fp32 build does, and an update at another precision re-embeds rather than mixing vectors."""

from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

from rag.build import build_index
from rag.embed import cpu_has_bf16, resolve_precision
from rag.evaluate import read_questions
from rag.index import StoredIndex
from rag.retrieve import Searcher

from .conftest import REPO

pytestmark = pytest.mark.slow
QUESTIONS = [q.q for q in read_questions(REPO / "tests" / "data" / "dev_seeds.jsonl")]


def test_auto_is_bf16_only_on_a_cpu_with_its_instructions():
    assert resolve_precision("fp32") == "fp32" and resolve_precision("bf16") == "bf16"
    assert resolve_precision("auto") == ("bf16" if cpu_has_bf16() else "fp32")
    assert resolve_precision("auto", device="cuda") == "fp32"
    with pytest.raises(ValueError, match="precision must be one of"):
        resolve_precision("int8")


def test_a_bf16_build_ranks_as_the_fp32_one_and_is_never_mixed(seed_index, corpus_dir, tmp_path):
    fp32, _ = seed_index
    corpus = tmp_path / "seeds"
    shutil.copytree(corpus_dir / "seeds", corpus)
    settings = replace(fp32, index_dir=tmp_path / "index", corpus=(corpus,), precision="bf16")
    report = build_index(settings, progress=False)
    assert StoredIndex(settings.index_dir).manifest.precision == "bf16"
    assert StoredIndex(fp32.index_dir).manifest.precision == "fp32"
    mine, theirs = Searcher(settings), Searcher(fp32)
    same_first = sum(
        mine.search(q, k=1)[0].passage.location == theirs.search(q, k=1)[0].passage.location for q in QUESTIONS
    )
    assert same_first >= len(QUESTIONS) - 1, f"{same_first}/{len(QUESTIONS)}"
    (corpus / "zz_new.txt").write_text("A new story about the Kangso lighthouse keepers and their lamps.\n")
    kept = build_index(replace(settings, precision="auto"), progress=False)  # auto keeps the index's own
    assert kept.embedded == 1 and StoredIndex(settings.index_dir).manifest.precision == "bf16"
    moved = build_index(replace(settings, precision="fp32"), progress=False)
    assert moved.embedded == report.passages + 1  # every passage again, none mixed in
    assert StoredIndex(settings.index_dir).manifest.precision == "fp32"


def test_a_model_retrained_into_the_same_folder_is_never_mixed_with_its_old_vectors(corpus_dir, tmp_path):
    from rag.embed import model_location
    from rag.settings import Settings

    model = tmp_path / "model"
    shutil.copytree(model_location("all-MiniLM-L6-v2"), model)
    corpus = tmp_path / "seeds"
    corpus.mkdir()
    shutil.copy(corpus_dir / "seeds" / "003_40bc4345d3ad908c.txt", corpus)
    settings = Settings.from_env(environ={}, index_dir=tmp_path / "index", corpus=[corpus], model=str(model))
    first = build_index(settings, progress=False)
    assert build_index(settings, progress=False).up_to_date
    with (model / "README.md").open("a") as readme:  # stands for new weights saved under the same path
        readme.write("\nretrained\n")
    again = build_index(settings, progress=False)
    assert not again.up_to_date and again.embedded == first.passages
