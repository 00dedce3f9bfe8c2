"""Take the README's screenshot: the app on the seeds, a question asked, one source opened.

Usage: python docs/screenshot.py URL OUT.png  (needs Debian's chromium and the playwright package)."""

import sys

from playwright.sync_api import sync_playwright

url, out = sys.argv[1], sys.argv[2]
with sync_playwright() as p:
    browser = p.chromium.launch(
        executable_path="/usr/bin/chromium",
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
    )
    page = browser.new_page(viewport={"width": 1200, "height": 1100})
    page.goto(url)
    page.locator("#question textarea").fill("Which company made an antivirus program?")
    page.locator("#search-button").click()
    page.locator(".hit").first.wait_for(timeout=60_000)
    page.locator(".hit details summary").first.click()
    page.screenshot(path=out, full_page=False)
    browser.close()
