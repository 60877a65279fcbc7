"""The "Report a change" form, shown with every office (main page and the handout's link).

:func:`render_report_form` draws the form for one office and stores what is sent in the corrections
database (:class:`finder.corrections.CorrectionStore`); nothing is sent anywhere else. The sender's
contact is optional, only maintainers see it, and it is deleted once the suggestion is decided.

:func:`render_report_page` is the body of a ``report`` page that a printed handout can link to with
``?office=<id>`` (:func:`finder.share.report_url`).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from finder import corrections, share
from finder import settings as _settings
from finder.client_address import client_address
from finder.i18n import t
from ui import cards

logger = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False)
def _store(url: str) -> corrections.CorrectionStore:
    return corrections.CorrectionStore(url)


def get_store() -> corrections.CorrectionStore:
    """The corrections store of this server (one per database URL, shared by all sessions).

    Raises
    ------
    finder.corrections.CorrectionError
        When the database cannot be opened.
    """
    return _store(corrections.database_url())


def connection() -> tuple[str | None, list[str]]:
    """The connection's address and its ``X-Forwarded-For`` values, as Streamlit reports them.

    ``st.context.ip_address`` is ``None`` for a loopback connection and when there is no browser
    (``AppTest``, which cannot set it); tests replace this function to act as different addresses.
    """
    try:
        return st.context.ip_address, list(st.context.headers.get_all("X-Forwarded-For"))
    except Exception:  # no session context: the shared "local" key
        logger.debug("no client context", exc_info=True)
        return None, []


def client_key() -> str:
    """The key of this client for the sign-in and report limits: its address behind trusted proxies.

    Not the browser session, which a reload or a new browser resets for free. Only a keyed hash of the
    key is stored (see :mod:`finder.client_address` and ``FINDER_TRUSTED_PROXIES``).
    """
    peer, forwarded = connection()
    trusted = _settings.load().trusted_proxies
    if forwarded and not trusted.active:
        _warn_untrusted_proxy()
    return client_address(peer, forwarded, trusted)


@functools.cache
def _warn_untrusted_proxy() -> None:
    # Once per process: the operator should know, the log should not fill up.
    logger.warning(
        "requests carry X-Forwarded-For but FINDER_TRUSTED_PROXIES is not set: behind a proxy on another "
        "host, all its clients share one sign-in and report limit (see the README)"
    )


def render_report_form(office_row: Mapping[str, Any], lang: str = "en") -> int | None:
    """Draw "Report a change" for one office and store what is sent.

    Parameters
    ----------
    office_row
        The office (needs ``id``; a row of the directory).
    lang
        UI language code for the texts.

    Returns
    -------
    int or None
        The suggestion's number when one was stored in this run, else ``None``.
    """
    office_id = str(office_row.get("id", ""))
    key = f"report-{office_id}"
    with st.form(key, clear_on_submit=True):
        kind = st.selectbox(
            t("report.what", lang),
            options=corrections.SUGGESTION_KINDS,
            format_func=lambda k: t(f"report.kind.{k}", lang),
            key=f"{key}-kind",
        )
        proposed = st.text_area(
            t("report.proposed", lang), max_chars=corrections.MAX_PROPOSED_CHARS, key=f"{key}-proposed"
        )
        contact = st.text_input(
            t("report.contact", lang), max_chars=corrections.MAX_CONTACT_CHARS, key=f"{key}-contact"
        )
        st.caption(t("report.privacy", lang))
        sent = st.form_submit_button(t("report.send", lang))
    if not sent:
        return None
    if not (proposed or "").strip():
        st.warning(t("report.empty", lang))
        return None
    try:
        store = get_store()
        number = store.submit(office_id, str(kind), proposed or "", contact or "", client_key=client_key())
    except corrections.RateLimitedError as exc:
        st.warning(t("report.rate_limited" if exc.scope == "client" else "report.busy", lang))
        return None
    except corrections.StoreUnavailableError:  # the database is down or restarting: try again later
        logger.warning("cannot store a report: the corrections database is not available")
        st.error(t("report.unavailable", lang))
        return None
    except corrections.CorrectionError as exc:
        # st.text: the message may quote what was typed; it must not be read as Markdown.
        st.error(t("report.invalid", lang))
        st.text(str(exc))
        return None
    except Exception:  # a database outage must not break the page
        logger.exception("cannot store a report")
        st.error(t("report.unavailable", lang))
        return None
    st.success(t("report.thanks", lang))
    return number


def render_report_page(offices: pd.DataFrame, lang: str = "en", at: dt.datetime | None = None) -> int | None:
    """The body of the ``report`` page: the office from ``?office=<id>``, or a choice of all offices.

    ``at``: the instant its card says "open now" for (none: the card leaves it out).
    """
    st.header(t("report.button", lang))
    st.write(t("report.intro", lang))
    ids = offices["id"].astype(str).tolist()
    names = dict(zip(ids, offices["name"].astype(str), strict=True))
    wanted = st.query_params.get("office")
    if wanted is not None and wanted not in names:
        st.warning(t("report.unknown_office", lang))
        wanted = None
    if wanted is None:
        wanted = st.selectbox(
            t("report.choose_office", lang),
            options=ids,
            format_func=lambda i: names.get(i, i),
            key="report-office",
        )
    row = offices[offices["id"] == wanted]
    if row.empty:
        return None
    # The office as the public sees it, so the sender can say what is wrong with it.
    card = share.office_card(row.iloc[0], lang, stale_after_days=_settings.load().stale_after_days, at=at)
    st.markdown(cards.card_html(card, lang, section="report"), unsafe_allow_html=True)
    return render_report_form(row.iloc[0].to_dict(), lang)
