"""The embedded geodata of ``data/``: districts, outline, postcodes, places, municipalities, statistics.

Each loader reads its file once per data folder (``functools.cache``); the returned objects are shared,
so treat them as read-only.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from finder import settings as _settings
from finder._geodata_rows import district_at, district_point

__all__ = [
    "ATTRIBUTION",
    "PROJECTED_CRS",
    "district_at",
    "district_facts",
    "district_point",
    "districts",
    "municipalities",
    "outline",
    "places",
    "postcodes",
]

ATTRIBUTION = "© GeoBasis-DE / BKG 2016 (Daten verändert); GeoNames (www.geonames.org), CC BY 4.0"
PROJECTED_CRS = "EPSG:25833"


def _dir(data_dir: Path | str | None) -> Path:
    return Path(data_dir) if data_dir is not None else _settings.load().data_dir


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


@cache
def _districts(data_dir: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(data_dir / "districts.geojson")


def districts(data_dir: Path | str | None = None) -> gpd.GeoDataFrame:
    """The 13 district polygons (EPSG:4326) with columns ``ags``, ``name``, ``geometry``."""
    return _districts(_dir(data_dir))


@cache
def _outline(data_dir: Path) -> shapely.Geometry:
    return gpd.read_file(data_dir / "saxony.geojson").geometry.iloc[0]


def outline(data_dir: Path | str | None = None) -> shapely.Geometry:
    """The outline of Saxony (EPSG:4326)."""
    return _outline(_dir(data_dir))


@cache
def _postcodes(data_dir: Path) -> pd.DataFrame:
    df = _read_csv(data_dir / "postcodes.csv")
    df["lat"] = df["lat"].astype(float)
    df["lon"] = df["lon"].astype(float)
    return df


def postcodes(data_dir: Path | str | None = None) -> pd.DataFrame:
    """German postcodes: ``postcode``, ``place``, ``state``, ``district_ags``, ``lat``, ``lon``."""
    return _postcodes(_dir(data_dir))


@cache
def _places(data_dir: Path) -> pd.DataFrame:
    df = _read_csv(data_dir / "places.csv")
    df["lat"] = df["lat"].astype(float)
    df["lon"] = df["lon"].astype(float)
    df["population"] = df["population"].astype(int)
    return df


def places(data_dir: Path | str | None = None) -> pd.DataFrame:
    """Places: ``name``, ``lat``, ``lon``, ``population``, ``state``, ``district_ags``, ``alt_names``.

    All Saxon places of GeoNames cities500, and German places elsewhere with at least 15,000 inhabitants.
    """
    return _places(_dir(data_dir))


@cache
def _municipalities(data_dir: Path) -> pd.DataFrame:
    df = _read_csv(data_dir / "municipalities.csv")
    df["lat"] = df["lat"].astype(float)
    df["lon"] = df["lon"].astype(float)
    return df


def municipalities(data_dir: Path | str | None = None) -> pd.DataFrame:
    """Saxon municipalities (BKG 2016): ``ags``, ``name``, ``district_ags``, ``lat``, ``lon``."""
    return _municipalities(_dir(data_dir))


@cache
def _district_facts(data_dir: Path) -> pd.DataFrame:
    df = _read_csv(data_dir / "districts_facts.csv")
    for col in ("population", "foreign_population", "population_year", "foreign_population_year"):
        df[col] = df[col].astype(int)
    df["area_km2"] = df["area_km2"].astype(float)
    return df


def district_facts(data_dir: Path | str | None = None) -> pd.DataFrame:
    """District statistics: ``ags``, ``name``, ``population`` (+ ``_year``), ``foreign_population``, …."""
    return _district_facts(_dir(data_dir))
