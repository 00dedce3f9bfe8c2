"""`rag tune` (rag.tune): pairs from the corpus alone, batches of sibling passages, and a real
training run on the seeds whose model is kept only when it ranks the check questions better."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from rag.records import Passage
from rag.tune import SIBLINGS, cloze_pairs, sibling_batches

from .conftest import REPO


def passage(source: str, text: str) -> Passage:
    return Passage(text, source, "A headline", None, 1, 2, None, None)


def test_a_cloze_pair_asks_with_a_sentence_the_passage_then_lacks():
    text = "The first sentence has enough words in it to count. The second one is the answer to find here."
    pairs = cloze_pairs([passage("a.txt", text)] * 50, random.Random(1))
    assert len(pairs) == 50
    lacking = [p for p in pairs if p.query not in p.positive]
    assert 35 <= len(lacking) <= 50  # about a tenth keep the sentence, as in Lee et al.
    assert all(p.positive.startswith("A headline") and p.article == "a.txt" for p in pairs)
    assert cloze_pairs([passage("b.txt", "One sentence only, with words enough to count.")], random.Random(1)) == []


def test_batches_hold_groups_of_siblings():
    pairs = [p for n in range(12) for p in cloze_pairs(
        [passage(f"article{n}.txt", f"Sentence one of story {n} with words. And sentence two of story {n} too.")] * 10,
        random.Random(n))]  # fmt: skip
    batches = sibling_batches(pairs, random.Random(0))
    assert sum(len(b) for b in batches) == len(pairs) and all(2 <= len(b) <= 32 for b in batches)
    for batch in batches:
        articles = [p.article for p in batch]
        assert max(articles.count(a) for a in articles) <= SIBLINGS
        assert len(set(articles)) < len(articles)  # siblings: the negatives that teach within-article choice


@pytest.mark.slow
def test_rag_tune_trains_on_the_seeds_and_keeps_the_model_only_if_it_ranks_better(seed_index, tmp_path):
    settings, _ = seed_index
    out = tmp_path / "tuned"
    done = subprocess.run(
        [sys.executable, "-m", "rag", "tune", "--index", str(settings.index_dir), "--out", str(out),
         "--check", str(REPO / "tests" / "data" / "dev_seeds.jsonl")],
        capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stderr.splitlines()
    before = next(line for line in lines if line.startswith("index's model"))
    after = next(line for line in lines if line.startswith("tuned model"))

    def mrr(line: str) -> float:
        return float(line.split("MRR@10 ")[1].split()[0])

    kept = any(line.startswith("kept:") for line in lines)
    assert kept == (mrr(after) > mrr(before)) and out.exists() == kept
    assert not list(settings.index_dir.glob(".tune-check-*"))  # the trial index is gone
    if kept:
        from rag.embed import SentenceTransformerEmbedder, get_embedder

        tuned = SentenceTransformerEmbedder(str(out)).encode(["Which company made antivirus software?"])
        stock = get_embedder().encode(["Which company made antivirus software?"])
        assert 0.5 < float((tuned @ stock.T)[0, 0]) < 0.9999  # trained, not copied, not ruined
