"""Retrieval quality on the held-out question sets (bench/questions/), `tune` and `test` side by
side, with the naive baselines measured in the same run; and BEIR SciFact.

Every choice is made on `tune`; `test` is reported and never used to choose. A question counts as
answered at rank r when the r-th passage holds one of its answer strings (case and whitespace
aside); "article" columns count the right KCNA record or seed file anywhere in the top k, so that
"right article, wrong passage" is its own number. The strata columns are Hit@1 on long stories
(> 500 words) and on answers in the last third of their story.

Run: .venv/bin/python bench/quality.py [--split tune|test|both] [--sets kcna,seeds] [--variants ...]
     [--no-naive] [--scifact] [--quantities] [--latest 0,0.2]
     [--typed "small letters,capitals,a slip,dates in figures,in a message,in a message (set B)"]"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from common import KCNA, REPO, SHARED, WORK, built_index
from naive import NaivePipeline

from rag.answer import extractive_answer
from rag.retrieve import QueryError, Searcher
from rag.settings import Settings

QUESTIONS = REPO / "bench" / "questions"
SCIFACT = SHARED / "eval" / "scifact"
KCNA_FILE = KCNA / "kcna_en_2023-12-24_2024-11-10.json"
CORPORA = {"kcna": KCNA, "seeds": REPO / "seeds"}
PUBLISHED = "BM25 0.665 (BEIR paper) · bm25s 0.687 · all-MiniLM-L6-v2 0.645 · BM25 + cross-encoder 0.688"

# Search-time variants of the product, each a set of setting overrides: the ablation rows.
VARIANTS: dict[str, dict] = {
    "default": {},
    "dense only": {"fusion": "dense"},
    "bm25 only": {"fusion": "bm25"},
    "rrf": {"fusion": "rrf"},
    "convex 0.5 (the old default)": {"fusion": "convex"},
    "no MMR": {"diversity": 0.0},
    "no date boost": {"date_boost": 0.0},
    "no number boost": {"number_boost": 0.0},
    "no sender boost": {"sender_boost": 0.0},
    "no report lag": {"report_lag_days": 0},
    "report lag 3 days": {"report_lag_days": 3},
    "report lag 14 days": {"report_lag_days": 14},
    "no spelling variants": {"spelling_variants": False},
}


def _slip(question: str) -> str:
    """Two letters swapped in the middle of the question's longest word (of six letters or more)."""
    words = re.findall(r"[A-Za-z]{6,}", question)
    if not words:
        return question
    word = max(words, key=len)
    i = len(word) // 2
    return question.replace(word, word[:i] + word[i + 1] + word[i] + word[i + 2 :], 1)


_MONTH_NAMES = "January|February|March|April|May|June|July|August|September|October|November|December"
_DAY_IN_WORDS = re.compile(
    rf"\b(?:(?P<day>\d{{1,2}}) (?P<month>{_MONTH_NAMES})|(?P<month2>{_MONTH_NAMES}) (?P<day2>\d{{1,2}}),?)"
    r" (?P<year>20\d\d)\b"
)


def _in_figures(question: str) -> str:
    """Each day written in words ("September 9, 2024", "9 September 2024") in ISO figures."""

    def iso(m: re.Match) -> str:
        month = _MONTH_NAMES.split("|").index(m["month"] or m["month2"]) + 1
        return f"{m['year']}-{month:02d}-{int(m['day'] or m['day2']):02d}"

    return _DAY_IN_WORDS.sub(iso, question)


