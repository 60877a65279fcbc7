"""The map's own Leaflet pieces: folium elements whose JavaScript and CSS are written here, not fetched.

Each element renders a small script (or, for :class:`MapStyle`, a ``<style>`` block) into the map's page;
none links an external resource. Values reach the scripts through Jinja's ``tojson``, so they are JSON
strings, never code; :class:`HtmlControl` and :class:`Attribution` insert their text as HTML, and
:mod:`finder.map` passes them escaped.
"""

from __future__ import annotations

from branca.element import MacroElement
from folium.template import Template

__all__ = [
    "Attribution",
    "FinderLayers",
    "FitBounds",
    "HtmlControl",
    "MapStyle",
]


class FinderLayers(MacroElement):
    """Call ``FinderMap.draw`` (the static script of :mod:`finder._map_script`) with this map's configuration.

    The configuration is data (layer URLs, the search's offices with their escaped HTML, the neighbours'
    names), written with ``tojson``; the code is in the cached script file.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            FinderMap.draw({{ this._parent.get_name() }}, {{ this.config|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, config: dict) -> None:
        super().__init__()
        self._name = "FinderLayers"
        self.config = config


class HtmlControl(MacroElement):
    """A Leaflet control holding static HTML (the legend).

    It lives inside the map, so streamlit-folium shows it too (it drops HTML outside the map's div).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
            {{ this.get_name() }}.onAdd = function (map) {
                var div = L.DomUtil.create("div", "finder-legend");
                div.innerHTML = {{ this.html|tojson }};
                // On narrow maps (phones) start folded, so the legend does not hide the markers.
                var details = div.querySelector("details");
                if (details && map.getSize().x < {{ this.fold_below_px|tojson }}) { details.open = false; }
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str, position: str, *, fold_below_px: int = 600) -> None:
        super().__init__()
        self._name = "HtmlControl"
        self.html = html_text
        self.position = position
        self.fold_below_px = fold_below_px


class Attribution(MacroElement):
    """Attribution text; replaces Leaflet's default prefix, which is a link to leafletjs.com.

    Leaflet shows both as HTML: pass them escaped (the map passes plain text through its escaping).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.attributionControl.setPrefix({{ this.prefix|tojson }});
            {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, text_html: str, prefix_html: str = "Leaflet") -> None:
        super().__init__()
        self._name = "Attribution"
        self.text = text_html
        self.prefix = prefix_html


class FitBounds(MacroElement):
    """Like ``folium.FitBounds``, but not animated.

    An animated zoom ends after the selected marker's popup has panned the map, and undoes that pan.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.fitBounds(
                {{ this.bounds|tojson }},
                {padding: [30, 30], maxZoom: {{ this.max_zoom|tojson }}, animate: false}
            );
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]], max_zoom: int) -> None:
        super().__init__()
        self._name = "FitBounds"
        self.bounds = bounds
        self.max_zoom = max_zoom


class MapStyle(MacroElement):
    """Page CSS: background where there are no tiles, marker symbols, visible keyboard focus."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <style>
                .leaflet-container { background: #e9eef2; }
                .finder-marker { background: transparent; border: none; }
                /* Leaflet left-aligns popups; "start" follows dir="rtl" */
                .finder-popup { font-size: 0.875rem; line-height: 1.35; text-align: start; }
                .fm-dot, .fm-origin { display: inline-flex; align-items: center; justify-content: center;
                    box-sizing: border-box; border-radius: 50%; vertical-align: middle; }
                .fm-dot { border: 2px solid #fff; box-shadow: 0 0 0 1px #222; font: bold 11px/1 sans-serif;
                    color: #000; text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff; }
                .fm-dot.fm-approx { border: 2px dashed #222; }
                .fm-origin { border: 3px solid #000; box-shadow: 0 0 0 2px #fff, inset 0 0 0 2px #fff; }
                .fm-origin span { width: 6px; height: 6px; border-radius: 50%; background: #000;
                    box-shadow: 0 0 0 2px #fff; }
                .finder-marker:focus-visible { outline: 3px solid #000; outline-offset: 2px; }
                .finder-label { background: transparent; border: none; }
                .finder-label span { position: absolute; transform: translate(-50%, -50%);
                    white-space: nowrap; font-family: sans-serif; color: #1d2329;
                    text-shadow: 0 0 2px #fff, 0 0 3px #fff, 0 0 4px #fff; }
                /* A town's name sits just above its point, so a marker there does not hide it. */
                .finder-label span.finder-place-label { transform: translate(-50%, -115%); font-size: 11px; }
                .finder-place-label.finder-size-1 { font-size: 12px; }
                .finder-place-label.finder-size-2 { font-size: 13px; font-weight: 600; }
                .finder-place-label.finder-size-3 { font-size: 15px; font-weight: 700; }
                .finder-district-label { font-size: 12px; font-style: italic; color: #3d4650 !important;
                    letter-spacing: .04em; }
                .finder-neighbour-label { font-size: 13px; font-weight: 600; color: #3d4650 !important;
                    text-transform: uppercase; letter-spacing: .08em; }
                .finder-cluster span { display: flex; align-items: center; justify-content: center;
                    width: 34px; height: 34px; border-radius: 50%; background: rgba(255,255,255,.9);
                    border: 3px solid #333; box-sizing: border-box;
                    font: bold 13px/1 sans-serif; color: #000; }
            </style>
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "FinderStyle"
