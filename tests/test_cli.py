"""The `rag` command as a user runs it: real subprocesses, real index, the --json contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .conftest import REPO, SHARED

pytestmark = pytest.mark.slow

RESULT_KEYS = {
    "rank": int,
    "score": float,
    "text": str,
    "source": str,
    "title": (str, type(None)),
    "section": (str, type(None)),
    "start_line": (int, type(None)),
    "end_line": (int, type(None)),
    "date": (str, type(None)),
    "url": (str, type(None)),
    "also_in": list,
}


def rag(*args: str, cwd=REPO, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    return subprocess.run(
        [sys.executable, "-m", "rag", *args], cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=300
    )


def check_schema(obj: dict, query: str) -> None:
    assert set(obj) == {"query", "results"} and obj["query"] == query
    for position, result in enumerate(obj["results"], start=1):
        assert set(RESULT_KEYS) <= set(result)
        for key, kind in RESULT_KEYS.items():
            assert isinstance(result[key], kind), (key, result[key])
        assert result["rank"] == position
        assert all(isinstance(place, str) for place in result["also_in"])


def test_search_json_prints_exactly_one_object_following_the_schema(seed_index):
    settings, _ = seed_index
    query = "Which company made an antivirus program?"
    done = rag("search", query, "--json", "-k", "3", "--index", str(settings.index_dir))
    assert done.returncode == 0, done.stderr
    obj = json.loads(done.stdout)  # fails if anything else is on stdout
    check_schema(obj, query)
    top = obj["results"][0]
    assert "Jiu Economic Technology Development Company" in top["text"]
    assert top["source"].startswith("seeds/0") and top["start_line"] <= top["end_line"]
    assert len(obj["results"]) == 3


def test_search_queries_file_prints_one_object_per_line_in_order(seed_index, tmp_path):
    settings, _ = seed_index
    questions = ["Russian tourist train", "balloons launched toward the South", "wind power project with Switzerland"]
    file = tmp_path / "q.txt"
    file.write_text("\n".join(questions) + "\n")
    done = rag("search", "--json", "--queries", str(file), "--index", str(settings.index_dir))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().split("\n")
    assert len(lines) == 3
    for line, question in zip(lines, questions):
        check_schema(json.loads(line), question)


def test_human_output_has_citation_lines(seed_index):
    settings, _ = seed_index
    done = rag("search", "Russian tourist train", "-k", "2", "--index", str(settings.index_dir))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        "[1] seeds/004_dbe5a5fc2a9b13dc.txt, lines 80-88 · Russian tourist train"
    )  # to its byline
    assert "\n[2] " in done.stdout


def test_eval_reports_metrics_as_json(seed_index):
    settings, _ = seed_index
    done = rag("eval", "tests/data/dev_seeds.jsonl", "--json", "--index", str(settings.index_dir))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {"hit_at_1", "hit_at_3", "hit_at_5", "mrr_at_10", "median_first_passage_words"} <= set(report)
    assert 0.8 <= report["hit_at_5"] <= 1.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("search", "anything", "--index", "/nonexistent/idx"), "no index in"),
        (("search", "--json"), "give either a QUESTION or --queries"),
        (("search", "   ", "--index", "{index}"), "question is empty"),
        (("index", "/nonexistent/corpus", "--index", "{tmp}"), "no such file or folder"),
        (("eval", "pyproject.toml", "--index", "{index}"), "each line must be"),
    ],
)
def test_user_errors_give_one_line_and_nonzero_exit(seed_index, tmp_path, args, message):
    settings, _ = seed_index
    args = [a.format(index=settings.index_dir, tmp=tmp_path / "idx") for a in args]
    done = rag(*args)
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert len([line for line in done.stderr.strip().split("\n") if line.startswith("Error")]) == 1


def test_unknown_rag_setting_is_an_error(seed_index):
    env = {**os.environ, "RAG_FUSOIN": "rrf"}
    done = subprocess.run(
        [sys.executable, "-m", "rag", "search", "x"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0 and "unknown setting RAG_FUSOIN" in done.stderr


def test_index_subcommand_builds_a_searchable_index_from_json_records(tmp_path):
    records = [
        {
            "_id": "a1",
            "headline": "Farm harvest",
            "story_text": "The Samchon farm harvested a record crop of catfish this autumn.",
            "link": "http://example.org/a1",
            "date_str": "2024-10-02",
        },
        {
            "_id": "b2",
            "headline": "Railway",
            "story_text": "A new railway bridge was opened over the Taedong River in Pyongyang.",
            "link": "http://example.org/b2",
            "date_str": "2024-03-05",
        },
    ]
    corpus = tmp_path / "export"
    corpus.mkdir()
    (corpus / "news.json").write_text(json.dumps(records))
    done = rag("index", str(corpus), "--index", str(tmp_path / "idx"), "-q")
    assert done.returncode == 0, done.stderr
    out = rag("search", "bridge over the river", "--json", "-k", "1", "--index", str(tmp_path / "idx"))
    top = json.loads(out.stdout)["results"][0]
    assert (top["source"], top["start_line"], top["url"], top["date"], top["title"]) == (
        "export/news.json#b2",
        None,
        "http://example.org/b2",
        "2024-03-05",
        "Railway",
    )


def test_eval_beir_refuses_an_index_of_another_corpus(seed_index):
    settings, _ = seed_index
    scifact = SHARED / "eval" / "scifact"
    done = rag("eval", "--beir", str(scifact), "--index", str(settings.index_dir))
    assert done.returncode != 0
    assert "holds an index of" in done.stderr and "not of" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_bug_keeps_its_traceback_while_the_tools_own_errors_are_one_line(seed_index):
    """Only the tool's own error types become one line: a ValueError from a bug must show where it
    happened."""
    settings, _ = seed_index
    script = (
        "import sys\nimport rag.retrieve\n"
        "def broken(self, *args, **kwargs):\n    raise ValueError('a bug deep inside')\n"
        "rag.retrieve.Searcher.search = broken\n"
        "from rag.cli import main\n"
        f"sys.argv = ['rag', 'search', 'railway', '--index', {str(settings.index_dir)!r}]\nmain()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "Traceback" in done.stderr and "a bug deep inside" in done.stderr
