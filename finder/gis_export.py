"""The offices as GeoJSON or GeoPackage for GIS users (``finder export --format geojson|gpkg``).

One point per office that has a position (WGS84, EPSG:4326). Offices without one (online services) are
left out, and the count says how many. Every feature carries ``geocode_precision``: most points are the
centre of the office's postcode or town, not its door, and GIS users must be able to see that.
List columns stay ``;``-separated text, as in ``offices.csv``. Files are written to a temporary name
and moved into place, so a reader never sees half a file. Text attributes that start like a spreadsheet
formula get a ``'`` in front (:func:`finder.csv_export.safe_frame`): QGIS and ogr2ogr turn these files
into spreadsheets in one step.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from finder._values import cell_text, finite_float
from finder.csv_export import safe_frame
from finder.directory import OFFICE_COLUMNS

#: Output formats: name → (GDAL driver, file suffix).
FORMATS: dict[str, tuple[str, str]] = {"geojson": ("GeoJSON", ".geojson"), "gpkg": ("GPKG", ".gpkg")}
#: Layer name in the GeoPackage.
LAYER = "offices"
#: Description written into the file (GeoJSON ``description``, GeoPackage layer metadata).
DESCRIPTION = (
    "Counselling offices for migrants in Saxony (Beratungsfinder Sachsen), compiled from public web pages; "
    "each office's source pages are in source_url. Points are the office's postcode or town centre unless "
    "geocode_precision is 'street': do not read them as exact addresses."
)
#: Columns written (coordinates become the geometry).
COLUMNS: tuple[str, ...] = tuple(c for c in OFFICE_COLUMNS if c not in ("lat", "lon"))


def offices_geodataframe(offices: pd.DataFrame | Sequence[Mapping[str, Any]]) -> gpd.GeoDataFrame:
    """The offices with a position as a GeoDataFrame of points.

    Parameters
    ----------
    offices
        The directory: a DataFrame (:func:`finder.directory.load_offices`) or rows of strings.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns of ``offices.csv`` except ``lat``/``lon`` (all text), geometry = points in EPSG:4326;
        only offices with both coordinates.
    """
    records = offices.to_dict("records") if isinstance(offices, pd.DataFrame) else [dict(r) for r in offices]
    rows, points = [], []
    for record in records:
        lat, lon = finite_float(record.get("lat")), finite_float(record.get("lon"))
        if lat is None or lon is None:
            continue
        rows.append({column: cell_text(record.get(column, "")) for column in COLUMNS})
        points.append(Point(lon, lat))
    frame = pd.DataFrame(rows, columns=list(COLUMNS), dtype=object)
    return gpd.GeoDataFrame(frame, geometry=points, crs="EPSG:4326")


def export(
    offices: pd.DataFrame | Sequence[Mapping[str, Any]], output: str | os.PathLike[str], fmt: str
) -> tuple[Path, int]:
    """Write the offices to a GeoJSON or GeoPackage file.

    Parameters
    ----------
    offices
        The directory (DataFrame or rows of strings).
    output
        The file to write (replaced if it exists); if it is an existing folder, ``offices.geojson`` or
        ``offices.gpkg`` inside it. A GeoPackage's name gets ``.gpkg`` appended if it lacks it.
    fmt
        ``"geojson"`` (RFC 7946) or ``"gpkg"`` (layer ``offices``).

    Returns
    -------
    tuple of (pathlib.Path, int)
        The file written and the number of offices in it.

    Raises
    ------
    ValueError
        For an unknown format.
    """
    if fmt not in FORMATS:
        msg = f"unknown format {fmt!r} (one of {', '.join(FORMATS)})"
        raise ValueError(msg)
    driver, suffix = FORMATS[fmt]
    target = Path(output)
    if target.is_dir():
        target = target / f"offices{suffix}"
    elif fmt == "gpkg" and target.suffix.lower() != suffix:
        # The GeoPackage standard requires the suffix (GDAL warns without it, and GIS tools look for it).
        target = target.with_name(target.name + suffix)
    target.parent.mkdir(parents=True, exist_ok=True)
    frame = safe_frame(offices_geodataframe(offices))
    if fmt == "geojson":
        options: dict[str, Any] = {"RFC7946": "YES", "DESCRIPTION": DESCRIPTION}
    else:
        options = {"layer": LAYER, "metadata": {"DESCRIPTION": DESCRIPTION}}
    # GDAL will not write into an existing file name, so write in a fresh folder beside the target
    # (same file system) and move the finished file into place.
    folder = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
    try:
        temp = folder / target.name
        frame.to_file(temp, driver=driver, engine="pyogrio", index=False, **options)
        temp.replace(target)
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(folder)
    return target, len(frame)


def write_geojson(offices: pd.DataFrame | Sequence[Mapping[str, Any]], path: str | os.PathLike[str]) -> int:
    """Write an RFC 7946 GeoJSON file of the offices; return how many were written."""
    return export(offices, path, "geojson")[1]


def write_geopackage(
    offices: pd.DataFrame | Sequence[Mapping[str, Any]], path: str | os.PathLike[str]
) -> int:
    """Write a GeoPackage (layer ``offices``); return how many offices were written."""
    return export(offices, path, "gpkg")[1]
