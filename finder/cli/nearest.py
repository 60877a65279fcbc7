"""``finder nearest``: the nearest matching offices, the responsible ones and statewide services."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from finder.cli import _args
from finder.cli._output import print_json
from finder.cli.locate import place_from_text, settings_of
from finder.core import Finder
from finder.vocab import KINDS, TOPICS

#: Fields of each office in ``finder nearest --json`` (the command-line contract).
RESULT_FIELDS = (
    "id", "name", "kind", "provider", "district", "distance_km", "lat", "lon", "precision", "languages",
    "language_stated", "topics", "street", "postcode", "city", "phone", "email", "website",
)  # fmt: skip


def _blank_to_none(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return None
    return None if value == "" else value


def office_json(row: dict[str, Any]) -> dict[str, Any]:
    """One office as a JSON object of the command-line contract."""
    out = {}
    for key in RESULT_FIELDS:
        if key == "precision":
            value = row.get("geocode_precision", "")
        elif key in ("languages", "topics"):
            value = [v for v in str(row.get(key, "")).split(";") if v]
        elif key == "language_stated":
            value = bool(str(row.get("languages", "")))
        elif key in ("lat", "lon", "distance_km"):
            raw = row.get(key)
            value = None if raw in (None, "") or math.isnan(float(raw)) else round(float(raw), 6)
        else:
            value = _blank_to_none(row.get(key, ""))
        out[key] = value
    return out


def cmd_nearest(args: argparse.Namespace) -> int:
    """Print the nearest matching offices, the responsible ones and statewide services."""
    finder = Finder(settings_of(args))
    place, code = place_from_text(finder.locator, args, args.at)
    if place is None:
        return code
    filters = {
        "topics": tuple(args.topic or ()),
        "languages": tuple(args.language or ()),
        "kinds": tuple(args.kind or ()),
        "age": args.age,
        "limit": args.limit,
        "radius_km": args.radius,
    }
    results = finder.nearest(place, **filters)
    filters.pop("limit")
    filters.pop("radius_km")
    responsible = finder.responsible(place)
    statewide = finder.statewide(**filters)
    if args.json:
        print_json(
            {
                "origin": place.to_json(),
                "results": [office_json(r) for r in results.to_dict("records")],
                "responsible": [office_json(r) for r in responsible.to_dict("records")],
                "statewide": [office_json(r) for r in statewide.to_dict("records")],
            }
        )
        return 0
    out = sys.stdout
    out.write(f"Near {place.label} ({place.district or 'outside Saxony'}), straight-line distance:\n")
    for r in results.to_dict("records"):
        lang = r["languages"].replace(";", ", ") if r["languages"] else "languages not stated"
        out.write(f"  {r['distance_km']:6.1f} km  {r['name']} [{r['kind']}] — {r['city']} ({lang})\n")
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
    p.add_argument("--json", action="store_true")
    p.add_argument("--data-dir")
    p.set_defaults(func=cmd_nearest)
