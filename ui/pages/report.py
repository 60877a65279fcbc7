"""The "Report a change" page: one short form per office (``?office=<id>``)."""

from ui import resources as res
from ui.report_form import render_report_page

lang = res.current_lang()
res.page_style(lang)
render_report_page(res.get_finder().offices, lang)
