"""The pages' state in the URL: what the Find page and the Coverage page show, as link parameters.

Everything here is pure (no Streamlit): a page turns ``st.query_params`` into a state with
:func:`parse_params` (Find) or :func:`parse_coverage_params` (Coverage) and writes it back with
:func:`to_params` or :func:`coverage_to_params`, so a copied link reproduces the view. Parameter names are
stable (people write links by hand, see the README). The Find page's:

======== ========================================= ==========================
name     meaning                                   example
======== ========================================= ==========================
lang     interface language                        ``lang=uk``
q        place as text (town, postcode, address)   ``q=01067``
at       place as ``lat,lon`` (wins over ``q``)    ``at=51.05089,13.73832``
topic    topics, comma list                        ``topic=asylum,work``
language languages of counselling (ISO 639-1)      ``language=ar,fa``
kind     kinds of office, comma list               ``kind=MBE,JMD``
age      the person's age in years                 ``age=19``
radius   only offices within this many km          ``radius=25``
limit    at most this many offices (nearest N)     ``limit=5``
open     only offices open ``now`` or ``today``      ``open=now``
office   id of the selected office                 ``office=mbe-caritas-dresden``
tiles    map tiles the person switched on (a key)  ``tiles=osm``
======== ========================================= ==========================

The Coverage page has ``topic``, ``language``, ``kind`` and ``age`` as above, plus:

======== ========================================= ==========================
name     meaning                                   example
======== ========================================= ==========================
unstated count offices that state no language      ``unstated=1``
km       gap threshold in km (one of the choices)  ``km=30``
ratio    what colours the districts on the map     ``ratio=e2sfca``
show     what the map shows                        ``show=distance``
whatif   extra offices to try, ``;`` between them  ``whatif=Plauen;51.1,12.9``
======== ========================================= ==========================

The values are checked by the rules of :mod:`finder.rules` (the same as the command line's). Invalid
values are dropped (the state keeps its default) and their parameter names are returned, so the page can
show a short notice instead of an error. Unknown parameter names (e.g. ``fbclid`` added by social
networks) are ignored silently.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from finder import i18n
from finder.rules import (
    MAX_AGE,
    MAX_LIMIT,
    MAX_QUERY_LENGTH,
    MAX_RADIUS_KM,
    has_controls,
    is_office_id,
    parse_codes,
    parse_decimal,
    parse_int,
    parse_latlon,
)
from finder.vocab import ISO_639_1, KINDS, OPEN_FILTERS, TOPICS

__all__ = [
    "AT_DECIMALS",
    "COVERAGE_PARAM_NAMES",
    "DEFAULT_KM",
    "DEFAULT_LIMIT",
    "KM_OPTIONS",
    "MAP_SHOWS",
    "MAX_WHATIF_LENGTH",
    "PARAM_NAMES",
    "RATIOS",
    "CoverageState",
    "ViewState",
    "coverage_to_params",
    "format_at",
    "format_radius",
    "parse_at",
    "parse_coverage_params",
    "parse_params",
    "share_url",
    "to_params",
]

#: The Find page's parameter names, in the order they appear in generated links.
PARAM_NAMES: tuple[str, ...] = (
    "lang",
    "q",
    "at",
    "topic",
    "language",
    "kind",
    "age",
    "radius",
    "limit",
    "open",
    "office",
    "tiles",
)
#: Default number of offices listed.
DEFAULT_LIMIT = 10
#: Decimals kept of ``at`` (about 1 m).
AT_DECIMALS = 5

#: The Coverage page's parameter names, in the order they appear in generated links (after ``lang``).
COVERAGE_PARAM_NAMES: tuple[str, ...] = (
    "topic",
    "language",
    "kind",
    "age",
    "unstated",
    "km",
    "ratio",
    "show",
    "whatif",
)
#: What colours the districts on the coverage map; the first is the default.
RATIOS: tuple[str, ...] = ("per100k", "per10k_foreign", "beyond", "e2sfca")
#: What the coverage map shows; the first is the default.
MAP_SHOWS: tuple[str, ...] = ("districts", "distance")
#: The gap thresholds offered (km, straight line) and the default.
KM_OPTIONS: tuple[int, ...] = (5, 10, 15, 20, 25, 30, 40, 50)
DEFAULT_KM = 20
#: Longest "what if" text (several places separated by ``;``).
MAX_WHATIF_LENGTH = 300


@dataclass(frozen=True)
class ViewState:
    """What the find page shows; each field is one URL parameter (see the module docstring).

    Attributes
    ----------
    lang
        Interface language code (one of :data:`finder.i18n.LANGUAGES`); None = not chosen (the page then
        uses the browser's language).
    q
        Place as typed.
    at
        Place as ``(lat, lon)``, rounded to 5 decimals; wins over ``q`` (``q`` is then only its label).
    topics, languages, kinds
        Filters (topic codes, ISO 639-1 codes, kind codes), in the order chosen.
    age
        The person's age (0–120) or None.
    radius
        Only offices within this many km (0 < radius ≤ 500, one decimal) or None.
    limit
        At most this many offices (1–50).
    open
        ``"now"`` or ``"today"`` (:data:`finder.vocab.OPEN_FILTERS`): only offices whose structured hours
        say open at that moment or on that day; None = no hours filter.
    office
        Id of the selected office or None.
    tiles
        Key of the tile provider the person switched on (``finder.tiles``), or None (no tiles). A key the
        server does not offer is ignored by the page.
    """

    lang: str | None = None
    q: str = ""
    at: tuple[float, float] | None = None
    topics: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    age: int | None = None
    radius: float | None = None
    limit: int = DEFAULT_LIMIT
    open: str | None = None
    office: str | None = None
    tiles: str | None = None


@dataclass(frozen=True)
class CoverageState:
    """What the coverage page shows; each field is one URL parameter (see the module docstring).

    Attributes
    ----------
    topics, languages, kinds
        Which offices count (topic codes, ISO 639-1 codes, kind codes), in the order chosen.
    age
        The person's age (0–120) or None.
    unstated
        Whether offices that state no language count for a chosen language.
    km
        Gap threshold in km (one of :data:`KM_OPTIONS`).
    ratio
        What colours the districts (one of :data:`RATIOS`).
    show
        What the map shows (one of :data:`MAP_SHOWS`).
    whatif
        Extra offices to try: places, postcodes or ``lat,lon``, separated by ``;``.
    """

    topics: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    age: int | None = None
    unstated: bool = False
    km: int = DEFAULT_KM
    ratio: str = RATIOS[0]
    show: str = MAP_SHOWS[0]
    whatif: str = ""


# --------------------------------------------------------------------------------------------------
# Places and numbers as parameter text


def parse_at(text: str) -> tuple[float, float] | None:
    """Parse ``"lat,lon"`` (decimal degrees) into a rounded pair, or None if it is not valid.

    Examples
    --------
    >>> parse_at("51.050891, 13.738320")
    (51.05089, 13.73832)
    >>> parse_at("91,0") is None
    True
    """
    pair = parse_latlon(text)
    if pair is None:
        return None
    return (round(pair[0], AT_DECIMALS) + 0.0, round(pair[1], AT_DECIMALS) + 0.0)


def _format_number(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_at(at: tuple[float, float]) -> str:
    """Format a place as the ``at`` parameter (``"51.05089,13.73832"``)."""
    return f"{_format_number(at[0], AT_DECIMALS)},{_format_number(at[1], AT_DECIMALS)}"


def format_radius(radius: float) -> str:
    """Format a radius as the ``radius`` parameter (``"25"``, ``"7.5"``)."""
    return _format_number(radius, 1)


# --------------------------------------------------------------------------------------------------
# Reading one parameter

#: A parameter's reader: the raw value → (the parsed value or :data:`_KEEP_DEFAULT`, whether it was valid).
_Reader = Callable[[object], tuple[Any, bool]]
#: Returned by a reader whose value was invalid: the state keeps its default.
_KEEP_DEFAULT = object()


def _value(raw: object) -> str | None:
    """One parameter value as text: the last of repeated values; None if it is not text."""
    if isinstance(raw, (list, tuple)):
        raw = raw[-1] if raw else ""
    return raw if isinstance(raw, str) else None


def _list_value(raw: object) -> str | None:
    """A comma-list parameter: repeated values are joined (``?topic=a&topic=b`` = ``topic=a,b``)."""
    if isinstance(raw, (list, tuple)):
        if not all(isinstance(item, str) for item in raw):
            return None
        return ",".join(raw)
    return raw if isinstance(raw, str) else None


def _single(parse: Callable[[str], Any]) -> _Reader:
    """A reader of a single value: ``parse`` gets the text and returns the value, or None if invalid."""

    def read(raw: object) -> tuple[Any, bool]:
        text = _value(raw)
        value = parse(text) if text is not None else None
        return (_KEEP_DEFAULT, False) if value is None else (value, True)

    return read


def _codes(allowed: Collection[str], *, fold: str) -> _Reader:
    """A reader of a comma list of codes: the known ones in order without repeats; invalid if any is not."""

    def read(raw: object) -> tuple[Any, bool]:
        text = _list_value(raw)
        if text is None:
            return (), False
        codes, unknown = parse_codes(text, allowed, fold=fold)
        return codes, not unknown

    return read


def _read(mapping: Mapping[Any, Any], readers: Mapping[str, tuple[str, _Reader]]) -> tuple[dict, list[str]]:
    """Run the readers (parameter name → (field name, reader)) over the parameters that are present.

    Returns the fields' values and the names of invalid parameters, both in the order of ``readers``.
    """
    params = {k: v for k, v in mapping.items() if isinstance(k, str)} if isinstance(mapping, Mapping) else {}
    values: dict[str, Any] = {}
    invalid: list[str] = []
    for name, (attr, read) in readers.items():
        if name not in params:
            continue
        value, valid = read(params[name])
        if value is not _KEEP_DEFAULT:
            values[attr] = value
        if not valid:
            invalid.append(name)
    return values, invalid


def _language(text: str) -> str | None:
    code = text.strip().lower()
    return code if code in i18n.LANGUAGES else None


def _one_line(max_length: int) -> Callable[[str], str | None]:
    """A text of at most ``max_length`` characters without control characters, white space collapsed."""
    return lambda text: None if len(text) > max_length or has_controls(text) else " ".join(text.split())


def _radius(text: str) -> float | None:
    value = parse_decimal(text, 0.0, MAX_RADIUS_KM, low_inclusive=False)
    radius = round(value, 1) if value is not None else 0.0
    return radius if radius > 0 else None


def _office(text: str) -> str | None:
    text = text.strip()
    return text if is_office_id(text) else None


def _tile_key(text: str) -> str | None:
    """A tile provider key: up to 40 letters, digits, ``.``, ``-``, ``_`` (which exist is the page's call)."""
    key = text.strip()
    valid = 0 < len(key) <= 40 and all(c.isascii() and (c.isalnum() or c in ".-_") for c in key)
    return key if valid else None


def _flag(text: str) -> bool | None:
    return {"1": True, "0": False}.get(text.strip())


def _km(text: str) -> int | None:
    # Links write whole numbers; "20.0" is read as 20, "20.5" is not a choice.
    value = parse_decimal(text, min(KM_OPTIONS), max(KM_OPTIONS))
    return int(value) if value is not None and value.is_integer() and int(value) in KM_OPTIONS else None


def _choice(options: tuple[str, ...]) -> Callable[[str], str | None]:
    return lambda text: text.strip() if text.strip() in options else None


_FILTERS: dict[str, tuple[str, _Reader]] = {
    "topic": ("topics", _codes(TOPICS, fold="lower")),
    "language": ("languages", _codes(ISO_639_1, fold="lower")),
    "kind": ("kinds", _codes(KINDS, fold="upper")),
    "age": ("age", _single(lambda text: parse_int(text, 0, MAX_AGE))),
}
_VIEW_READERS: dict[str, tuple[str, _Reader]] = {
    "lang": ("lang", _single(_language)),
    "q": ("q", _single(_one_line(MAX_QUERY_LENGTH))),
    "at": ("at", _single(parse_at)),
    **_FILTERS,
    "radius": ("radius", _single(_radius)),
    "limit": ("limit", _single(lambda text: parse_int(text, 1, MAX_LIMIT))),
    "open": ("open", _single(_choice(OPEN_FILTERS))),
    "office": ("office", _single(_office)),
    "tiles": ("tiles", _single(_tile_key)),
}
_COVERAGE_READERS: dict[str, tuple[str, _Reader]] = {
    **_FILTERS,
    "unstated": ("unstated", _single(_flag)),
    "km": ("km", _single(_km)),
    "ratio": ("ratio", _single(_choice(RATIOS))),
    "show": ("show", _single(_choice(MAP_SHOWS))),
    "whatif": ("whatif", _single(_one_line(MAX_WHATIF_LENGTH))),
}


# --------------------------------------------------------------------------------------------------
# The Find page


def parse_params(mapping: Mapping[Any, Any]) -> tuple[ViewState, list[str]]:
    """Read the view from URL parameters; invalid values fall back to their defaults.

    Parameters
    ----------
    mapping
        Parameter name → value (``st.query_params.to_dict()``); a value may also be a list of strings
        (repeated parameters): lists take the last value, comma lists join them.

    Returns
    -------
    tuple[ViewState, list[str]]
        The state, and the names of parameters whose value was (partly) invalid, in :data:`PARAM_NAMES`
        order. Never raises.

    Examples
    --------
    >>> state, bad = parse_params({"q": "Görlitz", "topic": "asylum,nonsense", "age": "x"})
    >>> state.q, state.topics, state.age, bad
    ('Görlitz', ('asylum',), None, ['topic', 'age'])
    """
    values, invalid = _read(mapping, _VIEW_READERS)
    return ViewState(**values), invalid


def _filter_params(state: ViewState | CoverageState) -> dict[str, str]:
    """The filters both pages share (topic, language, kind, age) as URL parameters, defaults left out."""
    out = {}
    if state.topics:
        out["topic"] = ",".join(state.topics)
    if state.languages:
        out["language"] = ",".join(state.languages)
    if state.kinds:
        out["kind"] = ",".join(state.kinds)
    if state.age is not None:
        out["age"] = str(state.age)
    return out


def to_params(state: ViewState) -> dict[str, str]:
    """Write the view as URL parameters, leaving out defaults (the inverse of :func:`parse_params`).

    Examples
    --------
    >>> to_params(ViewState(lang="de", q="Görlitz", topics=("asylum", "work"), radius=25.0))
    {'lang': 'de', 'q': 'Görlitz', 'topic': 'asylum,work', 'radius': '25'}
    """
    out: dict[str, str] = {}
    if state.lang:
        out["lang"] = state.lang
    if state.q:
        out["q"] = state.q
    if state.at is not None:
        out["at"] = format_at(state.at)
    out.update(_filter_params(state))
    if state.radius is not None:
        out["radius"] = format_radius(state.radius)
    if state.limit != DEFAULT_LIMIT:
        out["limit"] = str(state.limit)
    if state.open:
        out["open"] = state.open
    if state.office:
        out["office"] = state.office
    if state.tiles:
        out["tiles"] = state.tiles
    return out


def share_url(base: str, state: ViewState) -> str:
    """The link that reproduces ``state``: ``base`` without its query and fragment, plus the parameters.

    Commas stay readable; everything else that needs it is percent-encoded (UTF-8).

    Examples
    --------
    >>> share_url("http://localhost:8501/?old=1#x", ViewState(lang="uk", q="Дрезден", topics=("asylum",)))
    'http://localhost:8501/?lang=uk&q=%D0%94%D1%80%D0%B5%D0%B7%D0%B4%D0%B5%D0%BD&topic=asylum'
    """
    parts = urlsplit(base or "")
    query = urlencode(to_params(state), quote_via=quote, safe=",")
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, ""))


