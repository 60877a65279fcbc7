"""The command line checks its input with finder.rules, as the pages do: out of range is a usage error (2)."""

import json

import pytest
from helpers import run_cli

from finder.cli import main
from finder.cli._output import EXIT_USAGE


@pytest.mark.parametrize(
    "option",
    [
        ("--limit", "-1"), ("--limit", "0"), ("--limit", "51"), ("--radius", "nan"), ("--radius", "inf"),
        ("--radius", "0"), ("--radius", "1e3"), ("--age", "-1"), ("--age", "121"), ("--age", "٣٠"),
        ("--language", "<script>"), ("--language", "xx"), ("--open", "soon"), ("--at-time", "2026-02-30T10:00"),
        ("--at-time", "2026-12-01 10:00"), ("--at-time", "2026-12-01T24:00"), ("--at-time", "morgen"),
        ("--at-time", "２０２６-12-01T10:00"),
    ],
)  # fmt: skip
def test_filters_out_of_range_are_usage_errors(capsys, option):
    with pytest.raises(SystemExit) as exc:
        run_cli(["nearest", "--at", "01067", *option], capsys)
    assert exc.value.code == EXIT_USAGE
    assert option[0] in capsys.readouterr().err


@pytest.mark.parametrize(
    "option",
    [
        ("--limit", "50"),
        ("--radius", "500"),
        ("--age", "120"),
        ("--age", "0"),
        ("--at-time", "2026-12-31T23:59"),
    ],
)
def test_the_bounds_themselves_are_accepted(capsys, option):
    code, out, _ = run_cli(["nearest", "--at", "01067", "--json", *option], capsys)
    assert code == 0 and json.loads(out)["origin"]["label"].startswith("01067")


@pytest.mark.parametrize("at", ["51.05,373.74", "91,0", "-91,13", "51.05,-181"])
def test_coordinates_out_of_range_are_refused_not_wrapped(capsys, at):
    assert main(["nearest", f"--at={at}", "--json"]) == EXIT_USAGE
    out, err = capsys.readouterr()
    assert "out of range" in json.loads(out)["error"] and "Warning" not in err


def test_coordinates_in_range_are_used_as_given(capsys):
    code, out, _ = run_cli(["locate", "51.05,13.74", "--json"], capsys)
    place = json.loads(out)
    assert code == 0 and (place["lat"], place["lon"], place["district"]) == (51.05, 13.74, "Dresden")


@pytest.mark.parametrize(
    ("variable", "value", "argv"),
    [
        ("FINDER_GEOCODER", "bogus", ["locate", "Dresden"]),
        ("FINDER_CORRECTIONS_TARGET", "ftp", ["review", "list"]),
    ],
)
def test_an_unusable_setting_is_a_usage_error_not_a_crash(
    monkeypatch, capsys, tmp_path, variable, value, argv
):
    monkeypatch.setenv("FINDER_CORRECTIONS_DB", str(tmp_path / "c.sqlite"))
    monkeypatch.setenv(variable, value)
    assert main(argv) == EXIT_USAGE
    err = capsys.readouterr().err
    assert variable in err and "please report" not in err
