"""Sharing what the Find page shows: a QR code of the link, the facts of an office and a printable handout.

The link itself (the page state in the URL) is :mod:`finder.urlstate`'s; everything here is pure (no
Streamlit) as well.

:func:`office_card` turns one directory row into the plain-text facts the result list and the handout
show (distance in words, contacts, languages, placement precision, source age, route links);
:func:`speech_text` is what the card's read-aloud button says; :func:`handout_html` renders a
self-contained, printable page with every data value escaped, the link, a QR code and a static SVG map
drawn from our own district outlines (no external image, no request).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urljoin, urlsplit

import pandas as pd
import segno
import shapely

from finder import freshness, hours, i18n
from finder._values import finite_float as _float
from finder._values import tel_href
from finder._values import text as _text
from finder.distance_text import distance_label

_MULTI_SEPARATOR = re.compile(r"\s*[;,]\s*")


def _split(text: str) -> list[str]:
    """The items of a comma or semicolon list (e-mail addresses, language codes of a directory row)."""
    return [item for item in _MULTI_SEPARATOR.split(text.strip()) if item]


def report_url(share_link: str, office_id: str, lang: str) -> str:
    """The "Report a change" page of one office, in the app that ``share_link`` points at.

    Examples
    --------
    >>> report_url("http://localhost:8501/?lang=de&q=Pirna", "mbe-x", "de")
    'http://localhost:8501/report?office=mbe-x&lang=de'
    >>> report_url("https://finder.example/sachsen/?q=1", "a&b", "ar")
    'https://finder.example/sachsen/report?office=a%26b&lang=ar'
    """
    query = urlencode({"office": office_id, "lang": lang}, quote_via=quote)
    return urljoin(share_link, f"report?{query}")


def qr_svg(url: str, *, scale: int = 4, title: str = "") -> str:
    """An inline SVG QR code for ``url`` (error correction M or better), no external references.

    Parameters
    ----------
    url
        The link to encode.
    scale
        Size of one module in pixels.
    title
        Accessible title of the image (escaped).
    """
    code = segno.make(url, error="m", micro=False)
    svg = code.svg_inline(scale=scale, dark="#000", light="#fff")
    label = html.escape(title or url, quote=True)
    # role/aria-label so screen readers announce it; the visible link is always printed beside it.
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)


def qr_png(url: str, *, scale: int = 6) -> bytes:
    """A PNG QR code for ``url`` (for ``st.image``; segno writes PNG without Pillow)."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------------
# One office as plain facts (shared by the result list and the handout)


def _safe_web_url(url: str) -> str:
    """``url`` if it is an http(s) URL with a host, else '' (never a ``javascript:`` link)."""
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else ""


#: The warning a card shows for an office's status (active offices show none).
_STATUS_TEXT: dict[str, str] = {"possibly closed": "office.possibly_closed", "closed": "office.closed_office"}


@dataclass(frozen=True)
class OfficeCard:
    """The facts of one office as plain text and safe links (escape before rendering as HTML).

    ``notes`` are honest remarks (old or missing source, no address, approximate position) in the
    interface language; the data values themselves stay as in the (mostly German) source.
    """

    id: str
    name: str
    provider: str
    kind: str
    kind_label: str
    street: str
    place: str  # "postcode city"
    distance_km: float | None
    distance_text: str  # the distance in words ("in Chemnitz", "about 12 km"; '' without a distance)
    phones: tuple[tuple[str, str], ...]  # (as written, tel: href or '')
    emails: tuple[tuple[str, str], ...]  # (address, mailto: href)
    website: str
    opening_hours: str
    languages: tuple[str, ...]  # names in the interface language
    language_stated: bool
    precision: str  # geocode_precision code ('' = no location)
    precision_text: str
    source_urls: tuple[str, ...]
    source_date: str
    as_of_text: str
    checked_text: str  # "checked <date>" ('' if unknown)
    confirmed_text: str  # "confirmed as still correct <date>" ('' if never)
    stale: bool
    lat: float | None
    lon: float | None
    osm_url: str
    directions_url: str  # OpenStreetMap directions to the office ('' without a street address)
    route_url: str = ""  # a geo: URI for the phone's maps app ('' without a street address)
    notes: tuple[str, ...] = field(default_factory=tuple)
    interpreting: bool = False  # the office says it works with interpreters or language mediators
    interpreting_text: str = ""  # "Interpreters on request" ('' unless interpreting)
    status: str = "active"  # active | possibly closed | closed
    status_text: str = ""  # the warning for a possibly closed or closed office ('' if active)
    hours_state: str = ""  # open | closed | appointment | unknown ('' without an instant)
    hours_text: str = ""  # "Open now, until 12:00", "Closed now · opens tomorrow at 09:00", …
    language_match: str = ""  # stated | not_stated for the requested languages ('' without any)
    match_text: str = ""  # "Counsels in Arabic", "Languages not stated — please ask", … ('' without any)

    @property
    def dates_text(self) -> str:
        """The known dates in one line: "as of … · checked … · confirmed as still correct …"."""
        return " · ".join(x for x in (self.as_of_text, self.checked_text, self.confirmed_text) if x)


