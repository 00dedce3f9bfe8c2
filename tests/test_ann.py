"""Approximate vector search above a size threshold: the index type is chosen and recorded in the
manifest, its search breadth is set again on opening, and it finds what exact search finds."""

from __future__ import annotations

import json

import faiss
import numpy as np
import pytest

from rag.index import Manifest, StoredIndex, current_build, make_vector_index, recall_at, write_index
from rag.lexical import LexicalIndex
from rag.records import Passage

pytestmark = pytest.mark.slow

DIM = 64


def clustered(n: int, seed: int = 0, clusters: int = 60) -> np.ndarray:
    """Unit vectors in clusters, like sentence embeddings of a corpus on a few dozen topics."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, DIM)).astype(np.float32)
    vectors = centres[rng.integers(0, clusters, n)] + 0.6 * rng.standard_normal((n, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def write(tmp_path, vectors: np.ndarray, **options):
    passages = [
        Passage(f"passage {i} word{i % 97}", f"f{i // 100}.txt", None, None, i + 1, i + 1, None, None, hash=str(i))
        for i in range(len(vectors))
    ]
    manifest = Manifest(model="test-model", dimension=DIM)
    lexical = LexicalIndex.build([p.text for p in passages])
    write_index(tmp_path / "idx", manifest, passages, vectors, lexical, {}, **options)
    return StoredIndex(tmp_path / "idx")


@pytest.fixture(scope="module")
def sample():
    return clustered(3200)


@pytest.fixture(scope="module")
def vectors(sample):
    return sample[:3000]


@pytest.fixture(scope="module")
def queries(sample):
    """On the corpus's topics but not in it, as questions are."""
    return sample[3000:]


def exact_neighbours(vectors: np.ndarray, queries: np.ndarray, k: int = 10) -> np.ndarray:
    flat = faiss.IndexFlatIP(DIM)
    flat.add(vectors)
    return flat.search(queries, k)[1]


def test_above_threshold_ivf_is_chosen_and_recorded(tmp_path, vectors):
    stored = write(tmp_path, vectors, ann_threshold=1000)
    manifest = json.loads((current_build(tmp_path / "idx") / "manifest.json").read_text())
    assert manifest["faiss_index"] == "IndexIVFScalarQuantizer"
    assert manifest["ann_threshold"] == 1000 and manifest["faiss_kind"] == "auto"
    params = manifest["faiss_params"]
    assert params["nlist"] >= 4 and 1 <= params["nprobe"] <= params["nlist"]
    assert faiss.extract_index_ivf(stored.vectors).nprobe == params["nprobe"]  # set again on opening
    assert stored.vectors.ntotal == len(stored) == 3000


def test_below_threshold_search_stays_exact(tmp_path, vectors):
    stored = write(tmp_path, vectors, ann_threshold=5000)
    assert stored.manifest.faiss_index == "IndexFlatIP" and stored.manifest.faiss_params == {}


def test_ivf_finds_exact_neighbours(tmp_path, vectors, queries):
    stored = write(tmp_path, vectors, ann_threshold=1000)
    _, ids = stored.search(vectors[:50], 1)
    assert (ids[:, 0] == np.arange(50)).all()  # every stored vector is its own nearest neighbour
    _, found = stored.search(queries, 10)
    assert recall_at(found, exact_neighbours(vectors, queries)) >= 0.95


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_forced_index_kind_reaches_recall(tmp_path, vectors, queries, kind):
    stored = write(tmp_path, vectors, faiss_index=kind)  # the default threshold would keep this flat
    assert stored.manifest.faiss_index == {"ivf": "IndexIVFScalarQuantizer", "hnsw": "IndexHNSWSQ"}[kind]
    _, found = stored.search(queries, 10)
    assert recall_at(found, exact_neighbours(vectors, queries)) >= 0.95


def test_flat_forced_above_threshold(tmp_path, vectors):
    stored = write(tmp_path, vectors, faiss_index="flat", ann_threshold=10)
    assert stored.manifest.faiss_index == "IndexFlatIP"


def test_unknown_index_kind_is_refused(vectors):
    with pytest.raises(ValueError, match="faiss_index"):
        make_vector_index(vectors, DIM, "lsh")


