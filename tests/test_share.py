"""QR codes, office facts (finder.share) and the printable handout (finder.handout); the URL state is in
test_urlstate.py."""

from __future__ import annotations

import datetime as dt
import html
import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from finder import i18n
from finder.core import Place
from finder.handout import handout_html, static_map_svg
from finder.share import hours_line, office_card, qr_png, qr_svg, tel_href

TODAY = dt.date(2026, 11, 28)


# ------------------------------------------------------------------------------------------ QR codes


def test_qr_svg_is_inline_and_labelled() -> None:
    svg = qr_svg("http://localhost:8501/?q=Görlitz", title='Scan "me" <now>')
    assert svg.startswith("<svg ")
    assert 'role="img"' in svg
    assert 'aria-label="Scan &quot;me&quot; &lt;now&gt;"' in svg
    assert "<path" in svg
    assert "href" not in svg  # nothing external


def test_qr_png() -> None:
    assert qr_png("http://localhost:8501/").startswith(b"\x89PNG\r\n\x1a\n")


# ------------------------------------------------------------------------------------------ office facts


@pytest.mark.parametrize(
    ("phone", "href"),
    [
        ("0351 4886009", "tel:+493514886009"),
        ("+49 (0)341 123", "tel:+490341123"),
        ("0049 371 1", "tel:+493711"),
        ("03437 984 4731", "tel:+4934379844731"),
        ("12", ""),
    ],
)
def test_tel_href(phone: str, href: str) -> None:
    assert tel_href(phone) == href


def _row(**changes: object) -> dict:
    row = {
        "id": "mbe-test",
        "name": "Migrationsberatung <b>Test</b>",
        "provider": "Träger e.V.",
        "kind": "MBE",
        "street": "Hauptstraße 1",
        "postcode": "01067",
        "city": "Dresden",
        "phone": "0351 123456; 0351 654321",
        "email": "info@example.org",
        "website": "https://example.org/mbe",
        "languages": "ar;fa",
        "opening_hours": "Mo 9-12",
        "source_url": "https://example.org/a | javascript:alert(1)",
        "source_date": "2025-06",
        "last_checked": "2026-11-28",
        "lat": 51.05,
        "lon": 13.74,
        "geocode_precision": "street",
        "distance_km": 1.234,
    }
    row.update(changes)
    return row


def test_office_card_facts() -> None:
    card = office_card(_row(), "en", today=TODAY)
    assert card.kind_label == i18n.kind_label("MBE", "en")
    assert card.phones == (("0351 123456", "tel:+49351123456"), ("0351 654321", "tel:+49351654321"))
    assert card.emails == (("info@example.org", "mailto:info@example.org"),)
    assert card.languages == ("Arabic", "Persian")
    assert card.language_stated
    assert card.source_urls == ("https://example.org/a",)  # a javascript: URL is never a link
    assert card.as_of_text == i18n.t("office.as_of", "en", date="June 2025")
    assert card.checked_text == i18n.t("office.checked", "en", date="November 28, 2026")
    assert not card.stale
    assert card.notes == ()
    assert card.precision_text == i18n.precision_label("street", "en")
    assert card.osm_url.startswith("https://www.openstreetmap.org/?mlat=51.05000&mlon=13.74000")
    # The route carries the destination only, never the person's place.
    assert card.directions_url == "https://www.openstreetmap.org/directions?route=%3B51.05000%2C13.74000"
    assert (
        card.route_url
        == "geo:51.05000,13.74000?q=51.05000%2C13.74000(Migrationsberatung%20%3Cb%3ETest%3C%2Fb%3E)"
    )
    assert card.distance_km == pytest.approx(1.234)
    assert card.distance_text == i18n.t("units.km", "en", km="1.2")  # no precision columns: exact


