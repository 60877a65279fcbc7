"""Where a person is: :class:`Place`, and the :class:`Locator` that turns typed text or a tap into one.

Kept apart from the search (:mod:`finder.core`) so that answering "where is Görlitz?" loads only the
gazetteer: no directory, no pandas (``finder locate`` starts in a fraction of a second).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from geopy.location import Location

from finder import _geodata_rows as geodata
from finder import rules
from finder import settings as _settings
from finder.errors import LocateError
from finder.gazetteer import OfflineGazetteer

__all__ = ["LocateError", "Locator", "Place"]


@dataclass(frozen=True)
class Place:
    """Where a person is: the answer to a location query (the ``finder locate --json`` object)."""

    query: str
    label: str
    lat: float
    lon: float
    district: str | None
    precision: str
    in_saxony: bool
    source: str
    alternatives: tuple[Place, ...] = ()
    note: str | None = None  # e.g. why an online geocoder was not used

    def to_json(self) -> dict[str, Any]:
        """The JSON object of the command-line contract."""
        out = {k: v for k, v in asdict(self).items() if k not in ("alternatives", "note")}
        out["lat"], out["lon"] = round(self.lat, 6), round(self.lon, 6)
        out["alternatives"] = [
            {"label": a.label, "lat": round(a.lat, 6), "lon": round(a.lon, 6), "district": a.district}
            for a in self.alternatives
        ]
        if self.note:
            out["note"] = self.note
        return out


@dataclass
class Locator:
    """Answer "where": typed text (offline, or online when configured) and map taps, as :class:`Place`.

    Parameters
    ----------
    settings
        Library settings (data folder, geocoder, …); default :func:`finder.settings.load`.

    Examples
    --------
    >>> Locator().locate("Goerlitz").label
    'Görlitz'
    """

    settings: _settings.Settings = field(default_factory=_settings.load)

    def __post_init__(self) -> None:
        self.gazetteer = OfflineGazetteer(self.settings.data_dir)
        self._geocoder = None

    # -- where -------------------------------------------------------------------------------
    def locate(self, text: str) -> Place:
        """Geocode what a person typed (offline unless an online geocoder is configured).

        Raises
        ------
        LocateError
            When nothing matches; the message is fit to show to the person.
        """
        text = text if isinstance(text, str) else ""
        if not text.strip():
            msg = "Please enter a town, a postcode or an address in Saxony."
            raise LocateError(msg)
        if len(text) > rules.MAX_QUERY_LENGTH:
            msg = f"That is too long for a place ({len(text)} characters); please enter a town or a postcode."
            raise LocateError(msg)
        places, note = self._geocode(text)
        if not places:
            msg = (
                f"No place found for “{text.strip()}”. "
                "Try a town or a postcode in Saxony, e.g. 01067 or Görlitz."
            )
            raise LocateError(msg)
        best = places[0]
        return Place(**{**asdict(best), "alternatives": tuple(places[1:]), "note": note})

    def _geocode(self, text: str) -> tuple[list[Place], str | None]:
        """Candidates for ``text`` and, if an online geocoder failed, why (its fallback reason)."""
        if self.settings.online and rules.match_latlon(text) is None:
            from finder.geocoding import build_geocoder  # noqa: PLC0415 - only when configured

            if self._geocoder is None:
                self._geocoder = build_geocoder(self.settings, offline=self.gazetteer)
            results = self._geocoder.geocode(text, exactly_one=False) or []
            note = results[0].fallback_reason if results else None
            return [self._from_result(text, r) for r in results], note
        found = self.gazetteer.geocode(text, exactly_one=False) or []
        return [self._place(text, loc, "offline") for loc in found], None

    def _from_result(self, query: str, result: Any) -> Place:
        """A :class:`Place` from a :class:`finder.geocoding.GeocodeResult` (online or offline)."""
        raw = result.raw or {}
        district = (
            raw["district"]
            if "district" in raw
            else geodata.district_at(result.lat, result.lon, self.settings.data_dir)
        )
        return Place(
            query=query,
            label=result.label,
            lat=result.lat,
            lon=result.lon,
            district=district,
            precision=result.precision,
            in_saxony=bool(raw.get("in_saxony", district is not None)),
            source=result.source,
        )

    def _place(self, query: str, loc: Location, source: str) -> Place:
        raw = loc.raw or {}
        district = raw.get("district")
        return Place(
            query=query,
            label=loc.address,
            lat=float(loc.latitude),
            lon=float(loc.longitude),
            district=district,
            precision=str(raw.get("precision", "point")),
            in_saxony=bool(raw.get("in_saxony", district is not None)),
            source=source,
        )

    def place_at(self, lat: float, lon: float) -> Place:
        """A :class:`Place` for a map click or a ``lat,lon`` parameter (reverse-geocoded offline).

        Raises
        ------
        LocateError
            If the coordinates are not finite decimal degrees on the globe.
        """
        loc = self.gazetteer.reverse((lat, lon)) if rules.valid_latlon(lat, lon) else None
        if loc is None:
            msg = "Those are not valid coordinates."
            raise LocateError(msg)
        return self._place(f"{lat},{lon}", loc, "offline")
