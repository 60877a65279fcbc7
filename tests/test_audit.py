"""Tests of finder.corrections.audit (``finder review apply-audit``) and of the editor's handling of the
columns the audit of 2026-11-29 brought (structured hours, status, older files)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from helpers import REPO, make_offices_csv, run_cli

from finder import corrections
from finder.corrections import CorrectionStore, DirectoryEditor
from finder.corrections.audit import apply_audit, audit_date, read_audit, read_new_rows
from finder.directory import ADDED_COLUMNS, OFFICE_COLUMNS, validate_file
from finder.errors import CorrectionError

TODAY = dt.date(2026, 12, 1)
AUDIT_HEADER = "id\tfield\tcurrent\tproposed\tevidence_url\tevidence_date\tnote"

OFFICES = [
    {"id": "a", "city": "Dresden", "source_url": "https://a.example/1", "lat": "51.05089", "lon": "13.73832",
     "geocode_precision": "place", "geocode_source": "geonames-place"},
    {"id": "b", "opening_hours": "Di 9-12; Mo/Mi/Fr geschlossen", "opening_hours_osm": "Tu 09:00-12:00; PH off",
     "notes": "alt"},
    {"id": "c", "opening_hours": "Mo 9-12 (Stand 2015)", "opening_hours_osm": "Mo 09:00-12:00; PH off"},
    {"id": "d", "phone": "0351 999"},
    {"id": "keep", "kind": "PSZ", "languages": "ar"},
    {"id": "dup", "kind": "PSZ", "languages": "ar", "notes": "erste Notiz"},
]  # fmt: skip

FINDINGS = [
    # line 2: a value where the auditor saw none; line 3: the same page again (source_url gets it once)
    ("a", "postcode", "", "01067", "https://ev.example/a", "2024-09", "Markt 1, 01067 Dresden"),
    ("a", "phone", "", "0351 1234", "https://ev.example/a", "undated", ""),
    ("a", "languages", "", "(leave empty)", "https://ev.example/x", "undated", "course languages"),  # 4
    ("b", "opening_hours", "Di 9-12; Mo/Mi/Fr geschlossen", "(unverified)", "https://ev.example/b", "2022",
     "not supported"),  # 5
    ("c", "opening_hours", "(2015 hours)", "(none)", "https://ev.example/c", "2016-04", "changed since"),  # 6
    ("d", "phone", "0351 111", "0351 222", "https://ev.example/d", "2020", ""),  # 7: changed since the audit
    ("d", "status", "active", "possibly closed", "https://ev.example/d2", "2024-05", "funding cut"),  # 8
    ("dup", "duplicate_of", " ", "keep", "https://ev.example/dup", "undated", "same address"),  # 9
    ("b", "notes", "", "phone is the main office's", "https://ev.example/b", "undated", ""),  # 10
    ("nobody", "phone", "", "0351 1", "https://ev.example/n", "undated", ""),  # 11
    ("a", "colour", "", "blue", "https://ev.example/a", "undated", ""),  # 12
    ("(new)", "new_row", "", "JMD X in Hoyerswerda", "https://ev.example/new", "2023-06-15", "a note"),  # 13
    ("(new)", "new_row", "", "JMD Y somewhere in Bautzen", "https://ev.example/y", "undated", ""),  # 14
    ("(new)", "new_row", "", "something without a structured row", "https://ev.example/z", "2020", ""),  # 15
]  # fmt: skip
NEW_ROWS = [
    {"line": "13", "id": "jmd-x", "name": "JMD X", "kind": "JMD", "city": "Hoyerswerda", "district": "Bautzen",
     "target_group": "12-27", "topics": "youth"},
    {"line": "14", "id": "jmd-y", "name": "JMD Y", "kind": "JMD", "district": "Bautzen", "target_group": "12-27",
     "topics": "youth"},
]  # fmt: skip


def write_audit(path: Path, findings=FINDINGS) -> Path:
    path.write_text("\n".join([AUDIT_HEADER, *("\t".join(f) for f in findings)]) + "\n", encoding="utf-8")
    return path


def write_new_rows(path: Path, rows=NEW_ROWS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, ["line", *OFFICE_COLUMNS], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def setup(tmp_path):
    csv_path = make_offices_csv(tmp_path / "offices.csv", OFFICES)
    store = CorrectionStore(str(tmp_path / "c.sqlite"))
    editor = DirectoryEditor(store, csv_path, target="csv", today=lambda: TODAY)
    audit = write_audit(tmp_path / "2026-11-29.tsv")
    write_new_rows(tmp_path / "2026-11-29.new-rows.csv")
    yield editor, csv_path, audit
    store.dispose()


def rows_of(path: Path) -> dict[str, dict[str, str]]:
    return {r["id"]: r for r in corrections.read_rows(path)[1]}


def test_every_kind_of_finding(setup):
    editor, csv_path, audit = setup
    outcomes = {o.line: o for o in apply_audit(editor, audit, by="auditor", data_dir=REPO / "data")}
    assert sorted(line for line, o in outcomes.items() if o.applied) == [2, 3, 5, 6, 8, 9, 10, 13, 14]
    skipped = {line: o.reason for line, o in outcomes.items() if not o.applied}
    assert skipped[4] == "already empty"
    assert skipped[7].startswith("changed since the audit: now '0351 999'")
    assert "no office" in skipped[11] and skipped[12] == "unknown field 'colour'"
    assert "companion file" in skipped[15]
    rows = rows_of(csv_path)
    a = rows["a"]
    # The postcode moves the office to the postcode's point; the evidence page is added once.
    assert (a["postcode"], a["phone"], a["geocode_precision"]) == ("01067", "0351 1234", "postcode")
    assert a["source_url"] == "https://a.example/1 | https://ev.example/a"
    assert a["last_checked"] == TODAY.isoformat()
    # Instructions clear the value, and the structured hours with it; a described current is not compared.
    assert (rows["b"]["opening_hours"], rows["b"]["opening_hours_osm"]) == ("", "")
    assert (rows["c"]["opening_hours"], rows["c"]["opening_hours_osm"]) == ("", "")
    assert rows["b"]["notes"] == "alt | phone is the main office's"
    assert (rows["d"]["phone"], rows["d"]["status"]) == ("0351 999", "possibly closed")
    # The duplicate is closed with a note naming the office kept; it stays in the file.
    assert rows["dup"]["status"] == "closed" and rows["keep"]["status"] == ""
    assert rows["dup"]["notes"].startswith("erste Notiz | Doppelter Eintrag von keep")
    # New offices: only the given facts, the evidence as source, a date only where it is one, placed offline.
    x, y = rows["jmd-x"], rows["jmd-y"]
    assert (x["source_url"], x["source_date"], x["geocode_precision"]) == ("https://ev.example/new", "2023-06-15",
                                                                           "place")  # fmt: skip
    assert (y["source_date"], y["geocode_precision"], y["geocode_source"]) == ("", "district", "bkg-district")
    assert (x["street"], x["postcode"], x["phone"]) == ("", "", "")
    assert validate_file(csv_path) == []


def test_each_change_keeps_its_source_in_the_history_and_can_be_reverted(setup):
    editor, csv_path, audit = setup
    outcomes = apply_audit(editor, audit, by="auditor", data_dir=REPO / "data")
    history = editor.store.history("a")
    assert [c.action for c in history] == ["audit", "audit"]
    phone = next(c for c in history if "phone" in c.changed)
    assert phone.by == "auditor"
    assert "line 3" in phone.reason and "https://ev.example/a (undated)" in phone.reason
    postcode = next(c for c in history if "postcode" in c.changed)
    assert "Markt 1, 01067 Dresden" in postcode.reason and "2024-09" in postcode.reason
    duplicate = next(o for o in outcomes if o.line == 9)
    editor.revert(duplicate.change_id, by="maintainer")
    assert rows_of(csv_path)["dup"]["status"] == ""


def test_applying_an_audit_twice_changes_nothing(setup):
    editor, csv_path, audit = setup
    apply_audit(editor, audit, by="auditor", data_dir=REPO / "data")
    before, changes = csv_path.read_bytes(), len(editor.store.history())
    again = apply_audit(editor, audit, by="auditor", data_dir=REPO / "data")
    assert not any(o.applied for o in again)
    assert csv_path.read_bytes() == before and len(editor.store.history()) == changes
    reasons = {o.line: o.reason for o in again}
    assert reasons[2] == reasons[3] == "already so" and reasons[9] == "already closed"
    assert reasons[10] == "already in the notes" and reasons[13] == "already in the directory as jmd-x"


def test_dry_run_writes_nothing_and_says_the_same(setup):
    editor, csv_path, audit = setup
    before = csv_path.read_bytes()
    dry = apply_audit(editor, audit, by="auditor", dry_run=True, data_dir=REPO / "data")
    assert csv_path.read_bytes() == before and editor.store.history() == []
    real = apply_audit(editor, audit, by="auditor", data_dir=REPO / "data")
    assert [(o.line, o.applied, o.changes) for o in dry] == [(o.line, o.applied, o.changes) for o in real]


def test_a_refused_change_is_reported_and_the_rest_applied(setup, tmp_path):
    editor, csv_path, _ = setup
    audit = write_audit(tmp_path / "bad.tsv", [
        ("a", "interpreting", "", "maybe", "https://ev.example/a", "undated", ""),
        ("d", "email", "", "d@example.org", "https://ev.example/d", "undated", ""),
    ])  # fmt: skip
    first, second = apply_audit(editor, audit, by="auditor", new_rows=tmp_path / "2026-11-29.new-rows.csv")
    assert not first.applied and first.reason.startswith("refused:") and "interpreting" in first.reason
    assert second.applied and rows_of(csv_path)["d"]["email"] == "d@example.org"


def test_reading_audit_files(tmp_path):
    rows = read_audit(REPO / "data" / "audits" / "2026-11-29.tsv")
    assert len(rows) == 24 and rows[0].line == 2 and rows[-1].field == "new_row"
    assert '"Mo/Mi/Fr geschlossen"' in next(
        r.note for r in rows if r.office_id == "abh-bautzen"
    )  # quotes kept
    assert audit_date("audit-2026-11-29.tsv") == "2026-11-29" and audit_date("x.tsv") == ""
    (tmp_path / "short.tsv").write_text("id\tfield\n", encoding="utf-8")
    with pytest.raises(CorrectionError, match=r"short\.tsv:1: current: missing column"):
        read_audit(tmp_path / "short.tsv")
    (tmp_path / "ragged.tsv").write_text(f"{AUDIT_HEADER}\na\tphone\n", encoding="utf-8")
    with pytest.raises(CorrectionError, match=r"ragged\.tsv:2: row: has 2 fields"):
        read_audit(tmp_path / "ragged.tsv")
    (tmp_path / "n.csv").write_text("line,id,colour\n1,x,blue\n", encoding="utf-8")
    with pytest.raises(CorrectionError, match=r"n\.csv:1: colour"):
        read_new_rows(tmp_path / "n.csv")


def test_the_committed_directory_has_the_audit_applied(tmp_path):
    # On a copy of the repository's data: the audit of 2026-11-29 finds nothing left to do.
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    store = CorrectionStore(str(tmp_path / "c.sqlite"))
    try:
        editor = DirectoryEditor(store, data / "offices.csv", target="csv", today=lambda: TODAY)
        outcomes = apply_audit(
            editor, data / "audits" / "2026-11-29.tsv", by="test", dry_run=True, data_dir=data
        )
    finally:
        store.dispose()
    assert [(o.line, o.reason) for o in outcomes if not o.reason.startswith("already")] == []


def test_cli_apply_audit(tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data, ignore=shutil.ignore_patterns("offices.csv", "audits"))
    make_offices_csv(data / "offices.csv", OFFICES)
    audit = write_audit(tmp_path / "2026-11-29.tsv")
    write_new_rows(tmp_path / "2026-11-29.new-rows.csv")
    base = ["review", "--db", str(tmp_path / "c.sqlite"), "--data-dir", str(data), "apply-audit"]
    code, out, err = run_cli([*base, str(audit), "--dry-run", "--by", "auditor"], capsys)
    assert code == 0 and "line 2: would apply a postcode" in out and "line 7: skipped d phone: changed" in out
    assert "9 would apply, 5 skipped" in err
    code, out, _ = run_cli([*base, str(audit), "--json", "--by", "auditor"], capsys)
    report = json.loads(out)
    assert (code, report["applied"], report["skipped"], report["dry_run"]) == (0, 9, 5, False)
    assert all(r["change_id"] for r in report["rows"] if r["applied"])
    assert rows_of(data / "offices.csv")["d"]["status"] == "possibly closed"


# --- the editor and the added columns ------------------------------------------------------------------


def test_an_edit_of_the_hours_text_refills_the_structured_hours(setup):
    editor, csv_path, _ = setup
    editor.apply("a", {"opening_hours": "Mo+Do 9-12 und 13-15"}, by="m", reason="phone call")
    assert rows_of(csv_path)["a"]["opening_hours_osm"] == "Mo,Th 09:00-12:00,13:00-15:00; PH off"
    editor.apply("a", {"opening_hours": "täglich 9-12"}, by="m", reason="new page")  # not read safely
    assert rows_of(csv_path)["a"]["opening_hours_osm"] == ""
    # A maintainer may set the structured value for a text the reader leaves alone; the same text keeps it.
    editor.apply("a", {"opening_hours_osm": "Mo-Su 09:00-12:00"}, by="m", reason="checked")
    editor.apply("a", {"opening_hours": "täglich 9-12", "phone": "0351 1"}, by="m", reason="form")
    assert rows_of(csv_path)["a"]["opening_hours_osm"] == "Mo-Su 09:00-12:00"
    editor.add({"id": "new", "name": "N", "kind": "MBE", "district": "Dresden", "topics": "work",
                "target_group": "all", "source_url": "https://n.example", "opening_hours": "Di 9-12"},
               by="m", reason="new")  # fmt: skip
    assert rows_of(csv_path)["new"]["opening_hours_osm"] == "Tu 09:00-12:00; PH off"


def test_an_older_file_gets_the_added_columns_at_its_first_edit(tmp_path):
    old_layout = [c for c in OFFICE_COLUMNS if c not in ADDED_COLUMNS]
    path = make_offices_csv(tmp_path / "offices.csv", [{"id": "a"}, {"id": "b"}], columns=old_layout)
    store = CorrectionStore(str(tmp_path / "c.sqlite"))
    try:
        editor = DirectoryEditor(store, path, target="csv", today=lambda: TODAY)
        editor.apply("a", {"status": "possibly closed"}, by="m", reason="letter returned")
    finally:
        store.dispose()
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    assert reader.fieldnames == list(OFFICE_COLUMNS)
    assert [(r["id"], r["status"]) for r in rows] == [("a", "possibly closed"), ("b", "")]
