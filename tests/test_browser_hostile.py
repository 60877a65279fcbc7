"""Hostile links in a real browser: Markdown and HTML in every URL parameter of every page stay text.

A shared link or QR code is the easiest way to put text into the app. Each page is opened with a
payload in every parameter it reads (one URL per free-text parameter, one URL with all the checked ones)
and the browser must show no link, image or formatting from it, run no script, show no exception, and
request nothing from any host but 127.0.0.1. Where the page shows the text back (an unknown place, a
what-if office), it must read exactly as typed.

Also: after a refused sign-in on the review page the password field is empty (D10).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from browser_helpers import DESKTOP, RecordingPage, running_app
from helpers import HOSTILE_MARKDOWN, REPO, make_offices_csv

from finder import corrections, urlstate
from ui.safe_text import WORD_JOINER

pytestmark = pytest.mark.browser

SECRET = "correct horse battery staple"
EVIL = "evil.example"
# Every kind of injection at once; no place search finds a place for it, so the find page says "Nothing
# found for “…”" and shows it back.
PAYLOAD = HOSTILE_MARKDOWN
# The directory refuses HTML tags, so an office can only carry Markdown.
PAYLOAD_DATA = (
    f"[Urgent](https://{EVIL}/n) ![t](https://{EVIL}/n.png) **zqbold** :red[zqred] $\\alpha$ www.{EVIL}"
)
HOSTILE_OFFICE = "abh-bautzen"
# Text that must never be a link, an image or a formatted element of its own.
PAYLOAD_WORDS = ("Urgent", "t", "zqbold", "zqb", "zqred", "alpha", "α")

# Every parameter the pages read (a new one is covered here automatically). The free-text ones (q, whatif)
# get a URL of their own; the rest are checked values, all hostile in one URL per page.
FIND_CHECKED = tuple(name for name in urlstate.PARAM_NAMES if name != "q")
COVERAGE_CHECKED = ("lang", *(name for name in urlstate.COVERAGE_PARAM_NAMES if name != "whatif"))

# (name, path, parameters, a selector that shows the page has its content, whether the payload is shown)
CASES = [
    ("find: q", "/", [("lang", "en"), ("q", "Leipzig"), ("q", PAYLOAD)], "[data-testid='stAlert']", True),
    # A point outside Saxony with the payload as its label: heading, "You are here", warning and map.
    ("find: at+q", "/", [("lang", "en"), ("at", "52.52,13.40"), ("q", PAYLOAD)], ".office-card", True),
    ("find: checked", "/", [(name, PAYLOAD) for name in FIND_CHECKED], ".office-card", False),
    (
        "coverage: whatif",
        "/coverage",
        [("lang", "en"), ("whatif", PAYLOAD)],
        "[data-testid='stMetric']",
        True,
    ),
    (
        "coverage: checked",
        "/coverage",
        [(name, PAYLOAD) for name in COVERAGE_CHECKED],
        "[data-testid='stMetric']",
        False,
    ),
    (
        "find: office data",
        "/",
        [("lang", "en"), ("q", "Bautzen"), ("office", HOSTILE_OFFICE)],
        ".office-card",
        False,
    ),
    ("report", "/report", [("lang", PAYLOAD), ("office", PAYLOAD)], ".office-card", False),
    ("report: office data", "/report", [("lang", "en"), ("office", HOSTILE_OFFICE)], ".office-card", False),
    ("review", "/review", [("lang", PAYLOAD)], "input[type='password']", False),
    ("about", "/about", [("lang", PAYLOAD)], "h2", False),
]

# Everything that can point somewhere, in the page and in every frame (the maps are iframes).
_INJECTED = """() => {
  const words = new Set(%s);
  const found = [];
  for (const el of document.querySelectorAll('[href], [src], [srcset], [action], [data], [poster]')) {
    for (const name of ['href', 'src', 'srcset', 'action', 'data', 'poster']) {
      const value = el.getAttribute(name);
      if (value && (value.includes('%s') || value === 'x')) found.push(`${el.tagName} ${name}=${value}`);
    }
  }
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith('on')) found.push(`${el.tagName} ${attr.name}`);
    }
  }
  for (const el of document.querySelectorAll('a, img, strong, b, em, i, del, code, span, mark, .katex')) {
    if (el.classList.contains('katex') || words.has(el.textContent.trim())) {
      found.push(`${el.tagName}.${el.className}: ${el.textContent.trim()}`);
    }
  }
  return found;
}"""


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory) -> Iterator[str]:
    """The app on a copy of the data with a hostile (but valid) office, its own corrections database and a
    review password."""
    folder = tmp_path_factory.mktemp("hostile")
    data = folder / "data"
    shutil.copytree(REPO / "data", data)
    _, rows = corrections.read_rows(data / "offices.csv")
    for row in rows:
        if row["id"] == HOSTILE_OFFICE:
            # A blank line could end the card's HTML block and let Markdown read the rest.
            row["opening_hours"] = f"Mo 9-12\n\n{PAYLOAD_DATA}"
            row["name"] += f" {PAYLOAD_DATA}"
    make_offices_csv(data / "offices.csv", rows)
    secrets = folder / "secrets.toml"
    secrets.write_text(f'review_password = "{SECRET}"\n', encoding="utf-8")
    env = {"FINDER_DATA_DIR": str(data), "FINDER_CORRECTIONS_DB": str(folder / "corrections.sqlite")}
    with running_app(folder, env, ["--secrets.files", str(secrets)]) as url:
        yield url


def settle(page, ready: str) -> None:
    """Wait for the page's content and for its script run to end."""
    page.wait_for_selector(ready, timeout=90_000)
    page.wait_for_function(
        '() => !document.querySelector(\'[data-testid="stStatusWidget"] [data-testid="stSpinner"],'
        ' [data-testid="stStatusWidget"] button\')',
        timeout=90_000,
    )
    time.sleep(1)  # late elements (the map's iframe, images) of the finished run


