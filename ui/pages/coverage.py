"""Coverage for planners: where help is out of reach, per district and per head.

Everything is computed by :mod:`finder.coverage` (the same code as ``finder coverage`` and the notebook);
this page only draws it. The filters live in the URL (``topic``, ``language``, ``kind``, ``age`` as on the
find page, plus ``unstated``, ``km``, ``ratio``, ``show``, ``whatif``), so a planner can send a link.
"""

from __future__ import annotations

import html
import math
import re
import tempfile
from pathlib import Path
from typing import Any

import altair as alt
import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import streamlit as st
from streamlit_folium import st_folium

from finder import i18n
from finder.assets import AssetError
from finder.coverage import (
    ATTRIBUTION,
    Coverage,
    CoverageError,
    CoverageFilter,
    CoverageReport,
    DistanceSurface,
    WhatIf,
)
from finder.coverage.export import write_layers
from finder.vocab import KINDS, TOPICS
from ui import resources

# --------------------------------------------------------------------------------------------------
# Texts (German and English; other interface languages see the English page)

TEXT: dict[str, dict[str, str]] = {
    "de": {
        "title": "Versorgung: Wo ist Beratung weit weg?",
        "intro": "Für Planung in Landkreisen, Städten und Land: Beratungsstellen je Einwohner, Entfernungen "
        "der Bevölkerung zur nächsten passenden Stelle und was eine zusätzliche Stelle ändern würde.",
        "filters": "Welche Stellen zählen?",
        "topics": "Themen",
        "languages": "Beratungssprachen",
        "unstated": "Stellen ohne Sprachangabe mitzählen",
        "unstated_help": "Die meisten Stellen nennen keine Sprachen. Ohne Haken zählen nur Stellen, die eine "
        "gewählte Sprache ausdrücklich nennen.",
        "kinds": "Art der Stelle",
        "age": "Alter (optional)",
        "any": "alle",
        "km": "Schwelle für Lücken (km Luftlinie)",
        "ratio": "Karte färbt Kreise nach",
        "show": "Karte zeigt",
        "show_districts": "Kreise",
        "show_distance": "Entfernungsflächen",
        "ratio_per100k": "Stellen je 100.000 Einwohner",
        "ratio_per10k_foreign": "Stellen je 10.000 ausländische Einwohner",
        "ratio_beyond": "Anteil Einwohner weiter als {km} km",
        "ratio_e2sfca": "Erreichbarkeitsindex (E2SFCA)",
        "whatif": "Was wäre wenn: zusätzliche Stelle in …",
        "whatif_help": "Ort, Postleitzahl oder „Breite,Länge“; mehrere mit ; trennen.",
        "whatif_error": "Die zusätzliche Stelle wurde nicht berücksichtigt: {error}",
        "whatif_try": "Zusätzliche Stelle in {place} ausprobieren",
        "whatif_clear": "Zusätzliche Stellen entfernen",
        "bad_params": "Einige Angaben in der Adresse waren ungültig und wurden ignoriert: {names}.",
        "no_match": "Keine Stelle mit Ort passt zu diesen Angaben ({filters}). Bitte weniger oder andere "
        "Filter wählen.",
        "error": "Die Auswertung ist nicht möglich: {error}",
        "m_beyond": "Einwohner weiter als {km} km",
        "m_mean": "Mittlere Entfernung",
        "m_offices": "Passende Stellen mit Ort",
        "m_e2sfca": "Erreichbarkeit (je 100.000)",
        "m_statewide": "dazu {n} landesweite/online",
        "map_caption": "Entfernungen in der Luftlinie (ETRS89/UTM 33N), keine Fahrzeiten. Zahlen in Kreisen: "
        "Orte, an denen eine neue Stelle am meisten Einwohner erreichen würde (in dieser Reihenfolge).",
        "legend_distance": "Entfernung zur nächsten passenden Stelle",
        "layer_offices": "Passende Stellen",
        "layer_gaps": "Orte für neue Stellen",
        "layer_whatif": "Zusätzliche Stelle (was wäre wenn)",
        "layer_districts": "Kreise",
        "layer_distance": "Entfernung",
        "chart_beyond": "Einwohner weiter als 10 / 20 / 30 km",
        "chart_ratio": "{ratio} nach Kreis (Linie: Sachsen)",
        "chart_curve": "Anteil der Einwohner innerhalb von … km",
        "before": "vorher",
        "after": "nachher",
        "table": "Kreistabelle",
        "gaps": "Wo würde eine neue Stelle am meisten helfen? (Orte weiter als {km} km)",
        "gaps_note": "Schrittweise gewählt: jeder Ort erreicht die meisten Einwohner, die noch keine Stelle "
        "innerhalb von {km} km haben und von den Orten davor nicht erreicht werden.",
        "no_gaps": "Alle Orte liegen innerhalb von {km} km einer passenden Stelle.",
        "method": "Methode und Grenzen",
        "method1": "Erreichbarkeitsindex (E2SFCA): Jede Stelle wird auf die Einwohner im Umkreis von 30 km "
        "aufgeteilt, gewichtet 1 / 0,68 / 0,22 für 0–10 / 10–20 / 20–30 km; ein Ort summiert seine Anteile "
        "(Stellen je 100.000 Einwohner).",
        "method2": "Grenzen: Luftlinie statt Wegezeit; Bevölkerung aus GeoNames-Orten, je Kreis auf die "
        "amtliche Einwohnerzahl hochgerechnet; jede Stelle zählt 1 (keine Kapazitätsdaten); Menschen und "
        "Stellen außerhalb Sachsens fehlen.",
        "download_csv": "Kreistabelle als CSV",
        "download_gpkg": "GeoPackage für QGIS erstellen",
        "download_gpkg_ready": "GeoPackage herunterladen",
        "col_district": "Kreis",
        "col_offices": "Stellen",
        "col_per100k": "je 100.000 Einw.",
        "col_pop_year": "Einw. (Jahr)",
        "col_per10k": "je 10.000 ausl. Einw.",
        "col_foreign_year": "ausl. Einw. (Jahr)",
        "col_beyond": "> {km} km",
        "col_mean": "Ø km",
        "col_e2sfca": "E2SFCA",
        "col_lang": "mit Sprachangabe",
        "col_street": "mit Straße",
        "col_oldest": "älteste Quelle",
        "col_place": "Ort",
        "col_pick": "Rang",
        "col_distance": "km zur nächsten",
        "col_nearest": "nächste Stelle",
        "col_residents": "Einwohner (Modell)",
        "col_added": "zusätzlich erreicht",
        "attribution": "Daten",
    },
    "en": {
        "title": "Coverage: where is help out of reach?",
        "intro": "For planners in districts, cities and the state: offices per resident, how far residents "
        "live from the nearest matching office, and what one more office would change.",
        "filters": "Which offices count?",
        "topics": "Topics",
        "languages": "Languages of counselling",
        "unstated": "Count offices that state no language",
        "unstated_help": "Most offices state no languages. Unticked, only offices that name a chosen "
        "language count.",
        "kinds": "Kind of office",
        "age": "Age (optional)",
        "any": "any",
        "km": "Gap threshold (km, straight line)",
        "ratio": "Map colours districts by",
        "show": "Map shows",
        "show_districts": "Districts",
        "show_distance": "Distance bands",
        "ratio_per100k": "Offices per 100,000 residents",
        "ratio_per10k_foreign": "Offices per 10,000 foreign residents",
        "ratio_beyond": "Share of residents beyond {km} km",
        "ratio_e2sfca": "Accessibility index (E2SFCA)",
        "whatif": "What if: one more office in …",
        "whatif_help": "Town, postcode or “lat,lon”; separate several with ;.",
        "whatif_error": "The extra office was left out: {error}",
        "whatif_try": "Try an extra office in {place}",
        "whatif_clear": "Remove the extra offices",
        "bad_params": "Some values in the address were not valid and were ignored: {names}.",
        "no_match": "No office with a place matches these filters ({filters}). Please choose fewer or other "
        "filters.",
        "error": "The analysis is not possible: {error}",
        "m_beyond": "Residents beyond {km} km",
        "m_mean": "Mean distance",
        "m_offices": "Matching offices with a place",
        "m_e2sfca": "Accessibility (per 100,000)",
        "m_statewide": "plus {n} statewide/online",
        "map_caption": "Straight-line distances (ETRS89/UTM 33N), not travel times. Numbered circles: places "
        "where a new office would reach most residents (in this order).",
        "legend_distance": "Distance to the nearest matching office",
        "layer_offices": "Matching offices",
        "layer_gaps": "Places for new offices",
        "layer_whatif": "Extra office (what if)",
        "layer_districts": "Districts",
        "layer_distance": "Distance",
        "chart_beyond": "Residents beyond 10 / 20 / 30 km",
        "chart_ratio": "{ratio} by district (line: Saxony)",
        "chart_curve": "Share of residents within … km",
        "before": "before",
        "after": "after",
        "table": "District table",
        "gaps": "Where would a new office help most? (places beyond {km} km)",
        "gaps_note": "Picked one after another: each place reaches most residents who have no office within "
        "{km} km and are not reached by the places above.",
        "no_gaps": "Every place is within {km} km of a matching office.",
        "method": "Method and limits",
        "method1": "Accessibility (E2SFCA): each office is shared among the residents within 30 km, weighted "
        "1 / 0.68 / 0.22 for 0–10 / 10–20 / 20–30 km; a place adds up its shares (offices per 100,000 "
        "residents).",
        "method2": "Limits: straight-line distance, not travel time; population from GeoNames places scaled "
        "to each district's official total; every office counts 1 (no capacity data); people and offices "
        "beyond Saxony's border are left out.",
        "download_csv": "District table as CSV",
        "download_gpkg": "Prepare a GeoPackage for QGIS",
        "download_gpkg_ready": "Download the GeoPackage",
        "col_district": "District",
        "col_offices": "Offices",
        "col_per100k": "per 100,000 res.",
        "col_pop_year": "residents (year)",
        "col_per10k": "per 10,000 foreign res.",
        "col_foreign_year": "foreign res. (year)",
        "col_beyond": "> {km} km",
        "col_mean": "mean km",
        "col_e2sfca": "E2SFCA",
        "col_lang": "languages stated",
        "col_street": "street address",
        "col_oldest": "oldest source",
        "col_place": "Place",
        "col_pick": "Rank",
        "col_distance": "km to nearest",
        "col_nearest": "nearest office",
        "col_residents": "residents (model)",
        "col_added": "newly reached",
        "attribution": "Data",
    },
}

