"""The command line loads only what a command needs (the start-up cost is measured in benchmarks/bench_cli.py)."""

import json
import subprocess
import sys

import pytest

# Modules that cost a second or more to import, or open databases: a place look-up needs none of them.
HEAVY = ("pandas", "geopandas", "pyogrio", "sqlalchemy", "scipy", "streamlit", "folium", "access", "altair")


def imported_by(*argv: str) -> set[str]:
    """Top-level names of the modules a fresh ``finder ARGV`` process has imported when it ends."""
    code = (
        "import sys, json; from finder.cli import main; code = main(sys.argv[1:]); "
        "sys.stderr.write(json.dumps(sorted({m.split('.')[0] for m in sys.modules}))); sys.exit(code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def test_locate_imports_no_heavy_module():
    modules = imported_by("locate", "Leipzig", "--json")
    assert "geopy" in modules and "finder" in modules  # the look-up really ran through the gazetteer
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


@pytest.mark.parametrize("argv", [("nearest", "--at", "01067", "--json"), ("validate",)])
def test_search_and_validation_need_no_database_analysis_or_ui(argv):
    modules = imported_by(*argv)
    assert "pandas" in modules  # the directory is a table
    unwanted = {"sqlalchemy", "scipy", "streamlit", "folium", "access", "altair", "geopandas"}
    assert not modules & unwanted, sorted(modules & unwanted)
