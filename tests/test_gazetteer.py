"""The offline gazetteer on real Saxon names: scripts, typos, suffixes, ambiguity, outside Saxony."""

import csv
import math
from pathlib import Path

import pytest
from geopy.geocoders.base import Geocoder
from hypothesis import given, settings
from hypothesis import strategies as st

from finder import geodata
from finder.gazetteer import OfflineGazetteer, base_name, normalise

_OFFLINE_SOURCES = {"geonames-postcode", "geonames-place", "bkg-municipality", "bkg-district", ""}


@pytest.fixture(scope="module")
def gaz() -> OfflineGazetteer:
    return OfflineGazetteer()


def test_is_a_geopy_geocoder(gaz):
    assert isinstance(gaz, Geocoder)


@pytest.mark.parametrize(
    ("query", "district"),
    [
        ("Görlitz", "Görlitz"),
        ("Görliz", "Görlitz"),  # typo
        ("Goerlitz", "Görlitz"),  # umlaut spelled out
        ("Gorlitz", "Görlitz"),  # umlaut dropped
        ("Дрезден", "Dresden"),  # Cyrillic
        ("لايبزيغ", "Leipzig"),  # Arabic
        ("لایپزیگ", "Leipzig"),  # Persian spelling
        ("Budyšin", "Bautzen"),  # Sorbian
        ("Drážďany", "Dresden"),  # Czech
        ("Meißen", "Meißen"),
        ("meissen", "Meißen"),
        ("Auerbach/Vogtl.", "Vogtlandkreis"),
        ("Reichenbach im Vogtland", "Vogtlandkreis"),
        ("Äußere Neustadt", "Dresden"),
        ("Plauen", "Vogtlandkreis"),
        ("Hoyerswerda", "Bautzen"),
    ],
)
def test_place_names(gaz, query, district):
    loc = gaz.geocode(query)
    assert loc is not None, query
    assert loc.raw["district"] == district
    assert loc.raw["in_saxony"] is True
    assert loc.raw["source"] == "offline"
    assert loc.raw["precision"] in ("place", "district")
    # the point really lies in that district's polygon
    assert geodata.district_at(loc.latitude, loc.longitude) == district


def test_ambiguous_name_gives_all_candidates(gaz):
    found = gaz.geocode("Oelsnitz", exactly_one=False)
    districts = [loc.raw["district"] for loc in found]
    assert "Vogtlandkreis" in districts
    assert "Erzgebirgskreis" in districts
    # best first: the larger town (Oelsnitz/Vogtl.) leads
    assert found[0].raw["population"] >= found[1].raw["population"]


def test_postcode_gives_postcode_precision(gaz):
    loc = gaz.geocode("01067")
    assert loc.raw["precision"] == "postcode"
    assert loc.raw["district"] == "Dresden"
    row = geodata.postcodes().query("postcode == '01067'").iloc[0]
    assert (loc.latitude, loc.longitude) == (row.lat, row.lon)


def test_street_with_postcode_is_postcode_precision_not_street(gaz):
    loc = gaz.geocode("Ostra-Allee 11, 01067 Dresden")
    assert loc.raw["precision"] == "postcode"
    assert loc.raw["district"] == "Dresden"


@pytest.mark.parametrize("query", ["99999 Dresden", "Dresden, 99999", "Ostra-Allee 11, 99999 Dresden"])
def test_unknown_postcode_falls_back_to_the_town(gaz, query):
    # An outdated or mistyped postcode next to a town still finds the town (99999 is no German postcode).
    assert not gaz.search("99999")
    loc = gaz.geocode(query)
    assert loc is not None
    assert (loc.raw["name"], loc.raw["precision"], loc.raw["district"]) == ("Dresden", "place", "Dresden")


def test_street_and_town_without_postcode_is_the_town(gaz):
    loc = gaz.geocode("Bahnhofstraße 5, Plauen")
    assert loc.raw["precision"] == "place"
    assert loc.raw["name"] == "Plauen"


def test_district_name(gaz):
    loc = gaz.geocode("Erzgebirgskreis")
    assert loc.raw["precision"] == "district"
    assert geodata.district_at(loc.latitude, loc.longitude) == "Erzgebirgskreis"
    assert gaz.geocode("Landkreis Leipzig").raw["district"] == "Landkreis Leipzig"
    assert gaz.geocode("Leipzig").raw["precision"] == "place"  # the city, not the Landkreis


