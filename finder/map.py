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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

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
from finder._map_templates import CLUSTER_ICON_JS, Attribution, FitBounds, HtmlControl, MapStyle, OpenPopup
from finder._values import finite_float as _float
from finder._values import text as _text
from finder.assets import asset_urls as _default_asset_urls
from finder.distance import geodesic_km
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
    "distance": "{km} km away",
    "decimal_separator": ".",
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


def _locations(offices: pd.DataFrame) -> list[Location]:
    """Group offices with coordinates by (rounded) position, keeping the frame's order."""
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
        office = Office(
            id=_text(row.get("id")),
            name=_text(row.get("name")),
            kind=_text(row.get("kind")) or "OTHER",
            street=_text(row.get("street")),
            postcode=_text(row.get("postcode")),
            city=_text(row.get("city")),
            phone=_text(row.get("phone")),
            approximate=_text(row.get("geocode_precision")) in APPROXIMATE_PRECISIONS,
            distance_km=_float(row.get("distance_km")) if has_distance else None,
            lat=float(lat),
            lon=float(lon),
        )
        key = _group_key(lat, lon)
        if key not in groups:
            # The marker sits on the first office's exact position, so a click on it reports that position.
            groups[key] = Location(lat=float(lat), lon=float(lon))
        groups[key].offices.append(office)
    return list(groups.values())


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


def _districts_geojson(districts: gpd.GeoDataFrame) -> dict[str, Any]:
    """Return a compact GeoJSON dict: coordinates rounded to 5 decimals (~1 m), only an escaped label.

    The label is escaped here because folium's GeoJsonTooltip inserts property values as HTML.
    """
    if districts.crs is not None and not districts.crs.equals("EPSG:4326"):
        districts = districts.to_crs("EPSG:4326")
    names = districts["name"] if "name" in districts.columns else pd.Series([""] * len(districts))
    features = []
    for name, geometry in zip(names, districts.geometry, strict=True):
        if geometry is None or geometry.is_empty:
            continue
        rounded = shapely.transform(geometry, lambda xy: np.round(xy, 5))
        features.append(
            {
                "type": "Feature",
                "properties": {"label": _esc(name)},
                "geometry": shapely.geometry.mapping(rounded),
            }
        )
    return {"type": "FeatureCollection", "features": features}


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
        points += [(loc.lat, loc.lon) for loc in nearest]
    lats_all = [p[0] for p in points]
    lons_all = [p[1] for p in points]
    return [[min(lats_all), min(lons_all)], [max(lats_all), max(lons_all)]]


