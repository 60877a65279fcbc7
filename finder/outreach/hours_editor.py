"""The office page's weekly hours: one line of times per weekday, written as an ``opening_hours`` value.

Each day is a list of ranges typed as ``09:00-12:00, 13:00-16:00`` (``9-12`` and ``9.30-12`` are read too);
:func:`week_to_osm` groups days with the same times (``Mo,We 09:00-12:00; Th 13:00-18:00; PH off``) and
the result is checked with :func:`finder.hours.check_osm`. :func:`osm_to_week` fills the editor from a
stored value when it has this simple form, else leaves it empty (the page then shows the value as text).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from finder import hours

__all__ = ["DAYS", "osm_to_week", "parse_day", "week_to_osm"]

#: Weekdays in OpenStreetMap's spelling, Monday first.
DAYS: tuple[str, ...] = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_RANGE = re.compile(r"^\s*(\d{1,2})(?:[:.](\d{2}))?\s*[-–]\s*(\d{1,2})(?:[:.](\d{2}))?\s*(?:uhr)?\s*$", re.I)


def _clock(hour: str, minute: str | None) -> str | None:
    h, m = int(hour), int(minute or 0)
    if h > 24 or m > 59 or (h == 24 and m):
        return None
    return f"{h:02d}:{m:02d}"


def parse_day(text: str) -> tuple[str, ...] | None:
    """The ranges of one day (``"09:00-12:00", …``), ``()`` for blank, ``None`` if it cannot be read.

    Examples
    --------
    >>> parse_day("9-12, 13:30-16")
    ('09:00-12:00', '13:30-16:00')
    >>> parse_day(""), parse_day("morgens")
    ((), None)
    >>> parse_day("12-9") is None
    True
    """
    text = (text or "").strip()
    if not text:
        return ()
    out = []
    for part in re.split(r"[,;/]|\bund\b", text):
        if not part.strip():
            continue
        match = _RANGE.match(part)
        if match is None:
            return None
        start, end = _clock(match[1], match[2]), _clock(match[3], match[4])
        if start is None or end is None or start >= end:
            return None
        out.append(f"{start}-{end}")
    return tuple(out)


def week_to_osm(week: Mapping[str, tuple[str, ...]], *, holidays_closed: bool = True) -> str:
    """An ``opening_hours`` value for the week (days with the same ranges grouped); '' for an empty week.

    Examples
    --------
    >>> week_to_osm({"Mo": ("09:00-12:00",), "We": ("09:00-12:00",), "Th": ("13:00-18:00",)})
    'Mo,We 09:00-12:00; Th 13:00-18:00; PH off'
    >>> week_to_osm({d: ("08:00-16:00",) for d in ("Mo", "Tu", "We", "Th", "Fr")}, holidays_closed=False)
    'Mo-Fr 08:00-16:00'
    """
    groups: dict[tuple[str, ...], list[int]] = {}
    for index, day in enumerate(DAYS):
        ranges = tuple(week.get(day, ()))
        if ranges:
            groups.setdefault(ranges, []).append(index)
    rules = [
        f"{_days(indices)} {','.join(ranges)}"
        for ranges, indices in sorted(groups.items(), key=lambda g: g[1])
    ]
    if not rules:
        return ""
    if holidays_closed:
        rules.append("PH off")
    value = "; ".join(rules)
    return value if hours.check_osm(value) is None else ""


def _days(indices: list[int]) -> str:
    """``Mo-Fr``, ``Mo,We``, ``Mo-We,Fr`` for day indices."""
    parts, start = [], None
    for position, index in enumerate(indices):
        if start is None:
            start = index
        following = indices[position + 1] if position + 1 < len(indices) else None
        if following != index + 1:
            parts.append(
                DAYS[start]
                if start == index
                else f"{DAYS[start]}{'-' if index - start > 1 else ','}{DAYS[index]}"
            )
            start = None
    return ",".join(parts)


def osm_to_week(value: str) -> dict[str, tuple[str, ...]] | None:
    """The week of a simple ``opening_hours`` value (days and ranges, ``PH off``), else ``None``.

    Examples
    --------
    >>> osm_to_week("Mo,We 09:00-12:00,13:00-16:00; Th 13:00-18:00; PH off")["We"]
    ('09:00-12:00', '13:00-16:00')
    >>> osm_to_week("Mo-Fr 08:00-16:00")["Fr"], osm_to_week("Mo[1] 10:00-12:00")
    (('08:00-16:00',), None)
    """
    week: dict[str, tuple[str, ...]] = {}
    for rule in (r.strip() for r in (value or "").split(";")):
        if not rule or rule == "PH off":
            continue
        match = re.fullmatch(r"([A-Za-z,\-]+) ((?:\d\d:\d\d-\d\d:\d\d,?)+)", rule)
        if match is None:
            return None
        days: list[str] = []
        for item in match[1].split(","):
            first, _, last = item.partition("-")
            if first not in DAYS or (last and last not in DAYS):
                return None
            a, b = DAYS.index(first), DAYS.index(last or first)
            if b < a:
                return None
            days.extend(DAYS[a : b + 1])
        for day in days:
            week[day] = week.get(day, ()) + tuple(match[2].rstrip(",").split(","))
    return week
