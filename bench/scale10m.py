"""Ten million passages on one machine (issue 13, part 3): which FAISS index, and BM25, at 10M.

Everything is made as bench/synthetic.py makes its 1M index (each passage mixes two real KCNA
passages: text recombined, embedding mixed plus noise), but written a block at a time so that no
step holds all the vectors in memory:

  vectors    WORK/vectors.npy: SIZE x 384 float16 (written in 100k slices), WORK/pairs.npy
  queries    200 probe queries made as rag.index._tune makes them, the 200 bench questions encoded;
             and the floor: encoding one question (1 torch thread), p50
  truth      exact top 100 of every query (rag.index._exact_neighbours: faiss.knn a block at a time)
  coarse     the coarse quantizers, trained once on a sample and every vector assigned once; the
             IVF candidates that share one are built from that assignment (add_preassigned)
  candidates each index built (encode + add, timed), written, then searched in a fresh process:
             resident memory, p50 with 1 thread at k=10 and at the k the searcher asks for (100),
             recall@10 against exact search, over a ladder of nprobe
  hnsw       HNSW-SQ8 add rate on a slice, extrapolated to SIZE (its build alone exceeds the budget)
  product    rag.index.make_vector_index(kind "auto", IVF-SQ8 above its SQ8_THRESHOLD) end to end on the
             ready vectors: the build the product does (train, add, tune nprobe)
  bm25       a BM25 index of the SIZE synthetic texts in bm25s's own format (built here from the
             token counts of the real passages' halves, a block at a time: LexicalIndex.build holds
             every token list in memory and does not fit at 10M); LexicalIndex.search/top p50 over
             the 200 questions
  store      a complete build folder (passages.sqlite, bm25/, vectors.faiss, manifest) and a warm
             rag.retrieve.Searcher on it: search p50 (no highlight) against the floor, recall@10 of
             its vector index against exact search, resident memory; the same with today's
             index (hard links, no copy)

Each step keeps its result in WORK (default /tmp/rag-10m) and is skipped when it is there.

Run: .venv/bin/python bench/scale10m.py [--size 10000000] [--steps all] [--questions 200]"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

WORK = Path(os.environ.get("RAG_10M_WORK", "/tmp/rag-10m"))
DIM = 384
BLOCK = 100_000
STEPS = ("vectors", "queries", "truth", "quantizers", "coarse", "candidates", "hnsw", "product", "bm25", "store")
# name: (coarse quantizer, codes). IVF-PQ (64 and 32 bytes, re-ranked from the float16 vectors on disk)
# was measured in an earlier run of this script and lost to SQ8 (bench/RESULTS.md): not in the product.
CANDIDATES = {
    "IVF4096,SQfp16": ("flat4096", "SQfp16"),  # today's index, today's list rule
    "IVF4096,SQ8": ("flat4096", "SQ8"),
}
NPROBES = {"flat4096": (8, 16, 32, 64, 128)}
FETCH = 100  # Settings.candidates: what the searcher asks the store for


def log(*args) -> None:
    print(time.strftime("%H:%M:%S"), *args, file=sys.stderr, flush=True)


def save_json(name: str, data) -> None:
    (WORK / name).write_text(json.dumps(data, indent=1))


def load_json(name: str):
    path = WORK / name
    return json.loads(path.read_text()) if path.exists() else None


def memory() -> dict:
    """This process's resident memory in MiB: all, anonymous, file-backed, peak."""
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    kib = {k: int(status[k].split()[0]) / 1024 for k in ("VmRSS", "RssAnon", "RssFile", "VmHWM")}
    return {"rss": kib["VmRSS"], "anon": kib["RssAnon"], "file": kib["RssFile"], "peak": kib["VmHWM"]}


def base():
    """The real KCNA passages and their embeddings (cached in WORK)."""
    import pickle

    if not (WORK / "base.npy").exists():
        from synthetic import base_passages

        passages, vectors = base_passages()
        np.save(WORK / "base.npy", vectors)
        (WORK / "base_passages.pkl").write_bytes(pickle.dumps(passages))
    return pickle.loads((WORK / "base_passages.pkl").read_bytes()), np.load(WORK / "base.npy")


def vectors_file(mode: str = "r") -> np.ndarray:
    return np.load(WORK / "vectors.npy", mmap_mode=mode)


