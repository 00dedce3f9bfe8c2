"""Ray for the heavy stages of a build: reading and chunking as Ray tasks over files, and the
embedding (nearly all of a build's cost) as Ray Data `map_batches` over a pool of actors that each
load the model once, on a GPU where the cluster has them. Into a Milvus server the actors insert
their rows themselves; otherwise the driver takes their vectors as they come and streams them to
disk (rag.vectors), from where the store is written as a local build's is.

    RAG_RAY=local            start a Ray instance in this process (all local cores)
    RAG_RAY=auto             the running cluster this machine belongs to (`ray start`)
    RAG_RAY=ray://HOST:10001 a remote cluster through Ray Client (or HOST:6379 from a cluster node)

Nothing here schedules work itself: retries of a failed task and restarts of a dead actor are
Ray's own (Ray Data restarts actors and retries their batches).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from rag.records import Passage

if TYPE_CHECKING:
    from rag.milvus_store import MilvusBuild

# The share of a CPU each embedding actor asks for: whole-CPU actors on a 2-core cluster left no
# CPU for Ray Data's own read tasks, and the build deadlocked; 0.75 leaves a quarter per core.
ACTOR_CPUS = 0.75
TASK_CPUS = 0.25  # a file to read or chunk


@contextmanager
def ray_cluster(address: str) -> Iterator[None]:
    """Connected to the cluster for the duration of a build (left as found if already connected)."""
    import ray

    if ray.is_initialized():
        yield
        return
    logging.getLogger("ray.data").setLevel(logging.WARNING)  # its progress goes through our bar
    ray.init(
        address=None if address == "local" else address,
        include_dashboard=False,
        log_to_driver=False,
        logging_level=logging.WARNING,
    )
    try:
        yield
    finally:
        ray.shutdown()


def map_files(function: Callable, calls: Sequence[tuple]) -> list:
    """function(*args) for each args tuple, as Ray tasks; the results in the order of `calls`."""
    import ray

    remote = ray.remote(num_cpus=TASK_CPUS, max_retries=3)(function)
    return ray.get([remote.remote(*args) for args in calls])


@dataclass
class EmbeddedBatch:
    """A batch of passages done by the cluster: their vectors and sentence vectors, or, where the
    workers inserted the rows into the store themselves, the words those rows hold."""

    ids: np.ndarray
    vectors: np.ndarray | None = None
    sentences: list[np.ndarray] | None = None
    words: set[str] = field(default_factory=set)


class _EmbedActor:
    """One model per actor, loaded once; a batch of passages in, their vectors and their
    sentences' vectors out (see Embedder.encode_with_sentences), or into the store."""

    def __init__(self, model: str, precision: str, batch_size: int, device: str, sink: MilvusBuild | None):
        import torch

        from rag.embed import SentenceTransformerEmbedder

        torch.set_num_threads(1)  # one actor a core: several single-thread models beat one wide one
        self.embedder = SentenceTransformerEmbedder(model, device, precision)
        self.batch_size = batch_size
        self.sink = sink

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        spans = [[tuple(s) for s in json.loads(own)] for own in batch["spans"]]
        vectors, sentences = self.embedder.encode_with_sentences(list(batch["text"]), spans, self.batch_size)
        if self.sink is not None:  # a Milvus server: the rows go in from here, not through the driver
            passages = [Passage(**json.loads(row)) for row in batch["passage"]]
            words = sorted(self.sink.insert(batch["i"], passages, vectors, sentences))
            # The batch's words once, in its first row: the driver keeps the vocabulary.
            column = [json.dumps(words), *[""] * (len(batch["i"]) - 1)]
            return {"i": batch["i"], "words": np.array(column, dtype=object)}
        return {
            "i": batch["i"],
            "vector": vectors,
            "sentences": np.array([s.astype(np.float16).tobytes() for s in sentences], dtype=object),
        }


def embed_on_ray(
    model: str,
    precision: str,
    ids: Sequence[int],
    passages: Sequence[Passage],
    spans: Sequence[list[tuple[int, int]]],
    batch_size: int,
    progress: bool,
    sink: MilvusBuild | None = None,
) -> Iterator[EmbeddedBatch]:
    """The passages' embedding texts embedded by the cluster's actor pool, a batch at a time as the
    actors finish them (in no fixed order); with a `sink`, each actor inserts its rows into it."""
    import ray
    from tqdm import tqdm

    if not len(ids):
        raise ValueError("nothing to embed")
    resources = ray.cluster_resources()
    if resources.get("GPU", 0) >= 1:
        pool, per_actor, device = int(resources["GPU"]), {"num_gpus": 1}, "cuda"
    else:
        pool, per_actor, device = max(1, int(resources.get("CPU", 1))), {"num_cpus": ACTOR_CPUS}, "cpu"
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    rows = [
        {"i": i, "text": p.embedding_text, "spans": json.dumps(own), "passage": json.dumps(asdict(p)) if sink else ""}
        for i, p, own in zip(ids, passages, spans)
    ]
    embedded = ray.data.from_items(rows).map_batches(
        _EmbedActor,
        fn_constructor_kwargs={
            "model": model,
            "precision": precision,
            "batch_size": batch_size,
            "device": device,
            "sink": sink,
        },
        batch_size=batch_size * 2,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=pool),
        **per_actor,
    )
    with tqdm(total=len(rows), desc=f"Embedding on Ray ({pool} actors)", unit="passage", disable=not progress) as bar:
        for batch in embedded.iter_batches(batch_size=None, batch_format="numpy"):
            if sink is not None:
                words = {w for text in batch["words"] if text for w in json.loads(text)}
                yield EmbeddedBatch(batch["i"], words=words)
            else:
                vectors = batch["vector"]
                sentences = [
                    np.frombuffer(own, dtype=np.float16).reshape(-1, vectors.shape[1]) for own in batch["sentences"]
                ]
                yield EmbeddedBatch(batch["i"], vectors, sentences)
            bar.update(len(batch["i"]))
