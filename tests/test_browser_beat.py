"""The analyst's daily watch in headless Chromium: save a search, drop a new file into the watched
folder, see the count of new passages appear and the passage marked, follow the feed; open a
person's record; open a story's versions and their diff."""

from __future__ import annotations

import json
import re
import shutil
import urllib.request

import pytest

from .conftest import SEEDS, rescraped_story, stories_naming
from .running import running_app
from .test_browser import CHROMIUM, ask, browser, shots  # noqa: F401 - fixtures shared with the app's tests

pytestmark = pytest.mark.slow
SAVED_QUESTION = "How many cranes did the lighthouse keepers count?"
NEW_FILE = "Kangso lighthouse\n\nThe Kangso lighthouse keepers counted 4,321 migrating cranes this spring.\n"


@pytest.fixture(scope="module")
def watched(tmp_path_factory):
    """The app watching a copy of the seeds."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is needed at /usr/bin/chromium (apt-get install chromium)")
    root = tmp_path_factory.mktemp("beat")
    corpus = root / "seeds"
    shutil.copytree(SEEDS, corpus)
    (corpus / "kcna_rescraped.json").write_text(json.dumps(rescraped_story()))
    (corpus / "kcna_foreign_minister.json").write_text(json.dumps(stories_naming("Choe Son Hui", 24)))
    with running_app(root / "idx", root / "app.log", corpus=[corpus], timeout=300, extra=("--watch",)) as (url, _):
        yield url, corpus


@pytest.fixture
def page(browser, watched):  # noqa: F811 - the shared browser fixture
    context = browser.new_context(viewport={"width": 1200, "height": 1400})
    page = context.new_page()
    page.goto(watched[0])
    page.locator("#question textarea").wait_for()
    yield page
    context.close()


def shot(page, selector: str, path, height: int = 1200) -> None:
    """A picture of the part of the page that `selector` starts, at most `height` pixels tall."""
    box = page.locator(selector).bounding_box()  # in the viewport; the clip of a full page is in the page
    top = box["y"] + page.evaluate("window.scrollY")
    page.screenshot(path=str(path), full_page=True, clip={**box, "y": top, "height": min(box["height"], height)})


def saved_row(count: int) -> str:
    """The saved search's row as the table's text shows it: name, question, new passages."""
    return f"cranes\n{SAVED_QUESTION}\n{count}\n"


def test_a_saved_search_marks_the_passage_a_new_file_brings(page, watched, shots):  # noqa: F811
    url, corpus = watched
    page.locator("#question textarea").fill(SAVED_QUESTION)  # the seeds do not answer it yet
    page.locator("#save-name textarea, #save-name input").first.fill("cranes")
    page.locator("#save-search").click()
    page.get_by_text("Saved 'cranes'").wait_for(timeout=60_000)
    assert saved_row(0) in page.locator("#saved").inner_text()

    (corpus / "zz_lighthouse.txt").write_text(NEW_FILE)  # the morning's scrape lands in the folder
    page.wait_for_function(
        "row => document.querySelector('#saved').innerText.includes(row)", arg=saved_row(1), timeout=240_000
    )
    page.locator("#saved-pick input").click()
    page.get_by_role("option", name="cranes").click()
    new = page.locator("#saved-results .hit.new")
    new.first.wait_for(timeout=60_000)
    assert new.count() == 1
    assert "4,321 migrating cranes" in new.first.inner_text() and "new ·" in new.first.inner_text()
    assert "zz_lighthouse.txt" in new.first.inner_text()
    assert page.locator("#saved-results .hit").count() > 1  # the older results, unmarked, around it
    shot(page, "#saved-panel", shots / "saved.png")

    import feedparser

    with urllib.request.urlopen(url + "feeds/cranes.atom", timeout=60) as response:
        assert response.headers["Content-Type"].startswith("application/atom+xml")
        feed = feedparser.parse(response.read())
    assert not feed.bozo and len(feed.entries) == 1
    assert "4,321 migrating cranes" in feed.entries[0].content[0].value
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(url + "feeds/nothing-saved.atom", timeout=30)
    assert missing.value.code == 404

    page.locator("#saved-read").click()
    page.get_by_text("1 passages of 'cranes' marked as read").wait_for(timeout=30_000)
    assert page.locator("#saved-results .hit.new").count() == 0
    assert saved_row(0) in page.locator("#saved").inner_text()


def test_a_story_scraped_again_after_an_edit_shows_its_versions_and_what_changed(page, shots):  # noqa: F811
    ask(page, "Which rocket launcher did Kim Jong Un watch being test-fired in August 2024?")
    first = page.locator("#results .hit").first
    assert "MRLS" in first.inner_text()
    versions = first.locator("details.versions")
    assert versions.locator("summary").inner_text() == "2 versions"
    versions.locator("summary").click()
    items = versions.locator("li").all_inner_texts()
    assert len(items) == 2 and all("2024-08-28" in item and "kcna_rescraped.json#" in item for item in items)
    diff = versions.locator(".diff")
    diff.wait_for()
    assert any("240mm-calibre" in i for i in diff.locator("ins").all_inner_texts())
    assert any("240 mm" in d for d in diff.locator("del").all_inner_texts())
    shot(page, "#results .hit:first-child", shots / "versions.png")


def test_a_question_that_is_a_name_opens_the_persons_record(page, shots):  # noqa: F811
    page.locator("#question textarea").fill("Choe Son-hui")  # the spelling of the South's press
    page.locator("#search-button").click()
    head = page.locator("#person .person")
    head.wait_for(timeout=120_000)
    assert head.locator("h3").inner_text() == "Choe Son Hui"
    co = head.locator(".co li").all_inner_texts()
    assert co and all(re.search(r" \d+$", item) for item in co)  # names with their counts
    cards = page.locator("#person-passages .hit")
    assert cards.count() > 5
    cites = page.locator("#person-passages .hit .cite").all_inner_texts()
    dates = [m.group() for m in (re.search(r"\d{4}-\d{2}-\d{2}", c) for c in cites) if m]
    assert dates == sorted(dates, reverse=True) and len(dates) > 5  # newest first
    assert all("Choe Son Hui" in c.locator("mark").inner_text() for c in cards.all()[:5])
    page.locator("#person-timeline").scroll_into_view_if_needed()
    page.locator("#person-timeline g.plot_marks path, #person-timeline rect").first.wait_for(timeout=30_000)
    shot(page, "#people-panel", shots / "person.png")

    page.locator("#person-name textarea").fill("choe son hiu")  # a typo finds the one near name
    page.locator("#person-button").click()
    page.wait_for_timeout(500)
    page.wait_for_function("() => document.querySelector('#person h3')?.innerText === 'Choe Son Hui'")