@pytest.mark.parametrize(("kind", "subset"), [("ivf", 300), ("ivf", 2500), ("hnsw", 2500)])
def test_filtered_search_returns_only_allowed_ids(tmp_path, vectors, queries, kind, subset, monkeypatch):
    stored = write(tmp_path, vectors, faiss_index=kind)
    allowed = np.sort(np.random.default_rng(3).choice(len(vectors), subset, replace=False)).astype(np.int64)
    if subset > 1000:
        monkeypatch.setattr("rag.index.EXACT_SUBSET", 1000)  # take the widened approximate path
    _, found = stored.search(queries[:50], 10, allowed)
    assert set(found[found >= 0].tolist()) <= set(allowed.tolist())
    truth = allowed[exact_neighbours(vectors[allowed], queries[:50])]
    assert recall_at(found, truth) >= 0.95


def test_incremental_build_reads_vectors_back_from_ivf(tmp_path, vectors):
    stored = write(tmp_path, vectors, ann_threshold=1000)
    back = stored.vectors.reconstruct_n(0, len(stored))
    assert np.abs(back - vectors).max() < 1e-3  # float16 storage


def test_real_pipeline_on_an_ivf_index(seed_index, tmp_path):
    """The seeds indexed through build_index with IVF forced: search, filters and an incremental
    rebuild work on it."""
    from rag.build import build_index
    from rag.retrieve import Searcher
    from rag.settings import Settings

    settings, report = seed_index
    ivf = Settings.from_env(environ={}, index_dir=tmp_path / "ivf", corpus=settings.corpus, faiss_index="ivf")
    first = build_index(ivf, progress=False)
    searcher = Searcher(ivf)
    assert searcher.index.manifest.faiss_index == "IndexIVFScalarQuantizer"
    hits = searcher.search("Which company made an antivirus program?", k=3)
    assert "Jiu" in hits[0].passage.text
    again = build_index(ivf, progress=False, full=False)
    assert again.up_to_date and first.passages == report.passages
    flat = Settings.from_env(environ={}, index_dir=tmp_path / "ivf", corpus=settings.corpus, faiss_index="flat")
    switched = build_index(flat, progress=False)  # another index choice: rewritten from the stored vectors
    assert not switched.up_to_date and switched.embedded == 0 and switched.files_read == 0
    assert Searcher(flat).index.manifest.faiss_index == "IndexFlatIP"


def test_bm25_scores_match_bm25s_and_top_respects_allowed():
    texts = [f"kim jong un visits factory {i % 7} in pyongyang province {i % 13}" for i in range(500)]
    lexical = LexicalIndex.build(texts)
    query = "factory 3 pyongyang visits"
    from rag.lexical import tokenize

    expected = lexical.retriever.get_scores(tokenize([query])[0])
    assert np.allclose(lexical.scores(query), expected, atol=1e-5)
    top = lexical.top(query, 10)
    assert len(top) == 10 and min(top.values()) >= np.sort(expected)[-10] - 1e-5
    allowed = np.arange(0, 500, 2, dtype=np.int64)
    inside = lexical.top(query, 10, allowed)
    assert set(inside) <= set(allowed.tolist()) and len(inside) == 10
    assert lexical.top("zebra", 10) == {}


def test_above_sq8_threshold_ivf_with_8bit_codes_is_chosen_and_recorded(tmp_path, vectors, queries, monkeypatch):
    monkeypatch.setattr("rag.index.SQ8_THRESHOLD", 2000)
    stored = write(tmp_path, vectors, ann_threshold=1000)
    manifest = json.loads((current_build(tmp_path / "idx") / "manifest.json").read_text())
    assert manifest["faiss_index"] == "IndexIVFScalarQuantizer" and manifest["faiss_kind"] == "auto"
    params = manifest["faiss_params"]
    assert params["codes"] == "sq8" and 1 <= params["nprobe"] <= params["nlist"]
    ivf = faiss.extract_index_ivf(stored.vectors)
    assert ivf.nprobe == params["nprobe"] and ivf.code_size == DIM  # one byte a dimension
    _, found = stored.search(queries, 10)
    assert recall_at(found, exact_neighbours(vectors, queries)) >= 0.95
    stored.close()
    again = StoredIndex(tmp_path / "idx")
    assert (again.search(queries, 10)[1] == found).all()
    assert np.abs(again.vectors_of([3, 2999]) - vectors[[3, 2999]]).max() < 0.02  # 8-bit codes read back


def test_auto_below_sq8_threshold_keeps_float16_ivf(vectors):
    index, params = make_vector_index(vectors, DIM, "auto", ann_threshold=1000)
    assert type(index).__name__ == "IndexIVFScalarQuantizer" and set(params) == {"nlist", "nprobe"}
    from rag.index import SQ8_THRESHOLD

    assert SQ8_THRESHOLD >= 1_000_000  # the 1M index of bench/RESULTS.md stays IVF-fp16
