"""Odd questions: empty, blank, 10,000 characters, control characters, Korean, emoji, SQL- and regex-like
text. Each gets a result or a clear message, never a traceback: from the searcher, the page, the
`rag search` command and the app's HTTP API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

import pytest

from rag.retrieve import QueryError

from .conftest import REPO
from .running import client_for, running_app

pytestmark = pytest.mark.slow

QUESTION = "Which company made an antivirus program?"
QUERIES = {
    "empty": "",
    "whitespace": " \t\n\r\u3000\u00a0 ",
    "10k-words": ((QUESTION + " ") * 250)[:10_000],
    "10k-one-word": "a" * 10_000,
    "control-chars": "Jiu\x00 antivirus\x07\x1b[31m program\x7f\x08?",
    "only-control-chars": "\x00\x01\x02\x1b\x7f",
    "korean": "평양에서 열린 과학기술 전시회",
    "emoji": "🚀🇰🇵 missile launch 💥",
    "only-emoji": "🙂🙂🙂",
    "sql": "'; DROP TABLE passages; --",
    "sql-in-quotes": '"\' OR 1=1; --" railway',
    "like-wildcards-in-quotes": '"%_%" railway',
    "regex": r".*(?:rail|train)+[^\]\\$",
    "unbalanced-brackets": "((([[{{ ** ?? \\",
    "only-quotes": '""""""',
    "bidi-and-zero-width": "\u202eniart\u200b\ufeff",
    "impossible-date": "ceremonies on 31 February 2024",
}
BLANK = {"empty", "whitespace"}
# What a JSON "\ud800" or a byte that is not UTF-8 in argv becomes in Python: a lone surrogate.
LONE_SURROGATE = "\ud800 railway"


def check_hits(hits) -> None:
    assert isinstance(hits, list)
    for rank, hit in enumerate(hits, start=1):
        obj = hit.to_json()
        json.dumps(obj, ensure_ascii=False)
        assert obj["rank"] == rank and obj["text"] and obj["source"]
        if obj["highlight"]:
            start, end = obj["highlight"]
            assert 0 <= start < end <= len(obj["text"])


def check_message(err: Exception) -> None:
    message = str(err)
    assert message and "\n" not in message and "Traceback" not in message


# --- the searcher -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(QUERIES))
def test_searcher_answers_or_refuses_with_a_message(searcher, name):
    try:
        hits = searcher.search(QUERIES[name])
    except QueryError as err:  # a clear refusal is an answer too
        check_message(err)
        assert name not in BLANK or "empty" in str(err)
        return
    assert name not in BLANK, "a blank question should be refused with a message"
    check_hits(hits)
    assert len(hits) <= searcher.settings.k


@pytest.mark.parametrize("name", ["only-emoji", "only-control-chars", "only-quotes", "unbalanced-brackets"])
def test_a_question_without_a_word_is_refused_not_answered(searcher, name):
    # Any passage would come back for "🙂🙂🙂", with a score that looks like any other.
    with pytest.raises(QueryError, match="no words, only punctuation or symbols") as err:
        searcher.search(QUERIES[name])
    check_message(err.value)


def test_plain_question_still_answers_after_the_odd_ones(searcher):
    hits = searcher.search(QUESTION, k=3)
    assert "Jiu Economic Technology Development Company" in hits[0].passage.text


def test_sql_like_question_leaves_the_index_intact(searcher, seed_index):
    _, report = seed_index
    searcher.search("x'); DELETE FROM passages; DROP TABLE chunks; --")
    searcher.search('"\'); DELETE FROM passages; --"')
    assert searcher.index.db.execute("SELECT COUNT(*) FROM passages").fetchone()[0] == report.passages


def test_question_with_a_lone_surrogate_is_answered_or_refused(searcher):
    try:
        hits = searcher.search(LONE_SURROGATE)
    except QueryError as err:
        check_message(err)
        return
    check_hits(hits)


def test_negative_k_is_refused_or_clamped(searcher):
    try:
        hits = searcher.search("railway", k=-1, highlight=False)
    except QueryError as err:
        check_message(err)
        return
    assert len(hits) <= searcher.settings.k


def test_the_page_shows_a_result_or_a_message_for_every_odd_question(seed_index):
    """What the app's Search button renders (Engine.search, then render_hits or the message)."""
    from rag.app import Engine, render_hits

    settings, _ = seed_index
    engine = Engine(settings)
    try:
        for name in ("empty", "whitespace", "10k-one-word", "control-chars", "emoji", "like-wildcards-in-quotes"):
            try:
                page = render_hits(engine.search(QUERIES[name], 5), engine)
            except QueryError as err:
                check_message(err)
                continue
            assert page.startswith("<") and ("<script" not in page), name
    finally:
        engine.searcher.close()


# --- the command line ---------------------------------------------------------------------------


