"""Weekly rules from simple German opening hours (``Di+Do 08:30-12:00 und 13:00-18:00``).

The directory keeps opening hours as the free text the offices publish. Where a part of that text is only
days and time ranges it can be read safely as weekly rules (the HSDS export's ``schedules``); anything
else ("nach Vereinbarung", "jeden 2. Do") is left to the text, never guessed.
"""

from __future__ import annotations

import re

__all__ = ["parse_opening_hours"]

# German day abbreviations → iCalendar BYDAY codes (HSDS schedules use RFC 5545 rules).
_DAYS = {"Mo": "MO", "Di": "TU", "Mi": "WE", "Do": "TH", "Fr": "FR", "Sa": "SA", "So": "SU"}
_DAY_ORDER = list(_DAYS.values())
# One token of a clause: a time range ("9-12", "08:30–12:00 Uhr"), a day, a separator, or a note in
# parentheses at the end.
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<range>(?P<h1>\d{1,2})(?::(?P<m1>\d{2}))?\s*[-–]\s*(?P<h2>\d{1,2})(?::(?P<m2>\d{2}))?(?:\s*Uhr)?)
      | (?P<day>Mo|Di|Mi|Do|Fr|Sa|So)\.?(?![A-Za-zÄÖÜäöüß])
      | (?P<sep>\+|/|,|&|und\b|u\.|[-–]|bis\b)
      | \((?P<note>[^()]*)\)\s*$
    )""",
    re.VERBOSE,
)


def parse_opening_hours(text: str) -> list[dict[str, str]]:
    """Weekly rules from simple German opening hours (``Di+Do 08:30-12:00 und 13:00-18:00``).

    Each ``;``-separated part is parsed only if all of it is days and time ranges (an optional
    parenthesis at its end becomes ``notes``); anything else ("nach Vereinbarung", "jeden 2. Do",
    "Termin-Hotline Mo 9-12") is left to the free-text description, never guessed.

    Parameters
    ----------
    text
        The ``opening_hours`` cell.

    Returns
    -------
    list of dict
        ``byday`` (``MO,TU``), ``opens_at``, ``closes_at`` (``HH:MM``) and possibly ``notes``.

    Examples
    --------
    >>> parse_opening_hours("Mo-Mi 9-12; Do 13-16 (Stand 2022)")  # doctest: +NORMALIZE_WHITESPACE
    [{'byday': 'MO,TU,WE', 'opens_at': '09:00', 'closes_at': '12:00'},
     {'byday': 'TH', 'opens_at': '13:00', 'closes_at': '16:00', 'notes': 'Stand 2022'}]
    """
    rules: list[dict[str, str]] = []
    for clause in (text or "").split(";"):
        parsed = _parse_clause(clause.strip())
        if parsed:
            rules.extend(parsed)
    return rules


def _time(hours: str, minutes: str | None) -> str | None:
    h, m = int(hours), int(minutes or 0)
    if h > 24 or m > 59 or (h == 24 and m):
        return None
    return f"{h:02d}:{m:02d}"


def _parse_clause(clause: str) -> list[dict[str, str]]:
    if not clause:
        return []
    position, tokens = 0, []
    while position < len(clause):
        match = _TOKEN.match(clause, position)
        if match is None or match.end() == position:
            if clause[position:].strip():
                return []
            break
        tokens.append(match)
        position = match.end()
    entries: list[tuple[list[str], list[tuple[str, str]]]] = []
    days: list[str] = []
    ranges: list[tuple[str, str]] = []
    note = ""
    pending_dash = False
    for token in tokens:
        if token.group("note") is not None:
            note = " ".join(token.group("note").split())
        elif token.group("day"):
            day = _DAYS[token.group("day")]
            if ranges:
                entries.append((days, ranges))
                days, ranges = [], []
            if pending_dash and days:
                start, end = _DAY_ORDER.index(days[-1]), _DAY_ORDER.index(day)
                if end <= start:
                    return []
                days.extend(_DAY_ORDER[start + 1 : end + 1])
            else:
                days.append(day)
            pending_dash = False
        elif token.group("range"):
            opens, closes = _time(token["h1"], token["m1"]), _time(token["h2"], token["m2"])
            if not days or opens is None or closes is None or opens >= closes or pending_dash:
                return []
            ranges.append((opens, closes))
        else:
            sep = token.group("sep")
            if sep in ("-", "–", "bis"):
                if not days or ranges:
                    return []
                pending_dash = True
    if pending_dash or not days or not ranges:
        return []
    entries.append((days, ranges))
    out = []
    for entry_days, entry_ranges in entries:
        unique = [d for d in _DAY_ORDER if d in entry_days]
        for opens, closes in entry_ranges:
            rule = {"byday": ",".join(unique), "opens_at": opens, "closes_at": closes}
            if note:
                rule["notes"] = note
            out.append(rule)
    return out