#: Positions exact enough to hand to a maps app as coordinates (others: the written address).
_EXACT_PRECISIONS = frozenset({"street", "point"})


def _osm_links(lat: float | None, lon: float | None, precision: str, address: str) -> str:
    """An OpenStreetMap map link the user may choose to follow (the page itself never contacts OSM).

    With only an approximate position the link searches the written address instead.
    """
    if lat is None or lon is None:
        return ""
    if precision not in _EXACT_PRECISIONS and address:
        return f"https://www.openstreetmap.org/search?query={quote(address, safe='')}"
    return f"https://www.openstreetmap.org/?mlat={lat:.5f}&mlon={lon:.5f}#map=16/{lat:.5f}/{lon:.5f}"


def route_links(
    lat: float | None, lon: float | None, precision: str, *, name: str, street: str, place: str
) -> tuple[str, str]:
    """The route to an office: a ``geo:`` URI for the phone's maps app and an OpenStreetMap fallback.

    Only the destination is in them, never the person's place: the maps app starts from where the phone
    is, OpenStreetMap asks for a start. An exact position goes as coordinates with the office's name as the
    label (``geo:lat,lon?q=lat,lon(name)``); an approximate one (a town or postcode point) as the written
    address, searched near that point, since a route to a postcode centre would mislead. Without a
    position or a street address there is no route. Every text is percent-encoded (names may hold ``)``,
    ``&`` or ``<``); escape the links again for HTML.

    Returns
    -------
    tuple[str, str]
        ``(geo URI, OpenStreetMap directions URL)``, or ``("", "")``.

    Examples
    --------
    >>> where = {"street": "Hauptstr. 1", "place": "01067 Dresden"}
    >>> route_links(51.05, 13.74, "street", name="A & B (Dresden)", **where)[0]
    'geo:51.05000,13.74000?q=51.05000%2C13.74000(A%20%26%20B%20%28Dresden%29)'
    >>> geo, osm = route_links(51.05, 13.74, "postcode", name="X", **where)
    >>> geo
    'geo:51.05000,13.74000?q=Hauptstr.%201%2C%2001067%20Dresden'
    >>> osm
    'https://www.openstreetmap.org/directions?to=Hauptstr.%201%2C%2001067%20Dresden'
    >>> route_links(51.05, 13.74, "place", name="X", street="", place="01067 Dresden")
    ('', '')
    """
    if lat is None or lon is None:
        return "", ""
    point = f"{lat:.5f},{lon:.5f}"
    if precision in _EXACT_PRECISIONS:
        geo = f"geo:{point}?q={quote(point, safe='')}({quote(name, safe='')})"
        return geo, f"https://www.openstreetmap.org/directions?route={quote(';' + point, safe='')}"
    if not street:
        return "", ""
    address = quote(", ".join(p for p in (street, place) if p), safe="")
    return f"geo:{point}?q={address}", f"https://www.openstreetmap.org/directions?to={address}"