@pytest.mark.parametrize(
    ("query", "state"), [("Berlin", "BE"), ("10115", "BE"), ("München", "BY"), ("80331", "BY")]
)
def test_outside_saxony_is_recognised(gaz, query, state):
    loc = gaz.geocode(query)
    assert loc is not None
    assert loc.raw["in_saxony"] is False
    assert loc.raw["district"] is None
    assert loc.raw["state"] == state


@pytest.mark.parametrize("query", ["", "   ", "qwxzvbnm", "x" * 500, "<script>alert(1)</script>", "99999"])
def test_nonsense_finds_nothing(gaz, query):
    assert gaz.geocode(query) is None


def test_reverse_names_district_and_place(gaz):
    loc = gaz.reverse((51.0504, 13.7373))
    assert loc.raw["district"] == "Dresden"
    assert loc.raw["in_saxony"]
    assert "Dresden" in loc.address
    outside = gaz.reverse((52.52, 13.40))
    assert outside.raw["district"] is None
    assert outside.raw["in_saxony"] is False


def test_reverse_rejects_garbage(gaz):
    assert gaz.reverse("not a point") is None


def test_gazetteer_makes_no_network_request(gaz, monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("network used")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert gaz.geocode("Zwickau") is not None


def test_normalise_and_base_name():
    assert normalise("Görlitz") == normalise("Goerlitz") == "goerlitz"
    assert normalise("Straße") == "strasse"
    assert base_name("Auerbach/Vogtl.") == "Auerbach"
    assert base_name("Reichenbach im Vogtland") == "Reichenbach"
    assert base_name("Neustadt i.Sa.") == "Neustadt"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_any_text_never_raises(gaz, text):
    found = gaz.geocode(text, exactly_one=False)
    for loc in found or []:
        assert math.isfinite(loc.latitude) and math.isfinite(loc.longitude)
        assert loc.raw["precision"] in ("point", "postcode", "place", "district")


@settings(max_examples=100, deadline=None)
@given(st.floats(50.2, 51.6), st.floats(12.0, 15.0))
def test_coordinates_round_trip(gaz, lat, lon):
    loc = gaz.geocode(f"{lat:.6f}, {lon:.6f}")
    assert loc.raw["precision"] == "point"
    assert abs(loc.latitude - lat) < 1e-5 and abs(loc.longitude - lon) < 1e-5
    assert loc.raw["district"] == geodata.district_at(lat, lon)


def test_saxon_places_come_before_namesakes_elsewhere(gaz):
    found = gaz.geocode("Neustadt", exactly_one=False)
    assert found[0].raw["in_saxony"] is True
    assert any(not loc.raw["in_saxony"] for loc in found)  # the others are still offered


def test_offline_positions_in_the_directory_follow_the_one_placement_rule(gaz):
    # Import, `finder geocode` and an address change in review all place offices with place_office; the
    # committed offline positions must be what that rule gives (online ones are left out).
    with (Path(gaz.data_dir) / "offices.csv").open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["geocode_source"] in _OFFLINE_SOURCES]
    assert len(rows) > 150
    columns = ("lat", "lon", "geocode_precision", "geocode_source")
    differing = [r["id"] for r in rows if gaz.place_office(r)[0] != {c: r[c] for c in columns}]
    assert differing == []


def test_place_office_never_leaves_saxony(gaz):
    berlin = {"id": "x", "postcode": "10115", "city": "Berlin", "district": ""}
    assert gaz.place_office(berlin) == (
        {"lat": "", "lon": "", "geocode_precision": "", "geocode_source": ""},
        None,
    )
    moved = {"id": "x", "postcode": "10115", "city": "Berlin", "district": "Görlitz"}
    placed, warning = gaz.place_office(moved)
    assert placed["geocode_precision"] == "district" and warning is None
    wrong = {"id": "y", "postcode": "01067", "city": "Dresden", "district": "Görlitz"}
    assert gaz.place_office(wrong)[1] == "y: placed in Dresden (01067 Dresden) but listed under Görlitz"
