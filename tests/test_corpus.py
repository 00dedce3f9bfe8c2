"""Uploads land only inside the corpus folder; the watcher notices added, changed and removed files."""

from __future__ import annotations

import threading

import pytest

from rag.corpus import UploadRejected, Watcher, safe_name, store_upload


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("/etc/cron.d/evil.md", "evil.md"),
        ("..\\..\\windows\\x.html", "x.html"),
        (".hidden.txt", "hidden.txt"),
        ("report\x00.txt", "report.txt"),
    ],
)
def test_upload_names_cannot_leave_the_corpus_folder(tmp_path, name, stored):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    upload = tmp_path / "upload.bin"
    upload.write_text("Kim Jong Un inspected a farm.")
    target = store_upload(upload, name, corpus)
    assert target == corpus.resolve() / stored
    assert target.read_text() == "Kim Jong Un inspected a farm."
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(["upload.bin", stored])


@pytest.mark.parametrize("name", ["..", "/", "   ", "\x00\x01"])
def test_unusable_names_are_rejected(name):
    with pytest.raises(UploadRejected):
        safe_name(name)


def test_upload_does_not_follow_a_symlink_or_overwrite(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    (corpus / "notes.txt").symlink_to(outside)
    upload = tmp_path / "u"
    upload.write_text("new notes")
    target = store_upload(upload, "notes.txt", corpus)
    assert target.name == "notes-2.txt" and target.read_text() == "new notes"
    assert outside.read_text() == "keep me"
    again = store_upload(upload, "notes.txt", corpus)
    assert again == target  # the same content is not stored twice


def test_upload_never_writes_through_a_planted_temporary_name(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    for planted in (".planted.txt.partial", ".planted.txt.tmp", ".planted.txt"):
        (corpus / planted).symlink_to(victim)
    upload = tmp_path / "u"
    upload.write_text("the uploaded story")
    target = store_upload(upload, "planted.txt", corpus)
    assert victim.read_text() == "keep me"
    assert target == corpus.resolve() / "planted.txt"
    assert not target.is_symlink() and target.read_text() == "the uploaded story"
    assert not [p for p in corpus.iterdir() if p.name.endswith(".partial") and not p.is_symlink()]


def test_a_failed_copy_leaves_no_partial_file(tmp_path, monkeypatch):
    import shutil

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    upload = tmp_path / "u"
    upload.write_text("the uploaded story")

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shutil, "copyfileobj", disk_full)
    with pytest.raises(OSError):
        store_upload(upload, "story.txt", corpus)
    assert list(corpus.iterdir()) == []


def test_type_and_size_limits(tmp_path):
    upload = tmp_path / "u"
    upload.write_bytes(b"MZ\x90\x00")
    with pytest.raises(UploadRejected, match="not supported"):
        store_upload(upload, "tool.exe", tmp_path)
    upload.write_bytes(b"x" * 2_000_000)
    with pytest.raises(UploadRejected, match="over the 1 MB upload limit"):
        store_upload(upload, "big.txt", tmp_path, max_mb=1)


def test_watcher_calls_back_on_add_change_and_remove(tmp_path):
    calls = []
    changed = threading.Event()

    def on_change():
        calls.append(1)
        changed.set()

    watcher = Watcher([tmp_path], on_change, interval=0.1)
    watcher.start()
    try:
        for action in (
            lambda: (tmp_path / "a.txt").write_text("first"),
            lambda: (tmp_path / "a.txt").write_text("second, longer"),
            lambda: (tmp_path / "a.txt").unlink(),
        ):
            changed.clear()
            action()
            assert changed.wait(30), "watcher did not notice the change"
        (tmp_path / "ignored.bin").write_text("not a corpus file")
        changed.clear()
        assert not changed.wait(0.5)
    finally:
        watcher.stop()
    assert len(calls) == 3


@pytest.mark.slow
def test_index_watch_reindexes_a_dropped_file(tmp_path):
    import json
    import os
    import queue
    import subprocess
    import sys
    import threading

    from .conftest import REPO

    corpus = tmp_path / "scrapes"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Pyongyang tram line\n\nA new tram line opened in Pyongyang this week.\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    index = str(tmp_path / "idx")
    watcher = subprocess.Popen(
        [sys.executable, "-m", "rag", "index", str(corpus), "--index", index, "-q", "--watch"],
        cwd=REPO,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()  # read in a thread: a silent watcher must fail the test, not hang it
    threading.Thread(target=lambda: [lines.put(line) for line in watcher.stderr], daemon=True).start()

    def wait_for(word: str) -> None:
        seen = []
        while True:
            try:
                line = lines.get(timeout=120)
            except queue.Empty:
                pytest.fail(f"rag index --watch printed no {word!r} within 120 s; it printed {seen}")
            if word in line:
                return
            seen.append(line)

    try:
        wait_for("watching")
        (corpus / "b.txt").write_text("Wonsan ferry\n\nThe Wonsan ferry carried 812 passengers on its first trip.\n")
        wait_for("indexed")
        found = subprocess.run(
            [sys.executable, "-m", "rag", "search", "ferry passengers", "--json", "-k", "1", "--index", index],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert json.loads(found.stdout)["results"][0]["source"] == "scrapes/b.txt"
    finally:
        watcher.terminate()
        watcher.wait(timeout=30)