def hours_line(osm: str, text: str, at: dt.datetime, lang: str) -> tuple[str, str]:
    """What a card says about the opening hours at ``at``: the state and one line in the interface language.

    One of: open now (until …), closed now and when it opens (today, tomorrow, a weekday, or a weekday
    with its date a week or more ahead), by appointment, hours unknown (:func:`finder.hours.open_state`).

    Parameters
    ----------
    osm, text
        The office's ``opening_hours_osm`` and ``opening_hours``.
    at
        The instant (aware, or naive in Europe/Berlin); the caller reads the clock, never this function.
    lang
        Interface language.

    Examples
    --------
    >>> tuesday = dt.datetime(2026, 12, 1, 10, 0)
    >>> hours_line("Mo-Fr 09:00-12:00", "", tuesday, "de")
    ('open', 'Jetzt geöffnet, bis 12:00 Uhr')
    >>> hours_line("Mo 09:00-12:00", "", tuesday, "de")
    ('closed', 'Jetzt geschlossen · öffnet am Montag um 09:00 Uhr')
    >>> hours_line("", "nach Vereinbarung", tuesday, "en")
    ('appointment', 'By appointment')
    """
    state = hours.open_state(osm, text, at)
    t = i18n.t
    local = at.replace(tzinfo=hours.BERLIN) if at.tzinfo is None else at.astimezone(hours.BERLIN)
    if state.state == "open":
        # A closing time is worth saying within the day; "open until 00:00" three weeks ahead is not.
        if state.until is None or state.until - local > dt.timedelta(hours=24):
            return "open", t("office.open_now", lang)
        return "open", t("office.open_until", lang, time=i18n.format_time(state.until, lang))
    if state.state == "closed":
        opens = state.next_change
        if opens is None:
            return "closed", t("office.closed_now", lang)
        days = (opens.date() - local.date()).days
        time = i18n.format_time(opens, lang)
        if days <= 1:
            key = "office.opens_today" if days <= 0 else "office.opens_tomorrow"
            return "closed", t(key, lang, time=time)
        day = i18n.format_day(opens.date(), lang, with_date=days >= 7)
        return "closed", t("office.opens_on", lang, day=day, time=time)
    if state.state == "appointment":
        return "appointment", t("office.by_appointment", lang)
    return "unknown", t("office.hours_unknown", lang)


def language_match_line(
    stated: Sequence[str], interpreting: bool, requested: Sequence[str], lang: str
) -> tuple[str, str]:
    """What a card says about the requested languages: ``language_match`` and one line.

    The office states one of them ("Counsels in Arabic", naming those it states): ``stated``. Otherwise
    ``not_stated`` (the search's :data:`finder.search.NOT_STATED`), and the line says why it may still
    help: it works with interpreters, or it states no language at all; an office that states only other
    languages (shown when chosen on the map) "does not say it counsels in Arabic".

    Examples
    --------
    >>> language_match_line(["de", "ar"], False, ["ar", "fa"], "en")
    ('stated', 'Counsels in Arabic')
    >>> language_match_line([], False, ["ar"], "en")
    ('not_stated', 'Languages not stated — please ask')
    >>> language_match_line(["ru"], True, ["ar"], "de")
    ('not_stated', 'Dolmetscher oder Sprachmittlung auf Anfrage')
    >>> language_match_line(["ar"], False, [], "en")
    ('', '')
    """
    if not requested:
        return "", ""
    t = i18n.t
    spoken = [i18n.language_name(c, lang) for c in requested if c in stated]
    if spoken:
        return "stated", t("office.counsels_in", lang, languages=i18n.format_list(spoken, lang))
    if interpreting:
        return "not_stated", t("office.interpreting", lang)
    if not stated:
        return "not_stated", t("office.languages_unknown", lang)
    names = [i18n.language_name(c, lang) for c in requested]
    return "not_stated", t("office.not_in_language", lang, languages=i18n.format_list(names, lang, "or"))


