"""The input rules, each in one place: ids, controls, bidi, formulas, ``lat,lon``, lengths, codes, numbers.

The directory validator, the URL parsers of both pages, the corrections store, the gazetteer and the
command line all ask these functions, so a value one of them accepts is accepted by all. Every function is
pure and never raises on hostile input (any ``str``, including lone surrogates); numbers are read from
ASCII digits only, because ``int("٣٠")`` is 30 and a person who typed Arabic-Indic digits into a URL by
hand should see a notice, not a silent guess.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Collection, Iterable
from zoneinfo import ZoneInfo

from finder.vocab import ISO_639_1

__all__ = [
    "BERLIN",
    "MAX_AGE",
    "MAX_LIMIT",
    "MAX_OFFICE_ID_CHARS",
    "MAX_QUERY_LENGTH",
    "MAX_RADIUS_KM",
    "escape_controls",
    "has_bidi_controls",
    "has_controls",
    "is_language_code",
    "is_office_id",
    "match_latlon",
    "neutralise_formula",
    "parse_codes",
    "parse_date",
    "parse_decimal",
    "parse_int",
    "parse_latlon",
    "remove_bidi_controls",
    "remove_controls",
    "starts_like_formula",
    "valid_latlon",
]

#: Longest place text anybody may type (a town, a postcode, an address).
MAX_QUERY_LENGTH = 200
#: Longest office id (they are slugs like ``mbe-caritas-dresden``).
MAX_OFFICE_ID_CHARS = 100
#: Bounds of the search filters (URL parameters, command line, coverage page).
MAX_AGE = 120
MAX_LIMIT = 50
MAX_RADIUS_KM = 500.0
#: The time zone of every local time the finder reads or shows (opening hours, ``--at-time``, ``FINDER_NOW``).
BERLIN = ZoneInfo("Europe/Berlin")

# A slug: lower-case ASCII letters, digits and inner hyphens; it starts with a letter or digit so that it
# can never be read as a command-line option.
_OFFICE_ID = re.compile(rf"[a-z0-9][a-z0-9-]{{0,{MAX_OFFICE_ID_CHARS - 1}}}")
# C0 and C1 control characters: they could hide text or drive a terminal. Tab and line breaks are
# whitespace in multi-line text and allowed there.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROLS_BUT_WHITESPACE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Bidi controls that reorder the text around them: embeddings and overrides (U+202A-U+202E) and isolates
# (U+2066-U+2069). With an override, "invoice" U+202E "gpj.exe" shows as "invoiceexe.jpg" ("Trojan Source",
# CVE-2021-42574; rustc's text_direction_codepoint lints flag exactly these nine). The marks LRM, RLM and
# ALM (U+200E, U+200F, U+061C) are allowed: each is one invisible strong letter that only settles which
# side neighbouring brackets, digits or punctuation go, which mixed Arabic/Persian and Latin text needs;
# a mark cannot turn a run of text around. ZWNJ (U+200C) joins letters in Persian and is no bidi control.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# A spreadsheet reads a cell starting with = + - @ as a formula (Excel, LibreOffice, Google Sheets), and a
# tab or carriage return at the start can start one too (OWASP "CSV Injection"). Spaces before them do not
# make a cell safe: importers with "trim spaces" drop them first.
_FORMULA_START = "=+-@\t\r"
_FORMULA_AFTER_SPACES = "=+-@"
# Digits with + - ( ) / . , ; spaces or an en dash only: a number or phone numbers ("+49 351 1234-5; 0351 2",
# "-12.5"). A spreadsheet may compute it, but without letters, quotes, ! or | it can call no function,
# reference no cell and start no program, so exports leave it exactly as it is.
_PLAIN_NUMBER = re.compile(r"[0-9 ()/.,;+\-\u2013]*[0-9][0-9 ()/.,;+\-\u2013]*")
# On a terminal a carriage return goes back to the start of the line and hides what came before it.
_TERMINAL_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Two decimal numbers separated by a comma, a semicolon or white space ("51.05, 13.74", "51.05 13.74").
_LATLON = re.compile(r"\s*([+-]?[0-9]{1,3}(?:\.[0-9]+)?)\s*[,;\s]\s*([+-]?[0-9]{1,3}(?:\.[0-9]+)?)\s*")
_INT = re.compile(r"[0-9]{1,9}")
_DECIMAL = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,9})?")
_SEPARATORS = re.compile(r"\s*[;,]\s*")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_MINUTE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}")


def is_office_id(text: object) -> bool:
    """Whether ``text`` is a valid office id (a slug of at most :data:`MAX_OFFICE_ID_CHARS` characters).

    Examples
    --------
    >>> is_office_id("mbe-caritas-dresden"), is_office_id("-abc"), is_office_id("A1")
    (True, False, False)
    """
    return isinstance(text, str) and _OFFICE_ID.fullmatch(text) is not None


def has_controls(text: str, *, multiline: bool = False) -> bool:
    r"""Whether ``text`` contains C0/C1 control characters (tab and line breaks allowed if ``multiline``).

    Examples
    --------
    >>> has_controls("a\x1b[31mb"), has_controls("a\tb"), has_controls("a\nb", multiline=True)
    (True, True, False)
    """
    return (_CONTROLS_BUT_WHITESPACE if multiline else _CONTROLS).search(text) is not None


def remove_controls(text: str, *, multiline: bool = False) -> str:
    """``text`` without the control characters :func:`has_controls` finds."""
    return (_CONTROLS_BUT_WHITESPACE if multiline else _CONTROLS).sub("", text)


def escape_controls(text: str) -> str:
    r"""``text`` with control characters (all but tab and line feed) shown as ``\xNN``, safe on a terminal.

    Examples
    --------
    >>> print(escape_controls("a\x1b[2Jb\x9bc\rd\nf"))
    a\x1b[2Jb\x9bc\x0dd
    f
    """
    return _TERMINAL_CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def has_bidi_controls(text: str) -> bool:
    """Whether ``text`` contains bidi embeddings, overrides or isolates (U+202A-U+202E, U+2066-U+2069).

    Examples
    --------
    >>> has_bidi_controls("A\u202eevil"), has_bidi_controls("مرکز\u200f (۲)")
    (True, False)
    """
    return _BIDI_CONTROLS.search(text) is not None


def remove_bidi_controls(text: str) -> str:
    """``text`` without the bidi controls :func:`has_bidi_controls` finds (LRM/RLM marks are kept)."""
    return _BIDI_CONTROLS.sub("", text)


def starts_like_formula(text: str, allowed: str = "") -> bool:
    r"""Whether a spreadsheet might read ``text`` as a formula: it starts with ``= + - @``, a tab or a CR.

    Parameters
    ----------
    text
        A cell value.
    allowed
        Leading characters that are fine in this column (``"+"`` for phone numbers); the column's own
        rule must then make sure the rest is harmless.

    Examples
    --------
    >>> starts_like_formula("=1+1"), starts_like_formula("  @SUM(1)"), starts_like_formula("\tx")
    (True, True, True)
    >>> starts_like_formula("+49 351 1234", allowed="+"), starts_like_formula("Mo-Fr 9-12")
    (False, False)
    """
    first = text[:1]
    if first and first in _FORMULA_START:
        return first not in allowed
    first = text.lstrip()[:1]
    return bool(first) and first in _FORMULA_AFTER_SPACES and first not in allowed


def neutralise_formula(text: str) -> str:
    r"""``text`` as a cell no spreadsheet evaluates: ``'`` before a formula start (OWASP), else unchanged.

    Plain numbers and phone numbers (digits with ``+ - ( ) / . , ;`` and spaces only) stay as they are:
    they can call no function, and an export of a valid directory must not change them.

    Examples
    --------
    >>> neutralise_formula('=HYPERLINK("http://x.example","a")'), neutralise_formula("+49 351 1234")
    ('\'=HYPERLINK("http://x.example","a")', '+49 351 1234')
    >>> neutralise_formula("-2+3+cmd|' /C calc'!A0"), neutralise_formula("Caritas")
    ("'-2+3+cmd|' /C calc'!A0", 'Caritas')
    """
    if not starts_like_formula(text) or _PLAIN_NUMBER.fullmatch(text):
        return text
    return "'" + text


def match_latlon(text: object) -> tuple[float, float] | None:
    """The two numbers of a text shaped like ``"lat,lon"``, unchecked; None if it has another shape.

    Use :func:`parse_latlon` for a checked pair; this one tells "meant as coordinates" apart from a place
    name, so that ``51.05,373.74`` can be refused as coordinates instead of being looked up as a town.

    Examples
    --------
    >>> match_latlon("51.05, 373.74"), match_latlon("01067 Dresden")
    ((51.05, 373.74), None)
    """
    if not isinstance(text, str):
        return None
    m = _LATLON.fullmatch(text)
    return (float(m.group(1)), float(m.group(2))) if m else None


def valid_latlon(lat: float, lon: float) -> bool:
    """Whether ``(lat, lon)`` are finite decimal degrees on the globe (|lat| ≤ 90, |lon| ≤ 180)."""
    return math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180


def parse_latlon(text: object) -> tuple[float, float] | None:
    """A checked ``(lat, lon)`` from ``"lat,lon"`` (also ``;`` or a space between), or None.

    Examples
    --------
    >>> parse_latlon("51.050891, 13.738320"), parse_latlon("91,0"), parse_latlon("51.05,373.74")
    ((51.050891, 13.73832), None, None)
    """
    pair = match_latlon(text)
    return pair if pair is not None and valid_latlon(*pair) else None


def is_language_code(code: object) -> bool:
    """Whether ``code`` is a lower-case ISO 639-1 code (the ones the directory, URLs and CLI use).

    Examples
    --------
    >>> is_language_code("ar"), is_language_code("xx"), is_language_code("AR")
    (True, False, False)
    """
    return isinstance(code, str) and code in ISO_639_1


def parse_codes(
    values: str | Iterable[str], allowed: Collection[str], *, fold: str = "lower"
) -> tuple[tuple[str, ...], list[str]]:
    """Known codes from a comma (or semicolon) separated text, in the order given, without repeats.

    Parameters
    ----------
    values
        ``"asylum, work"`` or several such texts.
    allowed
        The codes that exist.
    fold
        ``"lower"`` or ``"upper"``: the case the codes are written in.

    Returns
    -------
    tuple[tuple[str, ...], list[str]]
        The known codes, and the items that are not (as typed), so a caller can name them.

    Examples
    --------
    >>> parse_codes("Asylum, nonsense,asylum", ("asylum", "work"))
    (('asylum',), ['nonsense'])
    """
    texts = [values] if isinstance(values, str) else list(values)
    known: list[str] = []
    unknown: list[str] = []
    for text in texts:
        for item in _SEPARATORS.split(str(text).strip()):
            if not item:
                continue
            code = item.upper() if fold == "upper" else item.lower()
            if code in allowed:
                if code not in known:
                    known.append(code)
            else:
                unknown.append(item)
    return tuple(known), unknown


def parse_int(text: object, low: int, high: int) -> int | None:
    """A non-negative integer in ASCII digits with ``low ≤ value ≤ high``, else None.

    Examples
    --------
    >>> parse_int(" 30 ", 0, 120), parse_int("٣٠", 0, 120), parse_int("-1", 0, 120), parse_int("121", 0, 120)
    (30, None, None, None)
    """
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not _INT.fullmatch(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


def parse_decimal(text: object, low: float, high: float, *, low_inclusive: bool = True) -> float | None:
    """A non-negative decimal in ASCII digits (no exponent, no ``inf``/``nan``) within the bounds, else None.

    Examples
    --------
    >>> parse_decimal("7.5", 0, 500), parse_decimal("inf", 0, 500), parse_decimal("1e400", 0, 500)
    (7.5, None, None)
    >>> parse_decimal("0", 0, 500, low_inclusive=False) is None
    True
    """
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not _DECIMAL.fullmatch(text):
        return None
    value = float(text)
    above_low = value >= low if low_inclusive else value > low
    return value if above_low and value <= high else None


def parse_date(text: object) -> dt.date | None:
    """A calendar date written ``YYYY-MM-DD`` (ASCII digits), else None.

    Examples
    --------
    >>> parse_date("2026-11-28"), parse_date("2026-02-30"), parse_date("DATE")
    (datetime.date(2026, 11, 28), None, None)
    """
    if not isinstance(text, str) or not _ISO_DATE.fullmatch(text.strip()):
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:  # 2026-02-30
        return None


def parse_local_minute(text: object) -> dt.datetime | None:
    """A wall-clock moment written ``YYYY-MM-DDTHH:MM`` (ASCII digits) in :data:`BERLIN`, else None.

    Examples
    --------
    >>> parse_local_minute("2026-11-30T09:30")
    datetime.datetime(2026, 11, 30, 9, 30, tzinfo=zoneinfo.ZoneInfo(key='Europe/Berlin'))
    >>> parse_local_minute("2026-11-30T24:00"), parse_local_minute("2026-11-30 09:30"), parse_local_minute(3)
    (None, None, None)
    """
    if not isinstance(text, str) or not _ISO_MINUTE.fullmatch(text.strip()):
        return None
    try:
        return dt.datetime.fromisoformat(text.strip()).replace(tzinfo=BERLIN)
    except ValueError:  # 2026-02-30T10:00, 10:61
        return None
