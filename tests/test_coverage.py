"""Tests of finder.coverage: tiny layouts with hand-computed answers, and invariants on the real data."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from helpers import make_offices_csv, run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from finder import coverage
from finder.core import Finder
from finder.coverage import (
    CostMatrix,
    Coverage,
    CoverageError,
    CoverageFilter,
    StraightLine,
    WhatIf,
    distance_surface,
    district_gaps,
    district_offices,
    e2sfca,
    gap_places,
    grid_cells,
    lonlat_array,
    matching_offices,
    nearest_xy,
    parse_what_if,
    project,
    supply_table,
    unproject,
    what_if_point,
)
from finder.directory import load_offices
from finder.search import geodesic_km
from finder.vocab import DISTRICTS

# A made-up layout on a line in EPSG:25833 (metres): two offices, three population points.
#   A at x=400 km, B at x=430 km (both y=5650 km)
#   P1 5 km north of A, P2 half-way between A and B, P3 29 km east of B
OFFICE_XY = {"A": (400_000, 5_650_000), "B": (430_000, 5_650_000)}
POINT_XY = {"P1": (400_000, 5_655_000), "P2": (415_000, 5_650_000), "P3": (459_000, 5_650_000)}
RESIDENTS = {"P1": 100.0, "P2": 200.0, "P3": 300.0}
POINT_DISTRICT = {"P1": "X", "P2": "X", "P3": "Y"}


def _lonlat(xy: tuple[float, float]) -> tuple[float, float]:
    lon, lat = unproject(np.array([xy[0]]), np.array([xy[1]]))
    return float(lon[0]), float(lat[0])


def tiny_points() -> pd.DataFrame:
    rows = []
    for pid, xy in POINT_XY.items():
        lon, lat = _lonlat(xy)
        rows.append(
            {
                "point_id": pid,
                "name": pid,
                "district": POINT_DISTRICT[pid],
                "ags": "",
                "lat": lat,
                "lon": lon,
                "geonames_population": int(RESIDENTS[pid]),
                "residents": RESIDENTS[pid],
                "population_year": 2022,
            }
        )
    return pd.DataFrame(rows)


def tiny_supply() -> pd.DataFrame:
    rows = []
    for oid, xy in OFFICE_XY.items():
        lon, lat = _lonlat(xy)
        rows.append(
            {
                "id": oid,
                "name": f"Office {oid}",
                "kind": "MBE",
                "district": "X",
                "city": "",
                "lat": lat,
                "lon": lon,
                "capacity": 1.0,
                "hypothetical": False,
                "precision": "street",
            }
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------------
# Tiny layouts: answers known by hand
# ------------------------------------------------------------------------------------------------


def test_projection_round_trip_and_straight_line_matches_geodesic():
    lon, lat = 13.7373, 51.0504  # Dresden
    x, y = project(np.array([lon]), np.array([lat]))
    back_lon, back_lat = unproject(x, y)
    assert back_lon[0] == pytest.approx(lon, abs=1e-9)
    assert back_lat[0] == pytest.approx(lat, abs=1e-9)
    # Dresden–Leipzig: the projected straight line agrees with the geodesic to 0.1 %.
    km = StraightLine().matrix(np.array([[13.7373, 51.0504]]), np.array([[12.3731, 51.3397]]))[0, 0]
    geo = geodesic_km(51.0504, 13.7373, np.array([51.3397]), np.array([12.3731]))[0]
    assert km == pytest.approx(geo, rel=1e-3)


def test_nearest_distances_in_tiny_layout():
    dist, idx = StraightLine().nearest(lonlat_array(tiny_points()), lonlat_array(tiny_supply()))
    assert dist == pytest.approx([5.0, 15.0, 29.0], abs=1e-6)
    assert idx[0] == 0  # P1 → A
    assert idx[2] == 1  # P3 → B


def test_district_gaps_in_tiny_layout():
    pts = tiny_points()
    gaps = district_gaps(pts, np.array([5.0, 15.0, 29.0]), thresholds=(10, 20, 30))
    x, y = gaps.loc["X"], gaps.loc["Y"]
    assert x["residents"] == 300
    assert x["places"] == 2
    assert x["share_beyond_10km"] == pytest.approx(200 / 300)  # P2 only
    assert x["share_beyond_20km"] == 0
    assert x["mean_distance_km"] == pytest.approx((100 * 5 + 200 * 15) / 300)
    assert y["share_beyond_10km"] == 1
    assert y["share_beyond_20km"] == 1
    assert y["share_beyond_30km"] == 0
    assert x["residents_beyond_10km"] == 200


def test_a_place_at_exactly_the_threshold_is_not_beyond_it():
    # P1 at exactly 10 km, P2 at exactly 20 km, P3 at exactly 30 km: "beyond t km" is strictly beyond.
    gaps = district_gaps(tiny_points(), np.array([10.0, 20.0, 30.0]), thresholds=(10, 20, 30))
    x, y = gaps.loc["X"], gaps.loc["Y"]
    assert x["residents_beyond_10km"] == 200  # P2 only
    assert x["residents_beyond_20km"] == 0
    assert y["residents_beyond_20km"] == 300
    assert y["residents_beyond_30km"] == 0
    assert y["share_beyond_30km"] == 0


def test_e2sfca_in_tiny_layout_by_hand():
    # Office A reaches P1 (5 km, weight 1) and P2 (15 km, 0.68): demand 100 + 136 = 236.
    # Office B reaches P2 (15 km, 0.68) and P3 (29 km, 0.22); P1 is 30.4 km away: demand 136 + 66 = 202.
    ra, rb = 1 / 236, 1 / 202
    expected = np.array([ra, 0.68 * (ra + rb), 0.22 * rb]) * 100_000
    score = e2sfca(tiny_points(), tiny_supply())
    assert score.to_numpy() == pytest.approx(expected, rel=1e-9)
    # With the same weights in both steps, all supply is handed out: Σ residents × score = 2 offices.
    assert (tiny_points()["residents"] * score).sum() / 100_000 == pytest.approx(2.0)


def test_e2sfca_point_out_of_reach_scores_zero():
    pts = tiny_points()
    pts.loc[2, ["lon", "lat"]] = _lonlat((520_000, 5_650_000))  # 90 km from B
    score = e2sfca(pts, tiny_supply())
    assert score.iloc[2] == 0


def test_gap_places_greedy_order():
    # Q1 and Q2 are 5 km apart, Q3 far away; all beyond 10 km of any office.
    rows = []
    for name, xy, res in (
        ("Q1", (400_000, 5_600_000), 100.0),
        ("Q2", (405_000, 5_600_000), 50.0),
        ("Q3", (480_000, 5_600_000), 120.0),
    ):
        lon, lat = _lonlat(xy)
        rows.append(
            {
                "name": name,
                "district": "X",
                "lat": lat,
                "lon": lon,
                "residents": res,
                "geonames_population": 0,
            }
        )
    pts = pd.DataFrame(rows)
    out = gap_places(pts, np.array([40.0, 40.0, 40.0]), ["o", "o", "o"], threshold=10)
    assert list(out["name"]) == ["Q1", "Q3", "Q2"]
    assert list(out["pick"]) == [1, 2, 0]
    assert list(out["gain_residents"]) == pytest.approx([150, 120, 150])
    assert list(out["added_residents"]) == pytest.approx([150, 120, 0])


def test_gap_places_in_tiny_layout_and_none_beyond():
    pts = tiny_points()
    out = gap_places(pts, np.array([5.0, 15.0, 29.0]), ["A", "A", "B"], threshold=10)
    assert list(out["name"]) == ["P3", "P2"]  # 44 km apart: each reaches only itself
    assert list(out["gain_residents"]) == [300, 200]
    assert gap_places(pts, np.array([5.0, 15.0, 29.0]), ["A"] * 3, threshold=50).empty


def test_district_offices_counts_ratios_and_dates():
    matching = pd.DataFrame(
        {
            "district": ["Dresden", "Dresden", "Leipzig"],
            "kind": ["MBE", "JMD", "MBE"],
            "topics": ["asylum;work", "asylum", "work"],
            "languages": ["ar", "", ""],
            "street": ["Hauptstr. 1", "", "Ring 2"],
            "source_date": ["2019-05", "2017", ""],
        }
    )
    facts = pd.DataFrame(
        {
            "ags": ["14612", "14713"],
            "name": ["Dresden", "Leipzig"],
            "population": [500_000, 200_000],
            "population_year": [2022, 2023],
            "foreign_population": [20_000, 0],
            "foreign_population_year": [2017, 2017],
        }
    )
    what_if = [WhatIf("x", 51.3, 12.4, "Leipzig")]
    table = district_offices(matching, facts, what_if).set_index("district")
    dd, le = table.loc["Dresden"], table.loc["Leipzig"]
    assert dd["offices"] == 2
    assert dd["offices_per_100k"] == pytest.approx(0.4)
    assert dd["offices_per_10k_foreign"] == pytest.approx(1.0)
    assert dd["share_languages_stated"] == pytest.approx(0.5)
    assert dd["share_street_address"] == pytest.approx(0.5)
    assert dd["oldest_source_date"] == "2017"
    assert dd["kind_MBE"] == 1
    assert dd["kind_JMD"] == 1
    assert dd["topic_asylum"] == 2
    assert dd["topic_work"] == 1
    assert le["offices"] == 2  # one real, one hypothetical
    assert le["what_if_offices"] == 1
    assert le["offices_per_100k"] == pytest.approx(1.0)  # what-if offices count per head as well
    assert le["undated_offices"] == 1
    assert le["population_year"] == 2023
    assert math.isnan(le["offices_per_10k_foreign"])  # no foreign population figure: no ratio


def test_grid_cells_on_a_square():
    square = shapely.box(400_000, 5_600_000, 410_000, 5_605_000)
    grid = grid_cells(square, 1000)
    assert len(grid) == 50
    assert grid["x"].min() == 400_500
    assert grid.attrs["cell_m"] == 1000
    with pytest.raises(CoverageError):
        grid_cells(square, 0)


def test_distance_surface_matches_brute_force_and_bands_cover_the_grid():
    grid = grid_cells(shapely.box(390_000, 5_640_000, 470_000, 5_660_000), 2000)
    surface = distance_surface(grid, tiny_supply())
    xy = grid[["x", "y"]].to_numpy()
    brute = np.min(
        np.hypot(xy[:, None, 0] - np.array([400_000, 430_000]), xy[:, None, 1] - 5_650_000), axis=1
    )
    assert surface.cells["distance"].to_numpy() == pytest.approx(brute / 1000, abs=1e-6)
    bands = surface.bands((10, 20))
    assert bands["cells"].sum() == len(grid)
    assert bands.crs.to_epsg() == 4326
    assert surface.to_geodataframe()["distance_km"].max() == pytest.approx(surface.cells["distance"].max())


def test_custom_cost_matrix_is_used():
    # A "routing engine" that says every trip takes 3 × the straight line, in minutes.
    def slow(origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
        return StraightLine().matrix(origins, destinations) * 3

    cost = CostMatrix(slow, name="test", unit="min", label="test minutes", chunk=2)
    dist, idx = cost.nearest(lonlat_array(tiny_points()), lonlat_array(tiny_supply()))
    assert dist == pytest.approx([15.0, 45.0, 87.0], abs=1e-5)
    assert list(idx) == [0, 0, 1] or list(idx) == [0, 1, 1]  # P2 is equidistant
    assert isinstance(coverage.as_cost(slow), CostMatrix)
    with pytest.raises(ValueError, match="shape"):
        CostMatrix(lambda o, d: np.zeros((1, 1))).matrix(np.zeros((3, 2)), np.zeros((2, 2)))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 1e5), st.floats(0, 1e5)), min_size=1, max_size=30),
    st.lists(st.tuples(st.floats(0, 1e5), st.floats(0, 1e5)), min_size=1, max_size=10),
)
def test_nearest_xy_equals_brute_force(origins, destinations):
    o, d = np.array(origins), np.array(destinations)
    dist, idx = nearest_xy(o, d)
    brute = np.hypot(o[:, None, 0] - d[None, :, 0], o[:, None, 1] - d[None, :, 1])
    assert dist == pytest.approx(brute.min(axis=1) / 1000, abs=1e-9)
    assert brute[np.arange(len(o)), idx] == pytest.approx(brute.min(axis=1), abs=1e-6)


# ------------------------------------------------------------------------------------------------
# Filters and what-if
# ------------------------------------------------------------------------------------------------


def test_filter_parse_normalises_and_rejects_bad_input():
    flt = CoverageFilter.parse("asylum, work", ["AR"], ["jmd"], "16")
    assert flt.topics == ("asylum", "work")
    assert flt.languages == ("ar",)
    assert flt.kinds == ("JMD",)
    assert flt.age == 16
    assert "asylum" in flt.describe()
    assert CoverageFilter.parse().describe() == "all offices"
    for bad in (
        {"topics": ["nope"]},
        {"kinds": ["XYZ"]},
        {"languages": ["arabic"]},
        {"languages": ["xx"]},  # two letters, but no ISO 639-1 language
        {"age": "old"},
        {"age": -1},
    ):
        with pytest.raises(CoverageError):
            CoverageFilter.parse(**bad)


def test_language_filter_counts_stated_languages_unless_asked(tmp_path):
    path = make_offices_csv(
        tmp_path,
        [{"languages": "ar;en", "postcode": "01067"}, {"languages": ""}, {"languages": "fa"}],
    )
    offices = load_offices(path)
    strict = matching_offices(offices, CoverageFilter.parse(languages=["ar"]))
    loose = matching_offices(offices, CoverageFilter.parse(languages=["ar"], include_unstated_languages=True))
    assert list(strict["id"]) == ["office-1"]
    assert list(loose["id"]) == ["office-1", "office-2"]


def test_what_if_points_must_lie_in_saxony():
    assert what_if_point(51.05, 13.74).district == "Dresden"
    with pytest.raises(CoverageError, match="outside Saxony"):
        what_if_point(52.52, 13.40)  # Berlin
    with pytest.raises(CoverageError, match="not valid"):
        what_if_point(123.0, 13.0)
    with pytest.raises(CoverageError):
        parse_what_if("   ")
    assert parse_what_if("51.34, 12.37").district == "Leipzig"


def test_supply_table_adds_hypothetical_offices_and_skips_statewide(tmp_path):
    path = make_offices_csv(
        tmp_path,
        [{"district": "Sachsen"}, {"lat": "51.05", "lon": "13.74", "geocode_precision": "street"}],
    )
    matching = load_offices(path)
    supply = supply_table(matching, [WhatIf("Torgau", 51.56, 13.0, "Nordsachsen")])
    assert list(supply["id"]) == ["office-2", "what-if-1"]
    assert list(supply["hypothetical"]) == [False, True]
    assert (supply["capacity"] == 1).all()


# ------------------------------------------------------------------------------------------------
# The facade on a synthetic directory
# ------------------------------------------------------------------------------------------------


def test_facade_on_synthetic_directory(tmp_path):
    rows = []
    for oid, xy in OFFICE_XY.items():
        lon, lat = _lonlat(xy)
        rows.append(
            {
                "id": oid.lower(),
                "topics": "asylum",
                "lat": f"{lat:.7f}",
                "lon": f"{lon:.7f}",
                "geocode_precision": "street",
            }
        )
    rows.append({"id": "c", "topics": "work", "lat": "51.05", "lon": "13.74", "geocode_precision": "street"})
    offices = load_offices(make_offices_csv(tmp_path, rows))
    facts = pd.DataFrame(
        {
            "ags": ["1", "2"],
            "name": ["X", "Y"],
            "population": [300, 300],
            "population_year": [2022, 2022],
            "foreign_population": [30, 30],
            "foreign_population_year": [2017, 2017],
        }
    )
    cov = Coverage(Finder(offices=offices), population=tiny_points(), facts=facts)
    report = cov.report(topics=["asylum"], thresholds=(10, 20), gap_threshold=10)
    assert report.summary["offices_with_place"] == 2
    assert report.points["distance"].to_numpy() == pytest.approx([5, 15, 29], abs=1e-5)
    assert report.summary["share_beyond"]["10km"] == pytest.approx(500 / 600, abs=1e-4)
    assert report.summary["share_beyond"]["20km"] == pytest.approx(300 / 600, abs=1e-4)
    by = report.districts.set_index("district")
    assert by.loc["X", "share_beyond_10km"] == pytest.approx(2 / 3)
    assert by.loc["Y", "share_beyond_20km"] == 1
    # The gap places come in the order a new office helps most.
    assert list(report.gap_places["name"]) == ["P3", "P2"]
    # One more office next to P3 brings it within 10 km; nothing gets farther.
    after = cov.report(
        topics=["asylum"],
        thresholds=(10, 20),
        gap_threshold=10,
        what_if=[WhatIf("new", *_lonlat(POINT_XY["P3"])[::-1], "Y")],
    )
    assert after.points["distance"].iloc[2] == pytest.approx(0, abs=1e-6)
    assert (after.points["distance"] <= report.points["distance"] + 1e-9).all()
    assert after.baseline is not None
    assert after.summary["share_beyond"]["10km"] == pytest.approx(200 / 600, abs=1e-4)


# ------------------------------------------------------------------------------------------------
# Real data: invariants
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cov() -> Coverage:
    return Coverage()


@pytest.fixture(scope="module")
def asylum(cov):
    return cov.report(topics=["asylum"])


def test_every_district_present_and_shares_between_0_and_1(asylum):
    table = asylum.districts
    assert sorted(table["district"]) == sorted(DISTRICTS)
    share_cols = [c for c in table.columns if c.startswith("share_")]
    assert len(share_cols) >= 5
    for col in share_cols:
        values = table[col].dropna()
        assert ((values >= 0) & (values <= 1)).all(), col
    # Beyond-shares only ever fall with a larger threshold.
    assert (table["share_beyond_10km"] >= table["share_beyond_20km"]).all()
    assert (table["share_beyond_20km"] >= table["share_beyond_30km"]).all()
    for value in asylum.summary["share_beyond"].values():
        assert 0 <= value <= 1


def test_population_points_add_up_to_district_totals(cov, asylum):
    facts = cov.facts.set_index("name")["population"]
    totals = asylum.districts.set_index("district")["residents_model"]
    for name, population in facts.items():
        assert totals[name] == pytest.approx(population)
    assert "GeoNames places" in " ".join(asylum.notes)
    assert "straight-line" in asylum.notes[0]


def test_e2sfca_hands_out_all_supply_in_reach(asylum):
    pts, supply = asylum.points, asylum.supply
    in_reach = (StraightLine().matrix(lonlat_array(supply), lonlat_array(pts)) <= 30).any(axis=1)
    assert (pts["residents"] * pts["e2sfca_per_100k"]).sum() / 100_000 == pytest.approx(in_reach.sum())
    assert (pts["e2sfca_per_100k"] >= 0).all()


def test_what_if_office_never_makes_a_distance_larger(cov, asylum):
    after = cov.report(topics=["asylum"], what_if=["Torgau", "50.45,12.35"])
    assert (after.points["distance"].to_numpy() <= asylum.points["distance"].to_numpy() + 1e-9).all()
    assert after.summary["share_beyond"]["30km"] < asylum.summary["share_beyond"]["30km"]
    before_surface = cov.surface(topics=["asylum"])
    after_surface = cov.surface(topics=["asylum"], what_if=["Torgau"])
    assert (after_surface.cells["distance"] <= before_surface.cells["distance"] + 1e-9).all()
    changes = after.changes()
    assert len(changes) == 13
    assert {"share_beyond_20km_before", "share_beyond_20km_after"} <= set(changes.columns)


def test_surface_covers_saxony(cov):
    surface = cov.surface(kinds=["MBE"])
    # 1 km cells whose centre is inside Saxony: about the state's 18,450 km².
    assert len(surface.cells) == pytest.approx(18_450, rel=0.02)
    assert surface.cells["distance"].min() >= 0
    assert 0 < surface.share_within(20) <= 1


def test_bad_input_gives_clear_messages(cov):
    with pytest.raises(CoverageError, match="Unknown topic"):
        cov.report(topics=["nope"])
    with pytest.raises(CoverageError, match="No office"):
        cov.report(kinds=["PSZ"], languages=["ti"])
    with pytest.raises(CoverageError, match="outside Saxony"):
        cov.report(topics=["asylum"], what_if=["52.52,13.40"])
    with pytest.raises(CoverageError):
        cov.report(topics=["asylum"], what_if=["Xqzwv Nowhere"])


def test_report_json_is_strict_json(asylum):
    data = asylum.to_json()
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    assert len(data["districts"]) == 13
    assert data["cost"]["crs"] == "EPSG:25833"
    assert "GeoNames" in data["attribution"]
    assert set(data["districts"][0]["by_kind"]) >= {"MBE", "JMD"}
    assert "Infinity" not in text


# ------------------------------------------------------------------------------------------------
# Command line
# ------------------------------------------------------------------------------------------------


def test_cli_json(capsys):
    code, out, _ = run_cli(["coverage", "--kind", "JMD", "--age", "16", "--json", "--limit", "3"], capsys)
    assert code == 0
    data = json.loads(out)
    assert len(data["districts"]) == 13
    assert len(data["gap_places"]) <= 3
    assert data["filters"]["kinds"] == ["JMD"]


def test_cli_text_and_what_if(capsys):
    code, out, _ = run_cli(
        ["coverage", "--topic", "asylum", "--what-if", "51.56,13.0", "--threshold-km", "25"], capsys
    )
    assert code == 0
    assert "What-if change" in out
    assert "straight-line" in out


def test_cli_bad_input_gives_messages_not_tracebacks(capsys):
    code, out, _ = run_cli(["coverage", "--kind", "PSZ", "--language", "ti", "--json"], capsys)
    assert code == 1
    assert "No office" in json.loads(out)["error"]
    code, _, err = run_cli(["coverage", "--topic", "asylum", "--what-if", "52.52,13.40"], capsys)
    assert code == 1
    assert "outside Saxony" in err
    assert "Traceback" not in err
    code, _, err = run_cli(["coverage", "--format", "gpkg"], capsys)
    assert code == 2
    assert "--output" in err
    with pytest.raises(SystemExit):
        run_cli(["coverage", "--topic", "nope"], capsys)


def test_cli_writes_geopackage_with_attribution(capsys, tmp_path):
    target = tmp_path / "cov.gpkg"
    code, out, _ = run_cli(
        ["coverage", "--topic", "asylum", "--format", "gpkg", "--output", str(target), "--cell-m", "5000"],
        capsys,
    )
    assert code == 0
    assert str(target) in out
    layers = {name for name, _ in pyogrio.list_layers(target)}
    assert layers == {"districts", "bands", "grid", "offices", "places", "gap_places"}
    info = pyogrio.read_info(target, layer="districts")
    assert info["features"] == 13
    assert "GeoNames" in info["layer_metadata"]["ATTRIBUTION"]
    assert "GeoNames" in info["dataset_metadata"]["ATTRIBUTION"]
    assert pyogrio.read_info(target, layer="grid")["crs"] == "EPSG:25833"


@pytest.mark.parametrize("fmt", ["geojson", "csv"])
def test_cli_writes_folders(capsys, tmp_path, fmt):
    folder = tmp_path / fmt
    code, _, _ = run_cli(
        ["coverage", "--kind", "MBE", "--format", fmt, "--output", str(folder), "--cell-m", "5000"], capsys
    )
    assert code == 0
    names = {p.name for p in folder.iterdir()}
    assert f"districts.{fmt}" in names
    assert "ATTRIBUTION.txt" in names
    assert "GeoNames" in (folder / "ATTRIBUTION.txt").read_text(encoding="utf-8")
    if fmt == "csv":
        table = pd.read_csv(folder / "districts.csv")
        assert len(table) == 13