RATIOS = ("per100k", "per10k_foreign", "beyond", "e2sfca")
SHOW = ("districts", "distance")
KM_OPTIONS = (5, 10, 15, 20, 25, 30, 40, 50)
DEFAULT_KM = 20
MAX_WHATIF_TEXT = 300
_ISO = re.compile(r"^[a-z]{2}$")
# Sequential palette, light = good coverage, dark = poor (ColorBrewer YlOrRd, 5 classes).
PALETTE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
# Distance bands 0–10, 10–20, 20–30, > 30 km (ColorBrewer Purples).
BAND_COLOURS = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#6a51a3", "#3f007d")
#: Filters as a hashable tuple (topics, languages, kinds, age, include unstated languages), for caching.
Filters = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], int | None, bool]
KEYS = {
    "topics": "cov_topics",
    "languages": "cov_languages",
    "kinds": "cov_kinds",
    "age": "cov_age",
    "unstated": "cov_unstated",
    "km": "cov_km",
    "ratio": "cov_ratio",
    "show": "cov_show",
    "whatif": "cov_whatif",
}


def _lang() -> str:
    """German or English: the page is for planners (German) and the project's English readers."""
    return "de" if resources.current_lang() == "de" else "en"


def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


# --------------------------------------------------------------------------------------------------
# URL ⇄ widgets


