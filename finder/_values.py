"""Reading cell values of the directory table safely: text, finite numbers, contact lists, phone links.

Shared by the map popups, the result cards/handout and the exports, so that all of them read an office the
same way. Two text contracts, for two uses: :func:`text` for showing a value (stripped), and
:func:`cell_text` for writing it out again exactly as ``offices.csv`` has it (an export followed by an
import must change nothing).
"""

from __future__ import annotations

import math
import re

import pandas as pd

# A phone or e-mail cell may list several, separated by ";" or "," (as the directory validator allows).
_CONTACT_SEPARATOR = re.compile(r"[;,]")


def is_missing(value: object) -> bool:
    """Whether a cell value is missing: None, NaN, ``pd.NA`` or ``NaT`` (a list is never missing).

    Examples
    --------
    >>> is_missing(None), is_missing(float("nan")), is_missing(pd.NA), is_missing(""), is_missing([None])
    (True, True, True, False, False)
    """
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def text(value: object) -> str:
    """Return ``value`` as stripped text for showing it; missing values (None, NaN, pd.NA) become ``""``."""
    return "" if is_missing(value) else str(value).strip()


def cell_text(value: object) -> str:
    """Return ``value`` as ``offices.csv`` writes it: not stripped, missing → ``""``, lists ``;``-joined.

    Examples
    --------
    >>> cell_text(" Am Markt 1"), cell_text(51.05), cell_text(float("nan")), cell_text(["de", "ar"])
    (' Am Markt 1', '51.05', '', 'de;ar')
    """
    if isinstance(value, list | tuple):
        return ";".join(str(item) for item in value)
    return "" if is_missing(value) else str(value)


def contact_items(value: object) -> list[str]:
    """The phone numbers or e-mail addresses of a cell (separated by ``;`` or ``,``), stripped, no blanks.

    Examples
    --------
    >>> contact_items("0351 1; 0351 2,0351 3"), contact_items(None)
    (['0351 1', '0351 2', '0351 3'], [])
    """
    return [item.strip() for item in _CONTACT_SEPARATOR.split(cell_text(value)) if item.strip()]


def finite_float(value: object) -> float | None:
    """Return ``value`` as a finite float, or None."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def tel_href(phone: str) -> str:
    """A ``tel:`` URI for a German phone number as written ('' if it has too few digits).

    National numbers get the +49 prefix so that the link also works from a foreign SIM card.

    Examples
    --------
    >>> tel_href("0351 123 45-6")
    'tel:+49351123456'
    """
    digits = re.sub(r"[^\d+]", "", phone)
    if digits.startswith("+"):
        digits = "+" + digits[1:].replace("+", "")
    elif digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        digits = "+49" + digits[1:]
    return f"tel:{digits}" if len(digits.lstrip("+")) >= 3 else ""
