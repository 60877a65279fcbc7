"""The Finder facade: locate offline and through a configured online geocoder (a local fake server)."""

import datetime as dt
import shutil

import pytest
from fake_geocoder import serve_fake_geocoder
from helpers import REPO

from finder import settings as _settings
from finder.core import Finder, LocateError
from finder.corrections import CorrectionStore, DirectoryEditor, directory_overlay


@pytest.fixture(scope="module")
def finder() -> Finder:
    return Finder()


def online_finder(finder: Finder, base_url: str, tmp_path) -> Finder:
    cfg = _settings.load().with_(
        geocoder="nominatim",
        geocoder_url=base_url,
        geocoder_min_delay=0.0,
        geocoder_timeout=0.5,
        cache_dir=tmp_path,
    )
    return Finder(cfg, offices=finder.offices)


def test_locate_offline_has_district_and_precision(finder):
    place = finder.locate("Дрезден")
    assert (place.district, place.precision, place.source, place.in_saxony) == (
        "Dresden",
        "place",
        "offline",
        True,
    )


@pytest.mark.parametrize("text", ["", "   ", "qwxzvbnm", "y" * 1000])
def test_locate_nonsense_raises_a_user_fit_error(finder, text):
    with pytest.raises(LocateError) as exc:
        finder.locate(text)
    assert "Traceback" not in str(exc.value)
    assert len(str(exc.value)) < 200


def test_place_at_map_click(finder):
    place = finder.place_at(50.72, 12.49)
    assert place.district == "Zwickau"
    assert place.precision == "point"


def test_online_geocoder_answers_with_street_precision(finder, tmp_path):
    with serve_fake_geocoder("ok") as server:
        f = online_finder(finder, server.base_url, tmp_path)
        place = f.locate("Ostra-Allee 11, Dresden")
        assert place.source == "nominatim"
        assert place.precision == "street"
        assert place.district == "Dresden"  # derived from the polygon, not from the online answer
        assert place.note is None
        assert len(server.requests) == 1


def test_failing_online_geocoder_falls_back_to_offline_and_says_why(finder, tmp_path):
    with serve_fake_geocoder("500") as server:
        f = online_finder(finder, server.base_url, tmp_path)
        place = f.locate("01067 Dresden")
        assert place.source == "offline"
        assert place.precision == "postcode"
        assert place.note == "server_error"
        assert server.requests  # it did try


def test_offline_default_sends_nothing(finder, monkeypatch):
    import socket

    monkeypatch.setattr(socket.socket, "connect", lambda *a, **k: pytest.fail("network used"))
    assert finder.locate("Plauen").district == "Vogtlandkreis"
    assert finder.settings.online is False


def test_finder_shows_what_maintainers_decided_in_the_database(tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    before = (data / "offices.csv").read_bytes()
    monkeypatch.setenv("FINDER_DATA_DIR", str(data))
    monkeypatch.setenv("FINDER_CORRECTIONS_DB", str(tmp_path / "c.sqlite"))
    monkeypatch.setenv("FINDER_CORRECTIONS_TARGET", "database")
    ids = list(Finder().offices["id"])
    editor = DirectoryEditor(CorrectionStore(), data / "offices.csv", target="database")
    editor.apply(ids[0], {"phone": "0351 999999"}, by="anna", reason="phoned the office")
    editor.confirm(ids[1], by="anna")
    editor.remove(ids[2], by="anna", reason="closed")

    assert Finder().offices.set_index("id").loc[ids[0], "phone"] != "0351 999999"  # no overlay asked for
    offices = Finder(overlay=directory_overlay).offices.set_index("id")
    assert offices.loc[ids[0], "phone"] == "0351 999999"
    assert offices.loc[ids[1], "confirmed"] == dt.datetime.now(dt.UTC).date().isoformat()
    assert offices.loc[ids[0], "confirmed"] == ""
    assert ids[2] not in offices.index
    assert (data / "offices.csv").read_bytes() == before  # the database target never edits the file
