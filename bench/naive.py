"""The naive pipeline a new user would put together in an afternoon, as the baseline that the
product must beat in the same run: each document's raw text in fixed-size character chunks
(1000 characters, 200 overlap, as LangChain's default splitter examples use), bm25s with English
stop words and the Snowball stemmer, the bundled MiniLM with exact cosine search, and RRF (k=60)
of the two. Nothing of the product's cleaning, chunking or fusion is used."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CHUNK, OVERLAP = 1000, 200


@dataclass
class Chunk:
    text: str
    article: str  # the record's link, or the seed file's name


def character_chunks(text: str, size: int = CHUNK, overlap: int = OVERLAP) -> list[str]:
    step = size - overlap
    return [text[i : i + size] for i in range(0, max(1, len(text) - overlap), step) if text[i : i + size].strip()]


def corpus_chunks(corpus: Path) -> list[Chunk]:
    """KCNA records (unique by link) or the seed files, cut into character chunks."""
    chunks: list[Chunk] = []
    if corpus.is_dir():
        for path in sorted(corpus.glob("*.txt")):
            chunks += [Chunk(c, path.name) for c in character_chunks(path.read_text(encoding="utf-8"))]
        return chunks
    seen = set()
    for record in json.loads(corpus.read_text(encoding="utf-8")):
        text = (record.get("story_text") or "").strip()
        if text and text not in seen:  # the same story under several links is indexed once
            seen.add(text)
            chunks += [Chunk(c, record["link"]) for c in character_chunks(text)]
    return chunks


class NaivePipeline:
    def __init__(self, corpus: Path, cache: Path):
        import bm25s
        import Stemmer

        from rag.embed import get_embedder

        self.chunks = corpus_chunks(corpus)
        texts = [c.text for c in self.chunks]
        self.stemmer = Stemmer.Stemmer("english")
        self.lexical = bm25s.BM25()
        self.lexical.index(
            bm25s.tokenize(texts, stopwords="en", stemmer=self.stemmer, show_progress=False), show_progress=False
        )
        self.embedder = get_embedder()
        key = hashlib.sha1("\x00".join(texts).encode()).hexdigest()[:12]
        cached = cache / f"naive-{key}.npy"
        if cached.exists():
            self.vectors = np.load(cached)
        else:
            self.vectors = self.embedder.encode(texts)
            cache.mkdir(parents=True, exist_ok=True)
            np.save(cached, self.vectors)

    def bm25(self, question: str, n: int = 100) -> list[int]:
        import bm25s

        tokens = bm25s.tokenize([question], stopwords="en", stemmer=self.stemmer, return_ids=False, show_progress=False)
        scores = self.lexical.get_scores(tokens[0]) if tokens[0] else np.zeros(len(self.chunks))
        return [int(i) for i in np.argsort(-scores)[:n] if scores[i] > 0]

    def dense(self, question: str, n: int = 100) -> list[int]:
        scores = self.vectors @ self.embedder.encode_query(question)
        return [int(i) for i in np.argsort(-scores)[:n]]

    def rrf(self, question: str, n: int = 100, k: int = 60) -> list[int]:
        fused: dict[int, float] = {}
        for ranking in (self.dense(question, n), self.bm25(question, n)):
            for rank, i in enumerate(ranking, start=1):
                fused[i] = fused.get(i, 0.0) + 1 / (k + rank)
        return sorted(fused, key=fused.get, reverse=True)
