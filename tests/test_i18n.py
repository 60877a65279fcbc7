"""Tests of finder.i18n: catalogue completeness and consistency, t() fallbacks, formatting, RTL support."""

from __future__ import annotations

import csv
import datetime as dt
import doctest
import json
import math
import re
from pathlib import Path

import pytest
from helpers import REPO
from hypothesis import given, settings
from hypothesis import strategies as st

import finder.i18n as i18n
from finder import vocab
from finder.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    LOCALES_DIR,
    RTL_LANGUAGES,
    TOPIC_ICONS,
    bidi_isolate,
    format_date,
    format_km,
    format_number,
    html_lang_dir,
    is_rtl,
    kind_description,
    kind_label,
    language_name,
    placeholders,
    precision_label,
    resolve_language,
    t,
    target_group_label,
    topic_icon,
    topic_label,
)

LANGS = tuple(LANGUAGES)
#: Values that are the same in every language on purpose (a name, a licence notice).
SAME_EVERYWHERE = {"app.title", "about.attribution"}


def _load_strict(path: Path) -> dict[str, str]:
    """Read a catalogue, failing on duplicate keys (json.load would silently keep the last one)."""

    def no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
        keys = [k for k, _ in pairs]
        dupes = {k for k in keys if keys.count(k) > 1}
        assert not dupes, f"{path.name}: duplicate keys {sorted(dupes)}"
        return dict(pairs)

    return json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=no_duplicates)


@pytest.fixture(scope="module")
def catalogues() -> dict[str, dict[str, str]]:
    return {lang: _load_strict(LOCALES_DIR / f"{lang}.json") for lang in LANGS}


# ------------------------------------------------------------------------------------------ catalogues
def test_languages_and_files() -> None:
    assert list(LANGUAGES) == ["de", "en", "uk", "ru", "ar", "fa", "tr", "vi"]
    assert LANGUAGES["ar"] == "العربية" and LANGUAGES["fa"] == "فارسی" and LANGUAGES["uk"] == "Українська"
    assert DEFAULT_LANGUAGE == "de"
    assert {p.stem for p in LOCALES_DIR.glob("*.json")} == set(LANGS)


def test_values_are_nonempty_trimmed_strings(catalogues: dict[str, dict[str, str]]) -> None:
    for lang, cat in catalogues.items():
        for key, value in cat.items():
            assert isinstance(value, str), (lang, key)
            assert value.strip() == value and value, (lang, key)
            assert re.fullmatch(r"[a-z_]+(\.[A-Za-z0-9_+\-]+)+", key), (lang, key)


@pytest.mark.parametrize("lang", [lang for lang in LANGS if lang != "en"])
def test_same_keys_as_english(catalogues: dict[str, dict[str, str]], lang: str) -> None:
    english, other = set(catalogues["en"]), set(catalogues[lang])
    assert not english - other, f"{lang} lacks {sorted(english - other)}"
    assert not other - english, f"{lang} has extra {sorted(other - english)}"


@pytest.mark.parametrize("lang", [lang for lang in LANGS if lang != "en"])
def test_placeholders_match_english(catalogues: dict[str, dict[str, str]], lang: str) -> None:
    for key, english in catalogues["en"].items():
        if key in catalogues[lang]:  # missing keys are reported by test_same_keys_as_english
            assert placeholders(catalogues[lang][key]) == placeholders(english), (lang, key)


def test_placeholders_are_well_formed(catalogues: dict[str, dict[str, str]]) -> None:
    for lang, cat in catalogues.items():
        for key, value in cat.items():
            # Every brace belongs to a simple {name}; a stray brace would make str.format fail.
            stripped = re.sub(r"\{[a-z_]+\}", "", value)
            assert "{" not in stripped and "}" not in stripped, (lang, key)