def office_card(
    row: Mapping[str, Any],
    lang: str,
    *,
    origin_precision: str = "",
    origin_label: str = "",
    today: dt.date | None = None,
    stale_after_days: int = 730,
    at: dt.datetime | None = None,
    requested: Sequence[str] = (),
) -> OfficeCard:
    """The facts of one office (a row of :func:`finder.directory.load_offices` or of a result table).

    Parameters
    ----------
    row
        The office (``dict`` or ``pandas.Series``); ``distance_km`` is used when present.
    lang
        Interface language for labels and notes.
    origin_precision, origin_label
        The search place's ``precision`` and ``label``: the distance is said in words
        (:func:`finder.distance_text.distance_label`, "in your postcode area").
    today
        Reference date for "old source" (default: today).
    stale_after_days
        A source older than this many days is flagged (``settings.stale_after_days``).
    at
        The instant for "open now" (:func:`hours_line`); without it the card says nothing about it.
    requested
        The languages the person asked for (ISO 639-1): the card says whether the office states one of
        them (:func:`language_match_line`); none: it says nothing about it.
    """
    get = row.get
    today = today or dt.date.today()
    kind = _text(get("kind")) or "OTHER"
    street = _text(get("street"))
    place = " ".join(p for p in (_text(get("postcode")), _text(get("city"))) if p)
    lat, lon = _float(get("lat")), _float(get("lon"))
    precision = _text(get("geocode_precision")) if lat is not None and lon is not None else ""
    phones = tuple(
        (p, tel_href(p))
        for p in _MULTI_SEPARATOR.split(_text(get("phone")))
        if p and any(c.isdigit() for c in p)
    )
    emails = tuple((e, f"mailto:{quote(e, safe='@.+-_')}") for e in _split(_text(get("email"))) if "@" in e)
    codes = [c for c in _split(_text(get("languages"))) if c]
    languages = tuple(i18n.language_name(c, lang) for c in codes)
    source_urls = tuple(u for u in (_safe_web_url(s) for s in _text(get("source_url")).split(" | ")) if u)
    source_date = _text(get("source_date"))
    fresh = freshness.freshness_of(row, today=today, stale_after_days=stale_after_days)
    as_of = (
        i18n.t("office.as_of", lang, date=i18n.format_date(source_date, lang))
        if freshness.period_end(source_date) is not None
        else i18n.t("office.undated", lang)
    )
    checked = _text(get("last_checked"))
    checked_text = (
        i18n.t("office.checked", lang, date=i18n.format_date(checked, lang))
        if freshness.period_end(checked) is not None
        else ""
    )
    # The office's own confirmation (verification round) is said as such when it is the newest.
    by_office = _text(get("confirmed_by")) == "office"
    confirmed_key = "office.confirmed_by_office" if by_office else "office.confirmed"
    confirmed_text = (
        i18n.t(confirmed_key, lang, date=i18n.format_date(fresh.confirmed.isoformat(), lang))
        if fresh.confirmed is not None
        else ""
    )
    precision_text = (
        i18n.precision_label(precision, lang) if precision else i18n.t("office.online_only", lang)
    )
    notes: list[str] = []
    if fresh.reason == "no-date":
        notes.append(i18n.t("office.undated_note", lang))
    elif fresh.stale:
        years = i18n.format_number(stale_after_days / 365, lang)
        notes.append(i18n.t("office.outdated", lang, years=years))
    if not street and not place:
        notes.append(i18n.t("office.no_address", lang))
    elif not street:
        notes.append(i18n.t("office.no_street", lang))
    interpreting = _text(get("interpreting")) == "yes"
    status = _text(get("status")) or "active"
    hours_state, hours_text = (
        hours_line(_text(get("opening_hours_osm")), _text(get("opening_hours")), at, lang)
        if at is not None
        else ("", "")
    )
    language_match, match_text = language_match_line(codes, interpreting, requested, lang)
    osm_url = _osm_links(lat, lon, precision, ", ".join(p for p in (street, place) if p))
    route_url, directions_url = route_links(
        lat, lon, precision, name=_text(get("name")), street=street, place=place
    )
    has_distance = "distance_km" in row
    distance_text = (
        distance_label(row, lang, origin_precision=origin_precision, origin_label=origin_label)
        if has_distance
        else ""
    )
    return OfficeCard(
        id=_text(get("id")),
        name=_text(get("name")),
        provider=_text(get("provider")),
        kind=kind,
        kind_label=i18n.kind_label(kind, lang),
        street=street,
        place=place,
        distance_km=_float(get("distance_km")) if has_distance else None,
        distance_text=distance_text,
        phones=phones,
        emails=emails,
        website=_safe_web_url(_text(get("website"))),
        opening_hours=_text(get("opening_hours")),
        languages=languages,
        language_stated=bool(codes),
        precision=precision,
        precision_text=precision_text,
        source_urls=source_urls,
        source_date=source_date,
        as_of_text=as_of,
        checked_text=checked_text,
        confirmed_text=confirmed_text,
        stale=fresh.stale,
        lat=lat,
        lon=lon,
        osm_url=osm_url,
        directions_url=directions_url,
        route_url=route_url,
        notes=tuple(notes),
        interpreting=interpreting,
        interpreting_text=i18n.t("office.interpreting", lang) if interpreting else "",
        status=status,
        status_text=i18n.t(_STATUS_TEXT[status], lang) if status in _STATUS_TEXT else "",
        hours_state=hours_state,
        hours_text=hours_text,
        language_match=language_match,
        match_text=match_text,
    )


