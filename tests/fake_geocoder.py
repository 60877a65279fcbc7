"""A tiny local HTTP server that imitates Nominatim and Photon, for tests and demos without the internet.

It answers what geopy sends:

- Nominatim ``GET /search?q=…&format=json`` and ``GET /reverse?lat=…&lon=…&format=json``;
- Photon ``GET /api?q=…`` and ``GET /reverse?lat=…&lon=…`` (no ``format`` parameter: that is how the two
  ``/reverse`` endpoints are told apart).

Known queries (case and whitespace do not matter) are listed in :data:`KNOWN_PLACES`; anything else
is "nothing found". The behaviour is chosen by a mode (see :data:`MODES`) and can be changed while the
server runs by assigning :attr:`FakeGeocoderServer.mode`. Every request is recorded with its path,
query parameters, headers and the mode it was answered in.

Examples
--------
>>> from geopy.geocoders import Nominatim
>>> with serve_fake_geocoder("ok") as server:
...     geocoder = Nominatim(domain=server.domain, scheme="http", user_agent="doctest")
...     geocoder.geocode("Ostra-Allee 11, Dresden").latitude
51.054
"""

from __future__ import annotations

import json
import math
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

#: Behaviour modes: ``ok`` (realistic answers), ``empty`` (nothing found), ``timeout`` (answer only after
#: :attr:`FakeGeocoderServer.delay` seconds), ``429`` (rate limited, with ``Retry-After``), ``500``
#: (server error), ``garbage`` (HTTP 200 with an HTML body), ``wrongshape`` (HTTP 200, a JSON list of
#: dicts without coordinates), ``badcoords`` (the right shape, but coordinates that are not numbers).
MODES: Final = ("ok", "empty", "timeout", "429", "500", "garbage", "wrongshape", "badcoords")

LICENCE: Final = "Data © OpenStreetMap contributors, ODbL 1.0. https://osm.org/copyright"


@dataclass(frozen=True)
class _Place:
    """One known answer, with what both Nominatim and Photon need to describe it."""

    names: tuple[str, ...]
    lat: float
    lon: float
    display_name: str
    osm_type: str
    osm_id: int
    nominatim_class: str
    nominatim_type: str
    addresstype: str
    place_rank: int
    photon_type: str
    address: dict[str, str]


#: The answers the server knows, by normalised query.
KNOWN_PLACES: Final = (
    _Place(
        names=("ostra-allee 11, dresden", "ostra-allee 11, 01067 dresden", "ostra-allee 11"),
        lat=51.054,
        lon=13.728,
        display_name="11, Ostra-Allee, Wilsdruffer Vorstadt, Innere Altstadt, Altstadt, Dresden, Sachsen, "
        "01067, Deutschland",
        osm_type="node",
        osm_id=3_712_345_678,
        nominatim_class="building",
        nominatim_type="house",
        addresstype="building",
        place_rank=30,
        photon_type="house",
        address={
            "house_number": "11",
            "road": "Ostra-Allee",
            "suburb": "Wilsdruffer Vorstadt",
            "city_district": "Altstadt",
            "city": "Dresden",
            "state": "Sachsen",
            "ISO3166-2-lvl4": "DE-SN",
            "postcode": "01067",
            "country": "Deutschland",
            "country_code": "de",
        },
    ),
    _Place(
        names=("leipzig",),
        lat=51.3406321,
        lon=12.3747329,
        display_name="Leipzig, Sachsen, Deutschland",
        osm_type="relation",
        osm_id=62_649,
        nominatim_class="boundary",
        nominatim_type="administrative",
        addresstype="city",
        place_rank=16,
        photon_type="city",
        address={
            "city": "Leipzig",
            "state": "Sachsen",
            "ISO3166-2-lvl4": "DE-SN",
            "country": "Deutschland",
            "country_code": "de",
        },
    ),
    _Place(
        names=("09111", "09111 chemnitz"),
        lat=50.8322,
        lon=12.9252,
        display_name="09111, Zentrum, Chemnitz, Sachsen, Deutschland",
        osm_type="relation",
        osm_id=1_234_567,
        nominatim_class="boundary",
        nominatim_type="postal_code",
        addresstype="postcode",
        place_rank=21,
        photon_type="other",
        address={
            "postcode": "09111",
            "suburb": "Zentrum",
            "city": "Chemnitz",
            "state": "Sachsen",
            "country": "Deutschland",
            "country_code": "de",
        },
    ),
    _Place(
        names=("landkreis görlitz", "görlitz district"),
        lat=51.1696,
        lon=14.7784,
        display_name="Landkreis Görlitz, Sachsen, Deutschland",
        osm_type="relation",
        osm_id=2_475_453,
        nominatim_class="boundary",
        nominatim_type="administrative",
        addresstype="county",
        place_rank=12,
        photon_type="county",
        address={
            "county": "Landkreis Görlitz",
            "state": "Sachsen",
            "country": "Deutschland",
            "country_code": "de",
        },
    ),
)