def test_no_html_in_catalogues(catalogues: dict[str, dict[str, str]]) -> None:
    tag = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>|&[a-zA-Z#0-9]+;")
    for lang, cat in catalogues.items():
        for key, value in cat.items():
            assert not tag.search(value), (lang, key, value)


@pytest.mark.parametrize("lang", [lang for lang in LANGS if lang not in ("en", "de")])
def test_translations_are_not_copies(catalogues: dict[str, dict[str, str]], lang: str) -> None:
    english = catalogues["en"]
    copied = {k for k, v in catalogues[lang].items() if v == english[k]} - SAME_EVERYWHERE - {"units.km"}
    assert not copied, f"{lang} still has English text for {sorted(copied)}"


def test_persian_and_arabic_letters_are_not_mixed_up(catalogues: dict[str, dict[str, str]]) -> None:
    # Persian writes ی and ک; Arabic ي and ك. Copy-pasted text often mixes them, which breaks search.
    persian = "".join(catalogues["fa"].values())
    arabic = "".join(catalogues["ar"].values())
    assert "ي" not in persian and "ك" not in persian
    assert "ی" not in arabic and "ک" not in arabic


def test_required_ui_keys_exist(catalogues: dict[str, dict[str, str]]) -> None:
    required = {
        "app.title", "app.subtitle", "app.page_language", "nav.find", "nav.coverage", "nav.about",
        "find.where_label", "find.where_placeholder", "find.locate_button", "find.locate_help",
        "find.or_tap_map", "find.did_you_mean", "find.topics_label", "find.language_label",
        "find.age_label", "find.age_help", "find.kind_label", "find.distance_label",
        "find.distance_within", "find.distance_nearest", "results.heading", "results.straight_line",
        "units.km", "office.address", "office.phone", "office.email", "office.website",
        "office.opening_hours", "office.languages", "office.languages_unknown", "precision.postcode",
        "precision.place", "precision.district", "precision.street", "office.source", "office.as_of",
        "office.checked", "office.outdated", "office.no_address", "office.open_osm", "office.directions",
        "results.responsible_heading", "results.responsible_note", "results.abh_note",
        "results.statewide_heading", "results.no_match", "results.not_found", "results.outside_saxony",
        "results.params_reset", "share.button", "share.copy_link", "share.qr", "print.button",
        "print.title", "view.map", "view.list", "map.tiles_label", "results.german_notice",
        "privacy.offline", "privacy.online", "report.button", "about.attribution", "map.legend_title",
        "results.selected", "results.clear_selection",
    }  # fmt: skip
    assert not required - set(catalogues["en"])
    assert "Ausländerbehörde" in catalogues["en"]["results.abh_note"]


@pytest.mark.parametrize("lang", LANGS)
def test_vocabularies_have_labels(lang: str) -> None:
    for code in vocab.TOPICS:
        assert topic_label(code, lang) != code, (lang, code)
    for code in vocab.KINDS:
        assert kind_label(code, lang) != code, (lang, code)
        sentence = kind_description(code, lang)
        assert sentence and sentence.endswith((".", "。", "۔")), (lang, code)
    for code in vocab.TARGET_GROUPS:
        assert target_group_label(code, lang) != code, (lang, code)
    for band in vocab.KIND_AGE_RANGE.values():
        key = "age.12-27" if band == (12, 27) else "age.27+"
        assert t(key, lang) != key


def test_topic_icons_cover_topics() -> None:
    assert set(TOPIC_ICONS) == set(vocab.TOPICS)
    assert topic_icon("residence") == "🪪" and topic_icon("asylum") == "🛡️"
    assert len(set(TOPIC_ICONS.values())) == len(TOPIC_ICONS)  # no two topics look alike
    assert topic_icon("no-such-topic")  # something, not a crash


def test_labels_of_unknown_codes() -> None:
    assert topic_label("spaceflight", "en") == "spaceflight"
    assert kind_label("XYZ", "de") == "XYZ"
    assert kind_description("XYZ", "de") == ""
    assert precision_label("", "en") == ""
    assert precision_label("postcode", "en") == "Position approximate: postcode area"


# ------------------------------------------------------------------------------------------ t()
def test_t_plain_and_formatted() -> None:
    assert t("find.where_label", "en") == "Where are you?"
    assert t("find.where_label", "de") == "Wo sind Sie?"
    assert t("results.heading", "en", place="Plauen", n=4) == "Offices near Plauen: 4"
    assert t("units.km", "fa", km="3.5") == "3.5 کیلومتر"


def test_t_unknown_language_uses_default() -> None:
    assert t("find.where_label", "xx") == t("find.where_label", DEFAULT_LANGUAGE)
    assert t("find.where_label", None) == "Wo sind Sie?"
    assert t("find.where_label", "en-GB") == "Where are you?"


def test_t_fallback_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = {
        "fa": {"only.fa": "فقط"},
        "en": {"only.en": "English only", "both": "English"},
        "de": {"only.de": "Nur Deutsch", "both": "Deutsch"},
    }
    monkeypatch.setattr(i18n, "catalogue", lambda lang: fake.get(lang, {}))
    assert t("only.fa", "fa") == "فقط"
    assert t("only.en", "fa") == "English only"  # missing in fa → English
    assert t("only.de", "fa") == "Nur Deutsch"  # missing in fa and en → German
    assert t("both", "tr") == "English"
    assert t("nowhere", "fa") == "nowhere"  # → the key


def test_t_missing_and_odd_kwargs_never_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = {"en": {"a": "{x} and {y}", "spec": "{n:d} items", "bad": "a { b", "pos": "{0}!", "attr": "{p.q}"}}
    monkeypatch.setattr(i18n, "catalogue", lambda lang: fake.get(lang, {}))
    assert t("a", "en", x=1) == "1 and {y}"
    assert t("a", "en") == "{x} and {y}"
    assert t("a", "en", x=1, y=2, z=3) == "1 and 2"  # extra kwargs are ignored
    assert t("spec", "en", n="three") == "three items"  # wrong type for the spec
    assert t("spec", "en") == "{n} items"
    assert t("bad", "en", b=1) == "a { b"  # malformed template is shown as written
    assert t("pos", "en") == "{0}!"
    assert t("attr", "en", p=object()) == "{p.q}"


@settings(max_examples=60, deadline=None)
@given(
    lang=st.text(max_size=8),
    value=st.text(max_size=40),
    key=st.sampled_from(sorted(json.loads((LOCALES_DIR / "en.json").read_text(encoding="utf-8")))),
)
def test_t_never_raises_and_inserts_values_verbatim(lang: str, value: str, key: str) -> None:
    names = placeholders(t(key, "en"))
    result = t(key, lang, **dict.fromkeys(names, value))
    assert isinstance(result, str)
    if names:
        assert value in result


@pytest.mark.parametrize("lang", sorted(RTL_LANGUAGES))
def test_phone_numbers_and_addresses_pass_through_unchanged(lang: str) -> None:
    # Addresses and phone numbers are never number-formatted: t() inserts them exactly as given, with
    # their Latin digits and spaces, in Arabic and Persian too.
    place = "Str. der Einheit 12, 01067 Dresden"
    assert place in t("print.title", lang, place=place)
    assert place in t("results.heading", lang, place=place, n=3)
    assert "+49 351 4 88 00 01" in t("results.outside_saxony", lang, place="+49 351 4 88 00 01")
    assert "1234" in t("results.heading", lang, place="x", n=1234)  # no grouping, no digit change


def test_no_number_formatting_of_phones_or_addresses_in_sources() -> None:
    # A guard for the UI code: formatting helpers must never be fed phone numbers, postcodes or streets.
    pattern = re.compile(
        r"format_(?:km|number|decimal)\([^)\n]*\b(?:phone|postcode|street|address|plz)", re.I
    )
    files = [*REPO.glob("finder/**/*.py"), *REPO.glob("ui/**/*.py"), *REPO.glob("app.py")]
    offenders = [str(p) for p in files if pattern.search(p.read_text(encoding="utf-8"))]
    assert not offenders


# ------------------------------------------------------------------------------------------ languages
def test_resolve_language() -> None:
    assert resolve_language("ar") == "ar"
    assert resolve_language("AR-eg") == "ar"
    assert resolve_language("uk_UA") == "uk"
    assert resolve_language(" fa ") == "fa"
    assert resolve_language("he") == DEFAULT_LANGUAGE
    assert resolve_language("") == DEFAULT_LANGUAGE
    assert resolve_language(None) == DEFAULT_LANGUAGE
    assert resolve_language(42) == DEFAULT_LANGUAGE  # type: ignore[arg-type]


def test_is_rtl_and_html_attributes() -> None:
    assert {"ar", "fa"} == RTL_LANGUAGES
    assert is_rtl("ar") and is_rtl("fa") and is_rtl("fa-IR")
    assert not any(is_rtl(lang) for lang in ("de", "en", "uk", "ru", "tr", "vi", "xx", None))
    assert html_lang_dir("ar") == ("ar", "rtl")
    assert html_lang_dir("vi") == ("vi", "ltr")
    assert html_lang_dir("zz") == ("de", "ltr")


def test_language_name() -> None:
    assert language_name("ar", "de") == "Arabisch"
    assert language_name("ar", "en") == "Arabic"
    assert language_name("uk", "ru") == "украинский"
    assert language_name("fa", "fa") == "فارسی"
    assert language_name("TI", "de") == "Tigrinya"
    assert language_name("qq", "en") == "qq"  # unknown → the code
    assert language_name("<b>", "en") == "<b>"  # not a code → unchanged, never an error
    assert language_name("ar", "xx") == "Arabisch"  # unknown UI language → default


# ------------------------------------------------------------------------------------------ numbers/dates
def test_format_km() -> None:
    assert format_km(12.34, "de") == "12,3"
    assert format_km(12.34, "en") == "12.3"
    assert format_km(3, "tr") == "3,0"
    assert format_km(1234.56, "de") == "1.234,6"
    assert format_km(float("nan"), "en") == ""
    assert format_km(None, "en") == ""
    assert format_km("abc", "en") == ""  # type: ignore[arg-type]
    # Babel's default numbering: Latin digits in Persian and Arabic too.
    assert re.fullmatch(r"[0-9.,]+", format_km(12.34, "fa"))
    assert re.fullmatch(r"[0-9.,]+", format_km(12.34, "ar"))


def test_format_number() -> None:
    assert format_number(1234, "de") == "1.234"
    assert format_number(1234, "en") == "1,234"
    assert format_number(math.inf, "en") == ""
    assert format_number(True, "en") == ""


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        ("2025", "de", "2025"),
        ("2025-03", "de", "März 2025"),
        ("2025-03", "en", "March 2025"),
        ("2025-03-07", "de", "7. März 2025"),
        ("2025-03-07", "en", "March 7, 2025"),
        (" 2024-11 ", "de", "November 2024"),
        (dt.date(2025, 3, 7), "de", "7. März 2025"),
    ],
)
def test_format_date_shapes(value: str, lang: str, expected: str) -> None:
    assert format_date(value, lang) == expected