def build_map(
    offices: pd.DataFrame,
    *,
    districts: gpd.GeoDataFrame | None,
    origin: tuple[float, float] | None = None,
    origin_label: str = "",
    selected_id: str | None = None,
    labels: Mapping[str, str] | None = None,
    tile_url: str = "",
    tile_attribution: str = "",
    asset_urls: Mapping[str, str] | None = None,
    rtl: bool = False,
    fit_nearest: int = 5,
) -> folium.Map:
    """Build the office map.

    Parameters
    ----------
    offices
        Offices to show: columns ``id``, ``name``, ``kind``, ``lat``, ``lon``; optionally ``street``,
        ``postcode``, ``city``, ``phone``, ``geocode_precision``, ``distance_km``. Rows without valid
        coordinates are skipped. Offices whose coordinates agree to 5 decimals share one marker.
    districts
        District polygons (:func:`load_districts`) drawn as the base map; None draws none.
    origin
        The user's position (lat, lon), drawn as a ring; the map then zooms to it and the nearest offices.
    origin_label
        Text for the origin in the legend (escaped); default ``labels["origin"]``.
    selected_id
        Id of an office to highlight: its marker is drawn larger, outside clusters, with its popup open.
    labels
        Translations overriding :data:`DEFAULT_LABELS` (kind codes → labels, ``legend``, ...).
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
        The map; every script and stylesheet it links is one of ``asset_urls``.

    Raises
    ------
    ValueError
        If columns or assets are missing, or ``tile_url`` comes without ``tile_attribution``.
    """
    merged_labels = {**DEFAULT_LABELS, **{k: str(v) for k, v in (labels or {}).items()}}
    direction = "rtl" if rtl else "ltr"
    urls = dict(asset_urls) if asset_urls is not None else _default_asset_urls()
    map_js, map_css = _asset_links(urls)
    if origin is not None:
        origin_lat, origin_lon = _float(origin[0]), _float(origin[1])
        if origin_lat is None or origin_lon is None or abs(origin_lat) > 90 or abs(origin_lon) > 180:
            msg = f"origin must be (latitude, longitude), not {origin!r}"
            raise ValueError(msg)
        origin = (origin_lat, origin_lon)
    if tile_url and not tile_attribution.strip():
        msg = "a tile server needs an attribution (FINDER_TILE_ATTRIBUTION)"
        raise ValueError(msg)

    locations = _locations(offices)
    selected_marker: folium.Marker | None = None
    selected = next((loc for loc in locations if selected_id and selected_id in loc.ids), None)
    if selected is not None:
        # The selected office heads the list in its marker's popup.
        selected.offices.sort(key=lambda o: o.id != selected_id)

    centre = [
        (SAXONY_BOUNDS[0][0] + SAXONY_BOUNDS[1][0]) / 2,
        (SAXONY_BOUNDS[0][1] + SAXONY_BOUNDS[1][1]) / 2,
    ]
    m = folium.Map(
        location=centre,
        zoom_start=8,
        tiles=None,
        control_scale=True,
        minZoom=6,
        maxZoom=18,
    )
    # Instance attributes, so folium's class-level CDN lists stay untouched for other code.
    m.default_js = map_js
    m.default_css = map_css
    m.add_child(MapStyle())

    if tile_url:
        folium.TileLayer(
            tiles=tile_url, attr=_esc(_plain_text(tile_attribution)), name="tiles", control=False, max_zoom=18
        ).add_to(m)
    district_shapes = _districts_geojson(districts) if districts is not None else None
    if district_shapes and district_shapes["features"]:
        folium.GeoJson(
            district_shapes,
            name="districts",
            control=False,
            style_function=lambda _feature: {
                "color": "#5a6570",
                "weight": 1.2,
                "fillColor": "#fbfaf6",
                "fillOpacity": 0.9 if not tile_url else 0.15,
            },
            highlight_function=lambda _feature: {"weight": 2.5},
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        ).add_to(m)
    m.add_child(Attribution(_esc(DATA_ATTRIBUTION)))

    cluster = folium.plugins.MarkerCluster(
        name="offices",
        control=False,
        icon_create_function=CLUSTER_ICON_JS,
        show_coverage_on_hover=False,
        max_cluster_radius=40,
        spiderfy_on_max_zoom=True,
        disable_clustering_at_zoom=13,
    )
    cluster.default_js = [("markerclusterjs", urls["markercluster_js"])]
    cluster.default_css = [("markerclustercss", urls["markercluster_css"])]
    cluster.add_to(m)
    # Markers outside the cluster (selection, origin) go into a group that is added to the map after its
    # markers exist, so Leaflet never draws them with its default image icon first.
    top = folium.FeatureGroup(name="top", control=False).add_to(m)

    for location in locations:
        is_selected = location is selected
        count = len(location.offices)
        size = (30 if count > 1 else 26) if is_selected else (24 if count > 1 else 20)
        symbol = _swatch(
            _fill(location.kinds),
            approximate=location.approximate,
            size=size,
            text=str(count) if count > 1 else "",
        )
        if is_selected:
            symbol = (
                f'<span style="display:inline-block;border-radius:50%;box-shadow:0 0 0 3px #000,'
                f'0 0 0 5px #fff">{symbol}</span>'
            )
        tooltip_text = _tooltip_html(location, merged_labels, direction)
        icon_html = f'<div role="img" aria-label="{_esc(re.sub("<[^>]+>", "", tooltip_text))}">{symbol}</div>'
        marker = folium.Marker(
            location=[location.lat, location.lon],
            icon=folium.DivIcon(
                html=icon_html,
                icon_size=(size, size),
                icon_anchor=(size // 2, size // 2),
                class_name="finder-marker",
            ),
            popup=folium.Popup(_popup_html(location, merged_labels, direction), max_width=300),
            tooltip=folium.Tooltip(tooltip_text),
            # Carried into Leaflet's marker options, for the cluster count and for scripts and tests.
            office_ids=location.ids,
            office_count=count,
            z_index_offset=1000 if is_selected else None,
        )
        marker.add_to(top if is_selected else cluster)
        if is_selected:
            selected_marker = marker

    origin_text = None
    if origin is not None:
        origin_text = origin_label.strip() or merged_labels["origin"]
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

    if locations or origin is not None:
        legend = _legend_html(locations, merged_labels, direction, origin_text)
        # With a selected office the legend starts folded so that it does not cover the open popup.
        fold = 100_000 if selected_marker is not None else 600
        m.add_child(HtmlControl(legend, "bottomleft" if rtl else "bottomright", fold_below_px=fold))

    extra = [(selected.lat, selected.lon)] if selected is not None else []
    m.add_child(FitBounds(_fit_bounds(locations, origin, extra, fit_nearest), max_zoom=13))
    if selected_marker is not None:
        # Last: Leaflet cannot open the popup of a marker that is not on the map yet, and the popup's
        # auto-pan must start from the fitted view.
        m.add_child(OpenPopup(selected_marker))
    return m


def map_payload_bytes(m: folium.Map) -> int:
    """Return the size in bytes of the map's standalone HTML (``m.get_root().render()``), for measurements.

    A copy is rendered: folium adds elements on every render, and ``m`` is left as it was for display.
    """
    return len(copy.deepcopy(m).get_root().render().encode("utf-8"))
