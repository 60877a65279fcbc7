"""`finder geocode`: resumable, online when configured, never downgrading precision."""

import csv

import pytest
from fake_geocoder import serve_fake_geocoder
from helpers import make_offices_csv

from finder import settings as _settings
from finder.errors import DirectoryError
from finder.geocoding import build_geocoder
from finder.regeocode import regeocode

ROWS = [
    {"id": "ostra", "street": "Ostra-Allee 11", "postcode": "01067", "city": "Dresden", "district": "Dresden",
     "lat": "51.05470", "lon": "13.72690", "geocode_precision": "postcode", "geocode_source": "geonames-postcode"},
    {"id": "plauen", "city": "Plauen", "district": "Vogtlandkreis"},
    {"id": "exact", "street": "Somewhere 1", "city": "Leipzig", "district": "Leipzig",
     "lat": "51.30000", "lon": "12.40000", "geocode_precision": "street", "geocode_source": "survey"},
    {"id": "online-only", "district": "Sachsen"},
]  # fmt: skip


def read(path):
    with path.open(encoding="utf-8") as fh:
        return {r["id"]: r for r in csv.DictReader(fh)}


@pytest.fixture
def cfg(tmp_path):
    return _settings.load().with_(cache_dir=tmp_path / "cache")


def test_offline_places_unplaced_rows_and_never_downgrades(tmp_path, cfg):
    path = make_offices_csv(tmp_path / "offices.csv", ROWS)
    summary = regeocode(path, cfg)
    rows = read(path)
    assert rows["plauen"]["geocode_precision"] == "place"
    assert rows["exact"]["geocode_precision"] == "street"  # a surveyed position stays
    assert rows["exact"]["lat"] == "51.30000"
    assert rows["online-only"]["lat"] == ""
    assert summary == {"rows": 4, "improved": 1, "kept": 3, "resumed_from": 0}


def test_online_answer_improves_to_street(tmp_path, cfg):
    path = make_offices_csv(tmp_path / "offices.csv", ROWS)
    with serve_fake_geocoder("ok") as server:
        online = cfg.with_(geocoder="nominatim", geocoder_url=server.base_url, geocoder_min_delay=0.0)
        regeocode(path, online)
    ostra = read(path)["ostra"]
    assert (ostra["geocode_precision"], ostra["geocode_source"]) == ("street", "nominatim")
    assert ostra["lat"] == "51.05400"


def test_failing_online_geocoder_keeps_rows(tmp_path, cfg):
    path = make_offices_csv(tmp_path / "offices.csv", ROWS)
    before = read(path)["ostra"]
    with serve_fake_geocoder("500") as server:
        online = cfg.with_(geocoder="nominatim", geocoder_url=server.base_url, geocoder_min_delay=0.0)
        regeocode(path, online)
    assert read(path)["ostra"] == before


def test_interrupted_run_resumes_where_it_stopped(tmp_path, cfg):
    path = make_offices_csv(tmp_path / "offices.csv", ROWS)
    with serve_fake_geocoder("ok") as server:
        online = cfg.with_(geocoder="nominatim", geocoder_url=server.base_url, geocoder_min_delay=0.0)
        real = build_geocoder(online)
        calls = []

        class Interrupting:
            def geocode(self, query):
                calls.append(query)
                if len(calls) == 2:
                    raise KeyboardInterrupt
                return real.geocode(query)

        with pytest.raises(KeyboardInterrupt):
            regeocode(path, online, geocoder=Interrupting())
        assert read(path)["ostra"]["geocode_precision"] == "street"  # saved before the interruption
        summary = regeocode(path, online, geocoder=real)
    assert summary["resumed_from"] == 2  # "ostra" and "plauen" were done
    assert summary["rows"] == 4


def test_invalid_file_is_refused(tmp_path, cfg):
    path = make_offices_csv(tmp_path / "offices.csv", [{"id": "a"}, {"id": "a"}])
    with pytest.raises(DirectoryError, match=r"offices.csv:3: id: "):
        regeocode(path, cfg)
