"""The review page's "Verification round" tab: state per office, coverage, the offices' answers, revoking.

Rounds are planned and their letters written on the server (``finder outreach plan``); here maintainers
follow them, accept or reject an office's whole answer (each field can still be adjusted before
accepting) and revoke a link. Everything an office typed is shown as plain text (tables, ``st.code``,
``st.text``) or escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import streamlit as st

from finder import corrections
from finder import settings as _settings
from finder.outreach.plan import status_tables
from finder.outreach.store import OutreachStore, notes_line
from ui.safe_text import md

__all__ = ["render_outreach_tab"]


def render_outreach_tab(
    outreach: OutreachStore,
    editor: corrections.DirectoryEditor,
    rows: Mapping[str, Mapping[str, str]],
    user: str,
    *,
    t: Callable[..., str],
    flash: Callable[..., None],
    refresh: Callable[[], None],
) -> None:
    """Draw the tab (``t``, ``flash`` and ``refresh`` are the review page's own helpers)."""
    st.caption(t("review.outreach.plan_help"))
    settings = _settings.load()
    states, shares = status_tables(corrections.load_directory(settings, outreach.store), outreach)
    if states.empty:
        st.info(t("review.outreach.no_rounds"))
    else:
        st.subheader(t("review.outreach.states"))
        counts = states["state"].value_counts()
        st.text(t("review.outreach.counts", counts=", ".join(f"{k} {v}" for k, v in counts.items())))
        st.dataframe(states, hide_index=True, key="outreach-states")
    st.subheader(t("review.outreach.coverage"))
    st.dataframe(shares, hide_index=True, key="outreach-coverage")
    _answers(outreach, editor, rows, user, t=t, flash=flash, refresh=refresh)
    live = sorted({link.office_id for link in outreach.links() if link.live(outreach.store.clock())})
    if live:
        st.subheader(t("review.outreach.revoke_heading"))
        office = st.selectbox(t("review.office"), options=live, key="outreach-revoke-office")
        if st.button(t("review.outreach.revoke"), key="outreach-revoke"):
            n = outreach.revoke(str(office))
            flash("success", t("review.outreach.revoked", office=md(office), n=n))
            st.rerun()


def _answers(
    outreach: OutreachStore,
    editor: corrections.DirectoryEditor,
    rows: Mapping[str, Mapping[str, str]],
    user: str,
    *,
    t: Callable[..., str],
    flash: Callable[..., None],
    refresh: Callable[[], None],
) -> None:
    st.subheader(t("review.outreach.answers"))
    items = {a.id: a for a in outreach.answers("open")}
    if not items:
        st.info(t("review.outreach.no_answers"))
        return
    chosen = st.selectbox(
        t("review.outreach.answer"),
        options=list(items),
        format_func=lambda i: f"#{i} · {items[i].office_id} · {items[i].created_at:%Y-%m-%d}",
        key="outreach-answer",
    )
    item = items[chosen]
    current: Mapping[str, Any] = rows.get(item.office_id, {})
    st.text(t("review.outreach.from_office", time=f"{item.created_at:%Y-%m-%d %H:%M} UTC"))
    table = pd.DataFrame(
        [(c, current.get(c, ""), v) for c, v in item.changes.items()],
        columns=[t("review.col.field"), t("review.col.old"), t("review.col.new")],
    )
    st.dataframe(table, hide_index=True, key=f"outreach-answer-{chosen}")
    extra = notes_line(item)
    if extra:
        st.text(t("review.outreach.extra"))
        st.code(extra, language=None, wrap_lines=True)
    if item.extra.get("note"):
        st.text(t("verify.field.note"))
        st.code(item.extra["note"], language=None, wrap_lines=True)
    with st.form(f"outreach-decide-{chosen}"):
        values = {
            c: st.text_input(c, value=v, key=f"outreach-{chosen}-{c}") or "" for c, v in item.changes.items()
        }
        accept = st.form_submit_button(t("review.outreach.accept"), disabled=not current)
        reject = st.form_submit_button(t("review.reject"))
    if accept:
        changes = corrections.with_new_position(current, values, _settings.load().data_dir)
        try:
            change = outreach.accept(chosen, editor, by=user, changes=changes)
        except corrections.CorrectionError as exc:
            st.error(t("review.not_saved"))
            st.text(str(exc))
            return
        flash("success", t("review.outreach.accepted", n=chosen, change=change.id))
        refresh()
        st.rerun()
    if reject:
        try:
            outreach.reject(chosen, by=user)
        except corrections.CorrectionError as exc:
            st.error(t("review.not_rejected"))
            st.text(str(exc))
            return
        flash("success", t("review.outreach.rejected", n=chosen))
        st.rerun()
