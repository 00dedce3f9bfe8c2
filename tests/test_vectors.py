"""A build's vectors on disk while it is made (rag.vectors), and the FAISS index written from them."""

from __future__ import annotations

import numpy as np
import pytest

from rag.index import _exact_neighbours, make_vector_index
from rag.vectors import SPILL, BuildVectors


def unit(rows: int, dim: int = 8, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((rows, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_vectors_put_in_any_order_are_read_back_in_passage_order(tmp_path):
    counts = [2, 0, 3, 1]
    made = BuildVectors(tmp_path, 8, counts)
    vectors = unit(4)
    sentences = [unit(n, seed=i + 1) for i, n in enumerate(counts)]
    made.put([2, 0], vectors[[2, 0]], [sentences[2], sentences[0]])
    made.put(np.array([3, 1]), vectors[[3, 1]], [sentences[3], sentences[1]])
    assert isinstance(made.vectors, np.memmap)  # on disk, not in memory
    assert np.array_equal(made.vectors, vectors)
    for i, own in enumerate(sentences):
        assert made.sentences[i].dtype == np.float16 and np.allclose(made.sentences[i], own, atol=1e-3)
    with pytest.raises(ValueError, match="passage 0 has 2 sentences, 3 vectors"):
        made.put([0], vectors[:1], [unit(3)])
    build = tmp_path / "build"
    build.mkdir()
    made.move_sentences(build)
    rows, starts = np.load(build / "sentences.npy"), np.load(build / "sentence_starts.npy")
    assert starts.tolist() == [0, 2, 2, 5, 6] and rows.shape == (6, 8)
    made.close()
    assert not (tmp_path / SPILL).exists()


def test_a_build_of_nothing_has_empty_files(tmp_path):
    made = BuildVectors(tmp_path, 8, [])
    assert made.vectors.shape == (0, 8) and len(made.sentences) == 0
    made.close()


def test_what_a_killed_build_left_is_cleared_by_the_next(tmp_path):
    (tmp_path / SPILL).mkdir()
    (tmp_path / SPILL / "vectors.npy").write_bytes(b"half")
    made = BuildVectors(tmp_path, 4, [1])
    assert made.vectors.shape == (1, 4)
    made.close()


@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw"])
def test_an_index_made_from_a_mapped_file_equals_one_made_in_memory(tmp_path, kind, monkeypatch):
    monkeypatch.setattr("rag.index.BLOCK", 1000)  # several blocks of a small corpus
    vectors = unit(5000, dim=16)
    made = BuildVectors(tmp_path, 16, [0] * len(vectors))
    made.put(range(len(vectors)), vectors, [np.zeros((0, 16))] * len(vectors))
    from_disk, params = make_vector_index(made.vectors, 16, kind)
    in_memory, same = make_vector_index(vectors.copy(), 16, kind)
    assert from_disk.ntotal == in_memory.ntotal == 5000 and params == same
    queries = unit(20, dim=16, seed=9)
    assert np.array_equal(from_disk.search(queries, 10)[1], in_memory.search(queries, 10)[1])
    made.close()


def test_exact_neighbours_read_in_blocks_are_those_of_one_search(monkeypatch):
    import faiss

    monkeypatch.setattr("rag.index.BLOCK", 333)
    vectors, queries = unit(2000), unit(15, seed=4)
    _, truth = faiss.knn(queries, vectors, 10, metric=faiss.METRIC_INNER_PRODUCT)
    assert np.array_equal(np.sort(_exact_neighbours(vectors, queries, 10), axis=1), np.sort(truth, axis=1))