@pytest.mark.parametrize("lang", LANGS)
def test_format_date_every_language(lang: str) -> None:
    assert format_date("2025", lang) == "2025"
    month = format_date("2025-03", lang)
    full = format_date("2025-03-07", lang)
    assert "2025" in month and month != "2025-03"
    assert "2025" in full and "7" in full and full != "2025-03-07"


@pytest.mark.parametrize(
    "value", ["", "spring 2025", "2025-13", "2025-02-30", "25-03-07", "2025/03/07", "2025-3"]
)
def test_format_date_invalid_returned_as_is(value: str) -> None:
    assert format_date(value, "en") == value


def test_format_date_missing_values() -> None:
    assert format_date(None, "en") == ""
    assert format_date(float("nan"), "en") == ""  # type: ignore[arg-type]


@settings(max_examples=80, deadline=None)
@given(value=st.text(max_size=20), lang=st.sampled_from([*LANGS, "xx"]))
def test_format_date_never_raises(value: str, lang: str) -> None:
    assert isinstance(format_date(value, lang), str)


def test_bidi_isolate() -> None:
    text = t("results.heading", "ar", place=bidi_isolate("Dresden"), n=3)
    assert "\u2068Dresden\u2069" in text
    assert bidi_isolate("").strip() != ""  # the marks are there even for an empty value