# Hours worked out by hand at fixed instants (Europe/Berlin; 2026-12-01 is a Tuesday, 2026-11-18 Buß- und
# Bettag, a public holiday in Saxony).
WEEKDAYS_9_12 = "Mo-Fr 09:00-12:00; PH off"
HOURS_CASES = [
    # (osm, text, instant, state, catalogue key, day shown)
    (WEEKDAYS_9_12, "", dt.datetime(2026, 12, 1, 10, 0), "open", "office.open_until", None),
    (WEEKDAYS_9_12, "", dt.datetime(2026, 12, 1, 8, 0), "closed", "office.opens_today", None),
    (WEEKDAYS_9_12, "", dt.datetime(2026, 12, 1, 12, 0), "closed", "office.opens_tomorrow", None),
    (WEEKDAYS_9_12, "", dt.datetime(2026, 12, 4, 13, 0), "closed", "office.opens_on", dt.date(2026, 12, 7)),
    (WEEKDAYS_9_12, "", dt.datetime(2026, 11, 17, 13, 0), "closed", "office.opens_on", dt.date(2026, 11, 19)),
    ("Th[1] 15:00-17:00", "", dt.datetime(2026, 12, 3, 18, 0), "closed", "office.opens_on", dt.date(2027, 1, 7)),
    ("Mo-Su 00:00-24:00", "", dt.datetime(2026, 12, 1, 10, 0), "open", "office.open_now", None),  # to Christmas
    ("Mo-Su 00:00-24:00; PH open", "", dt.datetime(2026, 12, 1, 10, 0), "open", "office.open_now", None),
    ("Mo-Fr 08:00-16:00", "Mo-Fr 8-16; nur mit Termin", dt.datetime(2026, 12, 1, 10, 0), "appointment",
     "office.by_appointment", None),
    ("", "Termine nach Vereinbarung", dt.datetime(2026, 12, 1, 10, 0), "appointment", "office.by_appointment",
     None),
    ("", "täglich 9-12", dt.datetime(2026, 12, 1, 10, 0), "unknown", "office.hours_unknown", None),
]  # fmt: skip


@pytest.mark.parametrize("lang", sorted(i18n.LANGUAGES))
@pytest.mark.parametrize(("osm", "text", "at", "state", "key", "day"), HOURS_CASES)
def test_hours_line_at_fixed_instants(lang, osm, text, at, state, key, day) -> None:
    got_state, line = hours_line(osm, text, at, lang)
    assert got_state == state
    hour = {
        "office.open_until": dt.time(12),
        "office.opens_today": dt.time(9),
        "office.opens_tomorrow": dt.time(9),
    }
    values = {}
    if key in hour:
        values["time"] = i18n.format_time(hour[key], lang)
    if day is not None:
        values["time"] = i18n.format_time(dt.time(15 if osm.startswith("Th[1]") else 9), lang)
        values["day"] = i18n.format_day(day, lang, with_date=(day - at.date()).days >= 7)
    assert line == i18n.t(key, lang, **values)


def test_hours_line_in_words() -> None:
    tuesday = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)  # 11:00 in Berlin: still open
    assert hours_line(WEEKDAYS_9_12, "", tuesday, "en") == ("open", "Open now, until 12:00\u202fPM")
    assert hours_line(WEEKDAYS_9_12, "", dt.datetime(2026, 12, 4, 13, 0), "de") == (
        "closed", "Jetzt geschlossen · öffnet am Montag um 09:00 Uhr"
    )  # fmt: skip
    assert hours_line(WEEKDAYS_9_12, "", dt.datetime(2026, 11, 18, 10, 0), "ar")[1] == i18n.t(
        "office.opens_tomorrow", "ar", time=i18n.format_time(dt.time(9), "ar")
    )  # Buß- und Bettag: closed, opens on Thursday


def test_office_card_interpreting_status_and_hours() -> None:
    at = dt.datetime(2026, 12, 1, 10, 0)
    card = office_card(_row(interpreting="yes", status="possibly closed", opening_hours_osm=WEEKDAYS_9_12),
                       "uk", today=TODAY, at=at)  # fmt: skip
    assert card.interpreting and card.interpreting_text == i18n.t("office.interpreting", "uk")
    assert (card.status, card.status_text) == ("possibly closed", i18n.t("office.possibly_closed", "uk"))
    assert (card.hours_state, card.hours_text) == hours_line(WEEKDAYS_9_12, "Mo 9-12", at, "uk")
    plain = office_card(_row(), "uk", today=TODAY)  # no instant: nothing said about "open now"
    assert (plain.interpreting_text, plain.status, plain.status_text, plain.hours_state) == (
        "",
        "active",
        "",
        "",
    )
    closed = office_card(_row(status="closed", interpreting="no"), "en", today=TODAY)
    assert closed.status_text == i18n.t("office.closed_office", "en") and not closed.interpreting


