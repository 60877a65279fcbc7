"""Map tile providers a person may switch on (``FINDER_TILE_PROVIDERS``).

Tiles are off by default: the map is drawn from our own layers and sends nothing to a third party. A
person who wants a detailed background picks one of the configured providers; from then on that provider
receives the map section they look at (the tile coordinates) and their IP address, but never their search.

``FINDER_TILE_PROVIDERS`` is a comma-separated list of built-in keys (:data:`BUILTIN`; default
``basemap.de,osm``), or a JSON list of objects with ``key``, ``name``, ``url``, ``attribution`` and
optionally ``max_zoom`` (e.g. a self-hosted tile server), or empty for no tile option at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from finder.errors import SettingsError

__all__ = ["BUILTIN", "DEFAULT_PROVIDERS", "TileProvider", "parse_tile_providers"]


@dataclass(frozen=True)
class TileProvider:
    """One tile server.

    Attributes
    ----------
    key
        Short name used in the URL (``tiles=<key>``).
    name
        Name shown to people.
    url
        Leaflet URL template (``{z}/{x}/{y}``), ``https://`` or ``http://``.
    attribution
        Plain-text attribution the licence asks for.
    max_zoom
        Deepest zoom the server has.
    """

    key: str
    name: str
    url: str
    attribution: str
    max_zoom: int = 18

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` of the tile server (for a Content-Security-Policy ``img-src``)."""
        parts = urlsplit(self.url.replace("{s}", "a"))
        return f"{parts.scheme}://{parts.netloc}"


#: Providers known by key. basemap.de is the official German base map of the federal and state surveying
#: authorities (BKG), CC BY 4.0; its WMTS asks for row before column ({y}/{x}).
BUILTIN: dict[str, TileProvider] = {
    "basemap.de": TileProvider(
        key="basemap.de",
        name="basemap.de (BKG)",
        url=(
            "https://sgx.geodatenzentrum.de/wmts_basemapde/tile/1.0.0/de_basemapde_web_raster_farbe/default/"
            "GLOBAL_WEBMERCATOR/{z}/{y}/{x}.png"
        ),
        attribution="© basemap.de / BKG, CC BY 4.0",
        max_zoom=18,
    ),
    "osm": TileProvider(
        key="osm",
        name="OpenStreetMap",
        url="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        attribution="© OpenStreetMap contributors (ODbL)",
        max_zoom=19,
    ),
}
DEFAULT_PROVIDERS = "basemap.de,osm"


def _custom(entry: object) -> TileProvider:
    if not isinstance(entry, dict):
        msg = "FINDER_TILE_PROVIDERS: each JSON entry must be an object with key, name, url and attribution"
        raise SettingsError(msg)
    missing = [k for k in ("key", "name", "url", "attribution") if not str(entry.get(k) or "").strip()]
    if missing:
        msg = f"FINDER_TILE_PROVIDERS: an entry lacks {', '.join(missing)}"
        raise SettingsError(msg)
    url = str(entry["url"]).strip()
    if urlsplit(url).scheme not in ("http", "https") or "{z}" not in url:
        msg = f"FINDER_TILE_PROVIDERS: {url!r} is not an http(s) tile URL template with {{z}}, {{x}}, {{y}}"
        raise SettingsError(msg)
    try:
        max_zoom = int(entry.get("max_zoom", 18))
    except (TypeError, ValueError):
        msg = f"FINDER_TILE_PROVIDERS: max_zoom of {entry['key']!r} must be a whole number"
        raise SettingsError(msg) from None
    return TileProvider(
        key=str(entry["key"]).strip(),
        name=str(entry["name"]).strip(),
        url=url,
        attribution=str(entry["attribution"]).strip(),
        max_zoom=max_zoom,
    )


def parse_tile_providers(value: str) -> tuple[TileProvider, ...]:
    """Read ``FINDER_TILE_PROVIDERS`` (see the module docstring).

    Raises
    ------
    SettingsError
        Unknown key, malformed JSON or an entry without what it needs.

    Examples
    --------
    >>> [p.key for p in parse_tile_providers("osm, basemap.de")]
    ['osm', 'basemap.de']
    >>> parse_tile_providers("")
    ()
    """
    text = value.strip()
    if not text:
        return ()
    if text.startswith("["):
        try:
            entries = json.loads(text)
        except json.JSONDecodeError as exc:
            msg = f"FINDER_TILE_PROVIDERS is not valid JSON: {exc.msg} (column {exc.colno})"
            raise SettingsError(msg) from None
        providers = tuple(_custom(e) for e in entries) if isinstance(entries, list) else ()
    else:
        keys = [k.strip() for k in text.split(",") if k.strip()]
        unknown = [k for k in keys if k not in BUILTIN]
        if unknown:
            msg = f"FINDER_TILE_PROVIDERS: unknown provider {unknown[0]!r} (known: {', '.join(BUILTIN)})"
            raise SettingsError(msg)
        providers = tuple(BUILTIN[k] for k in keys)
    seen = [p.key for p in providers]
    if len(set(seen)) != len(seen):
        msg = "FINDER_TILE_PROVIDERS names a provider twice"
        raise SettingsError(msg)
    return providers
