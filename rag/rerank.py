"""Optional second stage: a cross-encoder reads the question and each top passage together and
re-orders them. None is bundled; a user names one by local path (or a name already on disk),
e.g. a copy of cross-encoder/ms-marco-MiniLM-L6-v2. Nothing is downloaded at run time."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from rag.embed import load_local  # also sets the offline switches before any Hugging Face import


class Reranker:
    def __init__(self, name: str):
        self.name = name
        self.model = _load(name)

    def scores(self, question: str, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Relevance of each text to the question as the model scores it: higher is better."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        pairs = [(question, text) for text in texts]
        scores = self.model.predict(pairs, batch_size=batch_size, show_progress_bar=False, convert_to_numpy=True)
        return np.asarray(scores, dtype=np.float32).reshape(len(texts), -1)[:, 0]


@lru_cache(maxsize=2)
def _load(name: str):
    from sentence_transformers import CrossEncoder

    return load_local(CrossEncoder, name, "reranker")


@lru_cache(maxsize=2)
def get_reranker(name: str) -> Reranker:
    return Reranker(name)
