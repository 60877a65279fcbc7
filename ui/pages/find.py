"""Find help: where am I, what do I need → the nearest offices as a list and a map, shareable.

The page only arranges widgets and output; searching, geocoding, URL state and the map are the
``finder`` package's. Everything the person chooses lives in the view state (``finder.urlstate.ViewState``),
which is mirrored into the URL at the end of every run.

Stable widget keys (for tests and links): ``ui_lang``, ``place_text`` (in form ``where_form``, submit
``place_submit``), ``geolocate``, ``place_pick``, ``topics``, ``languages``, ``age``, ``distance``,
``open``, ``kinds``, ``reset_filters``, ``tiles``, ``map``, ``clear_selection``, ``handout``; office cards
are containers ``result-<id>``, ``responsible-<id>``, ``statewide-<id>``, ``selected-<id>`` with buttons
``show-<section>-<id>`` (and ``show-nearest_stated-<id>`` beside the line naming the nearest office that
states the requested language).

Opening hours are shown, and the ``open`` filter applied, at one instant per run (:func:`ui.resources.now`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import time
from urllib.parse import urlsplit

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from finder import handout, i18n, share, urlstate
from finder.core import Finder, LocateError, Place
from finder.map import build_map, map_payload_bytes
from finder.rules import MAX_AGE, MAX_LIMIT, MAX_QUERY_LENGTH
from finder.vocab import ISO_639_1, KINDS, OPEN_FILTERS, TOPICS
from ui import cards, office_lists
from ui import resources as res
from ui.safe_text import md

#: The "Distance" choices as ``"<radius km>:<at most N>"`` (empty radius: no radius), see
#: :func:`distance_choice`.
DISTANCE_CHOICES: tuple[str, ...] = (":5", ":10", ":20", "5:50", "10:50", "25:50", "50:50")
#: Languages of counselling offered besides those in the directory (common among newcomers to Saxony).
EXTRA_LANGUAGES: tuple[str, ...] = (
    "de", "en", "uk", "ru", "ar", "fa", "tr", "vi", "fr", "es", "ps", "ti", "ku", "so", "sq", "ro", "pl",
    "bg", "sr", "hr", "bs", "ur", "hi", "zh", "ka", "hy", "az", "it", "pt", "hu", "cs", "ku",
)  # fmt: skip
MAP_HEIGHT = 450
#: Filter widget keys and their "empty" values (for seeding and "Reset filters").
FILTER_DEFAULTS: dict[str, object] = {"topics": [], "languages": [], "kinds": [], "age": None, "open": None}

WIDGETS_SEEDED = "_widgets_seeded"
MAP_FRAME_KEY = "_map_frame"
MAP_HANDLED_KEY = "_map_handled"
MAP_SIGNATURE_KEY = "_map_signature"
GEO_MESSAGE_KEY = "_geo_message"
TOPIC_NOTICE_KEY = "_topic_notice"
CANDIDATES_KEY = "_candidates"
#: Decimals kept of a position from the device or a map click (3: about 100 m).
PLACE_DECIMALS = 3


def t(key: str, **kwargs: object) -> str:
    """Translate into the session's interface language."""
    return i18n.t(key, res.current_lang(), **kwargs)


# --------------------------------------------------------------------------------------------------
# Callbacks: they run before the script, so they may set other widgets' values.


def _coarse(at: tuple[float, float] | None) -> tuple[float, float] | None:
    """Round a device or map position to about 100 m.

    That is enough to find the nearest offices, and a shared link does not give away someone's door.
    """
    if at is None:
        return None
    return (round(at[0], PLACE_DECIMALS), round(at[1], PLACE_DECIMALS))


def _choose_place(*, q: str = "", at: tuple[float, float] | None = None) -> None:
    res.set_view(q=q, at=at, office=None)
    st.session_state["place_text"] = q
    st.session_state.pop("place_pick", None)


def _on_place_submit() -> None:
    text = " ".join(str(st.session_state.get("place_text") or "").split())[:MAX_QUERY_LENGTH]
    topic = _topic_typed_as_place(text)
    if topic is None:
        _choose_place(q=text)
        return
    # "Asyl" in the place box: choose that topic, keep the place (if any) and say what happened.
    view = res.ensure_view()
    topics = tuple(code for code in TOPICS if code in {*view.topics, topic})
    st.session_state["topics"] = list(topics)
    st.session_state["place_text"] = view.q or ""
    st.session_state[TOPIC_NOTICE_KEY] = (text, topic)
    res.set_view(topics=topics)


