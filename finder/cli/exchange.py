"""``finder export`` and ``finder import``: the directory as HSDS 3, CSV, GeoJSON or GeoPackage, and back."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from finder import corrections, csv_export, gis_export, hsds
from finder.cli._args import settings_of
from finder.cli._output import EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, fail, print_json
from finder.errors import HsdsError
from finder.import_plan import apply_import, load_import, plan_import
from finder.rules import escape_controls

#: Formats of ``finder export``: HSDS writes a folder, CSV and the GIS formats one file.
EXPORT_FORMATS = ("hsds", "csv", *gis_export.FORMATS)
#: How many change numbers ``finder import`` prints.
_SHOWN_IDS = 10


def cmd_export(args: argparse.Namespace) -> int:
    """Write the directory (with database edits, if that is the target) and print what was written."""
    settings = settings_of(args)
    header, rows = corrections.current_rows(settings)
    output = Path(args.output)
    summary: dict[str, Any] = {"format": args.format, "offices": len(rows)}
    if args.format == "hsds":
        summary["written"] = [str(p) for p in hsds.export_hsds(rows, output)]
    elif args.format == "csv":
        directory = Path(settings.data_dir) / "offices.csv"
        target = output / "offices.csv" if output.is_dir() else output
        if target.resolve() == directory.resolve():
            # Edits go through the change history; an export must not silently replace the directory.
            return fail(args, f"{target} is the directory itself; export to another file", EXIT_USAGE)
        summary["written"] = [str(csv_export.write_directory_csv(header, rows, output))]
    else:
        path, count = gis_export.export(rows, output, args.format)
        summary.update(written=[str(path)], features=count, without_location=len(rows) - count)
    print_json(summary)
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    """Show what an import would change; unless ``--dry-run``, apply it (recorded and revertible)."""
    try:
        source = load_import(args.path)
    except HsdsError as exc:
        return fail(args, escape_controls(str(exc)), EXIT_NOT_FOUND)
    settings = settings_of(args)
    store = None if args.dry_run else corrections.CorrectionStore(args.db)
    header, current = corrections.current_rows(settings, store)
    plan = plan_import(source.rows, header, current, source.origins)
    if args.json:
        print_json({"dry_run": args.dry_run, **plan.to_json()})
    else:
        for line in plan.lines():
            sys.stdout.write(line + "\n")
    if plan.problems:
        sys.stderr.write("nothing was changed: the result would not be a valid directory\n")
        return EXIT_NOT_FOUND
    if args.dry_run or plan.empty:
        if not args.json:
            sys.stderr.write("dry run: nothing was changed\n" if args.dry_run else "nothing to change\n")
        return EXIT_OK
    assert store is not None
    editor = corrections.DirectoryEditor(store, Path(settings.data_dir) / "offices.csv")
    by = args.by or getpass.getuser()
    changes = apply_import(plan, editor, by=by, reason=args.reason or f"import of {Path(args.path).name}")
    if not args.json:
        # A large import records thousands of changes: name the first few only.
        ids = ", ".join(f"#{c.id}" for c in changes[:_SHOWN_IDS])
        if len(changes) > _SHOWN_IDS:
            ids += f" and {len(changes) - _SHOWN_IDS} more (finder review history)"
        sys.stderr.write(
            f"applied: {len(changes)} office(s) changed (revert with finder review revert; {ids})\n"
        )
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``finder export`` (HSDS, CSV, GeoJSON, GeoPackage) and ``finder import``."""
    p = sub.add_parser("export", help="write the directory as HSDS 3 JSON, CSV, GeoJSON or GeoPackage")
    p.add_argument("--format", choices=EXPORT_FORMATS, required=True)
    p.add_argument("--output", required=True, help="a folder (hsds) or a file (csv, geojson, gpkg)")
    p.add_argument("--data-dir")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import", help="import an HSDS export folder or an offices CSV (shows changes first)")
    p.add_argument(
        "path", help="a folder written by 'finder export --format hsds', its services.json, or a CSV"
    )
    p.add_argument("--dry-run", action="store_true", help="only print what would change")
    p.add_argument("--by", help="your name for the history (default: the login name)")
    p.add_argument("--reason", help="why (recorded with each change)")
    p.add_argument("--db", help="corrections database (for the change history)")
    p.add_argument("--data-dir")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_import)