# A question written as a message to a person: a greeting, words about the asker, a frame around
# the question, thanks. Written before the product read them; the tune questions get the first ten,
# the test questions the other ten, so that no frame the product was tried on is scored on test.
_FRAMES = {
    "tune": (
        "Hi, I'm researching North Korean media. Could you find out: {q}",
        "I'm researching North Korean media. {Q}",
        "Could you tell me {q}",
        "Hello! I'm a journalist working on a story about the DPRK. {Q} Thanks in advance.",
        "Quick question for my report: {Q}",
        "I need this for an article I'm writing. {Q}",
        "Please find out {q}",
        "{Q} I need it for a briefing tomorrow.",
        "Hey there. My editor wants to know: {Q}",
        "As an analyst tracking Pyongyang, I'd like to know {q}",
    ),
    "test": (
        "Good morning. I work at a think tank covering Korea. {Q}",
        "Can you please tell me {q}",
        "I'm writing a paper on North Korean propaganda. {Q} Thank you!",
        "Hi! Can you help me find out {q}",
        "Question: {Q}",
        "We are compiling a timeline of events. {Q}",
        "Would you let me know {q} Many thanks.",
        "{Q} This is for my thesis.",
        "I was reading KCNA this morning and got curious. {Q}",
        "Dear assistant, {q}",
    ),
}


def _in_a_message(question: str, split: str, frames: tuple[str, ...] = ()) -> str:
    """The question inside one of its split's frames (or of `frames`), the same frame on every run."""
    frames = frames or _FRAMES["test" if split == "test" else "tune"]
    frame = frames[zlib.crc32(question.encode()) % len(frames)]
    first = question.split(" ", 1)[0]
    # "what did ..." inside a sentence, but a name keeps its capital ("Kim Jong Un visited ...")
    inner = question[0].lower() + question[1:] if first.lower() in _QUESTION_WORDS else question
    return frame.format(q=inner, Q=question)


# fmt: off
_QUESTION_WORDS = {
    "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "did", "does", "do", "was", "were",
    "is", "are", "has", "have", "had", "can", "could", "according", "in", "on", "at", "after", "during", "for",
    "from", "by", "to", "with", "about", "name", "the", "a", "an",
}
# fmt: on

# The questions as users also type them: the default ranking scored on each (`--typed`).
TYPINGS: dict[str, Callable[[str, str], str]] = {
    "small letters": lambda q, split: q.lower(),
    "capitals": lambda q, split: q.upper(),
    "a slip": lambda q, split: _slip(q),
    "dates in figures": lambda q, split: _in_figures(q),
    "in a message": _in_a_message,
    # 40 frames each, written by helpers who saw neither the product nor the frames above: set A was
    # read before the product's reading of frames was final, set B only after (bench/RESULTS.md).
    "in a message (set A)": lambda q, split: _in_a_message(q, split, _frames_of("frames_a.txt")),
    "in a message (set B)": lambda q, split: _in_a_message(q, split, _frames_of("frames_b.txt")),
    # Sets C and D: more helpers, each read only after the rules it scores were final (bench/RESULTS.md)
    "in a message (set C)": lambda q, split: _in_a_message(q, split, _frames_of("frames_c.txt")),
    "in a message (set D)": lambda q, split: _in_a_message(q, split, _frames_of("frames_d.txt")),
    # Each question as a search-box query ("Kim Yo Jong drone Pyongyang evidence"), written by a helper
    # from the question alone, without the passages, the answers or the product (bench/RESULTS.md).
    "keywords": lambda q, split: _keywords()[q],
}


@lru_cache(maxsize=1)
def _keywords() -> dict[str, str]:
    """Each held-out question (answerable or not) -> its keyword version."""
    files = ("keywords.jsonl", "unanswerable_keywords.jsonl")
    rows = [json.loads(line) for f in files for line in (QUESTIONS / f).read_text(encoding="utf-8").splitlines()]
    return {r["q"]: r["kw"] for r in rows}


def _frames_of(name: str) -> tuple[str, ...]:
    return tuple(line for line in (QUESTIONS / name).read_text(encoding="utf-8").splitlines() if line.strip())


@dataclass
class Question:
    q: str
    a: list[str]
    articles: set[str]  # every record (or seed file) that holds the sentence the question was written from
    length: str = ""
    position: str = ""
    genre: str = ""


