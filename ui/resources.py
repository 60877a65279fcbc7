"""Shared resources and small helpers of the Streamlit pages.

Loaded data are cached once per process (``st.cache_resource``); the view state (what the find page
shows, see :class:`finder.urlstate.ViewState`) lives in ``st.session_state["view"]`` and is read from the URL
once per session, so it survives page switches (Streamlit clears the query string and forgets the state
of widgets that are not drawn).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import html
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import pandas as pd
import streamlit as st
import streamlit.components.v2 as components_v2

from finder import corrections, i18n, urlstate
from finder import settings as _settings
from finder.assets import install_static_assets
from finder.core import Finder
from finder.map import install_map_layers, load_districts, office_layer, offices_at
from finder.map_layers import neighbours, write_layer
from ui import style

REPO_DIR = Path(__file__).resolve().parent.parent
#: Served by Streamlit at ``/app/static`` (``server.enableStaticServing``).
STATIC_DIR = REPO_DIR / "static"

_T = TypeVar("_T")

#: Session-state keys (non-widget).
VIEW_KEY = "view"
BOOT_NOTICE_KEY = "_boot_notice"
#: Widget key of the interface-language selector (on every page).
LANG_KEY = "ui_lang"


# --------------------------------------------------------------------------------------------------
# Cached resources


def settle(value: _T) -> _T:
    """Keep what a process loads once out of the garbage collector's full scans; return ``value``.

    Streamlit collects garbage after every script run (``runner.postScriptGC``). A full collection walks
    every object of the process: with the directory, its index, the gazetteer and the map layers loaded
    that is some 200,000 objects and 0.1–0.3 s of CPU per page view here, spent on objects that live as
    long as the process. :func:`gc.freeze` moves them out of the scanned generations, so each run's
    collection walks only what the run made. Earlier frozen objects are unfrozen and collected first, so
    a resource loaded again (after a maintainer's edit) is still freed. Reference counting frees frozen
    objects as usual.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return value


#: How often (seconds) a process looks whether the directory changed elsewhere (another app process
#: behind the proxy, the command line): a file stat and one small database query.
DIRECTORY_CHECK_SECONDS = 30
# The last directory version this process read (kept when the database cannot be asked).
_known_version: list[tuple[object, ...] | None] = [None]


@st.cache_data(ttl=DIRECTORY_CHECK_SECONDS, show_spinner=False)
def _directory_version(data_dir: str, corrections_db: str) -> tuple[object, ...] | None:
    del data_dir, corrections_db  # the cache key; the settings say the same
    return corrections.directory_version(_settings.load())


def get_finder() -> Finder:
    """The directory (with maintainers' edits and confirmations), index and gazetteer.

    Loaded once per process and directory version: a change made in another process shows here within
    :data:`DIRECTORY_CHECK_SECONDS`.
    """
    settings = _settings.load()
    where = (str(settings.data_dir), settings.corrections_db)
    version = _directory_version(*where)
    if version is None:  # the database cannot be asked now: keep what is loaded
        version = _known_version[0]
    _known_version[0] = version
    return _load_finder(*where, version)


@st.cache_resource(show_spinner=False, max_entries=1)
def _load_finder(data_dir: str, corrections_db: str, version: tuple[object, ...] | None) -> Finder:
    del data_dir, corrections_db, version  # the cache key
    return settle(Finder(overlay=corrections.directory_overlay))


def reload_directory() -> None:
    """Load the directory again on the next run (after an edit made in this process)."""
    _directory_version.clear()
    _load_finder.clear()


@st.cache_resource(show_spinner=False)
def get_districts() -> gpd.GeoDataFrame:
    """District polygons for the maps."""
    return settle(load_districts(get_finder().settings.data_dir))


@st.cache_resource(show_spinner=False)
def get_asset_urls() -> dict[str, str]:
    """Copy Leaflet & co. from their PyPI packages into ``static/vendor`` (once) and return their URLs."""
    return install_static_assets(STATIC_DIR)


def get_map_layers() -> dict[str, str]:
    """Write the map's script, base map and municipality borders into ``static/layers`` (once); their URLs.

    They are the same for every visitor, so each browser fetches them once (content-hashed names) instead
    of receiving them inside every rerun's map.
    """
    return _map_layers(str(get_finder().settings.data_dir))


@st.cache_resource(show_spinner=False)
def _map_layers(data_dir: str) -> dict[str, str]:
    files = install_map_layers(STATIC_DIR, data_dir, get_districts())
    return {name: f.url for name, f in files.items()}


def get_office_layer(lang: str, labels: dict[str, str]) -> tuple[str, tuple[str, ...]]:
    """All listed offices as the landing map's layer file in ``lang``; its URL and the kinds in it.

    Written once per process, language and directory (an accepted edit makes a new file).
    """
    finder = get_finder()
    return _office_layer(id(finder), len(finder.offices), lang, tuple(sorted(labels.items())))


@st.cache_resource(show_spinner=False, max_entries=32)
def _office_layer(
    finder_id: int, count: int, lang: str, labels: tuple[tuple[str, str], ...]
) -> tuple[str, tuple[str, ...]]:
    del finder_id, count  # only part of the cache key: a reloaded directory is another file
    finder = get_finder()
    offices = finder.offices[finder.offices["id"].isin(finder.index.ids[finder.index.active])]
    layer = office_layer(offices, dict(labels), rtl=i18n.is_rtl(lang))
    url = write_layer(STATIC_DIR, f"offices-{lang}", layer).url
    return url, tuple(dict.fromkeys(str(k) for k in offices["kind"] if str(k)))


@st.cache_resource(show_spinner=False, max_entries=64)
def get_neighbours(lang: str, data_dir: str) -> list[dict[str, Any]]:
    """The states and countries around Saxony; country names in ``lang`` (states keep their own names)."""
    return neighbours(data_dir, lang)


def now() -> dt.datetime:
    """The instant a page shows opening hours at; read once per run, so every card and filter agree.

    ``FINDER_NOW`` (:attr:`finder.settings.Settings.now`) fixes it for demonstrations and browser tests;
    the page tests monkeypatch this function.
    """
    return get_finder().settings.instant()


# --------------------------------------------------------------------------------------------------
# View state


def browser_language() -> str:
    """The interface language the browser asks for, if we have it; else German."""
    try:
        locale = st.context.locale
    except Exception:
        locale = None
    return i18n.resolve_language(locale)


def ensure_view() -> urlstate.ViewState:
    """The current view; on the first run of a session it is read from the URL.

    Invalid URL parameters are dropped; their names are kept in ``BOOT_NOTICE_KEY`` so the page can say
    so once (until the view changes).
    """
    view = st.session_state.get(VIEW_KEY)
    if isinstance(view, urlstate.ViewState):
        return view
    state, invalid = urlstate.parse_params(st.query_params.to_dict())
    if state.lang is None:
        state = dataclasses.replace(state, lang=browser_language())
    st.session_state[VIEW_KEY] = state
    st.session_state[BOOT_NOTICE_KEY] = (state, invalid)
    return state


def set_view(**changes: Any) -> urlstate.ViewState:
    """Change fields of the view (safe inside widget callbacks)."""
    view = dataclasses.replace(ensure_view(), **changes)
    st.session_state[VIEW_KEY] = view
    return view


def current_lang() -> str:
    """The interface language of this session."""
    return i18n.resolve_language(ensure_view().lang)


def write_url(params: dict[str, str]) -> None:
    """Make the address bar show ``params`` (only if it does not already)."""
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)


