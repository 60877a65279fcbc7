"""Coverage for planners: where is help out of reach, per district and per head.

Answers "which places are far from an office that offers topic X in language Y", "which districts have few
offices per resident" and "what would one more office in town Z change" for the app's *Coverage* page, the
``finder coverage`` command and ``notebooks/coverage.ipynb``, all from the functions here.

Design (after pysal/access): pure functions over plain tables and arrays do the work; the small facade
:class:`Coverage` loads the data once and wires them together. The cost between two points is pluggable:
everything goes through a :class:`CostFunction` (default :class:`StraightLine`, distances in km in the
projected CRS EPSG:25833); a routing engine's cost matrix can be plugged in with :class:`CostMatrix`.

What is computed
----------------
* **District table** (:func:`district_offices`): matching offices by kind and topic, per 100,000 residents
  and per 10,000 foreign residents (with the year of each figure), share stating languages, share with a
  street address, oldest source date.
* **Distance surface** (:func:`distance_surface`): a regular grid over Saxony (1 km cells in EPSG:25833,
  cells whose centre lies inside the state outline) with the distance to the nearest matching office,
  found with a k-d tree (:class:`scipy.spatial.cKDTree`).
* **Population-weighted gaps** (:func:`district_gaps`, :func:`gap_places`): GeoNames places of Saxony,
  their populations scaled per district to the district totals of ``districts_facts.csv``; the share of
  residents beyond 10 / 20 / 30 km of a matching office and the places where a new office would bring the
  most residents within reach.
* **Accessibility index** (:func:`e2sfca`): the enhanced two-step floating catchment area of the PyPI package
  ``access`` (pysal/access) with its default step weights (1 / 0.68 / 0.22 for 0–10 / 10–20 / 20–30 km).
* **What-if** (:class:`WhatIf`): hypothetical offices added to the matching ones.

Statewide and online services have no place, so they are counted in the summary but not in distances.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import math
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree

from finder import geodata
from finder.errors import CoverageError
from finder.search import Query
from finder.vocab import ISO_639_1, KINDS, STATEWIDE, TOPICS

if TYPE_CHECKING:
    import geopandas as gpd

    from finder.core import Finder

#: The projected CRS of grids and straight-line distances: ETRS89 / UTM zone 33N. Saxony spans 11.9–15.0° E,
#: west of the zone's central meridian (15° E); the scale error stays below 0.1 % there.
CRS = "EPSG:25833"
#: Thresholds (km) of the shares of residents "beyond X km".
DEFAULT_THRESHOLDS_KM: tuple[float, ...] = (10.0, 20.0, 30.0)
#: Threshold (km) for the list of gap places.
DEFAULT_GAP_THRESHOLD_KM = 20.0
#: Side of a grid cell in metres.
DEFAULT_CELL_M = 1000.0
#: E2SFCA step weights (upper bound of the band in km → weight): Luo & Qi (2009), the ``access`` default.
E2SFCA_STEPS: dict[float, float] = {10.0: 1.0, 20.0: 0.68, 30.0: 0.22}
#: How distances are measured, for every output.
DISTANCE_LABEL = "straight-line distance in EPSG:25833 (ETRS89 / UTM 33N), not travel time"
#: Two lines explaining the accessibility index and its limits (English; the page translates).
E2SFCA_EXPLANATION = (
    "Accessibility (E2SFCA): each office's capacity is shared among the residents within 30 km, weighted "
    "1 / 0.68 / 0.22 for 0–10 / 10–20 / 20–30 km; a place's score adds up its shares, as offices per 100,000 "
    "residents.",
    "Limits: straight-line distances, population from GeoNames places scaled to district totals, "
    "every office counts 1 (no capacity data), people and offices beyond Saxony's border are left out.",
)
#: Attribution of everything derived from the embedded data.
ATTRIBUTION = (
    f"{geodata.ATTRIBUTION}; district figures: public statistics (data/districts_facts.csv); "
    "offices: Beratungsfinder Sachsen (data/offices.csv)"
)
#: Largest grid the surface is computed for (cells), so a typo in ``cell_m`` cannot exhaust memory.
MAX_GRID_CELLS = 3_000_000

_LATLON = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")
_MAX_AGE = 120
_MAX_WHAT_IF = 20

log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------------------------------------
# Cost functions (straight line by default; a routing engine's matrix later)
# ----------------------------------------------------------------------------------------------------------


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


def _points(frame: pd.DataFrame) -> np.ndarray:
    return np.column_stack([frame["lon"].to_numpy(dtype=float), frame["lat"].to_numpy(dtype=float)])


def _suffix(value: float, unit: str) -> str:
    return f"{value:g}{unit}"


# ----------------------------------------------------------------------------------------------------------
# Filters and supply
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageFilter:
    """Which offices count as "help": empty tuples mean any.

    Parameters
    ----------
    topics, kinds
        Codes of :data:`finder.vocab.TOPICS` / :data:`finder.vocab.KINDS`; an office matches any of them.
    languages
        ISO 639-1 codes; an office matches if it *states* any of them (see ``include_unstated_languages``).
    age
        A person's age; leaves out offices for another age band (JMD 12–27, MBE 27+).
    include_unstated_languages
        Also count offices that state no language (most do not) as possibly matching a language.
    """

    topics: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    age: int | None = None
    include_unstated_languages: bool = False

    @classmethod
    def parse(
        cls,
        topics: Iterable[str] | str | None = (),
        languages: Iterable[str] | str | None = (),
        kinds: Iterable[str] | str | None = (),
        age: int | str | None = None,
        include_unstated_languages: bool = False,
    ) -> CoverageFilter:
        """Check and normalise filters from any front end.

        Raises
        ------
        CoverageError
            For an unknown topic or kind, a malformed language code or an impossible age.
        """

        def items(value: Iterable[str] | str | None) -> tuple[str, ...]:
            if value is None:
                return ()
            if isinstance(value, str):
                value = value.split(",")
            out: list[str] = []
            for v in value:
                text = str(v).strip()
                if text and text not in out:
                    out.append(text)
            return tuple(out)

        topic_t, kind_t = items(topics), tuple(k.upper() for k in items(kinds))
        lang_t = tuple(v.lower() for v in items(languages))
        for code in topic_t:
            if code not in TOPICS:
                msg = f"Unknown topic “{code}”. Topics: {', '.join(TOPICS)}."
                raise CoverageError(msg)
        for code in kind_t:
            if code not in KINDS:
                msg = f"Unknown kind of office “{code}”. Kinds: {', '.join(KINDS)}."
                raise CoverageError(msg)
        for code in lang_t:
            if code not in ISO_639_1:
                msg = f"“{code}” is not a two-letter ISO 639-1 language code (e.g. ar, fa, uk)."
                raise CoverageError(msg)
        age_v: int | None = None
        if age is not None and str(age).strip() != "":
            try:
                age_v = int(str(age).strip())
            except ValueError:
                msg = f"The age must be a whole number of years, not “{age}”."
                raise CoverageError(msg) from None
            if not 0 <= age_v <= _MAX_AGE:
                msg = f"The age must be between 0 and {_MAX_AGE}, not {age_v}."
                raise CoverageError(msg)
        return cls(topic_t, lang_t, kind_t, age_v, bool(include_unstated_languages))

    @property
    def query(self) -> Query:
        """The same filters as a :class:`finder.search.Query`."""
        return Query(topics=self.topics, languages=self.languages, kinds=self.kinds, age=self.age)

    def describe(self) -> str:
        """The filters in words, e.g. ``topic asylum, language ar``; ``all offices`` without filters."""
        parts = []
        if self.topics:
            parts.append("topic " + " or ".join(self.topics))
        if self.languages:
            extra = " (or not stated)" if self.include_unstated_languages else ""
            parts.append("language " + " or ".join(self.languages) + extra)
        if self.kinds:
            parts.append("kind " + " or ".join(self.kinds))
        if self.age is not None:
            parts.append(f"age {self.age}")
        return ", ".join(parts) if parts else "all offices"

    def to_json(self) -> dict[str, Any]:
        """The filters as a JSON object."""
        return {
            "topics": list(self.topics),
            "languages": list(self.languages),
            "kinds": list(self.kinds),
            "age": self.age,
            "include_unstated_languages": self.include_unstated_languages,
        }


def matching_offices(offices: pd.DataFrame, flt: CoverageFilter, index: Any = None) -> pd.DataFrame:
    """The offices matching the filters (statewide ones and ones without a location included).

    Parameters
    ----------
    offices
        The directory table (:func:`finder.directory.load_offices`).
    flt
        The filters. With a language, offices stating no language count only if
        ``flt.include_unstated_languages``.
    index
        A prebuilt :class:`finder.search.OfficeIndex` of ``offices`` (built when missing).
    """
    from finder.search import OfficeIndex  # noqa: PLC0415 - the index may be passed in

    idx = index if index is not None else OfficeIndex.from_offices(offices)
    mask, stated = idx.filter_masks(flt.query)
    if flt.languages and not flt.include_unstated_languages:
        mask = mask & stated
    return idx.offices.iloc[np.flatnonzero(mask)].reset_index(drop=True)


@dataclass(frozen=True)
class WhatIf:
    """A hypothetical office: where it would be and what it is called."""

    label: str
    lat: float
    lon: float
    district: str | None

    def to_json(self) -> dict[str, Any]:
        """As a JSON object."""
        return {
            "label": self.label,
            "lat": round(self.lat, 6),
            "lon": round(self.lon, 6),
            "district": self.district,
        }


def what_if_point(lat: float, lon: float, label: str = "", data_dir: Path | str | None = None) -> WhatIf:
    """A hypothetical office at a coordinate, checked to lie in Saxony.

    Raises
    ------
    CoverageError
        If the coordinates are invalid or outside Saxony.
    """
    if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
        msg = f"{lat}, {lon} are not valid coordinates (latitude, longitude)."
        raise CoverageError(msg)
    district = geodata.district_at(lat, lon, data_dir)
    if district is None:
        msg = (
            f"The what-if office at {lat:.4f}, {lon:.4f} is outside Saxony; "
            "the analysis only covers Saxony. Choose a town or point in Saxony."
        )
        raise CoverageError(msg)
    return WhatIf(label or f"{lat:.4f}, {lon:.4f}", float(lat), float(lon), district)


def parse_what_if(text: str, finder: Finder | None = None, data_dir: Path | str | None = None) -> WhatIf:
    """A hypothetical office from ``"LAT,LON"`` or a place name (resolved with ``finder.locate``).

    Raises
    ------
    CoverageError
        If the text is empty, no place matches, or the place is outside Saxony.
    """
    text = (text or "").strip()
    if not text:
        msg = "A what-if office needs a town, a postcode or “LAT,LON”."
        raise CoverageError(msg)
    m = _LATLON.match(text)
    if m:
        return what_if_point(float(m.group(1)), float(m.group(2)), data_dir=data_dir)
    if finder is None:
        msg = f"Cannot look up “{text}” without a Finder; give “LAT,LON” instead."
        raise CoverageError(msg)
    from finder.core import LocateError  # noqa: PLC0415 - avoids an import cycle

    try:
        place = finder.locate(text)
    except LocateError as exc:
        raise CoverageError(f"What-if office: {exc}") from None
    if not place.in_saxony:
        msg = f"The what-if office “{place.label}” is outside Saxony; the analysis only covers Saxony."
        raise CoverageError(msg)
    return what_if_point(place.lat, place.lon, label=place.label, data_dir=data_dir)


#: Columns of the supply table (matching offices with a place, plus hypothetical ones).
SUPPLY_COLUMNS = (
    "id",
    "name",
    "kind",
    "district",
    "city",
    "lat",
    "lon",
    "capacity",
    "hypothetical",
    "precision",
)


def supply_table(matching: pd.DataFrame, what_if: Sequence[WhatIf] = ()) -> pd.DataFrame:
    """The offices that take part in distances: matching, with a place, not statewide; plus what-if ones.

    ``capacity`` is the office's ``capacity`` column where the directory has one (else 1).
    """
    located = matching[
        matching["lat"].notna() & matching["lon"].notna() & (matching["district"] != STATEWIDE)
    ].reset_index(drop=True)
    if "capacity" in located.columns:
        capacity = pd.to_numeric(located["capacity"], errors="coerce").fillna(1.0).clip(lower=0.0)
    else:
        capacity = pd.Series(1.0, index=located.index)
    real = pd.DataFrame(
        {
            "id": located["id"].astype(str),
            "name": located["name"].astype(str),
            "kind": located["kind"].astype(str),
            "district": located["district"].astype(str),
            "city": located.get("city", pd.Series("", index=located.index)).astype(str),
            "lat": located["lat"].astype(float),
            "lon": located["lon"].astype(float),
            "capacity": capacity.astype(float),
            "hypothetical": False,
            "precision": located.get("geocode_precision", pd.Series("", index=located.index)).astype(str),
        }
    )
    extra = pd.DataFrame(
        [
            {
                "id": f"what-if-{i}",
                "name": f"What-if office: {w.label}",
                "kind": "",
                "district": w.district or "",
                "city": w.label,
                "lat": w.lat,
                "lon": w.lon,
                "capacity": 1.0,
                "hypothetical": True,
                "precision": "point",
            }
            for i, w in enumerate(what_if, start=1)
        ],
        columns=list(SUPPLY_COLUMNS),
    )
    if extra.empty:
        return real.reset_index(drop=True)
    if real.empty:
        return extra.astype({"lat": float, "lon": float, "capacity": float, "hypothetical": bool})
    return pd.concat([real, extra], ignore_index=True)


# ----------------------------------------------------------------------------------------------------------
# Population points
# ----------------------------------------------------------------------------------------------------------


def population_points(places: pd.DataFrame, facts: pd.DataFrame) -> pd.DataFrame:
    """GeoNames places of Saxony as population points, scaled per district to the district totals.

    GeoNames populations do not add up to the district populations (suburbs are listed besides their city,
    villages under 500 inhabitants are missing), so each district's places share its total population in
    proportion to their GeoNames population; a district whose places all have population 0 shares it equally.

    Parameters
    ----------
    places
        :func:`finder.geodata.places` (columns ``geonameid``, ``name``, ``lat``, ``lon``, ``population``,
        ``state``, ``district_ags``).
    facts
        :func:`finder.geodata.district_facts`.

    Returns
    -------
    pandas.DataFrame
        ``point_id``, ``name``, ``district``, ``ags``, ``lat``, ``lon``, ``geonames_population``,
        ``residents`` (float), ``population_year``; one row per place, districts without places get none.
    """
    sn = places[(places["state"] == "SN") & places["district_ags"].isin(set(facts["ags"]))]
    by_ags = facts.set_index("ags")
    rows = []
    for ags, group in sn.groupby("district_ags", sort=False):
        total = float(by_ags.at[ags, "population"])
        pop = group["population"].to_numpy(dtype=float)
        weights = pop / pop.sum() if pop.sum() > 0 else np.full(len(pop), 1.0 / len(pop))
        rows.append(
            pd.DataFrame(
                {
                    "point_id": group["geonameid"].astype(str).to_numpy(),
                    "name": group["name"].astype(str).to_numpy(),
                    "district": by_ags.at[ags, "name"],
                    "ags": ags,
                    "lat": group["lat"].to_numpy(dtype=float),
                    "lon": group["lon"].to_numpy(dtype=float),
                    "geonames_population": pop.astype(int),
                    "residents": weights * total,
                    "population_year": int(by_ags.at[ags, "population_year"]),
                }
            )
        )
    if not rows:
        msg = "No GeoNames places with a district in Saxony; the population points are missing."
        raise CoverageError(msg)
    return pd.concat(rows, ignore_index=True)


def population_note(points: pd.DataFrame, facts: pd.DataFrame) -> str:
    """How the population points were made, with the years of the district totals."""
    years = sorted({int(y) for y in facts["population_year"]})
    year_text = str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]} (per district: see the table)"
    per_district = points.groupby("district").size()
    return (
        f"population distributed over {len(points)} GeoNames places "
        f"({per_district.min()}–{per_district.max()} per district), "
        f"scaled to the district totals of {year_text}"
    )


# ----------------------------------------------------------------------------------------------------------
# Distance surface
# ----------------------------------------------------------------------------------------------------------


def grid_cells(outline_projected: Any, cell_m: float = DEFAULT_CELL_M) -> pd.DataFrame:
    """Centres of a regular grid whose centre lies inside a (projected) polygon.

    Cells are aligned to multiples of ``cell_m`` in EPSG:25833, so grids of the same size always coincide.

    Parameters
    ----------
    outline_projected
        A shapely polygon in EPSG:25833 metres.
    cell_m
        Side of a cell in metres.

    Returns
    -------
    pandas.DataFrame
        ``x``, ``y`` (cell centres, metres) and ``lon``, ``lat`` (WGS84).
    """
    import shapely  # noqa: PLC0415

    if not (cell_m > 0 and math.isfinite(cell_m)):
        msg = f"The cell size must be a positive number of metres, not {cell_m}."
        raise CoverageError(msg)
    minx, miny, maxx, maxy = outline_projected.bounds
    xs = np.arange(math.floor(minx / cell_m) * cell_m + cell_m / 2, maxx, cell_m)
    ys = np.arange(math.floor(miny / cell_m) * cell_m + cell_m / 2, maxy, cell_m)
    if xs.size * ys.size > MAX_GRID_CELLS * 2:
        msg = f"A {cell_m:g} m grid is too fine ({xs.size * ys.size:,} cells); use at least 100 m."
        raise CoverageError(msg)
    gx, gy = np.meshgrid(xs, ys)
    gx, gy = gx.ravel(), gy.ravel()
    shapely.prepare(outline_projected)
    inside = shapely.contains_xy(outline_projected, gx, gy)
    x, y = gx[inside], gy[inside]
    lon, lat = unproject(x, y)
    frame = pd.DataFrame({"x": x, "y": y, "lon": lon, "lat": lat})
    frame.attrs["cell_m"] = float(cell_m)
    return frame


@cache
def _outline_projected(data_dir: Path) -> Any:
    import geopandas as gpd  # noqa: PLC0415

    return gpd.GeoSeries([geodata.outline(data_dir)], crs="EPSG:4326").to_crs(CRS).iloc[0]


@cache
def _saxony_grid(data_dir: Path, cell_m: float) -> pd.DataFrame:
    return grid_cells(_outline_projected(data_dir), cell_m)


def saxony_grid(cell_m: float = DEFAULT_CELL_M, data_dir: Path | str | None = None) -> pd.DataFrame:
    """The grid over Saxony (:func:`grid_cells`), cached per data folder and cell size; treat as read-only."""
    from finder import settings as _settings  # noqa: PLC0415

    folder = Path(data_dir) if data_dir is not None else _settings.load().data_dir
    return _saxony_grid(folder, float(cell_m))


@dataclass(frozen=True)
class DistanceSurface:
    """Distance from every grid cell to the nearest matching office.

    Attributes
    ----------
    cells
        ``x``, ``y`` (EPSG:25833 centres), ``lon``, ``lat``, ``distance`` (in ``unit``), ``nearest_id``.
    cell_m
        Side of a cell in metres.
    unit, label
        Of the cost function used.
    """

    cells: pd.DataFrame
    cell_m: float
    unit: str = "km"
    label: str = DISTANCE_LABEL
    crs: str = CRS

    def share_within(self, threshold: float) -> float:
        """Share of Saxony's area within ``threshold`` of a matching office."""
        return float((self.cells["distance"] <= threshold).mean()) if len(self.cells) else float("nan")

    def to_geodataframe(self, crs: str = CRS) -> gpd.GeoDataFrame:
        """The cells as square polygons (EPSG:25833 unless ``crs`` says otherwise)."""
        import geopandas as gpd  # noqa: PLC0415
        import shapely  # noqa: PLC0415

        h = self.cell_m / 2
        x, y = self.cells["x"].to_numpy(), self.cells["y"].to_numpy()
        boxes = shapely.box(x - h, y - h, x + h, y + h)
        data = self.cells[["x", "y", "distance", "nearest_id"]].rename(
            columns={"distance": f"distance_{self.unit}"}
        )
        gdf = gpd.GeoDataFrame(data.reset_index(drop=True), geometry=boxes, crs=CRS)
        return gdf if crs == CRS else gdf.to_crs(crs)

    def bands(
        self, edges: Sequence[float] = DEFAULT_THRESHOLDS_KM, simplify: bool = True
    ) -> gpd.GeoDataFrame:
        """The surface as a few polygons, one per distance band (e.g. 0–10, 10–20, 20–30, over 30 km).

        A compact layer for web maps: merging the cells of a band keeps the payload small.

        Returns
        -------
        geopandas.GeoDataFrame
            ``band`` (0, 1, …), ``lower``, ``upper`` (``inf`` for the last), ``label``, ``cells``,
            ``area_km2``; geometry in EPSG:4326.
        """
        import geopandas as gpd  # noqa: PLC0415
        import shapely  # noqa: PLC0415

        bounds = [0.0, *sorted(float(e) for e in edges), math.inf]
        h = self.cell_m / 2
        x, y = self.cells["x"].to_numpy(), self.cells["y"].to_numpy()
        d = self.cells["distance"].to_numpy()
        rows, geoms = [], []
        for i, (lo, hi) in enumerate(itertools.pairwise(bounds)):
            sel = (d >= lo) & (d < hi) if i else (d < hi)
            if not sel.any():
                continue
            boxes = shapely.box(x[sel] - h, y[sel] - h, x[sel] + h, y[sel] + h)
            # Cells of one band tile the plane without overlaps, so the fast coverage union applies.
            geom = shapely.coverage_union_all(boxes)
            if simplify:
                geom = shapely.make_valid(geom.simplify(self.cell_m * 0.75))
            label = f"over {lo:g} {self.unit}" if math.isinf(hi) else f"{lo:g}–{hi:g} {self.unit}"
            rows.append(
                {
                    "band": i,
                    "lower": lo,
                    "upper": hi,
                    "label": label,
                    "cells": int(sel.sum()),
                    "area_km2": round(float(sel.sum()) * (self.cell_m / 1000) ** 2, 1),
                }
            )
            geoms.append(geom)
        return gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS).to_crs("EPSG:4326")