def injected(page) -> list[str]:
    """Links, images, event handlers and formatting that the payload produced, in every frame."""
    script = _INJECTED % (repr(list(PAYLOAD_WORDS)).replace("'", '"'), EVIL)
    found = []
    for frame in page.frames:
        try:
            found += frame.evaluate(script)
        except Exception as exc:  # a frame that went away while we looked has nothing left to show
            if "detached" not in str(exc) and "destroyed" not in str(exc):
                raise
    return found


@pytest.mark.parametrize(("name", "path", "params", "ready", "echoed"), CASES, ids=[c[0] for c in CASES])
def test_payload_in_url_stays_text(browser, hostile_app, artifacts, name, path, params, ready, echoed):
    rp = RecordingPage(browser, DESKTOP)
    page, dialogs = rp.page, []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.goto(f"{hostile_app}{path}?{urlencode(params)}", wait_until="domcontentloaded")
        settle(page, ready)
        main = page.inner_text("[data-testid='stMain']")
        found = injected(page)
        if found or dialogs:
            page.screenshot(path=str(artifacts / f"hostile-{name.replace(' ', '_')}.png"), full_page=True)
        assert found == []
        assert dialogs == []
        assert page.query_selector("[data-testid='stException']") is None
        assert "Traceback" not in main
        assert rp.errors == []
        assert rp.foreign_hosts() == set()
        if echoed:  # the page shows the text back, exactly as it was in the link
            assert PAYLOAD in main.replace(WORD_JOINER, "")  # (an invisible mark keeps bare links text)
    finally:
        rp.close()


def test_password_field_is_empty_after_a_refused_sign_in(browser, hostile_app):
    rp = RecordingPage(browser, DESKTOP)
    page = rp.page
    try:
        page.goto(f"{hostile_app}/review?lang=en", wait_until="domcontentloaded")
        settle(page, "input[type='password']")
        page.get_by_label("Your name (for the change history)").fill("Anna")
        field = page.get_by_label("Password", exact=True)
        field.fill("not-the-password-42")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector("[data-testid='stAlert']", timeout=30_000)  # wrong password (or locked)
        settle(page, "input[type='password']")
        field = page.locator("input[type='password']")
        # Neither the live value nor the DOM attribute keeps what was typed (shared office computers).
        assert field.input_value() == ""
        assert field.get_attribute("value") in (None, "")
        assert "not-the-password-42" not in page.content()
        assert rp.foreign_hosts() == set()
    finally:
        rp.close()
