"""The office map: a folium map that works offline and sends nothing to third parties.

* No tile server by default: the base map is drawn from our own district polygons; a tile layer is added
  only when a tile URL is configured (e.g. a self-hosted one).
* Leaflet, jQuery and Leaflet.markercluster are linked from our own server (see :mod:`finder.assets`),
  never from a CDN; markers are pure-CSS ``DivIcon`` s, so no icon font or image is needed.
* All text from the data is HTML-escaped, and additionally made safe for the JavaScript template
  literals folium wraps popups and tooltips in (backtick, ``$`` and backslash become character references).
* Offices sharing a coordinate (many share a postcode point) are drawn as one marker that lists all of
  them; :func:`office_id_at` and :func:`offices_at` map a click (streamlit-folium reports only the
  position) back to office ids.
"""

from __future__ import annotations

import copy
import html
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from finder import i18n
from finder._map_html import (
    Location,
    Office,
    _esc,
    _fill,
    _legend_html,
    _origin_symbol,
    _popup_html,
    _swatch,
    _tooltip_html,
)
from finder._map_script import MAP_SCRIPT
from finder._map_templates import Attribution, FinderLayers, FitBounds, HtmlControl, MapStyle
from finder._values import finite_float as _float
from finder._values import text as _text
from finder.assets import asset_urls as _default_asset_urls
from finder.distance import geodesic_km, precision_km
from finder.distance_text import distance_label
from finder.map_layers import LayerFile, base_layer, municipality_layer, write_layer
from finder.vocab import KINDS

#: ``geocode_precision`` values whose position is only approximate (a postcode, town or district point).
APPROXIMATE_PRECISIONS: frozenset[str] = frozenset({"postcode", "place", "district"})

#: South-west and north-east corner of Saxony (lat, lon), used when there is no origin to zoom to.
SAXONY_BOUNDS: tuple[tuple[float, float], tuple[float, float]] = ((50.17, 11.87), (51.69, 15.04))

#: Attribution of the embedded geodata, shown as plain text.
DATA_ATTRIBUTION = "© GeoBasis-DE / BKG 2016, GeoNames"

#: Asset names (see :mod:`finder.assets`) the map links to.
REQUIRED_ASSETS: tuple[str, ...] = (
    "leaflet_js",
    "jquery_js",
    "markercluster_js",
    "leaflet_css",
    "markercluster_css",
)

#: English defaults of every text the map shows; ``build_map(labels=...)`` overrides any of them.
#: ``{n}`` and ``{km}`` are placeholders.
DEFAULT_LABELS: dict[str, str] = {
    "legend": "Kinds of office",
    "approximate": "Approximate position (postcode or town centre only)",
    "approximate_legend": "Approximate position",
    "several": "Several offices at one place",
    "n_offices": "{n} offices",
    "origin": "Your location",
    # Kind labels come from the interface catalogue, so the map and the list name kinds alike.
    **{kind: i18n.kind_label(kind, "en") for kind in KINDS},
}

# Offices are grouped into one marker when their coordinates agree to this many decimals (~1 m).
_GROUP_DECIMALS = 5
_REQUIRED_COLUMNS = ("id", "name", "kind", "lat", "lon")


# --------------------------------------------------------------------------------------------------
# Escaping and small helpers
# --------------------------------------------------------------------------------------------------


def _plain_text(markup: str) -> str:
    """Drop HTML tags and decode entities: an attribution pasted as Leaflet HTML becomes plain text."""
    return html.unescape(re.sub(r"<[^>]*>", "", markup))