def _topic_typed_as_place(text: str) -> str | None:
    """The topic someone typed where we ask for a place, unless it is also a place we know."""
    if not text or res.get_finder().gazetteer.search(text):
        return None
    return i18n.topic_named(text)


def _on_place_pick() -> None:
    choice = st.session_state.get("place_pick")
    candidates = st.session_state.get(CANDIDATES_KEY) or []
    if isinstance(choice, int) and 0 <= choice < len(candidates):
        label, lat, lon = candidates[choice]
        _choose_place(q=label, at=urlstate.parse_at(f"{lat},{lon}"))


def _on_located() -> None:
    value = (st.session_state.get("geolocate") or {}).get("located") or {}
    at = urlstate.parse_at(f"{value.get('lat')},{value.get('lon')}") if isinstance(value, dict) else None
    at = _coarse(at)
    if at is None:
        st.session_state[GEO_MESSAGE_KEY] = "find.locate_failed"
        return
    st.session_state.pop(GEO_MESSAGE_KEY, None)
    _choose_place(at=at)


def _on_locate_failed() -> None:
    st.session_state[GEO_MESSAGE_KEY] = "find.locate_failed"


def distance_choice(radius: float | None, limit: int) -> str:
    """The "Distance" option for a radius and a limit (``"25:50"``, ``":10"``)."""
    return f"{urlstate.format_radius(radius) if radius is not None else ''}:{limit}"


def parse_distance_choice(choice: object) -> tuple[float | None, int]:
    """(radius, limit) of a "Distance" option; anything unexpected gives the defaults."""
    state, _ = urlstate.parse_params(dict(zip(("radius", "limit"), str(choice).split(":"), strict=False)))
    return state.radius, state.limit


def _on_filter_change() -> None:
    radius, limit = parse_distance_choice(st.session_state.get("distance"))
    res.set_view(
        topics=tuple(st.session_state.get("topics") or ()),
        languages=tuple(st.session_state.get("languages") or ()),
        kinds=tuple(st.session_state.get("kinds") or ()),
        age=st.session_state.get("age"),
        radius=radius,
        limit=limit,
        open=st.session_state.get("open") if st.session_state.get("open") in OPEN_FILTERS else None,
    )


def _on_reset_filters() -> None:
    for key, value in FILTER_DEFAULTS.items():
        st.session_state[key] = value
    st.session_state["distance"] = distance_choice(None, urlstate.DEFAULT_LIMIT)
    _on_filter_change()


def _on_map_change() -> None:
    """A click on a marker selects its office; a click elsewhere on the map sets the place."""
    handled = st.session_state.setdefault(MAP_HANDLED_KEY, {})
    action = res.map_click_action(
        st.session_state.get("map"), handled, st.session_state.get(MAP_FRAME_KEY), res.ensure_view().office
    )
    if action is None:
        return
    kind, value = action
    if kind == "office":
        office_lists.select_office(value)
    else:
        _choose_place(at=_coarse(value))


# --------------------------------------------------------------------------------------------------
# Place


def _saxony_first(place: Place) -> tuple[Place, list[Place]]:
    """The place and its alternatives, places in Saxony first (this service covers Saxony)."""
    candidates = [dataclasses.replace(place, alternatives=()), *place.alternatives]
    candidates.sort(key=lambda p: not p.in_saxony)
    return candidates[0], candidates[1:]


def resolve_place(finder: Finder, view: urlstate.ViewState) -> tuple[Place | None, list[Place], str | None]:
    """The person's place, other candidates for ambiguous text, and a message if nothing was found."""
    if view.at is not None:
        try:
            place = finder.place_at(*view.at)
        except LocateError:
            return None, [], t("results.not_found", query=md(urlstate.format_at(view.at)))
        if view.q:
            place = dataclasses.replace(place, label=view.q, query=view.q)
        return place, [], None
    if view.q:
        try:
            place = finder.locate(view.q)
        except LocateError:
            return None, [], t("results.not_found", query=md(view.q))
        best, others = _saxony_first(place)
        return best, others, None
    return None, [], None


