"""Real-browser tests of the map: what it shows without tiles, how it says distances, and tiles on request.

One app for the module, configured with a single tile provider that is a small tile server of this test on
127.0.0.1 (``FINDER_TILE_PROVIDERS`` as JSON), so a tile request can be seen without leaving the machine.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from browser_helpers import DESKTOP, PHONE, RecordingPage, running_app

pytestmark = pytest.mark.browser

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
# A 1×1 transparent PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


class TileServer:
    """Answers every GET with a tiny PNG and records the paths."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        paths = self.paths

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(PNG)))
                self.end_headers()
                self.wfile.write(PNG)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def tiles() -> Iterator[TileServer]:
    server = TileServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def map_app(tmp_path_factory, tiles) -> Iterator[str]:
    provider = {
        "key": "local",
        "name": "Local test tiles",
        "url": f"http://127.0.0.1:{tiles.port}/{{z}}/{{x}}/{{y}}.png",
        "attribution": "© test tiles",
    }
    env = {"FINDER_TILE_PROVIDERS": json.dumps([provider]), "FINDER_TILE_URL": ""}
    with running_app(tmp_path_factory.mktemp("map_app"), env=env) as url:
        yield url


def map_frame(page):
    frame = page.wait_for_selector(MAP_IFRAME, timeout=60_000).content_frame()
    frame.wait_for_selector(".leaflet-container", timeout=60_000)
    return frame


def popup_texts(frame) -> list[str]:
    """The text of every popup bound to a layer of the map (open or not)."""
    return frame.evaluate(
        """() => {
            const map = Object.keys(window).filter(k => k.startsWith("map_")).map(k => window[k])
                .find(m => m && m._layers);
            const texts = [];
            map.eachLayer(layer => {
                const popup = layer.getPopup && layer.getPopup();
                if (popup) {
                    const div = document.createElement("div");
                    div.innerHTML = popup.getContent();
                    texts.push(div.textContent);
                }
            });
            return texts;
        }"""
    )


def test_landing_map_names_towns_and_shows_office_clusters_from_this_server(browser, map_app, tiles):
    rp = RecordingPage(browser, DESKTOP)
    try:
        rp.page.goto(f"{map_app}/?lang=de", wait_until="domcontentloaded")
        frame = map_frame(rp.page)
        frame.wait_for_selector(".finder-cluster", timeout=30_000)
        frame.wait_for_selector(".finder-place-label", timeout=30_000)
        towns = frame.locator(".finder-place-label").all_inner_texts()
        assert {"Dresden", "Leipzig", "Chemnitz"} <= set(towns)
        districts = frame.locator(".finder-district-label").all_inner_texts()
        assert "Erzgebirgskreis" in districts and len(districts) == 13
        neighbours = set(frame.locator(".finder-neighbour-label").all_inner_texts())
        assert {"Polen", "Tschechien", "Bayern"} <= {n.title() for n in neighbours} | neighbours
        # the clusters count every listed office
        counts = [int(t) for t in frame.locator(".finder-cluster").all_inner_texts()]
        assert sum(counts) > 150
        assert not rp.foreign_hosts(), rp.foreign_hosts()
        assert not [u for u in rp.requests if f":{tiles.port}/" in u]  # no tiles without opting in
        layer_files = [urlsplit(u).path for u in rp.requests if "/app/static/layers/" in u]
        assert any("/base." in p for p in layer_files) and any("/offices-de." in p for p in layer_files)
        assert not any("/municipalities." in p for p in layer_files)  # fetched only from zoom 10
        assert not rp.errors
    finally:
        rp.close()


def test_a_search_in_chemnitz_says_where_not_zero_km(browser, map_app):
    rp = RecordingPage(browser, PHONE)
    try:
        rp.page.goto(f"{map_app}/?lang=en&q=Chemnitz", wait_until="domcontentloaded")
        rp.page.wait_for_selector("[class*='st-key-result-']", timeout=60_000)
        frame = map_frame(rp.page)
        frame.wait_for_selector(".finder-area", timeout=30_000)  # town-centre offices are areas
        texts = popup_texts(frame)
        assert texts, "the results have popups"
        joined = " ".join(texts)
        assert "0.0 km" not in joined and "0,0 km" not in joined
        assert "in Chemnitz" in joined
        # zoomed in far enough, the municipality borders appear (fetched then)
        frame.evaluate(
            """() => Object.keys(window).filter(k => k.startsWith("map_")).map(k => window[k])
                   .find(m => m && m._layers).setZoom(11)"""
        )
        frame.wait_for_selector(".finder-municipality-border", state="attached", timeout=30_000)
        assert not rp.foreign_hosts(), rp.foreign_hosts()
    finally:
        rp.close()


def test_tiles_are_requested_only_after_opting_in_and_the_link_remembers(browser, map_app, tiles):
    rp = RecordingPage(browser, DESKTOP)
    try:
        page = rp.page
        page.goto(f"{map_app}/?lang=en", wait_until="domcontentloaded")
        frame = map_frame(page)
        frame.wait_for_selector(".finder-cluster", timeout=30_000)
        assert not [u for u in rp.requests if f":{tiles.port}/" in u]

        box = page.get_by_role("combobox", name="Map background", exact=True)
        box.click()
        box.fill("Local test tiles")  # filters the (virtualised) list
        page.get_by_role("option", name="Local test tiles", exact=True).click()
        page.wait_for_function("() => location.search.includes('tiles=local')", timeout=30_000)
        frame = map_frame(page)
        frame.wait_for_selector("img.leaflet-tile", state="attached", timeout=30_000)
        assert [u for u in rp.requests if f"127.0.0.1:{tiles.port}/" in u]
        assert "127.0.0.1" in page.inner_text(".st-key-map_panel")  # says who receives what
    finally:
        rp.close()

    # a link with tiles=local opens with the tiles on
    before = len(tiles.paths)
    rp = RecordingPage(browser, PHONE)
    try:
        rp.page.goto(f"{map_app}/?lang=en&tiles=local", wait_until="domcontentloaded")
        frame = map_frame(rp.page)
        frame.wait_for_selector("img.leaflet-tile", state="attached", timeout=30_000)
        assert [u for u in rp.requests if f"127.0.0.1:{tiles.port}/" in u]
        assert len(tiles.paths) > before
    finally:
        rp.close()
