"""The facade: one object that loads the directory and answers "where" and "what is nearest".

The app, the command line and the notebooks all go through :class:`Finder`; it only wires
:class:`finder.places.Locator` ("where") and the pure functions of :mod:`finder.search` ("what is near":
the nearest offices, the nearest one that states the language, the responsible and statewide ones).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from finder import directory, search
from finder import settings as _settings
from finder.errors import LocateError
from finder.gazetteer import OfflineGazetteer
from finder.places import Locator, Place

__all__ = ["Finder", "LocateError", "Place"]


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
        self.locator = Locator(self.settings)

    # -- where (delegated to the Locator) -----------------------------------------------------
    def locate(self, text: str) -> Place:
        """Geocode what a person typed; see :meth:`finder.places.Locator.locate`."""
        return self.locator.locate(text)

    def place_at(self, lat: float, lon: float) -> Place:
        """A :class:`Place` for a map tap or ``lat,lon``; see :meth:`finder.places.Locator.place_at`."""
        return self.locator.place_at(lat, lon)

    @property
    def gazetteer(self) -> OfflineGazetteer:
        """The offline gazetteer (the page asks it whether a text names a place)."""
        return self.locator.gazetteer

    # -- what is near ------------------------------------------------------------------------
    def nearest(self, place: Place, **filters: Any) -> pd.DataFrame:
        """Nearest matching offices to ``place``; ``filters`` are :class:`finder.search.Query` fields."""
        return search.nearest(self.index, place.lat, place.lon, search.Query(**filters), place.precision)

    def nearest_stated(self, place: Place, **filters: Any) -> pd.DataFrame:
        """The nearest office stating every requested language when no listed one does (0 or 1 row).

        ``filters`` as for :meth:`nearest`; see :func:`finder.search.nearest_stated`.
        """
        return search.nearest_stated(
            self.index, place.lat, place.lon, search.Query(**filters), place.precision
        )

    def online_in_language(self, **filters: Any) -> pd.DataFrame:
        """Statewide and online services that state a requested language (empty without one)."""
        return search.online_in_language(self.index, search.Query(**self._no_distance(filters)))

    def responsible(self, place: Place) -> pd.DataFrame:
        """The immigration authority and commissioner(s) responsible for the place's district."""
        return search.responsible(self.index, place.district)

    def statewide(self, **filters: Any) -> pd.DataFrame:
        """Statewide and online services matching the filters (``limit`` and ``radius_km`` do not apply)."""
        return search.statewide(self.index, search.Query(**self._no_distance(filters)))

    @staticmethod
    def _no_distance(filters: dict[str, Any]) -> dict[str, Any]:
        # Callers may pass the same filters as to nearest(): a list without distances ignores these.
        return {k: v for k, v in filters.items() if k not in ("limit", "radius_km")}
