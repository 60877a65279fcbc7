"""Reading German opening hours (``Di+Do 08:30-12:00 und 13:00-18:00``): the one reader of that text.

The directory keeps opening hours as the free text the offices publish. :func:`read_clause` reads one
``;``-separated part of it when all of that part is days and time ranges (plus a few fixed phrases:
"geschlossen", "nach Vereinbarung", "jeden 1. Dienstag im Monat", a note in parentheses at the end);
anything else ("Termin-Hotline Mo 9-12", "2-3x wöchentlich") is not read, never guessed.

Two views are built on it: :func:`parse_opening_hours` (weekly rules for the HSDS export's ``schedules``)
and :func:`finder.hours.to_osm` (an OpenStreetMap ``opening_hours`` value).

Not read on purpose: "täglich" (every day, or every working day?) and "werktags" (Monday to Friday, or to
Saturday?) are used both ways; "jeden 2. Do" is every other Thursday or the second Thursday of the month,
unless "im Monat" or "(ungerade Kalenderwochen)" says which; times without an end ("ab 13 Uhr", "18 Uhr").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

__all__ = ["Clause", "Entry", "mentions_hours", "parse_opening_hours", "read_clause"]

# Weekday numbers are datetime.weekday(): 0 = Monday.
_SHORT_DAYS = {"Mo": 0, "Di": 1, "Mi": 2, "Do": 3, "Fr": 4, "Sa": 5, "So": 6}
_LONG_DAYS = {
    "montag": 0,
    "dienstag": 1,
    "mittwoch": 2,
    "donnerstag": 3,
    "freitag": 4,
    "samstag": 5,
    "sonnabend": 5,  # what Saxony often says for Saturday
    "sonntag": 6,
}
# iCalendar BYDAY codes (HSDS schedules use RFC 5545 rules).
_ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_LETTER = "A-Za-zÄÖÜäöüß"
# One token of a clause: a time range ("9-12", "08:30–12:00 Uhr", "9 bis 12 Uhr"), "jeden 1." before a day,
# a day ("Mo.", "Donnerstag", "freitags"), "im Monat", "geschlossen", "nach Vereinbarung", a separator, or a
# note in parentheses at the end.
_TOKEN = re.compile(
    rf"""\s*(?:
        (?P<range>(?P<h1>\d{{1,2}})(?::(?P<m1>\d{{2}}))?\s*(?:Uhr\s*)?(?:[-–—]|bis\b)\s*
                  (?P<h2>\d{{1,2}})(?::(?P<m2>\d{{2}}))?(?:\s*Uhr\b)?)
      | (?P<nth>jede[nrs]?\s+(?:(?P<n>[1-5])\.|(?P<last>letzte[nrs]?)\b))
      | (?P<day>Mo|Di|Mi|Do|Fr|Sa|So)\.?(?![{_LETTER}])
      | (?P<long>(?i:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag))s?(?![{_LETTER}])
      | (?P<month>im\s+Monat\b)
      | (?P<closed>geschlossen\b)
      | (?P<appointment>nach\s+(?:Vereinbarung|Absprache)\b)
      | (?P<sep>\+|/|,|&|und\b|u\.|sowie\b|jede[nrs]?\b|[-–—]|bis\b)
      | \((?P<note>[^()]*)\)\s*$
    )""",
    re.VERBOSE,
)
# Words that make a part of a note change the hours ("nur telefonisch", "außer in den Ferien", "14-tägig"):
# such a note is not safe to leave out of a structured value.
_RESTRICTING = re.compile(
    r"ferien|feiertag|woche|wöchent|monat|tägig|termin|vereinbarung|anmeldung|telefon|online|geschlossen|"
    r"\b(?:nur|außer|ausser|nicht|kein|ohne|ab|bis|jede|alle|ggf|evtl|eventuell|unregelmäßig|wechselnd|"
    r"teilweise|gerade|ungerade)\b|\d",
    re.IGNORECASE,
)
_STAND = re.compile(r"Stand\b.*", re.IGNORECASE)  # "Stand 2022": when the text was true, not a rule
_STAND_NOTE = re.compile(r"\(\s*Stand\b[^()]*\)", re.IGNORECASE)
_PARITY = re.compile(r"(?:nur\s+)?(?:in\s+)?(?P<parity>un)?gerade[nr]?\s+Kalenderwoche[n]?", re.IGNORECASE)
_VALID_FROM = re.compile(r"ab\s+(?:dem\s+)?(?P<d>\d{1,2})\.\s*(?P<m>\d{1,2})\.\s*(?P<y>\d{4})", re.IGNORECASE)
# A part of the text that says something about times: it must be read, or nothing of the text is.
_HOURS_WORDS = re.compile(
    rf"\d|(?<![{_LETTER}])(?:Mo|Di|Mi|Do|Fr|Sa|So)(?![{_LETTER}])|"
    r"(?i:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag|täglich|werktag|wochenend|"
    r"feiertag|ferien|urlaub|wöchentlich|monatlich|woche|monat|uhr\b|morgen|mittag|abend|geöffnet|"
    r"geschlossen|öffnungszeit|sprechzeit|sprechstunde|heute|ganztag)",
)


@dataclass(frozen=True)
class Entry:
    """Days sharing time ranges: ``Di+Do 08:30-12:00 und 13:00-18:00``.

    Attributes
    ----------
    days
        Weekday numbers (0 = Monday), in the order of the week.
    ranges
        ``(opens, closes)`` as ``HH:MM``, opens before closes.
    nth
        For "jeden 1. Dienstag (im Monat)": which such weekday of the month (1-5, -1 for the last); the
        entry then has one day.
    """

    days: tuple[int, ...]
    ranges: tuple[tuple[str, str], ...]
    nth: int | None = None


@dataclass(frozen=True)
class Clause:
    """One ``;``-separated part of an opening-hours text, read.

    Attributes
    ----------
    entries
        The days with their time ranges (none for "Mo/Mi/Fr geschlossen" or "nach Vereinbarung").
    closed
        Days the part says are closed.
    note
        The parenthesis at the end, as written ("" without one).
    note_is_safe
        The note changes no time: it says when the text was true ("Stand 2022"), where ("im
        Einwohnermeldeamt"), or one of the readings below; "nur telefonisch", "außer Ferien" are not safe.
    odd_weeks
        ``True``/``False`` when the note limits the part to odd/even ISO calendar weeks, else ``None``.
    valid_from
        The date from which the part holds ("ab 1.6.2021"), else ``None``.
    """

    entries: tuple[Entry, ...]
    closed: tuple[int, ...] = ()
    note: str = ""
    note_is_safe: bool = True
    odd_weeks: bool | None = None
    valid_from: dt.date | None = None


def mentions_hours(text: str) -> bool:
    """Whether ``text`` says anything about times: digits, weekdays, "täglich", "Feiertag", "Uhr", ….

    A part of an opening-hours text that :func:`read_clause` cannot read and that mentions hours means the
    whole text is not safe to turn into structured hours; a part that does not ("nur mit Termin", "auf
    Wunsch anonym") can be left to the text.

    Examples
    --------
    >>> mentions_hours("Termin erforderlich"), mentions_hours("an Feiertagen geöffnet")
    (False, True)
    """
    return bool(_HOURS_WORDS.search(_STAND_NOTE.sub("", text or "")))


def _time(hours: str, minutes: str | None) -> str | None:
    h, m = int(hours), int(minutes or 0)
    if h > 24 or m > 59 or (h == 24 and m):
        return None
    return f"{h:02d}:{m:02d}"


def _tokens(clause: str) -> list[re.Match[str]] | None:
    position, tokens = 0, []
    while position < len(clause):
        match = _TOKEN.match(clause, position)
        if match is None or match.end() == position:
            if clause[position:].strip():
                return None
            break
        tokens.append(match)
        position = match.end()
    return tokens


def _read_note(note: str) -> tuple[bool, bool | None, dt.date | None] | None:
    """(safe, odd weeks, valid from) of a note; ``None`` when it contradicts itself or names no real date."""
    safe, odd, valid_from = True, None, None
    for part in (p.strip() for p in note.split(",")):
        if not part or _STAND.fullmatch(part):
            continue
        if parity := _PARITY.fullmatch(part):
            if odd is not None:
                return None
            odd = bool(parity.group("parity"))
        elif start := _VALID_FROM.fullmatch(part):
            try:
                valid_from = dt.date(int(start["y"]), int(start["m"]), int(start["d"]))
            except ValueError:
                return None
        elif _RESTRICTING.search(part):
            safe = False
    return safe, odd, valid_from


class _RejectError(Exception):
    """The clause is not only days and times."""


class _Reader:
    """The state of reading one clause's tokens, left to right."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.closed: list[int] = []
        self.days: list[int] = []
        self.ranges: list[tuple[str, str]] = []
        self.nth: int | None = None  # "jeden 1." seen for the current days
        self.monthly = False  # "im Monat" seen after that day
        self.ambiguous: list[int] = []  # indexes of entries "jeden 2. Do" without "im Monat"
        self.dash = False  # a "-"/"bis" between two days
        self.note = ""

    def flush(self) -> None:
        if self.nth is not None and self.nth not in (1, -1) and not self.monthly:
            self.ambiguous.append(len(self.entries))
        self.entries.append(Entry(tuple(sorted(set(self.days))), tuple(self.ranges), self.nth))
        self.days, self.ranges, self.nth, self.monthly = [], [], None, False

    def day(self, day: int) -> None:
        if self.ranges:
            self.flush()
        if self.nth is not None and (self.days or self.dash):
            raise _RejectError  # "jeden 1. Di und Do": which is meant?
        if self.dash and self.days:
            start = self.days[-1]
            if day <= start:
                raise _RejectError  # "Fr-Mo": across the week end is not read
            self.days.extend(range(start + 1, day + 1))
        else:
            self.days.append(day)
        self.dash = False

    def time_range(self, match: re.Match[str]) -> None:
        opens, closes = _time(match["h1"], match["m1"]), _time(match["h2"], match["m2"])
        if not self.days or opens is None or closes is None or opens >= closes or self.dash:
            raise _RejectError
        self.ranges.append((opens, closes))

    def no_hours(self, closed: bool) -> None:
        """Days without hours: "Mo/Mi/Fr geschlossen", "Mi u. Fr nach Vereinbarung", "… und nach …"."""
        if self.dash or self.nth is not None:
            raise _RejectError
        if self.ranges:
            if closed:
                raise _RejectError  # "Mo 9-12 geschlossen"?
            self.flush()
        elif closed:
            if not self.days:
                raise _RejectError
            self.closed.extend(self.days)
        self.days = []

    def read(self, tokens: list[re.Match[str]]) -> None:
        for token in tokens:
            if token.group("note") is not None:
                self.note = " ".join(token.group("note").split())
            elif token.group("range"):
                self.time_range(token)
            elif token.group("day") or token.group("long"):
                day = token.group("day")
                self.day(_SHORT_DAYS[day] if day else _LONG_DAYS[token.group("long").lower()])
            elif token.group("nth"):
                if self.days and not self.ranges:
                    raise _RejectError
                if self.ranges:
                    self.flush()
                self.nth = -1 if token.group("last") else int(token.group("n"))
            elif token.group("month"):
                if self.nth is None or len(self.days) != 1 or self.ranges or self.monthly:
                    raise _RejectError
                self.monthly = True
            elif token.group("closed") or token.group("appointment"):
                self.no_hours(closed=bool(token.group("closed")))
            elif token.group("sep") in ("-", "–", "—", "bis"):
                if not self.days or self.ranges:
                    raise _RejectError
                self.dash = True
        if self.dash or (self.days and not self.ranges) or (self.nth is not None and not self.days):
            raise _RejectError
        if self.days:
            self.flush()


def read_clause(clause: str) -> Clause | None:
    """Read one ``;``-separated part of an opening-hours text, or ``None`` if it is not only days and times.

    Parameters
    ----------
    clause
        E.g. ``Di+Do 08:30-12:00 und 13:00-18:00``, ``Mo/Mi/Fr geschlossen``, ``jeden 1. Donnerstag im
        Monat 15-17``, ``Mo u. Do 9-15, Mi u. Fr nach Vereinbarung``.

    Returns
    -------
    Clause or None
        ``None`` also for a part that says nothing readable at all ("(Stand 2022)" alone).

    Examples
    --------
    >>> read_clause("Mo-Mi 9-12 Uhr (Stand 2022)").entries
    (Entry(days=(0, 1, 2), ranges=(('09:00', '12:00'),), nth=None),)
    >>> read_clause("jeden 2. Do 17-19") is None  # every other Thursday, or the second of the month?
    True
    >>> read_clause("jeden 2. Do 17-19 (ungerade Kalenderwochen)").odd_weeks
    True
    """
    tokens = _tokens((clause or "").strip())
    if not tokens:
        return None
    reader = _Reader()
    try:
        reader.read(tokens)
    except _RejectError:
        return None
    note = _read_note(reader.note)
    if note is None:
        return None
    safe, odd, valid_from = note
    entries = reader.entries
    if reader.ambiguous:
        # "jeden 2. Do" is read only when the note says which weeks: every other Thursday.
        if odd is None or any(entries[i].nth != 2 for i in reader.ambiguous):
            return None
        entries = [Entry(e.days, e.ranges) if i in reader.ambiguous else e for i, e in enumerate(entries)]
    if odd is not None and any(e.nth is not None for e in entries):
        return None  # "jeden 1. Do (ungerade Kalenderwochen)" contradicts itself
    if not entries and not reader.closed and not any(t.group("appointment") for t in tokens):
        return None
    if set(reader.closed) & {d for e in entries for d in e.days}:
        return None  # "Mo 9-12, Mo geschlossen"
    return Clause(tuple(entries), tuple(sorted(set(reader.closed))), reader.note, safe, odd, valid_from)


def parse_opening_hours(text: str) -> list[dict[str, str]]:
    """Weekly rules from simple German opening hours (``Di+Do 08:30-12:00 und 13:00-18:00``).

    Each ``;``-separated part is used only if :func:`read_clause` reads it and it holds every week (no
    "jeden 1. Dienstag", no "ungerade Kalenderwochen"); its note in parentheses becomes ``notes``. Anything
    else ("nach Vereinbarung", "Termin-Hotline Mo 9-12") is left to the free-text description.

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
    for part in (text or "").split(";"):
        clause = read_clause(part)
        if clause is None or clause.odd_weeks is not None or any(e.nth is not None for e in clause.entries):
            continue
        for entry in clause.entries:
            for opens, closes in entry.ranges:
                rule = {
                    "byday": ",".join(_ICAL_DAYS[d] for d in entry.days),
                    "opens_at": opens,
                    "closes_at": closes,
                }
                if clause.note:
                    rule["notes"] = clause.note
                rules.append(rule)
    return rules
