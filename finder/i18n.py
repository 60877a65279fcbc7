"""Translations and locale-aware formatting for the user interface.

The texts live in JSON catalogues ``finder/locales/<lang>.json`` (flat ``{"dotted.key": "text"}``),
one per language in :data:`LANGUAGES`; see ``finder/locales/README.md`` for how to add a language or a key.
Catalogue values are plain text (no HTML): whoever renders them as HTML must escape them.

Numbers and dates are formatted with Babel. Phone numbers, postcodes, e-mail addresses, URLs and street
addresses are *never* passed through number formatting: they are shown exactly as the offices publish
them, wrapped in an LTR-isolated element on right-to-left pages (``<span class="ltr">``; the app's CSS
for right-to-left pages is in ``ui/style.py``).

Examples
--------
>>> t("find.where_label", "en")
'Where are you?'
>>> t("results.heading", "de", place="Plauen", n=4)
'Beratungsstellen in der Nähe von Plauen: 4'
>>> t("results.heading", "en", place="Plauen")  # a missing value never raises
'Offices near Plauen: {n}'
>>> is_rtl("fa"), html_lang_dir("ar")
(True, ('ar', 'rtl'))
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import math
import re
import string
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_format_date
from babel.dates import format_skeleton
from babel.dates import format_time as _babel_format_time
from babel.lists import format_list as _babel_format_list
from babel.numbers import format_decimal
from rapidfuzz import fuzz, process

from finder import vocab

__all__ = [
    "DEFAULT_LANGUAGE",
    "FALLBACK_CHAIN",
    "LANGUAGES",
    "LOCALES_DIR",
    "RTL_LANGUAGES",
    "TOPIC_ICONS",
    "bidi_isolate",
    "catalogue",
    "format_date",
    "format_km",
    "format_number",
    "html_lang_dir",
    "is_rtl",
    "kind_description",
    "kind_label",
    "language_name",
    "placeholders",
    "precision_label",
    "resolve_language",
    "t",
    "target_group_label",
    "topic_icon",
    "topic_label",
]

_LOG = logging.getLogger(__name__)

#: Folder of the JSON catalogues (shipped as package data, see pyproject.toml).
LOCALES_DIR = Path(__file__).resolve().with_name("locales")

#: UI languages: ISO 639-1 code → the language's own name (endonym), in the order the selector shows them.
LANGUAGES: dict[str, str] = {
    "de": "Deutsch",
    "en": "English",
    "uk": "Українська",
    "ru": "Русский",
    "ar": "العربية",
    "fa": "فارسی",
    "tr": "Türkçe",
    "vi": "Tiếng Việt",
}
DEFAULT_LANGUAGE = "de"
RTL_LANGUAGES: frozenset[str] = frozenset({"ar", "fa"})
#: Where :func:`t` looks when a key is missing in the requested language (English is understood by more
#: of our users than German, so it comes first).
FALLBACK_CHAIN: tuple[str, ...] = ("en", "de")

#: One emoji per topic of :data:`finder.vocab.TOPICS`, shown before the topic's label.
TOPIC_ICONS: dict[str, str] = {
    "residence": "🪪",
    "asylum": "🛡️",
    "work": "💼",
    "recognition": "🎓",
    "language": "🗣️",
    "education": "📚",
    "family": "👨‍👩‍👧",
    "housing": "🏠",
    "health": "🩺",
    "benefits": "💶",
    "discrimination": "⚖️",
    "return": "✈️",
    "youth": "🧒",
    "women": "👩",
    "psychosocial": "🫂",
    "legal": "📜",
    "naturalisation": "🇩🇪",
}
_UNKNOWN_TOPIC_ICON = "📌"

#: Geocode precisions (``finder.core.Place.precision``, ``offices.csv`` ``geocode_precision``) with a label.
_PRECISIONS = ("street", "postcode", "place", "district", "point")

_LANG_CODE = re.compile(r"[A-Za-z]{2,3}")
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


# --------------------------------------------------------------------------------------------- languages
def resolve_language(lang: str | None) -> str:
    """Map any language tag to one of :data:`LANGUAGES`.

    Parameters
    ----------
    lang
        A code such as ``"fa"``, ``"AR"``, ``"de-DE"``, ``"uk_UA"`` (from a URL, a browser or a user);
        ``None`` or an unsupported language gives :data:`DEFAULT_LANGUAGE`.

    Returns
    -------
    str
        A key of :data:`LANGUAGES`.

    Examples
    --------
    >>> resolve_language("de-AT"), resolve_language("AR"), resolve_language("xx"), resolve_language(None)
    ('de', 'ar', 'de', 'de')
    """
    if not isinstance(lang, str):
        return DEFAULT_LANGUAGE
    head = re.split(r"[-_.@\s]", lang.strip(), maxsplit=1)[0].lower()
    return head if head in LANGUAGES else DEFAULT_LANGUAGE


def is_rtl(lang: str | None) -> bool:
    """Tell whether the UI language is written right to left (Arabic, Persian).

    Parameters
    ----------
    lang
        A language code; see :func:`resolve_language`.

    Returns
    -------
    bool
        ``True`` for the languages in :data:`RTL_LANGUAGES`.
    """
    return resolve_language(lang) in RTL_LANGUAGES


def html_lang_dir(lang: str | None) -> tuple[str, str]:
    """Return the values for the HTML ``lang`` and ``dir`` attributes.

    Parameters
    ----------
    lang
        A language code; see :func:`resolve_language`.

    Returns
    -------
    tuple[str, str]
        ``(code, "rtl" | "ltr")``, e.g. ``("ar", "rtl")``.
    """
    code = resolve_language(lang)
    return code, "rtl" if code in RTL_LANGUAGES else "ltr"


@functools.cache
def _locale(lang: str) -> Locale:
    return Locale.parse(resolve_language(lang))


# --------------------------------------------------------------------------------------------- catalogues
@functools.cache
def catalogue(lang: str) -> Mapping[str, str]:
    """Return the catalogue of one language (read once, then cached; read-only).

    Parameters
    ----------
    lang
        A key of :data:`LANGUAGES`; anything else gives an empty catalogue.

    Returns
    -------
    Mapping[str, str]
        Key → text. A missing or broken file is logged and gives an empty mapping, so the UI falls back
        to other languages instead of crashing.
    """
    if lang not in LANGUAGES:
        return MappingProxyType({})
    try:
        text = (LOCALES_DIR / f"{lang}.json").read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        _LOG.warning("Translation catalogue %s could not be read: %s", lang, exc)
        return MappingProxyType({})
    if not isinstance(data, dict):
        _LOG.warning("Translation catalogue %s is not a JSON object", lang)
        return MappingProxyType({})
    # Only string values are usable; a stray number or list must not break formatting later.
    return MappingProxyType({str(k): v for k, v in data.items() if isinstance(v, str)})


class _Missing:
    """Stands in for a placeholder value that was not given: renders as ``{name}`` whatever the spec."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __format__(self, spec: str) -> str:
        return "{" + self.name + "}"


