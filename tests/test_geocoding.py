"""Tests for finder.geocoding, finder._cache and the fake geocoder of tests/fake_geocoder.py (127.0.0.1 only)."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fake_geocoder import MODES, closed_port_url, serve_fake_geocoder
from geopy.geocoders import Nominatim, Photon
from geopy.geocoders.base import Geocoder
from geopy.location import Location
from geopy.point import Point
from helpers import FakeTimer
from hypothesis import given, settings
from hypothesis import strategies as st

import finder._cache
from finder._cache import MISS, DiskCache, hash_key, normalise_key
from finder.gazetteer import OfflineGazetteer
from finder.geocoding import (
    FALLBACK_REASONS,
    PRECISIONS,
    FallbackGeocoder,
    GeocodeResult,
    InvalidAnswerError,
    _read_answers,
    build_geocoder,
    build_online_geocoder,
)
from finder.settings import DEFAULT_USER_AGENT, Settings

REPO = Path(finder._cache.__file__).resolve().parents[1]
HOUSE = "Ostra-Allee 11, Dresden"
TIMEOUT = 0.5  # client timeout in these tests; the fake server's "timeout" mode waits 5 s
BACKENDS = ("nominatim", "photon")


class FakeOffline(Geocoder):
    """A stand-in for finder.gazetteer.OfflineGazetteer: knows two places, never touches the network."""

    PLACES = {  # noqa: RUF012 - read-only test data
        "ostra-allee 11, dresden": ("Dresden", 51.0509, 13.7383, "place", "Dresden"),
        "leipzig": ("Leipzig", 51.3396, 12.3713, "place", "Leipzig"),
        "01067": ("01067 Dresden", 51.0547, 13.7251, "postcode", "Dresden"),
    }

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, object]] = []

    def _location(self, label: str, lat: float, lon: float, precision: str, district: str) -> Location:
        raw = {"source": "offline", "precision": precision, "district": district, "in_saxony": True}
        return Location(label, (lat, lon, 0), raw)

    def geocode(self, query, *, exactly_one=True, timeout=None):
        self.calls.append(("geocode", query))
        hit = self.PLACES.get(" ".join(query.casefold().split()))
        if hit is None:
            return None
        location = self._location(*hit)
        return location if exactly_one else [location]

    def reverse(self, query, *, exactly_one=True, timeout=None):
        self.calls.append(("reverse", query))
        point = Point(query)
        location = self._location("Dresden", point.latitude, point.longitude, "point", "Dresden")
        return location if exactly_one else [location]


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch):
    # geopy reads the system proxy settings; a proxy would swallow our requests to 127.0.0.1.
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


def make_settings(tmp_path: Path, backend: str, url: str, **changes) -> Settings:
    values = {
        "geocoder": backend,
        "geocoder_url": url,
        "cache_dir": tmp_path / "cache",
        "geocoder_timeout": TIMEOUT,
        "geocoder_min_delay": 0.0,
    }
    values.update(changes)
    return Settings(**values)


def chain(tmp_path: Path, backend: str, url: str, **changes) -> tuple[FallbackGeocoder, FakeOffline]:
    offline = FakeOffline()
    return build_geocoder(make_settings(tmp_path, backend, url, **changes), offline=offline), offline


# -- the fake server itself -------------------------------------------------------------------------
def test_fake_server_rejects_unknown_mode():
    with pytest.raises(ValueError, match="unknown fake geocoder mode"), serve_fake_geocoder("teapot"):
        pass
    with serve_fake_geocoder("ok") as server:
        with pytest.raises(ValueError, match="unknown fake geocoder mode"):
            server.mode = "teapot"
        assert str(server) == server.base_url


# -- each mode, each backend ------------------------------------------------------------------------
EXPECTED_REASON = {
    "ok": None,
    "empty": "not_found",
    "timeout": "timeout",
    "429": "rate_limited",
    "500": "server_error",
    "garbage": "invalid_answer",
    "wrongshape": "invalid_answer",
    "badcoords": "invalid_answer",
}


def test_every_mode_has_an_expectation():
    assert set(EXPECTED_REASON) == set(MODES)
    assert {r for r in EXPECTED_REASON.values() if r} <= set(FALLBACK_REASONS)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("mode", MODES)
def test_geocode_modes(tmp_path, backend, mode):
    with serve_fake_geocoder(mode) as server:
        geocoder, offline = chain(tmp_path, backend, server.base_url)
        result = geocoder.geocode(HOUSE)
        assert server.paths() == ["/search" if backend == "nominatim" else "/api"]
    assert isinstance(result, GeocodeResult)
    assert result.query == HOUSE
    assert result.fallback_reason == EXPECTED_REASON[mode]
    if mode == "ok":
        assert result.source == backend
        assert result.precision == "street"
        assert (result.lat, result.lon) == pytest.approx((51.054, 13.728))
        assert "Ostra-Allee" in result.label
        assert offline.calls == []
        assert result.fallback_detail is None
    else:
        # The offline gazetteer answered, and the result says so and why.
        assert result.source == "offline"
        assert result.precision == "place"
        assert result.raw["district"] == "Dresden"
        assert offline.calls == [("geocode", HOUSE)]
        assert result.fallback_detail


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("mode", ["ok", "500", "wrongshape"])
def test_reverse_modes(tmp_path, backend, mode):
    with serve_fake_geocoder(mode) as server:
        geocoder, _ = chain(tmp_path, backend, server.base_url)
        result = geocoder.reverse((51.05401, 13.72799))
        assert server.paths() == ["/reverse"]
        request = server.requests[0]
    assert (request.param("lat"), request.param("lon")) == ("51.05401", "13.72799")
    assert ("format" in request.query) == (backend == "nominatim")
    assert result.query == "51.05401, 13.72799"
    assert result.fallback_reason == EXPECTED_REASON[mode]
    if mode == "ok":
        assert (result.source, result.precision) == (backend, "street")
        assert result.point == pytest.approx((51.054, 13.728))
    else:
        assert (result.source, result.precision) == ("offline", "point")


def test_connection_refused_falls_back(tmp_path):
    geocoder, _ = chain(tmp_path, "nominatim", closed_port_url())
    result = geocoder.geocode("Leipzig")
    assert (result.source, result.fallback_reason) == ("offline", "unavailable")
    assert "refused" in result.fallback_detail.lower()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("query", "precision"),
    [("Leipzig", "place"), ("09111", "postcode"), ("Landkreis Görlitz", "district"), (HOUSE, "street")],
)
def test_precision_of_online_answers(tmp_path, backend, query, precision):
    with serve_fake_geocoder("ok") as server:
        geocoder, _ = chain(tmp_path, backend, server.base_url)
        result = geocoder.geocode(query)
    assert (result.source, result.precision) == (backend, precision)
    assert result.precision in PRECISIONS


def test_nothing_found_anywhere_is_none(tmp_path):
    with serve_fake_geocoder("ok") as server:
        geocoder, offline = chain(tmp_path, "nominatim", server.base_url)
        assert geocoder.geocode("Xyzzy 99, Nirgendwo") is None
        assert geocoder.geocode("Xyzzy 99, Nirgendwo", exactly_one=False) is None
    assert offline.calls == [("geocode", "Xyzzy 99, Nirgendwo")] * 2


def test_exactly_one_false_gives_a_list(tmp_path):
    with serve_fake_geocoder("ok") as server:
        geocoder, _ = chain(tmp_path, "photon", server.base_url)
        results = geocoder.geocode("Leipzig", exactly_one=False)
    assert isinstance(results, list)
    assert [r.source for r in results] == ["photon"]


# -- what is sent -----------------------------------------------------------------------------------
def test_user_agent_and_region_parameters_are_sent(tmp_path):
    with serve_fake_geocoder("ok") as server:
        geocoder, _ = chain(tmp_path, "nominatim", server.base_url, user_agent="finder-test/1.0 (test)")
        geocoder.geocode(HOUSE)
        photon, _ = chain(tmp_path / "p", "photon", server.base_url)
        photon.geocode(HOUSE)
    nominatim_request, photon_request = server.requests
    assert nominatim_request.headers["User-Agent"] == "finder-test/1.0 (test)"
    assert nominatim_request.param("q") == HOUSE
    assert nominatim_request.param("countrycodes") == "de"
    assert nominatim_request.param("viewbox") == "11.8,50.1,15.1,51.7"
    assert nominatim_request.param("bounded") is None  # a hint, not a filter
    assert nominatim_request.param("accept-language") == "de"
    assert photon_request.headers["User-Agent"] == DEFAULT_USER_AGENT
    assert (photon_request.param("lat"), photon_request.param("lon")) == ("51.05", "13.35")
    assert photon_request.param("bbox") == "5.8,47.2,15.1,55.1"


def test_rate_limit_spacing_is_kept_across_geocode_and_reverse(tmp_path):
    # A fake clock that moves only when the limiter sleeps: the test checks the waits asked for.
    timer = FakeTimer()
    with serve_fake_geocoder("ok") as server:
        online = build_online_geocoder(make_settings(tmp_path, "nominatim", server.base_url))
        geocoder = FallbackGeocoder(
            FakeOffline(), online, min_delay=2.0, clock=timer.clock, sleep=timer.sleep
        )
        geocoder.geocode(HOUSE)
        geocoder.reverse((51.3, 12.4))  # right after: waits the whole delay (one budget for both)
        timer.advance(0.5)  # time spent elsewhere counts towards the spacing
        geocoder.geocode("Leipzig")
        timer.advance(3.0)  # longer than the delay ago: no wait
        geocoder.reverse((51.05, 13.73))
    assert server.paths() == ["/search", "/reverse", "/search", "/reverse"]
    assert timer.sleeps == pytest.approx([2.0, 1.5])


def test_retries_are_spaced_and_then_fall_back(tmp_path):
    timer = FakeTimer()
    with serve_fake_geocoder("500") as server:
        online = build_online_geocoder(make_settings(tmp_path, "nominatim", server.base_url))
        geocoder = FallbackGeocoder(
            FakeOffline(),
            online,
            min_delay=0.2,
            max_retries=1,
            error_wait_seconds=0.7,
            clock=timer.clock,
            sleep=timer.sleep,
        )
        result = geocoder.geocode(HOUSE)
    assert result.fallback_reason == "server_error"
    assert len(server.requests) == 2  # exactly one retry, no more
    # The retry waits error_wait_seconds; that is longer than min_delay, so the limiter adds nothing.
    assert timer.sleeps == pytest.approx([0.7])


def test_one_lookup_sends_one_request_even_on_429(tmp_path):
    # geopy's HTTP adapter would retry a 429 by itself (sleeping for Retry-After) behind the limiter.
    with serve_fake_geocoder("429") as server:
        geocoder, _ = chain(tmp_path, "photon", server.base_url)
        assert geocoder.geocode(HOUSE).fallback_reason == "rate_limited"
    assert len(server.requests) == 1


# -- the cache in the chain -------------------------------------------------------------------------
def test_cache_hit_avoids_second_request(tmp_path):
    with serve_fake_geocoder("ok") as server:
        geocoder, _ = chain(tmp_path, "nominatim", server.base_url)
        first = geocoder.geocode(HOUSE)
        second = geocoder.geocode("  ostra-allee   11,  DRESDEN ")
        assert len(server.requests) == 1
    assert (second.source, second.lat, second.lon, second.label) == (
        first.source,
        first.lat,
        first.lon,
        first.label,
    )


def test_negative_answer_is_cached(tmp_path):
    with serve_fake_geocoder("empty") as server:
        geocoder, _ = chain(tmp_path, "nominatim", server.base_url)
        assert geocoder.geocode(HOUSE).fallback_reason == "not_found"
        server.mode = "ok"  # a second request would now find the house
        assert geocoder.geocode(HOUSE).fallback_reason == "not_found"
    assert len(server.requests) == 1


def test_failures_are_not_cached(tmp_path):
    with serve_fake_geocoder("500") as server:
        geocoder, _ = chain(tmp_path, "nominatim", server.base_url)
        assert geocoder.geocode(HOUSE).source == "offline"
        server.mode = "ok"
        assert geocoder.geocode(HOUSE).source == "nominatim"
    assert len(server.requests) == 2


def test_cache_survives_a_new_chain(tmp_path):
    with serve_fake_geocoder("ok") as server:
        geocoder, _ = chain(tmp_path, "photon", server.base_url)
        geocoder.geocode(HOUSE)
        geocoder.reverse((51.054, 13.728))
        server.mode = "500"  # a restarted app with a broken server still has its cached answers
        again, _ = chain(tmp_path, "photon", server.base_url)
        assert again.geocode(HOUSE).source == "photon"
        assert again.reverse((51.054, 13.728)).source == "photon"
    assert len(server.requests) == 2


def test_cache_key_includes_backend_and_endpoint(tmp_path):
    with serve_fake_geocoder("ok") as one, serve_fake_geocoder("ok") as two:
        chain(tmp_path, "nominatim", one.base_url)[0].geocode(HOUSE)
        assert chain(tmp_path, "photon", one.base_url)[0].geocode(HOUSE).source == "photon"
        chain(tmp_path, "nominatim", two.base_url)[0].geocode(HOUSE)
    assert len(one.requests) == 2
    assert len(two.requests) == 1


def test_corrupt_cache_entries_are_misses_in_the_chain(tmp_path):
    with serve_fake_geocoder("ok") as server:
        geocoder, _ = chain(tmp_path, "nominatim", server.base_url)
        geocoder.geocode(HOUSE)
        files = list((tmp_path / "cache" / "geocode").glob("??/*.json"))
        assert len(files) == 1
        files[0].write_text('{"v": 1, "key": "trunc', encoding="utf-8")
        assert geocoder.geocode(HOUSE).source == "nominatim"
        # A well-formed entry whose value is not a list of answers is ignored as well.
        entry = json.loads(files[0].read_text(encoding="utf-8"))
        good = entry["value"]
        for bad in ({"lat": "oops"}, [{**good[0], "lat": "oops"}], [{**good[0], "extra": 1}]):
            entry["value"] = bad
            files[0].write_text(json.dumps(entry), encoding="utf-8")
            assert geocoder.geocode(HOUSE).source == "nominatim"
    assert len(server.requests) == 5


# -- offline mode: nothing leaves the machine --------------------------------------------------------
@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access in offline mode")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_offline_mode_sends_nothing_even_with_a_url(tmp_path, no_network):
    with serve_fake_geocoder("ok") as server:
        settings_ = make_settings(tmp_path, "offline", server.base_url)
        assert build_online_geocoder(settings_) is None
        geocoder = build_geocoder(settings_, offline=FakeOffline())
        result = geocoder.geocode(HOUSE)
        back = geocoder.reverse("51.05, 13.74")
        assert geocoder.geocode("Xyzzy") is None
        assert server.requests == []
    assert (result.source, result.fallback_reason) == ("offline", None)
    assert (back.source, back.precision) == ("offline", "point")
    assert geocoder.online is None and geocoder.cache is None
    assert not (tmp_path / "cache").exists()  # no user queries written to disk either


def test_offline_mode_with_the_real_gazetteer(tmp_path, no_network):
    geocoder = build_geocoder(Settings(geocoder="offline", cache_dir=tmp_path / "cache"))
    assert isinstance(geocoder.offline, OfflineGazetteer)
    result = geocoder.geocode("01067 Dresden")
    assert (result.source, result.precision, result.fallback_reason) == ("offline", "postcode", None)
    assert geocoder.reverse((51.05, 13.74)).source == "offline"
    assert not (tmp_path / "cache").exists()


def test_building_online_geocoders_sends_nothing(no_network):
    nominatim = build_online_geocoder(Settings(geocoder="nominatim", geocoder_url=""))
    assert isinstance(nominatim, Nominatim)
    assert nominatim.api == "https://nominatim.openstreetmap.org/search"
    assert nominatim.headers["User-Agent"] == DEFAULT_USER_AGENT
    hosted = build_online_geocoder(
        Settings(
            geocoder="nominatim", geocoder_url="http://geo.example.org:8080/nominatim/", geocoder_timeout=3
        )
    )
    assert hosted.api == "http://geo.example.org:8080/nominatim/search"
    assert hosted.timeout == 3
    photon = build_online_geocoder(Settings(geocoder="photon", geocoder_url="https://photon.example.org"))
    assert isinstance(photon, Photon)
    assert photon.api == "https://photon.example.org/api"


@pytest.mark.parametrize("url", ["photon.example.org", "ftp://example.org", "https://", "not a url"])
def test_bad_geocoder_url_is_a_clear_error(url):
    with pytest.raises(ValueError, match="FINDER_GEOCODER_URL"):
        build_online_geocoder(Settings(geocoder="photon", geocoder_url=url))


# -- input checking and the result type --------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:Latitude normalization")
def test_bad_input(tmp_path):
    with serve_fake_geocoder("ok") as server:
        geocoder, offline = chain(tmp_path, "nominatim", server.base_url)
        assert geocoder.geocode("   ") is None
        with pytest.raises(TypeError, match="must be text"):
            geocoder.geocode(None)
        with pytest.raises(ValueError, match="at most"):
            geocoder.geocode("x" * 1000)
        for bad in ["north", (1, 2, 3, 4), "91, 13", None, " ", (float("nan"), 13.0)]:
            with pytest.raises(ValueError, match="coordinate pair"):
                geocoder.reverse(bad)
        assert server.requests == []
    assert offline.calls == []


def test_result_is_frozen_and_serialisable(tmp_path):
    with serve_fake_geocoder("ok") as server:
        result = chain(tmp_path, "nominatim", server.base_url)[0].geocode(HOUSE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.lat = 0.0
    data = result.to_dict()
    assert data["source"] == "nominatim"
    assert json.loads(json.dumps(data))["raw"]["addresstype"] == "building"
    assert result.online


# -- reading untrusted answers (property) ------------------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)
nominatim_like = st.fixed_dictionaries(
    {},
    optional={
        "lat": json_values | st.floats().map(str),
        "lon": json_values | st.floats().map(str),
        "display_name": json_values,
        "addresstype": json_values,
        "place_rank": json_values,
    },
)
photon_like = st.fixed_dictionaries(
    {},
    optional={
        "geometry": st.fixed_dictionaries({}, optional={"coordinates": st.lists(json_values, max_size=3)})
        | json_values,
        "properties": st.dictionaries(st.sampled_from(["type", "name", "street", "city"]), json_values)
        | json_values,
    },
)


@settings(max_examples=150, deadline=None)
@given(backend=st.sampled_from(BACKENDS), raws=st.lists(nominatim_like | photon_like, min_size=1, max_size=3))
def test_untrusted_answers_are_checked_or_rejected(backend, raws):
    locations = [Location("x", (0, 0), raw) for raw in raws]
    try:
        answers = _read_answers(backend, locations)
    except InvalidAnswerError:
        return
    for answer in answers:
        assert math.isfinite(answer["lat"]) and abs(answer["lat"]) <= 90
        assert math.isfinite(answer["lon"]) and abs(answer["lon"]) <= 180
        assert answer["precision"] in PRECISIONS
        assert isinstance(answer["label"], str) and answer["label"]


# -- DiskCache --------------------------------------------------------------------------------------
def test_disk_cache_miss_negative_and_survival(tmp_path):
    cache = DiskCache(tmp_path / "c")
    assert cache.get(("k", 1)) is MISS
    assert not (tmp_path / "c").exists()  # reads create nothing
    cache.set(("k", 1), None)
    cache.set(("k", 2), [])
    cache.set(("k", 3), {"lat": 51.0, "name": "Görlitz"})
    again = DiskCache(tmp_path / "c")
    assert again.get(("k", 1)) is None and ("k", 1) in again
    assert again.get(("k", 2)) == []
    assert again.get(("k", 3)) == {"lat": 51.0, "name": "Görlitz"}
    assert ("k", 4) not in again
    assert len(again) == 3
    again.delete(("k", 3))
    assert cache.get(("k", 3)) is MISS
    again.clear()
    assert len(cache) == 0


def test_disk_cache_rejects_values_json_cannot_hold(tmp_path):
    cache = DiskCache(tmp_path)
    with pytest.raises(ValueError):
        cache.set("nan", float("nan"))
    with pytest.raises(TypeError):
        cache.set("set", {1, 2})
    assert len(cache) == 0


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b'{"v": 1, "key": ',
        b"\xff\xfe\x00garbage",
        b"[1, 2, 3]",
        b'{"v": 99, "key": "KEY", "stored": 0, "value": 1}',
        b'{"v": 1, "key": "somebody-else", "stored": 0, "value": 1}',
        b'{"v": 1, "key": "KEY", "stored": "yesterday", "value": 1}',
        b'{"v": 1, "key": "KEY", "stored": 0}',
    ],
)
def test_corrupt_entry_is_a_miss(tmp_path, content):
    cache = DiskCache(tmp_path)
    cache.set("query", "answer")
    path = cache.path_for("query")
    path.write_bytes(content.replace(b"KEY", path.stem.encode()))
    assert cache.get("query") is MISS
    cache.set("query", "again")  # and it can be overwritten
    assert cache.get("query") == "again"


def test_unreadable_entry_is_a_miss(tmp_path):
    cache = DiskCache(tmp_path)
    cache.path_for("q").mkdir(parents=True)  # a directory where the file should be
    assert cache.get("q") is MISS
    cache.set("q", 1)  # cannot replace a directory: logged, not raised
    assert cache.get("q") is MISS


def test_entries_expire(tmp_path, monkeypatch):
    cache = DiskCache(tmp_path, max_age=3600)
    cache.set("q", 1)
    assert cache.get("q") == 1
    later = time.time() + 7200
    monkeypatch.setattr(finder._cache.time, "time", lambda: later)
    assert cache.get("q") is MISS
    assert DiskCache(tmp_path).get("q") == 1  # without max_age it never expires


def test_cache_files_hide_the_query(tmp_path):
    cache = DiskCache(tmp_path)
    cache.set(("nominatim", "Geheimweg 7, Pirna"), [])
    (path,) = tmp_path.glob("??/*.json")
    assert "geheimweg" not in path.read_text(encoding="utf-8").casefold()
    assert "geheimweg" not in str(path).casefold()
    if os.name == "posix":
        assert path.stat().st_mode & 0o077 == 0


text_parts = st.text(st.characters(codec="utf-8", exclude_characters="\x1f"), max_size=20)


@given(st.lists(text_parts, min_size=1, max_size=4))
def test_key_normalisation_ignores_case_and_spacing(parts):
    messy = tuple("  " + "\t".join(p.upper().split(" ")) + " " for p in parts)
    # Upper-casing is not always undone by case-folding (e.g. "ß" → "SS" → "ss"), so compare the
    # case-folded forms, which is exactly what the cache promises.
    assert normalise_key(messy) == normalise_key(tuple(p.upper() for p in parts))
    assert hash_key(messy) == hash_key(tuple(" ".join(p.upper().split()) for p in parts))


@given(st.text(max_size=10), st.text(max_size=10))
def test_different_keys_differ(a, b):
    if normalise_key(a) != normalise_key(b):
        assert hash_key(a) != hash_key(b)
    assert hash_key(("nominatim", a)) != hash_key(("photon", a))


def test_json_round_trip_property(tmp_path):
    cache = DiskCache(tmp_path)
    values = st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
        max_leaves=20,
    )

    @settings(max_examples=60, deadline=None)
    @given(st.text(max_size=30), values)
    def round_trip(key, value):
        cache.set(key, value)
        assert cache.get(key) == value

    round_trip()


def test_parallel_threads(tmp_path):
    errors: list[str] = []

    def work(writer: int) -> None:
        cache = DiskCache(tmp_path)  # own instance, shared folder
        for i in range(40):
            cache.set(("shared", i % 10), {"writer": writer, "i": i % 10, "pad": "x" * 3000})
            cache.set(("own", writer, i), [writer, i])
            seen = cache.get(("shared", (i * 3) % 10))
            if seen is MISS and i >= 10:  # this thread has stored every shared key by now
                errors.append("miss")
            elif seen is not MISS and (seen["i"] != (i * 3) % 10 or len(seen["pad"]) != 3000):
                errors.append(repr(seen)[:80])

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cache = DiskCache(tmp_path)
    assert errors == []
    assert all(cache.get(("own", w, i)) == [w, i] for w in range(8) for i in range(40))
    assert {cache.get(("shared", i))["i"] for i in range(10)} == set(range(10))
    assert len(cache) == 8 * 40 + 10
    assert not list(tmp_path.glob("??/.tmp-*"))


WRITER = """
import sys
from finder._cache import MISS, DiskCache
folder, writer = sys.argv[1], int(sys.argv[2])
cache = DiskCache(folder)
bad = 0
for i in range(60):
    cache.set(("shared", i % 15), {"writer": writer, "i": i % 15, "pad": "y" * 5000})
    cache.set(("own", writer, i), [writer, i])
    seen = cache.get(("shared", (i * 7) % 15))
    # From i = 15 on this writer has stored every shared key, so a miss means a damaged entry.
    if (seen is MISS and i >= 15) or (seen is not MISS and (seen["i"] != (i * 7) % 15 or len(seen["pad"]) != 5000)):
        bad += 1
print(bad)
"""


def test_parallel_processes(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path), str(w)], stdout=subprocess.PIPE, text=True, env=env
        )
        for w in range(4)
    ]
    outputs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0] * 4
    assert outputs == ["0"] * 4  # no reader ever saw a half-written entry
    cache = DiskCache(tmp_path)
    assert all(cache.get(("own", w, i)) == [w, i] for w in range(4) for i in range(60))
    shared = [cache.get(("shared", i)) for i in range(15)]
    assert all(s["i"] == i and s["writer"] in range(4) for i, s in enumerate(shared))
    assert len(cache) == 4 * 60 + 15
    assert not list(tmp_path.glob("??/.tmp-*"))
