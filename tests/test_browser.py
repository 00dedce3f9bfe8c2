"""The app driven in headless Chromium as a person uses it: ask, open a source, filter by date,
select months on the timeline, upload a file and find it, and a hostile document whose markup
must stay inert."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from .conftest import SEEDS
from .running import running_app

pytestmark = pytest.mark.slow
CHROMIUM = Path("/usr/bin/chromium")
HOSTILE_KEY = '<div id="cover" style="position:fixed;inset:0;z-index:9999">x</div> ![k](http://127.0.0.2:9/b.png)'
HOSTILE_NAME = "![i](x.png) <b id=bold>name.txt"  # no slash: it is a file name
XSS = (
    "Payload test page\n\n"
    "The zebra orchard report <script>window.__xss = 1; alert('xss')</script> "
    '<img src=x onerror="window.__xss = 2; alert(2)"> [click me](javascript:alert(3)) '
    "![img](javascript:alert(4)) ends here with the zebra orchard harvest figures.\n"
)


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    """Where screenshots go: a temporary folder, never the tracked docs/ (`make screenshots` sets
    SCREENSHOT_DIR=docs to refresh the README's pictures)."""
    return Path(os.environ["SCREENSHOT_DIR"]) if os.environ.get("SCREENSHOT_DIR") else tmp_path_factory.mktemp("shots")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app on a copy of the seeds plus a hostile page, building its index at first start."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is needed at /usr/bin/chromium (apt-get install chromium)")
    root = tmp_path_factory.mktemp("browser")
    corpus = root / "seeds"
    shutil.copytree(SEEDS, corpus)
    (corpus / "zz_payload.txt").write_text(XSS)
    # Markup in what the page shows about files: a name, and a skip reason that quotes a JSON key.
    (corpus / HOSTILE_NAME).write_text("Hostile name page\n\nA short story about the Kangso lighthouse keepers.\n")
    (corpus / "zz_hostile_keys.json").write_text(json.dumps([{HOSTILE_KEY: "not a text field", "n": 1}]))
    uploads = root / "uploads"
    env = {"RAG_UPLOAD_DIR": str(uploads)}
    with running_app(root / "idx", root / "app.log", corpus=[corpus], timeout=300, env=env) as (url, _):
        yield url, uploads


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app):
    context = browser.new_context(viewport={"width": 1200, "height": 1300})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs
    page.goto(app[0])
    page.locator("#question textarea").wait_for()
    yield page
    context.close()


def ask(page, question: str) -> None:
    page.locator("#question textarea").fill(question)
    page.locator("#search-button").click()
    page.locator("#results .hit").first.wait_for(timeout=60_000)


def test_question_shows_the_cited_passage_and_its_source_lines(page, shots):
    ask(page, "Which company made an antivirus program?")
    first = page.locator("#results .hit").first
    assert "Jiu Economic Technology Development Company" in first.inner_text()
    assert "seeds/000_aa227a5badb15332.txt, lines 140-142" in first.locator(".cite").first.inner_text()
    assert first.locator("mark").count() == 1
    first.locator("details summary").click()
    context = first.locator("details pre")
    context.wait_for()
    assert ">  142  The Jiu Economic" in context.inner_text()
    first.locator("button.copy-cite").click()
    first.get_by_text("Copied").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == "“Development, Creation and Pride”, seeds/000_aa227a5badb15332.txt, lines 140-142."
    page.locator("#answer .answer").wait_for()
    assert "[1]" in page.locator("#answer").inner_text()
    page.screenshot(path=str(shots / "app.png"))


def test_date_filter_keeps_only_passages_of_that_span(page, shots):
    page.locator("#since input, #since textarea").first.fill("2024-06-08")
    page.locator("#until input, #until textarea").first.fill("2024-06-09")
    ask(page, "balloons launched toward the South")
    cites = page.locator("#results .hit .cite").all_inner_texts()
    dates = [c for c in cites if "2024-06" in c]
    assert dates and all(("2024-06-08" in c or "2024-06-09" in c) for c in dates)
    assert not any("2024-06-10" in c or "2024-06-07" in c for c in cites)
    page.locator("#timeline").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "filters.png"), full_page=True)


