"""Text hygiene: what people type is made safe to store and to show, and how long it may be."""

from __future__ import annotations

import unicodedata
from typing import Final

from finder.errors import CorrectionError
from finder.rules import MAX_OFFICE_ID_CHARS, escape_controls, remove_bidi_controls, remove_controls

__all__ = [
    "MAX_CONTACT_CHARS",
    "MAX_NAME_CHARS",
    "MAX_NOTE_CHARS",
    "MAX_OFFICE_ID_CHARS",
    "MAX_PROPOSED_CHARS",
    "MAX_VALUE_CHARS",
    "clean_text",
    "printable",
]

#: Longest suggestion text ("what is correct").
MAX_PROPOSED_CHARS: Final = 2000
#: Longest contact (e-mail or phone) left with a suggestion.
MAX_CONTACT_CHARS: Final = 200
#: Longest reason or decision note.
MAX_NOTE_CHARS: Final = 1000
#: Longest value of one directory field.
MAX_VALUE_CHARS: Final = 4000
#: Longest maintainer name in the history.
MAX_NAME_CHARS: Final = 100


def clean_text(
    value: object, *, max_chars: int, multiline: bool = False, what: str = "text", light: bool = False
) -> str:
    r"""Make user text safe to store and show: valid Unicode, no control or bidi characters, NFC, trimmed.

    Bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) are removed, not refused:
    text copied from an Arabic or Persian page often carries them invisibly, and a person cannot fix what
    they cannot see, while U+202E could make a report read backwards on the review page. The marks
    LRM/RLM/ALM stay (see :func:`finder.rules.has_bidi_controls`). The directory itself refuses all of them.

    Parameters
    ----------
    value
        A ``str`` (``bytes`` are decoded as UTF-8 with replacement characters).
    max_chars
        Longest accepted result.
    multiline
        Keep line breaks (else they become spaces).
    what
        Name of the field for messages.
    light
        Only make the text valid (no surrogates, no control characters other than tab and newline) and
        keep it otherwise exactly as given (for imports of already validated data; bidi controls are kept
        too, so that validation refuses them with a message instead of the import changing them quietly).

    Returns
    -------
    str
        The cleaned text (possibly empty).

    Raises
    ------
    CorrectionError
        If ``value`` is not text or is longer than ``max_chars``.

    Examples
    --------
    >>> clean_text("  line1\r\nline2\x1b[31m ", max_chars=50, multiline=True)
    'line1\nline2[31m'
    >>> clean_text("a\n  b", max_chars=50)
    'a b'
    >>> clean_text("Mo\u202e21-9 rF", max_chars=50)
    'Mo21-9 rF'
    """
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("utf-8", "replace")
    if not isinstance(value, str):
        msg = f"{what} must be text"
        raise CorrectionError(msg)
    # Refuse absurd input before spending time on it.
    if len(value) > 4 * max_chars:
        msg = f"{what} is too long ({len(value)} characters; at most {max_chars})"
        raise CorrectionError(msg)
    # Lone surrogates (undecodable bytes smuggled into a str) become U+FFFD; real pairs are joined.
    text = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if not light:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Line breaks are LF only: a carriage return left in an imported value would hide text on a terminal.
    text = remove_controls(text, multiline=True).replace("\r", "")
    if not light:
        text = remove_bidi_controls(text)
        if not multiline:
            text = " ".join(text.split())
        text = unicodedata.normalize("NFC", text).strip()
    if len(text) > max_chars:
        msg = f"{what} is too long ({len(text)} characters; at most {max_chars})"
        raise CorrectionError(msg)
    return text


def printable(text: object) -> str:
    r"""Text safe for a terminal: control characters (escape sequences) shown as hex escapes.

    Examples
    --------
    >>> printable("a\x1b[2Jb")
    'a\\x1b[2Jb'
    """
    return escape_controls(str(text))
