"""Crashes and concurrency: a rebuild killed at any moment, damaged index files, two rebuilds at once,
and an app that keeps answering while it rebuilds."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rag.build import BuildError, build_index
from rag.index import IndexUnusable, StoredIndex, current_build
from rag.settings import Settings

from .conftest import REPO, SEEDS
from .running import client_for, running_app

pytestmark = pytest.mark.slow

RAILWAY = "Russian officials inspect North Korean railway in push to resume rail service"
JIU_QUESTION = "Which company made an antivirus program?"
JIU = "Jiu Economic Technology Development Company"


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}


def _copy_seeds(folder: Path, *prefixes: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for prefix in prefixes:
        (seed,) = SEEDS.glob(f"{prefix}_*.txt")
        shutil.copy(seed, folder / seed.name)


class _Index:
    """A `rag index` subprocess whose stderr is collected as it comes."""

    def __init__(self, corpus: Path, index: Path, *extra: str):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rag", "index", str(corpus), "--index", str(index), *extra],
            cwd=REPO,
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.started = time.monotonic()
        self._err = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while chunk := os.read(self.process.stderr.fileno(), 65536):
            self._err += chunk

    @property
    def stderr(self) -> str:
        return self._err.decode("utf-8", "replace")

    def wait(self, timeout: float = 300) -> int:
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code


# --- SIGKILL during a rebuild -------------------------------------------------------------------


def _complete_builds(index: Path) -> set[str]:
    builds = index / "builds"
    return {p.name for p in builds.iterdir() if p.is_dir() and not p.name.startswith(".")} if builds.exists() else set()


def _check_usable(settings: Settings) -> int:
    """The index opens and answers; returns its passage count."""
    from rag.retrieve import Searcher

    build = current_build(settings.index_dir)
    assert build is not None and build.parent.name == "builds"
    assert not build.name.startswith(".") and not build.name.endswith(".partial"), build
    searcher = Searcher(settings)
    try:
        hits = searcher.search("Russian officials inspect the railway to resume rail service", k=3, highlight=False)
        assert any(RAILWAY in h.passage.text for h in hits)
        return len(searcher.index)
    finally:
        searcher.close()


def test_sigkill_at_any_moment_of_a_rebuild_leaves_the_previous_index_usable(tmp_path):
    corpus = tmp_path / "news"
    _copy_seeds(corpus, "004")
    settings = Settings.from_env(environ={}, index_dir=tmp_path / "index", corpus=[corpus])
    old = build_index(settings, progress=False).passages
    first_build = current_build(settings.index_dir)
    _copy_seeds(corpus, "003")  # the bigger corpus the killed rebuilds work on: 3x the passages

    def partial_exists() -> bool:
        return any((settings.index_dir / "builds").glob(".*.partial"))

    before = _complete_builds(settings.index_dir)
    moments = {  # when to kill: what the rebuild is doing then
        "0.3 s in (starting up)": lambda run: time.monotonic() - run.started >= 0.3,
        "reading the corpus": lambda run: "Reading" in run.stderr,
        "embedding": lambda run: "Embedding" in run.stderr,
        "writing the new build": lambda run: partial_exists(),
        "renaming the new build into place": lambda run: bool(_complete_builds(settings.index_dir) - before),
    }
    counts: dict[str, int] = {}
    killed: dict[str, bool] = {}
    for moment, ready in moments.items():
        before = _complete_builds(settings.index_dir)
        run = _Index(corpus, settings.index_dir, "--full")
        deadline = time.monotonic() + 240
        while run.process.poll() is None and not ready(run) and time.monotonic() < deadline:
            time.sleep(0.002)
        killed[moment] = run.process.poll() is None
        run.process.send_signal(signal.SIGKILL)
        run.wait()
        assert "Traceback" not in run.stderr, run.stderr[-2000:]
        counts[moment] = _check_usable(settings)
    print("caught in flight:", killed, "passages after each kill:", counts)
    assert sum(killed.values()) >= 3, f"too few rebuilds were caught in flight: {killed}"

    finished = _Index(corpus, settings.index_dir, "--full", "-q")
    assert finished.wait() == 0, finished.stderr  # no lock or half-written build is left in the way
    new = _check_usable(settings)
    assert new > old
    for moment, count in counts.items():
        assert count in (old, new), f"killed while {moment}: {count} passages, expected {old} or {new}"
    killed_early = [m for m in ("0.3 s in (starting up)", "reading the corpus", "embedding") if killed[m]]
    assert all(counts[m] == old for m in killed_early)
    assert not list((settings.index_dir / "builds").glob(".*.partial"))  # cleared by the next build
    assert current_build(settings.index_dir) != first_build


# --- damaged, missing and foreign indexes -------------------------------------------------------


def _truncate(path: Path, fraction: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])


def _edit_manifest(build: Path, **changes) -> None:
    path = build / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


DAMAGE = {
    "vectors truncated": lambda b: _truncate(b / "vectors.faiss"),
    "vectors emptied": lambda b: (b / "vectors.faiss").write_bytes(b""),
    "vectors garbage": lambda b: (b / "vectors.faiss").write_bytes(os.urandom(4096)),
    "vectors missing": lambda b: (b / "vectors.faiss").unlink(),
    "sqlite missing": lambda b: (b / "passages.sqlite").unlink(),
    "sqlite truncated": lambda b: _truncate(b / "passages.sqlite"),
    "sqlite emptied": lambda b: (b / "passages.sqlite").write_bytes(b""),
    "sqlite garbage": lambda b: (b / "passages.sqlite").write_bytes(os.urandom(8192)),
    "manifest truncated": lambda b: _truncate(b / "manifest.json"),
    "manifest missing": lambda b: (b / "manifest.json").unlink(),
    "manifest zeroed": lambda b: (b / "manifest.json").write_bytes(b"\0" * 1024),
    "manifest from a newer version": lambda b: _edit_manifest(b, format_version=99),
    "manifest from an older version": lambda b: _edit_manifest(b, format_version=1),
    "manifest with fewer passages": lambda b: _edit_manifest(b, passages=3),
    "manifest files not a list": lambda b: _edit_manifest(b, files=5),
    "manifest is a JSON list": lambda b: (b / "manifest.json").write_text("[]"),
    "manifest is JSON null": lambda b: (b / "manifest.json").write_text("null"),
    "bm25 missing": lambda b: shutil.rmtree(b / "bm25"),
    "bm25 vocabulary truncated": lambda b: _truncate(b / "bm25" / "vocab.index.json"),
    "bm25 arrays truncated": lambda b: [_truncate(f) for f in (b / "bm25").glob("*.npy")],
    "bm25 arrays emptied": lambda b: [f.write_bytes(b"") for f in (b / "bm25").glob("*.npy")],
    "sentence vectors truncated": lambda b: _truncate(b / "sentences.npy"),
    "sentence starts missing": lambda b: (b / "sentence_starts.npy").unlink(),
    "build folder deleted": lambda b: shutil.rmtree(b),
}


@pytest.fixture
def damaged(seed_index, tmp_path):
    """A private copy of the seed index, to be damaged by the test."""
    settings, report = seed_index
    index = tmp_path / "index"
    shutil.copytree(current_build(settings.index_dir), index / "builds" / "20250101T000000000000Z")
    (index / "current").symlink_to(Path("builds") / "20250101T000000000000Z")
    return Settings.from_env(environ={}, index_dir=index), index / "builds" / "20250101T000000000000Z", report


def _open_and_search(settings: Settings) -> str | None:
    """None when the index answers; else IndexUnusable's message. Anything else propagates."""
    from rag.retrieve import Searcher

    try:
        searcher = Searcher(settings)
    except IndexUnusable as err:
        return str(err)
    try:
        assert searcher.search(JIU_QUESTION, k=3, highlight=False)
        assert searcher.search('"Tumangang" train', k=3, highlight=False) is not None
    finally:
        searcher.close()
    return None


