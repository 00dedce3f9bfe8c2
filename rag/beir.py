"""Retrieval benchmarks in the BEIR layout (corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv), scored the
standard BEIR way: nDCG@10 with graded relevance and Recall@100 over documents.

The corpus is indexed by the product's own pipeline (each record chunked into passages); a
document's score for a query is that of its best passage (MaxP, Dai & Callan, SIGIR 2019)."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rag.records import Hit


@dataclass
class BeirSplit:
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def load_split(folder: Path, split: str = "test") -> BeirSplit:
    qrels_file = folder / "qrels" / f"{split}.tsv"
    if not qrels_file.exists():
        raise FileNotFoundError(f"{qrels_file} not found: is {folder} a BEIR dataset folder?")
    qrels: dict[str, dict[str, int]] = {}
    with qrels_file.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            qrels.setdefault(row["query-id"], {})[row["corpus-id"]] = int(row["score"])
    queries = {}
    for line in (folder / "queries.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["_id"] in qrels:
            queries[record["_id"]] = record["text"]
    return BeirSplit(queries=queries, qrels=qrels)


def doc_ranking(hits: list[Hit]) -> list[str]:
    """Document ids in the order of their best passage. A record's source is FILE#ID."""
    seen: dict[str, None] = {}
    for hit in hits:
        places = [hit.passage.source, *hit.passage.also_in]
        for place in places:
            seen.setdefault(place.rsplit("#", 1)[-1].split(",")[0], None)
    return list(seen)


def ndcg_at(ranking: list[str], relevant: dict[str, int], k: int = 10) -> float:
    """nDCG@k with gains = relevance grade and log2 discount, as pytrec_eval computes it for BEIR."""
    dcg = sum(relevant.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranking[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum(grade / math.log2(rank + 2) for rank, grade in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranking: list[str], relevant: dict[str, int], k: int = 100) -> float:
    wanted = {doc for doc, grade in relevant.items() if grade > 0}
    return len(wanted & set(ranking[:k])) / len(wanted) if wanted else 0.0


def evaluate_split(split: BeirSplit, search: Callable[[str], list[Hit]]) -> dict[str, float]:
    ndcg, recall = [], []
    for qid, text in split.queries.items():
        ranking = doc_ranking(search(text))
        ndcg.append(ndcg_at(ranking, split.qrels[qid]))
        recall.append(recall_at(ranking, split.qrels[qid]))
    n = len(split.queries)
    return {"queries": n, "ndcg_at_10": sum(ndcg) / n, "recall_at_100": sum(recall) / n}