def _split(text: str, sep: str = ",") -> list[str]:
    return [item.strip() for item in str(text).split(sep) if item.strip()]


def _params_to_state() -> list[str]:
    """Put the URL's filters into the widgets' session state (first run of the page); return bad names."""
    qp = st.query_params
    bad: list[str] = []
    topics = _split(qp.get("topic", ""))
    if any(t not in TOPICS for t in topics):
        bad.append("topic")
    langs = [code.lower() for code in _split(qp.get("language", ""))]
    if any(not _ISO.match(code) for code in langs):
        bad.append("language")
    kinds = [k.upper() for k in _split(qp.get("kind", ""))]
    if any(k not in KINDS for k in kinds):
        bad.append("kind")
    age = None
    if qp.get("age"):
        try:
            age = int(qp.get("age", ""))
            if not 0 <= age <= 120:
                raise ValueError
        except ValueError:
            age = None
            bad.append("age")
    km = DEFAULT_KM
    if qp.get("km"):
        try:
            km = int(float(qp.get("km", "")))
        except ValueError:
            km = -1
        if km not in KM_OPTIONS:
            km = DEFAULT_KM
            bad.append("km")
    ratio = qp.get("ratio", RATIOS[0])
    if ratio not in RATIOS:
        ratio = RATIOS[0]
        bad.append("ratio")
    show = qp.get("show", SHOW[0])
    if show not in SHOW:
        show = SHOW[0]
        bad.append("show")
    whatif = str(qp.get("whatif", ""))[:MAX_WHATIF_TEXT]
    ss = st.session_state
    ss[KEYS["topics"]] = [t for t in TOPICS if t in topics]
    ss[KEYS["languages"]] = [code for code in dict.fromkeys(langs) if _ISO.match(code)]
    ss[KEYS["kinds"]] = [k for k in KINDS if k in kinds]
    ss[KEYS["age"]] = age
    ss[KEYS["unstated"]] = qp.get("unstated", "") == "1"
    ss[KEYS["km"]] = km
    ss[KEYS["ratio"]] = ratio
    ss[KEYS["show"]] = show
    ss[KEYS["whatif"]] = whatif
    return bad


def _state_to_params(lang: str) -> dict[str, str]:
    ss = st.session_state
    params: dict[str, str] = {"lang": lang}
    if ss[KEYS["topics"]]:
        params["topic"] = ",".join(ss[KEYS["topics"]])
    if ss[KEYS["languages"]]:
        params["language"] = ",".join(ss[KEYS["languages"]])
    if ss[KEYS["kinds"]]:
        params["kind"] = ",".join(ss[KEYS["kinds"]])
    if ss[KEYS["age"]] is not None:
        params["age"] = str(int(ss[KEYS["age"]]))
    if ss[KEYS["unstated"]]:
        params["unstated"] = "1"
    if ss[KEYS["km"]] != DEFAULT_KM:
        params["km"] = str(ss[KEYS["km"]])
    if ss[KEYS["ratio"]] != RATIOS[0]:
        params["ratio"] = ss[KEYS["ratio"]]
    if ss[KEYS["show"]] != SHOW[0]:
        params["show"] = ss[KEYS["show"]]
    if ss[KEYS["whatif"]].strip():
        params["whatif"] = ss[KEYS["whatif"]].strip()[:MAX_WHATIF_TEXT]
    return params


