"""Text from outside the app (the URL, what people type, reports, data, error messages) as plain Markdown.

Streamlit reads Markdown in almost every text it shows: ``st.markdown``, ``st.caption``, ``st.header``,
``st.error``/``st.warning``/``st.info``/``st.success``, widget labels, radio options, tooltips. Markdown
brings links ``[x](url)``, images ``![t](url)`` (a request to any server), bare ``https://…`` and
``name@host`` links (GitHub-flavoured autolinks), ``:red[…]`` directives, ``$…$`` formulas and, with
``unsafe_allow_html``, HTML. :func:`md` makes such a value literal text; every page passes values that it
did not write itself through it before they reach Markdown. Catalogue texts (``finder.locales``) are the
project's own and are not escaped; the values filled into their ``{placeholders}`` are.

For raw HTML (office cards, ``st.html``) use :func:`ui.resources.esc` instead, never both on one value.
"""

from __future__ import annotations

import re

__all__ = ["WORD_JOINER", "md", "md_unescape"]

# Every ASCII punctuation character may be backslash-escaped in CommonMark and then stands for itself.
# Escaping all of them (not a hand-picked list) covers links, images, emphasis, directives (``\:red``),
# math (``\$``), entities (``\&``) and raw HTML (``\<``).
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# GFM's bare links (``https://…``, ``www.…``, ``name@host``) are found in the text after the escapes are
# gone, so escaping does not stop them. An invisible WORD JOINER after ``:`` before ``//``, after ``@``
# and after ``www`` before ``.`` does: each needs a letter, ``/`` or ``.`` right there.
_BARE_LINKS = re.compile(r":(?=//)|@|(?i:www)(?=\.)")
WORD_JOINER = "\u2060"
# A line break in a value could start a new block (heading, list, code): one line of text instead.
_LINE_BREAKS = re.compile(r"\s*[\r\n\v\f\u0085\u2028\u2029]\s*")
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def md(value: object) -> str:
    r"""``value`` as Markdown that renders exactly as its text: no link, image, formatting or HTML.

    Line breaks become single spaces (the value is shown inside a sentence or a heading).

    Parameters
    ----------
    value
        Any value; ``None`` is the empty text.

    Returns
    -------
    str
        The text with every ASCII punctuation character backslash-escaped, and a WORD JOINER (U+2060,
        invisible) where a bare link would start (``https://``, ``www.``, ``name@host``).

    Examples
    --------
    >>> print(md("[Urgent](https://evil.example/x)").replace(WORD_JOINER, "<WJ>"))
    \[Urgent\]\(https\:<WJ>\/\/evil\.example\/x\)
    >>> md("Görlitz") == "Görlitz"
    True
    """
    text = _LINE_BREAKS.sub(" ", "" if value is None else str(value))
    text = _BARE_LINKS.sub(lambda m: m.group() + WORD_JOINER, text)
    return _PUNCTUATION.sub(r"\\\1", text)


def md_unescape(text: str) -> str:
    """The text a reader sees for Markdown produced by :func:`md` (for tests and logs).

    Examples
    --------
    >>> md_unescape(md("Görlitz (Landkreis)"))
    'Görlitz (Landkreis)'
    """
    return _ESCAPED.sub(r"\1", text).replace(WORD_JOINER, "")
