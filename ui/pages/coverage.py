"""Coverage for planners: where help is out of reach, per district and per head.

Everything is computed by :mod:`finder.coverage` (the same code as ``finder coverage`` and the notebook);
this page only draws it. The filters live in the URL (``topic``, ``language``, ``kind``, ``age`` as on the
find page, plus ``unstated``, ``km``, ``ratio``, ``show``, ``whatif``), so a planner can send a link.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
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
from finder.urlstate import (
    KM_OPTIONS,
    MAP_SHOWS,
    MAX_WHATIF_LENGTH,
    RATIOS,
    CoverageState,
    coverage_to_params,
    parse_coverage_params,
)
from finder.vocab import KINDS, TOPICS
from ui import resources
from ui.coverage_charts import (
    BAND_COLOURS,
    beyond_chart,
    classes,
    curve_chart,
    district_display,
    fmt_value,
    legend_html,
    ratio_chart,
    ratio_column,
    ratio_label,
)
from ui.resources import esc
from ui.safe_text import md

#: Session-state key of each field of the page's :class:`~finder.urlstate.CoverageState` (its widgets).
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
#: Filters as a hashable tuple (topics, languages, kinds, age, include unstated languages), for caching.
Filters = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], int | None, bool]


def t(key: str, **kwargs: object) -> str:
    """Translate into the session's interface language."""
    return i18n.t(key, resources.current_lang(), **kwargs)


# --------------------------------------------------------------------------------------------------
# URL ⇄ widgets


def _places(text: str) -> list[str]:
    """The places of the "what if" text (separated by ``;``)."""
    return [item.strip() for item in str(text).split(";") if item.strip()]


def _seed_widgets(state: CoverageState) -> None:
    """Give the widgets the values of ``state`` (first run of the page: the filters of a shared link)."""
    ss = st.session_state
    for field, key in KEYS.items():
        value = getattr(state, field)
        ss[key] = list(value) if isinstance(value, tuple) else value


def _widget_state() -> CoverageState:
    """What the widgets show now."""
    ss = st.session_state
    age = ss[KEYS["age"]]
    return CoverageState(
        topics=tuple(ss[KEYS["topics"]]),
        languages=tuple(ss[KEYS["languages"]]),
        kinds=tuple(ss[KEYS["kinds"]]),
        age=None if age is None else int(age),
        unstated=bool(ss[KEYS["unstated"]]),
        km=int(ss[KEYS["km"]]),
        ratio=ss[KEYS["ratio"]],
        show=ss[KEYS["show"]],
        whatif=ss[KEYS["whatif"]],
    )


def _write_url(lang: str) -> None:
    """Mirror the widgets into the URL, so the view can be shared."""
    ss = st.session_state
    ss["cov_saved"] = {key: ss[key] for key in KEYS.values() if key in ss}
    resources.write_url({"lang": lang, **coverage_to_params(_widget_state())})


# --------------------------------------------------------------------------------------------------
# Computation (cached; all of it in finder.coverage)


@st.cache_resource(show_spinner=False)
def get_coverage() -> Coverage:
    """The coverage facade over the app's shared Finder (kept out of the per-run garbage scans)."""
    return resources.settle(Coverage(resources.get_finder()))


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
            tiles=settings.tile_url, attr=esc(settings.tile_attribution or "tiles"), control=False
        ).add_to(m)

    col = ratio_column(ratio, km)
    table = report.districts.set_index("district")
    colours, _ = classes(table[col], higher_is_worse=ratio == "beyond")
    colour_of = dict(zip(table.index, colours, strict=True))
    shapes = district_shapes()
    label = ratio_label(ratio, km, lang)
    features = []
    for name, geometry in shapes.items():
        value = table[col].get(name, float("nan"))
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "name": esc(name),
                    "value": esc(f"{label}: {fmt_value(value, ratio, lang)}"),
                    "colour": colour_of.get(name, "#cccccc"),
                },
            }
        )
    fill_districts = show == "districts"
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=t("coverage.layer_districts"),
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
                        "label": esc(row["label"]),
                        "colour": BAND_COLOURS[min(int(row["band"]), len(BAND_COLOURS) - 1)],
                    },
                }
            )
        folium.GeoJson(
            {"type": "FeatureCollection", "features": band_features},
            name=t("coverage.layer_distance"),
            style_function=lambda f: {
                "stroke": False,
                "fillColor": f["properties"]["colour"],
                "fillOpacity": 0.8,
            },
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        ).add_to(m)

    offices = folium.FeatureGroup(name=t("coverage.layer_offices"))
    for row in report.supply[~report.supply["hypothetical"].astype(bool)].to_dict("records"):
        folium.CircleMarker(
            location=[row["lat"], row["lon"]],
            radius=4,
            color="#ffffff",
            weight=1,
            fill=True,
            fill_color="#1f1f1f",
            fill_opacity=1,
            tooltip=esc(f"{row['name']} ({row['kind']}, {row['city']})"),
        ).add_to(offices)
    offices.add_to(m)

    gaps = folium.FeatureGroup(name=t("coverage.layer_gaps"))
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
            tooltip=esc(tip),
        ).add_to(gaps)
    gaps.add_to(m)

    if report.what_if:
        extra = folium.FeatureGroup(name=t("coverage.layer_whatif"))
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
                tooltip=esc(f"{t('coverage.layer_whatif')}: {w.label}"),
            ).add_to(extra)
        extra.add_to(m)

    folium.LayerControl(collapsed=True).add_to(m)
    m.fit_bounds([[50.17, 11.87], [51.69, 15.04]])
    return m