def step_vectors(size: int) -> None:
    from synthetic import synthetic_vector_blocks

    if load_json("vectors.json") == {"size": size}:
        return
    _, vectors = base()
    started = time.perf_counter()
    out = np.lib.format.open_memmap(WORK / "vectors.npy", mode="w+", dtype=np.float16, shape=(size, DIM))
    first, second, blocks = synthetic_vector_blocks(vectors, size)
    for start, block in blocks:
        out[start : start + len(block)] = block
    out.flush()
    del out
    np.save(WORK / "pairs.npy", np.stack([first, second]).astype(np.int32))
    log(f"vectors: {size} in {time.perf_counter() - started:.0f} s")
    save_json("vectors.json", {"size": size})


def step_queries(n: int) -> None:
    """Probe queries as rag.index._tune draws them, the bench questions encoded, and the floor."""
    if (WORK / "queries.npz").exists():
        return
    import torch
    from latency import questions

    from rag.embed import get_embedder

    torch.set_num_threads(1)
    vectors = vectors_file()
    rng = np.random.default_rng(0)
    sample = np.asarray(vectors[np.sort(rng.choice(len(vectors), size=n, replace=False))], np.float32)
    noise = rng.standard_normal(sample.shape).astype(np.float32)
    noise *= 1.33 / np.linalg.norm(noise, axis=1, keepdims=True)
    probe = sample + noise
    probe /= np.linalg.norm(probe, axis=1, keepdims=True)
    embedder = get_embedder()
    asked = questions(n)
    embedder.encode_query("warm up")
    times, real = [], []
    for q in asked:
        started = time.perf_counter()
        real.append(embedder.encode_query(q))
        times.append(time.perf_counter() - started)
    np.savez(WORK / "queries.npz", probe=probe, real=np.asarray(real, np.float32))
    save_json("floor.json", {"floor_p50_ms": 1000 * statistics.median(times), "questions": len(asked)})
    log(f"queries: floor p50 {1000 * statistics.median(times):.1f} ms")


def queries() -> dict[str, np.ndarray]:
    with np.load(WORK / "queries.npz") as found:
        return {"probe": found["probe"], "real": found["real"]}


def step_truth() -> None:
    from rag.index import _exact_neighbours

    if (WORK / "truth.npz").exists():
        return
    q = queries()
    started = time.perf_counter()
    both = _exact_neighbours(vectors_file(), np.concatenate([q["probe"], q["real"]]), FETCH)
    seconds = time.perf_counter() - started
    np.savez(WORK / "truth.npz", probe=both[: len(q["probe"])], real=both[len(q["probe"]) :])
    save_json("truth.json", {"seconds": seconds, "queries": len(both)})
    log(f"truth: exact top {FETCH} of {len(both)} queries in {seconds:.0f} s")


def truth() -> dict[str, np.ndarray]:
    with np.load(WORK / "truth.npz") as found:
        return {"probe": found["probe"], "real": found["real"]}


def blocks(vectors: np.ndarray, block: int = BLOCK):
    for start in range(0, len(vectors), block):
        yield start, np.ascontiguousarray(vectors[start : start + block], dtype=np.float32)


