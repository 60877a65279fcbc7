"""Tests of finder.hours: free text → OpenStreetMap opening_hours, the check, and "open now" at fixed instants.

No test reads the wall clock: every instant is given. Expected answers are worked out by hand (the calendar
of the instant is in the comment) or by a brute-force oracle that walks time in quarter hours.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opening_hours import OpeningHours, State

from finder.hours import (
    OpenState,
    appointment_only,
    by_appointment,
    check_osm,
    is_public_holiday,
    open_state,
    open_today,
    to_osm,
)
from finder.opening_hours import parse_opening_hours

BERLIN = ZoneInfo("Europe/Berlin")
OFFICES = Path(__file__).resolve().parents[1] / "data" / "offices.csv"
# Monday to Friday with a lunch break.
WEEKDAYS = "Mo-Fr 09:00-12:00,13:00-16:00; PH off"


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


# --- free text → OSM ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Di+Do 08:30-12:00 und 13:00-18:00; Mo/Mi/Fr geschlossen; Termin erforderlich",
         "Tu,Th 08:30-12:00,13:00-18:00; PH off"),
        ("Mo-Fr 9-12 Uhr", "Mo-Fr 09:00-12:00; PH off"),
        ("Mo–Fr 9–12", "Mo-Fr 09:00-12:00; PH off"),  # en dashes
        ("Mo bis Mi 9 bis 12 Uhr", "Mo-We 09:00-12:00; PH off"),
        ("Mo u. Fr 8:30-12, Di u. Do 14-18", "Mo,Fr 08:30-12:00; Tu,Th 14:00-18:00; PH off"),
        # Split days: Tuesday and Thursday have both ranges.
        ("Mo, Di, Do 10-12; Di, Do 13-16", "Mo 10:00-12:00; Tu,Th 10:00-12:00,13:00-16:00; PH off"),
        ("Mo 8-14, Di 8-18, Mi 8-14, Do 8-14, Fr 8-12",
         "Mo,We,Th 08:00-14:00; Tu 08:00-18:00; Fr 08:00-12:00; PH off"),
        ("montags und freitags 9-12", "Mo,Fr 09:00-12:00; PH off"),
        ("Sonnabend 9-12", "Sa 09:00-12:00; PH off"),
        ("jeden 1. Dienstag 15-17 Uhr", "Tu[1] 15:00-17:00; PH off"),
        ("jeden 1. Donnerstag im Monat 15-17", "Th[1] 15:00-17:00; PH off"),
        ("jeden 2. Donnerstag im Monat 15-17", "Th[2] 15:00-17:00; PH off"),
        ("jeden letzten Freitag 10-12", "Fr[-1] 10:00-12:00; PH off"),
        ("jeden 2. Do 17-19 (ungerade Kalenderwochen); nur nach vorheriger Anmeldung per E-Mail",
         "week 01-53/2 Th 17:00-19:00; PH off"),
        ("Mo 9-12; jeden 1. Di 14-16", "Mo 09:00-12:00, Tu[1] 14:00-16:00; PH off"),
        ("Mo 11-17, Di 11-17, Do 11-17 (ab 1.6.2021); ohne Anmeldung", "2021 Jun 01+ Mo,Tu,Th 11:00-17:00; PH off"),
        ("Do 13-16 und nach Vereinbarung", "Th 13:00-16:00; PH off"),
        ("Mo u. Do 9-15, Di 9-18, Mi u. Fr nach Vereinbarung", "Mo,Th 09:00-15:00; Tu 09:00-18:00; PH off"),
        ("Di 9-12 u. 13-18, Do 9-12 u. 13-15; sonst nach Vereinbarung (Stand 11/2015)",
         "Tu 09:00-12:00,13:00-18:00; Th 09:00-12:00,13:00-15:00; PH off"),
        ("Mo 14-16, Di 9:30-11:30 (offene Sprechzeit, Stand 2018)", "Mo 14:00-16:00; Tu 09:30-11:30; PH off"),
        ("Di 14-16 (im Einwohnermeldeamt)", "Tu 14:00-16:00; PH off"),
        ("Mo 9-12 und 12-14", "Mo 09:00-12:00,12:00-14:00; PH off"),
    ],
)  # fmt: skip
def test_to_osm_reads_what_is_certain(text, expected):
    assert to_osm(text) == expected
    assert check_osm(expected) is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "nach Vereinbarung",
        "Termine nach Vereinbarung",
        "Nur mit Termin; Termin-Hotline Di+Do 8-12, 14-18, Fr 9-12",  # phone hours, not the office's
        "täglich 9-12",  # every day, or every working day?
        "werktags 9-12",  # Monday to Friday, or to Saturday?
        "jeden 2. Do 17-19",  # every other Thursday, or the second of the month?
        "jeden 1. Do 17-19 (ungerade Kalenderwochen)",
        "Mo 18 Uhr",
        "alle zwei Wochen Mi ab 13 Uhr",
        "Mo u. Fr 8-12, Mi 8-12 (nur telefonisch)",
        "Mo 9-12 (außer in den Ferien)",
        "Mo 9-12; in den Ferien geschlossen",
        "Mo-Fr 9-12; an Feiertagen geöffnet",
        "Mo 9-12; Mo geschlossen",  # both open and closed
        "Mo 9-12; Mo 10-14",  # overlapping
        "Mo 9-12; Mo 10-14; jeden 1. Di 9-12",
        "Mo 9-12 (ab 1.6.2021); Mo 10-14 (ab 1.6.2021); Di 9-12",
        "Fr-Mo 9-12",
        "Mo 12-9",
        "Mo 9-25",
        "Mo 9-12 (ab 31.2.2021)",
        "Sprechstunde im FiZu Chemnitz Mo 10-15; weitere Termine telefonisch",
        "Deutschlernangebote Di und Fr",
        "2-3x wöchentlich; nur mit Termin",
    ],
)
def test_to_osm_never_guesses(text):
    assert to_osm(text) is None


def _minutes(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def _open_minutes_by_engine(osm: str) -> set[tuple[int, int]]:
    """(weekday, minute) the OSM value is open, by opening-hours-py, over a week without holidays."""
    engine = OpeningHours(osm, timezone=BERLIN)
    monday = at(2026, 11, 2)  # no holiday that week, no DST change
    out = set()
    for begin, end, state, _ in engine.intervals(monday, monday + dt.timedelta(days=7)):
        if state == State.OPEN:
            minute = begin
            while minute < end:
                out.add((minute.weekday(), minute.hour * 60 + minute.minute))
                minute += dt.timedelta(minutes=1)
    return out


def _open_minutes_by_rules(text: str) -> set[tuple[int, int]]:
    """The same from the HSDS weekly rules of the text: a brute-force table."""
    days = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
    out = set()
    for rule in parse_opening_hours(text):
        for day in rule["byday"].split(","):
            for minute in range(_minutes(rule["opens_at"]), _minutes(rule["closes_at"])):
                out.add((days.index(day), minute))
    return out


def test_every_row_of_the_directory():
    with OFFICES.open(encoding="utf-8", newline="") as handle:
        texts = [row["opening_hours"] for row in csv.DictReader(handle) if row["opening_hours"].strip()]
    assert texts
    parsed = 0
    for text in texts:
        osm = to_osm(text)
        if osm is None:
            continue
        parsed += 1
        assert check_osm(osm) is None, (text, osm)
        # Every time in the value is a number of the text: nothing invented.
        numbers = {int(n) for n in re.findall(r"\d+", text)}
        for hours, minutes in re.findall(r"(\d\d):(\d\d)", osm):
            assert int(hours) in numbers and (minutes == "00" or int(minutes) in numbers), (text, osm)
        # Weekly values: open exactly when the HSDS rules of the same text say (a different evaluator).
        if not re.search(r"\[|week|\+", osm):
            assert _open_minutes_by_engine(osm) == _open_minutes_by_rules(text), (text, osm)
        # And it can be evaluated.
        assert open_state(osm, text, at(2026, 11, 17, 10)).state in {"open", "closed", "appointment"}
    assert parsed > 0


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="MoDiMiDoFrSa 0123456789:-–+,/u.und()Uhrjeden.imMonatgeschlossen;", max_size=60))
def test_to_osm_never_fails_and_is_always_valid(text):
    osm = to_osm(text)
    assert osm is None or check_osm(osm) is None


# --- appointments -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "appointment", "only"),
    [
        ("nach Vereinbarung", True, False),
        ("Termine nach Vereinbarung", True, False),
        ("Terminvereinbarung schriftlich oder telefonisch", True, False),
        ("Do 13-16 und nach Vereinbarung", True, False),
        ("Di 14-18; sonst nach Anmeldung per E-Mail/Telefon", True, False),
        ("Termin erforderlich", True, True),
        ("Mo-Fr 8-16; nur mit Termin", True, True),
        ("Vorsprache nur mit Termin (Online-Terminbuchung)", True, True),
        ("Ausgabe Di+Do 8:30-11:50 nur mit Online-Termin", True, True),
        ("jeden 2. Do 17-19; nur nach vorheriger Anmeldung per E-Mail", True, True),
        ("Mo 11-17 (ab 1.6.2021); ohne Anmeldung", False, False),
        ("offene Sprechstunde ohne Termin", False, False),
        ("Mo-Fr 9-12", False, False),
        ("", False, False),
    ],
)
def test_by_appointment(text, appointment, only):
    assert by_appointment(text) is appointment
    assert appointment_only(text) is only


# --- checking -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", None),
        ("   ", None),
        ("Mo-Fr 09:00-12:00; PH off", None),
        ("Tu[1] 15:00-17:00", None),
        ('Mo 10:00-12:00 "SH: nur vormittags"', None),  # SH inside a comment is text
        ("Mo-Fr 9-12", "syntax"),
        ("Mo 25:00-26:00", "syntax"),
        ("montags", "syntax"),
        ("Mo-Fr 09:00-12:00; SH off", "school holidays"),
        ("Mo-Fr 09:00-12:00; PH +1 day off", "public holiday"),
        ("sunrise-sunset", "sunrise"),
    ],
)
def test_check_osm(value, problem):
    message = check_osm(value)
    if problem is None:
        assert message is None
    else:
        assert message is not None and problem in message and "\n" not in message


# --- open state at fixed instants --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "state", "next_change"),
    [
        (at(2026, 11, 17, 10, 0), "open", at(2026, 11, 17, 12, 0)),  # Tuesday morning
        (at(2026, 11, 17, 12, 30), "closed", at(2026, 11, 17, 13, 0)),  # lunch break
        (at(2026, 11, 17, 16, 0), "closed", at(2026, 11, 19, 9, 0)),  # evening; Wednesday is a holiday
        (at(2026, 11, 18, 10, 0), "closed", at(2026, 11, 19, 9, 0)),  # Buß- und Bettag (Saxony only)
        (at(2026, 11, 22, 10, 0), "closed", at(2026, 11, 23, 9, 0)),  # Sunday
        (at(2025, 10, 31, 10, 0), "closed", at(2025, 11, 3, 9, 0)),  # Reformationstag, a Friday
        (at(2026, 5, 1, 10, 0), "closed", at(2026, 5, 4, 9, 0)),  # 1 May, nationwide
        (at(2026, 5, 25, 10, 0), "closed", at(2026, 5, 26, 9, 0)),  # Whit Monday
        (at(2026, 12, 24, 10, 0), "open", at(2026, 12, 24, 12, 0)),  # Christmas Eve is a working day
    ],
)
def test_open_state_of_weekday_hours(instant, state, next_change):
    got = open_state(WEEKDAYS, "", instant)
    assert got.state == state
    assert got.next_change == next_change
    assert got.until == (next_change if state == "open" else None)


def test_the_saxon_holidays_are_counted():
    assert is_public_holiday(dt.date(2026, 11, 18))  # Buß- und Bettag
    assert is_public_holiday(dt.date(2025, 10, 31))  # Reformationstag
    assert not is_public_holiday(dt.date(2026, 6, 4))  # Corpus Christi: not in Saxony as a whole
    assert not is_public_holiday(dt.date(2026, 11, 1))  # All Saints: not in Saxony


@pytest.mark.parametrize(
    ("instant", "next_change", "offset_hours"),
    [
        (at(2026, 3, 27, 16, 30), at(2026, 3, 30, 9, 0), 2),  # clocks go forward on Sunday 29 March
        (at(2026, 3, 29, 3, 30), at(2026, 3, 30, 9, 0), 2),
        (at(2026, 10, 24, 10, 0), at(2026, 10, 26, 9, 0), 1),  # clocks go back on Sunday 25 October
    ],
)
def test_next_opening_across_a_change_of_clocks(instant, next_change, offset_hours):
    got = open_state(WEEKDAYS, "", instant)
    assert got.state == "closed"
    assert got.next_change == next_change
    assert got.next_change.utcoffset() == dt.timedelta(hours=offset_hours)


def test_open_in_the_night_the_clocks_go_forward():
    osm = to_osm("So 1-4 Uhr")
    got = open_state(osm, "", at(2026, 3, 29, 1, 30))
    assert got.state == "open"
    assert got.until == at(2026, 3, 29, 4, 0)
    # 01:30 CET to 04:00 CEST is one and a half hours of real time.
    assert got.until.astimezone(dt.UTC) - at(2026, 3, 29, 1, 30).astimezone(dt.UTC) == dt.timedelta(hours=1.5)


def test_naive_instants_are_berlin_and_aware_ones_are_converted():
    naive = open_state(WEEKDAYS, "", dt.datetime(2026, 11, 17, 11, 30))
    utc = open_state(WEEKDAYS, "", dt.datetime(2026, 11, 17, 10, 30, tzinfo=dt.UTC))
    assert naive == utc == OpenState("open", at(2026, 11, 17, 12, 0), at(2026, 11, 17, 12, 0))
    assert utc.next_change.tzinfo == BERLIN


@pytest.mark.parametrize(
    ("osm", "instant", "state", "next_change"),
    [
        # The hours say what happens on public holidays: that wins, also on Saxon-only ones.
        ("Mo-Fr 09:00-12:00; PH 10:00-11:00", at(2026, 11, 18, 10, 30), "open", at(2026, 11, 18, 11, 0)),
        ("Mo-Fr 09:00-12:00; PH 10:00-11:00", at(2026, 11, 18, 9, 30), "closed", at(2026, 11, 18, 10, 0)),
        ("Mo-Fr 09:00-12:00; PH 10:00-11:00", at(2026, 11, 17, 9, 30), "open", at(2026, 11, 17, 12, 0)),
        ("Mo-Fr,PH 09:00-12:00", at(2025, 10, 31, 9, 30), "open", at(2025, 10, 31, 12, 0)),
        ("PH Mo-Fr 09:00-12:00", at(2026, 11, 18, 9, 30), "open", at(2026, 11, 18, 12, 0)),
        ("Mo-Fr 09:00-12:00", at(2026, 11, 18, 9, 30), "closed", at(2026, 11, 19, 9, 0)),  # no PH: closed
        # First Tuesday of the month: 1 December 2026 is one, 8 December is not, next is 5 January 2027.
        ("Tu[1] 15:00-17:00; PH off", at(2026, 12, 1, 15, 30), "open", at(2026, 12, 1, 17, 0)),
        ("Tu[1] 15:00-17:00; PH off", at(2026, 12, 8, 15, 30), "closed", at(2027, 1, 5, 15, 0)),
        # Odd ISO weeks: 3 December 2026 is in week 49, 10 December in week 50.
        ("week 01-53/2 Th 17:00-19:00; PH off", at(2026, 12, 3, 18, 0), "open", at(2026, 12, 3, 19, 0)),
        ("week 01-53/2 Th 17:00-19:00; PH off", at(2026, 12, 10, 18, 0), "closed", at(2026, 12, 17, 17, 0)),
        # Valid from a date.
        ("2027 Jan 04+ Mo 10:00-12:00", at(2026, 12, 28, 11, 0), "closed", at(2027, 1, 4, 10, 0)),
    ],
)
def test_open_state_of_tricky_hours(osm, instant, state, next_change):
    got = open_state(osm, "", instant)
    assert (got.state, got.next_change) == (state, next_change)


@pytest.mark.parametrize(
    ("osm", "text", "state", "until", "next_change"),
    [
        (None, "nach Vereinbarung", "appointment", None, None),
        ("", "Termine nur nach Vereinbarung", "appointment", None, None),
        ("", "", "unknown", None, None),
        ("", "täglich 9-12", "unknown", None, None),
        ("Mo 9-12", "Mo 9-12", "unknown", None, None),  # not a valid value: as if there were none
        # Hours, and appointments the only way in: by appointment, the hours still tell when.
        ("Mo-Fr 08:00-16:00; PH off", "Mo-Fr 8-16; nur mit Termin", "appointment",
         at(2026, 11, 17, 16, 0), at(2026, 11, 17, 16, 0)),
        # Hours, and appointments also possible: the hours decide.
        ("Th 13:00-16:00; PH off", "Do 13-16 und nach Vereinbarung", "closed", None, at(2026, 11, 19, 13, 0)),
        # The hours themselves say "unknown" for the moment.
        ('Tu 09:00-12:00 unknown "nach Vereinbarung"', "Di nach Vereinbarung", "appointment",
         None, at(2026, 11, 17, 12, 0)),
        ('Tu 09:00-12:00 unknown "?"', "", "unknown", None, at(2026, 11, 17, 12, 0)),
    ],
)  # fmt: skip
def test_open_state_and_appointments(osm, text, state, until, next_change):
    assert open_state(osm, text, at(2026, 11, 17, 10, 0)) == OpenState(state, until, next_change)


@pytest.mark.parametrize(
    ("osm", "instant", "expected"),
    [
        (WEEKDAYS, at(2026, 11, 17, 7, 0), True),  # before opening
        (WEEKDAYS, at(2026, 11, 17, 20, 0), True),  # after closing: it did open that day
        (WEEKDAYS, at(2026, 11, 18, 10, 0), False),  # Buß- und Bettag
        (WEEKDAYS, at(2026, 11, 22, 10, 0), False),  # Sunday
        (WEEKDAYS, dt.datetime(2026, 11, 17, 23, 30, tzinfo=dt.UTC), False),  # already Wednesday in Berlin
        ("Tu[1] 15:00-17:00", at(2026, 12, 1, 8, 0), True),
        ("Tu[1] 15:00-17:00", at(2026, 12, 8, 8, 0), False),
        ("", at(2026, 11, 17, 10, 0), False),
        ("Mo-Fr 9-12", at(2026, 11, 17, 10, 0), False),
    ],
)
def test_open_today(osm, instant, expected):
    assert open_today(osm, instant) is expected


# --- against a brute-force oracle ---------------------------------------------------------------------

_GERMAN_DAYS = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"]
_SAXONY = holidays.country_holidays("DE", subdiv="SN", years=range(2025, 2029))


@st.composite
def weekly_hours(draw):
    """{weekday: [(open minute, close minute)]}: up to two ranges a day, quarter hours, 06:00-22:00."""
    table = {}
    for day in draw(st.sets(st.integers(0, 6), min_size=1, max_size=7)):
        cuts = sorted(draw(st.sets(st.integers(24, 88), min_size=2, max_size=4)))
        pairs = [(cuts[i] * 15, cuts[i + 1] * 15) for i in range(0, len(cuts) - 1, 2)]
        table[day] = pairs
    return table


def _german(table) -> str:
    def hhmm(minute):
        return f"{minute // 60}:{minute % 60:02d}"

    return ", ".join(
        f"{_GERMAN_DAYS[day]} " + " und ".join(f"{hhmm(a)}-{hhmm(b)}" for a, b in table[day])
        for day in sorted(table)
    )


def _oracle_open(table, instant: dt.datetime) -> bool:
    local = instant.astimezone(BERLIN)
    if local.date() in _SAXONY:
        return False
    minute = local.hour * 60 + local.minute
    return any(a <= minute < b for a, b in table.get(local.weekday(), []))


@settings(max_examples=150, deadline=None)
@given(
    table=weekly_hours(),
    quarter=st.integers(0, 3 * 365 * 96),
)
def test_open_state_matches_a_quarter_hour_walk(table, quarter):
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=15 * quarter)
    text = _german(table)
    osm = to_osm(text)
    assert osm is not None, text
    is_open = _oracle_open(table, start)
    step = start
    for _ in range(40 * 96):  # the longest closed stretch is well under 40 days
        step += dt.timedelta(minutes=15)
        if _oracle_open(table, step) != is_open:
            break
    else:
        pytest.fail("no change within 40 days")
    got = open_state(osm, text, start)
    assert got.state == ("open" if is_open else "closed"), (text, start)
    assert got.next_change == step, (text, start)
    assert open_today(osm, start) == any(
        _oracle_open(table, m)
        for m in (
            dt.datetime.combine(start.astimezone(BERLIN).date(), dt.time(0), tzinfo=BERLIN)
            + dt.timedelta(minutes=q * 15)
            for q in range(96)
        )
    )


# --- the HSDS view of the same reader -----------------------------------------------------------------


def test_hsds_rules_are_only_what_holds_every_week():
    def rules(text):
        return [(r["byday"], r["opens_at"], r["closes_at"]) for r in parse_opening_hours(text)]

    assert rules("jeden 1. Donnerstag im Monat 15-17") == []
    assert rules("Do 17-19 (ungerade Kalenderwochen)") == []
    assert rules("Mo u. Do 9-15, Di 9-18, Mi u. Fr nach Vereinbarung") == [
        ("MO,TH", "09:00", "15:00"),
        ("TU", "09:00", "18:00"),
    ]
    assert rules("Di+Do 08:30-12:00; Mo/Mi/Fr geschlossen") == [("TU,TH", "08:30", "12:00")]
