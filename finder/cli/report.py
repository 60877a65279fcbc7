"""``finder report``: how fresh and complete the directory is, per district and kind or per office."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import sys
from pathlib import Path

import pandas as pd

from finder import corrections, freshness
from finder import settings as _settings
from finder.cli._args import settings_of
from finder.cli._output import EXIT_OK, EXIT_USAGE, fail, print_json
from finder.csv_export import safe_frame
from finder.directory import load_offices

#: Output formats of ``finder report``.
REPORT_FORMATS = ("text", "csv", "json")


def _offices(args: argparse.Namespace) -> pd.DataFrame:
    """The directory to report on, with maintainers' confirmations unless ``--no-db``."""
    settings = settings_of(args)
    if args.no_db:
        return load_offices(Path(settings.data_dir) / "offices.csv")
    store = corrections.open_existing_store(args.db)
    try:
        return corrections.load_directory(settings, store)
    finally:
        if store is not None:
            store.dispose()


def text_table(table: pd.DataFrame, max_width: int = 48) -> str:
    """The table for a terminal: text left-aligned and cut at ``max_width`` (CSV and JSON keep it whole).

    Examples
    --------
    >>> table = pd.DataFrame({"id": ["a", "b"], "name": ["Short", "A rather long name"]})
    >>> [line.rstrip() for line in text_table(table, max_width=10).splitlines()]
    ['id name', 'a  Short', 'b  A rather …']
    """

    def cell(value: object, width: int) -> str:
        text = "" if pd.isna(value) else str(value)
        return (text if len(text) <= width else text[: width - 1] + "…").ljust(width)

    table = table.copy()
    formatters = {}
    for column in table.columns:
        if pd.api.types.is_string_dtype(table[column]) or table[column].dtype == object:
            width = min(max_width, max([len(str(column)), *(len(str(v)) for v in table[column])]))
            formatters[column] = lambda value, width=width: cell(value, width)
        elif table[column].hasnans:  # e.g. the age of an undated entry: blank, not "<NA>"
            table[column] = [str(v) if pd.notna(v) else "" for v in table[column]]
    return table.to_string(index=False, formatters=formatters, justify="left")


def cmd_report(args: argparse.Namespace) -> int:
    """Print the per-district report (or with ``--offices`` the work list) as text, CSV or JSON."""
    try:
        today = dt.date.fromisoformat(args.today) if args.today else dt.date.today()
    except ValueError:
        return fail(args, f"--today must be YYYY-MM-DD, not {args.today!r}", EXIT_USAGE)
    offices = _offices(args)
    limit = args.stale_after if args.stale_after is not None else _settings.load().stale_after_days
    if args.offices:
        table = freshness.work_list(offices, today=today, stale_after_days=limit)
    else:
        table = freshness.report(offices, today=today, stale_after_days=limit)
    from finder.outreach.plan import round_coverage  # noqa: PLC0415

    # The verification round's reach: offices that confirmed or corrected their entry within 12 months.
    reach = round_coverage(offices, today=today)
    if args.format == "json":
        records = json.loads(table.to_json(orient="records", force_ascii=False))
        print_json(
            {"today": today.isoformat(), "stale_after_days": limit, "rows": records, "outreach": reach}
        )
    elif args.format == "csv":
        out = io.StringIO()
        # A work list is opened in a spreadsheet: no cell may run as a formula there.
        safe_frame(table).to_csv(out, index=False, lineterminator="\n")
        sys.stdout.write(out.getvalue())
    else:
        what = "offices, most in need of a check first" if args.offices else "freshness and completeness"
        sys.stdout.write(f"Directory {what} (as of {today}, stale after {limit} days):\n")
        sys.stdout.write(text_table(table) + "\n")
        sys.stdout.write(
            f"Verification round: {reach['confirmed_by_office_12m']} of {reach['offices']} offices confirmed "
            f"or corrected their own entry in the last 12 months; {reach['confirmed_12m']} confirmed by "
            f"anybody; {reach['languages_stated']} state their languages.\n"
        )
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``finder report``."""
    p = sub.add_parser("report", help="freshness and completeness of the directory per district and kind")
    p.add_argument("--format", choices=REPORT_FORMATS, default="text")
    p.add_argument("--offices", action="store_true", help="list single offices (the work list) instead")
    p.add_argument(
        "--stale-after", type=int, metavar="DAYS", help="age limit (default FINDER_STALE_AFTER_DAYS)"
    )
    p.add_argument("--today", help="reference date YYYY-MM-DD (default today)")
    p.add_argument("--data-dir")
    p.add_argument("--db", help="corrections database (for maintainers' confirmations)")
    p.add_argument("--no-db", action="store_true", help="ignore the corrections database")
    p.set_defaults(func=cmd_report)
