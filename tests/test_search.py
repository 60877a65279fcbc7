"""Nearest search on tiny synthetic directories where the answer is known by hand, against a brute-force
ranking over random directories, and on the real data."""

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from geopy.distance import geodesic
from helpers import make_offices_csv
from hypothesis import given, settings
from hypothesis import strategies as st

from finder import search
from finder.directory import load_offices
from finder.distance import geodesic_km
from finder.hours import BERLIN
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


def test_language_filter_ranks_stated_and_unstated_by_distance(tiny):
    got = nearest(tiny, *DRESDEN, Query(topics=("asylum",), languages=("ar",)))
    # Arabic stated or nothing stated, by distance alone; the Russian-only office is left out.
    assert ids(got) == ["a-near-ar", "b-mid-unstated", "c-far-ar"]
    assert list(got["language_match"]) == ["stated", "not_stated", "stated"]
    assert list(got["language_stated"]) == [True, False, True]
    assert list(got["distance_km"]) == sorted(got["distance_km"])
    assert nearest(tiny, *DRESDEN, Query(topics=("asylum",)))["language_match"].isna().all()


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


# --- language reach, interpreting, status, opening hours --------------------------------------------

# Distances from DRESDEN worked out by hand (1° latitude ≈ 111 km, 1° longitude ≈ 70 km here):
# ru-interp ≈ 1.1 km, none-mid ≈ 7 km, none-maybe ≈ 20 km, ar-far (Leipzig) ≈ 100 km.
REACH_ROWS = [
    {"id": "ar-far", "languages": "ar", "district": "Leipzig", "lat": "51.3400", "lon": "12.3700"},
    {"id": "none-mid", "lat": "51.1000", "lon": "13.8000"},
    {"id": "ru-near", "languages": "ru", "lat": "51.0510", "lon": "13.7380"},
    {"id": "ru-interp", "languages": "ru", "interpreting": "yes", "lat": "51.0600", "lon": "13.7400"},
    {"id": "ru-no-interp", "languages": "ru", "interpreting": "no", "lat": "51.0605", "lon": "13.7405"},
    {"id": "ar-closed", "languages": "ar", "status": "closed", "lat": "51.0505", "lon": "13.7374"},
    {"id": "none-maybe", "status": "possibly closed", "lat": "51.2000", "lon": "13.9000"},
    {"id": "ar-online", "languages": "ar;de", "district": "Sachsen"},
    {"id": "none-online", "district": "Sachsen"},
    {"id": "ru-online", "languages": "ru", "district": "Sachsen"},
    {"id": "abh-closed", "kind": "ABH", "status": "closed", "lat": "51.05", "lon": "13.74"},
]


def placed(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"geocode_precision": "place", **r} if r.get("lat") else r for r in rows]


@pytest.fixture
def reach(tmp_path) -> OfficeIndex:
    return OfficeIndex.from_offices(load_offices(make_offices_csv(tmp_path / "o.csv", placed(REACH_ROWS))))


def test_language_reach_by_hand(reach):
    got = nearest(reach, *DRESDEN, Query(languages=("ar",)))
    # Interpreting makes the Russian office eligible; "interpreting = no" does not; closed never shows.
    assert ids(got) == ["ru-interp", "none-mid", "none-maybe", "ar-far"]
    assert list(got["language_match"]) == ["not_stated", "not_stated", "not_stated", "stated"]
    assert list(got["status"]) == ["", "", "possibly closed", ""]
    # Arabic is stated by a listed office: nothing to add.
    assert search.nearest_stated(reach, *DRESDEN, Query(languages=("ar",))).empty
    # Not among the first three: the nearest office that states it, with its distance (not the closed one).
    stated = search.nearest_stated(reach, *DRESDEN, Query(languages=("ar",), limit=3))
    assert ids(stated) == ["ar-far"]
    assert stated["distance_km"].iloc[0] == pytest.approx(geodesic(DRESDEN, (51.34, 12.37)).km, abs=0.01)
    # ... also beyond the radius of the list.
    assert ids(search.nearest_stated(reach, *DRESDEN, Query(languages=("ar",), radius_km=30))) == ["ar-far"]
    assert search.nearest_stated(reach, *DRESDEN, Query(limit=1)).empty  # no language filter


