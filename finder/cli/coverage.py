"""``finder coverage``: where help is out of reach (district table, population gaps, E2SFCA, GIS layers)."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any, TextIO

from finder.cli import _args
from finder.cli._output import EXIT_OK, EXIT_USAGE, fail, print_json
from finder.core import Finder
from finder.coverage import (
    ATTRIBUTION,
    DEFAULT_CELL_M,
    DEFAULT_GAP_THRESHOLD_KM,
    DEFAULT_THRESHOLDS_KM,
    DISTANCE_LABEL,
    Coverage,
    CoverageReport,
    distance_surface,
    saxony_grid,
    threshold_key,
)
from finder.coverage.export import FORMATS, write_layers
from finder.errors import CoverageError
from finder.vocab import KINDS, TOPICS


def _format_value(value: Any, pattern: str = "{:.1f}") -> str:
    """``value`` formatted with ``pattern``; a dash for a missing or infinite one."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return pattern.format(value)


def print_text(report: CoverageReport, out: TextIO) -> None:
    """The report as a text table for a terminal: districts, Saxony's shares, gap places, what-if, notes."""
    unit = report.unit
    out.write(f"Coverage for {report.filter.describe()} — {report.cost_label}\n")
    shares = report.share_columns()
    head = f"{'district':34} {'offices':>7} {'/100k':>6} {'/10k fgn':>8} " + " ".join(
        f"{'>' + threshold_key(t, unit):>7}" for t in report.thresholds
    )
    out.write(head + f" {'E2SFCA':>7}\n")
    for r in report.districts.to_dict("records"):
        line = (
            f"{r['district'][:34]:34} {r['offices']:>7} {_format_value(r['offices_per_100k'], '{:6.2f}'):>6} "
            f"{_format_value(r['offices_per_10k_foreign'], '{:8.2f}'):>8} "
        )
        line += " ".join(
            f"{_format_value(r[c] * 100 if r[c] == r[c] else None, '{:6.1f}%'):>7}" for c in shares
        )
        out.write(line + f" {_format_value(r['e2sfca_per_100k'], '{:7.2f}'):>7}\n")
    s = report.summary
    out.write(
        "Saxony: "
        + ", ".join(f"{(v or 0) * 100:.1f} % of residents beyond {k}" for k, v in s["share_beyond"].items())
        + "\n"
    )
    if len(report.gap_places):
        t = f"{report.gap_threshold:g} {unit}"
        out.write(f"Where a new office would help most (places now beyond {t} of a matching office):\n")
        for r in report.gap_places.to_dict("records"):
            rank = f"{r['pick']:>3}." if r["pick"] else "    "
            out.write(
                f"{rank} {r['name']} ({r['district']}): {r['distance']:.1f} {unit} to {r['nearest_office']}; "
                f"an office here reaches {r['gain_residents']:,.0f} residents now beyond {t}"
                + (
                    f", {r['added_residents']:,.0f} of them not reached by the places above\n"
                    if r["pick"]
                    else "\n"
                )
            )
    if report.baseline is not None:
        b = report.baseline.summary["share_beyond"]
        out.write("What-if change: ")
        out.write(
            ", ".join(
                f"beyond {k}: {(b[k] or 0) * 100:.1f} % → {(v or 0) * 100:.1f} %"
                for k, v in s["share_beyond"].items()
            )
            + "\n"
        )
    for note in report.notes:
        out.write(f"Note: {note}\n")
    out.write(f"Data: {ATTRIBUTION}\n")


def cmd_coverage(args: argparse.Namespace) -> int:
    """Print the district table and gap figures, or write layers for QGIS."""
    if args.format and not args.output:
        return fail(
            args, "--format needs --output PATH (a .gpkg file, or a folder for geojson/csv).", EXIT_USAGE
        )
    settings = _args.settings_of(args)
    thresholds = tuple(args.thresholds_km) if args.thresholds_km else DEFAULT_THRESHOLDS_KM
    try:
        cov = Coverage(Finder(settings))
        report = cov.report(
            args.topic or (),
            args.language or (),
            args.kind or (),
            args.age,
            include_unstated_languages=args.include_unstated_languages,
            what_if=args.what_if or (),
            thresholds=thresholds,
            gap_threshold=args.threshold_km,
            gap_limit=args.limit,
        )
        written: list[Path] = []
        if args.output:
            surface = distance_surface(saxony_grid(args.cell_m, cov.data_dir), report.supply, cov.cost)
            written = write_layers(
                report, surface, Path(args.output), args.format or "gpkg", cov.districts_geo()
            )
    except CoverageError as exc:
        return fail(args, str(exc))
    if args.json:
        data = report.to_json()
        if written:
            data["written"] = [str(p) for p in written]
        print_json(data)
    else:
        print_text(report, sys.stdout)
        for path in written:
            sys.stdout.write(f"wrote {path}\n")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``coverage`` sub-command."""
    p = sub.add_parser(
        "coverage",
        help="where help is out of reach: district table, population gaps, E2SFCA, layers for QGIS",
        description=f"Coverage of Saxony by matching offices ({DISTANCE_LABEL}).",
    )
    p.add_argument("--topic", action="append", choices=TOPICS)
    p.add_argument(
        "--language",
        action="append",
        type=_args.language,
        help="ISO 639-1 code, e.g. ar (offices stating it)",
    )
    p.add_argument(
        "--include-unstated-languages", action="store_true", help="also count offices stating no language"
    )
    p.add_argument("--kind", action="append", choices=KINDS)
    p.add_argument("--age", type=_args.age)
    p.add_argument(
        "--what-if", action="append", metavar="PLACE|LAT,LON", help="add a hypothetical office (repeatable)"
    )
    p.add_argument(
        "--threshold-km",
        type=_args.positive,
        default=DEFAULT_GAP_THRESHOLD_KM,
        help="distance for the gap places (km)",
    )
    default_shares = ", ".join(f"{t:g}" for t in DEFAULT_THRESHOLDS_KM)
    p.add_argument(
        "--share-threshold-km", dest="thresholds_km", type=_args.positive, action="append",
        help=f"thresholds of the residents' shares (km, repeatable; default {default_shares})",
    )  # fmt: skip
    p.add_argument("--limit", type=_args.count, default=20, help="number of gap places listed")
    p.add_argument("--json", action="store_true")
    p.add_argument("--format", choices=FORMATS, help="write layers (needs --output)")
    p.add_argument("--output", help="a .gpkg file, or a folder for geojson/csv (default format: gpkg)")
    p.add_argument(
        "--cell-m",
        type=_args.positive,
        default=DEFAULT_CELL_M,
        help="grid cell size in metres for the grid layer",
    )
    p.add_argument("--data-dir")
    p.set_defaults(func=cmd_coverage)