def _try_what_if(place: str) -> None:
    current = st.session_state.get(KEYS["whatif"], "").strip()
    st.session_state[KEYS["whatif"]] = f"{current}; {place}" if current else place


def _clear_what_if() -> None:
    st.session_state[KEYS["whatif"]] = ""


# --------------------------------------------------------------------------------------------------
# The page


def main() -> None:
    """Draw the page."""
    lang = resources.current_lang()
    ss = st.session_state
    if "cov_saved" not in ss:
        # First run of the page in this session: the filters come from the URL (a shared link); invalid
        # values are dropped and named once.
        state, ss["cov_bad_params"] = parse_coverage_params(st.query_params.to_dict())
        _seed_widgets(state)
        ss["cov_saved"] = {key: ss[key] for key in KEYS.values()}
    else:
        # Streamlit forgets the state of widgets that were not drawn (another page, an early return).
        for key, value in ss["cov_saved"].items():
            if key not in ss:
                ss[key] = value

    resources.page_style(lang)
    st.title(t("coverage.title"))
    st.caption(t("coverage.intro"))
    if st.session_state.get("cov_bad_params"):
        st.info(t("coverage.bad_params", names=", ".join(st.session_state["cov_bad_params"])))

    finder = get_coverage().finder
    stated = sorted({code for s in finder.offices["languages"] for code in s.split(";") if code})
    language_options = list(dict.fromkeys([*stated, *st.session_state.get(KEYS["languages"], [])]))

    with st.sidebar:
        st.subheader(t("coverage.filters"))
        st.multiselect(
            t("coverage.topics"), TOPICS, key=KEYS["topics"], format_func=lambda c: i18n.topic_label(c, lang),
            placeholder=t("coverage.any"),
        )  # fmt: skip
        st.multiselect(
            t("coverage.languages"), language_options, key=KEYS["languages"],
            format_func=lambda c: f"{i18n.language_name(c, lang)} ({c})", placeholder=t("coverage.any"),
        )  # fmt: skip
        st.checkbox(t("coverage.unstated"), key=KEYS["unstated"], help=t("coverage.unstated_help"))
        st.multiselect(
            t("coverage.kinds"), KINDS, key=KEYS["kinds"], format_func=lambda c: i18n.kind_label(c, lang),
            placeholder=t("coverage.any"),
        )  # fmt: skip
        st.number_input(t("coverage.age"), min_value=0, max_value=120, step=1, key=KEYS["age"])
        st.select_slider(t("coverage.km"), options=KM_OPTIONS, key=KEYS["km"])
        st.text_input(
            t("coverage.whatif"),
            key=KEYS["whatif"],
            help=t("coverage.whatif_help"),
            max_chars=MAX_WHATIF_LENGTH,
        )
        if st.session_state[KEYS["whatif"]].strip():
            st.button(t("coverage.whatif_clear"), on_click=_clear_what_if)

    _write_url(lang)

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
        st.error(t("coverage.error", error=md(exc)))
        return

    what_if: list[WhatIf] = []
    for item in _places(ss[KEYS["whatif"]]):
        try:
            what_if.extend(get_coverage().what_if([item]))
        except CoverageError as exc:
            # The message quotes the typed place: plain text, never Markdown.
            st.warning(t("coverage.whatif_error", error=md(exc)))

    filters: Filters = (flt.topics, flt.languages, flt.kinds, flt.age, flt.include_unstated_languages)
    what_if_key = tuple((w.label, w.lat, w.lon, w.district or "") for w in what_if)
    if get_coverage().supply(flt, what_if).empty:
        st.warning(t("coverage.no_match", filters=md(flt.describe())))
        return
    try:
        with st.spinner("…"):
            report, bands = analyse(filters, what_if_key, km)
    except CoverageError as exc:
        st.warning(t("coverage.error", error=md(exc)))
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
        t("coverage.m_beyond", km=str(km)), f"{i18n.format_number(share * 100, lang, 1)} %", delta,
        delta_color="inverse",
    )  # fmt: skip
    cols[1].metric(
        t("coverage.m_mean"),
        f"{i18n.format_number(s['mean_distance_km'], lang, 1)} km",
        f"{s['mean_distance_km'] - b['mean_distance_km']:+.1f} km" if b is not None else None,
        delta_color="inverse",
    )
    cols[2].metric(
        t("coverage.m_offices"), str(s["offices_with_place"] + s["what_if_offices"]),
        t("coverage.m_statewide", n=str(s["statewide_services"])) if s["statewide_services"] else None,
        delta_color="off",
    )  # fmt: skip
    cols[3].metric(
        t("coverage.m_e2sfca"),
        i18n.format_number(s["e2sfca_per_100k"], lang, 2),
        f"{s['e2sfca_per_100k'] - b['e2sfca_per_100k']:+.2f}" if b is not None else None,
    )

    # Map.
    c1, c2 = st.columns(2)
    c1.selectbox(
        t("coverage.ratio"), RATIOS, key=KEYS["ratio"], format_func=lambda r: ratio_label(r, km, lang)
    )
    c2.radio(
        t("coverage.show"), MAP_SHOWS, key=KEYS["show"], horizontal=True,
        format_func=lambda v: i18n.t(f"coverage.show_{v}", lang),
    )  # fmt: skip
    ratio, show = ss[KEYS["ratio"]], ss[KEYS["show"]]
    _write_url(lang)
    try:
        urls = resources.get_asset_urls()
    except AssetError as exc:  # without the map's files the page still has figures and table
        st.warning(md(exc))
        urls = None
    if urls is not None:
        fmap = build_map(report, bands, ratio=ratio, km=km, show=show, lang=lang, asset_urls=urls)
        st_folium(fmap, height=540, use_container_width=True, returned_objects=[], key="cov_map")
    st.html(legend_html(report, ratio=ratio, km=km, show=show, lang=lang))
    st.caption(t("coverage.map_caption"))

    # Charts a person would rather look at than read.
    left, right = st.columns(2)
    left.altair_chart(beyond_chart(report, lang), width="stretch")
    right.altair_chart(ratio_chart(report, ratio, km, lang), width="stretch")
    st.altair_chart(curve_chart(report, lang), width="stretch")

    # Where would one more office help most?
    st.header(t("coverage.gaps", km=str(km)))
    picks = report.gap_places[report.gap_places["pick"] > 0]
    if picks.empty:
        st.success(t("coverage.no_gaps", km=str(km)))
    else:
        st.caption(t("coverage.gaps_note", km=str(km)))
        st.dataframe(
            pd.DataFrame(
                {
                    t("coverage.col_pick"): picks["pick"],
                    t("coverage.col_place"): picks["name"],
                    t("coverage.col_district"): picks["district"],
                    t("coverage.col_distance"): picks["distance"].round(1),
                    t("coverage.col_nearest"): picks["nearest_office"],
                    t("coverage.col_added"): picks["added_residents"].round(0).astype(int),
                }
            ),
            hide_index=True,
        )
        top = picks.iloc[0]
        st.button(
            t("coverage.whatif_try", place=md(top["name"])),
            on_click=_try_what_if,
            args=(f"{top['lat']:.5f},{top['lon']:.5f}",),
        )

    # The table.
    st.header(t("coverage.table"))
    table = district_display(report, lang)
    st.dataframe(table, hide_index=True, key="cov_table")
    d1, d2 = st.columns(2)
    d1.download_button(
        t("coverage.download_csv"),
        report.districts.to_csv(index=False).encode("utf-8"),
        file_name="coverage_districts.csv",
        mime="text/csv",
    )
    if d2.button(t("coverage.download_gpkg")):
        data = geopackage_bytes(filters, what_if_key, km)
        d2.download_button(
            t("coverage.download_gpkg_ready"), data, file_name="coverage.gpkg",
            mime="application/geopackage+sqlite3",
        )  # fmt: skip

    with st.expander(t("coverage.method"), expanded=True):
        st.markdown(f"{t('coverage.method1')}  \n{t('coverage.method2')}")
        for note in report.notes:
            st.caption(md(note))
    st.caption(f"{t('coverage.attribution')}: {ATTRIBUTION}")


main()