class _Defaults(dict):
    """The default-dict handed to :meth:`string.Formatter.vformat`: missing keys keep their placeholder."""

    def __missing__(self, key: str) -> _Missing:
        return _Missing(key)


class _SafeFormatter(string.Formatter):
    """A :class:`string.Formatter` that never raises for missing, odd or badly formatted values."""

    def get_value(self, key: int | str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, int):  # positional fields ("{0}") are not part of the catalogue format
            return _Missing(str(key))
        return kwargs[key]

    def get_field(self, field_name: str, args: Any, kwargs: Mapping[str, Any]) -> tuple[Any, str]:
        try:
            return super().get_field(field_name, args, kwargs)
        except (AttributeError, IndexError, KeyError, TypeError):  # "{a.b}" / "{a[0]}" on a bad value
            return _Missing(field_name), field_name

    def format_field(self, value: Any, format_spec: str) -> str:
        try:
            return super().format_field(value, format_spec)
        except (TypeError, ValueError):  # e.g. "{n:d}" given a string
            return str(value)


_FORMATTER = _SafeFormatter()


def _fill(template: str, values: Mapping[str, Any]) -> str:
    try:
        return _FORMATTER.vformat(template, (), _Defaults(values))
    except (ValueError, IndexError, KeyError, AttributeError, TypeError):
        # A malformed template (a lone "{") is shown as written rather than crashing the page.
        return template


