"""The office map: offline assets and layer files, escaping, colours, areas, grouping, click → office."""

from __future__ import annotations

import html
import json
import os
import re
import time
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
from shapely.geometry import Point, box, shape

from finder import assets, map_layers
from finder._map_html import KIND_COLOURS
from finder.distance import PRECISION_KM
from finder.map import (
    DEFAULT_LABELS,
    SAXONY_BOUNDS,
    _esc,
    build_map,
    install_map_layers,
    load_districts,
    map_payload_bytes,
    office_id_at,
    office_layer,
    offices_at,
)
from finder.map_layers import write_layer
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


@pytest.fixture(scope="module")
def layers(installed) -> dict[str, str]:
    """The script and base layers of the repository's data, written beside the vendor files."""
    static, _ = installed
    files = install_map_layers(static, REPO / "data", load_districts(REPO / "data"))
    return {name: f.url for name, f in files.items()}


def draw(offices: pd.DataFrame, layers: dict[str, str], **kwargs) -> str:
    return render(build_map(offices, layer_urls=layers, **kwargs))


def render(m: folium.Map) -> str:
    return m.get_root().render()


def config(page: str) -> dict:
    """The configuration the map hands to its script (``FinderMap.draw(map, {...})``)."""
    match = re.search(r"FinderMap\.draw\([a-z_0-9]+, (\{.*\})\);\n", page)
    assert match, "the map does not call its script"
    return json.loads(match.group(1))


def results(page: str) -> dict[str, dict]:
    """The search's locations by their aria-label (the office name or "N offices")."""
    found = {}
    for loc in config(page)["results"]:
        label = re.search(r'aria-label="([^"]*)"', loc["icon"])
        found[label.group(1)] = loc
    return found


def legend_html(page: str) -> str:
    match = re.search(r"div\.innerHTML = (\".*?\");\n", page)
    assert match, "no legend"
    return json.loads(match.group(1))


# ---------------------------------------------------------------------------------------------- offline


def test_rendered_map_links_nothing_outside_our_static_folder(offices, installed, layers):
    static, urls = installed
    page = draw(
        offices, layers, origin=(51.05, 13.74), selected_id="b", labels={"legend": EVIL}, asset_urls=urls
    )
    assert URL_RE.findall(page) == []
    links = re.findall(r'<script[^>]*\bsrc="([^"]*)"', page) + re.findall(r'<link[^>]*\bhref="([^"]*)"', page)
    assert links, "the map must link Leaflet"
    assert set(links) <= set(urls.values()) | set(layers.values())
    assert layers["script"] in links
    fetched = [v for k, v in config(page)["layers"].items()]
    assert sorted(fetched) == sorted([layers["base"], layers["municipalities"]])
    for url in [*links, *fetched]:  # every linked or fetched file is there to be served
        assert (static / url.removeprefix("/app/static/")).is_file(), url


def test_every_folium_element_uses_local_js_and_css(offices, layers):
    m = build_map(offices, layer_urls=layers, origin=(51.05, 13.74))
    render(m)

    def walk(element):
        yield element
        for child in element._children.values():
            yield from walk(child)

    mixins = [e for e in walk(m) if isinstance(e, folium.elements.JSCSSMixin)]
    assert {type(e) for e in mixins} == {folium.Map}
    for element in mixins:
        for _name, url in element.default_js + element.default_css:
            assert url.startswith(("/app/static/vendor/", "/app/static/layers/")), url
    # folium's own (class-level) lists are left alone
    assert any("cdn" in url for _, url in folium.Map.default_js)


def test_a_configured_tile_server_is_the_only_external_host(offices, layers):
    page = draw(
        offices,
        layers,
        tile_url="https://tiles.example.org/{z}/{x}/{y}.png",
        tile_attribution='<a href="https://evil.example.com">© Tiles</a>',
    )
    hosts = {re.sub(r"^(?:https?:)?//", "", u).split("/")[0] for u in URL_RE.findall(page)}
    assert hosts == {"tiles.example.org"}
    assert '"attribution": "\\u00a9 Tiles"' in page  # the pasted link became plain text
    assert config(page)["tiles"] is True  # the base map is drawn see-through over tiles


