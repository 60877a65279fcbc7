"""The "Report a change" form, shown with every office (main page and the handout's link).

:func:`render_report_form` draws the form for one office and stores what is sent in the corrections
database (:class:`finder.corrections.CorrectionStore`); nothing is sent anywhere else. The sender's
contact is optional, only maintainers see it, and it is deleted once the suggestion is decided.

:func:`render_report_page` is the body of a ``report`` page that a printed handout can link to with
``?office=<id>`` (:func:`report_link`).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import pandas as pd
import streamlit as st

from finder import corrections

logger = logging.getLogger(__name__)

#: English texts of the i18n keys this module uses (used when the catalogue lacks them).
TEXTS: dict[str, str] = {
    "report.button": "Report a change",
    "report.intro": "Is something wrong or out of date? Tell us, and a maintainer will check it.",
    "report.what": "What is wrong?",
    "report.kind.address": "Address",
    "report.kind.phone": "Phone",
    "report.kind.hours": "Opening hours",
    "report.kind.languages": "Languages",
    "report.kind.closed": "Closed or moved",
    "report.kind.other": "Something else",
    "report.proposed": "What is correct?",
    "report.contact": "Your e-mail or phone (optional, only for questions)",
    "report.privacy": (
        "Stored only on this server. Only the maintainers read it; your contact is deleted once your "
        "report is decided."
    ),
    "report.send": "Send",
    "report.thanks": "Thank you! Your report was saved and will be checked.",
    "report.empty": "Please describe what is correct.",
    "report.rate_limited": "You have sent many reports in a short time. Please try again later.",
    "report.invalid": "This could not be saved:",
    "report.unavailable": "Reports cannot be saved at the moment. Please try again later.",
    "report.choose_office": "Which office?",
    "report.unknown_office": "This office is not in the directory (any more).",
}


def tr(key: str, lang: str, **kwargs: Any) -> str:
    """Translate ``key`` with ``finder.i18n.t`` when it knows it, else use the English of :data:`TEXTS`."""
    try:
        from finder.i18n import t  # noqa: PLC0415 - the catalogue module may not exist yet

        text = t(key, lang, **kwargs)
        if isinstance(text, str) and text and text != key:
            return text
    except Exception:  # a missing or broken catalogue must not break the form
        logger.debug("no translation for %s", key, exc_info=True)
    return TEXTS.get(key, key).format(**kwargs)


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


def client_key() -> str:
    """A random token of this browser session (the rate limit counts per session; only its hash is stored)."""
    if "_corrections_client" not in st.session_state:
        st.session_state["_corrections_client"] = secrets.token_hex(16)
    return str(st.session_state["_corrections_client"])


def report_link(office_id: str, base_url: str = "") -> str:
    """The address of the report page for one office (for handouts and QR codes)."""
    return f"{base_url.rstrip('/')}/report?office={quote(office_id, safe='')}"


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
            tr("report.what", lang),
            options=corrections.SUGGESTION_KINDS,
            format_func=lambda k: tr(f"report.kind.{k}", lang),
            key=f"{key}-kind",
        )
        proposed = st.text_area(
            tr("report.proposed", lang), max_chars=corrections.MAX_PROPOSED_CHARS, key=f"{key}-proposed"
        )
        contact = st.text_input(
            tr("report.contact", lang), max_chars=corrections.MAX_CONTACT_CHARS, key=f"{key}-contact"
        )
        st.caption(tr("report.privacy", lang))
        sent = st.form_submit_button(tr("report.send", lang))
    if not sent:
        return None
    if not (proposed or "").strip():
        st.warning(tr("report.empty", lang))
        return None
    try:
        store = get_store()
        number = store.submit(office_id, str(kind), proposed or "", contact or "", client_key=client_key())
    except corrections.RateLimitedError:
        st.warning(tr("report.rate_limited", lang))
        return None
    except corrections.CorrectionError as exc:
        # st.text: the message may quote what was typed; it must not be read as Markdown.
        st.error(tr("report.invalid", lang))
        st.text(str(exc))
        return None
    except Exception:  # a database outage must not break the page
        logger.exception("cannot store a report")
        st.error(tr("report.unavailable", lang))
        return None
    st.success(tr("report.thanks", lang))
    return number


def render_report_page(offices: pd.DataFrame, lang: str = "en") -> int | None:
    """The body of the ``report`` page: the office from ``?office=<id>``, or a choice of all offices."""
    st.header(tr("report.button", lang))
    st.write(tr("report.intro", lang))
    ids = offices["id"].astype(str).tolist()
    names = dict(zip(ids, offices["name"].astype(str), strict=True))
    wanted = st.query_params.get("office")
    if wanted is not None and wanted not in names:
        st.warning(tr("report.unknown_office", lang))
        wanted = None
    if wanted is None:
        wanted = st.selectbox(
            tr("report.choose_office", lang),
            options=ids,
            format_func=lambda i: names.get(i, i),
            key="report-office",
        )
    else:
        st.text(names[wanted])
    row = offices[offices["id"] == wanted]
    if row.empty:
        return None
    return render_report_form(row.iloc[0].to_dict(), lang)
