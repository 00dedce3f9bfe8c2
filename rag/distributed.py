"""Ray for the heavy stages of a build: reading and chunking as Ray tasks over files, and the
embedding (nearly all of a build's cost) as Ray Data `map_batches` over a pool of actors that each
load the model once, on a GPU where the cluster has them. The driver gathers the results in the
order of the passages and writes the build into the store as a local build does.

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

import numpy as np

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


class _EmbedActor:
    """One model per actor, loaded once; a batch of passages in, their vectors and their
    sentences' vectors out (see Embedder.encode_with_sentences)."""

    def __init__(self, model: str, batch_size: int, device: str):
        import torch

        from rag.embed import SentenceTransformerEmbedder

        torch.set_num_threads(1)  # one actor a core: several single-thread models beat one wide one
        self.embedder = SentenceTransformerEmbedder(model, device)
        self.batch_size = batch_size

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        spans = [[tuple(s) for s in json.loads(own)] for own in batch["spans"]]
        vectors, sentences = self.embedder.encode_with_sentences(list(batch["text"]), spans, self.batch_size)
        return {
            "i": batch["i"],
            "vector": vectors,
            "sentences": np.array([s.astype(np.float32).tobytes() for s in sentences], dtype=object),
        }


def embed_on_ray(
    model: str, texts: list[str], spans: list[list[tuple[int, int]]], batch_size: int, progress: bool
) -> tuple[np.ndarray, list[np.ndarray]]:
    """What `encode_with_sentences` gives for these texts, computed by the cluster's actor pool."""
    import ray
    from tqdm import tqdm

    if not texts:
        raise ValueError("nothing to embed")
    resources = ray.cluster_resources()
    if resources.get("GPU", 0) >= 1:
        pool, per_actor, device = int(resources["GPU"]), {"num_gpus": 1}, "cuda"
    else:
        pool, per_actor, device = max(1, int(resources.get("CPU", 1))), {"num_cpus": ACTOR_CPUS}, "cpu"
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    rows = [{"i": i, "text": text, "spans": json.dumps(own)} for i, (text, own) in enumerate(zip(texts, spans))]
    embedded = ray.data.from_items(rows).map_batches(
        _EmbedActor,
        fn_constructor_kwargs={"model": model, "batch_size": batch_size, "device": device},
        batch_size=batch_size * 2,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=pool),
        **per_actor,
    )
    vectors: np.ndarray | None = None
    sentences: list[np.ndarray] = [np.zeros((0, 0), dtype=np.float32)] * len(texts)
    with tqdm(total=len(texts), desc=f"Embedding on Ray ({pool} actors)", unit="passage", disable=not progress) as bar:
        for batch in embedded.iter_batches(batch_size=None, batch_format="numpy"):
            if vectors is None:
                vectors = np.zeros((len(texts), batch["vector"].shape[1]), dtype=np.float32)
            dimension = vectors.shape[1]
            for i, vector, own in zip(batch["i"], batch["vector"], batch["sentences"]):
                vectors[i] = vector
                sentences[i] = np.frombuffer(own, dtype=np.float32).reshape(-1, dimension)
            bar.update(len(batch["i"]))
    return vectors, sentences
