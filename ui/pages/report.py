"""The "Report a change" page: one short form per office (``?office=<id>``)."""

import streamlit as st

from finder import i18n
from ui import resources as res
from ui.report_form import render_report_page

lang = res.current_lang()
res.page_style(lang)
render_report_page(res.get_finder().offices, lang, at=res.now())
# People often arrive here from a printed handout, on a phone where the page menu is folded away.
st.page_link("ui/pages/find.py", label=i18n.t("nav.find", lang), icon="🔎", query_params={"lang": lang})