def base_url() -> str:
    """The app's address as the browser sees it (for share links and QR codes)."""
    try:
        url = st.context.url
    except Exception:
        url = None
    if url:
        return url
    port = st.get_option("server.port") or 8501
    return f"http://localhost:{port}/"


def map_click_action(
    value: object, handled: dict[str, Any], frame: pd.DataFrame | None, current_office: str | None
) -> tuple[str, Any] | None:
    """What a map click means: ``("office", id)``, ``("place", (lat, lon))`` or None (nothing new).

    streamlit-folium reports a marker click only as a position (``last_object_clicked``); the marker's
    offices are found with :func:`finder.map.offices_at`. A click on a district outline is reported as an
    object click *and* a map click: it sets the place. ``handled`` remembers the clicks already acted on
    (it is updated here), so a rerun never acts on the same click twice.

    Parameters
    ----------
    value
        The component's value: ``{"last_object_clicked": {"lat", "lng"} | None, "last_clicked": ...}``.
    handled
        The last handled clicks (``{"obj": ..., "clicked": ...}``); changed in place.
    frame
        The offices on the map (``id``, ``lat``, ``lon``).
    current_office
        The selected office: a second click on a marker of several offices moves on to the next one.
    """
    if not isinstance(value, dict):
        return None
    obj, clicked = value.get("last_object_clicked"), value.get("last_clicked")
    if isinstance(obj, dict) and obj != handled.get("obj"):
        handled["obj"] = obj
        ids = offices_at(frame, obj.get("lat"), obj.get("lng")) if frame is not None else []
        if ids:
            handled["clicked"] = clicked
            following = ids[(ids.index(current_office) + 1) % len(ids)] if current_office in ids else ids[0]
            return ("office", following)
    if isinstance(clicked, dict) and clicked != handled.get("clicked"):
        handled["clicked"] = clicked
        at = urlstate.parse_at(f"{clicked.get('lat')},{clicked.get('lng')}")
        if at is not None:
            return ("place", at)
    return None