# Reverse answers only within this distance (degrees) of a known place, as a stand-in for "on land".
_REVERSE_RADIUS = 0.5


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake server received."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    mode: str

    def param(self, name: str) -> str | None:
        """Return the first value of query parameter ``name`` (``None`` if absent)."""
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class FakeGeocoderServer:
    """A running fake geocoder; see :func:`serve_fake_geocoder`.

    Attributes
    ----------
    base_url
        ``http://127.0.0.1:<port>``, e.g. for ``FINDER_GEOCODER_URL``.
    domain
        ``127.0.0.1:<port>``, what geopy's ``domain=`` expects (with ``scheme="http"``).
    mode
        The current behaviour (one of :data:`MODES`); may be changed while the server runs.
    delay
        Seconds the ``timeout`` mode waits before answering.
    requests
        Every request received so far, oldest first.
    """

    base_url: str
    domain: str
    mode: str
    delay: float
    requests: list[RecordedRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)

    def __setattr__(self, name: str, value: object) -> None:
        if name == "mode" and value not in MODES:
            msg = f"unknown fake geocoder mode {value!r}; use one of {', '.join(MODES)}"
            raise ValueError(msg)
        super().__setattr__(name, value)

    def __str__(self) -> str:
        return self.base_url

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def paths(self) -> list[str]:
        """Return the paths of all requests received so far."""
        with self._lock:
            return [r.path for r in self.requests]


def _normalise(text: str) -> str:
    return " ".join(text.casefold().split())


def _find(query: str) -> _Place | None:
    wanted = _normalise(query)
    return next((p for p in KNOWN_PLACES if wanted in p.names), None)


def _nearest(lat: float, lon: float) -> _Place | None:
    best = min(KNOWN_PLACES, key=lambda p: math.hypot(p.lat - lat, p.lon - lon))
    return best if math.hypot(best.lat - lat, best.lon - lon) <= _REVERSE_RADIUS else None


def _nominatim_json(place: _Place, *, bad_coords: bool = False) -> dict[str, Any]:
    # The fields and types of Nominatim's format=json (lat/lon are strings there).
    return {
        "place_id": place.osm_id % 1_000_000,
        "licence": LICENCE,
        "osm_type": place.osm_type,
        "osm_id": place.osm_id,
        "lat": "north" if bad_coords else f"{place.lat}",
        "lon": "east" if bad_coords else f"{place.lon}",
        "class": place.nominatim_class,
        "type": place.nominatim_type,
        "place_rank": place.place_rank,
        "importance": 0.5,
        "addresstype": place.addresstype,
        "name": place.display_name.split(",")[0],
        "display_name": place.display_name,
        "address": dict(place.address),
        "boundingbox": [
            f"{place.lat - 0.001}",
            f"{place.lat + 0.001}",
            f"{place.lon - 0.001}",
            f"{place.lon + 0.001}",
        ],
    }


