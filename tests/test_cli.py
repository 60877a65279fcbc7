"""The command-line contract: JSON shapes, exit codes, never a traceback."""

import json
import subprocess
import sys

import pytest
from helpers import make_offices_csv, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import finder.cli.locate
from finder.cli import main
from finder.cli._output import EXIT_CRASH, EXIT_USAGE
from finder.cli.nearest import RESULT_FIELDS
from finder.vocab import DISTRICTS

LOCATE_KEYS = {"query", "label", "lat", "lon", "district", "precision", "in_saxony", "source", "alternatives"}


def test_locate_json(capsys):
    code, out, _ = run_cli(["locate", "Görliz", "--json"], capsys)
    assert code == 0
    obj = json.loads(out)
    assert set(obj) >= LOCATE_KEYS
    assert obj["district"] == "Görlitz"
    assert obj["in_saxony"] is True
    assert obj["source"] == "offline"
    for alt in obj["alternatives"]:
        assert set(alt) == {"label", "lat", "lon", "district"}


def test_locate_ambiguous_lists_alternatives(capsys):
    obj = json.loads(run_cli(["locate", "Oelsnitz", "--json"], capsys)[1])
    districts = {obj["district"]} | {a["district"] for a in obj["alternatives"]}
    assert {"Vogtlandkreis", "Erzgebirgskreis"} <= districts


def test_locate_outside_saxony_exits_0(capsys):
    code, out, _ = run_cli(["locate", "10115", "--json"], capsys)
    obj = json.loads(out)
    assert code == 0
    assert obj["in_saxony"] is False
    assert obj["district"] is None


def test_locate_nothing_exits_1_with_error(capsys):
    code, out, _ = run_cli(["locate", "qwxzvbnm", "--json"], capsys)
    assert code == 1
    assert set(json.loads(out)) == {"error"}


def test_nearest_json_contract(capsys):
    code, out, _ = run_cli(
        ["nearest", "--at", "01067", "--topic", "asylum", "--limit", "5", "--json"], capsys
    )
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
    code, out, _ = run_cli(
        ["nearest", "--at", "50.83,12.92", "--kind", "JMD", "--kind", "MBE", "--age", "20", "--json"], capsys
    )
    obj = json.loads(out)
    assert code == 0
    assert obj["origin"]["district"] == "Chemnitz"
    assert obj["results"]
    assert {r["kind"] for r in obj["results"]} == {"JMD"}  # 20-year-olds go to the youth service


def test_nearest_language_not_stated_after_stated(capsys):
    obj = json.loads(
        run_cli(["nearest", "--at", "Leipzig", "--language", "ar", "--limit", "50", "--json"], capsys)[1]
    )
    flags = [r["language_stated"] for r in obj["results"]]
    assert flags == sorted(flags, reverse=True)
    assert all("ar" in r["languages"] for r in obj["results"] if r["language_stated"])


def test_nearest_unknown_topic_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        run_cli(["nearest", "--at", "Dresden", "--topic", "astrology"], capsys)
    assert exc.value.code == 2


def test_validate_real_data_is_valid(capsys):
    assert run_cli(["validate"], capsys)[0] == 0


def test_validate_reports_path_line_field(tmp_path, capsys):
    path = make_offices_csv(tmp_path / "bad.csv", [{"id": "x"}, {"id": "x", "kind": "NOPE"}])
    code, out, _ = run_cli(["validate", str(path)], capsys)
    assert code == 1
    lines = out.strip().splitlines()
    assert f"{path}:3: id: " in out
    assert any(line.startswith(f"{path}:3: kind: ") for line in lines)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=60))
def test_locate_any_text_gives_json_never_a_traceback(capsys, text):
    code, out, _ = run_cli(["locate", "--json", "--", text], capsys)  # "--": a text may start with "-"
    assert code in (0, 1, 2)  # 2: a "lat,lon" out of range
    obj = json.loads(out)
    assert ("error" in obj) == (code != 0)


# -- finder.cli.main's own error handling (every other test runs the commands through helpers.run_cli) ---
class _BrokenLocator:
    """Stands in for finder.places.Locator: fails the way a bug (or Ctrl-C) would."""

    error: BaseException = RuntimeError("boom")

    def __init__(self, settings):
        pass

    def locate(self, text):
        raise self.error


@pytest.mark.parametrize("as_json", [True, False])
def test_main_reports_a_crash_as_exit_3_without_a_traceback(monkeypatch, capsys, as_json):
    monkeypatch.setattr(finder.cli.locate, "Locator", _BrokenLocator)
    code = main(["locate", "Dresden", *(["--json"] if as_json else [])])
    out, err = capsys.readouterr()
    assert code == EXIT_CRASH
    message = json.loads(out)["error"] if as_json else err
    assert "unexpected error (RuntimeError: boom)" in message
    assert "Traceback" not in out + err
    with pytest.raises(RuntimeError, match="boom"):  # the test runner lets it through
        run_cli(["locate", "Dresden"], capsys)


def test_main_tells_usage_errors_from_crashes(monkeypatch, capsys):
    assert main(["locate", "91,13", "--json"]) == EXIT_USAGE  # out of range
    assert "out of range" in json.loads(capsys.readouterr().out)["error"]
    with pytest.raises(SystemExit) as exc:
        main(["locate", "--no-such-option", "Dresden"])
    assert exc.value.code == EXIT_USAGE
    assert "unrecognized arguments" in capsys.readouterr().err
    monkeypatch.setattr(_BrokenLocator, "error", KeyboardInterrupt())
    monkeypatch.setattr(finder.cli.locate, "Locator", _BrokenLocator)
    assert main(["locate", "Dresden"]) == 130
    assert capsys.readouterr().err == "interrupted\n"


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
