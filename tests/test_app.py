"""The Streamlit pages, driven headless with streamlit.testing.v1.AppTest (no browser, no network)."""

from __future__ import annotations

import datetime as dt
import functools
import html
import re
from collections.abc import Iterator
from types import SimpleNamespace

import pandas as pd
import pytest
from geopy.distance import geodesic
from helpers import HOSTILE_MARKDOWN, REPO, active_markdown, make_offices_csv
from streamlit.testing.v1 import AppTest

import ui.resources
from finder import hours, i18n
from finder.core import Finder
from finder.distance import precision_km
from finder.distance_text import distance_label
from finder.errors import SettingsError
from finder.hours import BERLIN
from finder.settings import Settings
from finder.urlstate import parse_params
from ui.resources import map_click_action
from ui.safe_text import md_unescape

APP = str(REPO / "app.py")
TIMEOUT = 60


@pytest.fixture(scope="module")
def finder() -> Finder:
    return Finder()


def run(params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for name, value in (params or {}).items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def card_ids(at: AppTest, section: str) -> list[str]:
    """Office ids of the cards of one section (``result``, ``responsible``, ...), in page order."""
    pattern = re.compile(rf'class="office-card" data-section="{section}" data-office-id="([^"]+)"')
    return [m.group(1) for md in at.markdown for m in [pattern.search(md.value)] if m]


def headers(at: AppTest) -> list[str]:
    return [h.value for h in at.header]


def markdown_values(at: AppTest) -> list[str]:
    """Every text of the page that Streamlit reads as Markdown (elements, labels, radio options)."""
    elements = [
        *at.title, *at.header, *at.subheader, *at.markdown, *at.caption,
        *at.error, *at.warning, *at.info, *at.success,
    ]  # fmt: skip
    texts = [str(e.value) for e in elements]
    for radio in at.radio:
        texts += [radio.label, *radio.options]
    return texts + [b.label for b in at.button]


def test_start_page_without_parameters() -> None:
    at = run()
    assert at.title[0].value == i18n.t("app.title", "de")
    assert at.query_params == {"lang": "de"}  # the language is always in the link
    assert any(i.value == i18n.t("results.start_hint", "de") for i in at.info)
    assert i18n.t("results.statewide_heading", "de") in headers(at)
    assert not at.warning


def test_search_by_text_then_filters(finder: Finder) -> None:
    at = run({"lang": "en"})
    at.text_input(key="place_text").input("Görlitz")
    at.button(key="place_submit").click().run()
    assert at.query_params == {"lang": "en", "q": "Görlitz"}
    assert i18n.t("results.heading", "en", place="Görlitz", n=10) in headers(at)
    assert len(card_ids(at, "result")) == 10

    at.pills(key="topics").set_value(["asylum"]).run()
    assert at.query_params["topic"] == "asylum"
    ids = card_ids(at, "result")
    offices = finder.offices.set_index("id")
    assert ids and all("asylum" in offices.loc[i, "topics"].split(";") for i in ids)

    at.pills(key="topics").set_value([]).run()
    at.number_input(key="age").set_value(19).run()
    assert at.query_params["age"] == "19"
    kinds = {offices.loc[i, "kind"] for i in card_ids(at, "result")}
    assert "MBE" not in kinds  # 12–27 go to the JMD, not the MBE

    at.selectbox(key="distance").set_value("10:50").run()
    assert (at.query_params["radius"], at.query_params["limit"]) == ("10", "50")
    far = [i for i in card_ids(at, "result") if offices.loc[i, "district"] != "Görlitz"]
    assert not far

    at.multiselect(key="kinds").set_value(["JMD"]).run()
    assert at.query_params["kind"] == "JMD"
    assert {offices.loc[i, "kind"] for i in card_ids(at, "result")} <= {"JMD"}

    at.button(key="reset_filters").click().run()
    assert at.query_params == {"lang": "en", "q": "Görlitz"}


def test_responsible_and_statewide_are_always_shown(finder: Finder) -> None:
    at = run({"lang": "en", "q": "01067"})
    responsible = card_ids(at, "responsible")
    expected = finder.responsible(finder.locate("01067"))["id"].tolist()
    assert expected and [i for i in expected if i in responsible] == [i for i in responsible if i in expected]
    assert i18n.t("results.responsible_heading", "en") in headers(at)
    assert i18n.t("results.statewide_heading", "en") in headers(at)
    assert card_ids(at, "statewide")


def test_url_round_trip() -> None:
    params = {
        "lang": "tr",
        "q": "Plauen",
        "topic": "asylum,work",
        "language": "ar",
        "kind": "FSA,MBE",
        "age": "35",
        "radius": "25",
        "limit": "50",
    }
    at = run(params)
    assert at.query_params == params
    assert at.selectbox(key="ui_lang").value == "tr"
    assert at.text_input(key="place_text").value == "Plauen"
    assert at.pills(key="topics").value == ["asylum", "work"]
    assert at.multiselect(key="languages").value == ["ar"]
    assert at.multiselect(key="kinds").value == ["FSA", "MBE"]
    assert at.number_input(key="age").value == 35
    assert at.selectbox(key="distance").value == "25:50"
    assert not at.warning
    # A rerun changes nothing.
    at.run()
    assert at.query_params == params


def test_place_as_coordinates_and_selected_office(finder: Finder) -> None:
    at = run({"lang": "en", "at": "51.33962,12.37129"})
    here = i18n.t("map.you_are_here", "en")
    assert any(here in m.value and "Leipzig" in m.value for m in at.markdown)
    first = card_ids(at, "result")[0]
    at.button(key=f"show-result-{first}").click().run()
    assert at.query_params["office"] == first
    assert at.subheader[0].value.endswith(i18n.t("results.selected", "en"))
    assert any(f'data-office-id="{first}"' in m.value for m in at.markdown)
    at.button(key="clear_selection").click().run()
    assert "office" not in at.query_params


def test_office_from_link_is_shown_even_without_place(finder: Finder) -> None:
    office = finder.offices["id"].iloc[0]
    at = run({"lang": "de", "office": office})
    assert at.query_params == {"lang": "de", "office": office}
    assert at.button(key="clear_selection")


def test_ambiguous_place_offers_candidates_saxony_first() -> None:
    at = run({"lang": "de", "q": "Neustadt"})
    pick = at.radio(key="place_pick")
    labels = [md_unescape(o) for o in pick.options]  # radio options are Markdown: escaped place names
    assert len(labels) > 2
    assert "Sächsische Schweiz" in labels[0] or "Vogtland" in labels[0]
    pick.set_value(1).run()
    assert at.query_params["q"] == labels[1]
    assert "at" in at.query_params
    assert not at.radio  # picked: no more question


@pytest.mark.parametrize(
    "params",
    [
        {"lang": "xx", "age": "old", "radius": "-5", "topic": "nonsense", "at": "1000,2000"},
        {"office": "does-not-exist", "limit": "9999", "language": "🙂", "q": "x" * 500, "kind": "<script>"},
    ],
)
def test_bad_parameters_give_a_notice_not_an_error(params: dict[str, str]) -> None:
    at = run(params)
    assert len(at.warning) == 1
    notice = at.warning[0].value
    _, invalid = parse_params(params)
    if "office" in params:
        invalid.append("office")
    assert all(name in notice for name in invalid)
    # The address bar is cleaned: only valid values (and the language) remain.
    assert set(at.query_params) <= {"lang", *(k for k in params if k not in invalid)}
    # The notice goes away once the person changes something.
    at.pills(key="topics").set_value(["work"]).run()
    assert not at.warning


def test_place_not_found_or_outside_saxony_is_said() -> None:
    at = run({"lang": "en", "q": "Xyzzyville"})
    assert at.error[0].value == i18n.t("results.not_found", "en", query="Xyzzyville")
    at.text_input(key="place_text").input("Berlin")
    at.button(key="place_submit").click().run()
    assert not at.error
    assert any(w.value == i18n.t("results.outside_saxony", "en", place="Berlin") for w in at.warning)


def test_markdown_and_html_in_a_link_are_shown_as_text() -> None:
    # D1: a link or QR code could put the sender's link or a tracking image into the page's own messages.
    at = run({"lang": "en", "q": HOSTILE_MARKDOWN})
    assert md_unescape(at.error[0].value) == i18n.t("results.not_found", "en", query=HOSTILE_MARKDOWN)
    assert [piece for text in markdown_values(at) for piece in active_markdown(text)] == []

    # A point outside Saxony that the link names: "You are here", the warning and the heading show the name.
    at = run({"lang": "en", "at": "52.52,13.40", "q": HOSTILE_MARKDOWN})
    shown = [md_unescape(text) for text in markdown_values(at)]
    assert i18n.t("results.outside_saxony", "en", place=HOSTILE_MARKDOWN) in shown
    n = len(card_ids(at, "result"))
    assert i18n.t("results.heading", "en", place=HOSTILE_MARKDOWN, n=n) in shown
    assert any(text.startswith("📍") and text.endswith(HOSTILE_MARKDOWN) for text in shown)
    assert [piece for text in markdown_values(at) for piece in active_markdown(text)] == []


def test_ordinary_place_names_read_the_same() -> None:
    at = run({"lang": "en", "at": "51.15,14.99", "q": "Görlitz (Landkreis)"})
    shown = [md_unescape(text) for text in markdown_values(at)]
    assert any(h.startswith("Offices near Görlitz (Landkreis): ") for h in shown)


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_every_language_renders(lang: str) -> None:
    at = run({"lang": lang, "q": "Дрезден" if lang in ("uk", "ru") else "Dresden", "topic": "asylum"})
    assert at.title[0].value == i18n.t("app.title", lang)
    assert i18n.t("results.responsible_heading", lang) in headers(at)
    assert at.pills(key="topics").label == i18n.t("find.topics_label", lang)
    css = "".join(h.value for h in at.html)
    assert ("direction: rtl" in css) == (lang in ("ar", "fa"))
    german_notice = [c.value for c in at.caption if i18n.t("results.german_notice", lang) in c.value]
    assert bool(german_notice) == (lang != "de")
    # No untranslated key leaks into the page.
    text = " ".join([*(m.value for m in at.markdown), *(c.value for c in at.caption), *headers(at)])
    leaked = [
        k
        for k in i18n.catalogue("en")
        if k.split(".")[0] in ("office", "results", "map", "find") and k in text
    ]
    assert not leaked


def test_switching_language_keeps_the_search() -> None:
    at = run({"lang": "de", "q": "Chemnitz", "topic": "work"})
    at.selectbox(key="ui_lang").set_value("fa").run()
    assert at.query_params == {"lang": "fa", "q": "Chemnitz", "topic": "work"}
    assert at.title[0].value == i18n.t("app.title", "fa")
    assert "direction: rtl" in "".join(h.value for h in at.html)


def test_share_section_has_link_qr_and_handout() -> None:
    at = run({"lang": "en", "q": "Leipzig", "topic": "work"})
    link = at.code[0].value
    assert link.endswith("?lang=en&q=Leipzig&topic=work")
    assert at.image  # the QR code
    assert at.download_button(key="handout")


def test_about_page_renders_in_every_language() -> None:
    at = run({"lang": "en"})
    for lang in i18n.LANGUAGES:
        at.switch_page("ui/pages/about.py")
        at.selectbox(key="ui_lang").set_value(lang) if at.selectbox else None
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.title[0].value == i18n.t("about.title", lang)
        assert any(i18n.t("about.attribution", lang) in m.value for m in at.markdown)
        report = i18n.t("about.report_text", lang, button=i18n.t("report.button", lang))
        assert any(html.escape(report) == m.value for m in at.markdown)


# ------------------------------------------------------------------------------------------ map clicks


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"id": ["a", "b", "c"], "lat": [51.0, 51.0, 51.2], "lon": [13.0, 13.0, 13.2]})