# --------------------------------------------------------------------------------------------------
# Rendering helpers


def _seed_widgets(view: urlstate.ViewState) -> None:
    """Give the widgets the view's values when they are (re)created (first run, back from another page)."""
    seeds: dict[str, object] = {
        "place_text": view.q,
        "topics": list(view.topics),
        "languages": list(view.languages),
        "kinds": list(view.kinds),
        "age": view.age,
        "distance": distance_choice(view.radius, view.limit),
        "open": view.open,
    }
    for key, value in seeds.items():
        if key not in st.session_state:
            st.session_state[key] = value


def _distance_label(choice: str, lang: str) -> str:
    radius, limit = parse_distance_choice(choice)
    parts = []
    if radius is not None:
        km = i18n.format_number(radius, lang, 1 if radius % 1 else 0)
        parts.append(i18n.t("find.distance_within", lang, km=km))
    if radius is None or limit != MAX_LIMIT:
        parts.append(i18n.t("find.distance_nearest", lang, n=limit))
    return ", ".join(parts)


def _language_options(finder: Finder, lang: str) -> list[str]:
    in_data = {c for cell in finder.offices["languages"] for c in str(cell).split(";") if c}
    codes = (in_data | set(EXTRA_LANGUAGES)) & ISO_639_1
    return sorted(codes, key=lambda c: i18n.language_name(c, lang).casefold())


def _language_option_label(code: str, lang: str) -> str:
    name, own = i18n.language_name(code, lang), i18n.language_name(code, code)
    return name if own in (name, code) else f"{name} · {own}"


def _map_labels(lang: str) -> dict[str, str]:
    labels = {k: i18n.kind_label(k, lang) for k in KINDS}
    labels.update(
        legend=i18n.t("map.legend_title", lang),
        approximate=i18n.t("map.approximate", lang),
        approximate_legend=i18n.t("map.approximate_legend", lang),
        several=i18n.t("map.several", lang),
        n_offices=i18n.t("map.n_offices", lang),
        origin=i18n.t("map.you_are_here", lang),
    )
    return labels


def _on_tiles_change() -> None:
    res.set_view(tiles=st.session_state.get("tiles") or None)


def tile_choice(view: urlstate.ViewState) -> tuple[str, str]:
    """The map background: none unless the person picks a provider (remembered in the URL as ``tiles``).

    ``FINDER_TILE_URL`` (tiles the operator runs or chose) is used without asking. Each provider is named
    with what it receives.
    """
    settings = res.get_finder().settings
    if settings.tile_url:
        return settings.tile_url, settings.tile_attribution
    providers = {p.key: p for p in settings.tile_providers}
    if not providers:
        return "", ""
    options = ["", *providers]
    chosen = view.tiles if view.tiles in providers else ""
    if st.session_state.get("tiles") not in options or st.session_state.get("tiles") != chosen:
        st.session_state["tiles"] = chosen
    names = {"": t("map.tiles_none"), **{key: p.name for key, p in providers.items()}}
    choice = st.selectbox(
        t("map.tiles_label"),
        options=options,
        format_func=names.__getitem__,
        key="tiles",
        on_change=_on_tiles_change,
    )
    provider = providers.get(choice or "")
    if provider is None:
        return "", ""
    host = urlsplit(provider.origin).netloc
    st.caption(f"🔓 {t('map.tiles_receives', provider=md(provider.name), host=md(host))}")
    return provider.url, provider.attribution


