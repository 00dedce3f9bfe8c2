"""The extractive answer and the citation check with the real model over the real seed index."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys

import pytest

from rag.answer import (
    NO_NUMBER,
    OFF_PERIOD,
    REDUNDANT,
    REFUSAL,
    UNKNOWN_NAMES,
    Answer,
    check_answer,
    extractive_answer,
)
from rag.evaluate import read_questions
from rag.records import Hit, Passage
from rag.settings import Settings, SettingsError

from .conftest import REPO

pytestmark = pytest.mark.slow

QUESTION = "Which company made an antivirus program?"


def norm(text: str) -> str:
    return " ".join(text.split())


def quoted(sentence: str) -> tuple[str, int]:
    """An extractive sentence is a quote followed by ' [n]'."""
    match = re.fullmatch(r"(.+) \[(\d+)\]", sentence)
    assert match, sentence
    return match[1], int(match[2])


@pytest.fixture(scope="module")
def threshold(seed_index) -> float:
    return seed_index[0].answer_threshold


def test_answer_quotes_the_best_sentences_each_with_its_passage(searcher, threshold):
    hits = searcher.search(QUESTION, k=5)
    answer = extractive_answer(QUESTION, hits, searcher.embedder, threshold)
    assert answer.confident and answer.model is None and answer.unsupported == [] and answer.flagged == []
    assert 1 <= len(answer.sentences) <= 3 and answer.text == " ".join(answer.sentences)
    assert "Jiu" in answer.sentences[0] and "virus scanner" in answer.sentences[0]
    numbers = []
    for sentence in answer.sentences:
        quote, n = quoted(sentence)
        assert quote in norm(hits[n - 1].passage.text)  # verbatim, from the passage its marker names
        numbers.append(n)
    assert answer.citations == list(dict.fromkeys(numbers))


def test_dev_questions_are_answered_from_the_right_passage(searcher, threshold):
    """Every answerable dev question gets an answer; for most, its sentences hold the answer text.
    The one exception is a known limit: "At how many spots ..." is refused, since the passage counts
    "six locations" and a count is taken only of the thing the question names (rag.quantity)."""
    questions = read_questions(REPO / "tests" / "data" / "dev_seeds.jsonl")
    holds = 0
    for q in questions:
        hits = searcher.search(q.q, k=5)
        answer = extractive_answer(q.q, hits, searcher.embedder, threshold)
        if q.q.startswith("At how many spots inside the DMZ"):
            assert answer.text == NO_NUMBER
            continue
        assert answer.confident, q.q
        text = norm(answer.text).casefold()
        holds += any(norm(a).casefold() in text for a in q.a)
    # Measured 0.84 on this set (bench/RESULTS.md); answer strings often span more than one sentence.
    assert holds / len(questions) >= 0.8


@pytest.mark.parametrize(
    "question",
    ["asdkjh qwe", "What is the boiling point of mercury?", "How do I bake sourdough bread?", "zxcv bnm poiuy"],
)
def test_nonsense_and_off_topic_questions_are_refused(searcher, threshold, question):
    answer = extractive_answer(question, searcher.search(question, k=5), searcher.embedder, threshold)
    assert not answer.confident and answer.text == REFUSAL and answer.citations == []
    assert answer.closeness < threshold


@pytest.mark.parametrize(
    "question",
    [
        "What did the June 2000 inter-Korean summit between Kim Dae-jung and Kim Jong Il agree on?",
        "What did North Korea's science academy sign with China in March 1998?",
        "What did the party plenary decide in December 2030?",
    ],
)
def test_a_question_about_a_time_no_passage_is_from_is_refused(searcher, threshold, question):
    hits = searcher.search(question, k=5)
    assert hits and [h.in_period for h in hits] == [False] * len(hits)
    assert all(h.to_json()["in_period"] is False for h in hits)
    answer = extractive_answer(question, hits, searcher.embedder, threshold)
    assert not answer.confident and answer.text == OFF_PERIOD and answer.citations == []


def test_a_question_about_a_time_a_passage_names_is_answered(searcher, threshold):
    question = "Which company made an antivirus program in late 2019?"
    hits = searcher.search(question, k=5)
    jiu = next(h for h in hits if "Jiu" in h.passage.text)
    assert jiu.in_period is True  # undated, but it names 2019
    answer = extractive_answer(question, hits, searcher.embedder, threshold)
    assert answer.confident and "Jiu" in answer.text
    assert "in_period" not in searcher.search(QUESTION, k=1)[0].to_json()  # no time asked about: no field


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("What cryptocurrency did North Korea's Lazarus Group hackers steal during 2024?", "Lazarus"),
        ("What was agreed when Kim Jong Un held a summit with Japanese Prime Minister Kishida?", "Kishida"),
    ],
)
def test_a_question_about_something_the_corpus_never_names_is_refused(searcher, threshold, question, names):
    hits = searcher.search(question, k=5)
    unknown = searcher.unknown_names(question)
    assert names in unknown
    assert extractive_answer(question, hits, searcher.embedder, threshold).confident  # close enough without it
    answer = extractive_answer(question, hits, searcher.embedder, threshold, unknown_names=unknown)
    assert not answer.confident and answer.citations == []
    assert answer.text == UNKNOWN_NAMES.format(names=", ".join(unknown)) and names in answer.text


def test_a_byline_answers_only_a_question_about_the_names_it_holds(searcher, threshold):
    question = "Who is Ifang Bremer?"
    who = extractive_answer(question, searcher.search(question, k=5), searcher.embedder, threshold)
    assert who.confident and quoted(who.sentences[0])[0].startswith("Ifang Bremer")
    for question in ("What happened on February 30, 2024?", "In April 2024?"):
        answer = extractive_answer(question, searcher.search(question, k=5), searcher.embedder, threshold)
        lowercase = [sum(w[0].islower() for w in quoted(s)[0].split()) for s in answer.sentences if answer.confident]
        assert all(n >= 2 for n in lowercase), answer.sentences  # "Ifang Bremer June 6, 2024" said nothing


def test_no_sentence_repeats_another(searcher, threshold):
    for question in ("Russian tourist train to North Korea", "North Korea balloons", "joint degree program Brazil"):
        hits = searcher.search(question, k=5)
        answer = extractive_answer(question, hits, searcher.embedder, threshold)
        quotes = [quoted(s)[0] for s in answer.sentences]
        vectors = searcher.embedder.encode(quotes)
        for a, b in itertools.combinations(range(len(quotes)), 2):
            assert float(vectors[a] @ vectors[b]) < REDUNDANT, (quotes[a], quotes[b])


def test_extractive_answer_passes_its_own_check(searcher, threshold):
    for question in (QUESTION, "Where was the long-range cruise missile launch drill held?"):
        hits = searcher.search(question, k=5)
        answer = extractive_answer(question, hits, searcher.embedder, threshold)
        checked = check_answer(answer.text, hits, searcher.embedder)
        assert checked.unsupported == [] and checked.flagged == [] and checked.citations == answer.citations


def test_check_reads_markers_after_the_full_stop_and_in_lists(searcher):
    hits = searcher.search(QUESTION, k=5)
    jiu = next(h.rank for h in hits if "Jiu Economic" in h.passage.text)
    text = (
        "The Jiu Economic Technology Development Company created the virus scanner Jiu in late 2019. "
        f"[{jiu}] The scanner Jiu is now popular [{jiu}, {jiu}]."
    )
    checked = check_answer(text, hits, searcher.embedder, model="m")
    assert checked.sentences == [
        f"The Jiu Economic Technology Development Company created the virus scanner Jiu in late 2019. [{jiu}]",
        f"The scanner Jiu is now popular [{jiu}].",
    ]
    assert checked.citations == [jiu] and checked.unsupported == []


def test_answer_json_keys():
    answer = Answer(text="x [1]", citations=[1], sentences=["x [1]"], model="m")
    assert answer.to_json() == {
        "text": "x [1]",
        "citations": [1],
        "unsupported": [],
        "model": "m",
        "sentences": ["x [1]"],
        "flagged": [],
    }


def test_llm_settings_go_together():
    with pytest.raises(SettingsError, match="both --llm-url and --llm-model"):
        Settings.from_env(environ={"RAG_LLM_URL": "http://localhost:11434/v1"})
    with pytest.raises(SettingsError, match="http://"):
        Settings.from_env(environ={}, llm_url="localhost:11434", llm_model="m")
    settings = Settings.from_env(environ={"RAG_LLM_TIMEOUT": "5", "RAG_ANSWER_THRESHOLD": "0.4"})
    assert (settings.llm_timeout, settings.answer_threshold) == (5.0, 0.4)


def test_rendered_answer_escapes_text_links_markers_and_marks_unsupported():
    from rag.app import render_answer

    passage = Passage("t", "a.txt", None, None, 1, 1, None, None)
    hits = [Hit(passage, 1.0, rank=1), Hit(passage, 0.5, rank=2)]
    answer = Answer(
        text="",
        citations=[1, 2],
        sentences=["<img src=x onerror=alert(1)> [1]", "Bad claim [2]"],
        unsupported=[1],
        model="<b>m</b>",
        flagged=["sentence 2: [2] does not support <it>"],
    )
    page = render_answer(answer, hits)
    assert "<img" not in page and "<b>m</b>" not in page and "<it>" not in page
    assert '<a href="#hit-1">[1]</a>' in page and "answered by &lt;b&gt;m&lt;/b&gt;" in page
    assert re.search(r'class="unsupported"[^>]*>⚠ Bad claim <a href="#hit-2">', page)
    extractive = render_answer(Answer(text="q [1]", citations=[1], sentences=["q [1]"]), hits)
    assert "no language model configured" in extractive


def rag(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    return subprocess.run(
        [sys.executable, "-m", "rag", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )


def test_cli_ask_json_is_the_search_object_plus_the_answer(seed_index):
    settings, _ = seed_index
    asked = rag("ask", QUESTION, "--json", "--index", str(settings.index_dir))
    searched = rag("search", QUESTION, "--json", "--index", str(settings.index_dir))
    assert asked.returncode == 0 and searched.returncode == 0, asked.stderr + searched.stderr
    obj = json.loads(asked.stdout)
    answer = obj.pop("answer")
    assert obj == json.loads(searched.stdout)
    assert answer["model"] is None and answer["unsupported"] == [] and answer["citations"]
    assert "Jiu" in answer["text"] and re.search(r" \[\d\]$", answer["text"])
    assert asked.stderr.strip() == ""


def test_cli_ask_prints_the_answer_then_the_passages(seed_index):
    settings, _ = seed_index
    done = rag("ask", "asdkjh qwe", "--index", str(settings.index_dir))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Answer:\n  {REFUSAL}\n\n[1] seeds/")


def test_cli_ask_says_which_name_no_document_has_and_which_time_no_passage_is_from(seed_index):
    index = str(seed_index[0].index_dir)
    lazarus = rag("ask", "How much cryptocurrency did the Lazarus Group hackers steal?", "--index", index)
    assert lazarus.returncode == 0, lazarus.stderr
    assert lazarus.stdout.startswith(f"Answer:\n  {UNKNOWN_NAMES.format(names='Lazarus')}\n\n[1] seeds/")
    summit = rag("ask", "What did the June 2000 inter-Korean summit agree on?", "--json", "--index", index)
    obj = json.loads(summit.stdout)
    assert obj["answer"]["text"] == OFF_PERIOD and {r["in_period"] for r in obj["results"]} == {False}


def test_the_answer_opens_with_the_sentence_the_search_marked_in_the_first_passage(searcher, threshold):
    """Read in its passage, the marked sentence answers more often than the one closest on its own,
    which is often a story's opening that restates the question (answer held 0.412 -> 0.497 on the
    KCNA test split). Over the seeds held-out questions it opens every confident answer."""
    lines = (REPO / "bench" / "questions" / "seeds_tune.jsonl").read_text(encoding="utf-8").splitlines()
    opened = 0
    for question in (json.loads(line)["q"] for line in lines[:20]):
        hits = searcher.search(question, k=5)
        answer = extractive_answer(question, hits, searcher.embedder, threshold)
        marked = " ".join(hits[0].passage.text[hits[0].highlight[0] : hits[0].highlight[1]].split())
        if answer.confident and len(marked.split()) >= 4:
            assert answer.sentences[0].startswith(marked), (question, answer.sentences[0], marked)
            opened += 1
    assert opened >= 10


@pytest.mark.parametrize(
    "question",
    [
        "How many engineers work at the company that made the Jiu antivirus program?",
        "How many copies of the Jiu antivirus program were sold?",
    ],
)
def test_a_question_for_a_number_no_passage_gives_is_refused(searcher, threshold, question):
    """The Jiu story is close to these questions, but gives no count of engineers or of copies."""
    answer = extractive_answer(question, searcher.search(question, k=5), searcher.embedder, threshold)
    assert not answer.confident and answer.text == NO_NUMBER


def test_a_question_for_a_number_is_answered_first_by_a_sentence_that_gives_it(searcher, threshold):
    question = "At how many locations inside the DMZ has North Korea cleared land?"
    answer = extractive_answer(question, searcher.search(question, k=5), searcher.embedder, threshold)
    assert answer.confident and "six locations" in answer.sentences[0]
