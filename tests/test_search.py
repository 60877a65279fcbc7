"""Nearest search on tiny synthetic directories where the answer is known by hand, and on the real data."""

import numpy as np
import pandas as pd
import pytest
from geopy.distance import geodesic
from helpers import make_offices_csv
from hypothesis import given, settings
from hypothesis import strategies as st

from finder.directory import load_offices
from finder.distance import geodesic_km
from finder.search import OfficeIndex, Query, nearest, responsible, statewide

DRESDEN = (51.0504, 13.7373)
LEIPZIG = (51.3397, 12.3731)


@pytest.fixture
def tiny(tmp_path) -> OfficeIndex:
    rows = [
        # near Dresden, Arabic, asylum
        {"id": "a-near-ar", "kind": "RECHT", "topics": "asylum", "languages": "ar;de", "district": "Dresden",
         "lat": "51.0600", "lon": "13.7400", "geocode_precision": "postcode"},
        # a bit farther, languages not stated, asylum
        {"id": "b-mid-unstated", "kind": "FSA", "topics": "asylum;housing", "district": "Dresden",
         "lat": "51.1000", "lon": "13.8000", "geocode_precision": "place"},
        # far (Leipzig), Arabic, asylum
        {"id": "c-far-ar", "kind": "RECHT", "topics": "asylum", "languages": "ar", "district": "Leipzig",
         "lat": "51.3400", "lon": "12.3700", "geocode_precision": "place"},
        # near, Russian only, asylum -> excluded by an Arabic filter
        {"id": "d-near-ru", "kind": "FSA", "topics": "asylum", "languages": "ru", "district": "Dresden",
         "lat": "51.0510", "lon": "13.7380", "geocode_precision": "postcode"},
        # youth service and adult service
        {"id": "e-jmd", "kind": "JMD", "topics": "youth;education", "target_group": "12-27", "district": "Dresden",
         "lat": "51.0520", "lon": "13.7390", "geocode_precision": "postcode"},
        {"id": "f-mbe", "kind": "MBE", "topics": "education", "target_group": "27+", "district": "Dresden",
         "lat": "51.0530", "lon": "13.7400", "geocode_precision": "postcode"},
        # statewide online service, and an unplaced district office
        {"id": "g-online", "kind": "RECHT", "topics": "asylum", "district": "Sachsen"},
        {"id": "h-abh", "kind": "ABH", "topics": "residence", "district": "Dresden",
         "lat": "51.0490", "lon": "13.7350", "geocode_precision": "street"},
        {"id": "i-kaib", "kind": "KAIB", "topics": "residence", "district": "Dresden"},
    ]  # fmt: skip
    return OfficeIndex.from_offices(load_offices(make_offices_csv(tmp_path / "o.csv", rows)))


def ids(table: pd.DataFrame) -> list[str]:
    return list(table["id"])


def test_nearest_orders_by_distance(tiny):
    got = nearest(tiny, *DRESDEN, Query(topics=("asylum",)))
    assert ids(got) == ["d-near-ru", "a-near-ar", "b-mid-unstated", "c-far-ar"]
    assert list(got["distance_km"]) == sorted(got["distance_km"])


def test_language_filter_keeps_unstated_after_stated(tiny):
    got = nearest(tiny, *DRESDEN, Query(topics=("asylum",), languages=("ar",)))
    # stated Arabic matches first (even the far one), then the office that states no language;
    # the Russian-only office is left out.
    assert ids(got) == ["a-near-ar", "c-far-ar", "b-mid-unstated"]
    assert list(got["language_stated"]) == [True, True, False]


def test_age_routes_young_people_to_jmd_and_adults_to_mbe(tiny):
    young = ids(nearest(tiny, *DRESDEN, Query(topics=("education",), age=19)))
    adult = ids(nearest(tiny, *DRESDEN, Query(topics=("education",), age=40)))
    assert young == ["e-jmd"]
    assert adult == ["f-mbe"]
    assert ids(nearest(tiny, *DRESDEN, Query(topics=("education",), age=27))) == ["e-jmd", "f-mbe"]


def test_kind_limit_and_radius(tiny):
    assert ids(nearest(tiny, *DRESDEN, Query(kinds=("RECHT",)))) == ["a-near-ar", "c-far-ar"]
    assert len(nearest(tiny, *DRESDEN, Query(limit=2))) == 2
    within = nearest(tiny, *DRESDEN, Query(topics=("asylum",), radius_km=20))
    assert "c-far-ar" not in ids(within)
    assert (within["distance_km"] <= 20).all()


def test_radius_includes_an_office_at_exactly_that_distance(tiny):
    # "within radius_km" includes the boundary: the radius is the office's own distance, to the bit.
    position = list(tiny.ids).index("b-mid-unstated")
    exact = float(geodesic_km(*DRESDEN, tiny.lat[[position]], tiny.lon[[position]])[0])
    at_boundary = ids(nearest(tiny, *DRESDEN, Query(topics=("asylum",), radius_km=exact)))
    assert at_boundary == ["d-near-ru", "a-near-ar", "b-mid-unstated"]
    just_short = ids(nearest(tiny, *DRESDEN, Query(topics=("asylum",), radius_km=np.nextafter(exact, 0.0))))
    assert just_short == ["d-near-ru", "a-near-ar"]


def test_statewide_and_unplaced_are_not_in_distance_results(tiny):
    got = ids(nearest(tiny, *DRESDEN, Query(limit=100)))
    assert "g-online" not in got
    assert "i-kaib" not in got
    assert ids(statewide(tiny, Query(topics=("asylum",)))) == ["g-online"]
    assert ids(statewide(tiny, Query(topics=("housing",)))) == []


def test_responsible_goes_by_district_not_distance(tiny):
    got = responsible(tiny, "Dresden")
    assert ids(got) == ["h-abh", "i-kaib"]  # authority first, then the commissioner (even unplaced)
    assert ids(responsible(tiny, "Leipzig")) == []
    assert ids(responsible(tiny, None)) == []


def test_no_match_is_empty_not_an_error(tiny):
    assert nearest(tiny, *DRESDEN, Query(topics=("naturalisation",))).empty


def test_distances_equal_geopy_geodesic(tiny):
    got = nearest(tiny, *LEIPZIG, Query(limit=100))
    for row in got.itertuples():
        expected = geodesic(LEIPZIG, (row.lat, row.lon)).km
        assert row.distance_km == pytest.approx(expected, abs=0.006)  # rounded to 10 m


@settings(max_examples=200, deadline=None)
@given(st.floats(-89, 89), st.floats(-179, 179), st.floats(-89, 89), st.floats(-179, 179))
def test_geodesic_matches_geopy_everywhere(lat1, lon1, lat2, lon2):
    ours = geodesic_km(lat1, lon1, np.array([lat2]), np.array([lon2]))[0]
    assert ours == pytest.approx(geodesic((lat1, lon1), (lat2, lon2)).km, rel=1e-9, abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(st.floats(50.2, 51.6), st.floats(12.0, 15.0))
def test_geodesic_is_symmetric_and_non_negative(lat, lon):
    there = geodesic_km(lat, lon, np.array([DRESDEN[0]]), np.array([DRESDEN[1]]))[0]
    back = geodesic_km(*DRESDEN, np.array([lat]), np.array([lon]))[0]
    assert there >= 0
    assert there == pytest.approx(back, abs=1e-6)


def test_real_directory_every_district_has_a_responsible_office():
    index = OfficeIndex.from_offices(load_offices())
    from finder.vocab import DISTRICTS

    missing = [d for d in DISTRICTS if responsible(index, d).empty]
    assert missing == []