def test_tiles_need_an_attribution(offices, layers):
    with pytest.raises(ValueError, match="attribution"):
        build_map(offices, layer_urls=layers, tile_url="https://tiles.example.org/{z}/{x}/{y}.png")


def test_no_tiles_and_plain_text_attribution_by_default(offices, layers):
    page = draw(offices, layers)
    assert "L.tileLayer" not in page
    assert config(page)["tiles"] is False
    assert "GeoBasis-DE / BKG 2016, GeoNames" in page


def test_missing_asset_urls_and_script_are_reported(offices, layers):
    with pytest.raises(ValueError, match="markercluster_js"):
        build_map(offices, layer_urls=layers, asset_urls={"leaflet_js": "/x.js"})
    with pytest.raises(ValueError, match="script"):
        build_map(offices, layer_urls={"base": layers["base"]})


# ---------------------------------------------------------------------------------------------- escaping


def test_data_text_is_escaped_everywhere(offices, layers):
    page = draw(offices, layers, labels={"MBE": "<i>MBE</i>"})
    assert "<script>alert(1)" not in page
    assert "<i>MBE</i>" not in page
    html_parts = [v for loc in config(page)["results"] for v in (loc["icon"], loc["tip"], loc["popup"])]
    joined = "".join(html_parts)
    assert "<script>alert(1)" not in joined
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in joined  # popup and tooltip show the text
    # nothing that could end a JS template literal or run code inside one
    assert "${1+1}" not in joined and "`tick`" not in joined
    assert "&#36;{1+1}" in joined and "&#96;tick&#96;" in joined and "back&#92;slash" in joined
    assert "<i>MBE</i>" not in joined and "&lt;i&gt;MBE&lt;/i&gt;" in joined


@given(st.text())
def test_escaped_text_is_inert_and_round_trips(text):
    escaped = _esc(text)
    assert not set(escaped) & set("<>\"'`$\\")
    assert html.unescape(escaped) == text.strip()


def test_phone_becomes_an_international_tel_link(offices, layers):
    popups = "".join(loc["popup"] for loc in config(draw(offices, layers))["results"])
    assert 'href="tel:+49351123456"' in popups


@pytest.mark.parametrize("separator", ["; ", ", "])
def test_each_listed_phone_gets_its_own_link(separator, layers):
    # The directory allows ";" and "," between numbers; two numbers must never merge into one tel: link.
    row = office("p", 51.05, 13.74, phone=f"0351 111{separator}0341 222")
    popup = config(draw(pd.DataFrame([row]), layers))["results"][0]["popup"]
    assert 'href="tel:+49351111"' in popup and 'href="tel:+49341222"' in popup


# ---------------------------------------------------------------------------------------------- colours


def test_every_kind_has_its_own_colour():
    assert tuple(KIND_COLOURS) == KINDS
    assert len(set(KIND_COLOURS.values())) == len(KINDS)
    assert all(re.fullmatch(r"#[0-9A-F]{6}", c) for c in KIND_COLOURS.values())


def test_markers_and_legend_use_the_kind_colours(layers):
    frame = pd.DataFrame([office(k, 50.5 + i * 0.1, 12.5 + i * 0.2, kind=k) for i, k in enumerate(KINDS)])
    labels = {k: f"label-{k}" for k in KINDS} | {"legend": "Legende"}
    page = draw(frame, layers, labels=labels)
    legend = legend_html(page)
    icons = {name: loc["icon"] for name, loc in results(page).items()}
    for kind, colour in KIND_COLOURS.items():
        assert f"background:{colour}" in icons[f"Office {kind}"], kind
        assert re.search(rf"background:{colour}\"></span><bdi>label-{kind}</bdi>", legend), kind
    assert "<summary" in legend and "Legende</summary>" in legend


