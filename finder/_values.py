"""Reading cell values of the directory table safely: text, finite numbers, phone links.

Shared by the map popups and the result cards/handout, so that both show an office the same way.
"""

from __future__ import annotations

import math
import re

import pandas as pd


def text(value: object) -> str:
    """Return ``value`` as stripped text; missing values (None, NaN, pd.NA) become ``""``."""
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass  # list-like values: not missing
    return str(value).strip()


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