def read_set(name: str, split: str) -> list[Question]:
    path = QUESTIONS / f"{name}_{split}.jsonl"
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        articles = {CANONICAL.get(r["source"], r["source"])} | holders(r["target"])
        out.append(Question(r["q"], r["a"], articles, r.get("length", ""), r.get("position", ""), r.get("genre", "")))
    return out


def squash(text: str) -> str:
    return "".join(text.casefold().split())


@dataclass
class Ranked:
    """One question's top ten: each passage's text and the articles it stands for."""

    texts: list[str]
    articles: list[set[str]]


def first_rank(items: list[bool]) -> int | None:
    return next((i for i, ok in enumerate(items, start=1) if ok), None)


def score(questions: list[Question], runs: list[Ranked]) -> dict[str, float]:
    ranks, article_ranks = [], []
    for question, run in zip(questions, runs):
        wanted = [squash(a) for a in question.a]
        ranks.append(first_rank([any(w in squash(t) for w in wanted) for t in run.texts]))
        article_ranks.append(first_rank([bool(question.articles & a) for a in run.articles]))

    def hit(rs, k, keep=lambda q: True):
        chosen = [r for q, r in zip(questions, rs) if keep(q)]
        return sum(1 for r in chosen if r is not None and r <= k) / len(chosen) if chosen else None

    return {
        "Hit@1": hit(ranks, 1),
        "Hit@5": hit(ranks, 5),
        "MRR@10": sum(1 / r for r in ranks if r is not None and r <= 10) / len(questions),
        "Art@1": hit(article_ranks, 1),
        "Art@5": hit(article_ranks, 5),
        "long@1": hit(ranks, 1, lambda q: q.length == "long"),
        "last@1": hit(ranks, 1, lambda q: q.position == "last"),
    }


def same_story_links() -> tuple[dict[str, str], list[str], dict[str, str]]:
    """Each KCNA link -> the first link of a record with the same text (the scrape holds many
    stories two to four times under different links, and any copy is the right article); the
    link of each record by its position in the file (how the product cites a record: FILE#POSITION);
    and each link's text, whitespace dropped."""
    first: dict[str, str] = {}
    canonical, links, stories = {}, [], {}
    for record in json.loads(KCNA_FILE.read_text(encoding="utf-8")):
        stories[record["link"]] = text = squash(record.get("story_text") or "")
        canonical[record["link"]] = first.setdefault(text or record["link"], record["link"])
        links.append(record["link"])
    return canonical, links, stories


CANONICAL, RECORD_LINKS, STORIES = same_story_links()


def holders(sentence: str) -> set[str]:
    """The KCNA records whose text holds `sentence`: the same paragraph is printed in several
    stories (a press review, a reprint with one line more), and each is the right article."""
    wanted = squash(sentence)
    return {CANONICAL.get(link, link) for link, text in STORIES.items() if wanted in text}


def articles_of(passage) -> set[str]:
    """The articles a passage stands for: its own and those it is repeated in (`also_in`)."""
    places = set()
    for place in (passage.source, *passage.also_in):
        name, _, record = place.split(",")[0].partition("#")
        places.add(RECORD_LINKS[int(record)] if record.isdigit() and name.endswith(KCNA_FILE.name) else Path(name).name)
    return {CANONICAL.get(p, p) for p in places}


def product_runs(searcher: Searcher, questions: list[Question]) -> list[Ranked]:
    runs = []
    for question in questions:
        hits = searcher.search(question.q, k=10, highlight=False)
        runs.append(Ranked([h.passage.text for h in hits], [articles_of(h.passage) for h in hits]))
    return runs


def naive_runs(pipeline: NaivePipeline, method: Callable[[str], list[int]], questions: list[Question]) -> list[Ranked]:
    runs = []
    for question in questions:
        top = method(question.q)[:10]
        articles = [{CANONICAL.get(pipeline.chunks[i].article, pipeline.chunks[i].article)} for i in top]
        runs.append(Ranked([pipeline.chunks[i].text for i in top], articles))
    return runs