def test_approximate_positions_are_areas_of_their_precision(offices, layers):
    page = draw(offices, layers)
    found = results(page)
    # a postcode point stands for an area of finder.distance.PRECISION_KM["postcode"] around it
    assert found["Office b"]["area"] == PRECISION_KM["postcode"] * 1000
    assert found["3 offices"]["area"] == PRECISION_KM["postcode"] * 1000
    assert "area" not in found["Office c"]  # an exact position is a dot
    assert "fm-approx" in found["Office b"]["icon"] and "fm-approx" not in found["Office c"]["icon"]
    town = pd.DataFrame([office("t", 50.83, 12.92, geocode_precision="place")])
    assert results(draw(town, layers))["Office t"]["area"] == PRECISION_KM["place"] * 1000
    popups = "".join(loc["popup"] for loc in config(page)["results"])
    assert popups.count(DEFAULT_LABELS["approximate"]) == 4  # b, d1, d2, d3
    assert "Approximate position" in legend_html(page)


def test_distances_on_the_map_say_what_the_positions_support(layers):
    same = office("s", 50.8357, 12.92922, geocode_precision="place", city="Chemnitz", distance_km=0.0,
                  distance_precision_km=6.0, same_place=True)  # fmt: skip
    far = office("f", 51.05, 13.74, geocode_precision="postcode", distance_km=12.34, distance_precision_km=5.0,
                 same_place=False)  # fmt: skip
    exact = office("e", 51.2, 13.1, distance_km=7.25, distance_precision_km=0.0, same_place=False)
    page = draw(pd.DataFrame([same, far, exact]), layers, origin=(50.8357, 12.92922), lang="en")
    popups = {name: loc["popup"] for name, loc in results(page).items()}
    assert "in Chemnitz" in popups["Office s"]
    assert "0.0 km" not in "".join(popups.values()) and "0 km" not in popups["Office s"]
    assert "about 12 km" in popups["Office f"]
    assert "7.3 km" in popups["Office e"] or "7.2 km" in popups["Office e"]


# ---------------------------------------------------------------------------------------------- grouping and clicks


def test_co_located_offices_share_one_marker(offices, layers):
    page = draw(offices, layers)
    locations = config(page)["results"]
    assert len(locations) == 4  # a, b, c and the group d1–d3; the online service has no place
    group = next(loc for loc in locations if loc["n"] == 3)
    assert group["ids"] == ["d1", "d2", "d3"]
    assert "3 offices" in group["tip"]
    assert 'data-office-ids="d1 d2 d3"' in group["popup"]
    for name in ("Office d1", "Office d2", "Office d3"):
        assert name in group["popup"]


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


def test_selected_office_is_highlighted_first_and_opened(offices, layers):
    found = results(draw(offices, layers, selected_id="d2"))
    selected = [loc for loc in found.values() if loc.get("selected")]
    assert len(selected) == 1 and selected[0]["ids"] == ["d2", "d1", "d3"]
    assert 'data-office-ids="d2 d1 d3"' in selected[0]["popup"], "the selected office heads its list"
    assert selected[0]["size"] > found["Office c"]["size"]


# ---------------------------------------------------------------------------------------------- view, legend, rtl


def fitted_bounds(page: str) -> list[list[float]]:
    match = re.search(r"\.fitBounds\(\s*(\[\[.*?\]\])", page)
    assert match
    return json.loads(match.group(1))


def test_view_fits_saxony_without_origin(offices, layers):
    assert fitted_bounds(draw(offices, layers)) == [list(p) for p in SAXONY_BOUNDS]


def test_view_fits_origin_and_nearest_markers(offices, layers):
    page = draw(offices, layers, origin=(51.0, 13.7), origin_label="01067 <Dresden>", fit_nearest=1)
    assert fitted_bounds(page) == [[51.0, 13.7], [51.05, 13.74]]  # origin + office a
    assert "01067 &lt;Dresden&gt;" in legend_html(page)
    assert '"interactive": false' in page  # clicks on the origin ring reach the office below


