"""``finder build-data --offices``: checked before anything is rebuilt, imported through the change history.

The geodata rebuild itself (npm package, 50 s) is replaced by a stand-in here: these tests are about the
office import that follows it. The compiled directory is made from the embedded one (as the team's
compilation would look: its own target-group text, no positions), so no file outside the repository is read.
"""

from __future__ import annotations

import csv
import shutil

import pytest
from helpers import REPO, make_offices_csv, run_cli

from finder import _build_data, corrections
from finder.corrections import CorrectionStore
from finder.directory import load_offices, validate_file

COMPILED_COLUMNS = (
    "id", "name", "provider", "kind", "street", "postcode", "city", "district", "phone", "email", "website",
    "languages", "topics", "target_group", "opening_hours", "source_url", "source_date", "notes",
)  # fmt: skip


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """A copy of data/, a compiled file made from it, its own corrections database; no geodata rebuild."""
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    compiled = tmp_path / "compiled.csv"
    with (data / "offices.csv").open(encoding="utf-8", newline="") as src:
        rows = list(csv.DictReader(src))
    with compiled.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=COMPILED_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "target_group": row["target_group_original"]})
    rebuilt = []
    monkeypatch.setattr(_build_data, "build_all", lambda data_dir, bkg_dir: rebuilt.append(data_dir) or {})
    monkeypatch.setenv("FINDER_CORRECTIONS_DB", str(tmp_path / "c.sqlite"))
    return data, compiled, rebuilt


def build(capsys, data, *argv):
    return run_cli(["build-data", "--data-dir", str(data), *argv], capsys)


@pytest.mark.parametrize("checked", ["DATE", "2026-02-30", "28.11.2026", ""])
def test_a_malformed_check_date_stops_before_anything_is_rebuilt_or_written(workspace, checked, capsys):
    data, compiled, rebuilt = workspace
    before = (data / "offices.csv").read_bytes()
    code, _, err = build(capsys, data, "--offices", str(compiled), "--checked", checked)
    assert code == 2 and "--checked" in err
    assert rebuilt == [] and (data / "offices.csv").read_bytes() == before


def test_a_missing_offices_file_stops_before_the_rebuild(workspace, tmp_path, capsys):
    data, _, rebuilt = workspace
    code, _, err = build(capsys, data, "--offices", str(tmp_path / "nope.csv"), "--checked", "2026-11-28")
    assert code == 2 and "nope.csv" in err and rebuilt == []


def test_reimporting_the_same_facts_changes_nothing(workspace, capsys):
    data, compiled, rebuilt = workspace
    # One check date for all (the real directory has later ones where maintainers changed an office).
    checked = "2026-11-28"
    header, rows = corrections.read_rows(data / "offices.csv")
    make_offices_csv(data / "offices.csv", [{**r, "last_checked": checked} for r in rows], columns=header)
    before = (data / "offices.csv").read_bytes()
    assert {r["status"] for r in rows} > {""}  # the maintainers' columns are not in the compilation
    code, out, _ = build(capsys, data, "--offices", str(compiled), "--checked", checked)
    assert code == 0 and rebuilt == [data]
    assert '"changed": 0' in out
    assert (data / "offices.csv").read_bytes() == before


def test_a_new_check_date_is_recorded_per_office_and_revertible(workspace, capsys):
    data, compiled, _ = workspace
    before = load_offices(data / "offices.csv").set_index("id")
    code, _, _ = build(capsys, data, "--offices", str(compiled), "--checked", "2027-01-15", "--by", "tester")
    assert code == 0 and validate_file(data / "offices.csv") == []
    after = load_offices(data / "offices.csv").set_index("id")
    assert set(after["last_checked"]) == {"2027-01-15"}
    history = CorrectionStore().history(limit=1000)
    assert len(history) == len(before)
    change = history[0]
    assert change.by == "tester" and change.action == "import"
    assert change.changed["last_checked"] == (before.loc[change.office_id, "last_checked"], "2027-01-15")
    code, _, _ = run_cli(["review", "--data-dir", str(data), "revert", str(change.id)], capsys)
    assert code == 0
    assert (
        load_offices(data / "offices.csv").set_index("id").loc[change.office_id, "last_checked"]
        == (before.loc[change.office_id, "last_checked"])
    )
