"""Accessibility of every page in every interface language, checked by axe-core (the WCAG 2 A/AA rules it
runs by default) in headless Chromium, alternating phone and desktop, left-to-right and right-to-left.

axe-core comes with the PyPI package ``axe-playwright-python``; it is injected into the page under test
only, so nothing is fetched from anywhere. One browser, one app and two reused pages (a phone and a
desktop) keep the 58 checks to about a minute and a half. axe runs as soon as the script run has finished,
with no grace period: what a person may see for a moment (CSS that a rerun has not sent yet, as on the
two loads of the issue) must pass too.

Not here: the ``verify`` page (the outreach tests check it).
"""

from __future__ import annotations

import csv
import tomllib

import pytest
from axe_playwright_python.sync_playwright import Axe
from browser_helpers import DESKTOP, PHONE, RecordingPage
from helpers import REPO

from finder import i18n

with (REPO / "data" / "offices.csv").open(encoding="utf-8") as _file:
    #: An office whose card carries the "may have closed" warning (shown as the selected office).
    POSSIBLY_CLOSED = next(r["id"] for r in csv.DictReader(_file) if r["status"] == "possibly closed")

pytestmark = pytest.mark.browser

#: The results page differs per language: other towns, filters, a selected office, a language search.
RESULTS_QUERY = {
    "de": "q=G%C3%B6rlitz&office=abh-goerlitz",
    "en": "q=Chemnitz&language=ar",
    "uk": "q=Plauen&topic=residence",
    "ru": "q=04109&age=30",
    "ar": "q=Leipzig&topic=asylum",
    "fa": f"q=Mei%C3%9Fen&language=ar&office={POSSIBLY_CLOSED}",  # the language lines, a possibly closed office
    "tr": "q=Bautzen&open=today",
    "vi": "q=Zwickau&language=vi",
}
#: (page, path with {lang} and {results}, an element that shows the page has its content)
PAGES = (
    ("start", "/?lang={lang}", ".st-key-place_text input"),
    ("results", "/?lang={lang}&{results}", ".office-card"),
    ("coverage", "/coverage?lang={lang}", "[data-testid='stMetric']"),
    ("report", "/report?lang={lang}&office=abh-bautzen", "textarea"),
    ("about", "/about?lang={lang}", "h2"),
    ("review", "/review?lang={lang}", "[data-testid='stAlert']"),
    ("accessibility", "/accessibility?lang={lang}", "h2"),
)
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}


def _cases() -> list[tuple[str, str, str]]:
    """(path, viewport name, ready selector): every page × language, phone and desktop alternating."""
    cases = []
    for i, (_name, path, ready) in enumerate(PAGES):
        for j, lang in enumerate(i18n.LANGUAGES):
            viewport = "phone" if (i + j) % 2 else "desktop"
            cases.append((path.format(lang=lang, results=RESULTS_QUERY[lang]), viewport, ready))
    # The two loads on which an independent axe run found faded captions (3.88:1).
    cases.append(("/?lang=de&q=01067&language=ar&age=19", "desktop", ".office-card"))
    cases.append(("/?lang=vi&q=Zwickau", "phone", ".office-card"))
    return cases


CASES = _cases()
#: The run has finished when Streamlit shows neither its spinner nor its "stop" button.
RUN_DONE = (
    '() => !document.querySelector(\'[data-testid="stStatusWidget"] [data-testid="stSpinner"],'
    ' [data-testid="stStatusWidget"] button\')'
)


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _blend(fg: str, bg: str, alpha: float) -> str:
    mixed = [round(alpha * int(fg[i : i + 2], 16) + (1 - alpha) * int(bg[i : i + 2], 16)) for i in (1, 3, 5)]
    return "#" + "".join(f"{c:02x}" for c in mixed)


def test_theme_text_colour_keeps_faded_captions_readable() -> None:
    # Streamlit draws captions and help text in the theme's text colour at 60 % opacity. The theme is on the
    # page from the first paint, unlike the page CSS, which a rerun removes for a moment (3.88:1 then).
    theme = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))["theme"]
    for background in ("#ffffff", "#f0f2f6"):  # the page and Streamlit's grey panels
        caption = _luminance(_blend(theme["textColor"], background, 0.6))
        ratio = (_luminance(background) + 0.05) / (caption + 0.05)
        assert ratio >= 4.5, (background, round(ratio, 2))


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


@pytest.fixture(scope="module")
def pages(browser):
    """One page per viewport, reused by every check (a new Streamlit session on each load)."""
    recording = {name: RecordingPage(browser, size) for name, size in VIEWPORTS.items()}
    yield recording
    for rp in recording.values():
        rp.close()


def test_every_page_and_language_is_checked() -> None:
    languages = {path.split("lang=")[1][:2] for path, _, _ in CASES}
    assert languages == set(i18n.LANGUAGES)
    for name, path, _ in PAGES:
        viewports = {v for p, v, _ in CASES if p.split("?")[0] == path.split("?")[0]}
        assert viewports == {"phone", "desktop"}, name
    assert len(CASES) == len(PAGES) * len(i18n.LANGUAGES) + 2


@pytest.mark.parametrize(("path", "viewport", "ready"), CASES, ids=[f"{p} {v}" for p, v, _ in CASES])
def test_page_has_no_accessibility_violations(app_url, pages, axe, path, viewport, ready):
    rp = pages[viewport]
    rp.requests.clear()
    page = rp.page
    page.goto(f"{app_url}{path}", wait_until="domcontentloaded")
    page.wait_for_selector(ready, timeout=60_000)
    page.wait_for_function(RUN_DONE, timeout=60_000)
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()
    assert rp.foreign_hosts() == set()
