"""The map's static layers: written once per process as content-hashed files that browsers cache.

The base map (districts, the state outline, district and town names), the municipality borders (drawn from
zoom 10), the map's own script and, per interface language, the landing page's layer of all offices do
not depend on the visitor. Sending them inside every rerun's map HTML cost server CPU and bandwidth on
each view; instead :func:`write_layer` writes each as ``static/layers/<name>.<hash>.<ext>`` (served by
Streamlit at ``/app/static/layers/…``), and the map's script fetches them. The hash is of the content, so
a changed layer gets a new name and a browser never uses a stale copy, while an unchanged one is fetched
once. Generated files are never committed (the folder gets its own ``.gitignore``).

Everything here is plain data: names from the data files stay text in JSON; the map's script puts them on
the page with ``textContent``, never as HTML.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import babel
import geopandas as gpd
import numpy as np
import shapely

from finder.assets import DEFAULT_URL_PREFIX

__all__ = [
    "LAYER_SUBDIR",
    "PLACE_ZOOMS",
    "LayerFile",
    "base_layer",
    "municipality_layer",
    "neighbours",
    "place_min_zoom",
    "write_layer",
]

#: Sub-folder of the static folder that holds the generated layer files.
LAYER_SUBDIR = "layers"
#: Coordinates are rounded to 4 decimals (about 10 m): finer than a pixel at the zooms the layers show.
COORD_DECIMALS = 4
#: A town's name appears from the first zoom whose population threshold it reaches (more names as one
#: zooms in; the three cities from the start, beside the district names).
PLACE_ZOOMS: tuple[tuple[int, int], ...] = (
    (100_000, 6), (30_000, 8), (12_000, 9), (5_000, 10), (1_500, 11)
)  # fmt: skip
#: Places outside Saxony are named if they lie within this many degrees of its bounding box (orientation
#: across the border: Hof, Gera, Cottbus, Halle).
OUTSIDE_MARGIN_DEG = 0.35
#: Other versions of a layer file are deleted once they are this old (seconds).
KEEP_OLD_VERSIONS_S = 24 * 3600
#: Saxony's bounding box (south, west, north, east) used for the outside places.
_SAXONY_BOX = (50.17, 11.87, 51.69, 15.04)


@dataclass(frozen=True)
class LayerFile:
    """One written layer file.

    Attributes
    ----------
    name
        Layer name (``base``, ``municipalities``, ``offices-de``, ``script``).
    url
        URL path under which the browser fetches it (``/app/static/layers/base.1a2b3c4d5e6f.json``).
    path
        The file on disk.
    size
        Its size in bytes.
    """

    name: str
    url: str
    path: Path
    size: int


def _round(geometry: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geometry, lambda xy: np.round(xy, COORD_DECIMALS))


def _compact(payload: object) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def place_min_zoom(population: object) -> int:
    """The first zoom at which a town of this population is named (see :data:`PLACE_ZOOMS`).

    Examples
    --------
    >>> place_min_zoom(560_000), place_min_zoom(35_000), place_min_zoom(400), place_min_zoom("")
    (6, 8, 12, 12)
    """
    try:
        people = int(float(population))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        people = 0
    return next((zoom for threshold, zoom in PLACE_ZOOMS if people >= threshold), 12)


def _places(data_dir: Path) -> list[list[Any]]:
    """``[name, lat, lon, min_zoom, size]`` of the Saxon places and the larger ones near Saxony."""
    south, west, north, east = _SAXONY_BOX
    m = OUTSIDE_MARGIN_DEG
    rows = []
    with (data_dir / "places.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            try:
                lat, lon = float(row["lat"]), float(row["lon"])
            except (TypeError, ValueError):
                continue
            inside = row.get("state") == "SN"
            if not inside and not (south - m <= lat <= north + m and west - m <= lon <= east + m):
                continue
            zoom = place_min_zoom(row.get("population"))
            size = 3 if zoom <= 6 else 2 if zoom <= 8 else 1 if zoom <= 10 else 0  # font size class
            rows.append([row["name"], round(lat, COORD_DECIMALS), round(lon, COORD_DECIMALS), zoom, size])
    rows.sort(key=lambda r: r[3])  # larger towns first: they are drawn on top
    return rows


def base_layer(districts: gpd.GeoDataFrame, data_dir: Path | str) -> dict[str, Any]:
    """The base map: the state, the borders between districts, district and town names.

    Parameters
    ----------
    districts
        District polygons in EPSG:4326 (:func:`finder.map.load_districts`), property ``name``.
    data_dir
        The data folder (``places.csv``).

    Returns
    -------
    dict
        ``{"outline": GeoJSON polygon of the state, "district_borders": GeoJSON lines between the
        districts (each once), "district_labels": [[name, lat, lon]], "places": [[name, lat, lon,
        min_zoom, size]]}``.
    """
    data_dir = Path(data_dir)
    labels = []
    names = districts["name"] if "name" in districts.columns else [""] * len(districts)
    shapes = []
    for name, geometry in zip(names, districts.geometry, strict=True):
        if geometry is None or geometry.is_empty:
            continue
        shapes.append(geometry)
        parts = list(getattr(geometry, "geoms", [geometry]))
        centre = shapely.maximum_inscribed_circle(max(parts, key=lambda g: g.area), 0.001).coords[0]
        labels.append([str(name), round(centre[1], COORD_DECIMALS), round(centre[0], COORD_DECIMALS)])
    outline = borders = None
    if shapes:
        # Each border once: the outline as the filled state, the borders between districts as lines.
        outline = shapely.union_all(shapes)
        inner = shapely.union_all([g.boundary for g in shapes]).difference(outline.boundary.buffer(1e-5))
        borders = shapely.line_merge(inner) if not inner.is_empty else None
    return {
        "outline": shapely.geometry.mapping(_round(outline)) if outline is not None else None,
        "district_borders": shapely.geometry.mapping(_round(borders)) if borders is not None else None,
        "district_labels": labels,
        "places": _places(data_dir) if (data_dir / "places.csv").is_file() else [],
    }


def municipality_layer(data_dir: Path | str) -> dict[str, Any] | None:
    """The municipality borders (``data/municipality_borders.geojson``) as one GeoJSON geometry, or None."""
    path = Path(data_dir) / "municipality_borders.geojson"
    if not path.is_file():
        return None
    borders = gpd.read_file(path)
    geometries = [g for g in borders.geometry if g is not None and not g.is_empty]
    if not geometries:
        return None
    return shapely.geometry.mapping(_round(shapely.union_all(geometries)))


def neighbours(data_dir: Path | str, lang: str | None = None) -> list[dict[str, Any]]:
    """The states and countries around Saxony (``data/neighbours.csv``): code, kind, name, lat, lon.

    Countries are named in ``lang`` (Babel's CLDR territory names: "Poland", "Польща"); states keep their
    own (German) names, as the towns on the map do. A missing file gives an empty list; rows without a
    position are skipped.

    Examples
    --------
    >>> [n["name"] for n in neighbours("data", "en") if n["kind"] == "country"]
    ['Czechia', 'Poland']
    """
    path = Path(data_dir) / "neighbours.csv"
    if not path.is_file():
        return []
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            try:
                lat, lon = float(row["lat"]), float(row["lon"])
            except (TypeError, ValueError, KeyError):
                continue
            name = row.get("name", "")
            if row.get("kind") == "country" and lang:
                with contextlib.suppress(ValueError, babel.UnknownLocaleError):  # else the file's name
                    name = babel.Locale.parse(lang).territories.get(row.get("code", ""), name)
            out.append({"code": row.get("code", ""), "kind": row.get("kind", ""), "name": name,
                        "lat": lat, "lon": lon})  # fmt: skip
    return out


def write_layer(
    static_dir: Path | str,
    name: str,
    payload: object,
    *,
    extension: str = "json",
    url_prefix: str = DEFAULT_URL_PREFIX,
) -> LayerFile:
    """Write ``payload`` as ``static_dir/layers/<name>.<hash>.<extension>`` unless it is there already.

    Parameters
    ----------
    static_dir
        The folder Streamlit serves (``static/`` beside ``app.py``).
    name
        Layer name: letters, digits, ``-`` and ``_``.
    payload
        JSON-serialisable data, or ``str``/``bytes`` written as they are (the map's script).
    extension
        File extension (``json``, ``js``).
    url_prefix
        URL at which ``static_dir`` is served.

    Returns
    -------
    LayerFile
        Name, URL, path and size of the file. The same content always gives the same name.

    Raises
    ------
    ValueError
        If ``name`` has other characters or the payload is not JSON-serialisable (NaN included).
    OSError
        If the folder is not writable.
    """
    if not name or not all(c.isalnum() or c in "-_" for c in name):
        msg = f"layer name {name!r}: use letters, digits, '-' and '_'"
        raise ValueError(msg)
    if isinstance(payload, bytes):
        body = payload
    elif isinstance(payload, str):
        body = payload.encode("utf-8")
    else:
        body = _compact(payload)
    digest = hashlib.sha256(body).hexdigest()[:12]
    folder = Path(static_dir) / LAYER_SUBDIR
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.is_file():
        ignore.write_text("# written by finder.map_layers at start-up; never commit\n*\n")
    target = folder / f"{name}.{digest}.{extension}"
    if not (target.is_file() and target.stat().st_size == len(body)):
        # Written to a temporary file and renamed, so that a browser never reads half a file.
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(body)
            Path(tmp_name).chmod(0o644)
            Path(tmp_name).replace(target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
    _remove_old_versions(folder, name, extension, keep=target)
    url = f"{url_prefix.rstrip('/')}/{LAYER_SUBDIR}/{target.name}"
    return LayerFile(name=name, url=url, path=target, size=len(body))


def _remove_old_versions(folder: Path, name: str, extension: str, *, keep: Path) -> None:
    """Delete other versions of a layer that are older than :data:`KEEP_OLD_VERSIONS_S`.

    Not at once: a page another process (or this one before an edit) sent may still fetch its version.
    """
    cutoff = time.time() - KEEP_OLD_VERSIONS_S
    for old in folder.glob(f"{name}.*.{extension}"):
        if old != keep and old.name.count(".") == 2:
            with contextlib.suppress(OSError):  # another process removed it first
                if old.stat().st_mtime < cutoff:
                    old.unlink()


def layer_urls(files: Mapping[str, LayerFile]) -> dict[str, str]:
    """Name → URL of written layers (for the map's configuration)."""
    return {name: f.url for name, f in files.items()}