@pytest.mark.parametrize("case", list(DAMAGE))
def test_damaged_index_gives_a_clear_message_and_a_command(damaged, case):
    settings, build, _ = damaged
    DAMAGE[case](build)
    message = _open_and_search(settings)
    if message is None:
        return  # damage that does not matter to a search is fine too
    assert "\n" not in message and "Traceback" not in message
    assert re.search(r"`rag index[^`]*`", message), message


def test_missing_index_folder_says_how_to_build_one(tmp_path):
    message = _open_and_search(Settings.from_env(environ={}, index_dir=tmp_path / "never-built"))
    assert message and f"`rag index --index {tmp_path / 'never-built'}`" in message


def test_suggested_command_repairs_the_damaged_index_not_the_default_one(damaged):
    settings, build, _ = damaged
    (build / "passages.sqlite").unlink()
    message = _open_and_search(settings)
    command = re.search(r"`(rag index[^`]*)`", message).group(1)
    assert f"--index {settings.index_dir}" in command, command


@pytest.mark.parametrize("case", ["sqlite missing", "vectors truncated", "manifest truncated"])
def test_cli_search_on_a_damaged_index_prints_one_error_line(damaged, case):
    settings, build, _ = damaged
    DAMAGE[case](build)
    done = subprocess.run(
        [sys.executable, "-m", "rag", "search", JIU_QUESTION, "--index", str(settings.index_dir)],
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("Error: ") and "`rag index" in line


def test_cli_app_on_a_damaged_index_prints_one_error_line(damaged):
    settings, build, _ = damaged
    DAMAGE["vectors truncated"](build)
    done = subprocess.run(
        [sys.executable, "-m", "rag", "app", "--port", "9", "--index", str(settings.index_dir)],
        cwd=REPO,
        env={**_env(), "GRADIO_ANALYTICS_ENABLED": "False"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("Error: ")


@pytest.fixture
def small_damaged(tmp_path):
    """(settings, passages) of a one-file index whose vectors file was then cut in half."""
    corpus = tmp_path / "news"
    _copy_seeds(corpus, "004")
    settings = Settings.from_env(environ={}, index_dir=tmp_path / "index", corpus=[corpus])
    passages = build_index(settings, progress=False).passages
    DAMAGE["vectors truncated"](current_build(settings.index_dir))
    assert _open_and_search(settings) is not None
    return settings, passages


def test_the_suggested_rag_index_full_repairs_a_damaged_index(small_damaged):
    settings, passages = small_damaged
    build_index(settings, progress=False, full=True)
    assert _open_and_search(settings) is None
    assert len(StoredIndex(settings.index_dir)) == passages


def test_plain_rag_index_does_not_call_a_damaged_index_up_to_date(small_damaged):
    settings, passages = small_damaged
    report = build_index(settings, progress=False)
    assert not report.up_to_date
    assert _open_and_search(settings) is None
    assert len(StoredIndex(settings.index_dir)) == passages


# --- two rebuilds at once -----------------------------------------------------------------------


def _wait_for_lock(index: Path, pid: int, run: _Index, timeout: float = 120) -> None:
    lock = index / ".build.lock"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lock.exists() and lock.read_text().strip() == str(pid):
            return
        assert run.process.poll() is None, f"the first build ended before it was seen holding the lock: {run.stderr}"
        time.sleep(0.01)
    pytest.fail("the first build never took the lock")


def test_second_rebuild_refuses_with_a_message_while_the_first_runs(tmp_path):
    corpus = tmp_path / "news"
    _copy_seeds(corpus, "004", "003", "000")
    index = tmp_path / "index"
    first = _Index(corpus, index, "--full")
    try:
        _wait_for_lock(index, first.process.pid, first)
        started = time.monotonic()
        settings = Settings.from_env(environ={}, index_dir=index, corpus=[corpus])
        with pytest.raises(BuildError, match="another `rag index` is already building"):
            build_index(settings, progress=False, full=True)
        assert time.monotonic() - started < 10  # refused at once, not after waiting
        second = subprocess.run(
            [sys.executable, "-m", "rag", "index", str(corpus), "--index", str(index), "-q"],
            cwd=REPO,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert second.returncode != 0 and "Traceback" not in second.stderr
        assert second.stderr.strip().splitlines() == [
            f"Error: another `rag index` is already building {index}/; wait for it to finish"
        ]
        assert first.process.poll() is None  # the refusals did not disturb the first build
    finally:
        code = first.wait()
    assert code == 0, first.stderr
    assert len(_complete_builds(index)) == 1 and not list((index / "builds").glob(".*"))
    files = {f.source for f in StoredIndex(index).manifest.files}
    assert files == {f"news/{p.name}" for p in corpus.iterdir()}


@pytest.fixture
def small_app_index(tmp_path):
    """(settings, corpus): an index of two small seed files, to be rebuilt by the test."""
    corpus = tmp_path / "news"
    _copy_seeds(corpus, "004", "003")
    settings = Settings.from_env(environ={}, index_dir=tmp_path / "index", corpus=[corpus])
    build_index(settings, progress=False)
    return settings, corpus


def test_two_rebuilds_in_the_app_at_once_the_second_is_refused(small_app_index):
    from rag.app import Engine

    settings, corpus = small_app_index
    engine = Engine(settings)
    _copy_seeds(corpus, "000")  # work for the first rebuild
    lock = settings.index_dir / ".build.lock"
    lock.unlink()
    results: list[str] = []
    first = threading.Thread(target=lambda: results.append(engine.rebuild()))
    first.start()
    try:
        deadline = time.monotonic() + 60
        while not (lock.exists() and lock.read_text().strip() == str(os.getpid())) and time.monotonic() < deadline:
            time.sleep(0.005)
        assert first.is_alive(), "the first rebuild ended before the second could try"
        assert engine.rebuild() == "A rebuild is already running."
    finally:
        first.join(timeout=300)
    assert results and results[0].startswith("indexed ")
    assert any(JIU in h.passage.text for h in engine.search(JIU_QUESTION, 3))


def test_app_rebuild_while_rag_index_holds_the_lock_answers_with_the_refusal(small_app_index):
    import fcntl

    from rag.app import Engine

    settings, _ = small_app_index
    engine = Engine(settings)
    with open(settings.index_dir / ".build.lock", "w") as held:  # what a running `rag index` holds
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        message = engine.rebuild()
    assert "already building" in message
    assert engine.search(JIU_QUESTION, 3) is not None  # still answering from the old index


# --- the app answers while it rebuilds ----------------------------------------------------------

NEW_STORY = (
    "Pyongyang zoo opens a new penguin house\n\n"
    "The Central Zoo in Pyongyang opened a penguin house with a chilled pool for twelve Humboldt penguins, "
    "the first penguins the zoo has kept, and visitors queued through the morning to see them fed.\n"
)


def test_app_keeps_answering_during_a_rebuild_and_then_answers_from_the_new_index(small_app_index, tmp_path):
    settings, corpus = small_app_index
    old_passages = len(StoredIndex(settings.index_dir))
    with running_app(settings.index_dir, tmp_path / "app.log", corpus=[corpus]) as (url, process):
        client = client_for(url)
        before = client.predict("Which zoo opened a penguin house?", 3, api_name="/search")
        assert not any("penguin" in r["text"] for r in before["results"])

        _copy_seeds(corpus, "000", "001")  # real work for the rebuild: about 70 passages to embed
        (corpus / "zoo.txt").write_text(NEW_STORY, encoding="utf-8")
        job = client.submit(api_name="/rebuild")
        answered_during, failures = 0, []
        deadline = time.monotonic() + 300
        while not job.done() and time.monotonic() < deadline:
            try:
                result = client.predict(RAILWAY, 3, api_name="/search")
                assert any(RAILWAY in r["text"] for r in result["results"]), result
                answered_during += 0 if job.done() else 1
            except Exception as err:  # every search must be answered: collect, then fail with all of them
                failures.append(repr(err))
        assert job.done(), "the rebuild did not finish within 300 s"
        summary, status = job.result()[:2]  # the rebuild log and the status line come first
        assert not failures, failures
        assert answered_during >= 1, "no search was answered while the rebuild ran"
        assert summary.startswith("indexed ") and "zoo.txt" not in summary  # nothing skipped

        after = client.predict("Which zoo opened a penguin house?", 3, api_name="/search")
        assert after["results"][0]["source"] == "news/zoo.txt"
        jiu = client.predict(JIU_QUESTION, 3, api_name="/search")
        assert JIU in jiu["results"][0]["text"]
        new_passages = len(StoredIndex(settings.index_dir))
        assert new_passages > old_passages and f"{new_passages} passages" in status
        assert process.poll() is None
    assert "Traceback" not in (tmp_path / "app.log").read_text(errors="replace")
