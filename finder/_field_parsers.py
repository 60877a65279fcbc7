"""Parsers of the directory's field values: lists, URLs, e-mail addresses, phone numbers, dates, numbers.

Each returns the parsed value and/or a list of English messages (empty = fine) for
:func:`finder.directory.validate_file`, which reports them as ``PATH:LINE: FIELD: message``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import re
from collections.abc import Callable
from urllib.parse import urlsplit

_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
_FULL_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
# A host label: letters (any script, for IDN) and digits, inner hyphens; no underscores.
_HOST_LABEL = re.compile(r"(?!-)(?:[^\W_]|-){1,63}(?<!-)")
_TLD = re.compile(r"[^\W\d_]{2,63}|xn--[a-z0-9-]{1,59}")
# The en dash is a real separator in compiled phone numbers.
_PHONE = re.compile(r"\+?[0-9 ()/.\-–]+")
_MULTI_SEPARATOR = re.compile(r"[;,]")
# Characters RFC 3986 never allows unencoded (non-ASCII is fine: browsers accept IRIs).
_URL_UNSAFE = re.compile(r'[<>"{}\\^`]')


def show(value: str, limit: int = 60) -> str:
    """Quote a value for a message: undecodable bytes and control characters escaped, shortened."""
    clean = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if len(clean) > limit:
        clean = clean[: limit - 1] + "…"
    return repr(clean)


def split_list(value: str) -> tuple[list[str], list[str]]:
    """``a;b`` -> ``["a", "b"]``; blank -> ``[]``."""
    if not value.strip():
        return [], []
    items = [item.strip() for item in value.split(";")]
    if "" in items:
        return [item for item in items if item], [f"empty entry in the ;-separated list {show(value)}"]
    return items, []


def _valid_host(host: str) -> bool:
    labels = host.split(".")
    return (
        len(labels) >= 2
        and all(_HOST_LABEL.fullmatch(label) for label in labels)
        and _TLD.fullmatch(labels[-1]) is not None
    )


def _is_ip(host: str) -> bool:
    # Some stored source pages live on a bare IPv4 address (an old city web server).
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def url_message(url: str) -> str | None:
    if not url:
        return "empty URL"
    if any(ch.isspace() for ch in url):
        return f"URL contains whitespace: {show(url)}"
    if "|" in url:
        return f"URL contains | (separate several URLs with ' | ', spaces included): {show(url)}"
    if _URL_UNSAFE.search(url):
        return f"URL contains characters that must be percent-encoded: {show(url)}"
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return f"not a valid URL: {show(url)}"
    if parts.scheme not in ("http", "https"):
        if "://" not in url and _valid_host(url.split("/", 1)[0]):
            return f"URL lacks http:// or https://: {show(url)}"
        return f"not an http(s) URL: {show(url)}"
    if parts.username is not None or parts.password is not None:
        return f"URL contains user info before the host: {show(url)}"
    if not _valid_host(host) and not _is_ip(host):
        return f"URL has no valid host name: {show(url)}"
    return None


def parse_urls(value: str, separator: str | None) -> tuple[list[str], list[str]]:
    urls = value.split(separator) if separator else [value]
    messages = [msg for url in urls if (msg := url_message(url)) is not None]
    return urls, messages


def email_message(address: str) -> str | None:
    local, at, domain = address.partition("@")
    if not at or not _EMAIL_LOCAL.fullmatch(local) or not _valid_host(domain):
        return f"not a valid e-mail address: {show(address)}"
    return None


def parse_contact(value: str, check: Callable[[str], str | None]) -> list[str]:
    """Check ``;``/``,``-separated e-mail addresses or phone numbers."""
    parts = [part.strip() for part in _MULTI_SEPARATOR.split(value)]
    if "" in parts:
        return [f"empty entry in {show(value)} (separate several with ; or ,)"]
    return [msg for part in parts if (msg := check(part)) is not None]


def phone_message(number: str) -> str | None:
    digits = sum(ch in "0123456789" for ch in number)
    if not _PHONE.fullmatch(number) or digits < 5:
        return f"not a phone number (digits, spaces, + ( ) / - only): {show(number)}"
    return None


def parse_date(value: str, *, full: bool) -> tuple[int | None, list[str]]:
    """Check ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (only the last when ``full``); return the year."""
    wanted = "YYYY-MM-DD" if full else "YYYY, YYYY-MM or YYYY-MM-DD"
    if (_FULL_DATE if full else _DATE).fullmatch(value) is None:
        return None, [f"not a date ({wanted}): {show(value)}"]
    year, month, day = [*(int(part) for part in value.split("-")), 1, 1][:3]
    try:
        dt.date(year, month, day)
    except ValueError:
        return None, [f"not a valid date: {show(value)}"]
    return year, []


def parse_number(value: str) -> tuple[float, list[str]]:
    if not _NUMBER.fullmatch(value):
        return math.nan, [f"not a decimal number: {show(value)}"]
    return float(value), []