_DIGIT_GROUP = re.compile(r"\+?\d+")


def spoken_digits(phone: str) -> str:
    """A phone number as a speech synthesiser should say it: digit by digit, a pause between groups.

    Without the spaces "0351 4963" is read as "three hundred fifty-one …"; letters and notes in the
    field are left out.

    Examples
    --------
    >>> spoken_digits("0351 / 49 63-0")
    '0 3 5 1, 4 9, 6 3, 0'
    >>> spoken_digits("+49 341 12")
    '+4 9, 3 4 1, 1 2'
    """
    return ", ".join(" ".join(group) for group in _DIGIT_GROUP.findall(phone)).replace("+ ", "+")


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?。؟" else f"{text}."


def speech_text(card: OfficeCard, lang: str) -> str:
    """What the card's read-aloud button says, in the interface language (labels) and as published (data).

    Name and kind; what decides whether to go (status, the requested language, open now); distance,
    address, phone numbers digit by digit (:func:`spoken_digits`), languages. Plain text: escape it for an
    HTML attribute.

    Examples
    --------
    >>> card = office_card({"id": "x", "name": "Beratung", "kind": "MBE", "phone": "0351 4963"}, "en")
    >>> speech_text(card, "en")  # doctest: +ELLIPSIS
    'Beratung. ... Phone: 0 3 5 1, 4 9 6 3. ...'
    """
    t = i18n.t
    parts = [card.name, card.kind_label, card.status_text, card.match_text, card.hours_text]
    if card.distance_text:
        parts.append(f"{t('office.distance', lang)}: {card.distance_text}")
    address = ", ".join(p for p in (card.street, card.place) if p)
    parts.append(f"{t('office.address', lang)}: {address or t('office.online_only', lang)}")
    for text, _href in card.phones:
        parts.append(f"{t('office.phone', lang)}: {spoken_digits(text)}")
    languages = ", ".join(card.languages) if card.languages else t("office.languages_unknown", lang)
    parts.append(f"{t('office.languages', lang)}: {languages}")
    return " ".join(_sentence(p) for p in parts if p and p.strip())


# --------------------------------------------------------------------------------------------------
# Static map (inline SVG) and handout


def _bounds(points: Sequence[tuple[float, float]], min_span_km: float) -> tuple[float, float, float, float]:
    """(lat_min, lat_max, lon_min, lon_max) around ``points``, at least ``min_span_km`` wide and high."""
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    lat0, lat1, lon0, lon1 = min(lats), max(lats), min(lons), max(lons)
    mid = (lat0 + lat1) / 2
    min_dlat = min_span_km / 111.0
    min_dlon = min_span_km / (111.0 * max(math.cos(math.radians(mid)), 0.1))
    pad_lat = max((lat1 - lat0) * 0.12, (min_dlat - (lat1 - lat0)) / 2, 0.0)
    pad_lon = max((lon1 - lon0) * 0.12, (min_dlon - (lon1 - lon0)) / 2, 0.0)
    return lat0 - pad_lat, lat1 + pad_lat, lon0 - pad_lon, lon1 + pad_lon


