"""The office map: offline assets, escaping, colours, grouping of co-located offices, click → office."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import folium
import folium.elements
import folium.plugins
import geopandas as gpd
import pandas as pd
import pytest
from helpers import REPO
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import box

from finder import assets
from finder._map_html import KIND_COLOURS
from finder.map import (
    DEFAULT_LABELS,
    SAXONY_BOUNDS,
    _esc,
    build_map,
    load_districts,
    map_payload_bytes,
    office_id_at,
    offices_at,
)
from finder.vocab import KINDS

URL_RE = re.compile(r"(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s\"'<>`)]*")
EVIL = "<script>alert(1)</script> `tick` ${1+1} back\\slash & 'q' \"dq\""


def office(id_: str, lat: float | None, lon: float | None, kind: str = "MBE", **extra) -> dict:
    row = {
        "id": id_,
        "name": f"Office {id_}",
        "kind": kind,
        "street": "Hauptstraße 1",
        "postcode": "01067",
        "city": "Dresden",
        "phone": "0351 123456",
        "geocode_precision": "street",
        "lat": lat,
        "lon": lon,
    }
    row.update(extra)
    return row


@pytest.fixture
def offices() -> pd.DataFrame:
    return pd.DataFrame(
        [
            office("a", 51.05, 13.74, name=EVIL),
            office("b", 51.34, 12.37, kind="JMD", geocode_precision="postcode"),
            office("c", 50.83, 12.92, kind="ABH", phone=""),
            # three offices on one postcode point
            office("d1", 51.16, 14.43, kind="FSA", geocode_precision="postcode"),
            office("d2", 51.16, 14.43, kind="RUECK", geocode_precision="postcode"),
            office("d3", 51.160001, 14.430001, kind="FSA", geocode_precision="postcode"),
            office("online", None, None, kind="OTHER", geocode_precision=""),
        ]
    )


@pytest.fixture
def districts() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"ags": ["14612", "14713"], "name": ["Dresden <b>x</b>", "Leipzig"]},
        geometry=[box(13.5, 50.9, 14.0, 51.2), box(12.2, 51.2, 12.6, 51.5)],
        crs="EPSG:4326",
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    static = tmp_path_factory.mktemp("app") / "static"
    return static, assets.install_static_assets(static)


def render(m: folium.Map) -> str:
    return m.get_root().render()


def marker_icons(page: str) -> dict[str, str]:
    """The HTML of every DivIcon, by its aria-label (the office name or "N offices")."""
    found = {}
    for encoded in re.findall(r'L\.divIcon\(\{\s*"html": ("(?:[^"\\]|\\.)*")', page):
        icon = json.loads(encoded)
        label = re.search(r'aria-label="([^"]*)"', icon)
        found[label.group(1) if label else "origin"] = icon
    return found


def legend_html(page: str) -> str:
    match = re.search(r"div\.innerHTML = (\".*?\");\n", page)
    assert match, "no legend"
    return json.loads(match.group(1))


# ---------------------------------------------------------------------------------------------- offline


def test_rendered_map_links_nothing_outside_our_static_folder(offices, districts, installed):
    static, urls = installed
    m = build_map(
        offices,
        districts=districts,
        origin=(51.05, 13.74),
        selected_id="b",
        labels={"legend": EVIL},
        asset_urls=urls,
    )
    page = render(m)
    assert URL_RE.findall(page) == []
    links = re.findall(r'<script[^>]*\bsrc="([^"]*)"', page) + re.findall(r'<link[^>]*\bhref="([^"]*)"', page)
    assert links, "the map must link Leaflet"
    assert set(links) <= set(urls.values())
    for url in links:  # every linked file is there to be served
        assert (static / url.removeprefix("/app/static/")).is_file(), url


def test_every_folium_element_uses_local_js_and_css(offices, districts):
    m = build_map(offices, districts=districts, origin=(51.05, 13.74))
    render(m)

    def walk(element):
        yield element
        for child in element._children.values():
            yield from walk(child)

    mixins = [e for e in walk(m) if isinstance(e, folium.elements.JSCSSMixin)]
    assert {type(e) for e in mixins} == {folium.Map, folium.plugins.MarkerCluster}
    for element in mixins:
        for _name, url in element.default_js + element.default_css:
            assert url.startswith("/app/static/vendor/"), url
    # folium's own (class-level) lists are left alone
    assert any("cdn" in url for _, url in folium.Map.default_js)


def test_a_configured_tile_server_is_the_only_external_host(offices):
    m = build_map(
        offices,
        districts=None,
        tile_url="https://tiles.example.org/{z}/{x}/{y}.png",
        tile_attribution='<a href="https://evil.example.com">© Tiles</a>',
    )
    page = render(m)
    hosts = {re.sub(r"^(?:https?:)?//", "", u).split("/")[0] for u in URL_RE.findall(page)}
    assert hosts == {"tiles.example.org"}
    assert '"attribution": "\\u00a9 Tiles"' in page  # the pasted link became plain text


def test_tiles_need_an_attribution(offices):
    with pytest.raises(ValueError, match="attribution"):
        build_map(offices, districts=None, tile_url="https://tiles.example.org/{z}/{x}/{y}.png")


def test_no_tiles_and_plain_text_attribution_by_default(offices):
    page = render(build_map(offices, districts=None))
    assert "L.tileLayer" not in page
    assert "GeoBasis-DE / BKG 2016, GeoNames" in page


def test_missing_asset_urls_are_reported(offices):
    with pytest.raises(ValueError, match="markercluster_js"):
        build_map(offices, districts=None, asset_urls={"leaflet_js": "/x.js"})


# ---------------------------------------------------------------------------------------------- escaping


def test_data_text_is_escaped_everywhere(offices, districts):
    page = render(build_map(offices, districts=districts, labels={"MBE": "<i>MBE</i>"}))
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # popup and tooltip show the text
    # nothing that could end folium's JS template literals or run code inside them
    assert "${1+1}" not in page
    assert "`tick`" not in page
    assert "&#36;{1+1}" in page
    assert "&#96;tick&#96;" in page
    assert "back&#92;slash" in page
    assert "<i>MBE</i>" not in page
    assert "<b>x</b>" not in page  # district names go into the tooltip HTML escaped too


@given(st.text())
def test_escaped_text_is_inert_and_round_trips(text):
    escaped = _esc(text)
    assert not set(escaped) & set("<>\"'`$\\")
    assert html.unescape(escaped) == text.strip()


def test_phone_becomes_an_international_tel_link(offices):
    page = render(build_map(offices, districts=None))
    assert 'href="tel:+49351123456"' in page


@pytest.mark.parametrize("separator", ["; ", ", "])
def test_each_listed_phone_gets_its_own_link(separator):
    # The directory allows ";" and "," between numbers; two numbers must never merge into one tel: link.
    row = office("p", 51.05, 13.74, phone=f"0351 111{separator}0341 222")
    page = render(build_map(pd.DataFrame([row]), districts=None))
    assert 'href="tel:+49351111"' in page and 'href="tel:+49341222"' in page


# ---------------------------------------------------------------------------------------------- colours


def test_every_kind_has_its_own_colour():
    assert tuple(KIND_COLOURS) == KINDS
    assert len(set(KIND_COLOURS.values())) == len(KINDS)
    assert all(re.fullmatch(r"#[0-9A-F]{6}", c) for c in KIND_COLOURS.values())


def test_markers_and_legend_use_the_kind_colours(districts):
    frame = pd.DataFrame([office(k, 50.5 + i * 0.1, 12.5 + i * 0.2, kind=k) for i, k in enumerate(KINDS)])
    labels = {k: f"label-{k}" for k in KINDS} | {"legend": "Legende"}
    page = render(build_map(frame, districts=districts, labels=labels))
    legend = legend_html(page)
    icons = marker_icons(page)
    for kind, colour in KIND_COLOURS.items():
        assert f"background:{colour}" in icons[f"Office {kind}"], kind
        assert re.search(rf"background:{colour}\"></span><bdi>label-{kind}</bdi>", legend), kind
    assert "<summary" in legend and "Legende</summary>" in legend


def test_approximate_positions_are_hollow_and_say_so(offices):
    page = render(build_map(offices, districts=None))
    icons = marker_icons(page)
    assert "fm-approx" in icons["Office b"]
    assert "fm-approx" in icons["3 offices"]
    assert "fm-approx" not in icons["Office c"]
    assert page.count(DEFAULT_LABELS["approximate"]) == 4  # b, d1, d2, d3


# ---------------------------------------------------------------------------------------------- grouping and clicks


def test_co_located_offices_share_one_marker(offices):
    page = render(build_map(offices, districts=None))
    assert page.count("L.marker(") == 4  # a, b, c and the group d1–d3; the online service has no place
    group = re.search(r'"officeIds": \[\s*"d1",\s*"d2",\s*"d3",\s*\]', page)
    assert group
    assert '"officeCount": 3' in page
    assert "3 offices" in page
    assert 'data-office-ids="d1 d2 d3"' in page
    for name in ("Office d1", "Office d2", "Office d3"):
        assert name in page


def test_office_id_at_finds_the_clicked_office(offices):
    assert office_id_at(offices, 51.34, 12.37) == "b"
    assert office_id_at(offices, 51.340005, 12.370005) == "b"  # < 1 m off
    assert office_id_at(offices, 51.3405, 12.37) is None  # ~55 m off: a click beside the marker
    assert office_id_at(offices, 51.16, 14.43) == "d1"  # first of the group
    assert office_id_at(offices, None, 12.37) is None
    assert office_id_at(offices, "x", 12.37) is None
    assert office_id_at(offices.iloc[0:0], 51.34, 12.37) is None


def test_offices_at_lists_the_whole_group(offices):
    assert offices_at(offices, 51.16, 14.43) == ["d1", "d2", "d3"]
    assert offices_at(offices, 51.05, 13.74) == ["a"]
    assert offices_at(offices, 0, 0) == []


def test_selected_office_is_highlighted_first_and_opened(offices):
    page = render(build_map(offices, districts=None, selected_id="d2"))
    assert ".openPopup();" in page
    assert '"zIndexOffset": 1000' in page
    popup = re.search(r'data-office-ids="d2 d1 d3"', page)
    assert popup, "the selected office heads its marker's list"


# ---------------------------------------------------------------------------------------------- view, legend, rtl


def fitted_bounds(page: str) -> list[list[float]]:
    match = re.search(r"\.fitBounds\(\s*(\[\[.*?\]\])", page)
    assert match
    return json.loads(match.group(1))


def test_view_fits_saxony_without_origin(offices):
    assert fitted_bounds(render(build_map(offices, districts=None))) == [list(p) for p in SAXONY_BOUNDS]


def test_view_fits_origin_and_nearest_markers(offices):
    m = build_map(offices, districts=None, origin=(51.0, 13.7), origin_label="01067 <Dresden>", fit_nearest=1)
    page = render(m)
    assert fitted_bounds(page) == [[51.0, 13.7], [51.05, 13.74]]  # origin + office a
    assert "01067 &lt;Dresden&gt;" in legend_html(page)
    assert '"interactive": false' in page  # clicks on the origin ring reach the office below


def test_rtl_sets_direction_on_legend_popups_and_tooltips(offices):
    page = render(build_map(offices, districts=None, rtl=True))
    assert '<details open dir="rtl"' in legend_html(page)
    assert 'class="finder-popup" dir="rtl"' in page
    assert '<span dir="rtl">' in page
    assert 'class="finder-popup" dir="ltr"' not in page
    assert '<span dir="ltr">0351 123456</span>' in page  # phone digits keep their order
    assert "<bdi>Office b</bdi>" in page  # German names keep their own direction


def test_bad_input_gives_clear_errors(offices):
    with pytest.raises(ValueError, match="lat"):
        build_map(offices.drop(columns=["lat"]), districts=None)
    with pytest.raises(ValueError, match="origin"):
        build_map(offices, districts=None, origin=(float("nan"), 13.0))


def test_payload_is_the_rendered_size(offices):
    m = build_map(offices, districts=None)
    size = map_payload_bytes(m)
    assert size == map_payload_bytes(m)  # measuring leaves the map as it was
    assert size == len(render(m).encode())


# ---------------------------------------------------------------------------------------------- districts


def test_districts_without_shapes_draw_no_layer(offices):
    empty = gpd.GeoDataFrame({"name": ["x"]}, geometry=[None], crs="EPSG:4326")
    assert "L.geoJson" not in render(build_map(offices, districts=empty))


def test_load_districts_reads_the_geojson(tmp_path, districts):
    districts.to_file(tmp_path / "districts.geojson", driver="GeoJSON")
    loaded = load_districts(tmp_path)
    assert list(loaded["name"]) == ["Dresden <b>x</b>", "Leipzig"]
    assert loaded.crs.to_epsg() == 4326


def test_load_districts_reports_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"districts\.geojson"):
        load_districts(tmp_path)


@pytest.mark.skipif(not (REPO / "data" / "districts.geojson").is_file(), reason="data not built")
def test_repository_districts_draw_with_tooltips():
    districts = load_districts(REPO / "data")
    assert len(districts) == 13
    page = render(build_map(pd.DataFrame(columns=["id", "name", "kind", "lat", "lon"]), districts=districts))
    assert page.count('"label": ') == 13
    assert "S\\u00e4chsische Schweiz-Osterzgebirge" in page


# ---------------------------------------------------------------------------------------------- assets


def test_install_copies_the_assets_once(tmp_path):
    static = tmp_path / "static"
    urls = assets.install_static_assets(static)
    assert set(urls) == {a.name for a in assets.ASSETS}
    files = {name: static / url.removeprefix("/app/static/") for name, url in urls.items()}
    assert all(p.is_file() and p.stat().st_size > 0 for p in files.values())
    assert "vendor/leaflet-" in urls["leaflet_js"]
    # leaflet.css refers to its images relative to itself
    css_dir = files["leaflet_css"].parent
    for ref in re.findall(r"url\((images/[^)]+)\)", files["leaflet_css"].read_text()):
        assert (css_dir / ref).is_file(), ref
    assert (static / "vendor" / ".gitignore").read_text().strip().endswith("*")

    before = {name: p.stat().st_mtime_ns for name, p in files.items()}
    assert assets.install_static_assets(static) == urls
    assert {name: p.stat().st_mtime_ns for name, p in files.items()} == before  # nothing rewritten

    files["leaflet_js"].write_text("tampered")
    assets.install_static_assets(static)
    assert files["leaflet_js"].read_bytes().startswith(b"/* @preserve")
    assert {name: p.stat().st_mtime_ns for name, p in files.items() if name != "leaflet_js"} == {
        name: t for name, t in before.items() if name != "leaflet_js"
    }


def test_url_prefix_and_default_urls_agree(tmp_path):
    urls = assets.install_static_assets(tmp_path, url_prefix="/finder/app/static/")
    assert urls["jquery_js"].startswith("/finder/app/static/vendor/jquery-")
    assert assets.asset_urls() == {k: v.replace("/finder", "", 1) for k, v in urls.items()}


def test_unwritable_static_folder_gives_a_clear_error(tmp_path):
    blocker = tmp_path / "static"
    blocker.write_text("a file, not a folder")
    with pytest.raises(assets.AssetError, match="cannot copy"):
        assets.install_static_assets(blocker)