def _coordinates(offices: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return latitude and longitude arrays (NaN where missing, out of range or not a number)."""
    if "lat" not in offices.columns or "lon" not in offices.columns:
        msg = "offices need 'lat' and 'lon' columns"
        raise ValueError(msg)
    lat = pd.to_numeric(offices["lat"], errors="coerce").to_numpy(dtype=float, na_value=np.nan, copy=True)
    lon = pd.to_numeric(offices["lon"], errors="coerce").to_numpy(dtype=float, na_value=np.nan, copy=True)
    bad = ~((np.abs(lat) <= 90) & (np.abs(lon) <= 180))
    lat[bad] = np.nan
    lon[bad] = np.nan
    return lat, lon


def _group_key(lat: float, lon: float) -> tuple[float, float]:
    return (round(lat, _GROUP_DECIMALS), round(lon, _GROUP_DECIMALS))


# --------------------------------------------------------------------------------------------------
# Click → office
# --------------------------------------------------------------------------------------------------


def _nearest(offices: pd.DataFrame, lat: object, lng: object, tolerance_m: float) -> int | None:
    """Positional index of the office nearest to (lat, lng) if within ``tolerance_m``, else None."""
    click_lat, click_lng = _float(lat), _float(lng)
    if click_lat is None or click_lng is None or offices.empty:
        return None
    lats, lons = _coordinates(offices)
    distances = geodesic_km(click_lat, click_lng, lats, lons) * 1000.0  # metres
    distances[np.isnan(distances)] = np.inf
    best = int(np.argmin(distances))  # first of equally near offices, i.e. the one the marker shows first
    return best if distances[best] <= tolerance_m else None


def office_id_at(offices: pd.DataFrame, lat: object, lng: object, *, tolerance_m: float = 2.0) -> str | None:
    """Return the id of the office whose marker is at a clicked position.

    streamlit-folium reports a marker click only as ``last_object_clicked`` (``{"lat": ..., "lng": ...}``);
    Leaflet reports a marker's own coordinates there, so a tolerance of a few metres is enough. Several
    offices may share the position; this returns the first of them in ``offices``' order (the one listed
    first in the marker's popup unless another one is selected); :func:`offices_at` returns all.

    Parameters
    ----------
    offices
        The offices drawn on the map (columns ``id``, ``lat``, ``lon``).
    lat, lng
        The clicked position; None or non-numbers give None.
    tolerance_m
        Maximum distance in metres between the click and an office.

    Returns
    -------
    str or None
        The office id, or None if no office is that close (e.g. a click on a district or a cluster).
    """
    index = _nearest(offices, lat, lng, tolerance_m)
    if index is None or "id" not in offices.columns:
        return None
    return _text(offices["id"].iloc[index]) or None


def offices_at(offices: pd.DataFrame, lat: object, lng: object, *, tolerance_m: float = 2.0) -> list[str]:
    """Return the ids of all offices drawn as the marker at a clicked position.

    Parameters
    ----------
    offices
        The offices drawn on the map (columns ``id``, ``lat``, ``lon``).
    lat, lng
        The clicked position.
    tolerance_m
        Maximum distance in metres between the click and the marker.

    Returns
    -------
    list[str]
        Ids in ``offices``' order; empty if no marker is at that position.
    """
    index = _nearest(offices, lat, lng, tolerance_m)
    if index is None or "id" not in offices.columns:
        return []
    lats, lons = _coordinates(offices)
    key = _group_key(lats[index], lons[index])
    ids = offices["id"].tolist()
    return [
        _text(ids[i])
        for i in range(len(offices))
        if not math.isnan(lats[i]) and _group_key(lats[i], lons[i]) == key and _text(ids[i])
    ]


# --------------------------------------------------------------------------------------------------
# Data preparation
# --------------------------------------------------------------------------------------------------


def _locations(
    offices: pd.DataFrame, lang: str | None = None, origin_precision: str = "", origin_label: str = ""
) -> list[Location]:
    """Group offices with coordinates by (rounded) position, keeping the frame's order.

    Distances are said in words (:func:`finder.distance_text.distance_label`) in ``lang``: no "0.0 km"
    between two approximate positions.
    """
    missing = [c for c in _REQUIRED_COLUMNS if c not in offices.columns]
    if missing:
        msg = f"offices lack the column(s) {', '.join(missing)}"
        raise ValueError(msg)
    lats, lons = _coordinates(offices)
    has_distance = "distance_km" in offices.columns
    groups: dict[tuple[float, float], Location] = {}
    for i, row in enumerate(offices.to_dict("records")):
        lat, lon = lats[i], lons[i]
        if math.isnan(lat) or math.isnan(lon):
            continue  # online or statewide services without a place
        precision = _text(row.get("geocode_precision"))
        distance = _float(row.get("distance_km")) if has_distance else None
        office = Office(
            id=_text(row.get("id")),
            name=_text(row.get("name")),
            kind=_text(row.get("kind")) or "OTHER",
            street=_text(row.get("street")),
            postcode=_text(row.get("postcode")),
            city=_text(row.get("city")),
            phone=_text(row.get("phone")),
            approximate=precision in APPROXIMATE_PRECISIONS,
            distance_km=distance,
            lat=float(lat),
            lon=float(lon),
            distance_text=(
                distance_label(row, lang, origin_precision=origin_precision, origin_label=origin_label)
                if distance is not None
                else ""
            ),
            precision_m=precision_km(precision) * 1000.0 if precision in APPROXIMATE_PRECISIONS else 0.0,
        )
        key = _group_key(lat, lon)
        if key not in groups:
            # The marker sits on the first office's exact position, so a click on it reports that position.
            groups[key] = Location(lat=float(lat), lon=float(lon))
        groups[key].offices.append(office)
    return list(groups.values())


def _location_data(
    location: Location,
    labels: Mapping[str, str],
    direction: str,
    *,
    selected: bool = False,
    area: bool = False,
) -> dict[str, Any]:
    """What the map's script draws for one location; the HTML in it is escaped (:mod:`finder._map_html`)."""
    count = len(location.offices)
    size = (30 if count > 1 else 26) if selected else (24 if count > 1 else 20)
    symbol = _swatch(
        _fill(location.kinds),
        approximate=location.approximate,
        size=size,
        text=str(count) if count > 1 else "",
    )
    if selected:
        symbol = (
            f'<span style="display:inline-block;border-radius:50%;box-shadow:0 0 0 3px #000,'
            f'0 0 0 5px #fff">{symbol}</span>'
        )
    tooltip = _tooltip_html(location, labels, direction)
    icon = f'<div role="img" aria-label="{_esc(re.sub("<[^>]+>", "", tooltip))}">{symbol}</div>'
    data: dict[str, Any] = {
        "lat": location.lat,
        "lon": location.lon,
        "ids": location.ids,
        "n": count,
        "size": size,
        "icon": icon,
        "tip": tooltip,
        "popup": _popup_html(location, labels, direction),
    }
    if selected:
        data["selected"] = True
    if area and location.area_m > 0:
        data["area"] = location.area_m
        data["colour"] = location.colour
    return data


def office_layer(
    offices: pd.DataFrame, labels: Mapping[str, str] | None = None, *, rtl: bool = False
) -> list[dict[str, Any]]:
    """All offices as the landing map's clustered layer (written with :func:`finder.map_layers.write_layer`).

    Parameters
    ----------
    offices
        The offices to browse (columns as for :func:`build_map`).
    labels
        Translations overriding :data:`DEFAULT_LABELS`.
    rtl
        Right-to-left popups and tooltips.

    Returns
    -------
    list[dict]
        One entry per marker: position, office ids, escaped icon, tooltip and popup HTML.
    """
    merged = {**DEFAULT_LABELS, **{k: str(v) for k, v in (labels or {}).items()}}
    direction = "rtl" if rtl else "ltr"
    return [_location_data(loc, merged, direction) for loc in _locations(offices)]


def install_map_layers(
    static_dir: Path | str,
    data_dir: Path | str,
    districts: gpd.GeoDataFrame,
    *,
    url_prefix: str = "/app/static",
) -> dict[str, LayerFile]:
    """Write the map's script and the layers that are the same for everybody; return them by name.

    ``script`` (:data:`finder._map_script.MAP_SCRIPT`), ``base`` (:func:`finder.map_layers.base_layer`) and,
    if ``data_dir`` has the municipality borders, ``municipalities``. Call once per process.
    """
    files = {
        "script": write_layer(static_dir, "finder-map", MAP_SCRIPT, extension="js", url_prefix=url_prefix),
        "base": write_layer(static_dir, "base", base_layer(districts, data_dir), url_prefix=url_prefix),
    }
    municipalities = municipality_layer(data_dir)
    if municipalities is not None:
        files["municipalities"] = write_layer(
            static_dir, "municipalities", municipalities, url_prefix=url_prefix
        )
    return files


def load_districts(data_dir: Path | str) -> gpd.GeoDataFrame:
    """Read the district polygons from ``data_dir/districts.geojson``.

    Parameters
    ----------
    data_dir
        The data folder (``settings.data_dir``).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per district (properties ``ags``, ``name``), in EPSG:4326.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If it cannot be read as GeoJSON.
    """
    path = Path(data_dir) / "districts.geojson"
    if not path.is_file():
        msg = f"district polygons not found: {path} (run 'finder build-data')"
        raise FileNotFoundError(msg)
    try:
        districts = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own error types
        msg = f"cannot read {path}: {exc}"
        raise ValueError(msg) from exc
    if districts.crs is None:
        districts = districts.set_crs("EPSG:4326")
    elif not districts.crs.equals("EPSG:4326"):
        districts = districts.to_crs("EPSG:4326")
    return districts


def _asset_links(asset_urls: Mapping[str, str]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    missing = [name for name in REQUIRED_ASSETS if not asset_urls.get(name)]
    if missing:
        msg = f"asset_urls lacks {', '.join(missing)}; use finder.assets.install_static_assets()"
        raise ValueError(msg)
    map_js = [("leaflet", asset_urls["leaflet_js"]), ("jquery", asset_urls["jquery_js"])]
    map_css = [("leaflet_css", asset_urls["leaflet_css"])]
    return map_js, map_css


# --------------------------------------------------------------------------------------------------
# The map
# --------------------------------------------------------------------------------------------------


def _fit_bounds(
    locations: list[Location],
    origin: tuple[float, float] | None,
    extra: list[tuple[float, float]],
    fit_nearest: int,
) -> list[list[float]]:
    """Bounds of the origin and the ``fit_nearest`` nearest markers, or Saxony without an origin.

    Markers, not offices, are counted: the nearest offices often share one postcode point, and the view
    would then shrink to a street corner.
    """
    if origin is None:
        return [list(SAXONY_BOUNDS[0]), list(SAXONY_BOUNDS[1])]
    points = [origin, *extra]
    if locations and fit_nearest > 0:
        known = [[o.distance_km for o in loc.offices if o.distance_km is not None] for loc in locations]
        if all(known):
            # The caller's distances (they may be by road) decide what is near.
            rank = np.array([min(k) for k in known])
        else:
            lats = np.array([loc.lat for loc in locations])
            lons = np.array([loc.lon for loc in locations])
            rank = geodesic_km(origin[0], origin[1], lats, lons)
        nearest = [locations[i] for i in np.argsort(rank, kind="stable")[:fit_nearest]]
        for loc in nearest:
            # An approximate position is an area: the view shows all of it.
            dlat = loc.area_m / 111_320.0
            dlon = dlat / max(math.cos(math.radians(loc.lat)), 0.1)
            points += [(loc.lat - dlat, loc.lon - dlon), (loc.lat + dlat, loc.lon + dlon)]
    lats_all = [p[0] for p in points]
    lons_all = [p[1] for p in points]
    return [[min(lats_all), min(lons_all)], [max(lats_all), max(lons_all)]]


def build_map(
    offices: pd.DataFrame,
    *,
    layer_urls: Mapping[str, str],
    browse_url: str | None = None,
    browse_kinds: Sequence[str] = (),
    neighbours: Sequence[Mapping[str, Any]] = (),
    origin: tuple[float, float] | None = None,
    origin_label: str = "",
    origin_precision: str = "",
    selected_id: str | None = None,
    labels: Mapping[str, str] | None = None,
    lang: str | None = None,
    tile_url: str = "",
    tile_attribution: str = "",
    asset_urls: Mapping[str, str] | None = None,
    rtl: bool = False,
    fit_nearest: int = 5,
) -> folium.Map:
    """Build the office map.

    The map's HTML holds only what belongs to this view (the search's offices, the neighbours' names in
    the interface language, the legend, the view); the base map, the municipality borders, the landing
    page's office layer and the drawing script are static files it names (:func:`install_map_layers`).

    Parameters
    ----------
    offices
        Offices to show: columns ``id``, ``name``, ``kind``, ``lat``, ``lon``; optionally ``street``,
        ``postcode``, ``city``, ``phone``, ``geocode_precision``, ``distance_km``,
        ``distance_precision_km``, ``same_place``. Rows without valid coordinates are skipped. Offices
        whose coordinates agree to 5 decimals share one marker; an approximate position (postcode, town,
        district) is drawn as an area of its precision's radius.
    layer_urls
        ``script`` (required), ``base``, ``municipalities``: URLs from :func:`install_map_layers`.
    browse_url
        URL of an office layer (:func:`office_layer`) drawn clustered below ``offices``, for browsing.
    browse_kinds
        Kinds in that layer (for the legend).
    neighbours
        Neighbouring states and countries: ``name``, ``lat``, ``lon`` (:func:`finder.map_layers.neighbours`).
    origin
        The user's position (lat, lon), drawn as a ring; the map then zooms to it and the nearest offices.
    origin_label, origin_precision
        The search place's label (legend text, escaped; default ``labels["origin"]``) and precision (to say
        "in your postcode area").
    selected_id
        Id of an office to highlight: its marker is drawn larger, with its popup open.
    labels
        Translations overriding :data:`DEFAULT_LABELS` (kind codes → labels, ``legend``, ...).
    lang
        Interface language of the distances in words.
    tile_url
        Tile URL template (``https://tiles.example.org/{z}/{x}/{y}.png``); empty = no tiles.
    tile_attribution
        Attribution of the tiles, shown as plain text; required with ``tile_url``.
    asset_urls
        Asset name → URL from :func:`finder.assets.install_static_assets`; default: the URLs under
        ``/app/static`` (the files must have been installed there).
    rtl
        Right-to-left layout of legend, popups and tooltips (Arabic, Persian).
    fit_nearest
        How many of the nearest offices the initial view includes besides the origin.

    Returns
    -------
    folium.Map
        The map; every script and stylesheet it links is one of ``asset_urls`` or ``layer_urls``.

    Raises
    ------
    ValueError
        If columns, assets or the script are missing, or ``tile_url`` comes without ``tile_attribution``.
    """
    merged_labels = {**DEFAULT_LABELS, **{k: str(v) for k, v in (labels or {}).items()}}
    direction = "rtl" if rtl else "ltr"
    urls = dict(asset_urls) if asset_urls is not None else _default_asset_urls()
    map_js, map_css = _asset_links(urls)
    if not layer_urls.get("script"):
        msg = "layer_urls lacks 'script'; use finder.map.install_map_layers()"
        raise ValueError(msg)
    if origin is not None:
        origin_lat, origin_lon = _float(origin[0]), _float(origin[1])
        if origin_lat is None or origin_lon is None or abs(origin_lat) > 90 or abs(origin_lon) > 180:
            msg = f"origin must be (latitude, longitude), not {origin!r}"
            raise ValueError(msg)
        origin = (origin_lat, origin_lon)
    if tile_url and not tile_attribution.strip():
        msg = "a tile server needs an attribution (FINDER_TILE_ATTRIBUTION)"
        raise ValueError(msg)

    locations = _locations(offices, lang, origin_precision, origin_label)
    selected = next((loc for loc in locations if selected_id and selected_id in loc.ids), None)
    if selected is not None:
        # The selected office heads the list in its marker's popup.
        selected.offices.sort(key=lambda o: o.id != selected_id)

    centre = [
        (SAXONY_BOUNDS[0][0] + SAXONY_BOUNDS[1][0]) / 2,
        (SAXONY_BOUNDS[0][1] + SAXONY_BOUNDS[1][1]) / 2,
    ]
    m = folium.Map(location=centre, zoom_start=8, tiles=None, control_scale=True, minZoom=6, maxZoom=18)
    # Instance attributes, so folium's class-level CDN lists stay untouched for other code. The cluster
    # plugin and our script come after Leaflet, in this order.
    m.default_js = [
        *map_js,
        ("markerclusterjs", urls["markercluster_js"]),
        ("finder_map", layer_urls["script"]),
    ]
    m.default_css = [*map_css, ("markerclustercss", urls["markercluster_css"])]
    m.add_child(MapStyle())
    if tile_url:
        folium.TileLayer(
            tiles=tile_url, attr=_esc(_plain_text(tile_attribution)), name="tiles", control=False, max_zoom=18
        ).add_to(m)
    m.add_child(Attribution(_esc(DATA_ATTRIBUTION)))

    results = [
        _location_data(loc, merged_labels, direction, selected=loc is selected, area=True)
        for loc in locations
    ]
    config = {
        "layers": {k: str(v) for k, v in layer_urls.items() if k in ("base", "municipalities") and v},
        "neighbours": [[str(n["name"]), float(n["lat"]), float(n["lon"])] for n in neighbours],
        "results": results,
        "tiles": bool(tile_url),
    }
    if browse_url:
        config["layers"]["offices"] = browse_url
    m.add_child(FinderLayers(config))

    origin_text = None
    if origin is not None:
        origin_text = origin_label.strip() or merged_labels["origin"]
        # In a group that is added to the map after its marker exists, so Leaflet never draws the marker
        # with its default image icon first (a request for marker-icon.png).
        top = folium.FeatureGroup(name="top", control=False).add_to(m)
        folium.Marker(
            location=list(origin),
            icon=folium.DivIcon(
                html=_origin_symbol(), icon_size=(26, 26), icon_anchor=(13, 13), class_name="finder-marker"
            ),
            # Not interactive: a click passes through to an office marker at the same place (a postcode
            # origin often coincides with offices' postcode points); the legend explains the ring.
            interactive=False,
            keyboard=False,
            z_index_offset=-1000,
        ).add_to(top)

    if locations or origin is not None or browse_kinds:
        legend_locations = list(locations)
        if browse_kinds:
            # A stand-in office per browsed kind, so the legend names every kind on the map.
            legend_locations.append(
                Location(lat=0.0, lon=0.0, offices=[_legend_office(k) for k in browse_kinds])
            )
        legend = _legend_html(legend_locations, merged_labels, direction, origin_text)
        # With a selected office the legend starts folded so that it does not cover the open popup.
        fold = 100_000 if selected is not None else 600
        m.add_child(HtmlControl(legend, "bottomleft" if rtl else "bottomright", fold_below_px=fold))

    extra = [(selected.lat, selected.lon)] if selected is not None else []
    m.add_child(FitBounds(_fit_bounds(locations, origin, extra, fit_nearest), max_zoom=13))
    return m


def _legend_office(kind: str) -> Office:
    return Office(id="", name="", kind=kind, street="", postcode="", city="", phone="", approximate=False,
                  distance_km=None, lat=0.0, lon=0.0)  # fmt: skip


def map_payload_bytes(m: folium.Map) -> int:
    """Return the size in bytes of the map's standalone HTML (``m.get_root().render()``), for measurements.

    A copy is rendered: folium adds elements on every render, and ``m`` is left as it was for display.
    """
    return len(copy.deepcopy(m).get_root().render().encode("utf-8"))
