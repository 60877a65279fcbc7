"""The embedded geodata as plain rows and prepared polygons, for look-ups that must start fast.

A place look-up (``finder locate``, every search box) needs the gazetteer's names and the district
polygons, nothing more. Reading them with pandas/geopandas would cost more to import (about 1 s of CPU
here) than a hundred look-ups, so this module reads them with :mod:`csv`, :mod:`json` and shapely alone.
:mod:`finder.geodata` offers the same files as (Geo)DataFrames for the analyses and maps.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import shapely
import shapely.geometry

from finder import settings as _settings

__all__ = ["district_at", "district_point", "municipalities", "places", "postcodes"]


def _dir(data_dir: Path | str | None) -> Path:
    return Path(data_dir) if data_dir is not None else _settings.load().data_dir


def _rows(path: Path, floats: tuple[str, ...] = ("lat", "lon"), ints: tuple[str, ...] = ()) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        for key in floats:
            row[key] = float(row[key])
        for key in ints:
            row[key] = int(row[key])
    return rows


@cache
def _places(data_dir: Path) -> tuple[dict, ...]:
    return tuple(_rows(data_dir / "places.csv", ints=("population",)))


def places(data_dir: Path | str | None = None) -> tuple[dict, ...]:
    """Rows of ``places.csv`` (``name``, ``lat``, ``lon``, ``population``, ``state``, ``district_ags``, …)."""
    return _places(_dir(data_dir))


@cache
def _municipalities(data_dir: Path) -> tuple[dict, ...]:
    return tuple(_rows(data_dir / "municipalities.csv"))


def municipalities(data_dir: Path | str | None = None) -> tuple[dict, ...]:
    """Rows of ``municipalities.csv`` (``ags``, ``name``, ``district_ags``, ``lat``, ``lon``)."""
    return _municipalities(_dir(data_dir))


@cache
def _postcodes(data_dir: Path) -> tuple[dict, ...]:
    return tuple(_rows(data_dir / "postcodes.csv"))


def postcodes(data_dir: Path | str | None = None) -> tuple[dict, ...]:
    """Rows of ``postcodes.csv`` (``postcode``, ``place``, ``state``, ``district_ags``, ``lat``, ``lon``)."""
    return _postcodes(_dir(data_dir))


@dataclass(frozen=True)
class _DistrictIndex:
    names: tuple[str, ...]
    ags: tuple[str, ...]
    geoms: np.ndarray  # prepared shapely polygons
    points: tuple[tuple[float, float], ...]  # representative (lat, lon) per district


@cache
def _district_index(data_dir: Path) -> _DistrictIndex:
    with (data_dir / "districts.geojson").open(encoding="utf-8") as f:
        features = json.load(f)["features"]
    geoms = np.array([shapely.geometry.shape(feature["geometry"]) for feature in features], dtype=object)
    shapely.prepare(geoms)
    reps = [g.representative_point() for g in geoms]
    return _DistrictIndex(
        names=tuple(feature["properties"]["name"] for feature in features),
        ags=tuple(feature["properties"]["ags"] for feature in features),
        geoms=geoms,
        points=tuple((p.y, p.x) for p in reps),
    )


def district_at(lat: float, lon: float, data_dir: Path | str | None = None) -> str | None:
    """Name of the district containing the point, or ``None`` outside Saxony.

    Examples
    --------
    >>> district_at(51.05, 13.74)
    'Dresden'
    >>> district_at(52.52, 13.40) is None
    True
    """
    index = _district_index(_dir(data_dir))
    if not (np.isfinite(lat) and np.isfinite(lon)):
        return None
    hits = shapely.contains_xy(index.geoms, lon, lat)
    found = np.flatnonzero(hits)
    return index.names[found[0]] if found.size else None


def district_point(name: str, data_dir: Path | str | None = None) -> tuple[float, float]:
    """A representative point ``(lat, lon)`` inside the named district (``KeyError`` if unknown)."""
    index = _district_index(_dir(data_dir))
    if name not in index.names:
        raise KeyError(name)
    return index.points[index.names.index(name)]
