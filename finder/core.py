"""The facade: one object that loads the directory and answers "where" and "what is nearest".

The app, the command line and the notebooks all go through :class:`Finder`; it only wires the pure
functions of :mod:`finder.search`, :mod:`finder.gazetteer` and :mod:`finder.geocoding` together.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd
from geopy.location import Location

from finder import directory, geodata, search
from finder import settings as _settings
from finder.errors import LocateError
from finder.gazetteer import MAX_QUERY_LENGTH, OfflineGazetteer

_LATLON = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")


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
class Finder:
    """Load the directory and the gazetteer once; answer locate / nearest / responsible / statewide.

    Parameters
    ----------
    settings
        Library settings (data folder, geocoder, …); default :func:`finder.settings.load`.
    offices
        An already loaded directory table (tests pass small synthetic ones); default
        :func:`finder.directory.load_directory` (``data/offices.csv``).
    overlay
        Laid over the loaded directory, e.g. :func:`finder.corrections.directory_overlay` (maintainers'
        database edits and confirmations); the app passes it, a plain search does not need it.

    Examples
    --------
    >>> f = Finder()
    >>> f.locate("Görlitz").district
    'Görlitz'
    >>> f.nearest(f.locate("01067"), topics=("asylum",), limit=1)["district"].iloc[0]
    'Dresden'
    """

    settings: _settings.Settings = field(default_factory=_settings.load)
    offices: pd.DataFrame | None = None
    overlay: directory.Overlay | None = None

    def __post_init__(self) -> None:
        if self.offices is None:
            self.offices = directory.load_directory(self.settings, self.overlay)
        self.index = search.OfficeIndex.from_offices(self.offices)
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
        if len(text) > MAX_QUERY_LENGTH:
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
        if self.settings.online and not _LATLON.match(text):
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
        district = raw["district"] if "district" in raw else geodata.district_at(result.lat, result.lon)
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
        """A :class:`Place` for a map click or a ``lat,lon`` parameter (reverse-geocoded offline)."""
        loc = self.gazetteer.reverse((lat, lon))
        if loc is None:
            msg = "Those are not valid coordinates."
            raise LocateError(msg)
        return self._place(f"{lat},{lon}", loc, "offline")

    # -- what is near ------------------------------------------------------------------------
    def nearest(self, place: Place, **filters: Any) -> pd.DataFrame:
        """Nearest matching offices to ``place``; ``filters`` are :class:`finder.search.Query` fields."""
        return search.nearest(self.index, place.lat, place.lon, search.Query(**filters))

    def responsible(self, place: Place) -> pd.DataFrame:
        """The immigration authority and commissioner(s) responsible for the place's district."""
        return search.responsible(self.index, place.district)

    def statewide(self, **filters: Any) -> pd.DataFrame:
        """Statewide and online services matching the filters."""
        return search.statewide(self.index, search.Query(**filters))
