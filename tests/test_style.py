"""Tests of ui.style: the page CSS, above all the right-to-left layout for Arabic and Persian."""

from __future__ import annotations

import re

from finder.i18n import LANGUAGES, is_rtl
from ui.style import BASE_CSS, page_css, rtl_css


def test_rtl_css() -> None:
    css = rtl_css()
    assert "direction: rtl" in css and "text-align: right" in css
    assert '[data-testid="stMain"]' in css and '[data-testid="stSidebar"]' in css
    assert '[data-testid="stMarkdownContainer"]' in css
    # The LTR island for phone numbers, postcodes, e-mails, URLs and addresses.
    ltr_rule = re.search(r"\.ltr,\s*a\[href\^=\"tel:\"\],\s*a\[href\^=\"mailto:\"\]\s*\{([^}]*)\}", css)
    assert ltr_rule
    assert "direction: ltr" in ltr_rule.group(1)
    assert "unicode-bidi: isolate" in ltr_rule.group(1)
    assert "display: inline-block" in ltr_rule.group(1)
    assert css.count("{") == css.count("}")
    assert "<" not in css  # plain CSS; the caller wraps it in a style element


def test_rtl_css_by_language() -> None:
    assert rtl_css("ar") == rtl_css("fa") == rtl_css()
    assert rtl_css("de") == "" and rtl_css("en") == ""


def test_page_css_is_right_to_left_exactly_for_rtl_languages() -> None:
    for lang in LANGUAGES:
        css = page_css(lang, "/* extra */")
        assert css.startswith(BASE_CSS) and css.endswith("/* extra */")
        assert ("direction: rtl" in css) == is_rtl(lang), lang
        assert css.count("{") == css.count("}") and "<" not in css