# --------------------------------------------------------------------------------------------------
# Computation (cached; all of it in finder.coverage)


@st.cache_resource(show_spinner=False)
def get_coverage() -> Coverage:
    """The coverage facade over the app's shared Finder."""
    return Coverage(resources.get_finder())


@st.cache_data(show_spinner=False, max_entries=64)
def analyse(
    filters: Filters, what_if: tuple[tuple[str, float, float, str], ...], km: int
) -> tuple[CoverageReport, gpd.GeoDataFrame]:
    """The report and the distance bands for one set of filters."""
    report, surface = _report_and_surface(filters, what_if, km, gap_limit=15)
    return report, surface.bands((10, 20, 30))


def _report_and_surface(
    filters: Filters, what_if: tuple[tuple[str, float, float, str], ...], km: int, gap_limit: int
) -> tuple[CoverageReport, DistanceSurface]:
    """The analysis and the distance surface for the filters (the page and its GeoPackage share them)."""
    topics, languages, kinds, age, unstated = filters
    cov = get_coverage()
    extra = [WhatIf(label, lat, lon, district) for label, lat, lon, district in what_if]
    report = cov.report(
        topics, languages, kinds, age, include_unstated_languages=unstated, what_if=extra,
        gap_threshold=float(km), gap_limit=gap_limit,
    )  # fmt: skip
    surface = cov.surface(topics, languages, kinds, age, include_unstated_languages=unstated, what_if=extra)
    return report, surface


@st.cache_data(show_spinner=False, max_entries=16)
def geopackage_bytes(filters: Filters, what_if: tuple[tuple[str, float, float, str], ...], km: int) -> bytes:
    """The layers of the analysis as a GeoPackage file's bytes."""
    report, surface = _report_and_surface(filters, what_if, km, gap_limit=50)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "coverage.gpkg"
        write_layers(report, surface, path, "gpkg", get_coverage().districts_geo())
        return path.read_bytes()


@st.cache_data(show_spinner=False)
def district_shapes() -> dict[str, Any]:
    """District outlines simplified for the web map (shared edges kept), as name → GeoJSON geometry."""
    gdf = get_coverage().districts_geo()
    geoms = shapely.coverage_simplify(gdf.geometry.to_numpy(), 0.003)
    geoms = shapely.set_precision(geoms, 0.0001)
    return {name: shapely.geometry.mapping(g) for name, g in zip(gdf["name"], geoms, strict=True)}


# --------------------------------------------------------------------------------------------------
# Presentation helpers


def ratio_column(ratio: str, km: int) -> str:
    """The district-table column behind a map ratio."""
    return {
        "per100k": "offices_per_100k",
        "per10k_foreign": "offices_per_10k_foreign",
        "beyond": f"share_beyond_{km:g}km",
        "e2sfca": "e2sfca_per_100k",
    }[ratio]


def ratio_label(ratio: str, km: int, tx: dict[str, str]) -> str:
    """The ratio's name in the page language."""
    return tx[f"ratio_{ratio}"].replace("{km}", str(km))


def classes(values: pd.Series, higher_is_worse: bool) -> tuple[list[str], list[float]]:
    """A colour per value (5 equal-interval classes, dark = poor coverage) and the class edges."""
    finite = values[np.isfinite(values.astype(float))]
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    if hi <= lo:
        hi = lo + 1e-9
    edges = [lo + (hi - lo) * i / 5 for i in range(6)]
    colours = []
    for v in values.astype(float):
        if not math.isfinite(v):
            colours.append("#cccccc")
            continue
        k = min(int((v - lo) / (hi - lo) * 5), 4)
        colours.append(PALETTE[k] if higher_is_worse else PALETTE[4 - k])
    return colours, edges


def fmt_value(value: float, ratio: str, lang: str) -> str:
    """A ratio value for tooltips and legends."""
    if value is None or not math.isfinite(float(value)):
        return "–"
    if ratio == "beyond":
        return f"{i18n.format_number(float(value) * 100, lang, 1)} %"
    return i18n.format_number(float(value), lang, 2)


def _round_coords(geometry: dict[str, Any], digits: int = 4) -> dict[str, Any]:
    geom = shapely.geometry.shape(geometry)
    geom = shapely.set_precision(geom, 10**-digits)
    return shapely.geometry.mapping(geom)


