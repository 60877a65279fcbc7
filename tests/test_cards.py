"""Office cards, the handout, the CLI text and the accessibility statement: distances in words, route
links, the read-aloud text, and the statement in every interface language (no browser: see
``test_browser_cards.py`` for the button itself)."""

from __future__ import annotations

import datetime as dt
import html
import re
from types import SimpleNamespace

import pandas as pd
import pytest
from helpers import HOSTILE_MARKDOWN, REPO, active_markdown, run_cli
from streamlit.testing.v1 import AppTest

import ui.resources
from finder import i18n
from finder.core import Finder
from finder.handout import handout_html
from finder.settings import Settings
from finder.share import office_card, route_links, speech_text, spoken_digits
from ui.cards import READ_ALOUD_CSS, card_html
from ui.pages import accessibility

TODAY = dt.date(2026, 11, 30)
APP = str(REPO / "app.py")


@pytest.fixture(scope="module")
def finder() -> Finder:
    return Finder()


@pytest.fixture(scope="module")
def chemnitz(finder: Finder):
    place = finder.locate("Chemnitz")
    return place, finder.nearest(place, limit=10)


def test_cards_in_chemnitz_say_in_chemnitz_not_zero_km(chemnitz) -> None:
    place, results = chemnitz
    assert results["same_place"].any()  # offices at the town's point: the case of the issue
    where = {"origin_precision": place.precision, "origin_label": place.label}
    for lang in i18n.LANGUAGES:
        zero = i18n.t("units.km", lang, km=i18n.format_km(0.0, lang))
        for row in results.to_dict("records"):
            card = office_card(row, lang, today=TODAY, **where)
            shown = card_html(card, lang)
            assert zero not in shown and zero not in speech_text(card, lang)
            if row["same_place"]:
                assert card.distance_text == i18n.t("distance.in_place", lang, place=row["city"])
            assert f'<bdi class="office-distance">{html.escape(card.distance_text)}</bdi>' in shown


def test_postcode_search_says_in_your_postcode_area(finder: Finder) -> None:
    place = finder.locate("01067")
    results = finder.nearest(place, limit=5)
    same = results[results["same_place"] & (results["postcode"] == "01067")]
    assert not same.empty
    card = office_card(
        same.iloc[0], "de", today=TODAY, origin_precision=place.precision, origin_label=place.label
    )
    assert card.distance_text == i18n.t("distance.in_postcode_area", "de")


def test_handout_says_distances_in_words(chemnitz) -> None:
    place, results = chemnitz
    page = handout_html(place, results, "http://localhost:8501/?q=Chemnitz", "en", today=TODAY)
    assert "0.0 km" not in page
    assert page.count(f"<bdi>{i18n.t('distance.in_place', 'en', place='Chemnitz')}</bdi>") == int(
        results["same_place"].sum()
    )


def test_cli_text_says_distances_in_words(capsys) -> None:
    code, out, _ = run_cli(["nearest", "--at", "Chemnitz", "--language", "ar"], capsys)
    assert code == 0
    assert "0.0 km" not in out
    assert "in Chemnitz" in out
    assert re.search(r"Nearest office that states ar: .+ \((in Chemnitz|about \d+ km)\)", out)


def test_route_links_escape_names_and_addresses() -> None:
    name = 'Büro ) & <script>"x"'
    geo, osm = route_links(51.05, 13.74, "street", name=name, street="", place="")
    assert geo.startswith("geo:51.05000,13.74000?q=51.05000%2C13.74000(")
    label = geo[geo.index("(") + 1 : -1]
    assert ")" not in label and "&" not in label and "<" not in label and '"' not in label
    assert osm == "https://www.openstreetmap.org/directions?route=%3B51.05000%2C13.74000"
    row = {"id": "x", "name": name, "kind": "MBE", "street": "Weg 1 & 2", "postcode": "01067", "city": "Dresden",
           "lat": 51.05, "lon": 13.74, "geocode_precision": "postcode"}  # fmt: skip
    shown = card_html(office_card(row, "en", today=TODAY), "en")
    hrefs = re.findall(r'href="([^"]*)"', shown)
    assert "geo:51.05000,13.74000?q=Weg%201%20%26%202%2C%2001067%20Dresden" in hrefs
    assert "https://www.openstreetmap.org/directions?to=Weg%201%20%26%202%2C%2001067%20Dresden" in hrefs
    assert "<script>" not in shown
    # The web route says where it goes and opens apart from the app; the geo: link stays in the page.
    assert re.search(r'<a class="route-web" href="[^"]+" target="_blank" rel="noopener noreferrer">', shown)
    assert i18n.t("office.route_web", "en") in shown and "openstreetmap.org" in i18n.t(
        "office.route_web", "de"
    )


