"""The command-line contract: JSON shapes, exit codes, never a traceback."""

import json
import shutil
import subprocess
import sys

import pytest
from helpers import REPO, make_offices_csv, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import finder.cli.locate
from finder.cli import main
from finder.cli._output import EXIT_BROKEN_PIPE, EXIT_CRASH, EXIT_USAGE
from finder.cli.nearest import RESULT_FIELDS, TOP_LEVEL
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
    assert tuple(obj) == TOP_LEVEL
    assert set(obj["origin"]) >= LOCATE_KEYS
    assert obj["nearest_stated"] is None and obj["online_in_language"] == []  # no language asked for
    results = obj["results"]
    assert 0 < len(results) <= 5
    for r in results:
        assert tuple(r) == RESULT_FIELDS
        assert "asylum" in r["topics"]
        assert isinstance(r["languages"], list)
        assert r["district"] in DISTRICTS
        assert r["language_match"] is None
        assert r["open_state"] in ("open", "closed", "appointment", "unknown")
        assert r["status"] in ("active", "possibly closed")
        assert r["interpreting"] in ("yes", "no", None)
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


def test_nearest_language_ranks_by_distance_over_the_eligible(capsys):
    obj = json.loads(
        run_cli(["nearest", "--at", "Leipzig", "--language", "ar", "--limit", "50", "--json"], capsys)[1]
    )
    distances = [r["distance_km"] for r in obj["results"]]
    assert distances == sorted(distances)
    for r in obj["results"]:
        states = "ar" in r["languages"]
        assert r["language_match"] == ("stated" if states else "not_stated")
        assert states or not r["languages"] or r["interpreting"] == "yes"


def test_meissen_in_arabic_finds_help_nearby_and_names_the_nearest_that_states_it(capsys):
    # The case of issue 9: Meißen, Arabic. Offices in and around Meißen come first, the nearest office that
    # states Arabic is named with its distance, and the online services that state Arabic are listed.
    argv = ["nearest", "--at", "Meißen", "--language", "ar", "--limit", "8", "--at-time", "2026-12-01T10:00"]
    obj = json.loads(run_cli([*argv, "--json"], capsys)[1])
    results = obj["results"]
    assert len(results) == 8
    assert results[0]["distance_km"] < 10 and results[0]["district"] == "Meißen"
    assert all(r["language_match"] == "not_stated" for r in results)
    stated = obj["nearest_stated"]
    assert "ar" in stated["languages"] and stated["language_match"] == "stated"
    # Any office stating Arabic nearer than the eighth result would have been listed itself.
    assert stated["distance_km"] >= results[-1]["distance_km"]
    assert obj["online_in_language"]
    assert all("ar" in r["languages"] and r["district"] == "Sachsen" for r in obj["online_in_language"])
    assert obj["at"] == "2026-12-01T10:00+01:00"
    code, text, _ = run_cli(argv, capsys)
    assert code == 0 and f"Nearest office that states ar: {stated['name']}" in text


@pytest.fixture
def tiny_data(tmp_path):
    """A data folder with the real geodata and four offices worked out by hand."""
    folder = tmp_path / "data"
    shutil.copytree(REPO / "data", folder, ignore=shutil.ignore_patterns("offices.csv"))
    rows = [
        {"id": "mbe-near", "opening_hours": "Mo-Fr 9-12", "opening_hours_osm": "Mo-Fr 09:00-12:00",
         "lat": "51.06", "lon": "13.74", "geocode_precision": "place"},
        {"id": "fsa-interp", "kind": "FSA", "languages": "ru", "interpreting": "yes",
         "opening_hours": "nach Vereinbarung", "lat": "51.07", "lon": "13.74", "geocode_precision": "place"},
        {"id": "recht-far-ar", "kind": "RECHT", "languages": "ar", "status": "possibly closed",
         "district": "Leipzig", "lat": "51.34", "lon": "12.37", "geocode_precision": "place"},
        {"id": "ru-only", "languages": "ru", "lat": "51.05", "lon": "13.74", "geocode_precision": "place"},
        {"id": "online-ar", "languages": "ar", "district": "Sachsen"},
    ]  # fmt: skip
    make_offices_csv(folder / "offices.csv", rows)
    return folder


def test_nearest_contract_by_hand(tiny_data, capsys):
    base = ["nearest", "--at", "51.0504,13.7373", "--language", "ar", "--limit", "2", "--json"]
    obj = json.loads(
        run_cli([*base, "--data-dir", str(tiny_data), "--at-time", "2026-12-01T10:00"], capsys)[1]
    )
    first, second = obj["results"]
    assert (first["id"], first["language_match"], first["interpreting"], first["status"]) == (
        "mbe-near", "not_stated", None, "active"
    )  # fmt: skip
    assert (first["opening_hours"], first["opening_hours_text"]) == ("Mo-Fr 09:00-12:00", "Mo-Fr 9-12")
    assert (first["open_state"], first["next_change"]) == ("open", "2026-12-01T12:00+01:00")
    assert (second["id"], second["language_match"], second["interpreting"]) == (
        "fsa-interp",
        "not_stated",
        "yes",
    )
    assert (second["opening_hours"], second["open_state"], second["next_change"]) == (
        None,
        "appointment",
        None,
    )
    stated = obj["nearest_stated"]
    assert (stated["id"], stated["status"], stated["language_match"]) == (
        "recht-far-ar",
        "possibly closed",
        "stated",
    )
    assert 95 < stated["distance_km"] < 105  # Dresden to Leipzig
    assert [r["id"] for r in obj["online_in_language"]] == ["online-ar"]
    # Open now at 10:00 on a Tuesday: only the office with hours; at 13:00 nothing; after hours it says when.
    now = ["--data-dir", str(tiny_data), "--open", "now", "--at-time"]
    assert [
        r["id"] for r in json.loads(run_cli([*base, *now, "2026-12-01T10:00"], capsys)[1])["results"]
    ] == ["mbe-near"]
    assert json.loads(run_cli([*base, *now, "2026-12-01T13:00"], capsys)[1])["results"] == []
    later = json.loads(
        run_cli([*base, "--data-dir", str(tiny_data), "--at-time", "2026-12-04T13:00"], capsys)[1]
    )
    assert (later["results"][0]["open_state"], later["results"][0]["next_change"]) == (
        "closed", "2026-12-07T09:00+01:00"
    )  # Friday afternoon: opens on Monday  # fmt: skip


def test_open_filter_on_the_real_directory(capsys):
    argv = ["nearest", "--at", "Leipzig", "--limit", "50", "--at-time", "2026-12-01T10:00", "--json"]
    now = json.loads(run_cli([*argv, "--open", "now"], capsys)[1])["results"]
    today = {r["id"] for r in json.loads(run_cli([*argv, "--open", "today"], capsys)[1])["results"]}
    assert now and {r["id"] for r in now} <= today
    for r in now:
        assert r["opening_hours"] is not None and r["open_state"] in ("open", "appointment")
        assert r["next_change"] is None or r["next_change"] > "2026-12-01T10:00"


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


def test_output_into_a_closed_pipe_ends_quietly():
    # `finder nearest … | head -1`: the reader is gone before the output. A Unix tool stops quietly with
    # 128 + SIGPIPE; the reading end is closed before the child (a Python start-up away) writes anything.
    argv = [sys.executable, "-m", "finder.cli", "nearest", "--at", "Meißen", "--limit", "50", "--json"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == EXIT_BROKEN_PIPE == 141
    assert err == ""
