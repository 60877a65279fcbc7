"""Accessibility statement (``/accessibility``), as Saxon public bodies publish it.

The structure follows the statements under the Saxon Inclusion Act (SächsInklusG) and the Accessible
Websites Act (BfWebG) with BITV 2.0: conformance status, the barriers we know of, when and how the
statement was prepared, a feedback route, and the enforcement procedure. Only what is true is said: the
app is partially conformant; the operator's contact is a setting (``FINDER_ACCESSIBILITY_CONTACT``) and
the page says so when none is set; the enforcement body is named as its own website names it.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import streamlit as st

from finder import i18n
from ui import resources as res
from ui.safe_text import md

#: When this statement was prepared (change it when the statement is reviewed; it is printed as is).
STATEMENT_PREPARED = dt.date(2026, 11, 30)
#: The barriers we know of, in the order they are listed (catalogue keys).
KNOWN_BARRIERS: tuple[str, ...] = (
    "accessibility.barrier_map",
    "accessibility.barrier_translations",
    "accessibility.barrier_reload",
    "accessibility.barrier_print",
    "accessibility.barrier_easy_language",
)
#: The enforcement body for websites of public bodies in Saxony, as its complaints page states it
#: (https://www.durchsetzungsstelle.sachsen.de/beschwerden-an-die-durchsetzungsstelle-3980.html: complaints
#: by e-mail, free of charge, after a month without a satisfactory answer). Its postal address is not given
#: there, so it is not given here.
ENFORCEMENT_NAME = "Durchsetzungsstelle (Freistaat Sachsen)"
ENFORCEMENT_URL = (
    "https://www.durchsetzungsstelle.sachsen.de/beschwerden-an-die-durchsetzungsstelle-3980.html"
)
ENFORCEMENT_EMAIL = "Durchsetzungsstelle@sk.sachsen.de"


def t(key: str, **kwargs: object) -> str:
    """Translate into the session's interface language."""
    return i18n.t(key, res.current_lang(), **kwargs)


def main() -> None:
    """Draw the page."""
    lang = res.current_lang()
    res.page_style(lang)
    res.page_heading(t("accessibility.title"), lang)
    st.markdown(md(t("accessibility.intro")))

    st.header(t("accessibility.status_heading"))
    st.markdown(md(t("accessibility.status_text")))
    st.subheader(t("accessibility.barriers_heading"))
    st.markdown("\n".join(f"- {md(t(key))}" for key in KNOWN_BARRIERS))
    st.markdown(md(t("accessibility.read_aloud_note")))

    st.header(t("accessibility.prepared_heading"))
    st.markdown(md(t("accessibility.prepared_text", date=i18n.format_date(STATEMENT_PREPARED, lang))))

    st.header(t("accessibility.feedback_heading"))
    st.markdown(md(t("accessibility.feedback_text")))
    st.page_link("ui/pages/report.py", label=t("report.button"), icon="✏️", query_params={"lang": lang})
    contact = res.get_finder().settings.accessibility_contact
    if contact:
        st.markdown(md(t("accessibility.contact", contact=res.isolate(contact))))
    else:
        st.markdown(md(t("accessibility.contact_missing")))

    st.header(t("accessibility.enforcement_heading"))
    st.markdown(md(t("accessibility.enforcement_text")))
    # Markdown links (constants, not data): inline <a> tags in a Markdown list lost their text on some loads.
    host = urlsplit(ENFORCEMENT_URL).netloc
    st.markdown(
        f"- {md(ENFORCEMENT_NAME)}\n"
        f"- {md(t('office.website'))}: [{md(host)}]({ENFORCEMENT_URL})\n"
        f"- {md(t('office.email'))}: [{md(ENFORCEMENT_EMAIL)}](mailto:{ENFORCEMENT_EMAIL})"
    )
    st.page_link("ui/pages/find.py", label=t("nav.find"), icon="🔎", query_params={"lang": lang})
    res.write_url({"lang": lang})


main()