# --------------------------------------------------------------------------------------------------
# The Coverage page


def parse_coverage_params(mapping: Mapping[Any, Any]) -> tuple[CoverageState, list[str]]:
    """Read the coverage page's filters from URL parameters; invalid values fall back to their defaults.

    Parameters
    ----------
    mapping
        Parameter name → value, as for :func:`parse_params` (``lang`` and unknown names are ignored here).

    Returns
    -------
    tuple[CoverageState, list[str]]
        The state, and the names of parameters whose value was (partly) invalid, in
        :data:`COVERAGE_PARAM_NAMES` order. Never raises.

    Examples
    --------
    >>> state, bad = parse_coverage_params({"language": "ar,xx", "age": "٣٠", "km": "inf", "ratio": "e2sfca"})
    >>> state.languages, state.age, state.km, state.ratio, bad
    (('ar',), None, 20, 'e2sfca', ['language', 'age', 'km'])
    """
    values, invalid = _read(mapping, _COVERAGE_READERS)
    return CoverageState(**values), invalid


def coverage_to_params(state: CoverageState) -> dict[str, str]:
    """Write the coverage filters as URL parameters, leaving out defaults (see :func:`parse_coverage_params`).

    Examples
    --------
    >>> coverage_to_params(CoverageState(topics=("asylum",), unstated=True, km=30, whatif=" Plauen "))
    {'topic': 'asylum', 'unstated': '1', 'km': '30', 'whatif': 'Plauen'}
    """
    out: dict[str, str] = {}
    out.update(_filter_params(state))
    if state.unstated:
        out["unstated"] = "1"
    if state.km != DEFAULT_KM:
        out["km"] = str(state.km)
    if state.ratio != RATIOS[0]:
        out["ratio"] = state.ratio
    if state.show != MAP_SHOWS[0]:
        out["show"] = state.show
    if state.whatif.strip():
        # A long text (e.g. after "try an extra office" was pressed repeatedly) still gives a valid link.
        out["whatif"] = state.whatif.strip()[:MAX_WHATIF_LENGTH]
    return out