def rag(*args, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    return subprocess.run([sys.executable, "-m", "rag", *args], cwd=REPO, env=env, capture_output=True, timeout=timeout)


def test_cli_answers_a_file_of_odd_questions_with_one_json_object_each(seed_index, tmp_path):
    settings, _ = seed_index
    names = ("10k-words", "control-chars", "korean", "emoji", "sql-in-quotes", "regex", "bidi-and-zero-width")
    questions = [QUERIES[name] for name in names]
    path = tmp_path / "odd.txt"
    path.write_text("\n".join(questions) + "\n", encoding="utf-8")
    done = rag("search", "--json", "--queries", str(path), "--index", str(settings.index_dir))
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 0, stderr
    assert "Traceback" not in stderr
    objects = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert [o["query"] for o in objects] == questions
    assert all(isinstance(o["results"], list) for o in objects)


def test_cli_refuses_a_blank_question_with_one_line(seed_index):
    settings, _ = seed_index
    done = rag("search", " \t ", "--index", str(settings.index_dir))
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode != 0 and "Traceback" not in stderr
    assert stderr.strip().splitlines() == ["Error: the question is empty: type a few words to search for"]


def test_cli_question_with_bytes_that_are_not_utf8_gets_an_answer_or_a_message(seed_index):
    settings, _ = seed_index
    done = rag("search", b"\xff\xfe railway", "--index", str(settings.index_dir))
    stderr = done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr, stderr[-500:]
    if done.returncode:
        assert stderr.strip().startswith("Error:") and len(stderr.strip().splitlines()) == 1


# --- the app's HTTP API -------------------------------------------------------------------------


def call_api(url: str, endpoint: str, data: list, timeout: float = 120) -> tuple[str, object]:
    """The raw HTTP API, for what gradio_client cannot send: (last event, its data)."""
    request = urllib.request.Request(
        f"{url}gradio_api/call/{endpoint}",
        data=json.dumps({"data": data}).encode(),  # ensure_ascii: a lone surrogate goes as "\ud800"
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        event_id = json.load(response)["event_id"]
    with urllib.request.urlopen(f"{url}gradio_api/call/{endpoint}/{event_id}", timeout=timeout) as stream:
        body = stream.read().decode()
    events = [block for block in body.split("\n\n") if block.strip()]
    event, data_line = events[-1].split("\n", 1)
    return event.removeprefix("event: ").strip(), json.loads(data_line.removeprefix("data: "))


@pytest.fixture(scope="module")
def seed_app(seed_index, tmp_path_factory):
    settings, _ = seed_index
    log = tmp_path_factory.mktemp("app") / "app.log"
    with running_app(settings.index_dir, log) as (url, _):
        yield url, client_for(url), log


@pytest.mark.parametrize("name", list(QUERIES))
def test_api_answers_every_odd_question(seed_app, name):
    _, client, _ = seed_app
    result = client.predict(QUERIES[name], 5, api_name="/search")
    assert isinstance(result, dict) and result["query"] == QUERIES[name]
    assert isinstance(result["results"], list) and len(result["results"]) <= 5
    if name in BLANK:
        assert result["results"] == []


def test_api_log_holds_no_traceback_after_the_odd_questions(seed_app):
    url, client, log = seed_app
    for name in ("10k-words", "control-chars", "sql-in-quotes", "only-emoji"):
        client.predict(QUERIES[name], 3, api_name="/search")
    assert call_api(url, "search", [QUESTION, 1])[0] == "complete"
    assert "Traceback" not in log.read_text(errors="replace")


def test_api_question_with_a_lone_surrogate_gets_a_result_or_a_message(seed_app):
    url, _, _ = seed_app
    event, data = call_api(url, "search", [LONE_SURROGATE, 5])
    assert event == "complete" or (event == "error" and data and data.get("error")), (event, data)


@pytest.mark.parametrize("k", ["abc", [], "1e9", 1000, 0, -3, 2.5, "NaN", True])
def test_a_k_that_is_no_whole_number_from_1_to_300_is_refused_with_a_message(searcher, k):
    with pytest.raises(QueryError, match=r"k must be a whole number from 1 to 300"):
        searcher.search("railway", k=k)


@pytest.mark.parametrize("question", [42, ["railway"], {"q": "railway"}])
def test_a_question_that_is_not_text_is_refused_with_a_message(searcher, question):
    with pytest.raises(QueryError, match="the question must be text"):
        searcher.search(question)


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        ("2024-13-45", None, "From must be a real date"),
        (None, "2024-02-30", "To must be a real date"),
        ("June 2024", None, "From must be a real date"),
        ("2024-06-10", "2024-06-01", "the date span is reversed"),
    ],
)
def test_impossible_or_reversed_dates_are_refused_with_a_message(since, until, message):
    from rag.retrieve import Filters

    with pytest.raises(QueryError, match=message):
        Filters(since=since, until=until)


@pytest.mark.parametrize("k", ["abc", None, [], "1e9", float("nan"), 0])
def test_api_says_what_is_wrong_with_k(seed_app, k):
    url, _, log = seed_app
    event, data = call_api(url, "search", [QUESTION, k])
    assert event == "complete", (event, data)
    (result,) = data
    if k is None:  # the default number of passages
        assert result["results"] and "error" not in result
    else:
        assert result["results"] == [] and "k must be a whole number" in result["error"]
    assert "Traceback" not in log.read_text(errors="replace")


@pytest.mark.parametrize("question", [42, ["railway"]])
def test_api_says_a_question_must_be_text(seed_app, question):
    url, _, _ = seed_app
    event, data = call_api(url, "search", [question, 5])
    assert event == "complete", (event, data)
    assert "the question must be text" in data[0]["error"]
