"""Languages typed as names ("Arabisch, Farsi") read as ISO 639-1 codes."""

from __future__ import annotations

import re

from babel import Locale

__all__ = ["parse_languages"]

# Names people use that CLDR spells differently (or files under a macro-language).
_LANGUAGE_ALIASES = {"farsi": "fa", "dari": "fa", "kurmanji": "ku", "sorani": "ku", "tigrinya": "ti"}


def _language_names() -> dict[str, str]:
    names: dict[str, str] = dict(_LANGUAGE_ALIASES)
    for locale in ("en", "de"):
        for code, name in Locale(locale).languages.items():
            if len(code) == 2 and code.isalpha() and code.isascii():
                names.setdefault(name.casefold(), code)
                names.setdefault(code, code)
    return names


def parse_languages(text: str) -> tuple[list[str], list[str]]:
    """Read languages typed as codes or English/German names.

    Parameters
    ----------
    text
        E.g. ``"Arabisch, Farsi; en"``.

    Returns
    -------
    tuple of (list of str, list of str)
        The ISO 639-1 codes recognised (in order, no duplicates) and the parts not recognised.

    Examples
    --------
    >>> parse_languages("Arabisch, Farsi; en, Klingon")
    (['ar', 'fa', 'en'], ['Klingon'])
    """
    names = _language_names()
    codes: list[str] = []
    unknown: list[str] = []
    for part in re.split(r"[;,/]|\bund\b|\band\b|\bu\.", text):
        item = part.strip().strip(".").strip()
        if not item:
            continue
        code = names.get(item.casefold())
        if code is None:
            unknown.append(item)
        elif code not in codes:
            codes.append(code)
    return codes, unknown