def test_uploaded_file_is_indexed_and_found(page, tmp_path, app, shots):
    upload = tmp_path / "new_scrape.txt"
    upload.write_text(
        "Kangso lighthouse\n\nThe Kangso lighthouse keepers counted 4,321 migrating cranes this spring.\n"
    )
    page.get_by_text("Index and corpus").click()
    page.locator("#upload input[type=file]").set_input_files(str(upload))
    page.locator("#upload-button").click()
    log = page.locator("#rebuild-log textarea")
    page.wait_for_function(
        "el => el.value.includes('stored new_scrape.txt')", arg=log.element_handle(), timeout=180_000
    )
    assert (app[1] / "new_scrape.txt").exists()  # in the upload folder, not in the corpus folder
    assert page.locator("#upload .file-preview, #upload table").count() == 0  # the list is emptied
    ask(page, "How many cranes did the lighthouse keepers count?")
    first = page.locator("#results .hit").first
    assert "4,321 migrating cranes" in first.inner_text() and "uploads/new_scrape.txt" in first.inner_text()
    page.screenshot(path=str(shots / "index-panel.png"), full_page=True)


def test_upload_says_what_it_did_with_each_file_and_keeps_no_broken_one(page, tmp_path, app):
    tool, broken = tmp_path / "tool.exe", tmp_path / "broken.pdf"
    tool.write_bytes(b"MZ\x90\x00")
    broken.write_bytes(b"%PDF-1.4\nnot really a PDF\n")
    page.get_by_text("Index and corpus").click()
    page.locator("#upload input[type=file]").set_input_files([str(tool), str(broken)])
    page.locator("#upload-button").click()
    log = page.locator("#rebuild-log textarea")
    page.wait_for_function("el => el.value.includes('removed broken.pdf')", arg=log.element_handle(), timeout=180_000)
    text = log.input_value()
    assert "rejected: tool.exe: .exe is not supported" in text
    assert "removed broken.pdf: it could not be indexed" in text
    assert not (app[1] / "broken.pdf").exists() and not (app[1] / "tool.exe").exists()


def test_a_click_on_a_timeline_bar_sets_the_filter_to_its_month(page):
    ask(page, "North Korea news")
    page.locator("#results .hit").first.wait_for()
    bar = page.locator("#timeline g.plot_marks path[aria-label]").first
    bar.wait_for()
    month = re.search(r"month: (\d{4}-\d{2})", bar.get_attribute("aria-label")).group(1)
    box = bar.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    since = page.locator("#since input, #since textarea").first
    page.wait_for_function(
        f"() => document.querySelector('#since textarea, #since input').value === '{month}-01'", timeout=30_000
    )
    assert page.locator("#until input, #until textarea").first.input_value().startswith(month + "-")
    assert since.input_value() == f"{month}-01"
    page.wait_for_timeout(3000)
    dated = [c for c in page.locator("#results .hit .cite").all_inner_texts() if re.search(r"\d{4}-\d{2}-\d{2}", c)]
    assert dated and all(re.search(r"\d{4}-\d{2}-\d{2}", c).group().startswith(month) for c in dated), dated


def test_the_timeline_has_bars_for_matches_and_none_when_nothing_is_relevant(page):
    bars = page.locator("#timeline .mark-rect path")
    ask(page, "North Korea news")
    page.locator("#results .hit").first.wait_for()
    page.wait_for_function("() => document.querySelectorAll('#timeline .mark-rect path').length > 0", timeout=30_000)
    ask(page, "How do I bake sourdough bread at home?")
    page.get_by_text("Nothing relevant found").first.wait_for()
    page.wait_for_function("() => document.querySelectorAll('#timeline .mark-rect path').length == 0", timeout=30_000)
    assert bars.count() == 0


def test_at_phone_width_the_question_box_keeps_its_width(browser, app):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    phone = context.new_page()
    phone.goto(app[0])
    question = phone.locator("#question textarea")
    question.wait_for()
    slider = phone.get_by_label("Passages").first
    box, below = question.bounding_box(), slider.bounding_box()
    context.close()
    assert box["width"] >= 300, box  # not squeezed beside the slider
    assert below["y"] >= box["y"] + box["height"], (box, below)  # the slider goes under it