def sample_rows(size: int, count: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.sort(rng.choice(size, size=min(size, count), replace=False))


def step_coarse() -> None:
    """Train each coarse quantizer once on a sample and assign every vector to its list."""
    import faiss

    vectors = vectors_file()
    for name, (nlist, per_list, hnsw) in {"flat4096": (4096, 40, False)}.items():
        if (WORK / f"coarse-{name}.json").exists():
            continue
        started = time.perf_counter()
        train = np.ascontiguousarray(vectors[sample_rows(len(vectors), per_list * nlist)], dtype=np.float32)
        clustering = faiss.Clustering(DIM, nlist)
        clustering.max_points_per_centroid = per_list
        if hnsw:
            quantizer = faiss.IndexHNSWFlat(DIM, 32, faiss.METRIC_INNER_PRODUCT)
            quantizer.hnsw.efConstruction = 40
            quantizer.hnsw.efSearch = 64
        else:
            quantizer = faiss.IndexFlatIP(DIM)
        clustering.train(train, quantizer)  # the quantizer is left holding the centroids
        trained = time.perf_counter() - started
        started = time.perf_counter()
        assign = np.empty(len(vectors), dtype=np.int64)
        for start, block in blocks(vectors):
            assign[start : start + len(block)] = quantizer.search(block, 1)[1][:, 0]
        assigned = time.perf_counter() - started
        faiss.write_index(quantizer, str(WORK / f"coarse-{name}.faiss"))
        np.save(WORK / f"assign-{name}.npy", assign)
        sizes = np.bincount(assign, minlength=nlist)
        info = {"nlist": nlist, "train_points": len(train), "train_s": trained, "assign_s": assigned}
        info |= {"list_max": int(sizes.max()), "list_median": float(np.median(sizes))}
        save_json(f"coarse-{name}.json", info)
        log(f"coarse {name}: {info}")
        del train, quantizer, assign


def step_quantizers(count: int = 20_000) -> None:
    """What assigning vectors to their lists costs (1 thread, `count` vectors): brute force over 4096
    and 16384 centroids, and an HNSW graph (M 32) over 16384 at efSearch 16, 32, 64, with the share of
    vectors it sends to their true nearest centroid."""
    import faiss

    if (WORK / "quantizers.json").exists():
        return
    faiss.omp_set_num_threads(1)
    vectors = vectors_file()
    x = np.ascontiguousarray(vectors[5_000_000 : 5_000_000 + count], dtype=np.float32)
    out = {"vectors": count}
    for nlist in (4096, 16384):
        centroids = np.ascontiguousarray(vectors[sample_rows(len(vectors), nlist)], dtype=np.float32)
        flat = faiss.IndexFlatIP(DIM)
        flat.add(centroids)
        started = time.perf_counter()
        nearest = flat.search(x, 1)[1][:, 0]
        out[f"flat{nlist}_s"] = time.perf_counter() - started
    graph = faiss.IndexHNSWFlat(DIM, 32, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction = 40
    started = time.perf_counter()
    graph.add(centroids)
    out["hnsw16384_build_s"] = time.perf_counter() - started
    for ef in (16, 32, 64):
        graph.hnsw.efSearch = ef
        started = time.perf_counter()
        found = graph.search(x, 1)[1][:, 0]
        out[f"hnsw16384_ef{ef}_s"] = time.perf_counter() - started
        out[f"hnsw16384_ef{ef}_exact_share"] = float((found == nearest).mean())
    save_json("quantizers.json", out)
    log(f"quantizers: {out}")


def make_candidate(name: str, quantizer):
    import faiss

    _, codes = CANDIDATES[name]
    kind = {"SQfp16": faiss.ScalarQuantizer.QT_fp16, "SQ8": faiss.ScalarQuantizer.QT_8bit}[codes]
    return faiss.IndexIVFScalarQuantizer(quantizer, DIM, quantizer.ntotal, kind, faiss.METRIC_INNER_PRODUCT)


def step_candidates(names: list[str]) -> None:
    import faiss
    from faiss.contrib.ivf_tools import add_preassigned

    vectors = vectors_file()
    for name in names:
        slug = slugify(name)
        if not (WORK / f"cand-{slug}.json").exists():
            coarse = CANDIDATES[name][0]
            quantizer = faiss.read_index(str(WORK / f"coarse-{coarse}.faiss"))
            index = make_candidate(name, quantizer)
            started = time.perf_counter()
            index.train(np.ascontiguousarray(vectors[sample_rows(len(vectors), 65_536)], dtype=np.float32))
            trained = time.perf_counter() - started
            assign = np.load(WORK / f"assign-{coarse}.npy", mmap_mode="r")
            started = time.perf_counter()
            for start, block in blocks(vectors):
                add_preassigned(index, block, np.ascontiguousarray(assign[start : start + len(block)]))
            added = time.perf_counter() - started
            path = WORK / f"cand-{slug}.faiss"
            faiss.write_index(index, str(path))
            info = {"train_codes_s": trained, "add_s": added, "bytes": path.stat().st_size}
            del index, quantizer
            log(f"built {name}: {info}")
            save_json(f"cand-{slug}.json", info)
        if not (WORK / f"search-{slug}.json").exists():
            save_json(f"search-{slug}.json", in_fresh_process("--search", name))
            log(f"searched {name}")
        if name != "IVF4096,SQfp16":  # measured, not needed again (today's index is searched again in `store`)
            (WORK / f"cand-{slug}.faiss").unlink(missing_ok=True)


def in_fresh_process(*args: str) -> dict:
    """What this script prints last (one JSON line) when run again with `args`, in its own process:
    the memory and timings of one search setup without what earlier steps left in this one."""
    out = subprocess.run(
        [sys.executable, __file__, *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def slugify(name: str) -> str:
    return name.replace(",", "-").replace("+", "-")


def search_candidate(name: str) -> dict:
    """In a fresh process: open the index, search each query alone with one thread, over the ladder."""
    import faiss

    from rag.index import recall_at

    faiss.omp_set_num_threads(1)
    coarse, _ = CANDIDATES[name]
    before = memory()
    started = time.perf_counter()
    index = faiss.read_index(str(WORK / f"cand-{slugify(name)}.faiss"))
    opened = time.perf_counter() - started
    ivf = faiss.extract_index_ivf(index)
    q, t = queries(), truth()
    results = []
    for nprobe in NPROBES[coarse]:
        ivf.nprobe = nprobe
        if isinstance(ivf.quantizer, faiss.IndexHNSWFlat):
            ivf.quantizer.hnsw.efSearch = max(64, nprobe)
        row = {"nprobe": nprobe}
        for k in (10, FETCH):
            times, found = [], []
            for part in ("probe", "real"):
                for vector in q[part]:
                    started = time.perf_counter()
                    _, ids = index.search(vector[None, :], k)
                    times.append(time.perf_counter() - started)
                    found.append(ids[0])
            found = np.asarray(found)
            row[f"p50_k{k}_ms"] = 1000 * statistics.median(times)
            half = len(q["probe"])
            row[f"recall10_probe_k{k}"] = recall_at(found[:half, :10], t["probe"][:, :10])
            row[f"recall10_real_k{k}"] = recall_at(found[half:, :10], t["real"][:, :10])
        results.append(row)
        log(name, row)
    return {"open_s": opened, "memory_before": before, "memory": memory(), "ladder": results}


def step_hnsw(size: int, count: int = 200_000) -> None:
    """HNSW-SQ8 (M 32, efConstruction 64, as rag.index makes HNSW): its add rate on a slice."""
    import faiss

    if (WORK / "hnsw.json").exists():
        return
    vectors = vectors_file()
    index = faiss.IndexHNSWSQ(DIM, faiss.ScalarQuantizer.QT_8bit, 32, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 64
    index.train(np.ascontiguousarray(vectors[:65_536], dtype=np.float32))
    started = time.perf_counter()
    for _, block in blocks(vectors[:count], 50_000):
        index.add(block)
    seconds = time.perf_counter() - started
    # Insertion cost grows with log(n): the extrapolation from `count` to `size` is a lower bound.
    projected = seconds * size / count * np.log(size) / np.log(count)
    info = {"vectors": count, "add_s": seconds, "projected_s": projected, "threads": faiss.omp_get_max_threads()}
    save_json("hnsw.json", info)
    log(f"hnsw: {info}")


def step_product() -> None:
    """The product's own build from the ready vectors: make_vector_index with kind auto."""
    import faiss

    from rag.index import make_vector_index

    if (WORK / "product.json").exists():
        return
    vectors = vectors_file()
    folder = WORK / "store-new"
    folder.mkdir(exist_ok=True)
    # Wall time on a shared machine depends on the other load; the CPU time of this process (both
    # threads) does not: on two idle cores the build takes about cpu_s / 2 (or more, where one thread works).
    started, cpu = time.perf_counter(), time.process_time()
    index, params = make_vector_index(vectors, DIM, "auto")
    built, built_cpu = time.perf_counter() - started, time.process_time() - cpu
    started = time.perf_counter()
    faiss.write_index(index, str(folder / "vectors.faiss"))
    written = time.perf_counter() - started
    info = {"index": type(index).__name__, "params": params, "build_s": built, "build_cpu_s": built_cpu}
    info |= {"write_s": written, "load_average": os.getloadavg()}
    info["memory"] = memory()
    save_json("product.json", info)
    log(f"product: {info}")


# ---------------------------------------------------------------- BM25


def bm25_parts():
    """Token counts of each real passage's two halves (title with the first half), as the token
    ids of one vocabulary: a synthetic passage's tokens are those of heads[a] and tails[b]."""
    from synthetic import synthetic_text_parts

    from rag.lexical import tokenize

    passages, _ = base()
    heads, tails = synthetic_text_parts(passages)
    titled = ["\n".join([p.title, h]) if p.title and p.title not in h else h for p, h in zip(passages, heads)]
    head_tokens, tail_tokens = tokenize(titled), tokenize(tails)
    vocabulary = sorted({t for words in head_tokens + tail_tokens for t in words})
    ids = {t: i for i, t in enumerate(vocabulary)}

    def sparse(token_lists):
        counts = [np.unique([ids[t] for t in words], return_counts=True) for words in token_lists]
        lengths = np.asarray([len(words) for words in token_lists], dtype=np.int64)
        sizes = np.asarray([len(c[0]) for c in counts], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(sizes)])
        terms = np.concatenate([c[0] for c in counts]).astype(np.int64)
        tf = np.concatenate([c[1] for c in counts]).astype(np.int64)
        return starts, terms, tf, lengths

    return vocabulary, sparse(head_tokens), sparse(tail_tokens)


def doc_block(parts, first: np.ndarray, second: np.ndarray, offset: int):
    """(doc ids, term ids, tf, doc lengths) of the synthetic passages made of (first[i], second[i])."""
    entries = []
    lengths = 0
    for (starts, terms, tf, length), which in zip(parts, (first, second)):
        count = starts[which + 1] - starts[which]
        docs = np.repeat(np.arange(len(which), dtype=np.int64), count)
        # positions of each passage's entries in the concatenated arrays
        at = np.repeat(starts[which] - np.concatenate([[0], np.cumsum(count)[:-1]]), count) + np.arange(count.sum())
        entries.append((docs, terms[at], tf[at]))
        lengths = lengths + length[which]
    docs = np.concatenate([e[0] for e in entries])
    terms = np.concatenate([e[1] for e in entries])
    tf = np.concatenate([e[2] for e in entries])
    key = terms * (len(first) + 1) + docs  # sorted by term, then document
    order = np.argsort(key, kind="stable")
    key, tf = key[order], tf[order]
    unique, start = np.unique(key, return_index=True)
    tf = np.add.reduceat(tf, start)
    return unique % (len(first) + 1) + offset, unique // (len(first) + 1), tf, lengths


def write_bm25(folder: Path, size: int, block: int = 250_000) -> dict:
    """A BM25 index of the `size` synthetic passages in bm25s's format (Lucene BM25, k1 1.5, b 0.75),
    equal to bm25s.BM25().index(tokenize(texts)) up to the order of the vocabulary."""
    import bm25s

    folder.mkdir(parents=True, exist_ok=True)
    vocabulary, head, tail = bm25_parts()
    pairs = np.load(WORK / "pairs.npy")[:, :size].astype(np.int64)
    started = time.perf_counter()
    df = np.zeros(len(vocabulary), dtype=np.int64)
    total_length = 0
    for start in range(0, size, block):
        docs, terms, tf, lengths = doc_block(
            (head, tail), pairs[0, start : start + block], pairs[1, start : start + block], start
        )
        df += np.bincount(terms, minlength=len(vocabulary))
        total_length += int(lengths.sum())
    avg = total_length / size
    k1, b = 1.5, 0.75
    idf = np.log(1 + (size - df + 0.5) / (df + 0.5))
    indptr = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)
    postings = int(indptr[-1])
    data = np.lib.format.open_memmap(folder / "data.csc.index.npy", mode="w+", dtype=np.float32, shape=(postings,))
    indices = np.lib.format.open_memmap(folder / "indices.csc.index.npy", mode="w+", dtype=np.int32, shape=(postings,))
    cursor = indptr[:-1].copy()
    for start in range(0, size, block):
        docs, terms, tf, lengths = doc_block(
            (head, tail), pairs[0, start : start + block], pairs[1, start : start + block], start
        )
        doc_length = lengths[docs - start]
        scores = idf[terms] * tf / (tf + k1 * (1 - b + b * doc_length / avg))
        # entries are sorted by term then document: each term's run goes to its cursor
        run_start = np.flatnonzero(np.concatenate([[True], terms[1:] != terms[:-1]]))
        run_terms = terms[run_start]
        run_length = np.diff(np.concatenate([run_start, [len(terms)]]))
        at = np.repeat(cursor[run_terms] - run_start, run_length) + np.arange(len(terms))
        data[at] = scores.astype(np.float32)
        indices[at] = docs.astype(np.int32)
        cursor[run_terms] += run_length
    data.flush()
    indices.flush()
    del data, indices
    np.save(folder / "indptr.csc.index.npy", indptr)
    vocab = {t: i for i, t in enumerate(vocabulary)}
    vocab[""] = len(vocabulary)
    (folder / "vocab.index.json").write_text(json.dumps(vocab, ensure_ascii=False))
    params = {"k1": k1, "b": b, "delta": 0.5, "method": "lucene", "idf_method": "lucene", "dtype": "float32"}
    params |= {"int_dtype": "int32", "num_docs": size, "version": bm25s.__version__, "backend": "numpy"}
    (folder / "params.index.json").write_text(json.dumps(params, indent=4))
    return {"postings": postings, "vocabulary": len(vocabulary), "seconds": time.perf_counter() - started}


def step_bm25(size: int, n: int, search: bool = True) -> None:
    folder = WORK / "bm25"
    if not (WORK / "bm25-build.json").exists():
        info = write_bm25(folder, size)
        info["bytes"] = {p.name: p.stat().st_size for p in folder.iterdir()}
        save_json("bm25-build.json", info)
        log(f"bm25 written: {info}")
    if search and not (WORK / "bm25-search.json").exists():
        save_json("bm25-search.json", in_fresh_process("--bm25-search", str(size), "--questions", str(n)))


def bm25_search(size: int, n: int) -> dict:
    """p50 of LexicalIndex.search (what the searcher calls: top 100, the dense candidates' scores, the
    best score) and of LexicalIndex.top. (A MaxScore top n, skipping the long lists of common words
    by each word's highest score, was measured here and dropped: p50 142 ms against 155, p95 2.0 s
    against 0.7 s, bench/RESULTS.md.)"""
    from latency import questions

    from rag.lexical import LexicalIndex

    asked = questions(n)
    lexical = LexicalIndex.load(WORK / "bm25", size)
    rng = np.random.default_rng(1)
    out = {"memory_opened": memory()}
    for mode in ("cold", "warm"):  # the second pass with the pages the first read
        times = {"search": [], "top": []}
        for q in asked:
            also = rng.choice(size, 100, replace=False)
            started = time.perf_counter()
            lexical.search(q, FETCH, also=also)
            times["search"].append(time.perf_counter() - started)
            started = time.perf_counter()
            lexical.top(q, FETCH)
            times["top"].append(time.perf_counter() - started)
        for what, values in times.items():
            out[f"{mode}_{what}_p50_ms"] = 1000 * statistics.median(values)
            out[f"{mode}_{what}_p95_ms"] = 1000 * sorted(values)[int(0.95 * len(values))]
        log(mode, {k: round(v, 1) for k, v in out.items() if k.startswith(mode)})
    out["questions"] = len(asked)
    out["memory"] = memory()
    return out


# ---------------------------------------------------------------- a whole build, searched


def write_passages(path: Path, size: int) -> float:
    """passages.sqlite of the `size` synthetic passages (text, source, title, date as
    bench/synthetic.py writes them); the chunks and places tables are left empty (no filters)."""
    import sqlite3
    from contextlib import closing

    from synthetic import synthetic_text_parts

    from rag.index import _COLUMNS, _SCHEMA

    passages, _ = base()
    heads, tails = synthetic_text_parts(passages)
    pairs = np.load(WORK / "pairs.npy")[:, :size]
    started = time.perf_counter()
    path.unlink(missing_ok=True)
    marks = ", ".join("?" * len(_COLUMNS))

    def rows():
        # by column name, so that a field added to Passage is stored empty rather than misplaced
        for i, (a, b) in enumerate(zip(pairs[0].tolist(), pairs[1].tolist())):
            values = {
                "text": heads[a] + " " + tails[b],
                "source": f"synth/part-{i // 1000:04d}.json#synth-{i}",
                "title": passages[a].title,
                "date": passages[a].date,
                "hash": str(i),
                "also_in": "[]",
            }
            yield (i, *(values.get(column) for column in _COLUMNS))

    with closing(sqlite3.connect(path)) as db, db:
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute(f"CREATE TABLE passages (id INTEGER PRIMARY KEY, {_SCHEMA})")
        db.execute(f"CREATE TABLE chunks (file TEXT, position INTEGER, {_SCHEMA})")
        db.execute("CREATE TABLE places (passage INTEGER, file TEXT)")
        db.executemany(f"INSERT INTO passages VALUES (?, {marks})", rows())
    return time.perf_counter() - started


def assemble(folder: Path, size: int, faiss_file: Path, info: dict) -> Path:
    """An index folder (INDEX/current -> builds/STAMP) whose files are hard links to those made above."""
    import shutil
    from dataclasses import asdict

    from rag.index import Manifest
    from rag.settings import DEFAULT_MODEL

    shutil.rmtree(folder, ignore_errors=True)
    build = folder / "builds" / "20260101T000000000000Z"
    (build / "bm25").mkdir(parents=True)
    os.link(WORK / "passages.sqlite", build / "passages.sqlite")
    os.link(faiss_file, build / "vectors.faiss")
    for part in (WORK / "bm25").iterdir():
        os.link(part, build / "bm25" / part.name)
    manifest = Manifest(model=DEFAULT_MODEL, dimension=DIM, passages=size, corpus_root=str(WORK / "synth"))
    manifest.faiss_index, manifest.faiss_kind, manifest.faiss_params = info["index"], info["kind"], info["params"]
    files = [f for f in sorted(build.rglob("*")) if f.is_file()]
    manifest.artifacts = {str(f.relative_to(build)): f.stat().st_size for f in files}
    (build / "manifest.json").write_text(json.dumps(asdict(manifest), indent=1))
    (folder / "current").symlink_to(Path("builds") / build.name)
    return folder


def step_store(size: int, n: int) -> None:
    """Today's index and BM25, and the chosen ones, each searched by a warm Searcher in its own process."""
    if not (WORK / "passages.json").exists():
        seconds = write_passages(WORK / "passages.sqlite", size)
        save_json("passages.json", {"seconds": seconds, "bytes": (WORK / "passages.sqlite").stat().st_size})
        log(f"passages.sqlite written in {seconds:.0f} s")
    product = load_json("product.json")
    setups = {
        "today": (WORK / "cand-IVF4096-SQfp16.faiss", {"index": "IndexIVFScalarQuantizer", "kind": "ivf"}),
        "chosen": (WORK / "store-new" / "vectors.faiss", {"index": product["index"], "kind": "auto"}),
    }
    for name, (faiss_file, info) in setups.items():
        if (WORK / f"searcher-{name}.json").exists() or not faiss_file.exists():
            continue
        if name == "today":
            best = next(r for r in load_json("search-IVF4096-SQfp16.json")["ladder"] if r["recall10_probe_k10"] >= 0.97)
            info["params"] = {"nlist": 4096, "nprobe": best["nprobe"]}
        else:
            info["params"] = product["params"]
        folder = assemble(WORK / f"index-{name}", size, faiss_file, info)
        save_json(f"searcher-{name}.json", in_fresh_process("--searcher", str(folder), "--questions", str(n)))
        log(f"searcher {name}: {load_json(f'searcher-{name}.json')}")
        if name == "today":
            faiss_file.unlink()  # 7.7 GB


def searcher_latency(folder: Path, n: int) -> dict:
    """As bench/latency.py measures it (no highlight: the build has no sentence vectors): a warm
    Searcher, 1 torch and 1 faiss thread, search(q, k=5) against encoding the question alone."""
    import faiss
    import torch
    from latency import questions

    from rag.index import recall_at
    from rag.retrieve import Searcher
    from rag.settings import Settings

    torch.set_num_threads(1)
    faiss.omp_set_num_threads(1)
    started = time.perf_counter()
    searcher = Searcher(Settings.from_env(environ={}, index_dir=folder, query_encoder="torch"))
    searcher.search("warm up", k=5, highlight=False)
    opened = time.perf_counter() - started
    index = searcher.index
    floor, full, dense, bm25 = [], [], [], []
    for q in questions(n):
        t0 = time.perf_counter()
        vector = searcher.embedder.encode_query(q)
        t1 = time.perf_counter()
        searcher.search(q, k=5, highlight=False)
        t2 = time.perf_counter()
        _, ids = index.search(vector[None, :], FETCH)
        t3 = time.perf_counter()
        index.lexical.search(q, FETCH, also=ids[0][ids[0] >= 0])
        t4 = time.perf_counter()
        floor.append(t1 - t0)
        full.append(t2 - t1)
        dense.append(t3 - t2)
        bm25.append(t4 - t3)
    out = {"index": index.manifest.faiss_index, "params": index.manifest.faiss_params, "open_s": opened}
    q, t = queries(), truth()
    for part in ("probe", "real"):
        found = np.concatenate([index.search(v[None, :], 10)[1] for v in q[part]])
        out[f"recall10_{part}"] = recall_at(found, t[part][:, :10])
    for name, values in (("search", full), ("floor", floor), ("dense", dense), ("bm25", bm25)):
        out[f"{name}_p50_ms"] = 1000 * statistics.median(values)
        out[f"{name}_p95_ms"] = 1000 * sorted(values)[int(0.95 * len(values))]
    out["memory"] = memory()
    return out


# ---------------------------------------------------------------- the table


def report() -> None:
    """The measurements kept in WORK, as the table of bench/RESULTS.md."""
    floor = load_json("floor.json") or {}
    print(f"floor (encode one question, 1 torch thread): p50 {floor.get('floor_p50_ms', float('nan')):.1f} ms")
    for name in ("truth", "hnsw", "product", "bm25-build", "passages"):
        if (found := load_json(f"{name}.json")) is not None:
            print(f"{name}: {json.dumps(found)}")
    coarse = {name: load_json(f"coarse-{name}.json") for name in NPROBES}
    print(
        "| index | train + add (min) | on disk (GiB) | searcher RSS (GiB) | nprobe | p50 k=10 (ms) |"
        " p50 k=100 (ms) | recall@10 probes | recall@10 questions |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, (quantizer, _) in CANDIDATES.items():
        built, searched = load_json(f"cand-{slugify(name)}.json"), load_json(f"search-{slugify(name)}.json")
        if not built or not searched:
            continue
        c = coarse[quantizer] or {}
        minutes = (c.get("train_s", 0) + c.get("assign_s", 0) + built["train_codes_s"] + built["add_s"]) / 60
        disk = built["bytes"] / 2**30
        rss = searched["memory"]["rss"] / 1024
        for row in searched["ladder"]:
            print(
                f"| {name} | {minutes:.1f} | {disk:.2f} | {rss:.2f} | {row['nprobe']} | {row['p50_k10_ms']:.2f} |"
                f" {row['p50_k100_ms']:.2f} | {row['recall10_probe_k10']:.3f} | {row['recall10_real_k10']:.3f} |"
            )
    if (found := load_json("bm25-search.json")) is not None:
        print(f"bm25: {json.dumps(found)}")
    for name in ("today", "chosen"):
        if (found := load_json(f"searcher-{name}.json")) is not None:
            print(f"searcher {name}: {json.dumps(found)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000_000)
    parser.add_argument("--steps", default="all", help=f"comma-separated, from {', '.join(STEPS)}")
    parser.add_argument("--candidates", default=";".join(CANDIDATES), help="separated by ;")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--search", help=argparse.SUPPRESS)
    parser.add_argument("--bm25-search", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--searcher", help=argparse.SUPPRESS)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    if args.search:
        print(json.dumps(search_candidate(args.search)))
        return
    if args.searcher:
        print(json.dumps(searcher_latency(Path(args.searcher), args.questions)))
        return
    if args.bm25_search:
        print(json.dumps(bm25_search(args.bm25_search, args.questions)))
        return
    steps = STEPS if args.steps == "all" else args.steps.split(",")
    for step in steps:
        log(f"step {step}")
        if step == "vectors":
            step_vectors(args.size)
        elif step == "queries":
            step_queries(args.questions)
        elif step == "truth":
            step_truth()
        elif step == "quantizers":
            step_quantizers()
        elif step == "coarse":
            step_coarse()
        elif step == "candidates":
            step_candidates(args.candidates.split(";"))
        elif step == "hnsw":
            step_hnsw(args.size)
        elif step == "product":
            step_product()
        elif step == "bm25":
            step_bm25(args.size, args.questions)
        elif step == "bm25-build":  # the index alone (it may run beside another step: its time is no target)
            step_bm25(args.size, args.questions, search=False)
        elif step == "store":
            step_store(args.size, args.questions)
    report()


if __name__ == "__main__":
    main()
