"""``finder validate``: check a directory file, one ``PATH:LINE: FIELD: problem`` line per problem."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from finder import settings as _settings
from finder.directory import validate_file


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate a directory CSV: exit 0 if valid, else one ``PATH:LINE: FIELD: problem`` line each."""
    path = Path(args.path) if args.path else _settings.load().data_dir / "offices.csv"
    problems = validate_file(path)
    for problem in problems:
        sys.stdout.write(f"{problem}\n")
    if not problems:
        sys.stderr.write(f"{path}: valid\n")
    return 1 if problems else 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``validate``."""
    p = sub.add_parser("validate", help="check a directory CSV (default data/offices.csv)")
    p.add_argument("path", nargs="?")
    p.set_defaults(func=cmd_validate)