def test_marker_click_selects_and_cycles_through_shared_markers() -> None:
    handled: dict = {}
    value = {"last_object_clicked": {"lat": 51.0, "lng": 13.0}, "last_clicked": None}
    assert map_click_action(value, handled, _frame(), None) == ("office", "a")
    assert map_click_action(value, handled, _frame(), "a") is None  # same click again: nothing new
    handled.clear()
    assert map_click_action(value, handled, _frame(), "a") == ("office", "b")


def test_click_on_empty_map_or_district_sets_the_place() -> None:
    handled: dict = {}
    value = {"last_object_clicked": None, "last_clicked": {"lat": 51.5, "lng": 13.5}}
    assert map_click_action(value, handled, _frame(), "a") == ("place", (51.5, 13.5))
    assert map_click_action(value, handled, _frame(), "a") is None
    district = {"last_object_clicked": {"lat": 50.9, "lng": 12.9}, "last_clicked": {"lat": 50.9, "lng": 12.9}}
    assert map_click_action(district, handled, _frame(), None) == ("place", (50.9, 12.9))


@pytest.mark.parametrize(
    "value", [None, "x", {}, {"last_clicked": {"lat": "a", "lng": 1}}, {"last_clicked": 5}]
)
def test_odd_component_values_do_nothing(value: object) -> None:
    assert map_click_action(value, {}, _frame(), None) is None


