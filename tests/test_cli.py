"""The command-line contract: JSON shapes, exit codes, never a traceback."""

import json
import subprocess
import sys

import pytest
from helpers import make_offices_csv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finder.cli import main
from finder.cli.nearest import RESULT_FIELDS
from finder.vocab import DISTRICTS

LOCATE_KEYS = {"query", "label", "lat", "lon", "district", "precision", "in_saxony", "source", "alternatives"}


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_locate_json(capsys):
    code, out, _ = run(capsys, "locate", "Görliz", "--json")
    assert code == 0
    obj = json.loads(out)
    assert set(obj) >= LOCATE_KEYS
    assert obj["district"] == "Görlitz"
    assert obj["in_saxony"] is True
    assert obj["source"] == "offline"
    for alt in obj["alternatives"]:
        assert set(alt) == {"label", "lat", "lon", "district"}


def test_locate_ambiguous_lists_alternatives(capsys):
    obj = json.loads(run(capsys, "locate", "Oelsnitz", "--json")[1])
    districts = {obj["district"]} | {a["district"] for a in obj["alternatives"]}
    assert {"Vogtlandkreis", "Erzgebirgskreis"} <= districts


def test_locate_outside_saxony_exits_0(capsys):
    code, out, _ = run(capsys, "locate", "10115", "--json")
    obj = json.loads(out)
    assert code == 0
    assert obj["in_saxony"] is False
    assert obj["district"] is None


def test_locate_nothing_exits_1_with_error(capsys):
    code, out, _ = run(capsys, "locate", "qwxzvbnm", "--json")
    assert code == 1
    assert set(json.loads(out)) == {"error"}


def test_nearest_json_contract(capsys):
    code, out, _ = run(capsys, "nearest", "--at", "01067", "--topic", "asylum", "--limit", "5", "--json")
    assert code == 0
    obj = json.loads(out)
    assert set(obj) == {"origin", "results", "responsible", "statewide"}
    assert set(obj["origin"]) >= LOCATE_KEYS
    results = obj["results"]
    assert 0 < len(results) <= 5
    for r in results:
        assert tuple(r) == RESULT_FIELDS
        assert "asylum" in r["topics"]
        assert isinstance(r["languages"], list)
        assert r["district"] in DISTRICTS
    distances = [r["distance_km"] for r in results]
    assert distances == sorted(distances)
    assert {r["kind"] for r in obj["responsible"]} <= {"ABH", "KAIB"}
    assert all(r["district"] == "Dresden" for r in obj["responsible"])
    assert all(r["district"] == "Sachsen" for r in obj["statewide"])


def test_nearest_at_coordinates_and_age(capsys):
    code, out, _ = run(
        capsys, "nearest", "--at", "50.83,12.92", "--kind", "JMD", "--kind", "MBE", "--age", "20", "--json"
    )
    obj = json.loads(out)
    assert code == 0
    assert obj["origin"]["district"] == "Chemnitz"
    assert obj["results"]
    assert {r["kind"] for r in obj["results"]} == {"JMD"}  # 20-year-olds go to the youth service


def test_nearest_language_not_stated_after_stated(capsys):
    obj = json.loads(
        run(capsys, "nearest", "--at", "Leipzig", "--language", "ar", "--limit", "50", "--json")[1]
    )
    flags = [r["language_stated"] for r in obj["results"]]
    assert flags == sorted(flags, reverse=True)
    assert all("ar" in r["languages"] for r in obj["results"] if r["language_stated"])


def test_nearest_unknown_topic_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["nearest", "--at", "Dresden", "--topic", "astrology"])
    assert exc.value.code == 2


def test_validate_real_data_is_valid(capsys):
    assert run(capsys, "validate")[0] == 0


def test_validate_reports_path_line_field(tmp_path, capsys):
    path = make_offices_csv(tmp_path / "bad.csv", [{"id": "x"}, {"id": "x", "kind": "NOPE"}])
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 1
    lines = out.strip().splitlines()
    assert f"{path}:3: id: " in out
    assert any(line.startswith(f"{path}:3: kind: ") for line in lines)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=60))
def test_locate_any_text_gives_json_never_a_traceback(capsys, text):
    code = main(["locate", "--json", "--", text])  # "--": a text may start with "-"
    out = capsys.readouterr().out
    assert code in (0, 1)
    obj = json.loads(out)
    assert ("error" in obj) == (code == 1)


def test_console_entry_point_without_traceback():
    proc = subprocess.run(
        [sys.executable, "-m", "finder.cli", "nearest", "--at", "\ud7ff<b>\u202e; DROP TABLE", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Traceback" not in proc.stderr
    assert proc.returncode in (0, 1)
    json.loads(proc.stdout)