@pytest.mark.parametrize(
    ("languages", "interpreting", "requested", "match", "key", "named"),
    [
        ("ar;fa", "", ("fa", "ti"), "stated", "office.counsels_in", ("fa",)),  # only those it states
        ("ar;fa", "", ("fa", "ar"), "stated", "office.counsels_in", ("fa", "ar")),
        ("", "", ("ar",), "not_stated", "office.languages_unknown", ()),
        ("ru", "yes", ("ar",), "not_stated", "office.interpreting", ()),
        ("ru", "no", ("ar", "fa"), "not_stated", "office.not_in_language", ("ar", "fa")),
    ],
)
def test_office_card_says_whether_it_counsels_in_the_requested_language(
    languages, interpreting, requested, match, key, named
) -> None:
    card = office_card(
        _row(languages=languages, interpreting=interpreting), "de", today=TODAY, requested=requested
    )
    names = [i18n.language_name(c, "de") for c in named]
    joined = " und ".join(names) if key == "office.counsels_in" else " oder ".join(names)
    assert (card.language_match, card.match_text) == (match, i18n.t(key, "de", languages=joined))
    plain = office_card(_row(languages=languages, interpreting=interpreting), "de", today=TODAY)
    assert (plain.language_match, plain.match_text) == ("", "")  # no language asked for


def test_office_card_honest_notes() -> None:
    old = office_card(_row(source_date="2019"), "en", today=TODAY)
    assert old.stale
    assert old.notes == (i18n.t("office.outdated", "en", years="2"),)
    undated = office_card(_row(source_date="", street=""), "en", today=TODAY)
    assert undated.stale
    assert undated.as_of_text == i18n.t("office.undated", "en")
    assert undated.notes == (i18n.t("office.undated_note", "en"), i18n.t("office.no_street", "en"))
    assert old.confirmed_text == "" and old.dates_text == f"{old.as_of_text} · {old.checked_text}"


def test_office_card_counts_a_maintainers_confirmation() -> None:
    # corrections.load_directory puts "still correct" dates in the ``confirmed`` column.
    card = office_card(_row(source_date="2019", confirmed="2026-10-01"), "de", today=TODAY)
    assert not card.stale and card.notes == ()
    assert card.confirmed_text == i18n.t("office.confirmed", "de", date="1. Oktober 2026")
    assert card.dates_text.endswith(card.confirmed_text)
    undated = office_card(_row(source_date="", confirmed="2026-10-01"), "en", today=TODAY)
    assert not undated.stale and undated.as_of_text == i18n.t("office.undated", "en")
    nowhere = office_card(
        _row(street="", postcode="", city="", lat=None, lon=float("nan"), languages="", website="ftp://x"),
        "de",
        today=TODAY,
    )
    assert i18n.t("office.no_address", "de") in nowhere.notes
    assert nowhere.precision_text == i18n.t("office.online_only", "de")
    assert (nowhere.osm_url, nowhere.directions_url, nowhere.website) == ("", "", "")
    assert not nowhere.language_stated


def test_office_card_approximate_position_routes_to_the_written_address() -> None:
    card = office_card(_row(geocode_precision="postcode"), "en", today=TODAY)
    address = "Hauptstra%C3%9Fe%201%2C%2001067%20Dresden"
    assert card.osm_url == f"https://www.openstreetmap.org/search?query={address}"
    # Not a route to the postcode's centre: the maps app and OpenStreetMap look the address up.
    assert card.route_url == f"geo:51.05000,13.74000?q={address}"
    assert card.directions_url == f"https://www.openstreetmap.org/directions?to={address}"
    no_street = office_card(_row(geocode_precision="place", street=""), "en", today=TODAY)
    assert (no_street.route_url, no_street.directions_url) == ("", "")


def test_office_card_accepts_a_series_without_distance() -> None:
    card = office_card(pd.Series(_row()).drop("distance_km"), "ar", today=TODAY)
    assert card.distance_km is None
    assert card.languages == (i18n.language_name("ar", "ar"), i18n.language_name("fa", "ar"))