def build_map(
    report: CoverageReport,
    bands: gpd.GeoDataFrame,
    *,
    ratio: str,
    km: int,
    show: str,
    lang: str,
    tx: dict[str, str],
    asset_urls: dict[str, str],
) -> folium.Map:
    """The coverage map: districts (choropleth) or distance bands, offices, gap places, what-if offices.

    Every script and stylesheet comes from our own server (``asset_urls``); all data text is escaped.
    """
    settings = get_coverage().finder.settings
    m = folium.Map(
        location=[50.93, 13.45], zoom_start=8, tiles=None, control_scale=True, min_zoom=6, max_zoom=14
    )
    # Instance attributes: folium's class-level CDN links stay untouched, this map links only our files.
    m.default_js = [("leaflet", asset_urls["leaflet_js"]), ("jquery", asset_urls["jquery_js"])]
    m.default_css = [("leaflet_css", asset_urls["leaflet_css"])]
    if settings.tile_url:
        folium.TileLayer(
            tiles=settings.tile_url, attr=_esc(settings.tile_attribution or "tiles"), control=False
        ).add_to(m)

    col = ratio_column(ratio, km)
    table = report.districts.set_index("district")
    colours, _ = classes(table[col], higher_is_worse=ratio == "beyond")
    colour_of = dict(zip(table.index, colours, strict=True))
    shapes = district_shapes()
    label = ratio_label(ratio, km, tx)
    features = []
    for name, geometry in shapes.items():
        value = table[col].get(name, float("nan"))
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "name": _esc(name),
                    "value": _esc(f"{label}: {fmt_value(value, ratio, lang)}"),
                    "colour": colour_of.get(name, "#cccccc"),
                },
            }
        )
    fill_districts = show == "districts"
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=tx["layer_districts"],
        style_function=lambda f: {
            "color": "#444444",
            "weight": 1,
            "fillColor": f["properties"]["colour"],
            "fillOpacity": 0.75 if fill_districts else 0.0,
        },
        highlight_function=lambda _f: {"weight": 3},
        tooltip=folium.GeoJsonTooltip(fields=["name", "value"], labels=False),
        control=False,
    ).add_to(m)

    if show == "distance":
        band_features = []
        for row in bands.to_dict("records"):
            band_features.append(
                {
                    "type": "Feature",
                    "geometry": _round_coords(shapely.geometry.mapping(row["geometry"])),
                    "properties": {
                        "label": _esc(row["label"]),
                        "colour": BAND_COLOURS[min(int(row["band"]), len(BAND_COLOURS) - 1)],
                    },
                }
            )
        folium.GeoJson(
            {"type": "FeatureCollection", "features": band_features},
            name=tx["layer_distance"],
            style_function=lambda f: {
                "stroke": False,
                "fillColor": f["properties"]["colour"],
                "fillOpacity": 0.8,
            },
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        ).add_to(m)

    offices = folium.FeatureGroup(name=tx["layer_offices"])
    for row in report.supply[~report.supply["hypothetical"].astype(bool)].to_dict("records"):
        folium.CircleMarker(
            location=[row["lat"], row["lon"]],
            radius=4,
            color="#ffffff",
            weight=1,
            fill=True,
            fill_color="#1f1f1f",
            fill_opacity=1,
            tooltip=_esc(f"{row['name']} ({row['kind']}, {row['city']})"),
        ).add_to(offices)
    offices.add_to(m)

    gaps = folium.FeatureGroup(name=tx["layer_gaps"])
    for row in report.gap_places[report.gap_places["pick"] > 0].to_dict("records"):
        distance = i18n.format_number(row["distance"], lang, 1)
        added = i18n.format_number(row["added_residents"], lang)
        tip = f"{row['pick']}. {row['name']} ({row['district']}): {distance} km → {row['nearest_office']}"
        tip += f"; +{added}"
        folium.Marker(
            location=[row["lat"], row["lon"]],
            icon=folium.DivIcon(
                html=(
                    '<div style="width:22px;height:22px;border-radius:50%;background:#fff;border:2px solid '
                    "#b30000;color:#b30000;font:bold 12px/18px sans-serif;text-align:center;"
                    f'box-sizing:border-box">{int(row["pick"])}</div>'
                ),
                icon_size=(22, 22),
                icon_anchor=(11, 11),
            ),
            tooltip=_esc(tip),
        ).add_to(gaps)
    gaps.add_to(m)

    if report.what_if:
        extra = folium.FeatureGroup(name=tx["layer_whatif"])
        for w in report.what_if:
            folium.Marker(
                location=[w.lat, w.lon],
                icon=folium.DivIcon(
                    html=(
                        '<div style="width:24px;height:24px;background:#d81b60;color:#fff;border:2px solid '
                        "#fff;border-radius:4px;font:bold 18px/20px sans-serif;text-align:center;"
                        'box-sizing:border-box;box-shadow:0 0 0 1px #000">+</div>'
                    ),
                    icon_size=(24, 24),
                    icon_anchor=(12, 12),
                ),
                tooltip=_esc(f"{tx['layer_whatif']}: {w.label}"),
            ).add_to(extra)
        extra.add_to(m)

    folium.LayerControl(collapsed=True).add_to(m)
    m.fit_bounds([[50.17, 11.87], [51.69, 15.04]])
    return m