def _label_ranges(labels: list[str]) -> str:
    """Join labels; runs of consecutive numbers become ranges ("1–4, 7")."""
    if not all(label.isdigit() for label in labels):
        return ", ".join(labels)
    numbers = sorted({int(label) for label in labels})
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 2 else ", ".join(map(str, r)) for r in runs)


def _group_points(points: Sequence[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """Merge points at the same spot (many offices share a postcode or town point) into one label."""
    groups: dict[tuple[float, float], list[tuple[float, float, str]]] = {}
    for lat, lon, label in points:
        groups.setdefault((round(lat, 4), round(lon, 4)), []).append((lat, lon, label))
    return [(g[0][0], g[0][1], _label_ranges([p[2] for p in g])) for g in groups.values()]


def static_map_svg(
    districts: Any,
    points: Sequence[tuple[float, float, str]],
    *,
    origin: tuple[float, float] | None = None,
    width: int = 640,
    title: str = "",
    min_span_km: float = 8.0,
) -> str:
    """A small SVG map: district outlines, numbered office points and the person's place.

    Parameters
    ----------
    districts
        GeoDataFrame of the district polygons (EPSG:4326, column ``name``) or None.
    points
        ``(lat, lon, label)`` of each office; the label (e.g. its number in the list) is drawn beside it.
    origin
        The person's place, drawn as a ring.
    width
        Width in pixels; the height follows the area's shape.
    title
        Accessible title (escaped).
    min_span_km
        The view is at least this many km wide and high (so a single point is not a street corner).

    Returns
    -------
    str
        An ``<svg>`` element; all text escaped, no external references.
    """
    located = [(lat, lon) for lat, lon, _ in points]
    if origin is not None:
        located.append(origin)
    if not located:
        return ""
    lat0, lat1, lon0, lon1 = _bounds(located, min_span_km)
    kx = math.cos(math.radians((lat0 + lat1) / 2))
    scale = width / max((lon1 - lon0) * kx, 1e-9)
    height = max(120, min(int((lat1 - lat0) * scale), 2 * width))
    scale = min(scale, height / max(lat1 - lat0, 1e-9))

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return (lon - lon0) * kx * scale, (lat1 - lat) * scale

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{html.escape(title, quote=True)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" class="static-map" '
        f'style="max-width:100%;height:auto;background:#e9eef2;border:1px solid #999">',
        f"<title>{html.escape(title)}</title>",
    ]
    if districts is not None and len(districts):
        box = shapely.box(lon0, lat0, lon1, lat1)
        names = districts["name"] if "name" in districts.columns else [""] * len(districts)
        labels = []
        for name, geometry in zip(names, districts.geometry, strict=True):
            if geometry is None or geometry.is_empty:
                continue
            clipped = geometry.intersection(box)
            if clipped.is_empty:
                continue
            polygons = getattr(clipped, "geoms", [clipped])
            path = []
            for polygon in polygons:
                if polygon.geom_type != "Polygon":
                    continue
                for ring in (polygon.exterior, *polygon.interiors):
                    coords = [xy(lat, lon) for lon, lat in ring.coords]
                    path.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in coords) + "Z")
            if path:
                parts.append(f'<path d="{"".join(path)}" fill="#fbfaf6" stroke="#5a6570" stroke-width="1"/>')
                anchor = clipped.representative_point()
                labels.append((xy(anchor.y, anchor.x), _text(name)))
        for (x, y), name in labels:
            parts.append(
                f'<text x="{x:.1f}" y="{y:.1f}" font-size="11" fill="#5a6570" text-anchor="middle" '
                f'font-family="sans-serif">{html.escape(name)}</text>'
            )
    for lat, lon, label in _group_points(points):
        x, y = xy(lat, lon)
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="#44AA99" stroke="#000" stroke-width="1.5"/>'
        )
        parts.append(
            f'<text x="{x + 8:.1f}" y="{y - 6:.1f}" font-size="13" font-weight="bold" '
            f'font-family="sans-serif" paint-order="stroke" stroke="#fff" stroke-width="3">'
            f"{html.escape(label)}</text>"
        )
    if origin is not None:
        x, y = xy(*origin)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="8" fill="none" stroke="#000" stroke-width="3"/>')
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#000"/>')
    parts.append("</svg>")
    return "".join(parts)


