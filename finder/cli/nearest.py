"""``finder nearest``: the nearest matching offices, the responsible ones and statewide services.

With a language filter the answer also names the nearest office that states the language
(``nearest_stated``, when none of the listed ones does) and the statewide/online services that state it
(``online_in_language``). Every office says whether it is open at the instant (``--at-time``, default now in
Europe/Berlin) as far as its structured hours tell.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
from typing import Any

from finder import hours
from finder.cli import _args
from finder.cli._args import settings_of
from finder.cli._output import print_json
from finder.cli.locate import place_from_text
from finder.core import Finder
from finder.distance_text import distance_label
from finder.vocab import KINDS, OPEN_FILTERS, TOPICS

#: Fields of each office in ``finder nearest --json`` (the command-line contract). ``opening_hours`` is the
#: structured (OpenStreetMap) value, ``opening_hours_text`` the text as published.
RESULT_FIELDS = (
    "id", "name", "kind", "provider", "district", "distance_km", "same_place", "distance_precision_km",
    "lat", "lon", "precision", "languages",
    "language_stated", "topics", "street", "postcode", "city", "phone", "email", "website",
    "language_match", "interpreting", "status", "opening_hours", "opening_hours_text", "open_state",
    "next_change",
)  # fmt: skip
#: Top-level keys of ``finder nearest --json``.
TOP_LEVEL = ("origin", "at", "results", "nearest_stated", "online_in_language", "responsible", "statewide")


def _blank_to_none(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return None
    return None if value == "" else value


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat(timespec="minutes") if moment is not None else None


def office_json(row: dict[str, Any], at: dt.datetime) -> dict[str, Any]:
    """One office as a JSON object of the command-line contract, its opening state at ``at``."""
    text, osm = str(row.get("opening_hours") or ""), str(row.get("opening_hours_osm") or "")
    state = hours.open_state(osm, text, at)
    computed: dict[str, Any] = {
        "language_match": row.get("language_match") or None,
        "interpreting": str(row.get("interpreting") or "") or None,
        "status": str(row.get("status") or "") or "active",
        "opening_hours": osm if osm and hours.check_osm(osm) is None else None,
        "opening_hours_text": text or None,
        "open_state": state.state,
        "next_change": _iso(state.next_change),
    }
    out = {}
    for key in RESULT_FIELDS:
        if key in computed:
            out[key] = computed[key]
            continue
        if key == "precision":
            value = row.get("geocode_precision", "")
        elif key in ("languages", "topics"):
            value = [v for v in str(row.get(key, "")).split(";") if v]
        elif key == "language_stated":
            value = bool(str(row.get("languages", "")))
        elif key == "same_place":
            raw = row.get(key)
            value = None if raw is None or (isinstance(raw, float) and math.isnan(raw)) else bool(raw)
        elif key in ("lat", "lon", "distance_km", "distance_precision_km"):
            raw = row.get(key)
            value = None if raw in (None, "") or math.isnan(float(raw)) else round(float(raw), 6)
        else:
            value = _blank_to_none(row.get(key, ""))
        out[key] = value
    return out


def _filters(args: argparse.Namespace, at: dt.datetime) -> dict[str, Any]:
    return {
        "topics": tuple(args.topic or ()),
        "languages": tuple(args.language or ()),
        "kinds": tuple(args.kind or ()),
        "age": args.age,
        "limit": args.limit,
        "radius_km": args.radius,
        "open": args.open,
        "at": at,
    }


def _state_text(office: dict[str, Any]) -> str:
    """A short English note on an office for the text output: status, opening state, language."""
    notes = []
    if office["status"] != "active":
        notes.append(office["status"].upper())
    until = office["next_change"]
    if office["open_state"] == "open":
        notes.append(f"open now until {until[11:16]}" if until else "open now")
    elif office["open_state"] == "closed" and until:
        notes.append(f"opens {until[:16].replace('T', ' ')}")
    elif office["open_state"] == "appointment":
        notes.append("by appointment")
    if office["interpreting"] == "yes":
        notes.append("interpreters on request")
    return f" [{'; '.join(notes)}]" if notes else ""


def cmd_nearest(args: argparse.Namespace) -> int:
    """Print the nearest matching offices, the responsible ones and statewide services."""
    finder = Finder(settings_of(args))
    place, code = place_from_text(finder.locator, args, args.at)
    if place is None:
        return code
    at = args.at_time or finder.settings.instant()
    filters = _filters(args, at)
    results = finder.nearest(place, **filters)
    stated = finder.nearest_stated(place, **filters)
    responsible = finder.responsible(place)
    statewide = finder.statewide(**filters)
    online = finder.online_in_language(**filters)

    def listed(table: Any) -> list[dict[str, Any]]:
        return [office_json(r, at) for r in table.to_dict("records")]

    nearest_stated = listed(stated)[0] if len(stated) else None
    if args.json:
        print_json(
            {
                "origin": place.to_json(),
                "at": _iso(at),
                "results": listed(results),
                "nearest_stated": nearest_stated,
                "online_in_language": listed(online),
                "responsible": listed(responsible),
                "statewide": listed(statewide),
            }
        )
        return 0
    out = sys.stdout
    # Distances in words, as the app says them: no "0.0 km" between two town or postcode points.
    where = {"origin_precision": place.precision, "origin_label": place.label}
    out.write(f"Near {place.label} ({place.district or 'outside Saxony'}), straight-line distance:\n")
    for r, office in zip(results.to_dict("records"), listed(results), strict=True):
        lang = r["languages"].replace(";", ", ") if r["languages"] else "languages not stated"
        out.write(
            f"  {distance_label(r, 'en', **where):>21}  {r['name']} [{r['kind']}] — {r['city']} ({lang})"
            f"{_state_text(office)}\n"
        )
    if nearest_stated is not None:
        distance = distance_label(stated.iloc[0], "en", **where)
        out.write(
            f"Nearest office that states {', '.join(filters['languages'])}: {nearest_stated['name']} — "
            f"{nearest_stated['city'] or ''} ({distance})\n"
        )
    if responsible.size:
        out.write("Responsible for this district:\n")
        for r in responsible.to_dict("records"):
            out.write(f"  {r['name']} [{r['kind']}] — {r['city']}\n")
    if statewide.size:
        out.write("Statewide / online:\n")
        for r in statewide.to_dict("records"):
            out.write(f"  {r['name']} [{r['kind']}] {r['website']}\n")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``nearest``."""
    p = sub.add_parser("nearest", help="nearest matching offices to a place or 'LAT,LON'")
    p.add_argument("--at", required=True, help="a town, postcode, address or 'LAT,LON'")
    p.add_argument("--topic", action="append", choices=TOPICS)
    p.add_argument("--language", action="append", type=_args.language, help="ISO 639-1 code, e.g. ar")
    p.add_argument("--kind", action="append", choices=KINDS)
    p.add_argument("--age", type=_args.age)
    p.add_argument("--limit", type=_args.limit, default=10)
    p.add_argument(
        "--radius",
        type=_args.radius,
        help="only offices within this many km",
    )
    p.add_argument("--open", choices=OPEN_FILTERS, help="only offices open now, or open at some time today")
    p.add_argument(
        "--at-time",
        type=_args.at_time,
        metavar="YYYY-MM-DDTHH:MM",
        help="the moment for --open and the opening state, Europe/Berlin (default: now)",
    )
    p.add_argument("--json", action="store_true")
    p.add_argument("--data-dir")
    p.set_defaults(func=cmd_nearest)