def distance_surface(
    grid: pd.DataFrame, supply: pd.DataFrame, cost: CostFunction | None = None
) -> DistanceSurface:
    """Distance from each grid cell to the nearest office of ``supply``.

    Parameters
    ----------
    grid
        :func:`grid_cells` / :func:`saxony_grid` (``x``, ``y``, ``lon``, ``lat``).
    supply
        :func:`supply_table` (``id``, ``lon``, ``lat``); must not be empty.
    cost
        Cost function; default straight line (a k-d tree on the projected cell centres, no re-projection).
    """
    cost = as_cost(cost)
    if supply.empty:
        msg = "No office to measure distances to."
        raise CoverageError(msg)
    if isinstance(cost, StraightLine):
        sx, sy = project(supply["lon"].to_numpy(dtype=float), supply["lat"].to_numpy(dtype=float))
        origins = np.column_stack([grid["x"].to_numpy(), grid["y"].to_numpy()])
        dist, idx = nearest_xy(origins, np.column_stack([sx, sy]))
    else:
        dist, idx = cost.nearest(_points(grid), _points(supply))
    cells = grid[["x", "y", "lon", "lat"]].copy()
    cells["distance"] = dist
    cells["nearest_id"] = supply["id"].to_numpy(dtype=object)[idx]
    cell_m = grid.attrs.get("cell_m")
    if cell_m is None:  # a grid built elsewhere: the spacing of its centres
        cell_m = float(np.min(np.diff(np.unique(grid["x"])))) if grid["x"].nunique() > 1 else DEFAULT_CELL_M
    return DistanceSurface(
        cells=cells.reset_index(drop=True), cell_m=cell_m, unit=cost.unit, label=cost.label
    )