_HANDOUT_CSS = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 1.5em auto; max-width: 46em; color: #000; }
h1 { font-size: 1.5em; margin: 0 0 .2em; } h2 { font-size: 1.15em; margin: 1.2em 0 .4em; }
.office { border: 1px solid #888; border-radius: 4px; padding: .5em .8em; margin: .6em 0;
  break-inside: avoid; }
.office h3 { margin: 0 0 .2em; font-size: 1.05em; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .1em .8em; margin: .3em 0; }
dt { font-weight: bold; } dd { margin: 0; }
.note { font-style: italic; } .muted { color: #444; font-size: .9em; }
.share { display: flex; gap: 1em; align-items: center; break-inside: avoid; }
.share a { word-break: break-all; }
[dir=rtl] dl { direction: rtl; }
bdi, .ltr { unicode-bidi: isolate; }
@media print { a { color: #000; } .noprint { display: none; } body { margin: 0; } }
"""


def _office_html(number: int, card: OfficeCard, lang: str, share_link: str) -> str:
    """One office of the handout as an HTML section (every value escaped)."""
    esc = html.escape
    t = i18n.t
    rows: list[tuple[str, str]] = [(t("find.kind_label", lang), esc(card.kind_label))]
    if card.provider:
        rows.append((t("office.provider", lang), f"<bdi>{esc(card.provider)}</bdi>"))
    address = "<br>".join(f'<bdi dir="ltr">{esc(p)}</bdi>' for p in (card.street, card.place) if p)
    rows.append((t("office.address", lang), address or esc(t("office.online_only", lang))))
    if card.distance_text:
        rows.append((t("office.distance", lang), f"<bdi>{esc(card.distance_text)}</bdi>"))
    if card.phones:
        phones = (
            f'<a href="{esc(href)}" dir="ltr">{esc(text)}</a>'
            if href
            else f'<bdi dir="ltr">{esc(text)}</bdi>'
            for text, href in card.phones
        )
        rows.append((t("office.phone", lang), "<br>".join(phones)))
    if card.emails:
        emails = (f'<a href="{esc(href)}" dir="ltr">{esc(text)}</a>' for text, href in card.emails)
        rows.append((t("office.email", lang), "<br>".join(emails)))
    if card.website:
        link = f'<a href="{esc(card.website)}" dir="ltr">{esc(card.website)}</a>'
        rows.append((t("office.website", lang), link))
    if card.opening_hours:
        rows.append((t("office.opening_hours", lang), f"<bdi>{esc(card.opening_hours)}</bdi>"))
    languages = ", ".join(card.languages) if card.languages else t("office.languages_unknown", lang)
    if card.interpreting_text:
        languages += f" · {card.interpreting_text}"
    rows.append((t("office.languages", lang), esc(languages)))
    source = esc(card.dates_text)
    if card.source_urls:
        links = (f'<a href="{esc(u)}" dir="ltr">{esc(u)}</a>' for u in card.source_urls)
        source += "<br>" + "<br>".join(links)
    rows.append((t("office.source", lang), source))
    # Whoever holds the printout can tell us when something has changed.
    report = report_url(share_link, card.id, lang)
    rows.append((t("report.button", lang), f'<a href="{esc(report)}" dir="ltr">{esc(report)}</a>'))
    body = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in rows)
    # A printout is read later: the status warning goes on it, "open now" does not.
    notes = "".join(
        f'<p class="note">{esc(n)}</p>' for n in (card.status_text, card.precision_text, *card.notes) if n
    )
    return (
        f'<section class="office" data-office-id="{esc(card.id)}">'
        f"<h3>{number}. <bdi>{esc(card.name)}</bdi></h3><dl>{body}</dl>{notes}</section>"
    )


def handout_html(
    place: Any,
    offices: pd.DataFrame,
    url: str,
    lang: str,
    *,
    responsible: pd.DataFrame | None = None,
    districts: Any = None,
    today: dt.date | None = None,
    stale_after_days: int = 730,
) -> str:
    """A self-contained printable page: the chosen offices with full contacts, a map, the link and a QR.

    Print it from the browser (or "save as PDF"); it loads nothing from anywhere.

    Parameters
    ----------
    place
        The person's :class:`finder.core.Place` (or None); its label heads the page.
    offices
        The offices to hand over (result rows, in order; ``distance_km`` used when present).
    url
        The share link (printed and encoded as a QR code).
    lang
        Interface language of the handout.
    responsible
        The district's immigration authority and commissioner (listed in their own section).
    districts
        District polygons for the static map (GeoDataFrame) or None for no outlines.
    today
        Date printed on the handout and used for "old source" notes (default today).
    stale_after_days
        See :func:`office_card`.

    Returns
    -------
    str
        A complete HTML document (UTF-8), every data value escaped, no external resources.
    """
    esc = html.escape
    t = i18n.t
    lang = i18n.resolve_language(lang)
    today = today or dt.date.today()
    origin = (place.lat, place.lon) if place is not None else None
    direction = "rtl" if i18n.is_rtl(lang) else "ltr"
    where = {
        "origin_precision": str(getattr(place, "precision", "") or ""),
        "origin_label": str(getattr(place, "label", "") or ""),
    }

    def cards(frame: pd.DataFrame | None) -> list[OfficeCard]:
        if frame is None or frame.empty:
            return []
        return [
            office_card(row, lang, today=today, stale_after_days=stale_after_days, **where)
            for row in frame.to_dict("records")
        ]

    main = cards(offices)
    main_ids = {c.id for c in main}
    extra = [c for c in cards(responsible) if c.id not in main_ids]
    numbered = list(enumerate(main + extra, start=1))
    points = [(c.lat, c.lon, str(n)) for n, c in numbered if c.lat is not None and c.lon is not None]
    map_svg = static_map_svg(districts, points, origin=origin, title=t("view.map", lang))
    place_text = place.label if place is not None else ""
    # Isolate the (left-to-right) place name inside right-to-left sentences.
    place_iso = f"\u2068{place_text}\u2069" if direction == "rtl" else place_text
    title = t("print.title", lang, place=place_iso) if place_text else t("app.title", lang)
    created = t("print.created", lang, date=i18n.format_date(today, lang))
    parts = [
        f'<!DOCTYPE html><html lang="{esc(lang)}" dir="{direction}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_HANDOUT_CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="muted">{esc(t("app.title", lang))} · {esc(created)}</p>',
    ]
    if map_svg:
        caption = esc(t("print.map_caption", lang))
        parts.append(f'<figure>{map_svg}<figcaption class="muted">{caption}</figcaption></figure>')
    if main:
        heading = t("results.heading", lang, place=place_iso, n=len(main)) if place_text else ""
        if heading:
            parts.append(f"<h2>{esc(heading)}</h2>")
        if any(c.distance_km is not None for c in main):
            parts.append(f'<p class="muted">{esc(t("results.straight_line", lang))}</p>')
        parts.extend(_office_html(n, c, lang, url) for n, c in numbered[: len(main)])
    if extra:
        parts.append(f"<h2>{esc(t('results.responsible_heading', lang))}</h2>")
        parts.extend(_office_html(n, c, lang, url) for n, c in numbered[len(main) :])
    if not main and not extra:
        parts.append(f"<p>{esc(t('results.no_match', lang))}</p>")
    qr = qr_svg(url, title=t("share.qr", lang))
    parts.append(
        f'<h2>{esc(t("share.button", lang))}</h2><div class="share">{qr}'
        f'<p>{esc(t("share.qr_help", lang))}<br><a href="{esc(url)}" dir="ltr">{esc(url)}</a></p></div>'
    )
    for key in ("about.no_advice", "results.german_notice", "about.attribution"):
        parts.append(f'<p class="muted">{esc(t(key, lang))}</p>')
    parts.append("</body></html>")
    return "".join(parts)
