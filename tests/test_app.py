"""The app started for real on a free port and queried through gradio_client."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from .conftest import REPO

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(seed_index):
    settings, _ = seed_index
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "rag", "app", "--port", str(port), "--index", str(settings.index_dir)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 120
    import urllib.request

    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            if process.poll() is not None:
                pytest.fail(process.stdout.read())
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("app did not start within 120 s")
    yield url
    process.terminate()
    process.wait(timeout=30)


def test_search_endpoint_answers_like_the_cli(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    result = client.predict("Which company made an antivirus program?", 3, api_name="/search")
    assert result["query"] == "Which company made an antivirus program?"
    assert len(result["results"]) == 3
    top = result["results"][0]
    assert "Jiu Economic Technology Development Company" in top["text"]
    assert top["rank"] == 1 and top["source"].startswith("seeds/") and top["start_line"] >= 1
    assert any(place.startswith("seeds/") for place in top["also_in"])


def test_binds_to_localhost_only(app_url):
    assert app_url.startswith("http://127.0.0.1:")


def test_page_escapes_markup_from_documents(seed_index, tmp_path):
    from rag.app import Engine, render_hits
    from rag.records import Hit, Passage

    settings, _ = seed_index
    engine = Engine(settings)
    evil = Passage(
        text="<script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(3))",
        source="evil.html",
        title="<b>t</b>",
        section=None,
        start_line=None,
        end_line=None,
        date=None,
        url="javascript:alert(4)",
    )
    page = render_hits([Hit(evil, 0.5, rank=1, highlight=(0, 10))], engine)
    assert "<script>" not in page and "<img" not in page and "<b>t</b>" not in page
    assert "&lt;script&gt;" in page
    assert 'href="javascript:' not in page
