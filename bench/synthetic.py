"""Synthetic data made from the KCNA records, for the scale benchmarks.

- `write_corpus`: JSON files of records whose texts recombine real KCNA sentences (for build timings,
  which need real embedding work).
- `write_synthetic_index`: an index of any size written through `rag.index.write_index`, so that the
  real search path is measured: each passage mixes two real KCNA passages, its text is theirs
  recombined and its vector is their embeddings mixed plus noise (embedding a million texts would
  take days on two cores; the mixtures keep the clustered shape of real sentence embeddings). Its
  sentence vectors (for the highlight) are its own vector plus noise, one per sentence of its text.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import KCNA, WORK, built_index

from rag.chunk import sentence_spans, split_sentences


def kcna_records() -> list[dict]:
    return json.loads(next(KCNA.glob("*.json")).read_text())


def kcna_sentences(records: list[dict]) -> list[str]:
    sentences = []
    for record in records:
        text = " ".join((record.get("story_text") or "").split())
        sentences += [text[a:b] for a, b in split_sentences(text) if 5 <= len(text[a:b].split()) <= 60]
    return sentences


def write_corpus(folder: Path, records: int, files: int, seed: int = 0) -> list[Path]:
    """`records` synthetic KCNA-like records in `files` JSON files under `folder` (kept if present)."""
    paths = [folder / f"part-{n:04d}.json" for n in range(files)]
    if all(p.exists() for p in paths):
        return paths
    folder.mkdir(parents=True, exist_ok=True)
    real = kcna_records()
    sentences = kcna_sentences(real)
    headlines = [r["headline"] for r in real if r.get("headline")]
    dates = [r["date_str"] for r in real if r.get("date_str")]
    rng = random.Random(seed)
    per_file = -(-records // files)
    for n, path in enumerate(paths):
        items = []
        for i in range(n * per_file, min(records, (n + 1) * per_file)):
            items.append(
                {
                    "_id": f"synth-{i}",
                    "headline": rng.choice(headlines),
                    "date_str": rng.choice(dates),
                    "link": f"http://example.invalid/synth/{i}",
                    "story_text": " ".join(rng.sample(sentences, rng.randint(2, 5))),
                }
            )
        path.write_text(json.dumps(items))
    return paths


def edit_records(path: Path, seed: int) -> None:
    """Change one file's texts (a sentence swapped in each record), as an updated export would."""
    rng = random.Random(seed)
    items = json.loads(path.read_text())
    sentences = [s for item in items for s in split_sentences_text(item["story_text"])]
    for item in items:
        item["story_text"] = item["story_text"] + " " + rng.choice(sentences)
    path.write_text(json.dumps(items))


def split_sentences_text(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


def base_passages() -> tuple[list, np.ndarray]:
    """The real KCNA passages and their embeddings (the KCNA bench index, built when missing)."""
    from rag.index import StoredIndex

    settings, _ = built_index("kcna", KCNA)
    stored = StoredIndex(settings.index_dir)
    passages = stored.passages(list(range(len(stored))))
    vectors = stored.vectors.reconstruct_n(0, len(stored))
    stored.close()
    return passages, vectors


def synthetic_vectors(base: np.ndarray, size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`size` unit vectors, each two real embeddings mixed (weights 0.5-0.8 and 0.2-0.5) plus noise
    of norm 0.35; and the indexes of the two."""
    vectors = np.empty((size, base.shape[1]), dtype=np.float32)
    first, second, blocks = synthetic_vector_blocks(base, size, seed)
    for start, block in blocks:
        vectors[start : start + len(block)] = block
    return vectors, first, second


def synthetic_vector_blocks(base: np.ndarray, size: int, seed: int = 0, block: int = 100_000):
    """The vectors of `synthetic_vectors` a slice at a time, for sizes that do not fit in memory:
    (first, second, an iterator of (start, float32 slice)); the same numbers for the same seed."""
    rng = np.random.default_rng(seed)
    first = rng.integers(0, len(base), size)
    second = rng.integers(0, len(base), size)
    weight = rng.uniform(0.2, 0.5, size).astype(np.float32)[:, None]

    def slices():
        for start in range(0, size, block):  # in slices, to keep the peak memory down
            s = slice(start, min(size, start + block))
            noise = rng.standard_normal((s.stop - s.start, base.shape[1])).astype(np.float32)
            noise *= 0.35 / np.linalg.norm(noise, axis=1, keepdims=True)
            mixed = (1 - weight[s]) * base[first[s]] + weight[s] * base[second[s]] + noise
            yield start, mixed / np.linalg.norm(mixed, axis=1, keepdims=True)

    return first, second, slices()


def synthetic_text_parts(passages) -> tuple[list[str], list[str]]:
    """The two halves a synthetic passage's text is made of: passage i's text is heads[first[i]] + " "
    + tails[second[i]] (the first half of one real passage's sentences, the first third of another's)."""
    pieces = [split_sentences_text(p.text) or [p.text] for p in passages]
    heads = [" ".join(one[: max(1, len(one) // 2 + 1)]) for one in pieces]
    tails = [" ".join(two[: max(1, len(two) // 3)]) for two in pieces]
    return heads, tails


def synthetic_index_dir(size: int) -> Path:
    return WORK / f"synth-{size}"


def write_synthetic_index(size: int, seed: int = 0, **index_options) -> Path:
    """An index of `size` synthetic passages under /tmp/rag-bench/synth-SIZE, written through
    rag.index.write_index with the default settings (or `index_options`)."""
    from rag.index import Manifest, write_index
    from rag.lexical import LexicalIndex
    from rag.records import Passage
    from rag.settings import DEFAULT_MODEL

    passages, base = base_passages()
    vectors, first, second = synthetic_vectors(base, size, seed)
    heads, tails = synthetic_text_parts(passages)
    out: list[Passage] = []
    for i, (a, b) in enumerate(zip(first.tolist(), second.tolist())):
        text = heads[a] + " " + tails[b]
        source = f"synth/part-{i // 1000:04d}.json#synth-{i}"
        out.append(Passage(text, source, passages[a].title, None, None, None, passages[a].date, None, hash=str(i)))
    manifest = Manifest(model=DEFAULT_MODEL, dimension=vectors.shape[1], corpus_root=str(WORK / "synth"))
    lexical = LexicalIndex.build([p.embedding_text for p in out])
    sentences = synthetic_sentence_vectors(vectors, [len(sentence_spans(p.text)) for p in out], seed)
    folder = synthetic_index_dir(size)
    write_index(folder, manifest, out, vectors, lexical, {}, **index_options, sentences=sentences)
    return folder


def synthetic_sentence_vectors(vectors: np.ndarray, counts: list[int], seed: int) -> list[np.ndarray]:
    """`counts[i]` float16 unit vectors near vectors[i], made in slices to keep the peak memory down."""
    rng = np.random.default_rng(seed + 1)
    counts_array = np.asarray(counts)
    out: list[np.ndarray] = []
    for start in range(0, len(vectors), 100_000):
        part = counts_array[start : start + 100_000]
        owner = np.repeat(np.arange(start, start + len(part)), part)
        rows = vectors[owner] + 0.6 * rng.standard_normal((len(owner), vectors.shape[1])).astype(np.float32) / 20
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        out += np.split(rows.astype(np.float16), np.cumsum(part)[:-1])
    return out
