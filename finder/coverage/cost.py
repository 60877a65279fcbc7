"""How far apart two points are: the pluggable cost of the coverage analysis, and the projection it uses.

Everything in :mod:`finder.coverage` measures through a :class:`CostFunction`. The default
:class:`StraightLine` projects to EPSG:25833 and measures in km; a routing engine's cost matrix can be
plugged in with :class:`CostMatrix`. Thresholds are always in the cost's unit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree

__all__ = [
    "CRS",
    "DEFAULT_GAP_THRESHOLD_KM",
    "DEFAULT_THRESHOLDS_KM",
    "DISTANCE_LABEL",
    "CostFunction",
    "CostMatrix",
    "StraightLine",
    "as_cost",
    "lonlat_array",
    "nearest_xy",
    "project",
    "threshold_key",
    "unproject",
]

#: The projected CRS of grids and straight-line distances: ETRS89 / UTM zone 33N. Saxony spans 11.9–15.0° E,
#: west of the zone's central meridian (15° E); the scale error stays below 0.1 % there.
CRS = "EPSG:25833"
#: How distances are measured, for every output.
DISTANCE_LABEL = "straight-line distance in EPSG:25833 (ETRS89 / UTM 33N), not travel time"
#: Thresholds (km) of the shares of residents "beyond X km".
DEFAULT_THRESHOLDS_KM: tuple[float, ...] = (10.0, 20.0, 30.0)
#: Threshold (km) for the list of gap places.
DEFAULT_GAP_THRESHOLD_KM = 20.0


@cache
def _transformers() -> tuple[Transformer, Transformer]:
    forward = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    backward = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    return forward, backward


def project(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 longitude/latitude to EPSG:25833 metres.

    Examples
    --------
    >>> x, y = project(np.array([15.0]), np.array([51.0]))
    >>> round(float(x[0])), round(float(y[0]) / 1000)
    (500000, 5650)
    """
    x, y = _transformers()[0].transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def unproject(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """EPSG:25833 metres to WGS84 ``(lon, lat)``."""
    lon, lat = _transformers()[1].transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def _lonlat(points: np.ndarray) -> np.ndarray:
    arr = np.asarray(points, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != 2:
        msg = f"points must be an (n, 2) array of longitude, latitude, not shape {arr.shape}"
        raise ValueError(msg)
    return arr


def lonlat_array(frame: pd.DataFrame) -> np.ndarray:
    """The ``(n, 2)`` array of longitude, latitude of a table's ``lon`` and ``lat`` columns.

    Examples
    --------
    >>> lonlat_array(pd.DataFrame({"lat": [51.0], "lon": [13.5]})).tolist()
    [[13.5, 51.0]]
    """
    return np.column_stack([frame["lon"].to_numpy(dtype=float), frame["lat"].to_numpy(dtype=float)])


def threshold_key(value: float, unit: str) -> str:
    """A threshold as it appears in column names and JSON keys.

    Examples
    --------
    >>> threshold_key(20.0, "km"), threshold_key(7.5, "min")
    ('20km', '7.5min')
    """
    return f"{value:g}{unit}"


@runtime_checkable
class CostFunction(Protocol):
    """The cost of getting from origins to destinations; points are ``(n, 2)`` arrays of lon, lat (WGS84).

    Attributes
    ----------
    name
        Short name (``straight-line``, ``osrm-car``, …).
    unit
        Unit of the costs and of all thresholds (``km`` or ``min``).
    label
        How the cost is measured, shown with every figure.
    """

    name: str
    unit: str
    label: str

    def matrix(self, origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
        """The ``(n_origins, n_destinations)`` cost matrix."""
        ...

    def nearest(self, origins: np.ndarray, destinations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each origin, the cost to the cheapest destination and that destination's position."""
        ...


@dataclass(frozen=True)
class StraightLine:
    """Straight-line distance in km between points projected to EPSG:25833 (the default cost)."""

    name: str = "straight-line"
    unit: str = "km"
    label: str = DISTANCE_LABEL

    def matrix(self, origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
        """Distances in km, ``(n_origins, n_destinations)``."""
        o, d = _lonlat(origins), _lonlat(destinations)
        ox, oy = project(o[:, 0], o[:, 1])
        dx, dy = project(d[:, 0], d[:, 1])
        return np.hypot(ox[:, None] - dx[None, :], oy[:, None] - dy[None, :]) / 1000.0

    def nearest(self, origins: np.ndarray, destinations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distance in km to, and position of, the nearest destination per origin (a k-d tree query)."""
        o, d = _lonlat(origins), _lonlat(destinations)
        if len(d) == 0:
            return np.full(len(o), np.inf), np.full(len(o), -1)
        ox, oy = project(o[:, 0], o[:, 1])
        dx, dy = project(d[:, 0], d[:, 1])
        return nearest_xy(np.column_stack([ox, oy]), np.column_stack([dx, dy]))


def nearest_xy(origins_xy: np.ndarray, destinations_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest destination per origin for projected coordinates in metres; distances in km.

    Parameters
    ----------
    origins_xy, destinations_xy
        ``(n, 2)`` and ``(m, 2)`` arrays of x, y in metres (m ≥ 1).

    Returns
    -------
    tuple[numpy.ndarray, numpy.ndarray]
        Distances in km and positions in ``destinations_xy``.
    """
    tree = cKDTree(destinations_xy)
    dist, idx = tree.query(origins_xy, k=1)
    return np.asarray(dist, dtype=float) / 1000.0, np.asarray(idx, dtype=int)


@dataclass(frozen=True)
class CostMatrix:
    """A cost function from a callable returning a full matrix, e.g. a routing engine's table service.

    Parameters
    ----------
    fn
        ``fn(origins, destinations) -> (n, m) array``; points are ``(n, 2)`` arrays of lon, lat.
    name, unit, label
        As in :class:`CostFunction`; e.g. ``CostMatrix(osrm_table, "osrm-car", "min", "car travel time")``.
    chunk
        Origins per call, which bounds memory (and request size) for large grids.
    """

    fn: Callable[[np.ndarray, np.ndarray], np.ndarray]
    name: str = "custom"
    unit: str = "km"
    label: str = "custom cost"
    chunk: int = 4096

    def matrix(self, origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
        """The cost matrix, checked for shape and negative values."""
        o, d = _lonlat(origins), _lonlat(destinations)
        parts = []
        for start in range(0, len(o), self.chunk):
            block = np.asarray(self.fn(o[start : start + self.chunk], d), dtype=float)
            expected = (min(self.chunk, len(o) - start), len(d))
            if block.shape != expected:
                msg = f"cost function {self.name!r} returned shape {block.shape}, expected {expected}"
                raise ValueError(msg)
            parts.append(block)
        out = np.vstack(parts) if parts else np.empty((0, len(d)))
        if (out < 0).any():
            msg = f"cost function {self.name!r} returned negative costs"
            raise ValueError(msg)
        # A routing engine reports unreachable pairs as NaN; treat them as infinitely far.
        return np.where(np.isnan(out), np.inf, out)

    def nearest(self, origins: np.ndarray, destinations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cheapest destination per origin, computed chunk by chunk."""
        o, d = _lonlat(origins), _lonlat(destinations)
        if len(d) == 0:
            return np.full(len(o), np.inf), np.full(len(o), -1)
        dists, idxs = [], []
        for start in range(0, len(o), self.chunk):
            block = self.matrix(o[start : start + self.chunk], d)
            idx = np.argmin(block, axis=1)
            idxs.append(idx)
            dists.append(block[np.arange(len(idx)), idx])
        if not dists:
            return np.empty(0), np.empty(0, dtype=int)
        return np.concatenate(dists), np.concatenate(idxs)


def as_cost(cost: CostFunction | Callable[[np.ndarray, np.ndarray], np.ndarray] | None) -> CostFunction:
    """Turn ``None`` (straight line), a :class:`CostFunction` or a matrix callable into a cost function."""
    if cost is None:
        return StraightLine()
    if isinstance(cost, CostFunction):
        return cost
    if callable(cost):
        return CostMatrix(cost)
    msg = f"cost must be a CostFunction or a callable returning a cost matrix, not {type(cost).__name__}"
    raise TypeError(msg)