def test_a_topic_typed_as_a_place_selects_the_topic(finder: Finder) -> None:
    # People often type what they need where we ask where they are.
    at = run({"lang": "en", "q": "Görlitz"})
    at.text_input(key="place_text").input("Asyl")
    at.button(key="place_submit").click().run()
    assert not at.exception and not at.error
    assert at.pills(key="topics").value == ["asylum"]
    assert at.query_params.get("topic") == "asylum" and at.query_params.get("q") == "Görlitz"
    expected = i18n.t("find.topic_typed", "en", query="Asyl", topic=i18n.topic_label("asylum", "en"))
    assert expected in [i.value for i in at.info]
    assert at.text_input(key="place_text").value == "Görlitz"  # the place stays
    offices = finder.offices.set_index("id")
    ids = card_ids(at, "result")
    assert ids and all("asylum" in offices.loc[i, "topics"].split(";") for i in ids)

    # In Arabic, without a place yet: the topic is chosen and the page still asks where the person is.
    at = run({"lang": "ar"})
    at.text_input(key="place_text").input("لجوء")
    at.button(key="place_submit").click().run()
    assert at.query_params.get("topic") == "asylum" and "q" not in at.query_params
    assert any(i.value == i18n.t("results.start_hint", "ar") for i in at.info)

    # A real place is never taken for a topic.
    at.text_input(key="place_text").input("Aue")
    at.button(key="place_submit").click().run()
    assert at.query_params.get("q") == "Aue"


