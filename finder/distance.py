"""Distances on the earth: the one rule every part of the library measures with.

Geodesic distance on the WGS84 ellipsoid (Karney's algorithm through ``pyproj.Geod``): the same numbers
as ``geopy.distance.geodesic``, vectorised. Planning grids use projected metres instead (EPSG:25833, see
:mod:`finder.coverage`), which is a different question (distances on a map of Saxony), not a second rule.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from pyproj import Geod

__all__ = [
    "EXACT_WITHIN_KM",
    "PRECISION_KM",
    "WGS84",
    "distance_uncertainty_km",
    "geodesic_km",
    "precision_km",
    "rounded_km",
    "same_place",
]

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


# --------------------------------------------------------------------------------------------------
# How exact a distance is
# --------------------------------------------------------------------------------------------------

#: How far (km) a position may lie from the real place, by how it was found (``geocode_precision`` of an
#: office, ``Place.precision`` of a search). A postcode or town point stands for a whole area; a map tap
#: or typed coordinates (``point``) are exact. Other values (an online geocoder's) count as ``place``.
PRECISION_KM: dict[str, float] = {
    "point": 0.0,
    "street": 0.1,
    "postcode": 2.0,
    "place": 3.0,
    "district": 15.0,
}
#: Distances whose combined uncertainty is at most this are printed with one decimal, without "about".
EXACT_WITHIN_KM = 0.2


def precision_km(precision: object) -> float:
    """How far (km) a position of this ``precision`` may be from the real place (see :data:`PRECISION_KM`).

    Examples
    --------
    >>> precision_km("street"), precision_km("postcode"), precision_km("house number")
    (0.1, 2.0, 3.0)
    """
    return PRECISION_KM.get(str(precision or "").strip().lower(), PRECISION_KM["place"])


def distance_uncertainty_km(origin_precision: object, office_precisions: ArrayLike) -> np.ndarray:
    """``distance_precision_km`` of each result: the origin's uncertainty plus the office's."""
    origin = precision_km(origin_precision)
    return np.array([origin + precision_km(p) for p in office_precisions], dtype=float)


def same_place(distance_km: ArrayLike, uncertainty_km: ArrayLike) -> np.ndarray:
    """``True`` where the distance is below what the two positions can tell apart (not a real distance)."""
    distance = np.asarray(distance_km, dtype=float)
    uncertainty = np.asarray(uncertainty_km, dtype=float)
    return (distance < uncertainty) & (uncertainty > EXACT_WITHIN_KM)


def rounded_km(distance_km: float, uncertainty_km: float) -> float:
    """The distance rounded to what the positions support.

    0.1 km when both positions are exact (within :data:`EXACT_WITHIN_KM`), whole km up to 5 km of
    uncertainty, else 5 km steps; never below one step.

    Examples
    --------
    >>> rounded_km(12.34, 0.1), rounded_km(12.34, 4.0), rounded_km(12.34, 17.0), rounded_km(0.4, 4.0)
    (12.3, 12.0, 10.0, 1.0)
    """
    if uncertainty_km <= EXACT_WITHIN_KM:
        return round(distance_km, 1)
    step = 1.0 if uncertainty_km <= 5.0 else 5.0
    return max(step, round(distance_km / step) * step)
