"""Embedding speed of the CPU options for the default model (all-MiniLM-L6-v2), at equal quality.

Rows: PyTorch float32 (what rag uses) at 1 and 2 threads, PyTorch bfloat16, PyTorch dynamic int8,
ONNX Runtime float32 and dynamic int8, OpenVINO at its default precision hint (printed: bf16 on a
CPU with AVX512-BF16 or AMX, else f32); all with length-sorted batches of 64 (the
way SentenceTransformer.encode batches). Each row gives passages/s on real KCNA passages, the
median latency of one question, and its quality against the PyTorch float32 vectors: mean cosine of
the same text's two vectors, and overlap@5 of the passages each question ranks first.

sentence-transformers' own `backend="onnx"` / `"openvino"` need optimum-onnx / optimum-intel, whose
releases pin transformers<4.58 / <5.6 while sentence-transformers 6 needs transformers>=5 (rag has
5.24): they cannot be loaded together. The ONNX rows therefore export the same model with
torch.onnx and run it in onnxruntime / OpenVINO directly (same tokenizer, mean pooling and
normalisation as the model's modules.json). Those rows need onnxruntime / openvino importable, e.g.
a side environment that sees .venv's packages:

    python3 -m venv /tmp/venv-onnx
    echo $PWD/.venv/lib/python3.11/site-packages > /tmp/venv-onnx/lib/python3.11/site-packages/main.pth
    /tmp/venv-onnx/bin/pip install --no-deps onnxruntime onnx protobuf openvino openvino-telemetry flatbuffers ml_dtypes
    PYTHONPATH=$PWD /tmp/venv-onnx/bin/python bench/embed_backends.py

Run: .venv/bin/python bench/embed_backends.py [--passages 192]
     .venv/bin/python bench/embed_backends.py --dev "torch bf16,openvino (default hint)"   (dev-set check)"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import KCNA, REPO, WORK, built_index

from rag.embed import model_location
from rag.settings import DEFAULT_MODEL

MAX_TOKENS = 256  # the model's max_seq_length
BATCH = 64


def sample(n: int) -> tuple[list[str], list[str]]:
    """n real KCNA passages (as embedded) and the dev questions."""
    from rag.index import StoredIndex

    settings, _ = built_index("kcna", KCNA)
    stored = StoredIndex(settings.index_dir)
    ids = np.random.default_rng(0).choice(len(stored), size=min(n, len(stored)), replace=False)
    passages = [p.embedding_text for p in stored.passages(sorted(ids.tolist()))]
    stored.close()
    questions = [json.loads(line)["q"] for line in (REPO / "bench" / "dev_kcna.jsonl").read_text().splitlines()]
    return passages, questions


class TorchBackend:
    def __init__(self, threads: int, mode: str = "fp32"):
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        self.model = SentenceTransformer(model_location(DEFAULT_MODEL), device="cpu")
        self.mode = mode
        if mode == "int8":
            self.model = torch.ao.quantization.quantize_dynamic(self.model, {torch.nn.Linear}, dtype=torch.qint8)
        elif mode == "bf16":
            self.model = self.model.to(torch.bfloat16)

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(texts, batch_size=BATCH, normalize_embeddings=True, convert_to_tensor=True)
        return vectors.float().numpy()


class _ExportedBackend:
    """Tokenize, run the exported transformer, mean-pool over the attention mask, normalise."""

    def __init__(self):
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(model_location(DEFAULT_MODEL))

    def run(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def encode(self, texts: list[str]) -> np.ndarray:
        order = np.argsort([-len(t) for t in texts], kind="stable")  # as SentenceTransformer.encode does
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(texts), BATCH):
            chosen = order[start : start + BATCH]
            batch = self.tokenizer(
                [texts[i] for i in chosen], padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="np"
            )
            inputs = {k: v.astype(np.int64) for k, v in batch.items()}
            hidden = self.run(inputs)
            mask = inputs["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
            out[chosen] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return out


def export_onnx() -> Path:
    """The model's transformer as ONNX (exported once, offline, from the bundled weights)."""
    import torch
    from transformers import AutoModel

    path = WORK / "onnx" / "model.onnx"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    bert = AutoModel.from_pretrained(model_location(DEFAULT_MODEL)).eval()

    class Wrapped(torch.nn.Module):  # named inputs: BertModel.forward's positional order changes by release
        def __init__(self):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)[0]

    model = Wrapped().eval()
    dummy = {k: torch.ones((2, 16), dtype=torch.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
    axes = {name: {0: "batch", 1: "tokens"} for name in (*dummy, "last_hidden_state")}
    with torch.no_grad():
        torch.onnx.export(
            model,
            (dummy["input_ids"], dummy["attention_mask"], dummy["token_type_ids"]),
            str(path),
            input_names=list(dummy),
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    return path


def quantized_onnx() -> Path:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    source = export_onnx()
    path = source.with_name("model_int8.onnx")
    if not path.exists():
        quantize_dynamic(str(source), str(path), weight_type=QuantType.QInt8)
    return path


class OrtBackend(_ExportedBackend):
    def __init__(self, threads: int, int8: bool = False):
        import onnxruntime as ort

        super().__init__()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        model = quantized_onnx() if int8 else export_onnx()
        self.session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self.names = {i.name for i in self.session.get_inputs()}

    def run(self, inputs):
        return self.session.run(None, {k: v for k, v in inputs.items() if k in self.names})[0]


class OpenVinoBackend(_ExportedBackend):
    """OpenVINO at its default precision hint for the CPU: bf16 where the CPU has it, as here."""

    def __init__(self, threads: int):
        import openvino as ov

        super().__init__()
        core = ov.Core()
        self.model = core.compile_model(str(export_onnx()), "CPU", {"INFERENCE_NUM_THREADS": threads})
        self.precision = str(self.model.get_property("INFERENCE_PRECISION_HINT"))
        self.names = {i.get_any_name() for i in self.model.inputs}

    def run(self, inputs):
        return self.model({k: v for k, v in inputs.items() if k in self.names})[0]


BACKENDS = {
    "torch fp32 (current)": lambda t: TorchBackend(t),
    "torch bf16": lambda t: TorchBackend(t, "bf16"),
    "torch int8 dynamic": lambda t: TorchBackend(t, "int8"),
    "onnxruntime fp32": lambda t: OrtBackend(t),
    "onnxruntime int8 dynamic": lambda t: OrtBackend(t, int8=True),
    "openvino (default hint)": lambda t: OpenVinoBackend(t),
}


def measure(backend, passages: list[str], questions: list[str]) -> dict:
    backend.encode(passages[:8] + questions[:2])  # warm up
    started = time.perf_counter()
    vectors = backend.encode(passages)
    seconds = time.perf_counter() - started
    times, queries = [], []
    for q in questions:
        started = time.perf_counter()
        queries.append(backend.encode([q])[0])
        times.append(time.perf_counter() - started)
    return {
        "passages_per_s": len(passages) / seconds,
        "query_ms": 1000 * statistics.median(times),
        "vectors": vectors,
        "queries": np.asarray(queries),
    }


def quality(result: dict, reference: dict, k: int = 5) -> tuple[float, float]:
    cosine = float(np.mean(np.sum(result["vectors"] * reference["vectors"], axis=1)))
    mine = np.argsort(-(result["queries"] @ result["vectors"].T), axis=1)[:, :k]
    theirs = np.argsort(-(reference["queries"] @ reference["vectors"].T), axis=1)[:, :k]
    overlap = float(np.mean([len(set(a) & set(b)) / k for a, b in zip(mine, theirs)]))
    return cosine, overlap


def dev_quality(names: list[str], threads: int = 1) -> None:
    """Dense-only retrieval on the KCNA dev questions over the whole KCNA corpus: the index's stored
    float32 vectors against each backend's vectors for the same passages (Hit@1, Hit@5, MRR@10)."""
    from rag.evaluate import read_questions
    from rag.index import StoredIndex

    settings, _ = built_index("kcna", KCNA)
    stored = StoredIndex(settings.index_dir)
    passages = stored.passages(list(range(len(stored))))
    reference = stored.vectors.reconstruct_n(0, len(stored))
    stored.close()
    dev = read_questions(REPO / "bench" / "dev_kcna.jsonl")
    texts = [" ".join(p.text.casefold().split()) for p in passages]

    def scores(passage_vectors: np.ndarray, question_vectors: np.ndarray) -> str:
        ranked = np.argsort(-(question_vectors @ passage_vectors.T), axis=1)[:, :10]
        firsts = []
        for question, row in zip(dev, ranked):
            answers = [" ".join(a.casefold().split()) for a in question.a]
            firsts.append(next((r for r, i in enumerate(row, 1) if any(a in texts[i] for a in answers)), None))
        hit = [sum(1 for f in firsts if f and f <= k) / len(firsts) for k in (1, 5)]
        mrr = sum(1 / f for f in firsts if f) / len(firsts)
        return f"Hit@1 {hit[0]:.3f}  Hit@5 {hit[1]:.3f}  MRR@10 {mrr:.3f}"

    questions = [q.q for q in dev]
    base = TorchBackend(threads)
    print(f"dense-only, {len(dev)} KCNA dev questions over {len(passages)} passages")
    print(f"{'index vectors (torch fp32)':<28} {scores(reference, base.encode(questions))}")
    for name in names:
        backend = BACKENDS[name](threads)
        started = time.perf_counter()
        vectors = backend.encode([p.embedding_text for p in passages])
        seconds = time.perf_counter() - started
        cosine = float(np.mean(np.sum(vectors * reference, axis=1)))
        print(
            f"{name:<28} {scores(vectors, backend.encode(questions))}  cosine to fp32 {cosine:.4f}  "
            f"({len(passages) / seconds:.1f} passages/s)"
        )
        sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=192)
    parser.add_argument("--only", default="", help="comma-separated row names to run (default: all)")
    parser.add_argument("--dev", default="", help="rows to score on the KCNA dev set instead (dense-only)")
    args = parser.parse_args()
    if args.dev:
        dev_quality(args.dev.split(","))
        return
    passages, questions = sample(args.passages)
    print(f"{len(passages)} KCNA passages (batches of {BATCH}), {len(questions)} questions one at a time")
    print(f"{'backend':<28} {'threads':>7} {'passages/s':>11} {'query p50':>10} {'cosine':>7} {'overlap@5':>9}")
    reference = None
    runs = [("torch fp32 (current)", 2), *((name, 1) for name in BACKENDS), ("onnxruntime fp32", 2)]
    for name, threads in runs:
        if args.only and name not in args.only.split(","):
            continue
        try:
            backend = BACKENDS[name](threads)
        except ImportError as err:
            print(f"{name:<28} {threads:>7}   not installed ({err.name or err})")
            continue
        result = measure(backend, passages, questions)
        if reference is None:
            reference = result
        cosine, overlap = quality(result, reference)
        if hasattr(backend, "precision"):
            name = name.replace("default hint", backend.precision)
        print(
            f"{name:<28} {threads:>7} {result['passages_per_s']:>11.1f} {result['query_ms']:>8.1f}ms "
            f"{cosine:>7.4f} {overlap:>9.3f}"
        )
        sys.stdout.flush()
        del backend


if __name__ == "__main__":
    main()