# ----------------------------------------------------------------------------------------------------------
# Population-weighted gaps
# ----------------------------------------------------------------------------------------------------------


def district_gaps(
    points: pd.DataFrame,
    distance: np.ndarray,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS_KM,
    unit: str = "km",
) -> pd.DataFrame:
    """Per district: residents beyond each threshold of a matching office, and their share.

    Parameters
    ----------
    points
        Population points (``district``, ``residents``).
    distance
        Distance (cost) from each point to the nearest matching office.
    thresholds
        In the cost's unit.

    Returns
    -------
    pandas.DataFrame
        Indexed by district: ``residents``, ``places``, ``mean_distance_<unit>`` (population-weighted),
        ``residents_beyond_<t><unit>`` and ``share_beyond_<t><unit>`` per threshold.
    """
    w = points["residents"].to_numpy(dtype=float)
    d = np.asarray(distance, dtype=float)
    frame = pd.DataFrame(
        {"district": points["district"].to_numpy(), "w": w, "wd": w * np.where(np.isinf(d), 0, d)}
    )
    cols: dict[str, str] = {}
    for t in thresholds:
        key = _suffix(t, unit)
        frame[f"residents_beyond_{key}"] = w * (d > t)
        cols[f"residents_beyond_{key}"] = f"share_beyond_{key}"
    grouped = frame.groupby("district", sort=False)
    out = grouped[["w", *cols]].sum()
    out.insert(1, "places", grouped.size())
    mean = grouped["wd"].sum() / out["w"]
    out.insert(2, f"mean_distance_{unit}", mean.where(out["w"] > 0))
    for res_col, share_col in cols.items():
        out[share_col] = (out[res_col] / out["w"]).where(out["w"] > 0)
    return out.rename(columns={"w": "residents"})


