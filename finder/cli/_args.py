"""Argument types shared by the commands, each a :mod:`finder.rules` check.

The command line thereby refuses what the pages refuse (out of range, non-ASCII digits, unknown codes),
with exit 2 and a message naming the option.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from finder import rules
from finder import settings as _settings


def settings_of(args: argparse.Namespace) -> _settings.Settings:
    """The settings from the environment, with the command's ``--data-dir`` if it has one and it is given."""
    settings = _settings.load()
    data_dir = getattr(args, "data_dir", None)
    return settings.with_(data_dir=Path(data_dir)) if data_dir else settings


def checked(parse: Callable[[str], Any], what: str) -> Callable[[str], Any]:
    """An argparse ``type`` from a :mod:`finder.rules` parser (None = invalid → exit 2 naming ``what``)."""

    def convert(text: str) -> Any:
        value = parse(text)
        if value is None:
            msg = f"{text!r} is not {what}"
            raise argparse.ArgumentTypeError(msg)
        return value

    return convert


def _language_code(text: str) -> str | None:
    code = text.strip().lower()
    return code if rules.is_language_code(code) else None


age = checked(lambda t: rules.parse_int(t, 0, rules.MAX_AGE), f"an age (0–{rules.MAX_AGE})")
limit = checked(lambda t: rules.parse_int(t, 1, rules.MAX_LIMIT), f"a limit (1–{rules.MAX_LIMIT})")
count = checked(lambda t: rules.parse_int(t, 0, 999_999_999), "a whole number (0 or more)")
positive = checked(lambda t: rules.parse_decimal(t, 0, math.inf, low_inclusive=False), "a number above 0")
radius = checked(
    lambda t: rules.parse_decimal(t, 0, rules.MAX_RADIUS_KM, low_inclusive=False),
    f"a radius in km (above 0, at most {rules.MAX_RADIUS_KM:g})",
)
language = checked(_language_code, "an ISO 639-1 language code (e.g. ar, fa, uk)")
at_time = checked(
    rules.parse_local_minute,
    "a local time YYYY-MM-DDTHH:MM (Europe/Berlin), e.g. 2026-11-30T09:30",
)
