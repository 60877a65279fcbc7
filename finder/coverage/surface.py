"""The distance surface: a regular grid over Saxony with the distance from each cell to the nearest office.

Cells are 1 km squares in EPSG:25833 by default, aligned to multiples of the cell size, whose centre lies
inside the state outline; the nearest office is found with a k-d tree (:class:`scipy.spatial.cKDTree`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from finder import geodata
from finder import settings as _settings
from finder.coverage.cost import (
    CRS,
    DEFAULT_THRESHOLDS_KM,
    DISTANCE_LABEL,
    CostFunction,
    StraightLine,
    as_cost,
    lonlat_array,
    nearest_xy,
    project,
    unproject,
)
from finder.errors import CoverageError

__all__ = [
    "DEFAULT_CELL_M",
    "MAX_GRID_CELLS",
    "DistanceSurface",
    "distance_surface",
    "grid_cells",
    "projected_outline",
    "saxony_grid",
]

#: Side of a grid cell in metres.
DEFAULT_CELL_M = 1000.0
#: Largest grid the surface is computed for (cells), so a typo in ``cell_m`` cannot exhaust memory.
MAX_GRID_CELLS = 3_000_000


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


def _data_folder(data_dir: Path | str | None) -> Path:
    return Path(data_dir) if data_dir is not None else _settings.load().data_dir


@cache
def _projected_outline(data_dir: Path) -> Any:
    return gpd.GeoSeries([geodata.outline(data_dir)], crs="EPSG:4326").to_crs(CRS).iloc[0]


def projected_outline(data_dir: Path | str | None = None) -> Any:
    """Saxony's outline as a shapely polygon in EPSG:25833 metres, cached per data folder."""
    return _projected_outline(_data_folder(data_dir))


@cache
def _saxony_grid(data_dir: Path, cell_m: float) -> pd.DataFrame:
    return grid_cells(_projected_outline(data_dir), cell_m)


def saxony_grid(cell_m: float = DEFAULT_CELL_M, data_dir: Path | str | None = None) -> pd.DataFrame:
    """The grid over Saxony (:func:`grid_cells`), cached per data folder and cell size; treat as read-only."""
    return _saxony_grid(_data_folder(data_dir), float(cell_m))


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
        dist, idx = cost.nearest(lonlat_array(grid), lonlat_array(supply))
    cells = grid[["x", "y", "lon", "lat"]].copy()
    cells["distance"] = dist
    cells["nearest_id"] = supply["id"].to_numpy(dtype=object)[idx]
    cell_m = grid.attrs.get("cell_m")
    if cell_m is None:  # a grid built elsewhere: the spacing of its centres
        cell_m = float(np.min(np.diff(np.unique(grid["x"])))) if grid["x"].nunique() > 1 else DEFAULT_CELL_M
    return DistanceSurface(
        cells=cells.reset_index(drop=True), cell_m=cell_m, unit=cost.unit, label=cost.label
    )