# --------------------------------------------------------------------------------------------------
# Page chrome


def esc(value: object) -> str:
    """HTML-escape any value for ``unsafe_allow_html`` markdown and ``st.html`` (None → '').

    Line breaks become character references too: ``st.markdown`` reads HTML only up to a blank line, so a
    value with one (directory fields may have several lines) would let Markdown read the rest of the card,
    links and images included. For Markdown text use :func:`ui.safe_text.md` instead.
    """
    text = html.escape("" if value is None else str(value), quote=True)
    return text.replace("\r", "&#13;").replace("\n", "&#10;")


def isolate(text: str) -> str:
    """On right-to-left pages, isolate left-to-right data (place names) inside a translated sentence.

    Without it "Leipzig: 10" is laid out as one left-to-right run and the number jumps to the wrong side.
    """
    return i18n.bidi_isolate(text) if i18n.is_rtl(current_lang()) else text


def page_style(lang: str, extra_css: str = "") -> None:
    """Inject the page CSS: card layout, right-to-left layout for Arabic and Persian, ``extra_css``."""
    st.html(f"<style>{style.page_css(lang, extra_css)}</style>")


def _on_language_change() -> None:
    set_view(lang=i18n.resolve_language(st.session_state.get(LANG_KEY)))


def language_selector(lang: str) -> str:
    """The interface-language selector (endonyms; labelled in the current language and in English)."""
    if st.session_state.get(LANG_KEY) != lang:
        st.session_state[LANG_KEY] = lang
    label = i18n.t("app.page_language", lang)
    if lang != "en":
        label += " · Language"
    return st.selectbox(
        f"🌐 {label}",
        options=list(i18n.LANGUAGES),
        format_func=lambda code: i18n.LANGUAGES.get(code, code),
        key=LANG_KEY,
        on_change=_on_language_change,
    )


def page_heading(title: str, lang: str, caption: str = "") -> None:
    """The page's title (and a caption under it) with the language selector to its right."""
    head = st.columns([3, 1], vertical_alignment="bottom")
    head[0].title(title)
    if caption:
        head[0].caption(caption)
    with head[1]:
        language_selector(lang)


# --------------------------------------------------------------------------------------------------
# "Use my location": a tiny inline component (Streamlit's components v2: the script is sent by our own
# server with the page, no extra package and no CDN). The browser asks the person for permission; the
# position goes only to this server, and only after the button is pressed.

# Hidden until the script has given it its label in the page's language: a button without a name must
# never be on the page, not even for the moment before the script runs (axe found it there).
_GEOLOCATE_HTML = (
    '<button type="button" class="geo" hidden>'
    '<span aria-hidden="true">📍</span> <span class="label"></span></button>'
)
_GEOLOCATE_CSS = """
.geo { font: inherit; font-size: 1rem; padding: .4rem .75rem; min-height: 2.5rem; cursor: pointer;
  border-radius: .5rem; border: 1px solid var(--st-border-color, rgba(49, 51, 63, .2));
  background: var(--st-secondary-background-color, #f0f2f6); color: var(--st-text-color, inherit); }
.geo:hover { border-color: var(--st-primary-color, #ff4b4b); }
.geo:focus-visible { outline: 3px solid var(--st-primary-color, #ff4b4b); outline-offset: 2px; }
.geo[disabled] { opacity: .6; cursor: progress; }
"""
_GEOLOCATE_JS = """
export default function (component) {
  const { data, setTriggerValue, parentElement } = component;
  const button = parentElement.querySelector("button.geo");
  if (!button) { return; }
  button.querySelector(".label").textContent = (data && data.label) || "Use my location";
  button.title = (data && data.help) || "";
  button.setAttribute("aria-label", (data && data.label) || "Use my location");
  button.hidden = false;
  button.onclick = () => {
    if (!("geolocation" in navigator)) { setTriggerValue("failed", "unsupported"); return; }
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        button.disabled = false;
        setTriggerValue("located", { lat: pos.coords.latitude, lon: pos.coords.longitude,
                                     accuracy: pos.coords.accuracy });
      },
      (err) => { button.disabled = false; setTriggerValue("failed", String(err && err.code)); },
      { enableHighAccuracy: false, timeout: 20000, maximumAge: 300000 }
    );
  };
}
"""

GEOLOCATE = components_v2.component(
    "beratungsfinder.geolocate", html=_GEOLOCATE_HTML, css=_GEOLOCATE_CSS, js=_GEOLOCATE_JS
)
