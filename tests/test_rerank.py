"""The optional cross-encoder stage. No trained cross-encoder can be downloaded here, so the tests
use a real one made from the bundled MiniLM weights with a fresh (untrained) scoring head: its
order is arbitrary but its own, which is what these tests check: the reranker, not the fusion,
decides the order of the top passages, and the CLI carries it through."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from .test_cli import check_schema, rag

pytestmark = pytest.mark.slow

QUESTION = "Which company made an antivirus program?"


@pytest.fixture(scope="session")
def cross_encoder_dir(tmp_path_factory):
    import torch
    from sentence_transformers import CrossEncoder

    from rag.embed import model_location

    folder = tmp_path_factory.mktemp("cross-encoder")
    torch.manual_seed(0)  # the fresh head's weights: the same arbitrary order on every run
    CrossEncoder(model_location("all-MiniLM-L6-v2"), num_labels=1).save(str(folder))
    return folder


def test_reranker_orders_the_top_passages_by_its_own_scores(seed_index, cross_encoder_dir):
    from sentence_transformers import CrossEncoder

    from rag.retrieve import Searcher

    settings, _ = seed_index
    settings = replace(settings, diversity=0.0)  # the reranker's order alone, not spread by MMR after it
    plain = Searcher(settings)
    reranking = Searcher(replace(settings, reranker=str(cross_encoder_dir), rerank_depth=20))
    candidates = plain.search(QUESTION, k=20, highlight=False)
    hits = reranking.search(QUESTION, k=5, highlight=False)

    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
    scores = [h.rerank_score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert {h.passage.hash for h in hits} <= {h.passage.hash for h in candidates}  # re-ordered, not re-retrieved
    judge = CrossEncoder(str(cross_encoder_dir))
    expected = judge.predict([(QUESTION, h.passage.embedding_text) for h in candidates])
    # The reranker's favourite comes first (candidates[:10] are surely among the 20 it read).
    assert scores[0] >= float(max(expected[:10])) - 1e-4
    for hit in hits:
        again = judge.predict([(QUESTION, hit.passage.embedding_text)])[0]
        assert hit.rerank_score == pytest.approx(float(again), abs=1e-4)
    assert [h.passage.hash for h in hits] != [h.passage.hash for h in candidates[:5]]  # it did change the order
    plain.close()
    reranking.close()


def test_cli_search_with_a_reranker_adds_its_score_to_the_json(seed_index, cross_encoder_dir):
    settings, _ = seed_index
    done = rag("search", QUESTION, "--json", "--reranker", str(cross_encoder_dir), "--index", str(settings.index_dir))
    assert done.returncode == 0, done.stderr
    obj = json.loads(done.stdout)
    check_schema(obj, QUESTION)
    scores = [r["rerank_score"] for r in obj["results"]]
    assert len(scores) == 5 and all(isinstance(score, float) for score in scores)


def test_a_reranker_that_is_not_on_disk_is_a_one_line_error(seed_index, tmp_path):
    settings, _ = seed_index
    done = rag("search", QUESTION, "--reranker", str(tmp_path / "no-such-model"), "--index", str(settings.index_dir))
    assert done.returncode == 1
    assert done.stderr.startswith("Error: cannot load reranker") and done.stderr.count("\n") == 1, done.stderr