def test_report_page_from_a_handout_link(finder: Finder) -> None:
    at = run({"lang": "uk", "office": "abh-bautzen"})
    at.switch_page("ui/pages/report.py").run()
    assert not at.exception
    assert any(i18n.t("report.what", "uk") == s.label for s in at.selectbox)
    # The office as the public sees it, with the values the sender may want to correct.
    assert card_ids(at, "report") == ["abh-bautzen"]
    phone = finder.offices.set_index("id").loc["abh-bautzen", "phone"]
    assert any(html.escape(phone) in m.value for m in at.markdown)
    [link] = list(at.get("page_link"))
    assert link.proto.label == i18n.t("nav.find", "uk")


# --- issue 9: languages, interpreting, status and opening hours on the find page --------------------------

TUESDAY_10 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=BERLIN)


def card_lines(at: AppTest, section: str = "result") -> dict[str, dict[str, tuple[str, str]]]:
    """Per office card of a section: its status, language and hours lines as (data attribute, text)."""
    out: dict[str, dict[str, tuple[str, str]]] = {}
    card = re.compile(rf'class="office-card" data-section="{section}" data-office-id="([^"]+)"')
    line = re.compile(
        r'<p class="office-(status|match|hours)"(?: (?:role|data-\w+)="([^"]*)")?>\S+ ([^<]*)</p>'
    )
    for element in at.markdown:
        found = card.search(element.value)
        if found:
            lines = {kind: (attr, html.unescape(text)) for kind, attr, text in line.findall(element.value)}
            out[found.group(1)] = lines
    return out


def info_texts(at: AppTest) -> list[str]:
    return [md_unescape(str(i.value)) for i in at.info]


