"""`rag app` as a real process on a free loopback port, for the tests that talk to it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .conftest import REPO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env["GRADIO_ANALYTICS_ENABLED"] = "False"  # loopback only: no telemetry from the app
    return env


@contextmanager
def running_app(
    index_dir: Path,
    log: Path,
    corpus: list[Path] = (),
    timeout: float = 180,
    extra: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> Iterator[tuple]:
    """(url, process) of `rag app` (with `extra` arguments and `env` variables) on a free 127.0.0.1
    port; its output goes to `log`."""
    port = free_port()
    command = [sys.executable, "-m", "rag", "app", "--host", "127.0.0.1", "--port", str(port), *extra]
    command += ["--index", str(index_dir), *(arg for path in corpus for arg in ("--corpus", str(path)))]
    url = f"http://127.0.0.1:{port}/"
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=app_env() | (env or {}), stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    urllib.request.urlopen(url, timeout=2).close()
                    break
                except OSError:
                    if process.poll() is not None:
                        pytest.fail(f"the app exited ({process.returncode}): {log.read_text()[-2000:]}")
                    if time.monotonic() > deadline:
                        pytest.fail(f"the app did not answer within {timeout:.0f} s: {log.read_text()[-2000:]}")
                    time.sleep(0.3)
            yield url, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def client_for(url: str):
    from gradio_client import Client

    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # the client's telemetry is on unless this says no
    return Client(url, verbose=False, analytics_enabled=False, download_files=False)