def render_map(map_frame: pd.DataFrame, place: Place | None, view: urlstate.ViewState) -> None:
    """The map (same offices as the lists); a click sets the place or selects an office.

    Before a place is chosen it shows every office, clustered (a static file per language), for browsing.
    """
    lang = res.current_lang()
    settings = res.get_finder().settings
    tile_url, attribution = tile_choice(view)
    origin = (place.lat, place.lon) if place is not None else None
    labels = _map_labels(lang)
    browse_url, browse_kinds, click_frame = None, (), map_frame
    if place is None:
        browse_url, browse_kinds = res.get_office_layer(lang, labels)
        finder = res.get_finder()
        click_frame = finder.offices[finder.offices["id"].isin(_listed_ids(finder))]
    m = build_map(
        map_frame,
        layer_urls=res.get_map_layers(),
        browse_url=browse_url,
        browse_kinds=browse_kinds,
        neighbours=res.get_neighbours(lang, str(settings.data_dir)),
        origin=origin,
        origin_label=place.label if place is not None else "",
        origin_precision=place.precision if place is not None else "",
        selected_id=view.office,
        labels=labels,
        lang=lang,
        tile_url=tile_url,
        tile_attribution=attribution,
        asset_urls=res.get_asset_urls(),
        rtl=i18n.is_rtl(lang),
    )
    signature = (tuple(map_frame["id"]), origin, view.office, lang, tile_url)
    if st.session_state.get(MAP_SIGNATURE_KEY) != signature:
        # A new map starts with no clicks: forget the last handled click so the same spot works again.
        st.session_state[MAP_SIGNATURE_KEY] = signature
        st.session_state[MAP_HANDLED_KEY] = {}
    st.session_state[MAP_FRAME_KEY] = click_frame[["id", "lat", "lon"]]
    if settings.measure:
        st.session_state["_map_bytes"] = map_payload_bytes(m)
    st_folium(
        m,
        key="map",
        height=MAP_HEIGHT,
        use_container_width=True,
        returned_objects=["last_object_clicked", "last_clicked"],
        on_change=_on_map_change,
    )
    if not tile_url:
        st.caption(t("map.no_tiles_note"))


def _handout(
    place: Place | None, results: pd.DataFrame, responsible: pd.DataFrame, url: str, lang: str
) -> str:
    return handout.handout_html(
        place,
        results,
        url,
        lang,
        responsible=responsible,
        districts=res.get_districts(),
        stale_after_days=res.get_finder().settings.stale_after_days,
    )


def render_share(
    view: urlstate.ViewState, place: Place | None, results: pd.DataFrame, responsible: pd.DataFrame
) -> None:
    """Copy link, QR code and the printable handout."""
    lang = res.current_lang()
    url = urlstate.share_url(res.base_url(), view)
    with st.expander(f"🔗 {t('share.button')}", key="share"):
        st.markdown(f"**{res.esc(t('share.copy_link'))}**")
        st.code(url, language=None, wrap_lines=True)
        st.image(share.qr_png(url), caption=t("share.qr_help"), width=200)
        st.download_button(
            t("print.button"),
            data=functools.partial(_handout, place, results, responsible, url, lang),
            file_name=f"beratungsfinder-{dt.date.today().isoformat()}.html",
            mime="text/html",
            key="handout",
            icon="🖨️",
            on_click="ignore",
            help=t("print.help"),
        )


# --------------------------------------------------------------------------------------------------
# The page


def _listed_ids(finder: Finder) -> set[str]:
    """Ids of the offices the page may show: a closed office is never found, nor selected by a link."""
    return set(finder.index.ids[finder.index.active])


def _notices(view: urlstate.ViewState, finder: Finder) -> urlstate.ViewState:
    boot_view, invalid = st.session_state.get(res.BOOT_NOTICE_KEY) or (None, [])
    if view.office and view.office not in _listed_ids(finder):
        invalid = [*invalid, "office"]
        st.session_state[res.BOOT_NOTICE_KEY] = (dataclasses.replace(view, office=None), invalid)
        view = boot_view = res.set_view(office=None)
    if invalid and view == boot_view:
        st.warning(t("results.params_reset", names=", ".join(invalid)), icon="ℹ️")
    return view


