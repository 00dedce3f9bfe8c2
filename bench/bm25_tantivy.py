"""BM25 at 10M passages: the product's bm25s arrays against tantivy (a Lucene-like engine in Rust,
whose top-k search skips blocks of postings that cannot reach the k-th score: block-max WAND), on
the synthetic corpus of bench/scale10m.py, in the same run.

Both see the same words: each synthetic passage is the product's tokens (rag.lexical.tokenize: stop
words out, Snowball stems, abbreviations spelled out) of its two real halves, which tantivy indexes
split on whitespace. Scored: p50 / p95 of one question's top 100 (the searcher's FETCH), and of the
product's whole lexical call (top 100, the scores of 100 other passages, the corpus's best score);
the overlap of each engine's top 10 with bm25s's exhaustive top 10 (tantivy scores with k1 1.2, bm25s
with 1.5: the lists are close, not equal).

tantivy is not a dependency of the product: run this in a side environment that sees .venv's packages:

    python3 -m venv /tmp/tv && /tmp/tv/bin/pip install tantivy
    echo $PWD/.venv/lib/python3.11/site-packages > /tmp/tv/lib/python3.11/site-packages/main.pth
    BENCH_WORK=/tmp/rb-s5 PYTHONPATH=$PWD /tmp/tv/bin/python bench/bm25_tantivy.py --size 10000000

Steps kept in RAG_10M_WORK (default /tmp/rag-10m) and skipped when there: pairs.npy, bm25/ (bm25s),
tantivy/."""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from latency import questions
from scale10m import FETCH, WORK, base, bm25_parts, log, memory, write_bm25


def ensure_pairs(size: int) -> np.ndarray:
    """The (first, second) real passages of each synthetic one, as synthetic_vector_blocks draws them."""
    path = WORK / "pairs.npy"
    if not path.exists():
        passages, _ = base()
        rng = np.random.default_rng(0)
        first, second = rng.integers(0, len(passages), size), rng.integers(0, len(passages), size)
        np.save(path, np.stack([first, second]).astype(np.int32))
    pairs = np.load(path)
    if pairs.shape[1] < size:
        raise SystemExit(f"{path} holds {pairs.shape[1]} passages, fewer than {size}: remove it")
    return pairs[:, :size]


def build_tantivy(folder: Path, size: int, pairs: np.ndarray) -> dict:
    import tantivy

    vocabulary, head, tail = bm25_parts()
    words = np.asarray(vocabulary, dtype=object)

    def texts(parts):  # each real half as its words, repeated as often as they occur
        starts, terms, tf, _ = parts
        return [" ".join(np.repeat(words[terms[a:b]], tf[a:b])) for a, b in itertools.pairwise(starts)]

    heads, tails = texts(head), texts(tail)
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("body", stored=False, tokenizer_name="whitespace", index_option="freq")
    builder.add_integer_field("pid", stored=True, indexed=True, fast=True)
    schema = builder.build()
    folder.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(schema, path=str(folder))
    started = time.perf_counter()
    writer = index.writer(heap_size=1_000_000_000, num_threads=2)
    for i, (a, b) in enumerate(zip(pairs[0].tolist(), pairs[1].tolist())):
        writer.add_document(tantivy.Document(body=heads[a] + " " + tails[b], pid=i))
        if i and i % 1_000_000 == 0:
            log(f"tantivy: {i} passages, {time.perf_counter() - started:.0f} s")
    writer.commit()
    writer.wait_merging_threads()
    seconds = time.perf_counter() - started
    size_bytes = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    return {"seconds": seconds, "bytes": size_bytes}


def search_both(size: int, n: int) -> dict:
    import tantivy

    from rag.lexical import LexicalIndex, tokenize

    asked = questions(n)
    lexical = LexicalIndex.load(WORK / "bm25", size)
    index = tantivy.Index.open(str(WORK / "tantivy"))
    index.reload()
    searcher, schema = index.searcher(), index.schema
    rng = np.random.default_rng(1)
    out: dict = {"questions": len(asked), "memory_opened": memory()}

    def text_query(tokens):
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "body", t)) for t in dict.fromkeys(tokens)]
        )

    def tantivy_call(tokens, also):
        """What the product's lexical seam returns: top 100, the scores of `also`, the best score."""
        query = text_query(tokens)
        top = {searcher.doc(a)["pid"][0]: s for s, a in searcher.search(query, FETCH).hits}
        only = tantivy.Query.const_score_query(tantivy.Query.term_set_query(schema, "pid", also.tolist()), 0.0)
        both = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.Must, only)])
        scores = {searcher.doc(a)["pid"][0]: s for s, a in searcher.search(both, len(also)).hits}
        return top, scores, max(top.values(), default=0.0)

    times: dict[str, list[float]] = {"bm25s top": [], "bm25s search": [], "tantivy top": [], "tantivy search": []}
    overlap = []
    for mode in ("cold", "warm"):
        for key in times:
            times[key] = []
        overlap = []
        for q in asked:
            tokens = tokenize([q])[0]
            also = rng.choice(size, 100, replace=False)
            started = time.perf_counter()
            exact = lexical.top(q, FETCH)
            times["bm25s top"].append(time.perf_counter() - started)
            started = time.perf_counter()
            lexical.search(q, FETCH, also=also)
            times["bm25s search"].append(time.perf_counter() - started)
            started = time.perf_counter()
            hits = searcher.search(text_query(tokens), FETCH).hits if tokens else []
            mine = [searcher.doc(a)["pid"][0] for _, a in hits]
            times["tantivy top"].append(time.perf_counter() - started)
            started = time.perf_counter()
            if tokens:
                tantivy_call(tokens, also)
            times["tantivy search"].append(time.perf_counter() - started)
            truth = sorted(exact, key=lambda pid: -exact[pid])[:10]
            if truth:
                overlap.append(len(set(truth) & set(mine[:10])) / len(truth))
        for key, values in times.items():
            out[f"{mode} {key} p50 ms"] = round(1000 * statistics.median(values), 2)
            out[f"{mode} {key} p95 ms"] = round(1000 * sorted(values)[int(0.95 * len(values))], 2)
        log(mode, {k: v for k, v in out.items() if k.startswith(mode)})
    out["tantivy top-10 overlap with bm25s exhaustive"] = round(float(np.mean(overlap)), 3)
    out["memory"] = memory()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000_000)
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    pairs = ensure_pairs(args.size)
    if not (WORK / "bm25-build.json").exists():
        info = write_bm25(WORK / "bm25", args.size)
        (WORK / "bm25-build.json").write_text(json.dumps(info))
        log(f"bm25s written: {info}")
    if not (WORK / "tantivy-build.json").exists():
        info = build_tantivy(WORK / "tantivy", args.size, pairs)
        (WORK / "tantivy-build.json").write_text(json.dumps(info))
        log(f"tantivy written: {info}")
    result = search_both(args.size, args.questions)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
