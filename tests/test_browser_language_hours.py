"""Real-browser tests of issue 9: counselling in a language near Meißen, and "open now" in Arabic.

The app runs with ``FINDER_NOW`` (Tuesday 1 December 2026, 10:00 in Berlin), so what the page says about
opening hours is fixed and compared with the library at that instant. Every request must stay on
127.0.0.1; screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from browser_helpers import DESKTOP, PHONE, RecordingPage, running_app

from finder import i18n
from finder.core import Finder
from finder.hours import BERLIN

pytestmark = pytest.mark.browser

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=BERLIN)
RESULT_CARDS = "[class*='st-key-result-'] .office-card"


@pytest.fixture(scope="module")
def fixed_app(tmp_path_factory) -> Iterator[str]:
    """The app on the embedded data, its clock fixed at :data:`NOW`."""
    folder = tmp_path_factory.mktemp("app-now")
    env = {"FINDER_NOW": NOW.strftime("%Y-%m-%dT%H:%M"), "FINDER_CORRECTIONS_DB": str(folder / "c.sqlite")}
    with running_app(folder, env) as url:
        yield url


@pytest.fixture(scope="module")
def finder() -> Finder:
    return Finder()


def result_ids(page) -> list[str]:
    return page.eval_on_selector_all(RESULT_CARDS, "cards => cards.map(c => c.dataset.officeId)")


def wait_for_cards(page, ids: list[str]) -> None:
    """Wait until the result cards are exactly ``ids`` (a rerun may still be replacing them)."""
    page.wait_for_function(
        f"ids => JSON.stringify([...document.querySelectorAll({RESULT_CARDS!r})]"
        ".map(c => c.dataset.officeId)) === JSON.stringify(ids)",
        arg=ids,
        timeout=45_000,
    )


def test_meissen_in_arabic_lists_help_nearby_and_names_the_nearest_that_states_it(
    browser, fixed_app, finder, artifacts
):
    place = finder.locate("Meißen")
    expected = finder.nearest(place, languages=("ar",), at=NOW)
    stated = finder.nearest_stated(place, languages=("ar",), at=NOW)
    assert not stated.empty and (expected["language_match"] == "not_stated").all()
    rp = RecordingPage(browser, DESKTOP)
    page = rp.page
    try:
        page.goto(f"{fixed_app}/?lang=en&q={quote('Meißen')}&language=ar", wait_until="domcontentloaded")
        wait_for_cards(page, expected["id"].tolist())
        matches = page.eval_on_selector_all(
            f"{RESULT_CARDS} .office-match", "lines => lines.map(p => p.dataset.match)"
        )
        assert matches == expected["language_match"].tolist()
        main = page.inner_text("[data-testid='stMain']")
        assert "Nearest office that says it counsels in Arabic" in main
        assert stated["name"].iloc[0] in main
        page.get_by_text("Nearest office that says it counsels in Arabic").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "desktop-meissen-arabic.png"))
        # "Show on map" beside that line selects the office that states Arabic.
        page.click(f".st-key-show-nearest_stated-{stated['id'].iloc[0]} button")
        page.wait_for_function(
            "id => location.search.includes('office=' + id)", arg=stated["id"].iloc[0], timeout=30_000
        )
        assert rp.errors == []
        assert rp.foreign_hosts() == set()
    finally:
        rp.close()


def test_open_now_filter_in_arabic_on_a_phone(browser, fixed_app, finder, artifacts):
    place = finder.locate("Leipzig")
    expected = finder.nearest(place, open="now", at=NOW)["id"].tolist()
    assert expected  # Tuesday 10:00: some offices near Leipzig publish hours that say open
    open_label = i18n.t("find.open_now", "ar")
    rp = RecordingPage(browser, PHONE)
    page = rp.page
    try:
        page.goto(f"{fixed_app}/?lang=ar&q={quote('لايبزيغ')}", wait_until="domcontentloaded")
        page.wait_for_selector(RESULT_CARDS, timeout=45_000)
        assert result_ids(page) != expected  # without the filter the list is another
        page.locator(".st-key-open button", has_text=open_label).click()
        page.wait_for_function("() => location.search.includes('open=now')", timeout=30_000)
        wait_for_cards(page, expected)
        lines = page.eval_on_selector_all(
            f"{RESULT_CARDS} .office-hours", "ps => ps.map(p => [p.dataset.hours, p.textContent])"
        )
        assert len(lines) == len(expected)
        open_now = i18n.t("office.open_now", "ar")  # "مفتوح الآن", the start of "open now, until …"
        appointment = i18n.t(
            "office.by_appointment", "ar"
        )  # structured hours open, the text: only by appointment
        assert all(
            (state == "open" and open_now in text) or (state == "appointment" and appointment in text)
            for state, text in lines
        ), lines
        page.wait_for_function(
            f"() => [...document.querySelectorAll({RESULT_CARDS!r})]"
            ".every(c => getComputedStyle(c).direction === 'rtl')",
            timeout=20_000,
        )
        page.locator(RESULT_CARDS).first.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "phone-arabic-open-now.png"))
        assert rp.errors == []
        assert rp.foreign_hosts() == set()
    finally:
        rp.close()