@pytest.fixture
def tiny(tmp_path, monkeypatch) -> Iterator[pd.DataFrame]:
    """The app on a hand-made directory around Dresden 01067 (51.0547, 13.7269), at Tuesday 10:00.

    Hours: "open" Mo–Fr 9–16 (open now), "thursday" Thursdays 8:30–12 (opens Thursday), "appointment"
    by appointment in words only (and interpreters), "russian" states Russian only, "gone" possibly
    closed, "shut" closed, "online" a statewide service stating Arabic.
    """
    data = tmp_path / "data"
    data.mkdir()
    for name in ("places.csv", "postcodes.csv", "municipalities.csv", "districts.geojson", "saxony.geojson"):
        (data / name).symlink_to(REPO / "data" / name)
    weekdays, thursdays = "Mo-Fr 9-16 Uhr", "Donnerstag 8:30-12:00 Uhr"
    rows = [
        {"id": "thursday", "name": "Thursday office", "lat": "51.0550", "lon": "13.7270",
         "opening_hours": thursdays, "opening_hours_osm": hours.to_osm(thursdays)},
        {"id": "appointment", "name": "Appointment office", "lat": "51.0600", "lon": "13.7300",
         "opening_hours": "Beratung nach Vereinbarung", "interpreting": "yes", "languages": "ru"},
        {"id": "russian", "name": "Russian office", "lat": "51.0610", "lon": "13.7310", "languages": "ru"},
        {"id": "open", "name": "Open office", "lat": "51.1000", "lon": "13.8000", "languages": "ar;de",
         "opening_hours": weekdays, "opening_hours_osm": hours.to_osm(weekdays)},
        {"id": "gone", "name": "Gone office", "lat": "51.2000", "lon": "13.9000", "status": "possibly closed",
         "opening_hours": weekdays, "opening_hours_osm": hours.to_osm(weekdays)},
        {"id": "shut", "name": "Shut office", "lat": "51.0548", "lon": "13.7268", "status": "closed",
         "opening_hours": weekdays, "opening_hours_osm": hours.to_osm(weekdays), "languages": "ar"},
        {"id": "online", "name": "Online office", "district": "Sachsen", "languages": "ar;fa"},
    ]  # fmt: skip
    assert hours.to_osm(weekdays) and hours.to_osm(thursdays)
    for row in rows:
        row.setdefault("geocode_precision", "street" if "lat" in row else "")
        row.setdefault("source_date", "2026-11")
    make_offices_csv(data, rows)
    monkeypatch.setenv("FINDER_DATA_DIR", str(data))
    monkeypatch.setenv("FINDER_CORRECTIONS_DB", str(tmp_path / "corrections.sqlite"))
    monkeypatch.setattr(ui.resources, "now", lambda: TUESDAY_10)
    ui.resources.reload_directory()  # the cached directory is the real one
    ui.resources.get_districts.clear()
    yield pd.DataFrame(rows)
    ui.resources.reload_directory()
    ui.resources.get_districts.clear()


def test_language_labels_nearest_stated_and_online_services(tiny) -> None:
    # Two listed, neither states Arabic: the nearest that does is named with its distance.
    at = run({"lang": "en", "q": "01067", "language": "ar", "limit": "2"})
    lines = card_lines(at)
    assert list(lines) == ["thursday", "appointment"]  # "russian" states other languages only
    assert lines["thursday"]["match"] == ("not_stated", i18n.t("office.languages_unknown", "en"))
    assert lines["appointment"]["match"] == ("not_stated", i18n.t("office.interpreting", "en"))
    origin = (51.0547, 13.7269)  # the postcode 01067 of the embedded gazetteer
    km = geodesic(origin, (51.1, 13.8)).km
    # Both positions approximate (a postcode point, a street address): "about 6 km", not a number to 0.1 km.
    uncertainty = precision_km("postcode") + precision_km("street")
    distance = distance_label({"distance_km": km, "distance_precision_km": uncertainty}, "en")
    assert distance.startswith("about ")
    expected = i18n.t(
        "results.nearest_stated", "en", languages="Arabic", name="Open office", distance=distance
    )
    online = i18n.t("results.online_in_language", "en", languages="Arabic", services="Online office")
    assert expected in info_texts(at) and online in info_texts(at)
    at.button(key="show-nearest_stated-open").click().run()
    assert at.query_params["office"] == "open"
    assert card_lines(at, "selected")["open"]["match"] == ("stated", "Counsels in Arabic")

    # The office that states it is listed: no such line; a language nobody states is said.
    at = run({"lang": "en", "q": "01067", "language": "ar"})
    assert card_lines(at)["open"]["match"] == ("stated", "Counsels in Arabic")
    assert not any(text.startswith("Nearest office") for text in info_texts(at))
    at = run({"lang": "de", "q": "01067", "language": "ti"})
    assert i18n.t("results.none_stated", "de", languages="Tigrinya") in info_texts(at)


