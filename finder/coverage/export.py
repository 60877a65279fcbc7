"""Write the coverage layers for a GIS: GeoPackage, GeoJSON or CSV, each with its attribution.

Layers (all of one analysis):

``districts``
    The district polygons with every figure of the district table.
``bands``
    The distance surface merged into distance bands (a small layer for overview maps).
``grid``
    The distance surface cell by cell (squares; EPSG:25833 in a GeoPackage, EPSG:4326 in GeoJSON).
``offices``
    The offices distances were measured to, what-if offices flagged ``hypothetical``.
``places``
    The population points with their residents, distance and accessibility score.
``gap_places``
    Places beyond the gap threshold, in the order a new office would help most.

A GeoPackage holds all layers in one file and carries the attribution and method in its metadata (GDAL
metadata of the dataset and of each layer, and each layer's ``gpkg_contents.description``, which QGIS shows).
GeoJSON and CSV are written one file per layer into a folder, with an ``ATTRIBUTION.txt``; GeoJSON files also
carry a ``description`` member.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
from pyogrio import write_dataframe
from pyogrio.errors import DataLayerError, DataSourceError

from finder import geodata
from finder.coverage.cost import CRS
from finder.coverage.report import ATTRIBUTION, CoverageReport
from finder.coverage.surface import DistanceSurface
from finder.csv_export import safe_frame
from finder.errors import CoverageError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["FORMATS", "layers", "write_layers"]

#: The formats :func:`write_layers` writes.
FORMATS = ("gpkg", "geojson", "csv")

_LAYER_TEXT = {
    "districts": "Districts with offices per head, shares of residents beyond each distance, E2SFCA",
    "bands": "Distance to the nearest matching office, merged into bands",
    "grid": "Distance to the nearest matching office per grid cell",
    "offices": "Offices distances are measured to (hypothetical what-if offices flagged)",
    "places": "Population points (GeoNames places scaled to district totals) with distance and E2SFCA",
    "gap_places": "Places beyond the gap threshold, in the order a new office would help most",
}


def _description(report: CoverageReport, layer: str) -> str:
    return (
        f"{_LAYER_TEXT[layer]}. Filters: {report.filter.describe()}. Distances: {report.cost_label}. "
        f"Data: {ATTRIBUTION}"
    )


def _metadata(report: CoverageReport) -> dict[str, str]:
    return {
        "TITLE": f"Beratungsfinder Sachsen — coverage for {report.filter.describe()}",
        "ATTRIBUTION": ATTRIBUTION,
        "FILTERS": json.dumps(report.filter.to_json(), ensure_ascii=False),
        "COST": report.cost_label,
        "NOTES": " ".join(report.notes),
        "CREATED": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _points_gdf(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    data = frame.reset_index(drop=True).copy()
    for col in data.columns:
        if data[col].dtype == object:
            data[col] = data[col].astype(str)
    return gpd.GeoDataFrame(data, geometry=gpd.points_from_xy(data["lon"], data["lat"]), crs="EPSG:4326")


def layers(
    report: CoverageReport, surface: DistanceSurface, districts: gpd.GeoDataFrame
) -> dict[str, gpd.GeoDataFrame]:
    """The layers of one analysis as GeoDataFrames (``grid`` in EPSG:25833, the others in EPSG:4326).

    Parameters
    ----------
    report
        :meth:`finder.coverage.Coverage.report`.
    surface
        :meth:`finder.coverage.Coverage.surface` for the same filters.
    districts
        District polygons with ``name`` (:func:`finder.geodata.districts`).
    """
    table = report.districts.copy()
    geo = districts[["name", "geometry"]].rename(columns={"name": "district"})
    district_layer = gpd.GeoDataFrame(
        geo.merge(table, on="district", how="right"), geometry="geometry", crs=districts.crs
    )
    places = report.points.drop(columns=["nearest_office"], errors="ignore")
    return {
        "districts": district_layer.to_crs("EPSG:4326"),
        # The last band has no upper bound; GIS formats have no infinity, so it is left empty (NULL).
        "bands": surface.bands(report.thresholds).replace([np.inf], np.nan),
        "grid": surface.to_geodataframe(CRS),
        "offices": _points_gdf(report.supply),
        "places": _points_gdf(places),
        "gap_places": _points_gdf(report.gap_places),
    }


def _target(path: Path, fmt: str) -> Path:
    if fmt == "gpkg":
        if path.is_dir():
            return path / "coverage.gpkg"
        return path if path.suffix.lower() == ".gpkg" else path.with_name(path.name + ".gpkg")
    if path.exists() and not path.is_dir():
        msg = f"{path} is a file; --format {fmt} writes one file per layer into a folder."
        raise CoverageError(msg)
    return path


def write_layers(
    report: CoverageReport,
    surface: DistanceSurface,
    path: Path | str,
    fmt: str = "gpkg",
    districts: gpd.GeoDataFrame | None = None,
) -> list[Path]:
    """Write all layers of an analysis; return the files written.

    Parameters
    ----------
    report, surface
        The analysis and its distance surface.
    path
        ``gpkg``: the file (``.gpkg`` added if missing; in a folder: ``coverage.gpkg``), replaced if present.
        ``geojson`` / ``csv``: a folder (created), one file per layer plus ``ATTRIBUTION.txt``.
    fmt
        ``gpkg``, ``geojson`` or ``csv``.
    districts
        District polygons; default :func:`finder.geodata.districts`.

    Raises
    ------
    CoverageError
        For an unknown format or a path that cannot be written.
    """
    if fmt not in FORMATS:
        msg = f"Unknown format “{fmt}”; use one of {', '.join(FORMATS)}."
        raise CoverageError(msg)
    target = _target(Path(path), fmt)
    all_layers = layers(report, surface, districts if districts is not None else geodata.districts())
    # Every format ends up in spreadsheets (QGIS exports attribute tables to XLSX): no text cell may run as a
    # formula there (office names come from the directory, what-if labels from a geocoder).
    all_layers = {name: safe_frame(gdf) for name, gdf in all_layers.items()}
    meta = _metadata(report)
    written: list[Path] = []
    try:
        if fmt == "gpkg":
            target.parent.mkdir(parents=True, exist_ok=True)
            target.unlink(missing_ok=True)
            Path(f"{target}.aux.xml").unlink(missing_ok=True)
            for i, (name, gdf) in enumerate(all_layers.items()):
                # Dataset metadata only with the first layer: set again in update mode, GDAL puts it into a
                # side-car .aux.xml file instead of the GeoPackage.
                write_dataframe(
                    gdf, target, layer=name, driver="GPKG",
                    dataset_metadata=meta if i == 0 else None,
                    layer_metadata={"DESCRIPTION": _description(report, name), "ATTRIBUTION": ATTRIBUTION},
                    layer_options={"DESCRIPTION": _description(report, name), "IDENTIFIER": name},
                )  # fmt: skip
            written.append(target)
        else:
            target.mkdir(parents=True, exist_ok=True)
            for name, gdf in all_layers.items():
                if fmt == "geojson":
                    out = target / f"{name}.geojson"
                    out.unlink(missing_ok=True)
                    options = {"DESCRIPTION": _description(report, name), "COORDINATE_PRECISION": "6"}
                    write_dataframe(gdf.to_crs("EPSG:4326"), out, driver="GeoJSON", layer_options=options)
                else:
                    out = target / f"{name}.csv"
                    _csv_frame(name, gdf).to_csv(out, index=False, encoding="utf-8")
                written.append(out)
            readme = target / "ATTRIBUTION.txt"
            readme.write_text(_attribution_text(report, meta), encoding="utf-8")
            written.append(readme)
    except (OSError, DataSourceError, DataLayerError) as exc:
        msg = f"Cannot write {target}: {exc}"
        raise CoverageError(msg) from None
    return written


def _csv_frame(name: str, gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """A layer as a plain table: points keep ``lat``/``lon``, the grid its centres, polygons their WKT."""
    frame = pd.DataFrame(gdf.drop(columns="geometry"))
    if name == "grid":
        return frame
    if name in ("districts", "bands"):
        frame["wkt"] = gdf.to_crs("EPSG:4326").geometry.to_wkt(rounding_precision=5)
    return frame


def _attribution_text(report: CoverageReport, meta: Mapping[str, str]) -> str:
    lines = [meta["TITLE"], "", f"Attribution: {ATTRIBUTION}", f"Distances: {report.cost_label}", ""]
    lines += [f"- {note}" for note in report.notes]
    lines += ["", f"Filters: {meta['FILTERS']}", f"Created: {meta['CREATED']}", ""]
    lines += [f"{name}: {text}" for name, text in _LAYER_TEXT.items()]
    return "\n".join(lines) + "\n"
