"""Ways to fuse the dense and the BM25 ranking into one. Each takes {passage id: score} per
retriever and returns {passage id: fused score}; which is the default is measured (bench/RESULTS.md)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def reciprocal_rank(dense: dict[int, float], lexical: dict[int, float], k: int = 60) -> dict[int, float]:
    """Reciprocal rank fusion (Cormack, Clarke & Buettcher, SIGIR 2009): sum of 1 / (k + rank).
    Needs no score calibration, so it is robust to BM25's unbounded scores."""
    fused: dict[int, float] = {}
    for scores in (dense, lexical):
        ranked = sorted(scores, key=scores.get, reverse=True)
        for rank, pid in enumerate(ranked, start=1):
            fused[pid] = fused.get(pid, 0.0) + 1.0 / (k + rank)
    return fused


def convex(dense: dict[int, float], lexical: dict[int, float], alpha: float = 0.5) -> dict[int, float]:
    """alpha * dense + (1 - alpha) * BM25, each min-max normalised over its candidates
    (the convex combination that Bruch et al., TOIS 2023, find competitive with RRF)."""
    d, s = _min_max(dense), _min_max(lexical)
    return {pid: alpha * d.get(pid, 0.0) + (1 - alpha) * s.get(pid, 0.0) for pid in set(d) | set(s)}


def _min_max(scores: dict[int, float]) -> dict[int, float]:
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    span = high - low
    return {pid: (v - low) / span if span > 0 else 1.0 for pid, v in scores.items()}


@dataclass
class Evidence:
    """What each candidate passage has for the question, in the order of `ids`: its cosine, the
    cosine of its closest sentence, and its BM25 score over the top BM25 score of the corpus."""

    ids: list[int]
    passage: np.ndarray
    sentence: np.ndarray
    lexical: np.ndarray


# Weights of the "evidence" fusion, chosen on the tune halves of the held-out question sets
# (bench/quality.py, bench/RESULTS.md): the closest sentence carries most, the passage as a whole a
# little, and BM25 (over its top score, not min-max) the words the model does not know.
SENTENCE_WEIGHT, PASSAGE_WEIGHT, LEXICAL_WEIGHT = 1.0, 0.25, 0.7


def evidence_scores(evidence: Evidence) -> dict[int, float]:
    """One score per passage from fixed weights of absolute features: unlike min-max fusion it does
    not depend on which other passages were fetched, so the first results do not change with k. A
    passage holding the one sentence that answers beats an opening passage that only shares names."""
    score = SENTENCE_WEIGHT * evidence.sentence + PASSAGE_WEIGHT * evidence.passage + LEXICAL_WEIGHT * evidence.lexical
    return dict(zip(evidence.ids, map(float, score)))


def fuse(dense: dict[int, float], lexical: dict[int, float], method: str, alpha: float, rrf_k: int) -> dict[int, float]:
    if method == "rrf":
        return reciprocal_rank(dense, lexical, rrf_k)
    if method == "convex":
        return convex(dense, lexical, alpha)
    if method == "dense":
        return dict(dense)
    if method == "bm25":
        return dict(lexical)
    raise ValueError(f"unknown fusion {method!r}")


def maximal_marginal_relevance(
    ids: list[int], relevance: list[float], vectors: np.ndarray, diversity: float
) -> list[int]:
    """`ids` re-ordered by MMR (Carbonell & Goldstein, SIGIR 1998): each next pick maximises
    (1 - diversity) * relevance - diversity * its highest cosine to a passage already picked, so
    that five cuts of one story do not fill the top five. Relevance is min-max normalised first;
    `vectors` are the passages' L2-normalised embeddings, in the order of `ids`."""
    if len(ids) < 3 or diversity <= 0:
        return list(ids)
    rel = np.asarray(relevance, dtype=np.float32)
    span = float(rel.max() - rel.min())
    rel = (rel - rel.min()) / span if span > 0 else np.ones_like(rel)
    similarity = vectors @ vectors.T
    closest = np.full(len(ids), -np.inf, dtype=np.float32)
    left = np.ones(len(ids), dtype=bool)
    order: list[int] = []
    for _ in range(len(ids)):
        penalty = np.where(np.isfinite(closest), closest, 0.0)
        gain = np.where(left, (1 - diversity) * rel - diversity * penalty, -np.inf)
        pick = int(np.argmax(gain))
        order.append(ids[pick])
        left[pick] = False
        closest = np.maximum(closest, similarity[pick])
    return order