def test_hostile_document_is_shown_as_inert_text(page):
    ask(page, "zebra orchard harvest figures")
    results = page.locator("#results")
    assert "<script>window.__xss = 1" in results.inner_text()  # shown, as text
    page.wait_for_timeout(500)
    assert page.dialogs == []
    assert page.evaluate("window.__xss") is None
    assert results.locator("script").count() == 0
    assert results.locator("img").count() == 0
    assert results.locator("a[href^='javascript']").count() == 0


def test_file_names_and_skip_reasons_are_shown_as_text(page):
    """The index audit, the rebuild log and the sources list show names and reasons from the corpus;
    none of their markup may render, cover the page or fetch anything."""
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if "127.0.0.2" in r.url or "x.png" in r.url else None)
    page.get_by_text("Index and corpus").click()
    audit = page.locator("#audit")
    audit.get_by_text("zz_hostile_keys.json").first.wait_for()
    assert "![i](x.png)" in audit.inner_text()  # the name, as text
    page.locator("#rebuild").click()  # clickable: nothing covers the page
    log = page.locator("#rebuild-log textarea")
    page.wait_for_function("el => el.value.length > 0", arg=log.element_handle(), timeout=180_000)
    page.locator("#sources").click()
    page.wait_for_timeout(500)
    assert page.locator("#cover").count() == 0 and page.locator("#bold").count() == 0
    assert page.locator("img[src*='x.png'], img[src*='127.0.0.2']").count() == 0
    assert fetched == []


def test_selecting_months_on_the_timeline_sets_the_date_filter(page):
    ask(page, "North Korea news")
    plot = page.locator("#timeline canvas, #timeline svg").first
    plot.wait_for()
    box = plot.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.15, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=10)
    page.mouse.move(box["x"] + box["width"] * 0.85, y, steps=10)
    page.mouse.up()
    since = page.locator("#since input, #since textarea").first
    until = page.locator("#until input, #until textarea").first
    page.wait_for_function(
        "() => /^\\d{4}-\\d{2}-\\d{2}$/.test(document.querySelector('#since textarea, #since input').value)",
        timeout=30_000,
    )
    first, last = since.input_value(), until.input_value()
    assert first <= last
    page.locator("#results .hit").first.wait_for()
    dated = [c for c in page.locator("#results .hit .cite").all_inner_texts() if re.search(r"\d{4}-\d{2}-\d{2}", c)]
    assert all(first <= re.search(r"\d{4}-\d{2}-\d{2}", c).group() <= last for c in dated), (first, last, dated)


@pytest.mark.parametrize("form", ["md", "csv", "ris", "bibtex"])
def test_the_results_download_in_each_export_format(page, form, tmp_path):
    import csv

    ask(page, "Which company made an antivirus program?")
    if form != "md":
        page.locator("#export-format input").click()
        page.get_by_role("option", name=re.compile({"csv": "CSV", "ris": "RIS", "bibtex": "BibTeX"}[form])).click()
    button = page.locator("#download")
    page.wait_for_function("() => !document.querySelector('#download').disabled", timeout=30_000)
    page.wait_for_timeout(500)  # the file of the chosen format, not the one of the format before
    with page.expect_download() as done:
        button.click()
    path = tmp_path / done.value.suggested_filename
    done.value.save_as(path)
    text = path.read_text(encoding="utf-8")
    assert path.suffix == {"md": ".md", "csv": ".csv", "ris": ".ris", "bibtex": ".bib"}[form]
    if form == "md":
        assert "> The Jiu Economic Technology Development Company" in text.replace("\\", "")
    elif form == "csv":
        rows = list(csv.DictReader(text.splitlines()))
        assert "Jiu Economic Technology Development Company" in rows[0]["text"] and len(rows) == 5
    elif form == "ris":
        import rispy

        assert len(rispy.loads(text)) == 5
    else:
        import bibtexparser

        library = bibtexparser.parse_string(text)
        assert len(library.entries) == 5 and not library.failed_blocks
