"""Geocoding with an optional online geocoder, a disk cache and the offline gazetteer as fallback.

The chain for every lookup (:class:`FallbackGeocoder`)::

    cached online answer  →  online geocoder (rate-limited)  →  offline gazetteer

The online geocoder (Nominatim or Photon through geopy) is only built when ``settings.geocoder`` asks
for it; with the default ``"offline"`` nothing leaves the machine and nothing is written to the cache.
When the online geocoder times out, is rate-limited, fails (HTTP 5xx, connection refused) or answers
something unusable (not JSON, JSON of the wrong shape, coordinates that are not numbers), the offline
gazetteer answers instead and the :class:`GeocodeResult` says so (``source`` and ``fallback_reason``).

Cross-cutting concerns wrap the plain geopy geocoder the way geopy recommends, instead of living inside
a backend: :class:`geopy.extra.rate_limiter.RateLimiter` spaces the requests, and the
:class:`~finder._cache.DiskCache` in front of it means that a cached answer costs no request (and no
waiting for the rate limiter). Only valid answers are cached, including "nothing found".

Examples
--------
>>> from finder.settings import Settings
>>> geocoder = build_geocoder(Settings(geocoder="offline"))
>>> result = geocoder.geocode("01067 Dresden")
>>> result.source, result.precision, result.fallback_reason
('offline', 'postcode', None)
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from timeit import default_timer
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from geopy.adapters import AdapterHTTPError, BaseAdapter, RequestsAdapter, URLLibAdapter, requests_available
from geopy.exc import (
    GeocoderAuthenticationFailure,
    GeocoderInsufficientPrivileges,
    GeocoderParseError,
    GeocoderQueryError,
    GeocoderQuotaExceeded,
    GeocoderServiceError,
    GeocoderTimedOut,
    GeocoderUnavailable,
)
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim, Photon
from geopy.location import Location
from geopy.point import Point

from finder import rules
from finder import settings as _settings
from finder._cache import MISS, DiskCache
from finder.errors import InvalidAnswerError

if TYPE_CHECKING:
    from geopy.geocoders.base import Geocoder

logger = logging.getLogger(__name__)

#: Saxony's bounding box as geopy wants it, ``((south, west), (north, east))``: lon 11.8–15.1, lat 50.1–51.7.
SAXONY_VIEWBOX: Final = ((50.1, 11.8), (51.7, 15.1))
#: Roughly the middle of Saxony, for Photon's location bias.
SAXONY_CENTRE: Final = (51.05, 13.35)
#: Germany's bounding box; Photon has no country filter, so its bbox filter stands in for one.
GERMANY_BBOX: Final = ((47.2, 5.8), (55.1, 15.1))

#: How exact an answer is, most exact first. ``street`` is a house or street, ``point`` a coordinate
#: the user gave (offline reverse geocoding), ``unknown`` an online answer we cannot classify.
PRECISIONS: Final = ("point", "street", "postcode", "place", "district", "state", "country", "unknown")

#: Why the offline gazetteer answered although an online geocoder is configured.
FALLBACK_REASONS: Final = (
    "not_found",  # the online geocoder answered, but found nothing
    "timeout",  # no answer within settings.geocoder_timeout (also HTTP 408/503/504)
    "rate_limited",  # HTTP 429 or quota exceeded
    "server_error",  # HTTP 5xx or another service error
    "unavailable",  # connection refused, DNS failure, network down
    "rejected",  # HTTP 400/401/403: bad request, wrong key, banned User-Agent
    "invalid_answer",  # not JSON, JSON of the wrong shape, coordinates that are not numbers
    "error",  # anything else (logged with a traceback)
)

#: Online answers stay cached this long (OSM data changes slowly; a moved office gets a fresh lookup).
CACHE_MAX_AGE: Final = 180 * 24 * 3600.0
#: At most this many candidates are asked for from an online geocoder.
ONLINE_LIMIT: Final = 5
#: Longest query accepted (Nominatim refuses much longer ones anyway).
MAX_QUERY_LENGTH: Final = rules.MAX_QUERY_LENGTH
LANGUAGE: Final = "de"  # place names as on the signs, whatever the user interface language

# Nominatim's ``addresstype`` (format=json since Nominatim 4.x) → our precision.
_NOMINATIM_ADDRESSTYPE: Final = {
    **dict.fromkeys(
        ("house", "building", "house_number", "road", "street", "amenity", "office", "shop", "tourism"),
        "street",
    ),
    "postcode": "postcode",
    **dict.fromkeys(
        (
            "city",
            "town",
            "village",
            "hamlet",
            "isolated_dwelling",
            "municipality",
            "suburb",
            "quarter",
            "neighbourhood",
            "city_district",
            "borough",
            "locality",
            "city_block",
        ),
        "place",
    ),
    **dict.fromkeys(("county", "state_district"), "district"),
    "state": "state",
    "country": "country",
}
# Photon's ``type`` → our precision.
_PHOTON_TYPE: Final = {
    "house": "street",
    "street": "street",
    "locality": "place",
    "district": "place",
    "city": "place",
    "county": "district",
    "state": "state",
    "country": "country",
}


@dataclass(frozen=True)
class GeocodeResult:
    """One geocoding answer, whoever gave it.

    Attributes
    ----------
    query
        What was looked up (whitespace-normalised), or ``"lat, lon"`` for a reverse lookup.
    label
        Human-readable name of the answer (e.g. Nominatim's ``display_name``).
    lat, lon
        WGS84 coordinates (finite, in range).
    precision
        One of :data:`PRECISIONS`; ``street`` for house- or street-level online answers.
    source
        Who answered: ``"nominatim"``, ``"photon"`` or ``"offline"`` (or another geocoder's name).
    fallback_reason
        ``None`` if the configured geocoder answered (or none is configured); otherwise why the online
        geocoder did not, one of :data:`FALLBACK_REASONS`.
    fallback_detail
        The online geocoder's error message, for logs; ``None`` when there is no fallback.
    raw
        The answering geocoder's own data (for the offline gazetteer: ``district``, ``in_saxony``, …).
    """

    query: str
    label: str
    lat: float
    lon: float
    precision: str
    source: str
    fallback_reason: str | None = None
    fallback_detail: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def point(self) -> tuple[float, float]:
        """``(lat, lon)``."""
        return (self.lat, self.lon)

    @property
    def online(self) -> bool:
        """Whether an online geocoder gave this answer (possibly from the cache)."""
        return self.source != "offline"

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a plain dict (e.g. for JSON output)."""
        return asdict(self)


# -- building ---------------------------------------------------------------------------------------
def _endpoint(url: str) -> tuple[str, str]:
    """Split a base URL into geopy's ``(scheme, domain)``; a path (``/nominatim``) stays in the domain."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        msg = f"FINDER_GEOCODER_URL must look like https://host[:port][/path], not {url!r}"
        raise ValueError(msg)
    return parts.scheme, parts.netloc + parts.path.rstrip("/")


def _adapter_without_retries(*, proxies: object, ssl_context: object) -> BaseAdapter:
    """Return geopy's HTTP adapter with no retries of its own.

    geopy's default ``RequestsAdapter`` lets urllib3 retry twice, and urllib3 then obeys a 429's
    ``Retry-After`` by sleeping, so one lookup could hang for minutes and send three requests past the
    rate limiter. Retries belong to the ``RateLimiter`` (``max_retries``), which keeps the spacing.
    """
    if requests_available:
        return RequestsAdapter(proxies=proxies, ssl_context=ssl_context, max_retries=0)
    return URLLibAdapter(proxies=proxies, ssl_context=ssl_context)  # urllib does not retry


def build_online_geocoder(settings: _settings.Settings | None = None) -> Geocoder | None:
    """Return the plain geopy geocoder that ``settings`` asks for, or ``None`` for ``"offline"``.

    Parameters
    ----------
    settings
        ``geocoder`` picks the backend; ``geocoder_url`` (empty = the public service: Nominatim's
        ``nominatim.openstreetmap.org``, Photon's ``photon.komoot.io``), ``user_agent`` and
        ``geocoder_timeout`` configure it. Default: :func:`finder.settings.load`.

    Returns
    -------
    geopy.geocoders.base.Geocoder or None
        A :class:`~geopy.geocoders.Nominatim` or :class:`~geopy.geocoders.Photon`, without rate limiting
        or caching (see :class:`FallbackGeocoder` for those). Building it sends nothing.

    Raises
    ------
    ValueError
        If ``geocoder_url`` is not an http(s) URL.
    """
    settings = settings if settings is not None else _settings.load()
    if not settings.online:
        return None
    options: dict[str, Any] = {
        "user_agent": settings.user_agent,
        "timeout": settings.geocoder_timeout,
        "adapter_factory": _adapter_without_retries,
    }
    if settings.geocoder_url:
        options["scheme"], options["domain"] = _endpoint(settings.geocoder_url)
    if settings.geocoder == "nominatim":
        return Nominatim(**options)
    return Photon(**options)


def backend_name(geocoder: Geocoder) -> str:
    """Return ``"nominatim"``, ``"photon"`` or the lower-cased class name of another geopy geocoder."""
    if isinstance(geocoder, Nominatim):
        return "nominatim"
    if isinstance(geocoder, Photon):
        return "photon"
    return str(getattr(geocoder, "name", "") or type(geocoder).__name__).lower()


def _api_url(geocoder: Geocoder, method: str) -> str:
    attribute = "reverse_api" if method == "reverse" else "api"
    return str(getattr(geocoder, attribute, "") or getattr(geocoder, "domain", ""))


# -- reading online answers -------------------------------------------------------------------------
def _coordinate(value: object, limit: float, what: str) -> float:
    # bool is an int, and "51.0" strings are what Nominatim sends; anything else is not a coordinate.
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        msg = f"{what} is not a number: {value!r}"
        raise InvalidAnswerError(msg)
    try:
        number = float(value)
    except ValueError:
        msg = f"{what} is not a number: {value!r}"
        raise InvalidAnswerError(msg) from None
    if not math.isfinite(number) or abs(number) > limit:
        msg = f"{what} out of range: {value!r}"
        raise InvalidAnswerError(msg)
    return number


def _nominatim_precision(raw: Mapping[str, Any]) -> str:
    addresstype = raw.get("addresstype")
    if isinstance(addresstype, str) and addresstype in _NOMINATIM_ADDRESSTYPE:
        return _NOMINATIM_ADDRESSTYPE[addresstype]
    if raw.get("type") == "postcode" or raw.get("type") == "postal_code":
        return "postcode"
    rank = raw.get("place_rank")
    if isinstance(rank, int) and not isinstance(rank, bool):
        # Nominatim's search ranks: 4 country, 8 state, 12 county, 13–25 settlements and parts of
        # them, 26–27 streets, 28–30 houses and POIs.
        for lowest, precision in (
            (26, "street"),
            (13, "place"),
            (10, "district"),
            (5, "state"),
            (0, "country"),
        ):
            if rank >= lowest:
                return precision
    return "unknown"


def _photon_precision(properties: Mapping[str, Any]) -> str:
    if properties.get("osm_value") == "postcode" or properties.get("type") == "postcode":
        return "postcode"
    kind = properties.get("type")
    if isinstance(kind, str) and kind in _PHOTON_TYPE:
        return _PHOTON_TYPE[kind]
    return "street" if properties.get("housenumber") else "unknown"


def _photon_label(properties: Mapping[str, Any]) -> str:
    street = " ".join(str(properties[k]) for k in ("street", "housenumber") if properties.get(k))
    town = " ".join(str(properties[k]) for k in ("postcode", "city") if properties.get(k))
    parts = [properties.get("name"), street, town, properties.get("state")]
    return ", ".join(str(p) for p in parts if p)


def _read_answer(backend: str, location: object) -> dict[str, Any]:
    """Turn one geopy ``Location`` into a checked, JSON-able dict (what the cache stores).

    Raises
    ------
    InvalidAnswerError
        If the answer lacks usable coordinates. geopy turns missing coordinates into ``(0, 0)``, so
        they are read from ``raw`` and not from ``location.latitude``.
    """
    if not isinstance(location, Location) or not isinstance(location.raw, Mapping):
        msg = f"not a geocoding answer: {location!r:.200}"
        raise InvalidAnswerError(msg)
    raw = dict(location.raw)
    if backend == "nominatim":
        lat = _coordinate(raw.get("lat"), 90, "latitude")
        lon = _coordinate(raw.get("lon"), 180, "longitude")
        label = raw.get("display_name")
        precision = _nominatim_precision(raw)
    elif backend == "photon":
        geometry, properties = raw.get("geometry"), raw.get("properties")
        coordinates = geometry.get("coordinates") if isinstance(geometry, Mapping) else None
        if (
            not isinstance(properties, Mapping)
            or not isinstance(coordinates, Sequence)
            or len(coordinates) < 2
        ):
            msg = f"not a Photon feature: {raw!r:.200}"
            raise InvalidAnswerError(msg)
        lon = _coordinate(coordinates[0], 180, "longitude")
        lat = _coordinate(coordinates[1], 90, "latitude")
        label = _photon_label(properties)
        precision = _photon_precision(properties)
    else:
        lat = _coordinate(location.latitude, 90, "latitude")
        lon = _coordinate(location.longitude, 180, "longitude")
        label = location.address
        precision = raw.get("precision")
        precision = precision if precision in PRECISIONS else "unknown"
    if not isinstance(label, str) or not label.strip():
        label = f"{lat:.5f}, {lon:.5f}"
    return {"label": label, "lat": lat, "lon": lon, "precision": precision, "raw": raw}


def _read_answers(backend: str, answer: object) -> list[dict[str, Any]]:
    if answer is None:
        return []
    locations = answer if isinstance(answer, list) else [answer]
    return [_read_answer(backend, location) for location in locations]


def _fallback_reason(error: BaseException) -> str:
    """Map an exception from the online geocoder to one of :data:`FALLBACK_REASONS`."""
    cause = error.__cause__
    if isinstance(cause, AdapterHTTPError):
        # The HTTP status is more telling than geopy's exception class (geopy maps 503 to "timed out").
        if cause.status_code == 429:
            return "rate_limited"
        if cause.status_code >= 500:
            return "server_error"
    reasons: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
        (GeocoderTimedOut, "timeout"),
        (GeocoderQuotaExceeded, "rate_limited"),  # includes GeocoderRateLimited
        (GeocoderUnavailable, "unavailable"),
        (GeocoderParseError, "invalid_answer"),
        ((GeocoderQueryError, GeocoderAuthenticationFailure, GeocoderInsufficientPrivileges), "rejected"),
        (GeocoderServiceError, "server_error"),
        # geopy's parsers raise these on JSON of an unexpected shape (e.g. a list instead of a dict).
        ((InvalidAnswerError, TypeError, KeyError, IndexError, AttributeError, ValueError), "invalid_answer"),
    )
    for kinds, reason in reasons:
        if isinstance(error, kinds):
            return reason
    return "error"


# -- the chain --------------------------------------------------------------------------------------
def _clean_query(query: object) -> str:
    if not isinstance(query, str):
        msg = f"a place or address must be text, not {type(query).__name__}"
        raise TypeError(msg)
    text = " ".join(query.split())
    if len(text) > MAX_QUERY_LENGTH:
        msg = f"a place or address may be at most {MAX_QUERY_LENGTH} characters long, not {len(text)}"
        raise ValueError(msg)
    return text


def _reverse_query(query: object) -> tuple[float, float]:
    if query is None or (isinstance(query, str) and not query.strip()):
        msg = f"not a coordinate pair (lat, lon): {query!r}"  # geopy would read these as (0, 0)
        raise ValueError(msg)
    try:
        point = Point(query)  # accepts (lat, lon), "lat, lon", Point
    except (TypeError, ValueError) as error:
        msg = f"not a coordinate pair (lat, lon): {query!r:.100}"
        raise ValueError(msg) from error
    lat, lon = float(point.latitude), float(point.longitude)
    if not (math.isfinite(lat) and math.isfinite(lon)):
        msg = f"not a coordinate pair (lat, lon): {query!r:.100}"
        raise ValueError(msg)
    return lat, lon


class _RateLimiter(RateLimiter):
    """geopy's ``RateLimiter`` reading the time and waiting through the given functions (tests pass fakes)."""

    def __init__(
        self,
        func: Callable[..., Any],
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        **options: Any,
    ) -> None:
        super().__init__(func, **options)
        self._read_clock, self._wait = clock, sleep

    def _clock(self) -> float:  # the hook geopy reads the time through
        return self._read_clock()

    def _sleep(self, seconds: float) -> None:  # the hook geopy waits through
        self._wait(seconds)


class FallbackGeocoder:
    """Geocode with an online geocoder if one is configured, else (or when it fails) offline.

    Parameters
    ----------
    offline
        The geopy geocoder that always answers locally (:class:`finder.gazetteer.OfflineGazetteer`).
        Its ``Location.raw["precision"]`` gives the result's precision.
    online
        A plain geopy geocoder (from :func:`build_online_geocoder`) or ``None`` for offline only.
    cache
        Where online answers are kept across runs; ``None`` = no cache.
    min_delay
        Minimum seconds between two online requests (geocode and reverse share the budget).
    max_retries
        Retries of a failed online request (geopy retries service errors only). Default 0: in an
        interactive app the offline answer now beats an online answer after another wait.
    error_wait_seconds
        Wait before a retry; default ``max(min_delay, 1)``.
    clock, sleep
        What the rate limiter reads the (monotonic) time from and waits with; tests pass fakes.

    Notes
    -----
    Thread-safe: the rate limiter has its own lock and the cache is safe for concurrent use.
    """

    def __init__(
        self,
        offline: Geocoder,
        online: Geocoder | None = None,
        *,
        cache: DiskCache | None = None,
        min_delay: float = 1.0,
        max_retries: int = 0,
        error_wait_seconds: float | None = None,
        clock: Callable[[], float] = default_timer,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.offline = offline
        self.online = online
        self.cache = cache if online is not None else None  # offline answers are cheap: never cached
        self.backend: str | None = backend_name(online) if online is not None else None
        self._limited: Callable[..., Any] | None = None
        if online is not None:
            # One RateLimiter around a dispatcher, so that geocode and reverse share one request budget.
            self._limited = _RateLimiter(
                self._call_online,
                min_delay_seconds=min_delay,
                max_retries=max_retries,
                error_wait_seconds=max(min_delay, 1.0) if error_wait_seconds is None else error_wait_seconds,
                swallow_exceptions=False,
                clock=clock,
                sleep=sleep,
            )

    def __repr__(self) -> str:
        return f"FallbackGeocoder(online={self.backend!r}, cache={self.cache!r})"

    def _call_online(self, method: str, query: object, **options: Any) -> object:
        assert self.online is not None  # only wrapped when there is an online geocoder
        return getattr(self.online, method)(query, exactly_one=False, **options)

    def _online_options(self, method: str) -> dict[str, Any]:
        if self.backend == "nominatim":
            if method == "reverse":
                return {"language": LANGUAGE, "addressdetails": True}
            return {
                "language": LANGUAGE,
                "addressdetails": True,
                "limit": ONLINE_LIMIT,
                "country_codes": "de",
                # A hint, not a filter (bounded=False): places just outside Saxony must still be found.
                "viewbox": SAXONY_VIEWBOX,
                "bounded": False,
            }
        if self.backend == "photon":
            if method == "reverse":
                return {"language": LANGUAGE, "limit": 1}
            return {
                "language": LANGUAGE,
                "limit": ONLINE_LIMIT,
                "location_bias": SAXONY_CENTRE,
                "bbox": GERMANY_BBOX,
            }
        return {}

    def _ask_online(
        self, method: str, query: object, cache_query: str
    ) -> tuple[list[dict[str, Any]] | None, str | None, str | None]:
        """Return ``(answers, fallback_reason, detail)``; ``answers`` is ``None`` if the request failed."""
        assert self.online is not None and self._limited is not None
        options = self._online_options(method)
        key = (self.backend or "", _api_url(self.online, method), method, cache_query, options)
        if self.cache is not None:
            cached = self.cache.get(key)
            if cached is not MISS:
                try:
                    return self._from_cache(cached), None, None
                except InvalidAnswerError:
                    logger.warning("ignoring a cached answer of unexpected layout for %s", method)
        try:
            answers = _read_answers(self.backend or "", self._limited(method, query, **options))
        except Exception as error:  # online answers are untrusted; offline must still answer
            reason = _fallback_reason(error)
            log = logger.warning if reason != "error" else logger.exception
            detail = f"{type(error).__name__}: {error}"[:500]  # bodies of error pages can be long
            log("%s %s failed (%s), answering offline: %s", self.backend, method, reason, detail)
            return None, reason, detail
        if self.cache is not None:
            self.cache.set(key, answers)
        return answers, None, None

    @staticmethod
    def _from_cache(cached: object) -> list[dict[str, Any]]:
        # The cache folder is a plain folder of files: check what comes back as strictly as an answer.
        if not isinstance(cached, list):
            raise InvalidAnswerError("cached answer is not a list")
        for item in cached:
            if (
                not isinstance(item, dict)
                or item.keys() != {"label", "lat", "lon", "precision", "raw"}
                or not isinstance(item["label"], str)
                or item["precision"] not in PRECISIONS
                or not isinstance(item["raw"], dict)
            ):
                raise InvalidAnswerError("cached answer of unexpected layout")
            item["lat"] = _coordinate(item["lat"], 90, "latitude")
            item["lon"] = _coordinate(item["lon"], 180, "longitude")
        return cached

    def _offline(
        self, method: str, query: object, shown_query: str, reason: str | None, detail: str | None
    ) -> list[GeocodeResult]:
        answer = getattr(self.offline, method)(query, exactly_one=False)
        locations = [] if answer is None else answer if isinstance(answer, list) else [answer]
        results = []
        for location in locations:
            raw = dict(location.raw) if isinstance(location.raw, Mapping) else {}
            results.append(
                GeocodeResult(
                    query=shown_query,
                    label=location.address,
                    lat=float(location.latitude),
                    lon=float(location.longitude),
                    precision=str(raw.get("precision", "unknown")),
                    source=str(raw.get("source", "offline")),
                    fallback_reason=reason,
                    fallback_detail=detail,
                    raw=raw,
                )
            )
        return results

    def _lookup(
        self, method: str, query: object, shown_query: str, exactly_one: bool
    ) -> GeocodeResult | list[GeocodeResult] | None:
        reason = detail = None
        if self.online is not None:
            answers, reason, detail = self._ask_online(method, query, shown_query)
            if answers:
                results = [
                    GeocodeResult(query=shown_query, source=self.backend or "online", **answer)
                    for answer in answers
                ]
                return results[0] if exactly_one else results
            if answers is not None:
                reason, detail = "not_found", f"{self.backend} found nothing"
        results = self._offline(method, query, shown_query, reason, detail)
        if not results:
            return None
        return results[0] if exactly_one else results

    def geocode(self, query: str, *, exactly_one: bool = True) -> GeocodeResult | list[GeocodeResult] | None:
        """Find a place or address.

        Parameters
        ----------
        query
            Free text (``"Ostra-Allee 11, Dresden"``, ``"01067"``, ``"Görlitz"``). Whitespace is normalised.
        exactly_one
            Return the best answer only (default) or every candidate, best first.

        Returns
        -------
        GeocodeResult or list of GeocodeResult or None
            ``None`` (never ``[]``) when neither the online geocoder nor the offline gazetteer knows
            the query, or when the query is blank.

        Raises
        ------
        TypeError
            If ``query`` is not a string.
        ValueError
            If ``query`` is longer than :data:`MAX_QUERY_LENGTH` characters.
        """
        text = _clean_query(query)
        if not text:
            return None
        return self._lookup("geocode", text, text, exactly_one)

    def reverse(
        self, query: Point | tuple[float, float] | str, *, exactly_one: bool = True
    ) -> GeocodeResult | list[GeocodeResult] | None:
        """Name the place at a point (e.g. a map click), with the same chain as :meth:`geocode`.

        Parameters
        ----------
        query
            ``(lat, lon)``, ``"lat, lon"`` or a :class:`geopy.point.Point`.
        exactly_one
            Return one answer (default) or a list.

        Returns
        -------
        GeocodeResult or list of GeocodeResult or None
            The result's ``lat``/``lon`` are the answering place's, ``query`` is ``"lat, lon"``.

        Raises
        ------
        ValueError
            If ``query`` is not a coordinate pair.
        """
        lat, lon = _reverse_query(query)
        # Rounded to ~1 m for the cache key and the online request: more digits are noise, and fewer
        # distinct queries mean more cache hits.
        shown = f"{lat:.5f}, {lon:.5f}"
        return self._lookup("reverse", (round(lat, 5), round(lon, 5)), shown, exactly_one)


def build_geocoder(
    settings: _settings.Settings | None = None, *, offline: Geocoder | None = None
) -> FallbackGeocoder:
    """Return the geocoding chain that ``settings`` configures.

    Parameters
    ----------
    settings
        Default: :func:`finder.settings.load`. With ``geocoder == "offline"`` (the default) the chain
        has no online geocoder and no cache: nothing is sent anywhere and nothing is written to disk.
        Otherwise the online answers are cached under ``settings.cache_dir / "geocode"`` and requests
        are spaced by ``settings.geocoder_min_delay``.
    offline
        The offline geocoder; default :class:`finder.gazetteer.OfflineGazetteer` on
        ``settings.data_dir`` (imported only here, so that this module does not need the data).

    Returns
    -------
    FallbackGeocoder
    """
    settings = settings if settings is not None else _settings.load()
    if offline is None:
        from finder.gazetteer import OfflineGazetteer  # noqa: PLC0415 - heavy; only when needed

        offline = OfflineGazetteer(settings.data_dir)
    online = build_online_geocoder(settings)
    cache = DiskCache(settings.cache_dir / "geocode", max_age=CACHE_MAX_AGE) if online is not None else None
    return FallbackGeocoder(offline, online, cache=cache, min_delay=settings.geocoder_min_delay)
