"""Accessibility of every page, checked by axe-core (the WCAG 2 A/AA rules it runs by default) in
headless Chromium, on a desktop and a phone, left-to-right and right-to-left.

axe-core comes with the PyPI package ``axe-playwright-python``; it is injected into the page under test
only, so nothing is fetched from anywhere.
"""

from __future__ import annotations

import csv
import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from browser_helpers import DESKTOP, PHONE, RecordingPage
from helpers import REPO

with (REPO / "data" / "offices.csv").open(encoding="utf-8") as _file:
    #: An office whose card carries the "may have closed" warning (shown as the selected office).
    POSSIBLY_CLOSED = next(r["id"] for r in csv.DictReader(_file) if r["status"] == "possibly closed")

pytestmark = pytest.mark.browser

PAGES = [
    # (name, path and query, viewport, an element that shows the page has its content)
    ("start page", "/?lang=de", DESKTOP, ".st-key-place_text input"),
    ("results", "/?lang=en&q=G%C3%B6rlitz&office=abh-goerlitz", DESKTOP, ".office-card"),
    ("results, Arabic, phone", "/?lang=ar&q=Leipzig&topic=asylum", PHONE, ".office-card"),
    # a language: the nearest office that states it, the language and hours lines, a possibly closed office
    (
        "results for a language, Persian",
        f"/?lang=fa&q=Mei%C3%9Fen&language=ar&office={POSSIBLY_CLOSED}",
        DESKTOP,
        ".office-status",
    ),
    ("report a change, Ukrainian, phone", "/report?lang=uk&office=abh-bautzen", PHONE, "textarea"),
    ("coverage", "/coverage?lang=en", DESKTOP, "[data-testid='stMetric']"),
    ("about, Persian", "/about?lang=fa", DESKTOP, "h2"),
    ("review (closed)", "/review?lang=de", DESKTOP, "[data-testid='stAlert']"),
]


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


@pytest.mark.parametrize(("name", "path", "viewport", "ready"), PAGES, ids=[p[0] for p in PAGES])
def test_page_has_no_accessibility_violations(browser, app_url, axe, name, path, viewport, ready):
    rp = RecordingPage(browser, viewport)
    page = rp.page
    try:
        page.goto(f"{app_url}{path}", wait_until="domcontentloaded")
        page.wait_for_selector(ready, timeout=60_000)
        # Let the script run finish, so axe sees the page as a person does.
        page.wait_for_function(
            '() => !document.querySelector(\'[data-testid="stStatusWidget"] [data-testid="stSpinner"],'
            ' [data-testid="stStatusWidget"] button\')',
            timeout=60_000,
        )
        time.sleep(1)
        results = axe.run(page)
        assert results.violations_count == 0, results.generate_report()
        assert rp.foreign_hosts() == set()
    finally:
        rp.close()