COLUMNS = ("Hit@1", "Hit@5", "MRR@10", "Art@1", "Art@5", "long@1", "last@1")


def print_row(label: str, by_split: dict[str, dict[str, float]]) -> None:
    cells = [" / ".join("–" if by_split[s][c] is None else f"{by_split[s][c]:.3f}" for s in by_split) for c in COLUMNS]
    print(f"| {label} | " + " | ".join(cells) + " |", flush=True)


def refusals(searcher: Searcher, questions: list[str]) -> float:
    """Share of the questions for which the extractive answer says the corpus does not answer."""
    refused = 0
    for q in questions:
        try:
            hits = searcher.search(q, k=5)
        except QueryError:  # a question in a script no document is in: told so, nothing answered
            refused += 1
            continue
        threshold, unknown = searcher.settings.answer_threshold, searcher.unknown_names(q)
        refused += extractive_answer(q, hits, searcher.embedder, threshold, unknown_names=unknown).confident is False
    return refused / max(1, len(questions))


def question_sets(
    sets: list[str],
    splits: list[str],
    variants: list[str],
    naive: bool,
    precisions: list[str] | None = None,
    model: str | None = None,
    typings: list[str] = (),
) -> None:
    kcna = None
    for name in sets:
        builds = {}
        for precision in precisions or [None]:
            label = f"{name}-{precision}" if precision else name
            if model:  # a tuned model: its own index beside the stock one
                label = f"{label}-{Path(model).name}"
            builds[precision], seconds = built_index(label, CORPORA[name], precision=precision, model=model)
            if seconds:
                print(f"(built the {label} index in {seconds:.0f} s)")
        kcna = next(iter(builds.values())) if name == "kcna" else kcna
        if precisions and len(precisions) > 1:
            print(vector_agreement(builds))
        questions = {s: read_set(name, s) for s in splits}
        print(f"\n### {name}: " + " / ".join(f"{s} {len(q)} q" for s, q in questions.items()))
        print("\n| retrieval (" + " / ".join(splits) + ") | " + " | ".join(COLUMNS) + " |")
        print("|---|" + "---|" * len(COLUMNS))
        if naive:
            pipeline = NaivePipeline(KCNA_FILE if name == "kcna" else CORPORA[name], WORK)
            for label, method in (
                ("naive BM25", pipeline.bm25),
                ("naive dense", pipeline.dense),
                ("naive RRF", pipeline.rrf),
            ):
                print_row(label, {s: score(q, naive_runs(pipeline, method, q)) for s, q in questions.items()})
        for precision, settings in builds.items():
            for variant in variants:
                searcher = Searcher(settings)
                searcher.settings = replace(settings, **VARIANTS[variant]).validated()
                label = f"rag {variant}" + (f" [{precision} vectors]" if precision else "")
                print_row(label, {s: score(q, product_runs(searcher, q)) for s, q in questions.items()})
            for typing in typings:
                typed = {s: [replace(x, q=TYPINGS[typing](x.q, s)) for x in q] for s, q in questions.items()}
                searcher = Searcher(settings)
                if naive:  # the baseline to beat, on the same typing
                    runs = {s: score(q, naive_runs(pipeline, pipeline.bm25, q)) for s, q in typed.items()}
                    print_row(f"naive BM25, typed: {typing}", runs)
                scores = {s: score(q, product_runs(searcher, q)) for s, q in typed.items()}
                print_row(f"rag default, typed: {typing}", scores)
    unanswerable = {s: [json.loads(line) for line in (QUESTIONS / f"unanswerable_{s}.jsonl").open()] for s in splits}
    print("\n### Refusals of the extractive answer (answerable: lower is better)\n")
    print("| index | split | unanswerable refused | those of its corpus | answerable refused |\n|---|---|---|---|---|")
    for name in dict.fromkeys(["kcna", *sets]):
        searcher = Searcher(kcna if name == "kcna" and kcna else built_index(name, CORPORA[name])[0])
        for s in splits:
            own = [r["q"] for r in unanswerable[s] if r["corpus"] in (name, "both")]
            every = refusals(searcher, [r["q"] for r in unanswerable[s]])
            answerable = refusals(searcher, [q.q for q in read_set(name, s)])
            print(f"| {name} | {s} | {every:.3f} | {refusals(searcher, own):.3f} | {answerable:.3f} |")
            for typing in typings:
                typed = [TYPINGS[typing](q, s) for q in (r["q"] for r in unanswerable[s])]
                own = [TYPINGS[typing](r["q"], s) for r in unanswerable[s] if r["corpus"] in (name, "both")]
                answerable = refusals(searcher, [TYPINGS[typing](q.q, s) for q in read_set(name, s)])
                every, theirs = refusals(searcher, typed), refusals(searcher, own)
                print(f"| {name}, typed: {typing} | {s} | {every:.3f} | {theirs:.3f} | {answerable:.3f} |")