def test_statewide_and_online_in_language(reach):
    assert ids(statewide(reach, Query(languages=("ar",)))) == ["ar-online", "none-online"]
    assert ids(search.online_in_language(reach, Query(languages=("ar",)))) == ["ar-online"]
    assert search.online_in_language(reach, Query()).empty
    assert ids(statewide(reach, Query())) == ["ar-online", "none-online", "ru-online"]


def test_closed_offices_are_never_found(reach):
    everything = Query(limit=50)
    assert "ar-closed" not in ids(nearest(reach, *DRESDEN, everything))
    assert ids(responsible(reach, "Dresden")) == []  # the only ABH is closed
    assert "none-maybe" in ids(nearest(reach, *DRESDEN, everything))


def test_nearest_stated_wants_every_language(tmp_path):
    rows = [
        {"id": "ar-near", "languages": "ar", "lat": "51.06", "lon": "13.74"},
        {"id": "arfa-far", "languages": "fa;ar", "lat": "51.30", "lon": "13.74"},
        {"id": "arfa-closed", "languages": "ar;fa", "status": "closed", "lat": "51.07", "lon": "13.74"},
    ]
    index = OfficeIndex.from_offices(load_offices(make_offices_csv(tmp_path / "o.csv", placed(rows))))
    both = ("ar", "fa")
    assert ids(nearest(index, *DRESDEN, Query(languages=both, limit=1))) == ["ar-near"]
    assert ids(search.nearest_stated(index, *DRESDEN, Query(languages=both, limit=1))) == ["arfa-far"]
    assert search.nearest_stated(index, *DRESDEN, Query(languages=both, limit=2)).empty


TUESDAY_10 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=BERLIN)
TUESDAY_13 = dt.datetime(2026, 12, 1, 13, 0, tzinfo=BERLIN)
BUSS_UND_BETTAG_10 = dt.datetime(2026, 11, 18, 10, 0, tzinfo=BERLIN)  # a Wednesday, a holiday in Saxony


@pytest.fixture
def hours_index(tmp_path) -> OfficeIndex:
    rows = [
        {"id": "weekdays", "opening_hours_osm": "Mo-Fr 09:00-12:00; PH off", "lat": "51.06", "lon": "13.74"},
        {"id": "tuesday-pm", "opening_hours_osm": "Tu 14:00-16:00", "lat": "51.07", "lon": "13.74"},
        {"id": "no-hours", "opening_hours": "nach Vereinbarung", "lat": "51.08", "lon": "13.74"},
        {"id": "only-by-appointment", "opening_hours": "Mo-Fr 9-12; nur mit Termin",
         "opening_hours_osm": "Mo-Fr 09:00-12:00", "lat": "51.09", "lon": "13.74"},
        {"id": "online-weekdays", "opening_hours_osm": "Mo-Fr 09:00-12:00", "district": "Sachsen"},
    ]  # fmt: skip
    return OfficeIndex.from_offices(load_offices(make_offices_csv(tmp_path / "o.csv", placed(rows))))


@pytest.mark.parametrize(
    ("at", "now", "today"),
    [
        (TUESDAY_10, ["weekdays", "only-by-appointment"], ["weekdays", "tuesday-pm", "only-by-appointment"]),
        (TUESDAY_13, [], ["weekdays", "tuesday-pm", "only-by-appointment"]),
        (BUSS_UND_BETTAG_10, [], []),
    ],
)
def test_open_filter_at_fixed_instants(hours_index, at, now, today):
    assert ids(nearest(hours_index, *DRESDEN, Query(open="now", at=at))) == now
    assert ids(nearest(hours_index, *DRESDEN, Query(open="today", at=at))) == today
    assert len(nearest(hours_index, *DRESDEN, Query(at=at))) == 4  # an instant alone filters nothing
    online = ids(statewide(hours_index, Query(open="now", at=at)))
    assert online == (["online-weekdays"] if now else [])


