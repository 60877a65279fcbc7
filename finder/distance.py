"""Distances on the earth: the one rule every part of the library measures with.

Geodesic distance on the WGS84 ellipsoid (Karney's algorithm through ``pyproj.Geod``): the same numbers
as ``geopy.distance.geodesic``, vectorised. Planning grids use projected metres instead (EPSG:25833, see
:mod:`finder.coverage`), which is a different question (distances on a map of Saxony), not a second rule.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from pyproj import Geod

__all__ = ["WGS84", "geodesic_km"]

WGS84 = Geod(ellps="WGS84")


def geodesic_km(lat: float, lon: float, lats: ArrayLike, lons: ArrayLike) -> np.ndarray:
    """Geodesic distances (WGS84 ellipsoid) in km from one point to many.

    Parameters
    ----------
    lat, lon
        The point, in decimal degrees.
    lats, lons
        The other points (same length), in decimal degrees.

    Returns
    -------
    numpy.ndarray
        One distance in km per other point.

    Examples
    --------
    >>> round(float(geodesic_km(51.0504, 13.7373, [51.3397], [12.3731])[0]), 1)
    100.6
    """
    lats = np.asarray(lats, dtype=float)
    lons = np.asarray(lons, dtype=float)
    n = lats.shape[0]
    _, _, metres = WGS84.inv(np.full(n, lon), np.full(n, lat), lons, lats)
    return np.asarray(metres) / 1000.0