def where_section(place: Place | None, candidates: list[Place], error: str | None) -> None:
    """Place: text box, "use my location", candidates for ambiguous text."""
    settings = res.get_finder().settings
    with st.form("where_form", border=False, enter_to_submit=True):
        cols = st.columns([4, 1], vertical_alignment="bottom")
        cols[0].text_input(
            t("find.where_label"),
            key="place_text",
            placeholder=t("find.where_placeholder"),
            help=t("find.where_help"),
            max_chars=MAX_QUERY_LENGTH,
            autocomplete="off",
        )
        cols[1].form_submit_button(
            t("find.search_button"), key="place_submit", icon="🔎", on_click=_on_place_submit, width="stretch"
        )
    cols = st.columns([2, 3], vertical_alignment="center")
    with cols[0]:
        res.GEOLOCATE(
            key="geolocate",
            data={"label": t("find.locate_button"), "help": t("find.locate_help")},
            on_located_change=_on_located,
            on_failed_change=_on_locate_failed,
        )
    cols[1].caption(t("find.or_tap_map"))
    if settings.online:
        host = urlsplit(settings.geocoder_url).netloc or "nominatim.openstreetmap.org"
        st.caption(f"🔒 {t('privacy.online', service=host)}")
    else:
        st.caption(f"🔒 {t('privacy.offline')}")
    if st.session_state.get(GEO_MESSAGE_KEY):
        st.warning(t(st.session_state[GEO_MESSAGE_KEY]), icon="📍")
    notice = st.session_state.pop(TOPIC_NOTICE_KEY, None)
    if notice:
        typed, topic = notice
        st.info(
            t(
                "find.topic_typed",
                query=md(res.isolate(typed)),
                topic=i18n.topic_label(topic, res.current_lang()),
            ),
            icon="💡",
        )
    if error:
        st.error(error, icon="🔎")
    if place is not None and candidates:
        options = [(p.label, p.lat, p.lon) for p in (place, *candidates)]
        st.session_state[CANDIDATES_KEY] = options
        st.session_state["place_pick"] = 0
        st.radio(
            t("find.did_you_mean"),
            options=range(len(options)),
            format_func=lambda i: md(options[i][0]),
            key="place_pick",
            on_change=_on_place_pick,
        )


def filter_section(finder: Finder, view: urlstate.ViewState) -> None:
    """What do I need: topics, language, age, distance; kinds under "More filters"."""
    lang = res.current_lang()
    st.pills(
        t("find.topics_label"),
        options=list(TOPICS),
        selection_mode="multi",
        format_func=lambda c: f"{i18n.topic_icon(c)} {i18n.topic_label(c, lang)}",
        key="topics",
        on_change=_on_filter_change,
    )
    cols = st.columns(3)
    language_options = _language_options(finder, lang)
    st.session_state["languages"] = [
        c for c in st.session_state.get("languages", []) if c in language_options
    ]
    cols[0].multiselect(
        t("find.language_label"),
        options=language_options,
        format_func=functools.partial(_language_option_label, lang=lang),
        key="languages",
        placeholder=t("find.language_placeholder"),
        help=t("find.language_help"),
        on_change=_on_filter_change,
    )
    cols[1].number_input(
        f"{t('find.age_label')} ({t('find.optional')})",
        min_value=0,
        max_value=MAX_AGE,
        step=1,
        value=None,
        key="age",
        placeholder=t("age.any"),
        help=t("find.age_help"),
        on_change=_on_filter_change,
    )
    choices = list(DISTANCE_CHOICES)
    if distance_choice(view.radius, view.limit) not in choices:
        choices.append(distance_choice(view.radius, view.limit))
    cols[2].selectbox(
        t("find.distance_label"),
        options=choices,
        format_func=functools.partial(_distance_label, lang=lang),
        key="distance",
        on_change=_on_filter_change,
    )
    st.segmented_control(
        t("find.open_label"),
        options=list(OPEN_FILTERS),
        format_func=lambda c: i18n.t(f"find.open_{c}", lang),
        key="open",
        help=t("find.open_help"),
        on_change=_on_filter_change,
    )
    with st.expander(t("find.more_filters"), key="more_filters", expanded=bool(view.kinds)):
        st.multiselect(
            t("find.kind_label"),
            options=list(KINDS),
            format_func=lambda k: i18n.kind_label(k, lang),
            key="kinds",
            placeholder=t("find.kind_placeholder"),
            on_change=_on_filter_change,
        )
        st.button(t("find.reset_filters"), key="reset_filters", on_click=_on_reset_filters)


