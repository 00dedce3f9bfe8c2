"""The seams: the Embedder and VectorStore interfaces, the store address, and the public API."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rag
from rag.embed import Embedder
from rag.index import StoredIndex
from rag.lexical import LexicalIndex
from rag.milvus_store import MilvusLexical, MilvusStore
from rag.store import LexicalSearch, VectorStore, parse_store

from .conftest import REPO


class HashingEmbedder(Embedder):
    """A fake model for logic tests: a bag of hashed words. Implements only embed_batch, as a
    new runtime would; everything else comes from the interface."""

    name = "hashing-64"
    dimension = 64

    def embed_batch(self, texts, batch_size=64, progress=False):
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                vectors[row, int(hashlib.md5(word.strip(".,?").encode()).hexdigest(), 16) % self.dimension] += 1
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms > 0, norms, 1)


def test_an_embedder_needs_only_embed_batch():
    embedder = HashingEmbedder()
    texts = ["Trams run in Pyongyang. The line is new.", "Rice was planted early."]
    spans = [[(0, 23), (24, 40)], [(0, 23)]]
    vectors, sentences = embedder.encode_with_sentences(texts, spans)
    assert vectors.shape == (2, 64) and [len(s) for s in sentences] == [2, 1]
    assert np.allclose(sentences[0][0], embedder.encode([texts[0][:23]])[0])
    assert np.allclose(embedder.encode_query("rice"), embedder.embed_batch(["rice"])[0])


def test_the_pipeline_builds_and_searches_with_another_embedder(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "trams.txt").write_text("Trams now run on the new line in Pyongyang.\n\nThe line opened in May.\n")
    (corpus / "rice.txt").write_text("Farmers in South Hwanghae planted rice early this spring.\n")
    fake = HashingEmbedder()
    monkeypatch.setattr("rag.build.get_embedder", lambda name, precision="fp32": fake)
    monkeypatch.setattr("rag.retrieve.get_embedder", lambda name: fake)
    report = rag.build_index(str(corpus), tmp_path / "index", model="hashing-64")
    assert report.passages >= 2
    with rag.open_index(str(tmp_path / "index"), model="hashing-64") as index:
        hits = index.search("where do the trams run", k=2)
        assert hits[0].passage.source == "corpus/trams.txt" and hits[0].highlight
        assert isinstance(hits[0], rag.Hit)
        assert [h.passage.source for h in index.search("trams", sources=["corpus/rice.txt"])] == ["corpus/rice.txt"]


def test_both_stores_have_every_call_of_the_interfaces():
    for protocol, classes in (
        (VectorStore, (StoredIndex, MilvusStore)),
        (LexicalSearch, (LexicalIndex, MilvusLexical)),
    ):
        wanted = [name for name in protocol.__dict__ if not name.startswith("_") and callable(protocol.__dict__[name])]
        assert wanted
        for cls in classes:
            assert all(callable(getattr(cls, name, None)) for name in wanted), (cls, wanted)


@pytest.mark.parametrize(
    ("value", "kind", "uri"),
    [
        ("faiss", "faiss", ""),
        ("", "faiss", ""),
        ("milvus://db.example.org:19530", "milvus", "http://db.example.org:19530"),
        ("milvus://db.example.org", "milvus", "http://db.example.org:19530"),
        ("milvus+https://db.example.org:443", "milvus", "https://db.example.org:443"),
        ("milvus:./rag.db", "milvus", "./rag.db"),
    ],
)
def test_store_addresses(value, kind, uri):
    address = parse_store(value)
    assert (address.kind, address.uri) == (kind, uri)
    assert address.lite == (kind == "milvus" and not uri.startswith("http"))


@pytest.mark.parametrize("value", ["milvus://", "milvus:", "sqlite:///x", "redis://host"])
def test_bad_store_addresses_say_what_is_accepted(value):
    with pytest.raises(ValueError, match=r"store must be faiss, milvus://HOST:PORT or milvus:PATH\.db"):
        parse_store(value)


def test_importing_rag_loads_no_model_and_changes_no_environment():
    probe = (
        "import json, os, sys; before = dict(os.environ); import rag; "
        "print(json.dumps({'changed': sorted(k for k in os.environ if os.environ.get(k) != before.get(k)), "
        "'heavy': [m for m in ('torch', 'sentence_transformers', 'gradio', 'faiss', 'pymilvus') if m in sys.modules], "
        "'all': rag.__all__}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True)
    found = json.loads(out.stdout)
    assert found["changed"] == [] and found["heavy"] == []
    assert {"open_index", "build_index", "Hit", "Passage", "Index", "VectorStore", "Embedder"} <= set(found["all"])


@pytest.mark.slow
def test_the_readme_three_lines_work_with_str_and_path(seed_index):
    settings, _ = seed_index
    for path in (str(settings.index_dir), Path(settings.index_dir)):
        index = rag.open_index(path)
        hits = index.search("Which company made an antivirus program?", k=5)
        assert len(hits) == 5 and "Jiu" in " ".join(h.passage.text for h in hits)
        assert hits[0].rank == 1 and hits[0].passage.location
        index.close()
