"""Real-browser tests: headless Debian Chromium drives the running app on 127.0.0.1.

Every request the page makes (including the map's iframe) is recorded; any host but the app's own fails
the test. Screenshots (desktop and phone) go to ``test-artifacts/``.
"""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest
from browser_helpers import DESKTOP, PHONE, RecordingPage

pytestmark = pytest.mark.browser

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'


def wait_for_map(page, timeout=45_000):
    iframe = page.wait_for_selector(MAP_IFRAME, timeout=timeout)
    frame = iframe.content_frame()
    frame.wait_for_selector(".leaflet-container", timeout=timeout)
    frame.wait_for_selector(".finder-marker, .finder-cluster", timeout=timeout)
    # the component's iframe must really take space, not just exist
    deadline = time.monotonic() + 15
    while iframe.bounding_box()["height"] < 100 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert iframe.bounding_box()["height"] >= 100
    return iframe, frame


def wait_for_results(page, timeout=45_000):
    page.wait_for_selector("[class*='st-key-result-']", timeout=timeout)


def test_search_map_click_and_no_third_party_request(browser, app_url, artifacts):
    rp = RecordingPage(browser, DESKTOP)
    page = rp.page
    try:
        t0 = time.perf_counter()
        page.goto(f"{app_url}/?lang=en", wait_until="domcontentloaded")
        box = page.wait_for_selector(".st-key-place_text input", timeout=45_000)
        box.fill("Görliz")  # a typo on purpose
        box.press("Enter")
        wait_for_results(page)
        first_result_s = time.perf_counter() - t0
        assert "Görlitz" in page.inner_text("[data-testid='stMain']")
        # each card says how far (in words where both places are approximate: "in Görlitz", "about 12 km")
        assert page.locator("[class*='st-key-result-'] .office-distance").first.inner_text().strip()
        _iframe, frame = wait_for_map(page)

        # the URL mirrors the state, so the view can be shared
        assert "q=" in page.url

        # click a marker: the office at that point becomes selected in the list
        marker = frame.locator(".finder-marker").first
        marker.click(force=True)
        page.wait_for_function("() => location.search.includes('office=')", timeout=30_000)
        # the selection reruns the page; the map must come back with its markers
        wait_for_map(page)
        page.screenshot(path=str(artifacts / "desktop-goerlitz.png"), full_page=True)
        print(f"cold start to first result in the browser: {first_result_s:.1f} s")
        assert rp.errors == []
        assert rp.foreign_hosts() == set()
    finally:
        rp.close()


def test_arabic_is_right_to_left_on_a_phone(browser, app_url, artifacts):
    rp = RecordingPage(browser, PHONE)
    page = rp.page
    try:
        page.goto(f"{app_url}/?lang=ar&q={quote('لايبزيغ')}&topic=asylum", wait_until="domcontentloaded")
        wait_for_results(page)
        # the office cards (the primary result) are laid out right to left …
        # (the page's style element may arrive a moment after the first cards, so wait for the final state)
        page.wait_for_selector(".office-card", timeout=30_000)
        try:
            page.wait_for_function(
                "() => [...document.querySelectorAll('.office-card')]"
                ".every(c => getComputedStyle(c).direction === 'rtl')",
                timeout=20_000,
            )
        finally:
            page.screenshot(path=str(artifacts / "phone-arabic-leipzig.png"), full_page=True)
        # … while phone numbers stay readable left to right
        phone_dir = page.evaluate(
            "() => { const a = document.querySelector('.office-card a[href^=\"tel:\"]');"
            " return a ? getComputedStyle(a).direction : 'ltr'; }"
        )
        assert phone_dir == "ltr"
        wait_for_map(page)
        page.screenshot(path=str(artifacts / "phone-arabic-leipzig.png"), full_page=True)
        assert rp.foreign_hosts() == set()
    finally:
        rp.close()


def test_tampered_link_falls_back_with_a_notice(browser, app_url, artifacts):
    rp = RecordingPage(browser, PHONE)
    page = rp.page
    try:
        page.goto(
            f"{app_url}/?lang=xx&age=-5&radius=abc&topic=<script>&q=01067", wait_until="domcontentloaded"
        )
        wait_for_results(page)
        text = page.inner_text("[data-testid='stMain']")
        assert "Traceback" not in text
        assert page.query_selector("[data-testid='stException']") is None
        page.screenshot(path=str(artifacts / "phone-tampered-link.png"), full_page=True)
        assert rp.foreign_hosts() == set()
    finally:
        rp.close()