# ------------------------------------------------------------------------------------------ handout


def _districts() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["Dresden <city>", "Elsewhere"]},
        geometry=[shapely.box(13.6, 50.95, 13.9, 51.15), shapely.box(20, 50, 21, 51)],
        crs="EPSG:4326",
    )


def test_static_map_svg() -> None:
    svg = static_map_svg(
        _districts(), [(51.05, 13.74, "1"), (51.06, 13.75, "2 <b>")], origin=(51.0, 13.7), title="Map & more"
    )
    assert svg.startswith("<svg ")
    assert svg.count("<circle") == 4  # two offices, origin ring and dot
    assert "Dresden &lt;city&gt;" in svg
    assert "Elsewhere" not in svg  # outside the view
    assert "2 &lt;b&gt;" in svg
    assert 'aria-label="Map &amp; more"' in svg
    assert static_map_svg(None, []) == ""
    # Offices at one point share a marker whose label lists them.
    shared = static_map_svg(None, [(51.0, 13.0, str(n)) for n in (1, 2, 3, 4, 7, 8)] + [(51.1, 13.1, "5")])
    assert shared.count("<circle") == 2
    assert ">1–4, 7, 8</text>" in shared


def _place() -> Place:
    return Place(
        query="Dresden",
        label="Dresden <script>",
        lat=51.05,
        lon=13.74,
        district="Dresden",
        precision="place",
        in_saxony=True,
        source="offline",
    )


@pytest.mark.parametrize("lang", sorted(i18n.LANGUAGES))
def test_handout_html_is_escaped_self_contained_and_complete(lang: str) -> None:
    offices = pd.DataFrame(
        [_row(), _row(id="jmd-2", name="Zweite & <i>Stelle</i>", notes="<script>alert(1)</script>")]
    )
    responsible = pd.DataFrame([_row(id="abh-x", kind="ABH", name="Ausländerbehörde X", distance_km=None)])
    url = "http://localhost:8501/?q=Dresden&office=mbe-test"
    page = handout_html(
        _place(), offices, url, lang, responsible=responsible, districts=_districts(), today=TODAY
    )
    assert page.startswith("<!DOCTYPE html>")
    assert f'<html lang="{lang}" dir="{"rtl" if i18n.is_rtl(lang) else "ltr"}">' in page
    assert "<script" not in page.lower().replace("&lt;script", "")
    assert "Migrationsberatung &lt;b&gt;Test&lt;/b&gt;" in page
    assert "Zweite &amp; &lt;i&gt;Stelle&lt;/i&gt;" in page
    assert "Dresden &lt;script&gt;" in page
    assert "Ausländerbehörde X" in page
    assert 'href="tel:+49351123456"' in page
    assert 'href="mailto:info@example.org"' in page
    assert html.escape(url) in page
    assert page.count("<svg") == 2  # the static map and the QR code
    # Self-contained: no scripts, stylesheets, images or frames from anywhere.
    assert not re.search(r"<(?:script|link|img|iframe)\b|\bsrc=|url\(", page, re.IGNORECASE)
    assert i18n.t("results.responsible_heading", lang) in html.unescape(page)
    # Every office carries its "Report a change" link, in the handout's language.
    for office in ("mbe-test", "jmd-2", "abh-x"):
        assert html.escape(f"http://localhost:8501/report?office={office}&lang={lang}") in page
    assert html.unescape(page).count(i18n.t("report.button", lang)) == 3


def test_handout_says_interpreting_and_a_possible_closure() -> None:
    offices = pd.DataFrame([_row(interpreting="yes", status="possibly closed")])
    page = html.unescape(handout_html(_place(), offices, "http://localhost:8501/", "fa", today=TODAY))
    assert i18n.t("office.interpreting", "fa") in page and i18n.t("office.possibly_closed", "fa") in page


def test_handout_without_place_or_offices() -> None:
    page = handout_html(None, pd.DataFrame(), "http://localhost:8501/", "de", today=TODAY)
    assert i18n.t("results.no_match", "de") in html.unescape(page)
    assert page.count("<svg") == 1  # only the QR code
