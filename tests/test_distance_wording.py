"""Distances that do not pretend: the precision columns of a search and the words people read."""

import pytest
from helpers import make_offices_csv

from finder.directory import load_offices
from finder.distance import PRECISION_KM, rounded_km, same_place
from finder.distance_text import distance_label
from finder.search import OfficeIndex, Query, nearest

CHEMNITZ = (50.8357, 12.9292)


@pytest.fixture
def offices_in_chemnitz(tmp_path) -> OfficeIndex:
    rows = [
        # two offices at the town point, one at a street 4 km away, one at a postcode point 30 km away
        {"id": "a-town", "kind": "MBE", "city": "Chemnitz", "district": "Chemnitz", "postcode": "09111",
         "lat": str(CHEMNITZ[0]), "lon": str(CHEMNITZ[1]), "geocode_precision": "place"},
        {"id": "b-town", "kind": "JMD", "city": "Chemnitz", "district": "Chemnitz", "postcode": "09112",
         "lat": str(CHEMNITZ[0]), "lon": str(CHEMNITZ[1]), "geocode_precision": "place"},
        {"id": "c-street", "kind": "FSA", "city": "Chemnitz", "district": "Chemnitz",
         "lat": "50.8717", "lon": "12.9292", "geocode_precision": "street"},
        {"id": "d-far", "kind": "FSA", "city": "Zwickau", "district": "Zwickau",
         "lat": "50.7187", "lon": "12.4960", "geocode_precision": "postcode"},
    ]  # fmt: skip
    return OfficeIndex.from_offices(load_offices(make_offices_csv(tmp_path / "o.csv", rows)))


def test_offices_at_the_town_point_are_in_the_same_place_for_a_town_search(offices_in_chemnitz):
    got = nearest(offices_in_chemnitz, *CHEMNITZ, Query(), origin_precision="place").set_index("id")
    assert got.loc["a-town", "same_place"] and got.loc["b-town", "same_place"]
    assert got.loc["a-town", "distance_precision_km"] == PRECISION_KM["place"] * 2
    # 4 km north of the town point is less than the town point's 3 km + the street's 0.1 km? No: 4 > 3.1.
    assert not got.loc["c-street", "same_place"]
    assert got.loc["c-street", "distance_precision_km"] == pytest.approx(3.1)
    assert not got.loc["d-far", "same_place"]


def test_exact_positions_are_never_the_same_place(offices_in_chemnitz):
    # A map tap (point) at the street office itself: 0 km between two exact positions is a real distance.
    got = nearest(offices_in_chemnitz, 50.8717, 12.9292, Query(), origin_precision="point").set_index("id")
    assert got.loc["c-street", "distance_km"] == 0.0
    assert not got.loc["c-street", "same_place"]
    assert got.loc["a-town", "same_place"] == bool(got.loc["a-town", "distance_km"] < 3.0)


@pytest.mark.parametrize(
    ("distance", "uncertainty", "expected"),
    [(0.0, 6.0, True), (2.9, 3.1, True), (3.2, 3.1, False), (0.0, 0.2, False), (0.0, 0.0, False)],
)
def test_same_place_is_a_distance_below_the_uncertainty_of_approximate_positions(
    distance, uncertainty, expected
):
    assert bool(same_place([distance], [uncertainty])[0]) is expected


@pytest.mark.parametrize(
    ("distance", "uncertainty", "expected"),
    [(12.34, 0.2, 12.3), (12.34, 0.21, 12.0), (12.6, 5.0, 13.0), (12.6, 5.1, 15.0), (0.2, 2.0, 1.0)],
)
def test_rounding_follows_the_uncertainty(distance, uncertainty, expected):
    assert rounded_km(distance, uncertainty) == expected


def test_words_in_every_case(offices_in_chemnitz):
    got = nearest(offices_in_chemnitz, *CHEMNITZ, Query(), origin_precision="postcode").set_index("id")
    rows = {i: {**got.loc[i].to_dict()} for i in got.index}
    label = "09111 Chemnitz"
    assert distance_label(rows["a-town"], "en", origin_precision="postcode", origin_label=label) == (
        "in your postcode area"
    )
    assert (
        distance_label(rows["b-town"], "en", origin_precision="postcode", origin_label=label) == "in Chemnitz"
    )
    assert (
        distance_label(rows["b-town"], "de", origin_precision="place", origin_label="Chemnitz")
        == "in Chemnitz"
    )
    far = distance_label(rows["d-far"], "en", origin_precision="postcode", origin_label=label)
    assert far.startswith("about ") and far.endswith(" km") and "." not in far
    assert distance_label({"distance_km": 3.456, "distance_precision_km": 0.1}, "de") == "3,5 km"
    assert distance_label({"distance_km": None}, "en") == ""
    same_without_town = {"distance_km": 0.0, "distance_precision_km": 6.0, "same_place": True, "city": ""}
    assert distance_label(same_without_town, "en") == "close by"


@pytest.mark.parametrize("lang", ["de", "en", "uk", "ru", "ar", "fa", "tr", "vi"])
def test_every_language_has_the_words(lang):
    row = {"distance_km": 0.0, "distance_precision_km": 6.0, "same_place": True, "city": "Chemnitz"}
    assert "Chemnitz" in distance_label(row, lang)
    assert "distance." not in distance_label({"distance_km": 20.0, "distance_precision_km": 6.0}, lang)


def test_a_row_without_the_column_is_not_the_same_place():
    # Rows joined from a table without the precision columns carry NaN there (pandas concat).
    row = {
        "distance_km": 2.0,
        "distance_precision_km": float("nan"),
        "same_place": float("nan"),
        "city": "Pirna",
    }
    assert distance_label(row, "en") == "2.0 km"