def test_module_doctests() -> None:
    result = doctest.testmod(i18n)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("lang", LANGS)
def test_sentences_with_a_date_end_with_one_full_stop(lang):
    # Some locales' long dates end in an abbreviation ("2026 р.", "2026 г."): no "..", no ". ." after it.
    date = i18n.format_date("2026-11-28", lang)
    for key in ("about.compiled",):
        sentence = i18n.t(key, lang, date=date)
        assert ".." not in sentence and ". ." not in sentence, (key, sentence)


@pytest.mark.parametrize(
    ("typed", "topic"),
    [
        ("Asyl", "asylum"),
        ("  ASYL ", "asylum"),
        ("Deutschkurs", "language"),  # a typo-sized difference from "Deutschkurse"
        ("Arbeit", "work"),  # one part of "Arbeit & Jobs"
        ("лжуо", None),
        ("Робота", "work"),
        ("لجوء", "asylum"),  # without the article of "اللجوء"
        ("پناهندگی", "asylum"),
        ("Sağlık", "health"),
        ("sức khỏe", "health"),
        ("Gö", None),
        ("", None),
        (None, None),
        ("Bürgergeld", None),  # no synonyms: only our own labels count
    ],
)
def test_topic_named(typed, topic):
    assert i18n.topic_named(typed) == topic


def test_no_embedded_place_name_is_taken_for_a_topic():
    # The app asks topic_named only when the gazetteer knows no such place; still, no town's name or
    # alternative name should look like a topic.
    path = REPO / "data" / "places.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        names = [n for row in csv.DictReader(fh) for n in [row["name"], *row["alt_names"].split("|")] if n]
    assert len(names) > 10_000
    assert [n for n in names if i18n.topic_named(n)] == []