def vector_agreement(builds: dict) -> str:
    """Per-passage cosine between the vectors of the same corpus built at two precisions."""
    from rag.index import StoredIndex

    (a, first), (b, second) = list(builds.items())[:2]
    one, two = StoredIndex(first.index_dir), StoredIndex(second.index_dir)
    ids = list(range(len(one)))
    assert [p.text for p in one.get(ids)] == [p.text for p in two.get(ids)], "not the same passages"
    cosines = np.sum(one.vectors_of(ids) * two.vectors_of(ids), axis=1)
    return (
        f"cosine of {a} to {b} passage vectors: mean {cosines.mean():.5f}, min {cosines.min():.5f}, "
        f"5th percentile {np.percentile(cosines, 5):.5f} ({len(ids)} passages)"
    )


def scifact() -> None:
    from rag.beir import evaluate_split, load_split

    settings, seconds = built_index("scifact", SCIFACT / "corpus.jsonl")
    if seconds:
        print(f"(built the SciFact index in {seconds:.0f} s)")
    test = load_split(SCIFACT, "test")
    print(f"\n### BEIR SciFact test ({len(test.queries)} queries); published: {PUBLISHED}\n")
    print("| retrieval | nDCG@10 | Recall@100 |\n|---|---|---|")
    for label, overrides in (("dense only", {"fusion": "dense"}), ("BM25 only", {"fusion": "bm25"}), ("default", {})):
        searcher = Searcher(settings)
        searcher.settings = replace(settings, **overrides).validated()
        scores = evaluate_split(test, lambda q, s=searcher: s.search(q, k=300, highlight=False))
        print(f"| {label} | {scores['ndcg_at_10']:.4f} | {scores['recall_at_100']:.4f} |", flush=True)


def latest(settings, splits: list[str], margins: list[float]) -> None:
    """ "What did Kim Yo Jong's latest statement condemn?": the newest (or, for "the earliest", the
    oldest) story of a recurring kind is the answer (bench/questions/latest.jsonl, KCNA). Scored at
    the article level: one of the answer's links first, or in the top five; margin 0 turns it off."""
    rows = [json.loads(line) for line in (QUESTIONS / "latest.jsonl").open(encoding="utf-8")]
    searcher = Searcher(settings)
    print("\n### The latest (or earliest) of its kind: KCNA, article level\n")
    print(
        "| order_margin | "
        + " | ".join(f"{s} ({sum(r['split'] == s for r in rows)} q) Art@1 / Art@5" for s in splits)
        + " |"
    )
    print("|---|" + "---|" * len(splits))
    for margin in margins:
        searcher.settings = replace(settings, order_margin=margin).validated()
        cells = []
        for split in splits:
            chosen = [r for r in rows if r["split"] == split]
            first = top5 = 0
            for row in chosen:
                wanted = {CANONICAL.get(link, link) for link in row["answer_links"]}
                found = [articles_of(h.passage) for h in searcher.search(row["q"], k=5, highlight=False)]
                first += bool(found and found[0] & wanted)
                top5 += any(a & wanted for a in found)
            cells.append(f"{first / len(chosen):.3f} / {top5 / len(chosen):.3f}")
        label = f"{margin}" + (" (off)" if margin == 0 else " (default)" if margin == Settings().order_margin else "")
        print(f"| {label} | " + " | ".join(cells) + " |")