def test_open_filter_needs_an_instant_and_a_known_value():
    with pytest.raises(ValueError, match="instant"):
        Query(open="now")
    with pytest.raises(ValueError, match="open must be"):
        Query(open="soon", at=TUESDAY_10)


# --- the language rule against brute force ---------------------------------------------------------

LANGS = ("ar", "fa", "ru", "de")
TOPIC_POOL = ("asylum", "housing", "work")


@st.composite
def directories(draw: st.DrawFn) -> list[dict[str, str]]:
    rows = []
    for number in range(draw(st.integers(1, 25))):
        row = {
            "id": f"o-{number:02d}",
            "languages": ";".join(draw(st.lists(st.sampled_from(LANGS), unique=True, max_size=3))),
            "interpreting": draw(st.sampled_from(("", "yes", "no"))),
            "status": draw(st.sampled_from(("", "active", "possibly closed", "closed"))),
            "topics": ";".join(draw(st.lists(st.sampled_from(TOPIC_POOL), unique=True, min_size=1))),
        }
        if draw(st.integers(0, 9)) == 0:
            row["district"] = "Sachsen"  # a statewide service: never in a distance search
        else:
            # A grid of points 0.01° apart: distinct offices are never at the same distance by accident.
            row["lat"] = f"{50.3 + draw(st.integers(0, 130)) / 100:.2f}"
            row["lon"] = f"{12.0 + draw(st.integers(0, 300)) / 100:.2f}"
            row["geocode_precision"] = "place"
        rows.append(row)
    return rows


def brute_force(rows, origin, query, *, every=False, radius=True):
    """(distance, id) of the offices a search may list, by the rule in words, nearest first."""
    wanted = set(query.languages)
    found = []
    for row in rows:
        langs = set(filter(None, row["languages"].split(";")))
        if row["status"] == "closed" or row.get("district") == "Sachsen":
            continue
        if query.topics and not set(row["topics"].split(";")) & set(query.topics):
            continue
        if wanted and langs and not langs & wanted and row["interpreting"] != "yes":
            continue  # states other languages only, no interpreters
        if every and not wanted <= langs:
            continue
        d = float(geodesic_km(*origin, np.array([float(row["lat"])]), np.array([float(row["lon"])]))[0])
        if radius and query.radius_km is not None and d > query.radius_km:
            continue
        found.append((d, row["id"]))
    return sorted(found)


@settings(max_examples=120, deadline=None)
@given(
    rows=directories(),
    origin=st.tuples(st.floats(50.2, 51.7), st.floats(11.9, 15.1)),
    languages=st.lists(st.sampled_from(LANGS), unique=True, max_size=2),
    topics=st.lists(st.sampled_from(TOPIC_POOL), unique=True, max_size=1),
    limit=st.integers(1, 8),
    radius=st.one_of(st.none(), st.floats(5, 150)),
)
def test_language_ranking_equals_brute_force(rows, origin, languages, topics, limit, radius):
    query = Query(languages=tuple(languages), topics=tuple(topics), limit=limit, radius_km=radius)
    with tempfile.TemporaryDirectory() as folder:
        index = OfficeIndex.from_offices(load_offices(make_offices_csv(Path(folder) / "o.csv", rows)))
    got = nearest(index, *origin, query)
    expected = brute_force(rows, origin, query)[:limit]
    assert ids(got) == [office for _, office in expected]
    assert list(got["distance_km"]) == [round(d, 2) for d, _ in expected]
    by_id = {row["id"]: set(filter(None, row["languages"].split(";"))) for row in rows}
    matches = [
        ("stated" if by_id[i] & set(languages) else "not_stated") if languages else None for i in ids(got)
    ]
    assert list(got["language_match"]) == matches
    # The nearest office stating every language, only when no listed office does.
    stated = ids(search.nearest_stated(index, *origin, query))
    listed_every = any(set(languages) <= by_id[i] for i in ids(got))
    every = brute_force(rows, origin, query, every=True, radius=False)
    assert stated == ([] if not languages or listed_every or not every else [every[0][1]])
