"""A build's vectors while it is made: each passage's vector and its sentences' vectors, in two
memory-mapped files beside the index, filled in any order (a batch from the local model, from a
Ray actor, or reused from the previous build) and read by the store writer in a stream. A build
of any size never holds all its vectors in memory; the files are the sentence vectors' final form
(float16, as the index keeps them), so the FAISS store moves them into the new build, not copies.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

SPILL = ".vectors.partial"  # in the index folder; the build lock guards it


class BuildVectors:
    """Vectors of `count` passages of `dimension` floats, passage i having `sentence_counts[i]`
    sentences. `vectors` is a float32 array (count x dimension) on disk; `sentences[i]` is passage
    i's sentence vectors (float16, sentence_counts[i] x dimension)."""

    def __init__(self, index_dir: Path, dimension: int, sentence_counts: Sequence[int]):
        self.folder = index_dir / SPILL
        shutil.rmtree(self.folder, ignore_errors=True)  # left by a build that was killed
        self.folder.mkdir(parents=True)
        self.dimension = dimension
        self.vectors = self.sentence_rows = None
        self.starts = np.concatenate([[0], np.cumsum(np.asarray(sentence_counts, dtype=np.int64))]).astype(np.int64)
        try:
            self.vectors = _mapped(self.folder / "vectors.npy", (len(sentence_counts), dimension), np.float32)
            self.sentence_rows = _mapped(self.folder / "sentences.npy", (int(self.starts[-1]), dimension), np.float16)
        except OSError:
            self.close()
            raise
        self.sentences = SentenceVectors(self)

    def __len__(self) -> int:
        return len(self.vectors)

    def put(self, ids: Sequence[int], vectors: np.ndarray, sentences: Sequence[np.ndarray]) -> None:
        """Passages `ids`' vectors and each one's sentence vectors."""
        self.vectors[np.asarray(ids, dtype=np.int64)] = vectors
        for i, own in zip(ids, sentences):
            a, b = self.starts[i], self.starts[i + 1]
            if len(own) != b - a:
                raise ValueError(f"passage {i} has {b - a} sentences, {len(own)} vectors were given")
            self.sentence_rows[a:b] = own

    def move_sentences(self, folder: Path) -> None:
        """The sentence vectors as `sentences.npy` and `sentence_starts.npy` in the build `folder`."""
        self.sentence_rows.flush()
        self.sentence_rows = None
        (self.folder / "sentences.npy").replace(folder / "sentences.npy")
        np.save(folder / "sentence_starts.npy", self.starts)

    def close(self) -> None:
        self.vectors = self.sentence_rows = None
        shutil.rmtree(self.folder, ignore_errors=True)


class SentenceVectors(Sequence):
    """Each passage's sentence vectors, read from the mapped file as they are asked for."""

    def __init__(self, owner: BuildVectors):
        self.owner = owner

    def __len__(self) -> int:
        return len(self.owner.starts) - 1

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return self.owner.sentence_rows[self.owner.starts[i] : self.owner.starts[i + 1]]


def _mapped(path: Path, shape: tuple[int, int], dtype) -> np.ndarray:
    # A file of zero rows cannot be mapped; an empty array stands in for it.
    if not shape[0]:
        np.save(path, np.zeros(shape, dtype=dtype))
        return np.zeros(shape, dtype=dtype)
    array = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=shape)
    # The file is sparse: on a full disk, writing into its pages later would kill the process with
    # SIGBUS. Its blocks are taken now, so a full disk is an OSError here, before anything is embedded.
    with open(path, "r+b") as handle:
        os.posix_fallocate(handle.fileno(), 0, os.fstat(handle.fileno()).st_size)
    return array
