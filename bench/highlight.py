"""The highlight (the sentence of each result that best answers the question): sentence vectors
stored at build time (late chunking: pooled from the passage's own forward pass) against the
sentences encoded at search time, on the two dev sets. Reports how often the highlight holds an
answer string, how often the two agree, and what each costs per search (k=5) against a search
without highlight.

Run: .venv/bin/python bench/highlight.py"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEV_SETS, built_index

from rag.chunk import sentence_spans
from rag.evaluate import read_questions
from rag.retrieve import Searcher


def holds_answer(text: str, span: tuple[int, int], answers: list[str]) -> bool:
    return any(0 <= (at := text.find(a)) < span[1] and at + len(a) > span[0] for a in answers)


def main() -> None:
    print("| dev set | passages judged | stored: holds answer | encoded: holds answer | agree |")
    print("|---|---|---|---|---|")
    timings: dict[str, list[float]] = {"no highlight": [], "stored": [], "encoded": []}
    for name, corpus, questions_file in DEV_SETS:
        settings, _ = built_index(name, corpus)
        stored, encoded = Searcher(settings), Searcher(settings)
        encoded.index.sentence_starts = None  # as an index without sentence vectors: encode at search time
        stored.search("warm up")
        judged = stored_right = encoded_right = agree = 0
        for question in read_questions(questions_file):
            runs = {}
            for label, searcher, highlight in (
                ("no highlight", stored, False),
                ("stored", stored, True),
                ("encoded", encoded, True),
            ):
                started = time.perf_counter()
                runs[label] = searcher.search(question.q, k=5, highlight=highlight)
                timings[label].append(time.perf_counter() - started)
            for a, b in zip(runs["stored"], runs["encoded"]):
                text = a.passage.text
                if not any(answer in text for answer in question.a) or len(sentence_spans(text)) < 2:
                    continue
                judged += 1
                stored_right += holds_answer(text, a.highlight, question.a)
                encoded_right += holds_answer(text, b.highlight, question.a)
                agree += a.highlight == b.highlight
        print(
            f"| {name} | {judged} | {stored_right / judged:.3f} | {encoded_right / judged:.3f} | {agree / judged:.3f} |"
        )
    floor = statistics.median(timings["no highlight"])
    print(f"\nsearch p50 over {len(timings['stored'])} questions (k=5):")
    for label, values in timings.items():
        p50 = statistics.median(values)
        print(f"{label:>14}: {1000 * p50:6.1f} ms  ({p50 / floor:.2f}x the search without highlight)")


if __name__ == "__main__":
    main()