def _photon_feature(place: _Place, *, bad_coords: bool = False) -> dict[str, Any]:
    address = place.address
    properties = {
        "osm_type": place.osm_type[0].upper(),
        "osm_id": place.osm_id,
        "osm_key": "place" if place.photon_type != "house" else "building",
        "osm_value": "postcode" if place.addresstype == "postcode" else place.nominatim_type,
        "type": place.photon_type,
        "countrycode": "DE",
        "country": address.get("country"),
        "state": address.get("state"),
        "county": address.get("county"),
        "city": address.get("city"),
        "district": address.get("suburb"),
        "postcode": address.get("postcode"),
        "street": address.get("road"),
        "housenumber": address.get("house_number"),
        "name": None if place.photon_type == "house" else place.display_name.split(",")[0],
    }
    coordinates: list[Any] = ["east", "north"] if bad_coords else [place.lon, place.lat]
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": coordinates},
        "properties": {k: v for k, v in properties.items() if v is not None},
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive like real servers (requests reuses the connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests read :attr:`FakeGeocoderServer.requests` instead."""

    def do_GET(self) -> None:
        """Answer one request according to the server's current mode."""
        fake = self.server.fake
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        mode = fake.mode
        fake._record(
            RecordedRequest(
                path=parts.path,
                query=query,
                headers=dict(self.headers.items()),
                mode=mode,
            )
        )
        if mode == "timeout":
            # Interruptible wait, so that leaving the context manager does not hang on this thread.
            fake._stopping.wait(fake.delay)
        if mode == "429":
            self._send(429, b"Too Many Requests", "text/plain", extra={"Retry-After": "1"})
        elif mode == "500":
            self._send(500, b"Internal Server Error", "text/plain")
        elif mode == "garbage":
            self._send(200, b"<html><body>Bad Gateway</body></html>", "text/html")
        elif mode == "wrongshape":
            self._json([{"place_id": 1, "display_name": "Somewhere", "note": "no coordinates here"}])
        else:
            self._answer(parts.path, query, bad_coords=mode == "badcoords", empty=mode == "empty")

    def _answer(self, path: str, query: dict[str, list[str]], *, bad_coords: bool, empty: bool) -> None:
        nominatim = "format" in query
        if path in {"/search", "/api"}:
            place = None if empty else _find(query.get("q", [""])[0])
        elif path == "/reverse":
            try:
                lat, lon = float(query["lat"][0]), float(query["lon"][0])
            except (KeyError, ValueError):
                self._send(400, b"lat and lon required", "text/plain")
                return
            place = None if empty else _nearest(lat, lon)
        else:
            self._send(404, b"Not Found", "text/plain")
            return
        if path == "/search":
            self._json([_nominatim_json(place, bad_coords=bad_coords)] if place else [])
        elif path == "/reverse" and nominatim:
            self._json(
                _nominatim_json(place, bad_coords=bad_coords) if place else {"error": "Unable to geocode"}
            )
        else:
            features = [_photon_feature(place, bad_coords=bad_coords)] if place else []
            self._json({"type": "FeatureCollection", "features": features})

    def _json(self, data: object) -> None:
        self._send(200, json.dumps(data).encode("utf-8"), "application/json; charset=utf-8")

    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up (e.g. after its timeout); nothing to tell it


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeGeocoderServer


@contextmanager
def serve_fake_geocoder(mode: str = "ok", *, delay: float = 5.0) -> Iterator[FakeGeocoderServer]:
    """Run a fake Nominatim + Photon server on ``127.0.0.1`` (a free port) for the ``with`` block.

    Parameters
    ----------
    mode
        Initial behaviour, one of :data:`MODES`.
    delay
        Seconds the ``timeout`` mode waits before answering (make it longer than the client's timeout).

    Yields
    ------
    FakeGeocoderServer
        With ``base_url`` (``str(server)`` is the same), ``domain``, a settable ``mode`` and the
        recorded ``requests``.

    Raises
    ------
    ValueError
        If ``mode`` is not one of :data:`MODES`.
    """
    if mode not in MODES:
        msg = f"unknown fake geocoder mode {mode!r}; use one of {', '.join(MODES)}"
        raise ValueError(msg)
    httpd = _Server(("127.0.0.1", 0), _Handler)
    host, port = httpd.server_address[:2]
    fake = FakeGeocoderServer(
        base_url=f"http://{host}:{port}", domain=f"{host}:{port}", mode=mode, delay=delay
    )
    httpd.fake = fake
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake._stopping.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def closed_port_url() -> str:
    """Return an ``http://127.0.0.1:<port>`` URL where nothing listens (connection refused), for tests."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # The port was free a moment ago and nothing listens on it now; the OS rarely reuses it this fast.
    return f"http://127.0.0.1:{port}"
