"""The browser tests that matter most, through nginx (``deploy/``) instead of straight to Streamlit.

The privacy promise (no request to any host but ours), the Content-Security-Policy (it must not break
anything: no violation and no script error on the find page with a search and the map) and accessibility
(axe-core, as ``test_accessibility.py``) hold when the app is reached the way a deployment serves it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from browser_helpers import DESKTOP, PHONE, RecordingPage
from deploy_helpers import running_stack
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from test_accessibility import RUN_DONE
from test_browser import MAP_IFRAME, wait_for_results

pytestmark = pytest.mark.browser

#: A content-hashed file name (name.<hash>.ext), as deploy/'s nginx configuration recognises it.
HASHED = re.compile(r"[.-][0-9a-fA-F]{8,64}\.[A-Za-z0-9]+$")

#: Records every Content-Security-Policy violation in every frame (the map is an iframe).
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  const v = `${location.pathname}: ${e.violatedDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`;
  window.__cspViolations.push(v);
  console.error('CSP violation ' + v);
});
"""


def wait_for_map(page, timeout=60_000):
    """The map's frame once it shows markers (during a rerun Streamlit may keep a hidden copy of the
    iframe first in the page, so the visible one is asked for)."""
    iframe = page.wait_for_selector(f"{MAP_IFRAME}:visible", timeout=timeout)
    frame = iframe.content_frame()
    frame.wait_for_selector(".finder-marker, .finder-cluster", timeout=timeout)
    return frame


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("proxy"), processes=2) as s:
        yield s


def test_find_page_through_nginx_private_and_within_the_policy(browser, stack, artifacts):
    rp = RecordingPage(browser, DESKTOP)
    rp.context.add_init_script(CSP_LISTENER)
    console_errors: list[str] = []
    rp.page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    static_answers: list[tuple[str, int, str]] = []
    rp.context.on(
        "response",
        lambda r: (
            static_answers.append((r.url, r.status, r.headers.get("cache-control", "")))
            if "/app/static/" in r.url
            else None
        ),
    )
    page = rp.page
    try:
        page.goto(f"{stack.url}/?lang=en&q=Leipzig", wait_until="domcontentloaded")
        wait_for_results(page, timeout=60_000)
        # a click on a marker selects its office: the map's scripts run under the component policy. A click
        # that lands while a rerun replaces the map is lost (seen on a cold process), so click again then.
        for _attempt in range(3):
            wait_for_map(page).locator(".finder-marker:visible").first.click(force=True)
            try:
                page.wait_for_function("() => location.search.includes('office=')", timeout=15_000)
                break
            except PlaywrightTimeoutError:
                continue
        assert "office=" in page.url
        wait_for_map(page)
        page.screenshot(path=str(artifacts / "proxy-desktop-leipzig.png"), full_page=True)
        # every violation in any frame (also in map frames replaced since) was written to the console
        assert [e for e in console_errors if "Content Security Policy" in e or "CSP violation" in e] == []
        assert page.evaluate("() => window.__cspViolations") == []
        # the map's files (scripts, layers) came from nginx's static folder; versioned and content-hashed
        # ones are cached for good, others for 5 minutes
        assert any(HASHED.search(urlsplit(url).path) for url, _status, _cache in static_answers)
        for url, status, cache in static_answers:
            assert status in (200, 304), url
            lasting = HASHED.search(urlsplit(url).path) or "/app/static/vendor/" in url
            assert cache == ("public, max-age=31536000, immutable" if lasting else "public, max-age=300"), url
        assert rp.errors == []
        assert rp.foreign_hosts() == set()
        # the page really came through nginx (its headers), not around it
        response = page.request.get(f"{stack.url}/")
        assert "default-src 'self'" in response.headers["content-security-policy"]
    finally:
        rp.close()


PAGES = [
    ("results", "/?lang=en&q=G%C3%B6rlitz&office=abh-goerlitz", DESKTOP, ".office-card"),
    ("results, Arabic, phone", "/?lang=ar&q=Leipzig&topic=asylum", PHONE, ".office-card"),
]


@pytest.mark.parametrize(("name", "path", "viewport", "ready"), PAGES, ids=[p[0] for p in PAGES])
def test_accessibility_through_nginx(browser, stack, name, path, viewport, ready):
    rp = RecordingPage(browser, viewport)
    page = rp.page
    try:
        page.goto(f"{stack.url}{path}", wait_until="domcontentloaded")
        page.wait_for_selector(ready, timeout=60_000)
        page.wait_for_function(RUN_DONE, timeout=60_000)
        # The "my position" button gets its name from its script once that has been imported (blob: URL);
        # axe running before that sees a button without a name (a race of the page, not of the proxy).
        page.wait_for_selector(".st-key-geolocate .geo[aria-label]", timeout=30_000)
        results = Axe().run(page)
        # (the package's own report fails on targets inside iframes, which are lists)
        found = [(v["id"], [n["target"] for n in v["nodes"]]) for v in results.response["violations"]]
        assert found == []
        assert rp.foreign_hosts() == set()
    finally:
        rp.close()