def main() -> None:
    """Draw the page."""
    started = time.perf_counter()
    finder = res.get_finder()
    view = res.ensure_view()
    lang = res.current_lang()
    _seed_widgets(view)

    selected_css = ""
    if view.office:
        # Highlight the selected office's card wherever it is listed (ids are slugs: safe in a selector).
        selected_css = "".join(
            f".st-key-{section}-{view.office} {{ outline: 3px solid #1b62d6; outline-offset: 2px; }}"
            for section in ("result", "responsible", "statewide")
        )
    res.page_style(lang, selected_css)

    res.page_heading(t("app.title"), lang, caption=t("app.subtitle"))
    view = _notices(view, finder)
    if lang != "de":
        st.caption(f"ℹ️ {t('results.german_notice')}")

    place, candidates, error = resolve_place(finder, view)
    where_section(place, candidates, error)
    filter_section(finder, view)
    view = res.ensure_view()

    at = res.now()  # one instant for every card and the open filter of this run
    filters = {
        "topics": view.topics, "languages": view.languages, "kinds": view.kinds, "age": view.age,
        "open": view.open, "at": at,
    }  # fmt: skip
    nearest_stated = online = finder.offices.iloc[0:0]
    if place is not None:
        results = finder.nearest(place, limit=view.limit, radius_km=view.radius, **filters)
        responsible = finder.responsible(place)
        if view.languages:
            nearest_stated = finder.nearest_stated(place, limit=view.limit, radius_km=view.radius, **filters)
            online = finder.online_in_language(**filters)
    else:
        results = finder.offices.iloc[0:0]
        responsible = finder.offices.iloc[0:0]
    statewide = finder.statewide(**filters)
    selected_row = (
        finder.offices[finder.offices["id"] == view.office] if view.office else finder.offices.iloc[0:0]
    )

    if place is not None:
        district = f" ({place.district})" if place.district and place.district not in place.label else ""
        label = res.isolate(f"{place.label}{district}")
        st.markdown(f"📍 **{res.esc(t('map.you_are_here'))}:** {md(label)}")
        if not place.in_saxony:
            st.warning(t("results.outside_saxony", place=md(res.isolate(place.label))), icon="🗺️")

    render_share(view, place, results, responsible)

    if place is not None:
        st.header(t("results.responsible_heading"), anchor="responsible")
        if place.district:
            st.markdown(t("results.responsible_district", district=md(res.isolate(place.district))))
        st.caption(f"{t('results.responsible_note')} {t('results.abh_note')}")
        office_lists.render_cards(
            responsible, "responsible", place=place, selected=view.office, columns=2, at=at
        )

    list_col, map_col = st.columns([1, 1], gap="medium")
    with list_col:
        if place is None:
            st.info(t("results.start_hint"), icon="👆")
        else:
            heading = t("results.heading", place=md(res.isolate(place.label)), n=len(results))
            st.header(heading, anchor="results")
            st.caption(t("results.straight_line"))
            if view.open:
                st.caption(f"🕒 {t(f'results.open_note_{view.open}')}")
            if results.empty:
                st.info(t("results.no_match"), icon="🔎")
            office_lists.language_notice(view, results, nearest_stated, online, place)
            office_lists.render_cards(
                results,
                "result",
                place=place,
                selected=view.office,
                numbered=True,
                at=at,
                requested=view.languages,
            )
    with map_col, st.container(key="map_panel"):
        # The map shows what the lists show: before a place is chosen, only a selected office.
        map_frame = results
        extra = pd.concat([responsible, selected_row.drop(columns=["distance_km"], errors="ignore")])
        map_frame = pd.concat([map_frame, extra[~extra["id"].isin(map_frame["id"])]], ignore_index=True)
        render_map(map_frame, place, view)
        if not selected_row.empty:
            st.subheader(f"✔️ {t('results.selected')}", anchor="selected")
            office_lists.render_cards(
                selected_row, "selected", place=place, selected=view.office, buttons=False, at=at,
                requested=view.languages,
            )  # fmt: skip
            st.button(
                t("results.clear_selection"),
                key="clear_selection",
                on_click=office_lists.select_office,
                args=(None,),
            )

    st.header(t("results.statewide_heading"), anchor="statewide")
    st.caption(t("results.statewide_note"))
    office_lists.render_cards(
        statewide, "statewide", place=place, selected=view.office, columns=2, at=at, requested=view.languages
    )

    cards.read_aloud_script()  # once per page: shows each card's read-aloud button where a voice exists
    res.write_url(urlstate.to_params(view))
    st.session_state["_perf_ms"] = round((time.perf_counter() - started) * 1000, 1)


main()