def legend_html(
    report: CoverageReport, *, ratio: str, km: int, show: str, lang: str, tx: dict[str, str]
) -> str:
    """A small legend of the map's fill colours (escaped HTML)."""
    if show == "distance":
        labels = ["0–10 km", "10–20 km", "20–30 km", "> 30 km"]
        items = zip(BAND_COLOURS[:4], labels, strict=True)
        title = tx["legend_distance"]
    else:
        col = ratio_column(ratio, km)
        _, edges = classes(report.districts[col], higher_is_worse=ratio == "beyond")
        palette = PALETTE if ratio == "beyond" else PALETTE[::-1]
        labels = [
            f"{fmt_value(edges[i], ratio, lang)} – {fmt_value(edges[i + 1], ratio, lang)}" for i in range(5)
        ]
        items = zip(palette, labels, strict=True)
        title = ratio_label(ratio, km, tx)
    swatches = "".join(
        f'<span style="display:inline-flex;align-items:center;margin-right:.8rem">'
        f'<span style="width:14px;height:14px;background:{c};border:1px solid #555;margin-right:.3rem">'
        f"</span>{_esc(text)}</span>"
        for c, text in items
    )
    return f'<div style="font-size:.85rem"><strong>{_esc(title)}</strong><br>{swatches}</div>'