def gap_places(
    points: pd.DataFrame,
    distance: np.ndarray,
    nearest_name: Sequence[str],
    *,
    threshold: float = DEFAULT_GAP_THRESHOLD_KM,
    cost: CostFunction | None = None,
    limit: int | None = 20,
) -> pd.DataFrame:
    """Places beyond ``threshold`` of a matching office, ordered by where a new office would help most.

    For each such place, ``gain_residents`` counts the residents now beyond the threshold who would be within
    it if an office opened there (its own residents included). Because neighbouring places share most of their
    gain, the places are also picked one after another, greedily (maximal covering): each pick is the place
    that reaches most residents not yet reached by the earlier picks (``pick``, ``added_residents``). The list
    starts with the picks in order, then the other gap places by ``gain_residents``.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``district``, ``lat``, ``lon``, ``residents``, ``geonames_population``, ``distance``,
        ``nearest_office``, ``gain_residents``, ``pick`` (1, 2, …; 0 = not picked), ``added_residents``.
    """
    cost = as_cost(cost)
    d = np.asarray(distance, dtype=float)
    beyond = d > threshold
    columns = [
        "name", "district", "lat", "lon", "residents", "geonames_population", "distance", "nearest_office",
        "gain_residents", "pick", "added_residents",
    ]  # fmt: skip
    if not beyond.any():
        return pd.DataFrame(columns=columns)
    out = points.loc[beyond, ["name", "district", "lat", "lon", "residents", "geonames_population"]].copy()
    out = out.reset_index(drop=True)
    out["distance"] = d[beyond]
    out["nearest_office"] = np.asarray(nearest_name, dtype=object)[beyond]
    gap_pts = _points(points.loc[beyond])
    reach = (cost.matrix(gap_pts, gap_pts) <= threshold).astype(float)
    w = out["residents"].to_numpy(dtype=float)
    out["gain_residents"] = reach @ w
    picks = np.zeros(len(out), dtype=int)
    added = np.zeros(len(out))
    uncovered = w.copy()
    for rank in range(1, (limit if limit is not None else len(out)) + 1):
        gains = reach @ uncovered
        gains[picks > 0] = -1.0
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        picks[best], added[best] = rank, gains[best]
        uncovered = uncovered * (reach[best] == 0)
    out["pick"] = picks
    out["added_residents"] = added
    order = np.lexsort(
        (-out["residents"].to_numpy(), -out["gain_residents"].to_numpy(), np.where(picks > 0, picks, 10**9))
    )
    out = out.iloc[order]
    return (out.head(limit) if limit is not None else out).reset_index(drop=True)[columns]