def test_view_shows_the_whole_area_of_an_approximate_office(layers):
    town = pd.DataFrame([office("t", 50.8357, 12.92922, geocode_precision="place")])
    (south, _west), (north, _east) = fitted_bounds(draw(town, layers, origin=(50.8357, 12.92922)))
    assert north - south > 2 * 0.9 * PRECISION_KM["place"] / 111.32  # the 3 km circle fits, not a street


def test_rtl_sets_direction_on_legend_popups_and_tooltips(offices, layers):
    page = draw(offices, layers, rtl=True)
    assert '<details open dir="rtl"' in legend_html(page)
    locations = config(page)["results"]
    popups = "".join(loc["popup"] for loc in locations)
    assert 'class="finder-popup" dir="rtl"' in popups and 'dir="ltr"' not in popups.replace(
        '<span dir="ltr">0351 123456</span>', ""
    )
    assert all('<span dir="rtl">' in loc["tip"] for loc in locations)
    assert '<span dir="ltr">0351 123456</span>' in popups  # phone digits keep their order
    assert "<bdi>Office b</bdi>" in popups  # German names keep their own direction


def test_bad_input_gives_clear_errors(offices, layers):
    with pytest.raises(ValueError, match="lat"):
        build_map(offices.drop(columns=["lat"]), layer_urls=layers)
    with pytest.raises(ValueError, match="origin"):
        build_map(offices, layer_urls=layers, origin=(float("nan"), 13.0))


def test_payload_is_the_rendered_size(offices, layers):
    m = build_map(offices, layer_urls=layers)
    size = map_payload_bytes(m)
    assert size == map_payload_bytes(m)  # measuring leaves the map as it was
    assert size == len(render(m).encode())


def test_a_search_map_is_small_because_its_layers_are_files(layers):
    districts = load_districts(REPO / "data")
    frame = pd.DataFrame([office(f"o{i}", 50.5 + i * 0.05, 12.5 + i * 0.1) for i in range(10)])
    size = map_payload_bytes(build_map(frame, layer_urls=layers, origin=(51.0, 13.0)))
    base = (REPO / "data" / "districts.geojson").stat().st_size
    assert len(districts) == 13 and size < base / 3  # the district shapes are not in the map's HTML


# ---------------------------------------------------------------------------------------------- browsing and layers


def test_landing_map_browses_all_offices_from_a_file(offices, layers, installed):
    static, _ = installed
    layer = office_layer(offices)
    assert [loc["ids"] for loc in layer] == [["a"], ["b"], ["c"], ["d1", "d2", "d3"]]
    markup = json.dumps(layer, ensure_ascii=False)  # the script inserts icon, tooltip and popup as HTML
    assert "<script>" not in markup and "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    url = write_layer(static, "offices-en", layer).url
    page = draw(
        offices.iloc[0:0], layers, browse_url=url, browse_kinds=("MBE", "JMD"), labels={"MBE": "lbl-MBE"}
    )
    assert config(page)["layers"]["offices"] == url
    assert config(page)["results"] == []
    assert "lbl-MBE" in legend_html(page)  # the legend names the browsed kinds
    assert json.loads((static / url.removeprefix("/app/static/")).read_text()) == layer


def test_neighbours_are_named_in_the_interface_language(layers):
    page = draw(pd.DataFrame(columns=["id", "name", "kind", "lat", "lon"]), layers,
                neighbours=map_layers.neighbours(REPO / "data", "uk"))  # fmt: skip
    names = [n[0] for n in config(page)["neighbours"]]
    assert "Польща" in names and "Чехія" in names and "Thüringen" in names


