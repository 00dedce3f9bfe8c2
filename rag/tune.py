"""`rag tune`: the embedding model adapted to the user's own corpus, without labels.

The pairs come from the corpus the index holds: inverse cloze (Lee et al., ACL 2019), a sentence of
a passage as the question and the passage without it as the answer (the sentence kept in a tenth of
the time, as in the paper). Passages of one article are batched together, so that the in-batch
negatives the loss pushes away are mostly sibling passages: the choice the stock model gets wrong
most ("right article, wrong passage"). Multiple-negatives ranking loss (the cosine matrix times 20,
cross-entropy), AdamW 2e-5 with a linear warm-up over a tenth of the steps, one epoch, bf16 autocast
where the CPU has bfloat16 instructions. Chosen on the tune splits (bench/RESULTS.md).

The tuned model is a sentence-transformers folder: `rag index --full --model FOLDER` builds with it.
With questions to check against (`--check`), it is kept only if it ranks them better than the model
the index was built with. The stock model stays the default of a corpus never tuned."""

from __future__ import annotations

import math
import random
import shutil
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rag.chunk import sentence_spans
from rag.records import Passage

SCALE = 20.0  # the cosine temperature of the multiple-negatives ranking loss
KEEP_SENTENCE = 0.1  # share of positives that keep the question's sentence (Lee et al.)
MIN_WORDS, MAX_WORDS = 6, 60  # sentences usable as questions
BATCH, SIBLINGS = 32, 8  # pairs a step; most passages of one article in a batch


@dataclass(frozen=True)
class Pair:
    query: str
    positive: str
    article: str


def cloze_pairs(passages: list[Passage], rng: random.Random) -> list[Pair]:
    """One pair per passage that has a usable sentence and something left without it."""
    pairs = []
    for passage in passages:
        text = passage.embedding_text
        offset = len(text) - len(passage.text)  # the passage ends its embedding text
        spans = [(a + offset, b + offset) for a, b in sentence_spans(passage.text)]
        usable = [(a, b) for a, b in spans if MIN_WORDS <= len(text[a:b].split()) <= MAX_WORDS]
        if len(spans) < 2 or not usable:
            continue
        a, b = rng.choice(usable)
        positive = text if rng.random() < KEEP_SENTENCE else text[:a] + text[b:].lstrip()
        pairs.append(Pair(text[a:b], positive.strip(), passage.source))
    return pairs


def sibling_batches(pairs: list[Pair], rng: random.Random, size: int = BATCH) -> list[list[Pair]]:
    """Batches of `size` made of groups of up to SIBLINGS pairs of one article each."""
    by_article: dict[str, list[Pair]] = defaultdict(list)
    for pair in pairs:
        by_article[pair.article].append(pair)
    groups = []
    for items in by_article.values():
        rng.shuffle(items)
        groups += [items[i : i + SIBLINGS] for i in range(0, len(items), SIBLINGS)]
    rng.shuffle(groups)
    batches: list[list[Pair]] = []
    current: list[Pair] = []
    for group in groups:
        if len(current) + len(group) > size:
            batches.append(current)
            current = []
        current += group
    if len(current) >= 2:
        batches.append(current)
    return [b for b in batches if len(b) >= 2]


def tune_model(
    model_name: str,
    passages: list[Passage],
    out: Path,
    epochs: int = 1,
    seed: int = 15,
    on_step: Callable[[int, int, float], None] | None = None,
) -> dict:
    """Train a copy of `model_name` on the corpus's own pairs and save it in `out`; what was done."""
    import torch
    import torch.nn.functional as F
    from sentence_transformers import SentenceTransformer
    from transformers import get_linear_schedule_with_warmup

    from rag.embed import cpu_has_bf16, model_location

    rng = random.Random(seed)
    torch.manual_seed(seed)
    batches, pairs = [], 0
    for _ in range(epochs):  # a fresh sentence of each passage every epoch
        epoch_pairs = cloze_pairs(passages, rng)
        pairs += len(epoch_pairs)
        batches += sibling_batches(epoch_pairs, rng)
    if not batches:
        raise ValueError("the corpus has too few passages of two sentences or more to tune on")
    model = SentenceTransformer(model_location(model_name), device="cpu")
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5, weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimizer, math.ceil(0.1 * len(batches)), len(batches))
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=cpu_has_bf16())
    losses = []
    for step, batch in enumerate(batches, start=1):
        with autocast:
            queries = model(model.preprocess([p.query for p in batch]))["sentence_embedding"].float()
            positives = model(model.preprocess([p.positive for p in batch]))["sentence_embedding"].float()
        scores = SCALE * F.normalize(queries, dim=-1) @ F.normalize(positives, dim=-1).T
        loss = F.cross_entropy(scores, torch.arange(len(batch)))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(float(loss.detach()))
        if on_step:
            on_step(step, len(batches), losses[-1])
    model.eval()
    work = out.with_name(out.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    model.save(str(work))
    shutil.rmtree(out, ignore_errors=True)
    work.rename(out)
    return {"pairs": pairs, "steps": len(batches), "first_loss": losses[0], "last_loss": losses[-1]}
