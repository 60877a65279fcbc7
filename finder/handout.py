"""The printable handout: the chosen offices with full contacts, a static map, the link and its QR code.

:func:`handout_html` renders a self-contained page (print it or "save as PDF" from the browser) with
every data value escaped; :func:`static_map_svg` draws its map as inline SVG from our own district
outlines (no external image, no request). The facts of each office are :func:`finder.share.office_card`'s,
the QR code and the per-office "Report a change" link :mod:`finder.share`'s as well. Pure (no Streamlit).
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
import shapely

from finder import i18n
from finder._values import text as _text
from finder.share import OfficeCard, office_card, qr_svg, report_url

# --------------------------------------------------------------------------------------------------
# Static map (inline SVG)


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


# --------------------------------------------------------------------------------------------------
# The handout page

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
        See :func:`finder.share.office_card`.

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
