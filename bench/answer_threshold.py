"""Thresholds of the answer above the passages, measured on the dev sets.

1. When to refuse: the best sentence-question cosine (and, for comparison, the top hit's dense cosine)
   for answerable dev questions against off-topic and nonsense ones (bench/dev_unanswerable.jsonl).
2. How many sentences: the margin behind the best sentence within which a 2nd/3rd one is kept.
3. When a citation holds: claim-passage support for paraphrased claims (bench/dev_claims_seeds.jsonl)
   against their own passage, the other top passages, and the same claim with a figure or name changed.

Run: .venv/bin/python bench/answer_threshold.py"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from common import DEV_SETS, REPO, built_index

from rag import answer as answer_module
from rag.answer import check_answer, extractive_answer, support_scores
from rag.evaluate import answer_rank, read_questions
from rag.retrieve import Searcher

BENCH = REPO / "bench"
GRID = [round(0.25 + 0.01 * i, 2) for i in range(31)]


class CachedEmbedder:
    """The searcher's embedder, remembering each text's vector: the sweeps below re-embed the same
    sentences many times."""

    def __init__(self, embedder):
        self.embedder, self.cache = embedder, {}

    def encode(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        self.cache.update(zip(missing, self.embedder.encode(missing)))
        return np.stack([self.cache[t] for t in texts]) if texts else self.embedder.encode([])

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


_searchers: dict[str, tuple[Searcher, CachedEmbedder]] = {}
_hits: dict[tuple[str, str], list] = {}


def searcher_for(name: str, corpus: Path) -> tuple[Searcher, CachedEmbedder]:
    if name not in _searchers:
        searcher = Searcher(built_index(name, corpus)[0])
        _searchers[name] = (searcher, CachedEmbedder(searcher.embedder))
    return _searchers[name]


def top5(name: str, corpus: Path, question: str) -> list:
    if (name, question) not in _hits:
        _hits[name, question] = searcher_for(name, corpus)[0].search(question, k=5, highlight=False)
    return _hits[name, question]


def describe(values: list[float]) -> str:
    v = sorted(values)
    q = statistics.quantiles(v, n=20) if len(v) > 1 else v * 19
    return f"n={len(v):3d}  min {v[0]:.3f}  p5 {q[0]:.3f}  median {statistics.median(v):.3f}  max {v[-1]:.3f}"


def closeness(name: str, corpus: Path, question: str) -> tuple[float, float]:
    """(best sentence cosine as the answer computes it, dense cosine of the best hit)"""
    hits = top5(name, corpus, question)
    best = extractive_answer(question, hits, searcher_for(name, corpus)[1], threshold=-1.0).closeness
    dense = [h.dense_score for h in hits if h.dense_score is not None]
    return best, max(dense, default=0.0)


def refusal_threshold() -> float:
    unanswerable = [json.loads(line) for line in (BENCH / "dev_unanswerable.jsonl").read_text().splitlines()]
    groups: dict[str, dict[str, list[float]]] = {}
    for name, corpus, questions_file in DEV_SETS:
        for q in read_questions(questions_file):
            for measure, value in zip(("sentence", "dense"), closeness(name, corpus, q.q)):
                groups.setdefault(f"answerable ({name})", {}).setdefault(measure, []).append(value)
        for u in unanswerable:
            for measure, value in zip(("sentence", "dense"), closeness(name, corpus, u["q"])):
                groups.setdefault(f"{u['kind']} ({name})", {}).setdefault(measure, []).append(value)
    for measure in ("sentence", "dense"):
        print(f"\n{measure} cosine:")
        for group, values in groups.items():
            print(f"  {group:22} {describe(values[measure])}")
    answerable = [v for g, m in groups.items() if g.startswith("answerable") for v in m["sentence"]]
    refusable = [v for g, m in groups.items() if g.startswith(("off-topic", "nonsense")) for v in m["sentence"]]
    in_domain = [v for g, m in groups.items() if g.startswith("in-domain") for v in m["sentence"]]
    print("\n| threshold | answerable answered | off-topic+nonsense refused | in-domain unanswerable refused |")
    print("|---|---|---|---|")
    for t in GRID:
        kept = sum(v >= t for v in answerable) / len(answerable)
        refused = sum(v < t for v in refusable) / len(refusable)
        refused_in = sum(v < t for v in in_domain) / len(in_domain)
        print(f"| {t:.2f} | {kept:.3f} | {refused:.3f} | {refused_in:.3f} |")
    # Refusing an answerable question hides nothing (the passages are still shown) but is a miss; the
    # threshold is the highest that still answers every answerable dev question, less 0.02 of slack.
    chosen = round(min(answerable) - 0.02, 2)
    print(
        f"\nchosen refusal threshold: {chosen:.2f} (lowest answerable {min(answerable):.3f}, "
        f"highest off-topic/nonsense {max(refusable):.3f})"
    )
    return chosen


def sentence_margin(threshold: float) -> None:
    print("\n| margin | sentences per answer | answer holds an answer string (seeds/kcna/all) | first sentence does |")
    print("|---|---|---|---|")
    runs = {name: [(q, top5(name, c, q.q)) for q in read_questions(f)] for name, c, f in DEV_SETS}
    embedders = {name: searcher_for(name, c)[1] for name, c, _ in DEV_SETS}
    for margin in (0.0, 0.05, 0.08, 0.1, 0.12, 0.15, 0.2, 1.0):
        answer_module.MARGIN = margin
        counts, holds, first = [], {}, 0
        for name, pairs in runs.items():
            for q, hits in pairs:
                a = extractive_answer(q.q, hits, embedders[name], threshold)
                counts.append(len(a.sentences))
                wanted = [" ".join(x.casefold().split()) for x in q.a]
                holds.setdefault(name, []).append(any(w in " ".join(a.text.casefold().split()) for w in wanted))
                first += bool(a.sentences) and any(w in " ".join(a.sentences[0].casefold().split()) for w in wanted)
        every = [h for name in runs for h in holds[name]]
        rates = [statistics.mean(holds[name]) for name in runs] + [statistics.mean(every)]
        print(
            f"| {margin:.2f} | {statistics.mean(counts):.2f} | {' / '.join(f'{r:.3f}' for r in rates)} "
            f"| {first / len(counts):.3f} |"
        )
    answer_module.MARGIN = 0.12


def support_threshold() -> None:
    searcher, embedder = searcher_for("seeds", REPO / "seeds")
    claims = [json.loads(line) for line in (BENCH / "dev_claims_seeds.jsonl").read_text().splitlines()]
    scored: dict[str, list[tuple[float, bool]]] = {"own passage": [], "other top passage": [], "altered claim": []}
    for c in claims:
        hits = searcher.search(c["claim"], k=10, highlight=False)
        gold = answer_rank(hits, c["a"])
        if gold is None:
            print(f"  (own passage not in top 10, skipped) {c['claim']}")
            continue
        ranks = {h.rank: h for h in hits}
        others = [h.rank for h in hits[:5] if answer_rank([h], c["a"]) is None]
        numbers = [gold, *others]
        scores = support_scores([c["claim"]], [numbers], ranks, embedder)[0]
        for n in numbers:
            # The check's full verdict at a threshold of -1 isolates the figure test from the cosine.
            figures_ok = not check_answer(f"{c['claim']} [{n}]", hits, embedder, threshold=-1.0).unsupported
            group = "other top passage" if n != gold else ("own passage" if c["supported"] else "altered claim")
            scored[group].append((float(scores[n]), figures_ok))
    print()
    for group, values in scored.items():
        print(f"  {group:18} cosine {describe([v for v, _ in values])}")
    print("\n| threshold | own passage: supported | other top passage: flagged | altered claim: flagged |")
    print("|---|---|---|---|")
    chosen = None
    for t in [round(0.3 + 0.05 * i, 2) for i in range(11)]:
        ok = sum(v >= t and f for v, f in scored["own passage"]) / len(scored["own passage"])
        other = sum(not (v >= t and f) for v, f in scored["other top passage"]) / len(scored["other top passage"])
        alt = sum(not (v >= t and f) for v, f in scored["altered claim"]) / len(scored["altered claim"])
        print(f"| {t:.2f} | {ok:.3f} | {other:.3f} | {alt:.3f} |")
        # A false "unsupported" costs the analyst a look; a false "supported" costs trust. Take the
        # strictest threshold that still lets at least 95% of correct citations through.
        chosen = t if ok >= 0.95 else chosen
    for group, values in scored.items():
        print(f"  {group}: figures check fails on {sum(not f for _, f in values)} of {len(values)}")
    print(f"\nchosen support threshold: {chosen:.2f}")


def main() -> None:
    threshold = refusal_threshold()
    sentence_margin(threshold)
    support_threshold()


if __name__ == "__main__":
    main()