def test_layer_files_are_named_by_their_content(tmp_path):
    first = write_layer(tmp_path, "base", {"a": [1, 2]})
    again = write_layer(tmp_path, "base", {"a": [1, 2]})
    changed = write_layer(tmp_path, "base", {"a": [1, 3]})
    assert first == again and first.url != changed.url
    assert re.fullmatch(r"/app/static/layers/base\.[0-9a-f]{12}\.json", first.url)
    assert first.path.read_bytes() == b'{"a":[1,2]}' and first.size == 11
    assert (tmp_path / "layers" / ".gitignore").read_text().strip().endswith("*")
    script = write_layer(tmp_path, "finder-map", "var x = 1;", extension="js", url_prefix="/p/app/static/")
    assert script.url.startswith("/p/app/static/layers/finder-map.") and script.url.endswith(".js")
    # older versions go once they are a day old (a page sent before may still fetch its version)
    day_old = time.time() - map_layers.KEEP_OLD_VERSIONS_S - 60
    os.utime(first.path, (day_old, day_old))
    write_layer(tmp_path, "base", {"a": [1, 3]})
    assert not first.path.exists() and changed.path.exists() and script.path.exists()
    with pytest.raises(ValueError, match="name"):
        write_layer(tmp_path, "../evil", {})
    with pytest.raises(ValueError):
        write_layer(tmp_path, "nan", {"x": float("nan")})


@pytest.mark.skipif(not (REPO / "data" / "districts.geojson").is_file(), reason="data not built")
def test_repository_base_layer_names_towns_districts_and_neighbours(installed, layers):
    static, _ = installed
    base = json.loads((static / layers["base"].removeprefix("/app/static/")).read_text())
    assert [d[0] for d in base["district_labels"]] == list(load_districts(REPO / "data")["name"])
    outline = shape(base["outline"])
    assert outline.geom_type in ("Polygon", "MultiPolygon") and 18_000 < outline.area * 111 * 70 < 19_500
    places = {p[0]: p for p in base["places"]}
    assert places["Dresden"][3] == 6 and places["Dresden"][4] == 3  # from the start, largest type
    assert places["Hof"][3] <= 8  # a town across the border, for orientation
    assert "Hamburg" not in places  # but not far away
    neighbours = map_layers.neighbours(REPO / "data", "de")
    assert {n["name"] for n in neighbours} == {"Polen", "Tschechien", "Bayern", "Thüringen", "Sachsen-Anhalt",
                                               "Brandenburg"}  # fmt: skip
    for n in neighbours:  # each label lies beyond the border, close to it
        point = Point(n["lon"], n["lat"])
        assert not outline.contains(point) and outline.distance(point) < 0.5, n
    # sizes: the landing page fetches the script and the base layer; municipalities only from zoom 10
    sizes = {name: (static / url.removeprefix("/app/static/")).stat().st_size for name, url in layers.items()}
    assert sizes["base"] < 150_000 and sizes["script"] < 20_000 and sizes["municipalities"] < 400_000
    borders = shape(json.loads((static / layers["municipalities"].removeprefix("/app/static/")).read_text()))
    assert borders.geom_type == "MultiLineString" and outline.buffer(0.01).contains(borders)


def test_load_districts_reads_the_geojson(tmp_path, districts):
    districts.to_file(tmp_path / "districts.geojson", driver="GeoJSON")
    loaded = load_districts(tmp_path)
    assert list(loaded["name"]) == ["Dresden <b>x</b>", "Leipzig"]
    assert loaded.crs.to_epsg() == 4326


def test_load_districts_reports_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"districts\.geojson"):
        load_districts(tmp_path)


def test_base_layer_of_other_districts_keeps_names_as_text(districts, tmp_path):
    base = map_layers.base_layer(districts, tmp_path)  # no places.csv there: no town names
    assert [d[0] for d in base["district_labels"]] == ["Dresden <b>x</b>", "Leipzig"]  # text, drawn as text
    assert base["places"] == [] and base["district_borders"] is None  # two boxes share no border


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
