"""Retrieval evaluation on a question file: each line {"q": str, "a": [str, ...]}; a question is
answered at rank r when the r-th passage contains one of its answer strings (case and whitespace aside)."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from rag.records import Hit


class QuestionFileError(ValueError):
    """A question file that cannot be read; the message says which line and what it must hold."""


@dataclass
class EvalQuestion:
    q: str
    a: list[str]


@dataclass
class EvalReport:
    questions: int
    hit_at_1: float
    hit_at_3: float
    hit_at_5: float
    mrr_at_10: float
    median_first_passage_words: float
    misses: list[str]

    def to_json(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        return (
            f"questions {self.questions}  Hit@1 {self.hit_at_1:.3f}  Hit@3 {self.hit_at_3:.3f}  "
            f"Hit@5 {self.hit_at_5:.3f}  MRR@10 {self.mrr_at_10:.3f}  "
            f"median first passage {self.median_first_passage_words:.0f} words"
        )


def read_questions(path: Path) -> list[EvalQuestion]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            answers = record["a"] if isinstance(record["a"], list) else [record["a"]]
            questions.append(EvalQuestion(q=str(record["q"]), a=[str(a) for a in answers]))
        except (json.JSONDecodeError, KeyError, TypeError):
            shape = '{"q": "question", "a": ["answer", ...]}'
            raise QuestionFileError(f"{path}:{number}: each line must be {shape}") from None
    if not questions:
        raise QuestionFileError(f"{path} holds no questions")
    return questions


def _norm(text: str) -> str:
    # Whitespace dropped, not just collapsed: an answer copied from the raw scrape ("ComradeKim Jong
    # Unvisited") still matches the passage whose glued words cleaning has mended.
    return "".join(text.casefold().split())


def answer_rank(hits: list[Hit], answers: list[str]) -> int | None:
    """1-based rank of the first hit containing an answer string, None if none does."""
    wanted = [_norm(a) for a in answers]
    for position, hit in enumerate(hits, start=1):
        text = _norm(hit.passage.text)
        if any(a in text for a in wanted):
            return position
    return None


def evaluate(questions: list[EvalQuestion], search: Callable[[str, int], list[Hit]]) -> EvalReport:
    ranks: list[int | None] = []
    first_lengths: list[int] = []
    for question in questions:
        hits = search(question.q, 10)
        ranks.append(answer_rank(hits, question.a))
        if hits:
            first_lengths.append(len(hits[0].passage.text.split()))
    n = len(questions)

    def hit_at(k: int) -> float:
        return sum(1 for r in ranks if r is not None and r <= k) / n

    return EvalReport(
        questions=n,
        hit_at_1=hit_at(1),
        hit_at_3=hit_at(3),
        hit_at_5=hit_at(5),
        mrr_at_10=sum(1 / r for r in ranks if r is not None and r <= 10) / n,
        median_first_passage_words=statistics.median(first_lengths) if first_lengths else 0.0,
        misses=[q.q for q, r in zip(questions, ranks) if r is None or r > 5],
    )
