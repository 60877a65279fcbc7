"""Serve the map's JavaScript and CSS from our own server instead of third-party CDNs.

folium links Leaflet, jQuery and its plugins from public CDNs. That
breaks the map offline and tells those hosts who uses the app. The same files ship in the PyPI packages
``xstatic-leaflet``, ``xstatic-jquery`` and ``xstatic-leaflet-markercluster``; :func:`install_static_assets`
copies the few files the map needs into the app's ``static/vendor/`` folder, which Streamlit serves at
``/app/static/vendor/...`` when ``server.enableStaticServing = true``.

The files are copied, not symlinked: Streamlit resolves symlinks and refuses (HTTP 400) any file whose real
path lies outside the ``static`` folder, and site-packages always does. Nothing copied here is committed to
the repository; the folder gets its own ``.gitignore``.
"""

from __future__ import annotations

import filecmp
import importlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from finder.errors import AssetError

#: URL under which Streamlit serves the ``static`` folder beside the main script.
DEFAULT_URL_PREFIX = "/app/static"
#: Sub-folder of the static folder that holds the copied third-party files.
VENDOR_SUBDIR = "vendor"


@dataclass(frozen=True)
class Asset:
    """One file taken from an installed ``xstatic`` package.

    Attributes
    ----------
    name
        Key of the asset in the mapping returned by :func:`install_static_assets`.
    package
        Module name below ``xstatic.pkg`` (``leaflet``, ``jquery``, ``leaflet_markercluster``).
    source
        Path of the file inside the package's ``BASE_DIR``.
    """

    name: str
    package: str
    source: str


#: Every file the map may reference. Leaflet's images are referenced by ``leaflet.css`` with relative URLs
#: (``images/layers.png`` for the layers control, ``images/marker-icon.png`` for the default-icon path
#: detection), so they keep their place relative to the CSS. MarkerCluster.Default.css is not needed: the
#: map draws its own cluster icons.
ASSETS: tuple[Asset, ...] = (
    Asset("leaflet_js", "leaflet", "leaflet.js"),
    Asset("leaflet_css", "leaflet", "leaflet.css"),
    Asset("leaflet_layers_png", "leaflet", "images/layers.png"),
    Asset("leaflet_layers_2x_png", "leaflet", "images/layers-2x.png"),
    Asset("leaflet_marker_icon_png", "leaflet", "images/marker-icon.png"),
    Asset("leaflet_marker_icon_2x_png", "leaflet", "images/marker-icon-2x.png"),
    Asset("leaflet_marker_shadow_png", "leaflet", "images/marker-shadow.png"),
    Asset("jquery_js", "jquery", "jquery.min.js"),
    Asset("markercluster_js", "leaflet_markercluster", "leaflet.markercluster.js"),
    Asset("markercluster_css", "leaflet_markercluster", "MarkerCluster.css"),
)

_PIP_NAMES = {
    "leaflet": "xstatic-leaflet",
    "jquery": "xstatic-jquery",
    "leaflet_markercluster": "xstatic-leaflet-markercluster",
}


def _package(name: str) -> tuple[Path, str]:
    """Return the data folder and version of the xstatic package ``name``."""
    try:
        module = importlib.import_module(f"xstatic.pkg.{name}")
    except ImportError as exc:
        msg = f"the map needs the Python package {_PIP_NAMES.get(name, name)!r}; install it with pip"
        raise AssetError(msg) from exc
    return Path(module.BASE_DIR), str(module.VERSION)


def _relative_target(asset: Asset) -> str:
    """Path of the copied file below the static folder, e.g. ``vendor/leaflet-1.9.3/leaflet.js``.

    The version is part of the folder name so that browsers never use a cached file of an older version.
    """
    _, version = _package(asset.package)
    folder = asset.package.replace("_", ".")
    return f"{VENDOR_SUBDIR}/{folder}-{version}/{asset.source}"


def asset_urls(url_prefix: str = DEFAULT_URL_PREFIX) -> dict[str, str]:
    """Return the URL of every asset without copying anything.

    Parameters
    ----------
    url_prefix
        URL at which the static folder is served (``/app/static`` in Streamlit; prepend
        ``server.baseUrlPath`` if the app runs below a path).

    Returns
    -------
    dict[str, str]
        Asset name (see :data:`ASSETS`) → URL path, e.g.
        ``{"leaflet_js": "/app/static/vendor/leaflet-1.9.3/leaflet.js", ...}``.

    Raises
    ------
    AssetError
        If an xstatic package is not installed.
    """
    prefix = url_prefix.rstrip("/")
    return {asset.name: f"{prefix}/{_relative_target(asset)}" for asset in ASSETS}


def _copy_if_changed(source: Path, target: Path) -> bool:
    """Copy ``source`` to ``target`` unless an identical file is already there; return whether it copied."""
    if target.is_file() and filecmp.cmp(source, target, shallow=False):
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write to a temporary file and rename it into place so that a browser (or a second Streamlit
    # session installing at the same time) never sees a half-written file.
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            out.write(src.read())
        tmp.chmod(0o644)
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return True


def install_static_assets(static_dir: Path, *, url_prefix: str = DEFAULT_URL_PREFIX) -> dict[str, str]:
    """Copy the map's JavaScript, CSS and images from the installed packages into ``static_dir/vendor``.

    Files already present with identical content are left alone, so calling this on every start is cheap
    (about 0.6 MB is compared). The vendor folder gets a ``.gitignore`` containing ``*`` so that the copies
    are never committed.

    Parameters
    ----------
    static_dir
        The folder Streamlit serves (``static/`` beside the main script). Created if missing.
    url_prefix
        URL at which ``static_dir`` is served; ``/app/static`` in Streamlit.

    Returns
    -------
    dict[str, str]
        Asset name → URL path, as :func:`asset_urls`; pass it to :func:`finder.map.build_map`.

    Raises
    ------
    AssetError
        If a package or one of its files is missing, or the folder is not writable.
    """
    static_dir = Path(static_dir)
    try:
        for asset in ASSETS:
            base_dir, _ = _package(asset.package)
            source = base_dir / asset.source
            if not source.is_file():
                msg = f"{source} is missing; reinstall {_PIP_NAMES.get(asset.package, asset.package)!r}"
                raise AssetError(msg)
            _copy_if_changed(source, static_dir / _relative_target(asset))
        ignore = static_dir / VENDOR_SUBDIR / ".gitignore"
        if not ignore.is_file():
            ignore.write_text("# copied from installed packages by finder.assets; never commit\n*\n")
    except OSError as exc:
        msg = f"cannot copy the map's assets into {static_dir}: {exc}"
        raise AssetError(msg) from exc
    return asset_urls(url_prefix)
