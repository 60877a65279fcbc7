"""Sharing what the Find page shows: a QR code of the link and the facts of an office.

The link itself (the page state in the URL) is :mod:`finder.urlstate`'s and the printable page is
:mod:`finder.handout`'s; everything here is pure (no Streamlit) as well.

:func:`office_card` turns one directory row into the plain-text facts the result list and the handout
show (distance in words, contacts, languages, placement precision, source age, route links);
:func:`speech_text` is what the card's read-aloud button says; :func:`qr_svg` / :func:`qr_png` encode
the link and :func:`report_url` is the "Report a change" page of one office.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urljoin, urlsplit

import segno

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