# ----------------------------------------------------------------------------------------------------------
# Accessibility index (E2SFCA via pysal/access)
# ----------------------------------------------------------------------------------------------------------


def e2sfca(
    points: pd.DataFrame,
    supply: pd.DataFrame,
    cost: CostFunction | None = None,
    steps: Mapping[float, float] | None = None,
    cost_matrix: np.ndarray | None = None,
) -> pd.Series:
    """Enhanced two-step floating catchment area score per population point, with ``access.Access``.

    Step 1: each office's ratio R = capacity / Σ (residents × weight(distance)) over the residents within the
    largest step. Step 2: a point's score = Σ R × weight(distance) over the offices it reaches.

    Parameters
    ----------
    points
        Population points (``point_id``, ``lon``, ``lat``, ``residents``).
    supply
        :func:`supply_table` (``id``, ``lon``, ``lat``, ``capacity``).
    cost
        Cost function; default straight line in km.
    steps
        Upper bound of each band → weight; default :data:`E2SFCA_STEPS`.
    cost_matrix
        A precomputed ``(n_points, n_supply)`` matrix (skips ``cost``).

    Returns
    -------
    pandas.Series
        Offices (capacity) per 100,000 residents, indexed like ``points``; 0 where no office is in reach.
    """
    from access import Access, weights  # noqa: PLC0415 - importing access takes ~0.7 s

    steps = dict(steps or E2SFCA_STEPS)
    if not steps or any(w < 0 for w in steps.values()):
        msg = "E2SFCA steps must be a non-empty mapping of distance → non-negative weight."
        raise CoverageError(msg)
    if supply.empty or points.empty:
        return pd.Series(0.0, index=points.index, name="e2sfca_per_100k")
    matrix = (
        cost_matrix if cost_matrix is not None else as_cost(cost).matrix(_points(points), _points(supply))
    )
    max_cost = max(steps)
    oi, si = np.nonzero(matrix <= max_cost)
    demand_ids = points["point_id"].astype(str).to_numpy()
    supply_ids = supply["id"].astype(str).to_numpy()
    if oi.size == 0:
        return pd.Series(0.0, index=points.index, name="e2sfca_per_100k")
    cost_df = pd.DataFrame({"origin": demand_ids[oi], "dest": supply_ids[si], "cost": matrix[oi, si]})
    demand_df = pd.DataFrame(
        {"residents": points["residents"].to_numpy(dtype=float)}, index=pd.Index(demand_ids)
    )
    demand_df.index.name = "point_id"
    supply_df = pd.DataFrame(
        {"capacity": supply["capacity"].to_numpy(dtype=float)}, index=pd.Index(supply_ids)
    )
    supply_df.index.name = "id"
    acc = Access(
        demand_df=demand_df,
        demand_index=True,
        demand_value="residents",
        supply_df=supply_df,
        supply_index=True,
        supply_value="capacity",
        cost_df=cost_df,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    logging.getLogger("access").setLevel(logging.WARNING)  # access logs INFO lines to stderr by default
    result = acc.enhanced_two_stage_fca(
        name="e2sfca", weight_fn=weights.step_fn(steps), max_cost=max_cost, normalize=False
    )
    score = result["e2sfca_capacity"].reindex(demand_ids).fillna(0.0).to_numpy() * 100_000
    return pd.Series(score, index=points.index, name="e2sfca_per_100k")


# ----------------------------------------------------------------------------------------------------------
# District table
# ----------------------------------------------------------------------------------------------------------


def district_offices(
    matching: pd.DataFrame, facts: pd.DataFrame, what_if: Sequence[WhatIf] = ()
) -> pd.DataFrame:
    """Per district: matching offices by kind and topic, per head, and the quality of their entries.

    Offices count for the district of their ``district`` column; statewide services are not in any district.
    Hypothetical offices count for the district they lie in (``what_if_offices``) and in the per-head ratios.

    Returns
    -------
    pandas.DataFrame
        One row per district of ``facts`` (in its order): ``district``, ``ags``, ``population``,
        ``population_year``, ``foreign_population``, ``foreign_population_year``, ``offices``,
        ``what_if_offices``, ``offices_per_100k``, ``offices_per_10k_foreign``, ``share_languages_stated``,
        ``share_street_address``, ``oldest_source_date``, ``undated_offices``, ``kind_<KIND>``,
        ``topic_<TOPIC>``. Shares are ``NaN`` for districts without matching offices.
    """
    hyp = pd.Series([w.district for w in what_if if w.district], dtype=object).value_counts()
    rows = []
    for fact in facts.to_dict("records"):
        name = fact["name"]
        sub = matching[matching["district"] == name]
        n_real = len(sub)
        n_hyp = int(hyp.get(name, 0))
        n = n_real + n_hyp
        dates = [d for d in sub["source_date"] if d]
        row: dict[str, Any] = {
            "district": name,
            "ags": fact["ags"],
            "population": int(fact["population"]),
            "population_year": int(fact["population_year"]),
            "foreign_population": int(fact["foreign_population"]),
            "foreign_population_year": int(fact["foreign_population_year"]),
            "offices": n,
            "what_if_offices": n_hyp,
            "offices_per_100k": n / fact["population"] * 100_000 if fact["population"] else math.nan,
            "offices_per_10k_foreign": (
                n / fact["foreign_population"] * 10_000 if fact["foreign_population"] else math.nan
            ),
            "share_languages_stated": (sub["languages"] != "").mean() if n_real else math.nan,
            "share_street_address": (sub["street"] != "").mean() if n_real else math.nan,
            # Dates are YYYY, YYYY-MM or YYYY-MM-DD, so the text order is the time order.
            "oldest_source_date": min(dates) if dates else "",
            "undated_offices": n_real - len(dates),
        }
        kinds = sub["kind"].value_counts()
        for k in KINDS:
            row[f"kind_{k}"] = int(kinds.get(k, 0))
        topic_counts = pd.Series(
            [t for s in sub["topics"] for t in s.split(";") if t], dtype=object
        ).value_counts()
        for t in TOPICS:
            row[f"topic_{t}"] = int(topic_counts.get(t, 0))
        rows.append(row)
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------------------------------


def _clean(value: Any, digits: int = 4) -> Any:
    """A JSON-safe value: NaN/inf → None, numpy scalars → Python, floats rounded."""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return None if not math.isfinite(v) else round(v, digits)
    if value is pd.NA or value is None:
        return None
    return value


@dataclass
class CoverageReport:
    """Everything the coverage analysis found for one set of filters (and what-if offices).

    Attributes
    ----------
    filter
        The filters.
    districts
        One row per district: :func:`district_offices` joined with :func:`district_gaps` and the
        population-weighted mean E2SFCA score (``e2sfca_per_100k``).
    points
        The population points with ``distance``, ``nearest_id`` and ``e2sfca_per_100k``.
    supply
        The offices measured to (:func:`supply_table`).
    matching
        All matching offices, statewide ones included.
    gap_places
        :func:`gap_places` for ``gap_threshold``.
    summary
        Statewide figures (JSON-ready).
    thresholds, gap_threshold
        In ``unit``.
    what_if
        The hypothetical offices.
    baseline
        The same analysis without the what-if offices (``None`` without them).
    notes
        Sentences a reader needs (how distances are measured, where the population comes from, …).
    """

    filter: CoverageFilter
    districts: pd.DataFrame
    points: pd.DataFrame
    supply: pd.DataFrame
    matching: pd.DataFrame
    gap_places: pd.DataFrame
    summary: dict[str, Any]
    thresholds: tuple[float, ...]
    gap_threshold: float
    unit: str = "km"
    cost_label: str = DISTANCE_LABEL
    cost_name: str = "straight-line"
    what_if: tuple[WhatIf, ...] = ()
    baseline: CoverageReport | None = None
    notes: list[str] = field(default_factory=list)

    def share_columns(self) -> list[str]:
        """Names of the ``share_beyond_…`` columns, in threshold order."""
        return [f"share_beyond_{_suffix(t, self.unit)}" for t in self.thresholds]

    def changes(self) -> pd.DataFrame:
        """Per district, the shares beyond each threshold before and after the what-if offices.

        Empty without what-if offices.
        """
        if self.baseline is None:
            return pd.DataFrame()
        cols = ["district", *self.share_columns(), "e2sfca_per_100k", "offices_per_100k"]
        before = self.baseline.districts[cols].set_index("district")
        after = self.districts[cols].set_index("district")
        out = before.add_suffix("_before").join(after.add_suffix("_after"))
        return out.reset_index()

    def to_json(self, gap_limit: int | None = None) -> dict[str, Any]:
        """The report as a JSON object (the ``finder coverage --json`` contract)."""
        districts = []
        for row in self.districts.to_dict("records"):
            item = {k: _clean(v) for k, v in row.items() if not k.startswith(("kind_", "topic_"))}
            item["by_kind"] = {k: int(row[f"kind_{k}"]) for k in KINDS}
            item["by_topic"] = {t: int(row[f"topic_{t}"]) for t in TOPICS}
            districts.append(item)
        gaps = self.gap_places if gap_limit is None else self.gap_places.head(gap_limit)
        out: dict[str, Any] = {
            "filters": self.filter.to_json(),
            "cost": {"method": self.cost_name, "unit": self.unit, "crs": CRS, "label": self.cost_label},
            "summary": self.summary,
            "districts": districts,
            "gap_threshold": self.gap_threshold,
            "gap_places": [
                {k: _clean(v, 6 if k in ("lat", "lon") else 2) for k, v in r.items()}
                for r in gaps.to_dict("records")
            ],
            "method": {
                "e2sfca": " ".join(E2SFCA_EXPLANATION),
                "e2sfca_steps": {f"{k:g}": v for k, v in E2SFCA_STEPS.items()},
            },
            "notes": self.notes,
            "attribution": ATTRIBUTION,
        }
        if self.what_if:
            out["what_if"] = {
                "offices": [w.to_json() for w in self.what_if],
                "summary_before": self.baseline.summary if self.baseline else None,
                "districts": [
                    {k: _clean(v) for k, v in r.items()} for r in self.changes().to_dict("records")
                ],
            }
        return out


def _summary(
    points: pd.DataFrame,
    supply: pd.DataFrame,
    matching: pd.DataFrame,
    thresholds: Sequence[float],
    unit: str,
) -> dict[str, Any]:
    w = points["residents"].to_numpy(dtype=float)
    d = points["distance"].to_numpy(dtype=float)
    total = float(w.sum())
    real = supply[~supply["hypothetical"].astype(bool)]
    return {
        "matching_offices": len(matching),
        "offices_with_place": len(real),
        "offices_at_district_point": int((real["precision"] == "district").sum()),
        "statewide_services": int((matching["district"] == STATEWIDE).sum()),
        "offices_without_location": int(
            ((matching["district"] != STATEWIDE) & (matching["lat"].isna() | matching["lon"].isna())).sum()
        ),
        "what_if_offices": int(supply["hypothetical"].astype(bool).sum()),
        "residents": round(total),
        "places": len(points),
        f"mean_distance_{unit}": _clean(float((w * d).sum() / total) if total else math.nan, 2),
        f"max_distance_{unit}": _clean(float(d.max()) if len(d) else math.nan, 2),
        "share_beyond": {
            _suffix(t, unit): _clean(float(w[d > t].sum() / total) if total else math.nan) for t in thresholds
        },
        "residents_beyond": {_suffix(t, unit): round(float(w[d > t].sum())) for t in thresholds},
        "e2sfca_per_100k": _clean(
            float((w * points["e2sfca_per_100k"].to_numpy()).sum() / total) if total else math.nan, 3
        ),
    }


def analyse(
    offices: pd.DataFrame,
    points: pd.DataFrame,
    facts: pd.DataFrame,
    flt: CoverageFilter,
    *,
    what_if: Sequence[WhatIf] = (),
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS_KM,
    gap_threshold: float = DEFAULT_GAP_THRESHOLD_KM,
    gap_limit: int | None = 20,
    cost: CostFunction | None = None,
    steps: Mapping[float, float] | None = None,
    index: Any = None,
    _baseline: bool = True,
) -> CoverageReport:
    """The whole analysis for one set of filters; see :class:`CoverageReport`.

    Raises
    ------
    CoverageError
        If no office with a place matches the filters (and no what-if office is given).
    """
    cost = as_cost(cost)
    thresholds = tuple(sorted({float(t) for t in thresholds} | {float(gap_threshold)}))
    if any(not (t > 0 and math.isfinite(t)) for t in thresholds):
        msg = "Thresholds must be positive numbers."
        raise CoverageError(msg)
    matching = matching_offices(offices, flt, index)
    supply = supply_table(matching, what_if)
    if supply.empty:
        if matching.empty:
            msg = f"No office in the directory matches {flt.describe()}. Try fewer or other filters."
        else:
            msg = (
                f"{len(matching)} service(s) match {flt.describe()}, but none has a place (statewide or "
                "online services only), so there are no distances to measure."
            )
        raise CoverageError(msg)

    matrix = cost.matrix(_points(points), _points(supply))
    nearest = np.argmin(matrix, axis=1)
    pts = points.copy()
    pts["distance"] = matrix[np.arange(len(pts)), nearest]
    pts["nearest_id"] = supply["id"].to_numpy(dtype=object)[nearest]
    pts["nearest_office"] = supply["name"].to_numpy(dtype=object)[nearest]
    pts["e2sfca_per_100k"] = e2sfca(pts, supply, cost, steps, cost_matrix=matrix)

    table = district_offices(matching, facts, what_if)
    gaps = district_gaps(pts, pts["distance"].to_numpy(), thresholds, cost.unit)
    w = pts["residents"] * pts["e2sfca_per_100k"]
    access_mean = w.groupby(pts["district"]).sum() / pts.groupby("district")["residents"].sum()
    gaps["e2sfca_per_100k"] = access_mean
    gaps = gaps.rename(columns={"residents": "residents_model"})
    table = table.join(gaps, on="district")
    places = gap_places(
        pts, pts["distance"].to_numpy(), pts["nearest_office"].tolist(),
        threshold=gap_threshold, cost=cost, limit=gap_limit,
    )  # fmt: skip

    notes = [
        f"Distances: {cost.label}.",
        population_note(points, facts) + ".",
        " ".join(E2SFCA_EXPLANATION),
    ]
    summary = _summary(pts, supply, matching, thresholds, cost.unit)
    if summary["statewide_services"]:
        notes.append(
            f"{summary['statewide_services']} statewide or online service(s) also match; they have no place "
            "and are not part of the distances."
        )
    if summary["offices_at_district_point"]:
        notes.append(
            f"{summary['offices_at_district_point']} matching office(s) are placed only at a district's "
            "representative point (no address in the data); their distances are rough."
        )
    if flt.languages and not flt.include_unstated_languages:
        notes.append("Only offices that state the language count; most offices state no language at all.")
    baseline = None
    if what_if and _baseline:
        try:
            baseline = analyse(
                offices, points, facts, flt, thresholds=thresholds, gap_threshold=gap_threshold,
                gap_limit=gap_limit, cost=cost, steps=steps, index=index, _baseline=False,
            )  # fmt: skip
        except CoverageError:
            baseline = None  # nothing matched before: every figure is new
    return CoverageReport(
        filter=flt,
        districts=table,
        points=pts,
        supply=supply,
        matching=matching,
        gap_places=places,
        summary=summary,
        thresholds=thresholds,
        gap_threshold=float(gap_threshold),
        unit=cost.unit,
        cost_label=cost.label,
        cost_name=cost.name,
        what_if=tuple(what_if),
        baseline=baseline,
        notes=notes,
    )


# ----------------------------------------------------------------------------------------------------------
# The facade
# ----------------------------------------------------------------------------------------------------------


class Coverage:
    """Coverage analysis over a :class:`finder.core.Finder`'s directory (the facade of this module).

    Parameters
    ----------
    finder
        The loaded directory and gazetteer; default ``Finder()``.
    cost
        A :class:`CostFunction`, or a callable returning a cost matrix; default straight line in km.
    population
        Population points (:func:`population_points` columns); default GeoNames places scaled to the district
        totals.
    facts
        District statistics; default :func:`finder.geodata.district_facts`.

    Examples
    --------
    >>> cov = Coverage()
    >>> report = cov.report(topics=["asylum"])
    >>> len(report.districts)
    13
    >>> 0 <= report.summary["share_beyond"]["20km"] <= 1
    True
    """

    def __init__(
        self,
        finder: Finder | None = None,
        *,
        cost: CostFunction | Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
        population: pd.DataFrame | None = None,
        facts: pd.DataFrame | None = None,
    ) -> None:
        if finder is None:
            from finder.core import Finder  # noqa: PLC0415

            finder = Finder()
        self.finder = finder
        self.data_dir = Path(finder.settings.data_dir)
        self.cost = as_cost(cost)
        self.facts = facts if facts is not None else geodata.district_facts(self.data_dir)
        self.population = (
            population
            if population is not None
            else population_points(geodata.places(self.data_dir), self.facts)
        )

    @property
    def offices(self) -> pd.DataFrame:
        """The directory table."""
        return self.finder.offices  # type: ignore[return-value]

    def filter(self, **filters: Any) -> CoverageFilter:
        """Checked filters (:meth:`CoverageFilter.parse`)."""
        return CoverageFilter.parse(**filters)

    def what_if(self, items: Iterable[str | WhatIf | tuple[float, float]]) -> tuple[WhatIf, ...]:
        """Hypothetical offices from place names, ``"LAT,LON"``, ``(lat, lon)`` pairs or :class:`WhatIf`."""
        out = []
        for item in items:
            if isinstance(item, WhatIf):
                out.append(item)
            elif isinstance(item, tuple):
                out.append(what_if_point(float(item[0]), float(item[1]), data_dir=self.data_dir))
            else:
                out.append(parse_what_if(str(item), self.finder, self.data_dir))
        if len(out) > _MAX_WHAT_IF:
            msg = f"At most {_MAX_WHAT_IF} what-if offices at a time."
            raise CoverageError(msg)
        return tuple(out)

    def supply(self, flt: CoverageFilter, what_if: Sequence[WhatIf] = ()) -> pd.DataFrame:
        """The offices distances are measured to (:func:`supply_table`)."""
        return supply_table(matching_offices(self.offices, flt, self.finder.index), what_if)

    def report(
        self,
        topics: Iterable[str] | str | None = (),
        languages: Iterable[str] | str | None = (),
        kinds: Iterable[str] | str | None = (),
        age: int | str | None = None,
        *,
        include_unstated_languages: bool = False,
        what_if: Iterable[str | WhatIf | tuple[float, float]] = (),
        thresholds: Sequence[float] = DEFAULT_THRESHOLDS_KM,
        gap_threshold: float = DEFAULT_GAP_THRESHOLD_KM,
        gap_limit: int | None = 20,
        steps: Mapping[float, float] | None = None,
    ) -> CoverageReport:
        """The district table, gaps, accessibility and gap places for the filters (see :func:`analyse`).

        Raises
        ------
        CoverageError
            For bad filters, an empty filter result or a what-if office outside Saxony.
        """
        flt = CoverageFilter.parse(topics, languages, kinds, age, include_unstated_languages)
        return analyse(
            self.offices, self.population, self.facts, flt,
            what_if=self.what_if(what_if), thresholds=thresholds, gap_threshold=gap_threshold,
            gap_limit=gap_limit, cost=self.cost, steps=steps, index=self.finder.index,
        )  # fmt: skip

    def surface(
        self,
        topics: Iterable[str] | str | None = (),
        languages: Iterable[str] | str | None = (),
        kinds: Iterable[str] | str | None = (),
        age: int | str | None = None,
        *,
        include_unstated_languages: bool = False,
        what_if: Iterable[str | WhatIf | tuple[float, float]] = (),
        cell_m: float = DEFAULT_CELL_M,
    ) -> DistanceSurface:
        """The distance surface over Saxony for the filters (see :func:`distance_surface`).

        Raises
        ------
        CoverageError
            As :meth:`report`, or for a bad cell size.
        """
        flt = CoverageFilter.parse(topics, languages, kinds, age, include_unstated_languages)
        supply = self.supply(flt, self.what_if(what_if))
        if supply.empty:
            msg = f"No office with a place matches {flt.describe()}. Try fewer or other filters."
            raise CoverageError(msg)
        return distance_surface(saxony_grid(cell_m, self.data_dir), supply, self.cost)

    def districts_geo(self) -> gpd.GeoDataFrame:
        """The district polygons (EPSG:4326) with ``name`` and ``ags``."""
        return geodata.districts(self.data_dir)


# ----------------------------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------------------------


def _print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def _fmt(value: Any, pattern: str = "{:.1f}") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return pattern.format(value)


def _print_text(report: CoverageReport, out: Any) -> None:
    unit = report.unit
    out.write(f"Coverage for {report.filter.describe()} — {report.cost_label}\n")
    shares = report.share_columns()
    head = f"{'district':34} {'offices':>7} {'/100k':>6} {'/10k fgn':>8} " + " ".join(
        f"{'>' + _suffix(t, unit):>7}" for t in report.thresholds
    )
    out.write(head + f" {'E2SFCA':>7}\n")
    for r in report.districts.to_dict("records"):
        line = (
            f"{r['district'][:34]:34} {r['offices']:>7} {_fmt(r['offices_per_100k'], '{:6.2f}'):>6} "
            f"{_fmt(r['offices_per_10k_foreign'], '{:8.2f}'):>8} "
        )
        line += " ".join(f"{_fmt(r[c] * 100 if r[c] == r[c] else None, '{:6.1f}%'):>7}" for c in shares)
        out.write(line + f" {_fmt(r['e2sfca_per_100k'], '{:7.2f}'):>7}\n")
    s = report.summary
    out.write(
        "Saxony: "
        + ", ".join(f"{(v or 0) * 100:.1f} % of residents beyond {k}" for k, v in s["share_beyond"].items())
        + "\n"
    )
    if len(report.gap_places):
        t = f"{report.gap_threshold:g} {unit}"
        out.write(f"Where a new office would help most (places now beyond {t} of a matching office):\n")
        for r in report.gap_places.to_dict("records"):
            rank = f"{r['pick']:>3}." if r["pick"] else "    "
            out.write(
                f"{rank} {r['name']} ({r['district']}): {r['distance']:.1f} {unit} to {r['nearest_office']}; "
                f"an office here reaches {r['gain_residents']:,.0f} residents now beyond {t}"
                + (
                    f", {r['added_residents']:,.0f} of them not reached by the places above\n"
                    if r["pick"]
                    else "\n"
                )
            )
    if report.baseline is not None:
        b = report.baseline.summary["share_beyond"]
        out.write("What-if change: ")
        out.write(
            ", ".join(
                f"beyond {k}: {(b[k] or 0) * 100:.1f} % → {(v or 0) * 100:.1f} %"
                for k, v in s["share_beyond"].items()
            )
            + "\n"
        )
    for note in report.notes:
        out.write(f"Note: {note}\n")
    out.write(f"Data: {ATTRIBUTION}\n")


def cmd_coverage(args: argparse.Namespace) -> int:
    """``finder coverage``: print the district table and gap figures, or write layers for QGIS."""
    from finder import settings as _settings  # noqa: PLC0415
    from finder.core import Finder  # noqa: PLC0415

    def fail(message: str, code: int = 1) -> int:
        if args.json:
            _print_json({"error": message})
        else:
            sys.stderr.write(f"{message}\n")
        return code

    if args.format and not args.output:
        return fail("--format needs --output PATH (a .gpkg file, or a folder for geojson/csv).", 2)
    settings = _settings.load()
    if getattr(args, "data_dir", None):
        settings = settings.with_(data_dir=Path(args.data_dir))
    thresholds = tuple(args.thresholds_km) if args.thresholds_km else DEFAULT_THRESHOLDS_KM
    try:
        cov = Coverage(Finder(settings))
        report = cov.report(
            args.topic or (),
            args.language or (),
            args.kind or (),
            args.age,
            include_unstated_languages=args.include_unstated_languages,
            what_if=args.what_if or (),
            thresholds=thresholds,
            gap_threshold=args.threshold_km,
            gap_limit=args.limit,
        )
        written: list[Path] = []
        if args.output:
            from finder._export_layers import write_layers  # noqa: PLC0415

            surface = distance_surface(saxony_grid(args.cell_m, cov.data_dir), report.supply, cov.cost)
            written = write_layers(
                report, surface, Path(args.output), args.format or "gpkg", cov.districts_geo()
            )
    except CoverageError as exc:
        return fail(str(exc))
    if args.json:
        data = report.to_json()
        if written:
            data["written"] = [str(p) for p in written]
        _print_json(data)
    else:
        _print_text(report, sys.stdout)
        for path in written:
            sys.stdout.write(f"wrote {path}\n")
    return 0


def register_cli(sub: argparse._SubParsersAction) -> None:
    """Add the ``coverage`` sub-command to the ``finder`` command line."""
    p = sub.add_parser(
        "coverage",
        help="where help is out of reach: district table, population gaps, E2SFCA, layers for QGIS",
        description=f"Coverage of Saxony by matching offices ({DISTANCE_LABEL}).",
    )
    p.add_argument("--topic", action="append", choices=TOPICS)
    p.add_argument("--language", action="append", help="ISO 639-1 code, e.g. ar (offices stating it)")
    p.add_argument(
        "--include-unstated-languages", action="store_true", help="also count offices stating no language"
    )
    p.add_argument("--kind", action="append", choices=KINDS)
    p.add_argument("--age", type=int)
    p.add_argument(
        "--what-if", action="append", metavar="PLACE|LAT,LON", help="add a hypothetical office (repeatable)"
    )
    p.add_argument(
        "--threshold-km",
        type=float,
        default=DEFAULT_GAP_THRESHOLD_KM,
        help="distance for the gap places (km)",
    )
    default_shares = ", ".join(f"{t:g}" for t in DEFAULT_THRESHOLDS_KM)
    p.add_argument(
        "--share-threshold-km", dest="thresholds_km", type=float, action="append",
        help=f"thresholds of the residents' shares (km, repeatable; default {default_shares})",
    )  # fmt: skip
    p.add_argument("--limit", type=int, default=20, help="number of gap places listed")
    p.add_argument("--json", action="store_true")
    p.add_argument("--format", choices=("gpkg", "geojson", "csv"), help="write layers (needs --output)")
    p.add_argument("--output", help="a .gpkg file, or a folder for geojson/csv (default format: gpkg)")
    p.add_argument(
        "--cell-m", type=float, default=DEFAULT_CELL_M, help="grid cell size in metres for the grid layer"
    )
    p.add_argument("--data-dir")
    p.set_defaults(func=cmd_coverage)


__all__ = [
    "ATTRIBUTION",
    "CRS",
    "DEFAULT_CELL_M",
    "DEFAULT_GAP_THRESHOLD_KM",
    "DEFAULT_THRESHOLDS_KM",
    "DISTANCE_LABEL",
    "E2SFCA_EXPLANATION",
    "E2SFCA_STEPS",
    "CostFunction",
    "CostMatrix",
    "Coverage",
    "CoverageError",
    "CoverageFilter",
    "CoverageReport",
    "DistanceSurface",
    "StraightLine",
    "WhatIf",
    "analyse",
    "as_cost",
    "cmd_coverage",
    "distance_surface",
    "district_gaps",
    "district_offices",
    "e2sfca",
    "gap_places",
    "grid_cells",
    "matching_offices",
    "nearest_xy",
    "parse_what_if",
    "population_note",
    "population_points",
    "project",
    "register_cli",
    "saxony_grid",
    "supply_table",
    "unproject",
    "what_if_point",
]
