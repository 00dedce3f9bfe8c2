"""A short answer above the evidence, every sentence cited and checked.

Without a language model the answer is extractive: the few sentences of the top passages closest in
meaning to the question, each quoted with its passage's [n]. With one, the model's answer is
checked sentence by sentence: a citation to a passage that does not exist is removed and flagged; a
sentence without a citation, or whose cited passage does not support it, is marked unsupported.
Thresholds are measured on the dev sets by bench/answer_threshold.py (bench/RESULTS.md)."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from rag.asking import asking_part
from rag.chunk import sentence_spans
from rag.llm import NO_ANSWER, ChatClient, LLMError, build_messages
from rag.quantity import asked_number
from rag.query import names_in, order_of
from rag.records import Hit

if TYPE_CHECKING:
    from rag.embed import Embedder
    from rag.settings import Settings

REFUSAL = "The corpus does not seem to answer this question: no passage comes close. The nearest passages are below."
UNKNOWN_NAMES = (
    "The corpus does not seem to answer this question: no document names {names}, and no passage comes close."
    " The nearest passages are below."
)
OFF_PERIOD = (
    "The corpus does not seem to answer this question: no passage found is from the time it asks about, or names it."
    " The nearest passages are below."
)
NO_NUMBER = (
    "The corpus does not seem to answer this question: no passage found gives the number it asks for."
    " The nearest passages are below."
)
ANSWER_PASSAGES = 5  # sentences are drawn from this many top passages
MAX_SENTENCES = 3
MARGIN = 0.12  # a 2nd/3rd sentence must be within this cosine of the best one (bench/RESULTS.md)
REDUNDANT = 0.8  # a sentence this close to one already chosen adds nothing
MIN_WORDS = 4  # shorter "sentences" are headings, table cells and footnote debris
# A question naming something the corpus never writes ("Lazarus", "Kishida") is answered only by a
# sentence this close: it is most often about another corpus, and the nearest sentence about the
# corpus's own subjects is no answer (chosen on the tune splits, bench/RESULTS.md).
UNKNOWN_NAME_THRESHOLD = 0.6
SUPPORT_THRESHOLD = 0.55  # claim-passage support below which a citation does not hold (bench/RESULTS.md)

_MARKERS = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\d+(?:\s*,\s*\d+)*\])+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass
class Answer:
    """The answer shown above the passages. `citations` are passage ranks in order of first use;
    `unsupported` are 0-based indexes into `sentences`; `model` is None for the extractive answer."""

    text: str
    citations: list[int] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)
    unsupported: list[int] = field(default_factory=list)
    model: str | None = None
    flagged: list[str] = field(default_factory=list)  # what the check removed or could not verify, one line each
    confident: bool = True  # False: retrieval found nothing close, the text says so
    closeness: float | None = None  # cosine of the best sentence to the question, compared with the threshold
    warning: str | None = None  # why the language model's answer is not shown (it failed)
    partial: bool = False  # True while a model's answer is still streaming in, unchecked

    def to_json(self) -> dict:
        return {
            "text": self.text,
            "citations": list(self.citations),
            "unsupported": list(self.unsupported),
            "model": self.model,
            "sentences": list(self.sentences),
            "flagged": list(self.flagged),
        }


def refusal(closeness: float | None = None, text: str = REFUSAL) -> Answer:
    return Answer(text=text, sentences=[text], confident=False, closeness=closeness)


def extractive_answer(
    question: str,
    hits: list[Hit],
    embedder: Embedder,
    threshold: float,
    max_sentences: int = MAX_SENTENCES,
    unknown_names: Sequence[str] = (),
) -> Answer:
    """The sentences of the top passages that best answer the question, each followed by [rank],
    or a refusal when even the best is further from the question than `threshold` (or than
    UNKNOWN_NAME_THRESHOLD, when the question has `unknown_names`: names no passage of the corpus
    writes), or when the question names a time and none of those passages is from it or names it."""
    question = asking_part(question)
    if hits and all(hit.in_period is False for hit in hits[:ANSWER_PASSAGES]):
        # "the June 2018 summit" over stories of 2024: close passages about other summits are no answer.
        return refusal(text=OFF_PERIOD)
    quoted = hits[:ANSWER_PASSAGES]
    if order_of(question) and quoted and quoted[0].passage.date:
        # "her latest statement": quoted from the story the search put first for its date, not from an
        # older one whose sentences are closer in words.
        quoted = [hit for hit in quoted if hit.passage.date == quoted[0].passage.date]
    candidates = [(hit.rank, s) for hit in quoted for s in _sentences(hit.passage.text)]
    names = set(names_in(question))
    candidates = [(rank, s) for rank, s in candidates if _says_something(s, names)] or candidates
    if not candidates:
        return refusal()
    vectors = embedder.encode([s for _, s in candidates])
    similarity = vectors @ embedder.encode_query(question)
    order = np.argsort(-similarity, kind="stable")
    best = float(similarity[order[0]])
    if unknown_names:
        threshold = max(threshold, UNKNOWN_NAME_THRESHOLD)
    if best < threshold:
        return refusal(best, UNKNOWN_NAMES.format(names=", ".join(unknown_names)) if unknown_names else REFUSAL)
    # The search's own best sentence of the first passage comes first: read in the context of its
    # passage, it is the sentence that answers more often than the one closest on its own, which is
    # often the story's opening restating the question's setting (bench/RESULTS.md).
    marked = _marked_sentence(quoted[0], names) if quoted else None
    chosen = [i for i, (rank, text) in enumerate(candidates) if (rank, _norm(text)) == marked][:1]
    if asked := asked_number(question):
        # "How many sheep ...": only a sentence that gives the number answers; the closest of them first.
        giving = [int(i) for i in order if asked.given_in(candidates[i][1])]
        if not giving:
            return refusal(best, NO_NUMBER)
        if not chosen or chosen[0] not in giving:
            chosen = giving[:1]
    for i in order:
        if len(chosen) == max_sentences or similarity[i] < max(threshold, best - MARGIN):
            break
        # Duplicated stories are common in scraped news: skip what repeats a chosen sentence.
        if any(float(vectors[i] @ vectors[j]) >= REDUNDANT for j in chosen):
            continue
        chosen.append(int(i))
    sentences = [f"{candidates[i][1]} [{candidates[i][0]}]" for i in chosen]
    citations = list(dict.fromkeys(candidates[i][0] for i in chosen))
    return Answer(text=" ".join(sentences), citations=citations, sentences=sentences, closeness=best)


def _marked_sentence(hit: Hit, names: set[str]) -> tuple[int, str] | None:
    """The rank and (normalised) text of the sentence the search marked in `hit`, if it says something."""
    if hit.highlight is None:
        return None
    text = " ".join(hit.passage.text[hit.highlight[0] : hit.highlight[1]].split())
    return (hit.rank, _norm(text)) if text and _says_something(text, names) else None


def _says_something(sentence: str, names: set[str]) -> bool:
    """Not a heading, table cell or byline ("Ifang Bremer June 6, 2024"): a few words, two of them
    lowercase, which a line of names, titles and dates lacks; unless it holds a name the question
    asks about ("Who is Ifang Bremer?" is answered by the byline)."""
    words = sentence.split()
    if len(words) < MIN_WORDS:
        return False
    return sum(w[0].islower() for w in words) >= 2 or not names.isdisjoint(words)


def check_answer(
    text: str, hits: list[Hit], embedder: Embedder, model: str | None = None, threshold: float = SUPPORT_THRESHOLD
) -> Answer:
    """Check a generated answer against the passages it cites (see the module docstring)."""
    ranks = {hit.rank: hit for hit in hits}
    flagged: list[str] = []
    invented = sorted({n for group in _MARKERS.findall(text) for n in _numbers(group) if n not in ranks})
    if invented:
        listed = ", ".join(f"[{n}]" for n in invented)
        count = "1 passage" if len(hits) == 1 else f"{len(hits)} passages"
        flagged.append(f"removed {listed}: there {'is' if len(hits) == 1 else 'are'} only {count}")
    # "[1, 2]" becomes "[1] [2]" so that each number links to its card; invented numbers go.
    text = _MARKERS.sub(lambda m: "".join(f" [{n}]" for n in dict.fromkeys(_numbers(m[1])) if n in ranks), text)
    text = text.strip()
    sentences = _attach_markers(_sentences(text))
    cited = [[n for group in _MARKERS.findall(s) for n in _numbers(group)] for s in sentences]
    claims = [_MARKERS.sub("", s).strip() for s in sentences]
    support = support_scores(claims, cited, ranks, embedder)
    unsupported = []
    for i, (claim, numbers) in enumerate(zip(claims, cited)):
        if not numbers:
            if _norm(claim) != _norm(NO_ANSWER):
                unsupported.append(i)
                flagged.append(f"sentence {i + 1} cites no passage")
            continue
        weak = [n for n in dict.fromkeys(numbers) if support[i, n] < threshold or not _numbers_found(claim, ranks[n])]
        if weak:
            unsupported.append(i)
            flagged.append(f"sentence {i + 1}: {', '.join(f'[{n}]' for n in weak)} does not support it")
    citations = list(dict.fromkeys(n for numbers in cited for n in numbers))
    return Answer(text, citations, sentences, unsupported, model, flagged)


def answer_question(
    question: str,
    hits: list[Hit],
    embedder: Embedder,
    settings: Settings,
    client: ChatClient | None = None,
    unknown_names: Sequence[str] = (),
) -> Iterator[Answer]:
    """Answers as they improve, the last one final: the model's answer streamed in (partial=True),
    then checked; without a model, or when it fails (warning set), the extractive answer.
    `unknown_names`: the question's names that the corpus never writes (Searcher.unknown_names)."""
    extractive = extractive_answer(question, hits, embedder, settings.answer_threshold, unknown_names=unknown_names)
    # The passages do not answer (nothing close, not the time asked, no number of what is counted):
    # a model would only guess, so it is not asked.
    if client is None or not extractive.confident:
        yield extractive
        return
    text = ""
    try:
        for delta in client.stream(build_messages(question, hits)):
            text += delta
            yield Answer(text=text, model=client.model, partial=True)
        if not text.strip():
            raise LLMError(f"{client.model} returned an empty answer")
    except LLMError as err:
        extractive.warning = f"the language model failed: {err}; showing the extractive answer"
        yield extractive
        return
    yield check_answer(text, hits, embedder, model=client.model)