def t(key: str, lang: str | None, **kwargs: Any) -> str:
    """Translate a catalogue key and fill in its ``{placeholders}``.

    Parameters
    ----------
    key
        A dotted catalogue key, e.g. ``"find.where_label"``.
    lang
        The UI language (see :func:`resolve_language`; unknown → :data:`DEFAULT_LANGUAGE`).
    **kwargs
        Values for the placeholders. They are inserted with ``str.format`` semantics and no locale
        formatting, so pass numbers through :func:`format_km` / :func:`format_number` first when they
        should look local, and never do that with phone numbers or postcodes.

    Returns
    -------
    str
        The text in ``lang``, else English, else German, else the key itself. Placeholders without a
        value stay as ``{name}``; nothing here raises. The result is plain text (escape it for HTML).

    Examples
    --------
    >>> t("units.km", "ru", km="3,5")
    '3,5 км'
    >>> t("no.such.key", "en")
    'no.such.key'
    """
    code = resolve_language(lang)
    for candidate in (code, *FALLBACK_CHAIN):
        template = catalogue(candidate).get(key)
        if template is not None:
            return _fill(template, kwargs)
    return key


def placeholders(text: str) -> frozenset[str]:
    """Return the names of the ``{placeholders}`` of a catalogue text.

    Parameters
    ----------
    text
        A catalogue value.

    Returns
    -------
    frozenset[str]
        Field names, e.g. ``{"n", "place"}``; empty for malformed text.

    Examples
    --------
    >>> sorted(placeholders("Offices near {place}: {n}"))
    ['n', 'place']
    """
    try:
        return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)
    except ValueError:
        return frozenset()


# --------------------------------------------------------------------------------------------- vocabularies
def _label(key: str, lang: str | None, *, missing: str) -> str:
    """Translate ``key``, or return ``missing`` when no catalogue has it (``t`` returns the key then)."""
    text = t(key, lang)
    return missing if text == key else text


def topic_label(code: str, lang: str | None) -> str:
    """Return the plain-language label of a topic of :data:`finder.vocab.TOPICS`.

    Parameters
    ----------
    code
        Topic code, e.g. ``"residence"``.
    lang
        UI language.

    Returns
    -------
    str
        The label (``"Residence & permits"``); an unknown code is returned unchanged.
    """
    return _label(f"topic.{code}", lang, missing=code)


# Label parts: "Arbeit & Jobs" is also "Arbeit" and "Jobs" ("Перебування та дозволи" → two words).
_LABEL_PARTS = re.compile(r"\s*[&,/()]\s*|\s+(?:and|und|та|и|ve|và)\s+")


