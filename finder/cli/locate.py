"""``finder locate``: where is a place (offline by default; no directory, no pandas: it starts fast)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from finder import rules
from finder.cli._args import settings_of
from finder.cli._output import EXIT_USAGE, fail, print_json
from finder.errors import LocateError
from finder.places import Locator, Place


def place_from_text(locator: Any, args: argparse.Namespace, text: str) -> tuple[Place | None, int]:
    """The place for ``text`` ("LAT,LON" or a name), or None and the exit code after printing why.

    Coordinates out of range are a usage error (exit 2), not a place to look up as a name.
    """
    pair = rules.match_latlon(text)
    try:
        if pair is not None:
            if not rules.valid_latlon(*pair):
                return None, fail(
                    args, f"coordinates out of range: {text.strip()!r} (lat -90…90, lon -180…180)", EXIT_USAGE
                )
            return locator.place_at(*pair), 0
        return locator.locate(text), 0
    except LocateError as exc:
        return None, fail(args, str(exc))


def cmd_locate(args: argparse.Namespace) -> int:
    """Geocode a text; print the place (or an error) as JSON or one line."""
    place, code = place_from_text(Locator(settings_of(args)), args, args.text)
    if place is None:
        return code
    if args.json:
        print_json(place.to_json())
    else:
        where = place.district or "outside Saxony"
        sys.stdout.write(f"{place.label}: {place.lat:.5f}, {place.lon:.5f} ({where}; {place.precision})\n")
        for alt in place.alternatives:
            sys.stdout.write(f"  or {alt.label}: {alt.lat:.5f}, {alt.lon:.5f}\n")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``locate``."""
    p = sub.add_parser("locate", help="geocode a town, postcode or address (offline by default)")
    p.add_argument("text")
    p.add_argument("--json", action="store_true")
    p.add_argument("--data-dir")
    p.set_defaults(func=cmd_locate)
