"""The query encoder without torch: the model's transformer exported once to ONNX and run by ONNX
Runtime, with the tokenizer of the `tokenizers` package. A one-shot `rag search` then starts in
about a second instead of the 7-10 s that importing torch and sentence-transformers takes.

The export is written beside the index (INDEX_DIR/query-encoder/) by the build, or by the first
search that finds none, each time by a child process that loads torch and exits (export_in_child),
and is used only when its vectors match the torch model's: cosine >= 0.9999 on probe texts, checked
at export. It depends on the model's weights only, so a copy is kept in the machine's cache
(Settings.cache_dir) and the next index of the same model copies it, checked against the digest it
was written with, instead of tracing the model again (about 7 s and 890 MiB in the child). An fp32
build embeds its passages with the export too: the same vectors, without importing torch (rag.build).
Models this cannot reproduce (a pooling other than the mean or [CLS], a Dense layer, a custom
module) keep the torch encoder.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from rag.embed import Embedder, get_embedder, late_chunked, normalised, weights_stamp

log = logging.getLogger(__name__)

FOLDER = "query-encoder"
KEPT_PER_MODEL = 3  # exports of one model name the machine's cache keeps (rag.embed_onnx._forget_oldest)
NOT_EXPORTABLE = 3  # the export process's exit status for a model this module cannot reproduce
MATCH = 0.9999  # least cosine to the torch model's vector on every probe text
PROBES = (
    "Which North Korean company made antivirus software?",
    "Kim Jong Un inspected the construction site of a greenhouse farm in Hamhung.",
    "What did the Minister of Foreign Affairs say about the joint military drills?",
    "A short one",
    "Пхеньян 평양 Pyongyang — 2024年",
    "word " * 300,  # beyond the model's length limit: truncated alike
)


class OnnxEmbedder(Embedder):
    """A sentence-transformers model's embeddings, computed by ONNX Runtime from its export."""

    def __init__(self, folder: Path):
        import onnxruntime
        from tokenizers import Tokenizer

        info = json.loads((folder / "info.json").read_text())
        self.name, self.dimension, self.pooling = info["model"], int(info["dimension"]), info["pooling"]
        self.query_prompt, self.passage_prompt = info["query_prompt"], info["passage_prompt"]
        self.device = "cpu (onnxruntime)"
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(int(info["max_length"]))
        self.tokenizer.enable_padding(pad_id=int(info["pad_id"]))
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        # Memory patterns plan buffers for one input shape; every batch of texts has its own length,
        # and with them on a build's embedding peaks 80 MiB higher, no faster (bench/RESULTS.md).
        options.enable_mem_pattern = False
        self.session = onnxruntime.InferenceSession(
            str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self.inputs = {i.name for i in self.session.get_inputs()}

    def embed_batch(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            tokens, mask, _ = self._run(texts[start : start + batch_size])
            out[start : start + len(tokens)] = self._pooled(tokens, mask)
        return normalised(out)

    def encode_with_sentences(
        self, texts: list[str], spans: list[list[tuple[int, int]]], batch_size: int = 64, progress: bool = False
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """As the torch model's (rag.embed): each text's vector and its sentences' from one forward
        pass, the token embeddings pooled within each sentence's characters (padding has the empty
        offset (0, 0), as [CLS] and [SEP] do, so it falls in no sentence)."""

        def forward(batch: list[str]) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
            tokens, mask, offsets = self._run(batch)
            return self._pooled(tokens, mask), list(zip(tokens, offsets))

        return late_chunked(self, texts, spans, batch_size, forward, progress)

    def _run(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The token embeddings of a batch, its attention mask and each token's character offsets."""
        encoded = self.tokenizer.encode_batch(texts)
        feed = {
            "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
        }
        tokens = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0]
        return tokens, feed["attention_mask"], np.array([e.offsets for e in encoded], dtype=np.int64)

    def _pooled(self, tokens: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self.pooling == "cls":
            return tokens[:, 0]
        weights = mask[..., None].astype(np.float32)
        return (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)


def wanted(settings) -> bool:
    """Whether searches of these settings use (and builds write) the export: with the index folder
    as the store, where it lives beside the build; a Milvus deployment's app keeps nothing on disk."""
    from rag.store import parse_store

    return settings.query_encoder == "auto" and parse_store(settings.store).kind == "faiss"


def onnx_query_embedder(name: str, index_dir: Path) -> OnnxEmbedder | None:
    """The ONNX export beside the index, when it is there and is of this model's current weights."""
    folder = index_dir / FOLDER
    if not _export_of(folder, name):
        return None
    if not _runtime_installed():
        return None
    try:
        return OnnxEmbedder(folder)
    except Exception as err:  # the export damaged: torch answers, and the next export replaces it
        log.warning("query encoder: the ONNX export in %s cannot be read (%s); using torch", folder, err)
        shutil.rmtree(folder, ignore_errors=True)
        return None


def _runtime_installed() -> bool:
    return importlib.util.find_spec("onnxruntime") is not None


def _export_of(folder: Path, name: str) -> bool:
    try:
        info = json.loads((folder / "info.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(info, dict) and info.get("model") == name and info.get("weights") == weights_stamp(name)


def export_query_encoder(embedder: Embedder, index_dir: Path, cache_dir: Path | None = None) -> bool:
    """Write the ONNX export of `embedder` into INDEX_DIR/query-encoder/ when it reproduces the
    model's vectors (see the module doc); whether it was written. Never fails a build or a search.
    `cache_dir`: where exports are kept for every index of this machine: the export depends on the
    model's weights only, so a second index of the same model copies it instead of tracing again."""
    if cached_export(embedder.name, index_dir, cache_dir):
        return True
    if not hasattr(embedder, "model") or not _runtime_installed():  # not a sentence-transformers model
        return False
    try:
        return _export(embedder, index_dir / FOLDER, cache_dir)
    except Exception as err:  # no onnxruntime, an exporter that cannot trace this model, a full disk
        log.info("no ONNX query encoder for %s: %s", embedder.name, err)
        return False


def ensure_export(name: str, index_dir: Path, cache_dir: Path | None) -> bool | None:
    """Whether INDEX_DIR/query-encoder/ holds this model's export, copied from the machine's cache or
    else traced by a child process (export_in_child): None when that process did not run."""
    return cached_export(name, index_dir, cache_dir) or export_in_child(name, index_dir, cache_dir)


def export_in_child(name: str, index_dir: Path, cache_dir: Path | None, timeout: float = 900) -> bool | None:
    """export_query_encoder run by a child process of this Python, which loads the model into torch
    and exits: the caller never imports torch, and a machine's first build peaks at the larger of
    the two processes, not at their sum (bench/RESULTS.md). True: the export is beside the index;
    False: the model cannot be exported; None: the child did not run (the caller may export itself)."""
    if not os.access(index_dir if index_dir.exists() else index_dir.parent, os.W_OK):
        return False  # a read-only index: nowhere to put it, and no reason to load torch twice
    package_root = str(Path(__file__).resolve().parent.parent)  # where this `rag` is imported from
    paths = (package_root, os.environ.get("PYTHONPATH"))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p))
    script = "from rag.embed_onnx import _export_here; _export_here()"
    command = [sys.executable, "-c", script, name, str(index_dir), str(cache_dir or "")]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as err:
        log.info("the ONNX export's process did not run: %s", err)
        return None
    if done.returncode not in (0, NOT_EXPORTABLE):  # a crash, a model that does not load: the caller sees it
        log.info("the ONNX export's process failed (exit %s): %s", done.returncode, done.stderr.strip()[-500:])
        return None
    return done.returncode == 0 and _export_of(index_dir / FOLDER, name)


def _export_here() -> None:
    """The export process of export_in_child: model name, index folder, cache folder ("": none)."""
    name, index_dir, cache_dir = sys.argv[1:4]
    written = export_query_encoder(get_embedder(name, "fp32"), Path(index_dir), Path(cache_dir) if cache_dir else None)
    sys.exit(0 if written else NOT_EXPORTABLE)


def cached_export(name: str, index_dir: Path, cache_dir: Path | None) -> bool:
    """Whether INDEX_DIR/query-encoder/ holds the export of this model's weights, copied from the
    machine's cache when it did not. Needs neither torch nor the model: a build that finds the
    export here embeds with it (rag.build). A damaged copy in the cache is removed."""
    folder = index_dir / FOLDER
    if _export_of(folder, name):
        return True
    cached = cache_dir / FOLDER / _cache_key(name) if cache_dir else None
    if cached is None or not _runtime_installed() or not _export_of(cached, name):
        return False
    try:
        work = _work_folder(folder)
    except OSError as err:
        log.info("the ONNX export is not copied into %s: %s", folder.parent, err)
        return False
    try:
        shutil.copytree(cached, work, dirs_exist_ok=True)
        # Run against torch when it was made, of the same weights: checked byte for byte now, which
        # needs no ONNX Runtime session (nor the model) beside the build.
        if not _intact(work):
            shutil.rmtree(cached, ignore_errors=True)  # traced afresh by the next export
            return False
        _install(work, folder)
        os.utime(cached)  # used now: the last to be forgotten
        return True
    except OSError as err:  # a full disk: the build goes on with torch
        log.info("the ONNX export is not copied into %s: %s", folder.parent, err)
        return False
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _export(embedder, folder: Path, cache_dir: Path | None) -> bool:
    modules = [type(m).__name__ for m in embedder.model]
    pooling = embedder.model[1] if len(modules) > 1 and modules[1] == "Pooling" else None
    if modules[0] != "Transformer" or pooling is None or set(modules[2:]) - {"Normalize"}:
        log.info("no ONNX query encoder: modules %s", modules)
        return False
    # sentence-transformers 6 names the mode; older releases have a method for it.
    mode = getattr(pooling, "pooling_mode", None) or pooling.get_pooling_mode_str()
    if mode not in ("mean", "cls") or getattr(pooling, "include_prompt", True) is False:
        return False
    # Exported in fp32 whatever precision the build embeds at (ONNX Runtime's CPU kernels are fp32),
    # from the weights on disk: a bf16 model's weights are rounded.
    model = embedder.model if embedder.precision == "fp32" else get_embedder(embedder.name, "fp32").model
    work = _work_folder(folder)
    try:
        _trace(embedder, model, mode, work)
        if not _matches(model, work):
            return False
        if cache_dir is not None:
            _keep(work, cache_dir / FOLDER / _cache_key(embedder.name), embedder.name)
        _install(work, folder)
        return True
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _work_folder(folder: Path) -> Path:
    """An empty folder beside the index's export, where the next one is made before it replaces it."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".query-encoder.", dir=folder.parent))


def _install(work: Path, folder: Path) -> None:
    """WORK made the index's export in one step: a search opens the whole export or none."""
    old = folder.with_name(work.name + ".old")
    if folder.exists():
        folder.rename(old)
    work.chmod(0o755)  # mkdtemp made it private
    work.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


def _matches(model, work: Path) -> bool:
    """Whether the export in WORK gives the torch model's vectors on the probe texts."""
    expected = model.encode(list(PROBES), normalize_embeddings=True, convert_to_numpy=True)
    try:
        cosines = np.sum(OnnxEmbedder(work).embed_batch(list(PROBES)) * expected, axis=1)
    except Exception as err:  # a truncated or foreign file: ONNX Runtime cannot load it
        log.info("the ONNX export in %s cannot be run: %s", work, err)
        return False
    if cosines.min() < MATCH:
        log.info("no ONNX query encoder: cosine %.6f to the torch model", cosines.min())
    return bool(cosines.min() >= MATCH)


def _intact(work: Path) -> bool:
    """Whether WORK/model.onnx is the file its export wrote (the digest in its info.json)."""
    try:
        wanted = json.loads((work / "info.json").read_text()).get("sha256")
        return bool(wanted) and _file_digest(work / "model.onnx") == wanted
    except (OSError, ValueError, AttributeError):
        return False


def _file_digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _trace(embedder, model, mode: str, work: Path) -> None:
    """The model's transformer traced to WORK/model.onnx, with its tokenizer and what pooling needs."""
    import torch

    transformer = model[0].auto_model.eval()
    tokenizer = model.tokenizer
    sample = tokenizer(["a first text", "and a second, longer one"], padding=True, return_tensors="pt")
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]

    class Tokens(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = transformer

        def forward(self, *inputs):
            return self.transformer(**dict(zip(names, inputs))).last_hidden_state

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on Python control flow it froze
        torch.onnx.export(
            Tokens(),
            tuple(sample[n] for n in names),
            str(work / "model.onnx"),
            input_names=names,
            output_names=["tokens"],
            dynamic_axes={n: {0: "batch", 1: "length"} for n in [*names, "tokens"]},
            opset_version=17,
            dynamo=False,
        )
    tokenizer.save_pretrained(str(work / "hf"))
    (work / "hf" / "tokenizer.json").replace(work / "tokenizer.json")
    shutil.rmtree(work / "hf")
    info = {
        "model": embedder.name,
        "weights": weights_stamp(embedder.name),
        "dimension": embedder.dimension,
        "pooling": mode,
        "max_length": int(model.max_seq_length),
        "pad_id": int(tokenizer.pad_token_id or 0),
        "query_prompt": embedder.query_prompt,
        "passage_prompt": embedder.passage_prompt,
        "sha256": _file_digest(work / "model.onnx"),
    }
    (work / "info.json").write_text(json.dumps(info, indent=1))


def _cache_key(name: str) -> str:
    """One folder per model and set of weights: a model retrained in place gets a new one."""
    return hashlib.sha256(f"{name}\n{weights_stamp(name)}".encode()).hexdigest()[:16]


def _keep(work: Path, cached: Path, name: str) -> None:
    """A copy of a checked export in the machine's cache, written whole or not at all."""
    part = None
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        part = Path(tempfile.mkdtemp(prefix=".part.", dir=cached.parent))
        shutil.copytree(work, part, dirs_exist_ok=True)
        shutil.rmtree(cached, ignore_errors=True)
        part.rename(cached)
        _forget_oldest(cached, name)
    except OSError as err:  # a read-only or full cache, or another build's copy won: this index still has its own
        log.info("the ONNX export is not kept in %s: %s", cached.parent, err)
        if part is not None:
            shutil.rmtree(part, ignore_errors=True)


def _forget_oldest(cached: Path, name: str, keep: int = KEPT_PER_MODEL) -> None:
    """Keep the `keep` exports of this model name last written or used, and remove older ones: each
    is the size of the model, and one made from weights since replaced (a model retrained into its
    folder) is never used again. Not only the newest: two environments of one machine each install
    their own copy of a model, whose files' times differ, and each then has its export."""
    same = []
    for other in cached.parent.iterdir():
        try:
            if not other.name.startswith(".") and json.loads((other / "info.json").read_text()).get("model") == name:
                same.append((other.stat().st_mtime, other))
        except (OSError, ValueError, AttributeError):
            continue
    for _, other in sorted(same, reverse=True)[keep:]:
        if other != cached:
            shutil.rmtree(other, ignore_errors=True)