def _fold(text: str) -> str:
    """Case, width and punctuation folded, for comparing what people type with our labels."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    words = re.sub(r"[\W_]+", " ", folded).split()
    # Arabic writes the article into the word: "اللجوء" and "لجوء" are the same topic.
    return " ".join(w[2:] if w.startswith("ال") and len(w) > 4 else w for w in words)


@functools.cache
def _topic_names() -> tuple[tuple[str, str], ...]:
    """(folded name, topic code) for every topic label and each part of it, in every UI language."""
    names: set[tuple[str, str]] = set()
    for lang in LANGUAGES:
        for code in vocab.TOPICS:
            label = catalogue(lang).get(f"topic.{code}")
            if label:
                names.update(
                    (_fold(p), code) for p in (label, *_LABEL_PARTS.split(label)) if len(_fold(p)) >= 3
                )
    return tuple(sorted(names))


def topic_named(text: object, *, min_score: float = 85.0) -> str | None:
    """The topic whose name someone typed (in any UI language, small typos allowed), else ``None``.

    For the place box: people often type what they need ("Asyl", "لجوء") where we ask where they are.

    Examples
    --------
    >>> topic_named("asyl"), topic_named("Deutschkurs"), topic_named("Görlitz")
    ('asylum', 'language', None)
    """
    if not isinstance(text, str):
        return None
    key = _fold(text)
    if len(key) < 3:
        return None
    names = _topic_names()
    found = process.extractOne(key, [name for name, _ in names], scorer=fuzz.ratio, score_cutoff=min_score)
    return names[found[2]][1] if found else None


def topic_icon(code: str) -> str:
    """Return the emoji shown with a topic (a pin for unknown codes).

    Parameters
    ----------
    code
        Topic code.

    Returns
    -------
    str
        One emoji from :data:`TOPIC_ICONS`.
    """
    return TOPIC_ICONS.get(code, _UNKNOWN_TOPIC_ICON)


def kind_label(code: str, lang: str | None) -> str:
    """Return the label of an office kind of :data:`finder.vocab.KINDS`.

    Parameters
    ----------
    code
        Kind code, e.g. ``"JMD"``.
    lang
        UI language.

    Returns
    -------
    str
        The label (``"Youth migration service (JMD)"``); an unknown code is returned unchanged.
    """
    return _label(f"kind.{code}", lang, missing=code)


def kind_description(code: str, lang: str | None) -> str:
    """Return one plain sentence on what an office kind does.

    Parameters
    ----------
    code
        Kind code, e.g. ``"ABH"``.
    lang
        UI language.

    Returns
    -------
    str
        The sentence, or ``""`` for an unknown code.
    """
    return _label(f"kind_desc.{code}", lang, missing="")


def target_group_label(code: str, lang: str | None) -> str:
    """Return the label of a target group of :data:`finder.vocab.TARGET_GROUPS`.

    Parameters
    ----------
    code
        Target group, e.g. ``"12-27"`` or ``"refugees"``.
    lang
        UI language.

    Returns
    -------
    str
        The label; an unknown value is returned unchanged.
    """
    return _label(f"target.{code}", lang, missing=code)


def precision_label(precision: str, lang: str | None) -> str:
    """Return how exact a map position is (``"Position approximate: postcode area"``).

    Parameters
    ----------
    precision
        ``street``, ``postcode``, ``place``, ``district`` or ``point``.
    lang
        UI language.

    Returns
    -------
    str
        The label, or ``""`` for blank or unknown precision.
    """
    if precision not in _PRECISIONS:
        return ""
    return t(f"precision.{precision}", lang)


def language_name(code: str, lang: str | None) -> str:
    """Name a language (of counselling) in the UI language, using Babel's CLDR data.

    Parameters
    ----------
    code
        ISO 639-1 (or 639-3) code from the ``languages`` column, e.g. ``"ar"``.
    lang
        UI language.

    Returns
    -------
    str
        E.g. ``"Arabisch"`` for ``("ar", "de")``; the code itself when CLDR has no name for it.

    Examples
    --------
    >>> language_name("ar", "de"), language_name("ti", "en"), language_name("qqq", "en")
    ('Arabisch', 'Tigrinya', 'qqq')
    """
    if not isinstance(code, str):
        return ""
    key = code.strip()
    if not _LANG_CODE.fullmatch(key):
        return key
    try:
        name = _locale(resolve_language(lang)).languages.get(key.lower())
    except (UnknownLocaleError, ValueError):  # cannot happen for LANGUAGES, but never crash the page
        name = None
    return name or key


# --------------------------------------------------------------------------------------------- numbers/dates
def format_number(value: float | int | None, lang: str | None, decimals: int = 0) -> str:
    """Format a count or a measure for the UI language (grouping and decimal sign).

    Parameters
    ----------
    value
        The number; ``None``, NaN, infinities and non-numbers give ``""``.
    lang
        UI language.
    decimals
        Digits after the decimal sign (always shown).

    Returns
    -------
    str
        E.g. ``"1.234"`` in German. Babel's default numbering system (Latin digits) is used in every
        language: Babel does not substitute digits, and the locale's ``arabext`` system would only
        swap the separators ("12٫3"), which reads worse than plain "12.3" on a Persian page.

    Notes
    -----
    Never use this for phone numbers, postcodes or house numbers.
    """
    if isinstance(value, bool):
        return ""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    if not math.isfinite(number):
        return ""
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(number, format=pattern, locale=_locale(resolve_language(lang)))


def format_km(value: float | int | None, lang: str | None) -> str:
    """Format a distance in kilometres with one decimal (the number only; see ``units.km``).

    Parameters
    ----------
    value
        Kilometres; ``None``/NaN give ``""``.
    lang
        UI language.

    Returns
    -------
    str
        ``"12,3"`` in German, ``"12.3"`` in English.

    Examples
    --------
    >>> format_km(12.34, "de"), format_km(12.34, "en"), format_km(None, "en")
    ('12,3', '12.3', '')
    """
    return format_number(value, lang, decimals=1)


def format_date(value_str: str | dt.date | None, lang: str | None) -> str:
    """Format a date of the directory (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) for the UI language.

    Parameters
    ----------
    value_str
        The date as stored (``source_date``, ``last_checked``), or a :class:`datetime.date`.
    lang
        UI language.

    Returns
    -------
    str
        Year only → the year; year and month → month name and year (CLDR skeleton ``yMMMM``); a full
        date → the long date form. Anything else is returned as given (``None``/NaN → ``""``).

    Examples
    --------
    >>> format_date("2025", "de"), format_date("2025-03", "de"), format_date("2025-03-07", "de")
    ('2025', 'März 2025', '7. März 2025')
    >>> format_date("spring 2025", "en")
    'spring 2025'
    """
    locale = _locale(resolve_language(lang))
    if isinstance(value_str, dt.datetime):
        value_str = value_str.date()
    if isinstance(value_str, dt.date):
        return _babel_format_date(value_str, "long", locale=locale)
    if value_str is None:
        return ""
    if not isinstance(value_str, str):
        # pandas gives NaN / <NA> for blank cells; they mean "no date", not the text "nan".
        text = str(value_str)
        return "" if text.casefold() in {"nan", "<na>", "nat", "none"} else text
    match = _DATE.fullmatch(value_str.strip())
    if not match:
        return value_str
    year, month, day = match.groups()
    try:
        if month is None:
            return year
        if day is None:
            return format_skeleton("yMMMM", dt.date(int(year), int(month), 1), locale=locale)
        return _babel_format_date(dt.date(int(year), int(month), int(day)), "long", locale=locale)
    except ValueError:  # "2025-13" or "2025-02-30"
        return value_str


def format_time(moment: dt.datetime | dt.time, lang: str | None) -> str:
    """A clock time for the UI language (CLDR short time), e.g. for "open until …".

    Examples
    --------
    >>> format_time(dt.time(14, 0), "de"), format_time(dt.time(14, 0), "en")
    ('14:00', '2:00\u202fPM')
    """
    if isinstance(moment, dt.datetime):
        moment = moment.time()  # the wall-clock time as given (the offices' hours are Berlin time)
    return _babel_format_time(moment, "short", locale=_locale(resolve_language(lang)))


def format_day(day: dt.date, lang: str | None, *, with_date: bool = False) -> str:
    """A day for the UI language: its weekday ("Dienstag"), or with ``with_date`` weekday and date.

    Examples
    --------
    >>> format_day(dt.date(2026, 12, 1), "de"), format_day(dt.date(2026, 12, 1), "de", with_date=True)
    ('Dienstag', 'Di., 1. Dez.')
    """
    locale = _locale(resolve_language(lang))
    if with_date:
        return format_skeleton("MMMEd", day, locale=locale)
    return _babel_format_date(day, "EEEE", locale=locale)


def format_list(items: list[str], lang: str | None, style: str = "and") -> str:
    """Join names for the UI language: "Arabic and Persian", "Arabic or Persian" (CLDR list patterns).

    Parameters
    ----------
    items
        The names (already in the UI language).
    lang
        UI language.
    style
        ``"and"`` (all of them) or ``"or"`` (any of them).

    Examples
    --------
    >>> format_list(["Arabisch", "Persisch", "Türkisch"], "de"), format_list(["Arabic", "Dari"], "en", "or")
    ('Arabisch, Persisch und Türkisch', 'Arabic or Dari')
    """
    babel_style = "standard" if style == "and" else style
    return _babel_format_list(list(items), style=babel_style, locale=_locale(resolve_language(lang)))


# --------------------------------------------------------------------------------------------- RTL
_FSI, _PDI = "\u2068", "\u2069"  # FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE


def bidi_isolate(text: str) -> str:
    """Wrap text in Unicode directional isolates so it cannot reorder the sentence around it.

    Use it for values inserted into right-to-left sentences in plain-text contexts (widget labels,
    headings), e.g. ``t("results.heading", "ar", place=bidi_isolate("Dresden"), n=3)``: without it the
    Latin place name and the number that follows merge into one left-to-right run. In HTML prefer
    ``<bdi>`` or ``<span class="ltr">``.

    Parameters
    ----------
    text
        Any text.

    Returns
    -------
    str
        The text between U+2068 FIRST STRONG ISOLATE and U+2069 POP DIRECTIONAL ISOLATE (invisible).
    """
    return f"{_FSI}{text}{_PDI}"