def quantities(settings, splits: list[str]) -> None:
    """ "How many sheep are raised on the Muwon Tableland?": questions that ask for a number, with the
    answer string (bench/questions/quantities.jsonl), and near misses whose story gives no such number
    (quantity_misses.jsonl), each written from randomly drawn KCNA records. Scored for retrieval and
    for the extractive answer: refused, holding the answer string, opening with it."""
    searcher = Searcher(settings)
    answerable, misses = (
        [json.loads(line) for line in (QUESTIONS / name).open(encoding="utf-8")]
        for name in ("quantities.jsonl", "quantity_misses.jsonl")
    )
    print("\n### Questions that ask for a number: KCNA\n")
    print("| split | Hit@1 | Hit@5 | answerable refused | answer holds it | its first sentence does | misses refused |")
    print("|---|---|---|---|---|---|---|")
    for split in splits:
        rows = [r for r in answerable if r["split"] == split]
        first = top5 = refused = holds = opens = 0
        for row in rows:
            hits = searcher.search(row["q"], k=5)
            held = [any(squash(a) in squash(h.passage.text) for a in row["a"]) for h in hits]
            first, top5 = first + bool(held and held[0]), top5 + any(held)
            threshold, unknown = settings.answer_threshold, searcher.unknown_names(row["q"])
            answer = extractive_answer(row["q"], hits, searcher.embedder, threshold, unknown_names=unknown)
            refused += not answer.confident
            holds += answer.confident and any(squash(a) in squash(answer.text) for a in row["a"])
            opens += answer.confident and any(squash(a) in squash(answer.sentences[0]) for a in row["a"])
        missed = refusals(searcher, [r["q"] for r in misses if r["split"] == split])
        n = len(rows)
        print(
            f"| {split} ({n} + {sum(r['split'] == split for r in misses)} q) | {first / n:.3f} | {top5 / n:.3f} | "
            f"{refused / n:.3f} | {holds / n:.3f} | {opens / n:.3f} | {missed:.3f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("tune", "test", "both"), default="both")
    parser.add_argument("--sets", default="kcna,seeds")
    parser.add_argument("--variants", default="default", help=f"comma-separated, of: {', '.join(VARIANTS)}; or 'all'")
    parser.add_argument("--no-naive", action="store_true", help="leave out the naive baselines")
    parser.add_argument("--scifact", action="store_true", help="also BEIR SciFact (builds a 5k-document index)")
    parser.add_argument("--precisions", help="e.g. fp32,bf16: an index built at each, scored side by side")
    parser.add_argument("--model", help="a model folder (e.g. from `rag tune`): the product rows use it")
    parser.add_argument(
        "--latest", help="also 'the latest of its kind' questions at these order_margin values, e.g. 0,0.2"
    )
    parser.add_argument("--quantities", action="store_true", help="also the questions that ask for a number")
    parser.add_argument("--typed", default="", help=f"also the questions typed otherwise, of: {', '.join(TYPINGS)}")
    args = parser.parse_args()
    started = time.perf_counter()
    splits = ["tune", "test"] if args.split == "both" else [args.split]
    variants = list(VARIANTS) if args.variants == "all" else args.variants.split(",")
    precisions = args.precisions.split(",") if args.precisions else None
    typings = [t for t in args.typed.split(",") if t]
    question_sets(args.sets.split(","), splits, variants, not args.no_naive, precisions, args.model, typings)
    if args.latest:
        latest(built_index("kcna", KCNA)[0], splits, [float(m) for m in args.latest.split(",")])
    if args.quantities:
        quantities(built_index("kcna", KCNA)[0], splits)
    if args.scifact:
        scifact()
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