def test_no_route_without_a_position_or_street() -> None:
    assert route_links(None, None, "street", name="x", street="Weg 1", place="") == ("", "")
    row = {
        "id": "x",
        "name": "X",
        "kind": "MBE",
        "city": "Pirna",
        "lat": 50.96,
        "lon": 13.94,
        "geocode_precision": "place",
    }
    shown = card_html(office_card(row, "en", today=TODAY), "en")
    assert "geo:" not in shown and "directions" not in shown


@pytest.mark.parametrize(
    ("phone", "digits"),
    [
        ("0351 / 49 63-0", "0 3 5 1, 4 9, 6 3, 0"),
        ("+49 341 12", "+4 9, 3 4 1, 1 2"),
        ("Tel. 03581 66", "0 3 5 8 1, 6 6"),
    ],
)
def test_phone_numbers_are_read_digit_by_digit(phone: str, digits: str) -> None:
    assert spoken_digits(phone) == digits


def test_read_aloud_button_carries_the_card_text_escaped() -> None:
    row = {"id": "x", "name": 'A "B" <i>C</i>', "kind": "JMD", "phone": "0351 12345", "street": "Hauptstr. 1",
           "postcode": "01067", "city": "Dresden", "languages": "ar;uk", "distance_km": 3.2,
           "distance_precision_km": 5.0, "same_place": True}  # fmt: skip
    for lang in i18n.LANGUAGES:
        card = office_card(row, lang, today=TODAY, origin_precision="place", origin_label="Dresden")
        shown = card_html(card, lang)
        button = re.search(r"<button ([^>]*)>(.*?)</button>", shown)
        assert button is not None
        attributes = button.group(1)
        assert " hidden " in f" {attributes} " and f'data-speak-lang="{lang}"' in attributes
        speak = html.unescape(re.search(r'data-speak="([^"]*)"', attributes).group(1))
        assert speak == speech_text(card, lang)
        assert speak.startswith('A "B" <i>C</i>.')  # the data as written: the browser speaks it as text
        assert "0 3 5 1, 1 2 3 4 5" in speak and "0351 12345" not in speak
        assert i18n.t("office.phone", lang) in speak and card.distance_text in speak
        assert i18n.t("office.read_aloud", lang) in button.group(2)
        # CSS shows the button only for a language the browser has a voice for.
        assert (
            f'html[data-read-aloud~="{lang}"] button.read-aloud[data-speak-lang="{lang}"]' in READ_ALOUD_CSS
        )


# ------------------------------------------------------------------------------------------ statement


def statement(lang: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("ui/pages/accessibility.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_statement_in_every_language() -> None:
    for lang in i18n.LANGUAGES:
        at = statement(lang)
        assert at.title[0].value == i18n.t("accessibility.title", lang)
        text = "\n".join(m.value for m in at.markdown)
        for key in (
            *accessibility.KNOWN_BARRIERS,
            "accessibility.status_text",
            "accessibility.contact_missing",
        ):
            assert re.sub(r"\\(.)", r"\1", i18n.t(key, lang)) in re.sub(r"\\(.)", r"\1", text), (lang, key)
        date = i18n.format_date(accessibility.STATEMENT_PREPARED, lang)
        assert any(date in re.sub(r"\\(.)", r"\1", m.value) for m in at.markdown)
        assert accessibility.ENFORCEMENT_URL in text and accessibility.ENFORCEMENT_EMAIL in text
        headers = [h.value for h in at.header]
        assert i18n.t("accessibility.enforcement_heading", lang) in headers
        assert at.query_params == {"lang": lang}


def test_statement_shows_the_configured_contact_as_text(monkeypatch) -> None:
    fixed = SimpleNamespace(settings=Settings(accessibility_contact=HOSTILE_MARKDOWN), offices=pd.DataFrame())
    monkeypatch.setattr(ui.resources, "get_finder", lambda: fixed)
    at = statement("en")
    lines = [m.value for m in at.markdown if "Contact for accessibility questions" in m.value]
    assert len(lines) == 1 and active_markdown(lines[0]) == []
    assert not any(i18n.t("accessibility.contact_missing", "en") in m.value for m in at.markdown)