@pytest.mark.parametrize("lang", ["de", "en", "ar"])
def test_hours_labels_at_a_fixed_instant(tiny, lang: str) -> None:
    at = run({"lang": lang, "q": "01067"})
    lines = card_lines(at)
    assert "shut" not in lines  # closed: never found
    t = functools.partial(i18n.t, lang=lang)
    until_16 = t("office.open_until", time=i18n.format_time(dt.time(16, 0), lang))
    thursday = t(
        "office.opens_on",
        day=i18n.format_day(dt.date(2026, 12, 3), lang),
        time=i18n.format_time(dt.time(8, 30), lang),
    )
    assert lines["open"]["hours"] == ("open", until_16)
    assert lines["thursday"]["hours"] == ("closed", thursday)
    assert lines["appointment"]["hours"] == ("appointment", t("office.by_appointment"))
    assert lines["russian"]["hours"] == ("unknown", t("office.hours_unknown"))
    assert lines["gone"]["status"] == ("note", t("office.possibly_closed"))
    assert lines["gone"]["hours"] == ("open", until_16)
    assert "status" not in lines["open"]
    assert all("match" not in card for card in lines.values())  # no language asked for


def test_open_filter_control_and_link(tiny) -> None:
    at = run({"lang": "en", "q": "01067", "open": "now"})
    assert set(card_lines(at)) == {"open", "gone"}  # structured hours saying open at Tuesday 10:00
    assert all(card["hours"][0] == "open" for card in card_lines(at).values())
    assert any(i18n.t("results.open_note_now", "en") in str(c.value) for c in at.caption)
    at.segmented_control(key="open").set_value("today").run()
    assert at.query_params["open"] == "today"
    assert set(card_lines(at)) == {"open", "gone"}  # Thursday's office does not open on a Tuesday
    at.segmented_control(key="open").set_value(None).run()
    assert "open" not in at.query_params
    assert set(card_lines(at)) == {"thursday", "appointment", "russian", "open", "gone"}
    at.segmented_control(key="open").set_value("now").run()
    at.button(key="reset_filters").click().run()
    assert at.query_params == {"lang": "en", "q": "01067"}


def test_a_closed_office_is_not_shown_even_from_a_link(tiny) -> None:
    at = run({"lang": "en", "q": "01067", "office": "shut"})
    assert "office" not in at.query_params
    assert all("shut" not in card_ids(at, s) for s in ("result", "selected", "statewide", "responsible"))
    assert any("office" in w.value for w in at.warning)  # the link's parameter was reset, with a notice


def test_meissen_in_arabic_lists_the_offices_in_meissen(finder: Finder) -> None:
    # The case: the counselling in Meißen itself (languages not stated) comes first, and the line
    # above the list names the nearest office that states Arabic.
    at = run({"lang": "en", "q": "Meißen", "language": "ar"})
    place = finder.locate("Meißen")
    expected = finder.nearest(place, languages=("ar",))
    assert card_ids(at, "result") == expected["id"].tolist()
    offices = finder.offices
    local = offices[(offices["city"] == "Meißen") & offices["kind"].isin(["MBE", "JMD", "FSA"])]
    assert len(local) >= 3 and set(local["id"]) <= set(card_ids(at, "result"))
    matches = {i: card["match"][0] for i, card in card_lines(at).items()}
    assert matches == dict(zip(expected["id"], expected["language_match"], strict=True))
    stated = finder.nearest_stated(place, languages=("ar",)).iloc[0]
    km = distance_label(stated, "en", origin_precision=place.precision, origin_label=place.label)
    line = i18n.t("results.nearest_stated", "en", languages="Arabic", name=stated["name"], distance=km)
    assert line in info_texts(at)


def test_finder_now_fixes_the_pages_instant(monkeypatch) -> None:
    assert Settings(now="2026-12-01T10:00").now == TUESDAY_10
    assert Settings(now="").now is None
    for bad in ("2026-12-01 10:00", "tomorrow", "2026-02-30T10:00"):
        with pytest.raises(SettingsError, match="FINDER_NOW"):
            Settings(now=bad)
    fixed = SimpleNamespace(settings=Settings(now="2026-12-01T10:00"))
    monkeypatch.setattr(ui.resources, "get_finder", lambda: fixed)
    assert ui.resources.now() == TUESDAY_10
    fixed.settings = Settings(now="")
    assert ui.resources.now().tzinfo == BERLIN  # the clock, in Berlin
