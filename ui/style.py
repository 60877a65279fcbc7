"""The app's page CSS: card layout, contrast fixes and the right-to-left layout for Arabic and Persian.

Plain CSS strings (no ``<style>`` tag, no Streamlit calls), so they can be checked without a running app;
:func:`ui.resources.page_style` puts them on the page. Most selectors are Streamlit's ``data-testid``
attributes, which is why this lives in ``ui/`` and not in the ``finder`` library.
"""

from __future__ import annotations

from finder.i18n import is_rtl

#: Layout of every page: office cards, captions with enough contrast, the sticky map on wide screens.
BASE_CSS = """
/* Captions: the theme's textColor (.streamlit/config.toml) already gives 4.9:1 on every load, since this
   CSS is missing while a rerun is under way; this rule makes them a little darker when it is there. */
div[data-testid="stCaptionContainer"] { color: #5e5d5c; opacity: 1; }
.office-card h3 { font-size: 1.1rem; margin: 0 0 .15rem; padding: 0; }
.office-card .office-kind { margin: 0 0 .35rem; opacity: .85; }
.office-card dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .75rem;
  margin: 0 0 .3rem; }
.office-card dt { font-weight: 600; }
.office-card dd { margin: 0; overflow-wrap: anywhere; }
.office-card .office-note { margin: .2rem 0 0; font-size: .92rem; }
.office-card .office-warn { margin: .2rem 0 0; font-size: .92rem; }
.office-card .office-links { margin: .35rem 0 0; }
.office-card .office-status { margin: .2rem 0 .3rem; font-weight: 600; padding-inline-start: .5rem;
  border-inline-start: 4px solid #b3261e; }
.office-card :is(.office-match, .office-hours) { margin: 0 0 .2rem; }
.office-card p { margin-bottom: .2rem; }
/* On wide screens the map stays in view while the list scrolls past it. */
@media (min-width: 641px) { .st-key-map_panel { position: sticky; top: 3.5rem; z-index: 2; } }
@media (max-width: 640px) {
  .office-card dl { gap: .1rem .5rem; }
  .stMain h1 { font-size: 1.9rem; }
  .stMain h2 { font-size: 1.35rem; }
  .stMain h3 { font-size: 1.15rem; }
}
"""

# Streamlit test ids checked against streamlit 1.5x/1.6x (stMain, stSidebarContent, stMarkdownContainer …).
_MAIN = '[data-testid="stMain"]'
_SIDEBAR = '[data-testid="stSidebar"]'
RTL_CSS = f"""
/* Right-to-left layout for Arabic and Persian (ui.style.rtl_css). */
{_MAIN}, .stMain,
{_SIDEBAR} [data-testid="stSidebarContent"],
{_SIDEBAR} [data-testid="stSidebarUserContent"],
[data-testid="stDialog"] [role="dialog"],
[data-testid="stTooltipContent"],
[data-testid="stPopoverBody"],
[data-testid="stToast"] {{
  direction: rtl;
  text-align: right;
}}
:is({_MAIN}, {_SIDEBAR}, [data-testid="stDialog"]) [data-testid="stMarkdownContainer"],
:is({_MAIN}, {_SIDEBAR}, [data-testid="stDialog"]) [data-testid="stCaptionContainer"],
:is({_MAIN}, {_SIDEBAR}, [data-testid="stDialog"]) [data-testid="stWidgetLabel"] {{
  direction: rtl;
  text-align: right;
}}
/* Lists and tables carry their own left alignment in Streamlit; bullets go on the right. */
:is({_MAIN}, {_SIDEBAR}, [data-testid="stDialog"]) [data-testid="stMarkdownContainer"]
  :is(ul, ol, li, th, td, blockquote) {{
  text-align: right;
}}
:is({_MAIN}, {_SIDEBAR}, [data-testid="stDialog"]) [data-testid="stMarkdownContainer"] :is(ul, ol) {{
  padding-left: 0;
  padding-right: 1.5em;
}}
:is({_MAIN}, {_SIDEBAR}, [data-testid="stDialog"]) [data-testid="stMarkdownContainer"] li {{
  margin-left: 0;
  margin-right: 1.15em;
  padding-left: 0;
  padding-right: 0.3em;
}}
/* Phone numbers, postcodes, e-mails, URLs and addresses keep their left-to-right order. */
.ltr,
a[href^="tel:"],
a[href^="mailto:"] {{
  direction: ltr;
  unicode-bidi: isolate;
  display: inline-block;
}}
/* A web link shows either a translated word or a raw URL: let its own text decide the direction. */
a[href^="http"] {{
  unicode-bidi: plaintext;
}}
/* Typed text (mostly German place names and postcodes) runs in its own direction. */
:is({_MAIN}, {_SIDEBAR}) :is(input, textarea) {{
  unicode-bidi: plaintext;
  text-align: right;
}}
/* Widgets whose inner geometry assumes left-to-right: sliders, tables, maps, charts, code. */
{_MAIN} [data-testid="stSlider"],
{_SIDEBAR} [data-testid="stSlider"],
{_MAIN} [data-testid="stDataFrame"],
{_MAIN} [data-testid="stIFrame"],
{_MAIN} [data-testid="stCustomComponentV1"],
{_MAIN} [data-testid="stVegaLiteChart"],
{_MAIN} [data-testid="stDeckGlJsonChart"],
{_MAIN} .leaflet-container,
{_MAIN} .folium-map {{
  direction: ltr;
}}
:is({_MAIN}, {_SIDEBAR}) [data-testid="stSlider"] [data-testid="stWidgetLabel"] {{
  direction: rtl;
  text-align: right;
}}
:is({_MAIN}, {_SIDEBAR}, [data-testid="stDialog"]) :is(pre, code, [data-testid="stCode"]) {{
  direction: ltr;
  unicode-bidi: isolate;
  text-align: left;
}}
"""


def rtl_css(lang: str | None = None) -> str:
    """Return CSS that lays out the Streamlit page right to left.

    Parameters
    ----------
    lang
        The UI language. ``None`` returns the CSS unconditionally; a left-to-right language returns
        ``""`` so callers can inject the result whatever the language.

    Returns
    -------
    str
        Plain CSS (no ``<style>`` tag): ``direction: rtl; text-align: right`` on the main block, the
        sidebar, dialogs and markdown; ``.ltr``, ``a[href^="tel:"]`` and ``a[href^="mailto:"]`` stay
        left-to-right and bidi-isolated (wrap phone numbers, postcodes, e-mails, URLs and addresses in
        ``<span class="ltr">…</span>``); sliders, tables, maps and code stay left-to-right.
    """
    if lang is not None and not is_rtl(lang):
        return ""
    return RTL_CSS


def page_css(lang: str, extra_css: str = "") -> str:
    """The CSS of a page in ``lang``: :data:`BASE_CSS`, the right-to-left layout if needed, ``extra_css``."""
    return BASE_CSS + rtl_css(lang) + extra_css
