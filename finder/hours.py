"""Opening hours as OpenStreetMap ``opening_hours`` values: from the directory's text, checked, evaluated.

The directory keeps the hours an office publishes as free German text (``opening_hours``) and, where that
text can be read without guessing, the same hours in OpenStreetMap's syntax (``opening_hours_osm``, e.g.
``Tu,Th 08:30-12:00,13:00-18:00; PH off``). :func:`to_osm` turns the one into the other (the German is read
by :mod:`finder.opening_hours`); :func:`check_osm` is the check of ``finder validate``; :func:`open_state`
and :func:`open_today` say whether an office is open at an instant.

Evaluation uses `opening-hours-py <https://pypi.org/project/opening-hours-py/>`_. Its holiday calendar
knows only nationwide holidays (no German states: remi-dupre/opening-hours-rs issue 85), so the
Saxon public holidays come from the ``holidays`` package (Germany, subdivision ``SN``: nationwide ones plus
Reformationstag and Buß- und Bettag). A day that is one is evaluated with ``PH`` standing for that day;
other days with ``PH`` matching nothing. An office is closed on a public holiday unless its hours say
otherwise (a value without ``PH`` is read as if it ended in ``; PH off``). Corpus Christi, a holiday only
in some Sorbian municipalities, is not counted. All times are Europe/Berlin.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from holidays.countries.germany import Germany  # the one country we need (half the import time)
from opening_hours import OpeningHours, ParserError, State

from finder.opening_hours import Clause, mentions_hours, read_clause
from finder.rules import BERLIN

__all__ = [
    "BERLIN",
    "OpenState",
    "appointment_only",
    "by_appointment",
    "check_osm",
    "is_public_holiday",
    "open_state",
    "open_today",
    "to_osm",
]


_OSM_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_OSM_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# How far ahead the next opening or closing is looked for: "Th[1]" opens within five weeks, a date range
# may start within the year.
_HORIZON = dt.timedelta(days=400)

# "Termin" in any word (Terminvereinbarung, Online-Termin), "nach Vereinbarung/Absprache/Anmeldung",
# "mit Anmeldung", "Anmeldung erforderlich" — unless "ohne"/"kein" stands right before it.
_APPOINTMENT = re.compile(
    r"(?P<neg>\b(?:ohne|keine?n?)\s+(?:vorherige[nr]?\s+)?)?"
    r"(?:[\w-]*termin|\bnach\s+(?:vorheriger\s+)?(?:Vereinbarung|Absprache|(?:Vor)?anmeldung)"
    r"|\bmit\s+(?:vorheriger\s+)?(?:Vor)?anmeldung|\b(?:Vor)?anmeldung\s+(?:ist\s+)?(?:erforderlich|nötig|notwendig))",
    re.IGNORECASE,
)
# Appointments are the only way in: "nur mit Termin", "Termin erforderlich", "nur nach vorheriger Anmeldung".
_APPOINTMENT_ONLY = re.compile(
    r"\b(?:nur|ausschließlich)\s+(?:mit|nach)\s+(?:vorherige[rmn]?\s+)?"
    r"(?:[\w-]*termin|Vereinbarung|Absprache|(?:Vor)?anmeldung)"
    r"|(?:termin\w*|(?:vor)?anmeldung)\s+(?:ist\s+)?(?:erforderlich|nötig|notwendig|pflicht|vorausgesetzt)",
    re.IGNORECASE,
)
_COMMENT = re.compile(r'"[^"]*"')
_PH = re.compile(r"\bPH\b(?P<both>\s+(?=(?:Mo|Tu|We|Th|Fr|Sa|Su)\b))?")
_UNSUPPORTED = (
    (re.compile(r"\bSH\b"), "school holidays (SH) are not supported: there is no school-holiday calendar"),
    (re.compile(r"\bPH\s*[+-]"), "days before or after a public holiday (PH +1 day) are not supported"),
    (re.compile(r"\b(?:sunrise|sunset|dawn|dusk)\b"), "sunrise and sunset times are not supported"),
)


@dataclass(frozen=True)
class OpenState:
    """Whether an office is open at an instant, as a card says it.

    Attributes
    ----------
    state
        ``open``, ``closed``, ``appointment`` (the text says visits are by appointment: always when it says
        so and there are no structured hours; with structured hours only when it says appointments are
        the only way in, "nur mit Termin", "Termin erforderlich"; also when the hours themselves say
        ``unknown`` for that moment), or ``unknown`` (no structured hours, no appointment in the text).
    until
        When the structured hours say open at that instant: when they close (also for ``appointment``).
    next_change
        When the structured hours next open (closed now) or close (open now); ``None`` without structured
        hours or without a change within about a year. Aware, Europe/Berlin.
    """

    state: str
    until: dt.datetime | None = None
    next_change: dt.datetime | None = None


# --- free text → OSM ----------------------------------------------------------------------------------


def _day_selector(days: list[int]) -> str:
    """``Mo-We,Fr`` for [0, 1, 2, 4]: runs of three or more days as a range."""
    parts, run = [], [days[0]]
    for day in days[1:]:
        if day == run[-1] + 1:
            run.append(day)
            continue
        parts.append(run)
        run = [day]
    parts.append(run)
    out = []
    for run in parts:
        if len(run) >= 3:
            out.append(f"{_OSM_DAYS[run[0]]}-{_OSM_DAYS[run[-1]]}")
        else:
            out.extend(_OSM_DAYS[d] for d in run)
    return ",".join(out)


def _times(ranges: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> str:
    return ",".join(f"{opens}-{closes}" for opens, closes in ranges)


def _prefix(clause: Clause) -> str:
    """The selectors of a part that does not hold every week alike: "ab 1.6.2021", odd weeks."""
    prefix = ""
    if clause.valid_from is not None:
        start = clause.valid_from
        prefix += f"{start.year} {_OSM_MONTHS[start.month - 1]} {start.day:02d}+ "
    if clause.odd_weeks is not None:
        prefix += "week 01-53/2 " if clause.odd_weeks else "week 02-52/2 "
    return prefix


def _grouped(prefix: str, table: dict[int, list[tuple[str, str]]]) -> list[str] | None:
    """Rules for weekday → time ranges, days with the same ranges together; ``None`` if times overlap."""
    groups: dict[tuple[tuple[str, str], ...], list[int]] = {}
    for day in sorted(table):
        ranges = sorted(table[day])
        if any(later[0] < earlier[1] for earlier, later in itertools.pairwise(ranges)):
            return None  # "Mo 9-12; Mo 10-14": which is it?
        groups.setdefault(tuple(ranges), []).append(day)
    return [f"{prefix}{_day_selector(days)} {_times(ranges)}" for ranges, days in groups.items()]


def to_osm(text: str) -> str | None:
    """The OpenStreetMap ``opening_hours`` value of an ``opening_hours`` text, or ``None``.

    Every ``;``-separated part must be read by :func:`finder.opening_hours.read_clause` (days and times,
    "Mo/Mi/Fr geschlossen", "jeden 1. Dienstag", a harmless note such as "(Stand 2022)") or say nothing
    about times at all ("Termin erforderlich", "ohne Anmeldung": left to the text). A part that mentions
    times but cannot be read ("Termin-Hotline Di 8-12", "täglich 9-12", "Mi 8-12 (nur telefonisch)"), days
    both open and closed, or overlapping times make the answer ``None``: never a guess. The value ends in
    ``; PH off`` (closed on public holidays), the usual German reading.

    Parameters
    ----------
    text
        The ``opening_hours`` cell.

    Returns
    -------
    str or None
        A value :func:`check_osm` accepts, or ``None`` when the text has no hours that can be read safely.

    Examples
    --------
    >>> to_osm("Di+Do 08:30-12:00 und 13:00-18:00; Mo/Mi/Fr geschlossen; Termin erforderlich")
    'Tu,Th 08:30-12:00,13:00-18:00; PH off'
    >>> to_osm("Mo, Di, Do 10-12; Di, Do 13-16")
    'Mo 10:00-12:00; Tu,Th 10:00-12:00,13:00-16:00; PH off'
    >>> to_osm("jeden 1. Dienstag 15-17 Uhr")
    'Tu[1] 15:00-17:00; PH off'
    >>> to_osm("nach Vereinbarung") is None, to_osm("täglich 9-12") is None
    (True, True)
    """
    tables: dict[str, dict[int, list[tuple[str, str]]]] = {}  # selector prefix → weekday → ranges
    monthly: list[str] = []
    closed: set[int] = set()
    open_days: set[int] = set()
    for part in (text or "").split(";"):
        clause = read_clause(part)
        if clause is None:
            if mentions_hours(part):
                return None
            continue
        if not clause.note_is_safe:
            return None
        closed.update(clause.closed)
        prefix = _prefix(clause)
        for entry in clause.entries:
            open_days.update(entry.days)
            if entry.nth is not None:
                monthly.append(f"{prefix}{_OSM_DAYS[entry.days[0]]}[{entry.nth}] {_times(entry.ranges)}")
            else:
                table = tables.setdefault(prefix, {})
                for day in entry.days:
                    table.setdefault(day, []).extend(entry.ranges)
    if closed & open_days or not (tables or monthly):
        return None
    weekly = _grouped("", tables.pop("", {}))
    others = [_grouped(prefix, table) for prefix, table in tables.items()]
    if weekly is None or None in others:
        return None
    # Rules that hold on some weeks only are added to (",") the weekly ones, never overriding them.
    special = [rule for rules in others if rules for rule in rules] + monthly
    value = ", ".join(["; ".join(weekly), *special] if weekly else special) + "; PH off"
    return value if check_osm(value) is None else None


# --- checking -----------------------------------------------------------------------------------------


def _outside_comments(value: str) -> str:
    """``value`` with its quoted comments blanked out (same length, so positions still match)."""
    return _COMMENT.sub(lambda m: " " * len(m.group()), value)


def check_osm(value: str) -> str | None:
    """``None`` if ``value`` is an ``opening_hours`` value the finder can use, else what is wrong (English).

    Empty is fine (no structured hours). Besides the syntax, values that cannot be evaluated correctly
    here are refused: school holidays (``SH``), days relative to a holiday (``PH +1 day``), sun times.

    Parameters
    ----------
    value
        A cell of ``opening_hours_osm``.

    Returns
    -------
    str or None

    Examples
    --------
    >>> check_osm("Mo-Fr 09:00-12:00; PH off") is None, check_osm("") is None
    (True, True)
    >>> check_osm("Mo-Fr 9-12")
    'not valid OpenStreetMap opening_hours syntax (at character 7)'
    """
    if not value or not value.strip():
        return None
    try:
        OpeningHours(value)
    except (ParserError, ValueError) as error:
        where = re.search(r"--> \d+:(\d+)", str(error))
        at = f" (at character {where.group(1)})" if where else ""
        return f"not valid OpenStreetMap opening_hours syntax{at}"
    plain = _outside_comments(value)
    for pattern, message in _UNSUPPORTED:
        if pattern.search(plain):
            return message
    try:  # what open_state evaluates on a public holiday must parse too
        for weekday in range(7):
            OpeningHours(_holiday_expression(_effective(value), weekday))
    except (ParserError, ValueError):
        return "this use of PH (public holidays) is not supported"
    return None


# --- appointments -------------------------------------------------------------------------------------


def by_appointment(text: str) -> bool:
    """Whether the text says counselling is (also) by appointment.

    "Termin", "Terminvereinbarung", "nach Vereinbarung", "nach Absprache", "nach (vorheriger) Anmeldung",
    "mit Anmeldung" count; "ohne Termin", "ohne Anmeldung" do not.

    Examples
    --------
    >>> by_appointment("Do 13-16 und nach Vereinbarung"), by_appointment("Mo 11-17; ohne Anmeldung")
    (True, False)
    """
    return any(not m.group("neg") for m in _APPOINTMENT.finditer(text or ""))


def appointment_only(text: str) -> bool:
    """Whether the text says appointments are the only way in ("nur mit Termin", "Termin erforderlich").

    Examples
    --------
    >>> appointment_only("Mo-Fr 8-16; nur mit Termin"), appointment_only("Do 13-16 und nach Vereinbarung")
    (True, False)
    """
    return bool(_APPOINTMENT_ONLY.search(text or ""))


# --- evaluation ---------------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _holidays_of(year: int) -> frozenset[dt.date]:
    return frozenset(Germany(subdiv="SN", years=year))


def is_public_holiday(day: dt.date) -> bool:
    """Whether ``day`` is a public holiday in Saxony (e.g. Buß- und Bettag, 2026-11-18)."""
    return day in _holidays_of(day.year)


@lru_cache(maxsize=1024)
def _engine(expression: str) -> OpeningHours:
    # No country: "PH" matches no day; holidays are handled by _holiday_expression.
    return OpeningHours(expression, timezone=BERLIN, auto_country=False, auto_timezone=False)


def _effective(osm: str) -> str:
    """The value to evaluate: closed on public holidays unless it says something about them."""
    if _PH.search(_outside_comments(osm)):
        return osm
    return f"{osm}; PH off"


@lru_cache(maxsize=1024)
def _holiday_expression(expression: str, weekday: int) -> str:
    """``expression`` for a public holiday falling on ``weekday``: ``PH`` stands for that weekday.

    ``PH Mo-Fr`` (which opening-hours-py reads as either) becomes ``We,Mo-Fr``.
    """
    day = _OSM_DAYS[weekday]
    plain = _outside_comments(expression)
    out, last = [], 0
    for match in _PH.finditer(plain):
        out.append(expression[last : match.start()])
        out.append(day + ("," if match.group("both") else ""))
        last = match.end()
    out.append(expression[last:])
    return "".join(out)


def _local(at: dt.datetime) -> dt.datetime:
    """``at`` in Europe/Berlin (naive means Berlin already)."""
    return at.replace(tzinfo=BERLIN) if at.tzinfo is None else at.astimezone(BERLIN)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=BERLIN)


def _next_holiday(after: dt.date, until: dt.date) -> dt.date | None:
    found = [d for y in range(after.year, until.year + 1) for d in _holidays_of(y) if after < d <= until]
    return min(found, default=None)


def _intervals(
    osm: str, start: dt.datetime, end: dt.datetime
) -> Iterator[tuple[dt.datetime, dt.datetime, State]]:
    """Successive ``(from, to, state)`` of ``osm`` from ``start`` to ``end`` (Berlin), holidays counted."""
    expression = _effective(osm)
    cursor = start
    while cursor < end:
        day = cursor.date()
        if is_public_holiday(day):
            stop = min(_midnight(day + dt.timedelta(days=1)), end)
            engine = _engine(_holiday_expression(expression, day.weekday()))
        else:
            holiday = _next_holiday(day, end.date())
            stop = min(_midnight(holiday), end) if holiday else end
            engine = _engine(expression)
        for begin, finish, state, _comment in engine.intervals(cursor, stop):
            yield _local(begin), _local(finish), state
        cursor = stop


def _usable(osm: str | None) -> bool:
    return bool(osm and osm.strip()) and check_osm(osm) is None


def open_state(osm: str | None, text: str | None, at: dt.datetime) -> OpenState:
    """Whether an office is open at ``at``, and when that changes.

    Parameters
    ----------
    osm
        The ``opening_hours_osm`` cell (empty, or not usable by :func:`check_osm`: no structured hours).
    text
        The ``opening_hours`` cell, for "by appointment".
    at
        The instant; aware, or naive in Europe/Berlin.

    Returns
    -------
    OpenState
        See :class:`OpenState` for when it is ``appointment``.

    Examples
    --------
    >>> import datetime as dt
    >>> open_state("Mo-Fr 09:00-12:00", "", dt.datetime(2026, 11, 17, 10, 0)).until
    datetime.datetime(2026, 11, 17, 12, 0, tzinfo=zoneinfo.ZoneInfo(key='Europe/Berlin'))
    >>> open_state("Mo-Fr 09:00-12:00", "", dt.datetime(2026, 11, 18, 10, 0)).state  # Buß- und Bettag
    'closed'
    >>> open_state("", "nach Vereinbarung", dt.datetime(2026, 11, 18, 10, 0)).state
    'appointment'
    """
    appointment = by_appointment(text or "")
    if not _usable(osm):
        return OpenState("appointment" if appointment else "unknown")
    assert osm is not None  # for the type checker: _usable said so
    start = _local(at)
    first, until, next_change = None, None, None
    for _begin, finish, state in _intervals(osm, start, start + _HORIZON):
        if first is None:
            first, until = state, finish
        elif state != first:
            next_change = until
            break
        else:
            until = finish
    state = {State.OPEN: "open", State.CLOSED: "closed"}.get(first, "unknown")
    by_text = appointment_only(text or "") or (state == "unknown" and appointment)
    name = "appointment" if by_text else state
    return OpenState(name, next_change if first == State.OPEN else None, next_change)


def open_today(osm: str | None, at: dt.datetime) -> bool:
    """Whether the structured hours open at some time on ``at``'s calendar day (Europe/Berlin).

    Examples
    --------
    >>> import datetime as dt
    >>> open_today("Tu[1] 15:00-17:00", dt.datetime(2026, 12, 1, 18, 0))  # the first Tuesday, after hours
    True
    """
    if not _usable(osm):
        return False
    assert osm is not None
    day = _local(at).date()
    start, end = _midnight(day), _midnight(day + dt.timedelta(days=1))
    return any(state == State.OPEN for _b, _f, state in _intervals(osm, start, end))
