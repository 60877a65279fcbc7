"""The office lists of the Find page: cards with their buttons, and the language notice above the results.

Each card is :func:`ui.cards.card_html` of :func:`finder.share.office_card`, at the page's one instant
(:func:`ui.resources.now`) and for the languages asked for; the notice names the nearest office that states
the language (:meth:`finder.core.Finder.nearest_stated`) and the statewide and online services that do.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from finder import i18n, share, urlstate
from finder.core import Place
from finder.distance_text import distance_label
from ui import cards
from ui import resources as res
from ui.safe_text import md


def t(key: str, **kwargs: object) -> str:
    """Translate into the session's interface language."""
    return i18n.t(key, res.current_lang(), **kwargs)


def select_office(office_id: str | None) -> None:
    """Select an office (a button callback: the map and the selected card show it)."""
    res.set_view(office=office_id)


def _origin(place: Place | None) -> dict[str, str]:
    """The search place as :func:`finder.distance_text.distance_label` needs it ("in your postcode area")."""
    if place is None:
        return {"origin_precision": "", "origin_label": ""}
    return {"origin_precision": place.precision, "origin_label": place.label}


def render_cards(
    frame: pd.DataFrame,
    section: str,
    *,
    place: Place | None,
    selected: str | None,
    numbered: bool = False,
    buttons: bool = True,
    columns: int = 1,
    at: dt.datetime | None = None,
    requested: tuple[str, ...] = (),
) -> None:
    """Office cards, each in a bordered container keyed ``<section>-<id>`` with a "Show on map" button.

    With ``columns`` > 1 the cards are laid out side by side on wide screens (stacked on phones). ``at``:
    the instant the cards say "open now" for; ``requested``: the languages asked for (each card says
    whether the office states one of them).
    """
    lang = res.current_lang()
    settings = res.get_finder().settings
    where = _origin(place)
    rows = frame.to_dict("records")
    slots = st.columns(columns) if columns > 1 and len(rows) > 1 else [st.container()]
    for i, row in enumerate(rows, start=1):
        card = share.office_card(
            row, lang, stale_after_days=settings.stale_after_days, at=at, requested=requested, **where
        )
        with slots[(i - 1) % len(slots)], st.container(border=True, key=f"{section}-{card.id}"):
            if card.id == selected and section != "selected":
                st.markdown(f"**✔️ {res.esc(t('results.selected'))}**")
            st.markdown(cards.card_html(card, lang, i if numbered else None, section), unsafe_allow_html=True)
            if buttons and card.lat is not None and card.id != selected:
                st.button(
                    t("results.show_on_map"),
                    key=f"show-{section}-{card.id}",
                    icon="📍",
                    on_click=select_office,
                    args=(card.id,),
                )
            # Corrections come from the people who know; the form stores them on this server only.
            st.page_link(
                "ui/pages/report.py",
                label=t("report.button"),
                icon="✏️",
                query_params={"office": card.id, "lang": lang},
            )


def language_notice(
    view: urlstate.ViewState,
    results: pd.DataFrame,
    nearest_stated: pd.DataFrame,
    online: pd.DataFrame,
    place: Place | None = None,
) -> None:
    """What is said above the results for a language.

    The nearest office that states it when no listed one does (or that no office does), and the statewide
    and online services that state it.
    """
    if not view.languages:
        return
    lang = res.current_lang()
    names = [i18n.language_name(c, lang) for c in view.languages]
    any_of = md(i18n.format_list(names, lang, "or"))
    if not nearest_stated.empty:
        office = nearest_stated.iloc[0]
        km = distance_label(office, lang, **_origin(place))
        every = md(i18n.format_list(names, lang))  # it states every requested language
        name = md(res.isolate(str(office["name"])))
        distance = md(res.isolate(km))  # it may name a town from the data
        st.info(t("results.nearest_stated", languages=every, name=name, distance=distance), icon="🗣️")
        office_id = str(office["id"])
        if office_id != view.office:
            st.button(
                t("results.show_on_map"),
                key=f"show-nearest_stated-{office_id}",
                icon="📍",
                on_click=select_office,
                args=(office_id,),
            )
    elif not results.empty and not (results["language_match"] == "stated").any():
        st.info(t("results.none_stated", languages=any_of), icon="🗣️")
    if not online.empty:
        services = i18n.format_list([md(res.isolate(str(n))) for n in online["name"]], lang)
        st.info(t("results.online_in_language", languages=any_of, services=services), icon="🌐")