def final_answer(answers: Iterator[Answer]) -> Answer:
    """The last answer of answer_question: for callers that do not stream."""
    return deque(answers, maxlen=1)[0]


def support_scores(claims: list[str], cited: list[list[int]], ranks: dict[int, Hit], embedder: Embedder) -> np.ndarray:
    """support[i, n]: the best cosine between claim i and a sentence of passage n, or the whole passage."""
    support = np.zeros((len(claims), max(ranks, default=0) + 1), dtype=np.float32)
    used = sorted({n for numbers in cited for n in numbers})
    if not used or not claims:
        return support
    pieces = {n: [ranks[n].passage.text, *_sentences(ranks[n].passage.text)] for n in used}
    flat = [p for n in used for p in pieces[n]]
    similarity = embedder.encode(claims) @ embedder.encode(flat).T
    offset = 0
    for n in used:
        support[:, n] = similarity[:, offset : offset + len(pieces[n])].max(axis=1)
        offset += len(pieces[n])
    return support


def _numbers_found(claim: str, hit: Hit) -> bool:
    """Every figure in the claim appears in the passage: embeddings barely tell 330 from 900."""
    tokens = _NUMBER.findall(hit.passage.text)
    # The passage's "2015.12.09" and "2024-03-05" also hold 2015, 3 and 5; a claim's "1.5" stays whole.
    found = {_figure(piece) for t in tokens for piece in (t, *re.split(r"[.,]", t))}
    return all(_figure(n) in found for n in _NUMBER.findall(claim))


def _figure(token: str) -> str:
    """One spelling per figure: "1,200" is "1200", "05" is "5"."""
    token = token.replace(",", "")
    return (token.lstrip("0") or "0") if token.isdigit() else token


def _sentences(text: str) -> list[str]:
    return [" ".join(text[a:b].split()) for a, b in sentence_spans(text) if text[a:b].strip()]


def _attach_markers(sentences: list[str]) -> list[str]:
    """Move markers that open a sentence ("... in 2019. [1] Next ...") to the sentence they close."""
    out: list[str] = []
    for sentence in sentences:
        lead = _LEADING_MARKERS.match(sentence)
        if lead and out:
            out[-1] = f"{out[-1]} {lead.group(0).strip()}"
            sentence = sentence[lead.end() :].strip()
        if sentence:
            out.append(sentence)
    return out


def _numbers(group: str) -> list[int]:
    return [int(n) for n in group.split(",")]


def _norm(text: str) -> str:
    return " ".join(text.casefold().split()).strip(" .")
