"""Maintainer page: review suggested corrections, confirm entries, see and revert every change.

Closed unless an operator configured a password in ``.streamlit/secrets.toml``: ``review_password``
(shared; each maintainer types their name for the history) and/or a table of personal passwords::

    review_password = "a long random secret"
    [review_users]
    anna = "another long random secret"

There is no default password. Repeated wrong passwords lock the client's address out for a while
(reloads and new browsers do not help; other addresses are never locked); see :mod:`finder.auth`.
Everything typed by the public is shown as plain text (tables, ``st.text``, ``st.code``), never as
Markdown or HTML.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from finder import auth, corrections, freshness, i18n
from finder import settings as _settings
from finder.directory import OFFICE_COLUMNS
from ui import resources as res
from ui.report_form import client_key, get_store
from ui.safe_text import md

logger = logging.getLogger(__name__)

_LONG = ("notes", "opening_hours", "target_group_original", "source_url")
_EDITABLE = tuple(c for c in OFFICE_COLUMNS if c != "id")
#: Widget key of the password field, and where the sign-in button puts the typed password for one run.
PASSWORD_KEY = "review-password"
_TYPED_KEY = "_review_typed_password"


def _secrets() -> tuple[object, dict[str, object]]:
    try:
        password = st.secrets.get("review_password")
        users = st.secrets.get("review_users")
    except Exception:  # no secrets file at all: the page stays closed
        logger.debug("no secrets", exc_info=True)
        return None, {}
    return password, ({str(k): v for k, v in dict(users).items()} if isinstance(users, Mapping) else {})


def _flash(kind: str, title: str, detail: str = "") -> None:
    st.session_state["review_flash"] = (kind, title, detail)


def _show_flash() -> None:
    item = st.session_state.pop("review_flash", None)
    if item:
        kind, title, detail = item
        getattr(st, kind)(title)
        if detail:
            st.text(detail)


def _refresh_app() -> None:
    """Make the public pages load the changed directory."""
    try:
        from ui.resources import reload_directory  # noqa: PLC0415 - the app's cached Finder, if there is one

        reload_directory()
    except Exception:  # the page works without the main app's resources
        logger.debug("no cached finder to clear", exc_info=True)


def t(key: str, **kwargs: Any) -> str:
    """The page's text ``key`` in the session's language."""
    return i18n.t(key, res.current_lang(), **kwargs)


def _error(title: str, exc: Exception) -> None:
    st.error(title)
    st.text(str(exc))  # the library's (English) reason, as plain text


# --------------------------------------------------------------------------------------------------
# Sign-in


def _take_password() -> None:
    """Sign-in pressed: keep the typed password for this run only and empty the field.

    Whatever the answer, the field must not keep the password (as the page's input value) on a shared
    counselling-office computer. Only a callback may change a widget's value, and it runs before the page.
    """
    st.session_state[_TYPED_KEY] = st.session_state.get(PASSWORD_KEY) or ""
    st.session_state[PASSWORD_KEY] = ""


def _login(guard: auth.LoginGuard, password: object, users: dict[str, object]) -> None:
    shared = auth.secret_problem(password) is None
    with st.form("review-login"):
        name = (
            st.text_input(t("review.name"), max_chars=corrections.MAX_NAME_CHARS, key="review-name")
            if shared
            else ""
        )
        st.text_input(t("review.password"), type="password", key=PASSWORD_KEY)
        submitted = st.form_submit_button(t("review.sign_in"), on_click=_take_password)
    given = str(st.session_state.pop(_TYPED_KEY, ""))
    if not submitted:
        return
    try:
        typed_name = corrections.clean_text(name or "", max_chars=corrections.MAX_NAME_CHARS, what="the name")
    except corrections.CorrectionError as exc:
        _error(t("review.check_name"), exc)
        return
    if shared and not users and not typed_name:
        st.warning(t("review.name_needed"))
        return
    try:
        result = guard.attempt(client_key(), given, password=password if shared else None, users=users)
    except corrections.StoreUnavailableError as exc:  # the lock state is unknown: no sign-in
        _error(t("review.db_unavailable"), exc)
        return
    if not result.ok:
        if result.locked_until is not None:
            st.error(t("review.locked", time=f"{result.locked_until:%H:%M} UTC"))
        else:
            st.error(t("review.wrong_password", n=result.remaining))
        return
    who = result.user or typed_name
    if not who:
        st.warning(t("review.name_needed"))
        return
    st.session_state["review_user"] = who
    st.rerun()


# --------------------------------------------------------------------------------------------------
# Suggestions


def _prefill(suggestion: corrections.SuggestionView, column: str, current: Mapping[str, str]) -> str:
    """The proposed text for one-field suggestions (phone, hours, languages), else the current value."""
    columns = corrections.KIND_COLUMNS.get(suggestion.kind, ())
    if columns == (column,) and suggestion.kind != "closed":
        if column == "languages":
            codes, unknown = corrections.parse_languages(suggestion.proposed)
            return ";".join(codes) if codes and not unknown else current.get(column, "")
        return suggestion.proposed if column != "opening_hours" else " ".join(suggestion.proposed.split())
    return current.get(column, "")


def _with_position(current: Mapping[str, str], changes: dict[str, str]) -> dict[str, str]:
    """``changes`` and the new map point after an address change (corrections.with_new_position)."""
    return corrections.with_new_position(current, changes, _settings.load().data_dir)


def _suggestions(
    store: corrections.CorrectionStore,
    editor: corrections.DirectoryEditor,
    rows: dict[str, dict[str, str]],
    user: str,
) -> None:
    counts = store.counts()
    st.caption(
        t("review.counts", open=counts["open"], accepted=counts["accepted"], rejected=counts["rejected"])
    )
    items = {s.id: s for s in store.suggestions("open")}
    if not items:
        st.info(t("review.no_open"))
        return
    chosen = st.selectbox(
        t("review.suggestion"),
        options=list(items),
        format_func=lambda i: (
            f"#{i} · {items[i].office_id} · {items[i].kind} · {items[i].created_at:%Y-%m-%d}"
        ),
        key="review-suggestion",
    )
    suggestion = items[chosen]
    current = rows.get(suggestion.office_id)
    left, right = st.columns(2)
    with left:
        st.subheader(t("review.current_entry"))
        if current is None:
            st.warning(t("review.office_gone"))
        else:
            st.dataframe(
                pd.DataFrame(
                    {t("review.col.field"): list(current), t("review.col.value"): list(current.values())}
                ),
                hide_index=True,
                key=f"review-current-{chosen}",
            )
    with right:
        st.subheader(t("review.suggestion"))
        st.text(t("review.what_is_wrong", kind=t(f"report.kind.{suggestion.kind}")))
        st.text(t("review.received", time=f"{suggestion.created_at:%Y-%m-%d %H:%M} UTC"))
        st.text(t("review.contact", contact=suggestion.contact or "—"))
        st.text(t("review.proposed"))
        st.code(suggestion.proposed, language=None, wrap_lines=True)

    base = list(corrections.KIND_COLUMNS.get(suggestion.kind, ()))
    extra: list[str] = []
    if current is not None:
        extra = st.multiselect(
            t("review.also_edit"),
            options=[c for c in _EDITABLE if c not in base],
            key=f"review-extra-{chosen}",
        )
    columns = [*base, *extra] if current is not None else []
    with st.form(f"review-decide-{chosen}"):
        values: dict[str, str] = {}
        for column in columns:
            widget = st.text_area if column in _LONG else st.text_input
            values[column] = widget(
                column, value=_prefill(suggestion, column, current or {}), key=f"review-{chosen}-{column}"
            )
        remove = False
        if suggestion.kind == "closed" and current is not None:
            remove = st.checkbox(
                t("review.remove_closed"),
                key=f"review-remove-{chosen}",
            )
        reason = st.text_input(
            t("review.reason"), value=f"suggestion #{chosen}", key=f"review-reason-{chosen}"
        )
        accept = st.form_submit_button(t("review.accept"), disabled=current is None)
        reject = st.form_submit_button(t("review.reject"))
    if accept and current is not None:
        changes = {c: v or "" for c, v in values.items() if (v or "") != current.get(c, "")}
        changes = _with_position(current, changes) if not remove else {}
        try:
            change = editor.accept(chosen, changes, by=user, reason=reason or "", remove=remove)
        except corrections.CorrectionError as exc:
            _error(t("review.not_saved"), exc)
            return
        _flash("success", t("review.accepted", n=chosen, change=change.id))
        _refresh_app()
        st.rerun()
    if reject:
        try:
            store.reject(chosen, by=user, note=reason or "")
        except corrections.CorrectionError as exc:
            _error(t("review.not_rejected"), exc)
            return
        _flash("success", t("review.rejected", n=chosen))
        st.rerun()


# --------------------------------------------------------------------------------------------------
# Freshness: still correct, direct edits


def _freshness(
    editor: corrections.DirectoryEditor,
    offices: pd.DataFrame,
    rows: dict[str, dict[str, str]],
    user: str,
) -> None:
    settings = _settings.load()
    work = freshness.work_list(offices, stale_after_days=settings.stale_after_days)
    stale = int(work["stale"].sum())
    st.caption(t("review.stale_summary", stale=stale, total=len(work), days=settings.stale_after_days))
    st.dataframe(work, hide_index=True, key="review-worklist")
    names = dict(zip(work["id"], work["name"], strict=True))
    ids = [i for i in work["id"] if i in rows]
    if not ids:
        return
    office = st.selectbox(
        t("review.office"),
        options=ids,
        format_func=lambda i: f"{i} — {names.get(i, '')}",
        key="review-office",
    )
    current = rows[office]
    # The loaded row carries the maintainers' last confirmation (``confirmed``), as on the public cards.
    loaded = offices[offices["id"] == office].iloc[0]
    state = freshness.freshness_of(loaded, stale_after_days=settings.stale_after_days)
    st.text(state.label(res.current_lang()))
    if st.button(t("review.still_correct"), key="review-confirm", help=t("review.still_correct_help")):
        try:
            change = editor.confirm(office, by=user)
        except corrections.CorrectionError as exc:
            _error(t("review.confirm_failed"), exc)
            return
        _flash("success", t("review.confirmed", office=md(office), change=change.id))
        _refresh_app()
        st.rerun()

    st.subheader(t("review.edit_heading"))
    column = st.selectbox(t("review.field"), options=list(_EDITABLE), key="review-edit-column")
    with st.form(f"review-edit-{office}-{column}"):
        widget = st.text_area if column in _LONG else st.text_input
        value = widget(column, value=current.get(column, ""), key=f"review-edit-{office}-{column}")
        reason = st.text_input(t("review.reason"), key=f"review-edit-reason-{office}-{column}")
        save = st.form_submit_button(t("review.save"))
    if save:
        if not (reason or "").strip():
            st.warning(t("review.reason_needed"))
            return
        changes = _with_position(current, {column: value or ""}) if value != current.get(column) else {}
        if not changes:
            st.info(t("review.nothing_changed"))
            return
        try:
            change = editor.apply(office, changes, by=user, reason=reason or "")
        except corrections.CorrectionError as exc:
            _error(t("review.not_saved"), exc)
            return
        _flash("success", t("review.changed", office=md(office), change=change.id))
        _refresh_app()
        st.rerun()


# --------------------------------------------------------------------------------------------------
# History


def _history(store: corrections.CorrectionStore, editor: corrections.DirectoryEditor, user: str) -> None:
    changes = store.history(limit=300)
    if not changes:
        st.info(t("review.no_changes"))
        return
    table = pd.DataFrame(
        [
            {
                "#": c.id,
                t("review.col.when"): f"{c.at:%Y-%m-%d %H:%M}",
                t("review.col.who"): c.by,
                t("review.col.action"): c.action,
                t("review.col.office"): c.office_id,
                t("review.col.fields"): ", ".join(c.changed),
                t("review.col.reason"): c.reason,
                t("review.col.state"): c.state,
                t("review.col.reverted_by"): f"#{c.reverted_by_id}" if c.reverted_by_id else "",
            }
            for c in changes
        ]
    )
    st.dataframe(table, hide_index=True, key="review-history")
    revertible = {c.id: c for c in changes if c.state == "applied" and c.reverted_by_id is None}
    if not revertible:
        return
    chosen = st.selectbox(
        t("review.change"),
        options=list(revertible),
        format_func=lambda i: (
            f"#{i} · {revertible[i].action} · {revertible[i].office_id} · {revertible[i].by}"
        ),
        key="review-change",
    )
    columns = [t("review.col.field"), t("review.col.old"), t("review.col.new")]
    detail = pd.DataFrame(
        [(k, old, new) for k, (old, new) in revertible[chosen].changed.items()], columns=columns
    )
    st.dataframe(detail, hide_index=True, key=f"review-change-{chosen}")
    if st.button(t("review.revert"), key="review-revert"):
        try:
            change = editor.revert(chosen, by=user)
        except corrections.CorrectionError as exc:
            _error(t("review.revert_failed"), exc)
            return
        _flash("success", t("review.reverted", n=chosen, change=change.id))
        _refresh_app()
        st.rerun()


# --------------------------------------------------------------------------------------------------
# The page


def main() -> None:
    """Draw the page."""
    res.page_style(res.current_lang())
    st.title(t("review.title"))
    password, users = _secrets()
    usable_users = {k: v for k, v in users.items() if auth.secret_problem(v) is None}
    if auth.secret_problem(password) is not None and not usable_users:
        st.error(t("review.closed"))
        st.text(t("review.closed_help", n=auth.MIN_SECRET_LENGTH))
        return
    try:
        store = get_store()
    except corrections.CorrectionError as exc:
        _error(t("review.db_unavailable"), exc)
        return
    user = st.session_state.get("review_user")
    if not user:
        _login(auth.LoginGuard(store), password, usable_users)
        return
    with st.sidebar:
        st.text(t("review.signed_in_as", name=user))
        if st.button(t("review.sign_out"), key="review-signout"):
            st.session_state.pop("review_user", None)
            st.rerun()
    # Always the same element before the tabs: a message appearing there must not shift the tabs, or the
    # browser would re-create them and jump back to the first tab after every decision.
    with st.container(key="review-flash"):
        _show_flash()
    settings = _settings.load()
    editor = corrections.DirectoryEditor(store, settings.data_dir / "offices.csv")
    try:
        offices = corrections.load_directory(settings, store)
        _, raw = editor.rows()
    except corrections.StoreUnavailableError as exc:  # e.g. PostgreSQL restarting: say so, draw nothing
        _error(t("review.db_unavailable"), exc)
        return
    except Exception as exc:  # show why instead of a traceback
        _error(t("review.directory_unreadable"), exc)
        return
    rows: dict[str, Any] = {r["id"]: r for r in raw}
    tabs = [
        t("review.tab_suggestions"),
        t("review.tab_freshness"),
        t("review.tab_history"),
        t("review.tab_outreach"),
    ]
    suggestions_tab, freshness_tab, history_tab, outreach_tab = st.tabs(tabs)
    with suggestions_tab:
        _suggestions(store, editor, rows, str(user))
    with freshness_tab:
        _freshness(editor, offices, rows, str(user))
    with history_tab:
        _history(store, editor, str(user))
    with outreach_tab:
        from ui.outreach_tab import render_outreach_tab  # noqa: PLC0415 - only for signed-in maintainers
        from ui.verify_form import get_outreach  # noqa: PLC0415

        render_outreach_tab(get_outreach(), editor, rows, str(user), t=t, flash=_flash, refresh=_refresh_app)


main()
