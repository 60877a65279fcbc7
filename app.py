"""Beratungsfinder Sachsen: ``streamlit run app.py``.

Thin on purpose: page setup, the map's local web assets, and the navigation. The pages are in
``ui/pages``; the logic is in the ``finder`` package.
"""

from __future__ import annotations

import streamlit as st

from finder import i18n
from ui import resources

st.set_page_config(page_title="Beratungsfinder Sachsen", page_icon="🧭", layout="wide")

# Leaflet, jQuery and the marker-cluster plugin are copied from their PyPI packages into static/vendor once
# per process, so the map never asks a CDN for them.
resources.get_asset_urls()

lang = resources.current_lang()
# (file, url path, title key, icon)
PAGES = (
    ("find.py", "", "nav.find", "🔎"),
    ("coverage.py", "coverage", "nav.coverage", "📊"),
    ("report.py", "report", "nav.report", "✏️"),
    ("about.py", "about", "nav.about", "ℹ️"),
    ("accessibility.py", "accessibility", "nav.accessibility", "♿"),
    ("review.py", "review", "nav.review", "🛠️"),
)
pages = [
    st.Page(
        f"ui/pages/{file}",
        title=i18n.t(title, lang),
        icon=icon,
        url_path=url_path or None,
        default=not url_path,
    )
    for file, url_path, title, icon in PAGES
]
# The offices' own page of the verification round (/verify?token=…): reached from a letter, not the menu.
pages.append(st.Page("ui/pages/verify.py", title=i18n.t("verify.title", lang), icon="✅", url_path="verify",
                     visibility="hidden"))  # fmt: skip
st.navigation(pages, position="top").run()