def beyond_chart(report: CoverageReport, tx: dict[str, str]) -> alt.Chart:
    """Nested bars: share of residents beyond 10, 20 and 30 km, per district."""
    table = report.districts
    rows = []
    for t in (10, 20, 30):
        col = f"share_beyond_{t}km"
        if col not in table:
            continue
        for district, share in zip(table["district"], table[col], strict=True):
            rows.append({"district": district, "km": f"> {t} km", "order": t, "share": float(share)})
    data = pd.DataFrame(rows)
    order = table.sort_values("share_beyond_10km", ascending=False)["district"].tolist()
    return (
        alt.Chart(data, title=tx["chart_beyond"])
        .mark_bar()
        .encode(
            y=alt.Y("district:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False, labelLimit=180)),
            x=alt.X(
                "share:Q", stack=None, axis=alt.Axis(format="%"), title=None, scale=alt.Scale(domain=[0, 1])
            ),
            color=alt.Color(
                "km:N",
                scale=alt.Scale(
                    domain=["> 10 km", "> 20 km", "> 30 km"], range=["#fdbb84", "#e34a33", "#7f0000"]
                ),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            order=alt.Order("order:Q"),
            tooltip=["district:N", "km:N", alt.Tooltip("share:Q", format=".1%")],
        )
        .properties(height=380)
    )


def ratio_chart(report: CoverageReport, ratio: str, km: int, tx: dict[str, str]) -> alt.LayerChart:
    """Bars of the chosen ratio per district, with the value for Saxony as a rule."""
    col = ratio_column(ratio, km)
    table = report.districts[["district", col]].rename(columns={col: "value"})
    if ratio == "beyond":
        state = report.summary["share_beyond"].get(f"{km:g}km")
    elif ratio == "e2sfca":
        state = report.summary["e2sfca_per_100k"]
    elif ratio == "per100k":
        state = report.districts["offices"].sum() / report.districts["population"].sum() * 100_000
    else:
        state = report.districts["offices"].sum() / report.districts["foreign_population"].sum() * 10_000
    label = ratio_label(ratio, km, tx)
    fmt = "%" if ratio == "beyond" else ".2f"
    bars = (
        alt.Chart(table, title=tx["chart_ratio"].replace("{ratio}", label))
        .mark_bar(color="#3f6f9f")
        .encode(
            y=alt.Y("district:N", sort="-x", title=None, axis=alt.Axis(labelOverlap=False, labelLimit=180)),
            x=alt.X("value:Q", title=None, axis=alt.Axis(format=fmt)),
            tooltip=["district:N", alt.Tooltip("value:Q", format=".3f")],
        )
    )
    rule = (
        alt.Chart(pd.DataFrame({"value": [state or 0.0]}))
        .mark_rule(color="#000", strokeDash=[4, 3])
        .encode(x="value:Q")
    )
    return (bars + rule).properties(height=380)


def curve_chart(report: CoverageReport, tx: dict[str, str]) -> alt.Chart:
    """Share of residents within x km of a matching office (before/after with what-if offices)."""
    frames = [(tx["after"] if report.baseline is not None else "", report)]
    if report.baseline is not None:
        frames.insert(0, (tx["before"], report.baseline))
    xs = np.arange(0, 61, 1.0)
    rows = []
    for name, rep in frames:
        d = rep.points["distance"].to_numpy()
        w = rep.points["residents"].to_numpy()
        total = w.sum()
        for x in xs:
            rows.append({"km": x, "share": float(w[d <= x].sum() / total), "series": name})
    data = pd.DataFrame(rows)
    chart = (
        alt.Chart(data, title=tx["chart_curve"])
        .mark_line()
        .encode(
            x=alt.X("km:Q", title="km"),
            y=alt.Y("share:Q", axis=alt.Axis(format="%"), title=None, scale=alt.Scale(domain=[0, 1])),
            tooltip=["km:Q", alt.Tooltip("share:Q", format=".1%")],
        )
    )
    if report.baseline is not None:
        names = [tx["before"], tx["after"]]
        chart = chart.encode(
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=names, range=["#888888", "#1f5fa8"]),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            strokeDash=alt.StrokeDash(
                "series:N", scale=alt.Scale(domain=names, range=[[5, 4], [1, 0]]), legend=None
            ),
        )
    return chart.properties(height=260)


def district_display(report: CoverageReport, tx: dict[str, str]) -> pd.DataFrame:
    """The district table with the page's column names (shares in per cent)."""
    t = report.districts
    out = pd.DataFrame(
        {
            tx["col_district"]: t["district"],
            tx["col_offices"]: t["offices"],
            tx["col_per100k"]: t["offices_per_100k"].round(2),
            tx["col_pop_year"]: t["population_year"],
            tx["col_per10k"]: t["offices_per_10k_foreign"].round(2),
            tx["col_foreign_year"]: t["foreign_population_year"],
        }
    )
    for threshold in report.thresholds:
        col = f"share_beyond_{threshold:g}km"
        out[tx["col_beyond"].replace("{km}", f"{threshold:g}")] = (t[col] * 100).round(1)
    out[tx["col_mean"]] = t["mean_distance_km"].round(1)
    out[tx["col_e2sfca"]] = t["e2sfca_per_100k"].round(2)
    out[tx["col_lang"]] = (t["share_languages_stated"] * 100).round(0)
    out[tx["col_street"]] = (t["share_street_address"] * 100).round(0)
    out[tx["col_oldest"]] = t["oldest_source_date"]
    return out


def _try_what_if(place: str) -> None:
    current = st.session_state.get(KEYS["whatif"], "").strip()
    st.session_state[KEYS["whatif"]] = f"{current}; {place}" if current else place


def _clear_what_if() -> None:
    st.session_state[KEYS["whatif"]] = ""


# --------------------------------------------------------------------------------------------------
# The page


def main() -> None:
    """Draw the page."""
    lang = _lang()
    tx = TEXT[lang]
    ss = st.session_state
    if "cov_saved" not in ss:
        # First run of the page in this session: the filters come from the URL (a shared link).
        ss["cov_bad_params"] = _params_to_state()
        ss["cov_saved"] = {key: ss[key] for key in KEYS.values()}
    else:
        # Streamlit forgets the state of widgets that were not drawn (another page, an early return).
        for key, value in ss["cov_saved"].items():
            if key not in ss:
                ss[key] = value

    resources.page_style(lang)
    st.title(tx["title"])
    st.caption(tx["intro"])
    if st.session_state.get("cov_bad_params"):
        st.info(tx["bad_params"].replace("{names}", ", ".join(st.session_state["cov_bad_params"])))

    finder = get_coverage().finder
    stated = sorted({code for s in finder.offices["languages"] for code in s.split(";") if code})
    language_options = list(dict.fromkeys([*stated, *st.session_state.get(KEYS["languages"], [])]))

    with st.sidebar:
        st.subheader(tx["filters"])
        st.multiselect(
            tx["topics"], TOPICS, key=KEYS["topics"], format_func=lambda c: i18n.topic_label(c, lang),
            placeholder=tx["any"],
        )  # fmt: skip
        st.multiselect(
            tx["languages"], language_options, key=KEYS["languages"],
            format_func=lambda c: f"{i18n.language_name(c, lang)} ({c})", placeholder=tx["any"],
        )  # fmt: skip
        st.checkbox(tx["unstated"], key=KEYS["unstated"], help=tx["unstated_help"])
        st.multiselect(
            tx["kinds"], KINDS, key=KEYS["kinds"], format_func=lambda c: i18n.kind_label(c, lang),
            placeholder=tx["any"],
        )  # fmt: skip
        st.number_input(tx["age"], min_value=0, max_value=120, step=1, key=KEYS["age"])
        st.select_slider(tx["km"], options=KM_OPTIONS, key=KEYS["km"])
        st.text_input(tx["whatif"], key=KEYS["whatif"], help=tx["whatif_help"], max_chars=MAX_WHATIF_TEXT)
        if st.session_state[KEYS["whatif"]].strip():
            st.button(tx["whatif_clear"], on_click=_clear_what_if)

    ss["cov_saved"] = {key: ss[key] for key in KEYS.values() if key in ss}
    resources.write_url(_state_to_params(lang))

    km = int(ss[KEYS["km"]])
    try:
        flt = CoverageFilter.parse(
            ss[KEYS["topics"]],
            ss[KEYS["languages"]],
            ss[KEYS["kinds"]],
            ss[KEYS["age"]],
            ss[KEYS["unstated"]],
        )
    except CoverageError as exc:
        st.error(tx["error"].replace("{error}", str(exc)))
        return

    what_if: list[WhatIf] = []
    for item in _split(ss[KEYS["whatif"]], ";"):
        try:
            what_if.extend(get_coverage().what_if([item]))
        except CoverageError as exc:
            st.warning(tx["whatif_error"].replace("{error}", str(exc)))

    filters: Filters = (flt.topics, flt.languages, flt.kinds, flt.age, flt.include_unstated_languages)
    what_if_key = tuple((w.label, w.lat, w.lon, w.district or "") for w in what_if)
    if get_coverage().supply(flt, what_if).empty:
        st.warning(tx["no_match"].replace("{filters}", flt.describe()))
        return
    try:
        with st.spinner("…"):
            report, bands = analyse(filters, what_if_key, km)
    except CoverageError as exc:
        st.warning(tx["error"].replace("{error}", str(exc)))
        return

    # Headline figures.
    s = report.summary
    b = report.baseline.summary if report.baseline is not None else None
    cols = st.columns(4)
    share = s["share_beyond"].get(f"{km:g}km") or 0.0
    delta = None
    if b is not None:
        delta = f"{((share - (b['share_beyond'].get(f'{km:g}km') or 0.0)) * 100):+.1f} pp"
    cols[0].metric(
        tx["m_beyond"].replace("{km}", str(km)), f"{i18n.format_number(share * 100, lang, 1)} %", delta,
        delta_color="inverse",
    )  # fmt: skip
    cols[1].metric(
        tx["m_mean"],
        f"{i18n.format_number(s['mean_distance_km'], lang, 1)} km",
        f"{s['mean_distance_km'] - b['mean_distance_km']:+.1f} km" if b is not None else None,
        delta_color="inverse",
    )
    cols[2].metric(
        tx["m_offices"], str(s["offices_with_place"] + s["what_if_offices"]),
        tx["m_statewide"].replace("{n}", str(s["statewide_services"])) if s["statewide_services"] else None,
        delta_color="off",
    )  # fmt: skip
    cols[3].metric(
        tx["m_e2sfca"],
        i18n.format_number(s["e2sfca_per_100k"], lang, 2),
        f"{s['e2sfca_per_100k'] - b['e2sfca_per_100k']:+.2f}" if b is not None else None,
    )

    # Map.
    c1, c2 = st.columns(2)
    c1.selectbox(
        tx["ratio"], RATIOS, key=KEYS["ratio"], format_func=lambda r: ratio_label(r, km, tx),
    )  # fmt: skip
    c2.radio(
        tx["show"], SHOW, key=KEYS["show"], horizontal=True, format_func=lambda v: tx[f"show_{v}"],
    )  # fmt: skip
    ratio, show = ss[KEYS["ratio"]], ss[KEYS["show"]]
    ss["cov_saved"] = {key: ss[key] for key in KEYS.values() if key in ss}
    resources.write_url(_state_to_params(lang))
    try:
        urls = resources.get_asset_urls()
    except AssetError as exc:  # without the map's files the page still has figures and table
        st.warning(str(exc))
        urls = None
    if urls is not None:
        fmap = build_map(report, bands, ratio=ratio, km=km, show=show, lang=lang, tx=tx, asset_urls=urls)
        st_folium(fmap, height=540, use_container_width=True, returned_objects=[], key="cov_map")
    st.html(legend_html(report, ratio=ratio, km=km, show=show, lang=lang, tx=tx))
    st.caption(tx["map_caption"])

    # Charts a person would rather look at than read.
    left, right = st.columns(2)
    left.altair_chart(beyond_chart(report, tx), width="stretch")
    right.altair_chart(ratio_chart(report, ratio, km, tx), width="stretch")
    st.altair_chart(curve_chart(report, tx), width="stretch")

    # Where would one more office help most?
    st.header(tx["gaps"].replace("{km}", str(km)))
    picks = report.gap_places[report.gap_places["pick"] > 0]
    if picks.empty:
        st.success(tx["no_gaps"].replace("{km}", str(km)))
    else:
        st.caption(tx["gaps_note"].replace("{km}", str(km)))
        st.dataframe(
            pd.DataFrame(
                {
                    tx["col_pick"]: picks["pick"],
                    tx["col_place"]: picks["name"],
                    tx["col_district"]: picks["district"],
                    tx["col_distance"]: picks["distance"].round(1),
                    tx["col_nearest"]: picks["nearest_office"],
                    tx["col_added"]: picks["added_residents"].round(0).astype(int),
                }
            ),
            hide_index=True,
        )
        top = picks.iloc[0]
        st.button(
            tx["whatif_try"].replace("{place}", str(top["name"])),
            on_click=_try_what_if,
            args=(f"{top['lat']:.5f},{top['lon']:.5f}",),
        )

    # The table.
    st.header(tx["table"])
    table = district_display(report, tx)
    st.dataframe(table, hide_index=True, key="cov_table")
    d1, d2 = st.columns(2)
    d1.download_button(
        tx["download_csv"],
        report.districts.to_csv(index=False).encode("utf-8"),
        file_name="coverage_districts.csv",
        mime="text/csv",
    )
    if d2.button(tx["download_gpkg"]):
        data = geopackage_bytes(filters, what_if_key, km)
        d2.download_button(
            tx["download_gpkg_ready"], data, file_name="coverage.gpkg", mime="application/geopackage+sqlite3"
        )

    with st.expander(tx["method"], expanded=True):
        st.markdown(f"{tx['method1']}  \n{tx['method2']}")
        for note in report.notes:
            st.caption(note)
    st.caption(f"{tx['attribution']}: {ATTRIBUTION}")


main()
