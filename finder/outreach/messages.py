"""The messages of a verification round: one German e-mail per office, a mail-merge CSV, printable letters.

:func:`write_round` writes into one folder

- ``messages.csv``: one row per office (``id``, ``name``, ``email``, ``link``, ``expires``, ``missing``),
  cells made safe for spreadsheets;
- ``<id>.eml``: an e-mail (RFC 5322, UTF-8) for every office whose entry has an e-mail address; offices
  without one get no e-mail, only a letter;
- ``letters.html``: one printable A4 page per office with its address, what we hold, what is missing, the
  link and its QR code (inline SVG: the page loads nothing from anywhere).

The folder holds working links: it is created readable by its owner only, and every file likewise.
The texts list only what the directory holds; blank fields are said to be missing, never filled in.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from finder import i18n, share
from finder.csv_export import safe_cell
from finder.rules import BERLIN

__all__ = ["CSV_COLUMNS", "FIELD_LABELS", "Message", "compose", "verify_link", "write_round"]

#: Columns of ``messages.csv`` (the command-line contract).
CSV_COLUMNS: tuple[str, ...] = ("id", "name", "email", "link", "expires", "missing")
#: The fields a letter lists, with their German labels.
FIELD_LABELS: dict[str, str] = {
    "name": "Name",
    "provider": "Träger",
    "street": "Straße",
    "postcode": "Postleitzahl",
    "city": "Ort",
    "phone": "Telefon",
    "email": "E-Mail",
    "website": "Website",
    "opening_hours": "Öffnungszeiten",
    "languages": "Sprachen der Beratung",
    "interpreting": "Dolmetschen / Sprachmittlung",
}
SUBJECT = "Bitte prüfen Sie Ihren Eintrag im Beratungsfinder Sachsen"
USE_OF_DATA = (
    "Wozu wir die Angaben nutzen: Der Beratungsfinder Sachsen zeigt Menschen mit Migrationsgeschichte, "
    "welche Beratungsstellen in ihrer Nähe und in ihrer Sprache helfen. Wir veröffentlichen nur Angaben "
    "über Ihre Stelle, keine über Personen. Ihre Antwort prüft unser Team, bevor sie erscheint; jede "
    "Änderung wird mit Datum festgehalten und kann rückgängig gemacht werden. Im Verzeichnis steht "
    "danach: „von der Stelle bestätigt am …“."
)


def verify_link(public_url: str, token: str) -> str:
    """``<public_url>/verify?token=…``.

    Examples
    --------
    >>> verify_link("https://finder.example/sachsen/", "abc.def")
    'https://finder.example/sachsen/verify?token=abc.def'
    """
    return f"{public_url.rstrip('/')}/verify?{urlencode({'token': token})}"


def _value(row: Mapping[str, Any], column: str) -> str:
    text = str(row.get(column, "") or "").strip()
    if column == "languages" and text:
        return ", ".join(i18n.language_name(c, "de") for c in text.split(";") if c)
    if column == "interpreting":
        return {"yes": "ja", "no": "nein"}.get(text, "")
    return " ".join(text.split())


def first_email(value: str) -> str:
    """The first address of an ``email`` cell (offices may list several).

    Examples
    --------
    >>> first_email("a@example.org; b@example.org"), first_email("")
    ('a@example.org', '')
    """
    for part in str(value or "").replace(",", ";").split(";"):
        if "@" in part.strip():
            return part.strip()
    return ""


@dataclass(frozen=True)
class Message:
    """One office's message: the facts held, what is missing, the link."""

    office_id: str
    name: str
    email: str
    link: str
    expires: dt.date
    held: tuple[tuple[str, str], ...]
    missing: tuple[str, ...]
    address_lines: tuple[str, ...]

    def body(self) -> str:
        """The German text of the e-mail (plain text)."""
        held = "\n".join(f"  {label}: {value}" for label, value in self.held) or "  (keine)"
        missing = ", ".join(FIELD_LABELS.get(m, m) for m in self.missing) or "nichts"
        return (
            "Guten Tag,\n\n"
            f"im Beratungsfinder Sachsen ist Ihre Stelle „{self.name}“ eingetragen. Damit Ratsuchende "
            "verlässliche Angaben finden, bitten wir Sie, Ihren Eintrag zu prüfen. Das dauert etwa fünf "
            "Minuten.\n\n"
            f"So steht Ihr Eintrag bei uns:\n{held}\n\n"
            f"Uns fehlen: {missing}.\n\n"
            "Bitte öffnen Sie Ihren persönlichen Link. Dort können Sie jede Angabe bestätigen oder "
            "korrigieren, oder mit einem Klick bestätigen, dass alles stimmt:\n"
            f"{self.link}\n\n"
            f"Der Link gilt nur für Ihre Stelle und bis zum {self.expires:%d.%m.%Y}. Bitte geben Sie ihn "
            "nicht weiter.\n\n"
            f"{USE_OF_DATA}\n\n"
            "Vielen Dank!\nIhr Team des Beratungsfinders Sachsen\n"
        )

    def email_message(self, sender: str = "", *, date: dt.datetime | None = None) -> EmailMessage:
        """The e-mail (``From`` only when a sender is configured; a draft otherwise)."""
        msg = EmailMessage()
        msg["To"] = self.email
        if sender:
            msg["From"] = sender
        else:
            msg["X-Unsent"] = "1"  # mail programs open it as a draft to send from one's own account
        msg["Subject"] = SUBJECT
        msg["Date"] = formatdate((date or dt.datetime.now(dt.UTC)).timestamp(), localtime=False)
        msg["Message-ID"] = make_msgid(domain="beratungsfinder.invalid")
        msg["X-Beratungsfinder-Office"] = self.office_id
        msg.set_content(self.body(), charset="utf-8")
        return msg


def compose(row: Mapping[str, Any], link: str, expires: dt.datetime) -> Message:
    """The message for one office row (a row of the directory) and its link."""
    held = tuple((label, v) for column, label in FIELD_LABELS.items() if (v := _value(row, column)))
    missing = str(row.get("missing", "") or "")
    street = _value(row, "street")
    place = " ".join(p for p in (_value(row, "postcode"), _value(row, "city")) if p)
    lines = tuple(x for x in (_value(row, "name"), _value(row, "provider"), street, place) if x)
    local = expires.astimezone(BERLIN).date() if expires.tzinfo else expires.date()
    return Message(
        office_id=str(row["id"]), name=_value(row, "name"), email=first_email(str(row.get("email", ""))),
        link=link, expires=local, held=held, missing=tuple(m for m in missing.split(";") if m),
        address_lines=lines,
    )  # fmt: skip


_LETTER_CSS = """
@page { size: A4; margin: 15mm 18mm 15mm 22mm; }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10pt; line-height: 1.3; color: #000; }
.letter { page-break-after: always; break-after: page; }
.letter:last-child { page-break-after: auto; break-after: auto; }
.to { margin: 5mm 0 8mm; white-space: pre-line; }
h1 { font-size: 15pt; margin: 0 0 .6em; }
h2 { font-size: 12pt; margin: .8em 0 .3em; }
table { border-collapse: collapse; margin: .3em 0; }
th, td { text-align: left; vertical-align: top; padding: .1em .8em .1em 0; }
td { overflow-wrap: anywhere; }
.link { font-family: monospace; word-break: break-all; }
.qr { float: right; margin: 0 0 1em 1em; }
.use { font-size: 8.5pt; }
"""


def letter_html(message: Message) -> str:
    """One office's printable page (every value escaped)."""
    e = html.escape
    rows = "".join(
        f"<tr><th scope='row'>{e(label)}</th><td>{e(value)}</td></tr>" for label, value in message.held
    )
    missing = ", ".join(FIELD_LABELS.get(m, m) for m in message.missing) or "nichts"
    qr = share.qr_svg(message.link, scale=3, title=f"QR-Code: {message.link}")
    return (
        f'<section class="letter" data-office-id="{e(message.office_id)}">'
        f'<p class="to">{e(chr(10).join(message.address_lines))}</p>'
        f"<h1>{e(SUBJECT)}</h1>"
        f'<div class="qr">{qr}</div>'
        "<p>Guten Tag,</p>"
        f"<p>im Beratungsfinder Sachsen ist Ihre Stelle „{e(message.name)}“ eingetragen. Damit Ratsuchende "
        "verlässliche Angaben finden, bitten wir Sie, Ihren Eintrag zu prüfen (etwa fünf Minuten).</p>"
        f"<h2>So steht Ihr Eintrag bei uns</h2><table>{rows}</table>"
        f"<p><strong>Uns fehlen:</strong> {e(missing)}.</p>"
        "<p>Bitte scannen Sie den QR-Code oder geben Sie diesen persönlichen Link ein. Dort können Sie jede "
        "Angabe bestätigen oder korrigieren, oder bestätigen, dass alles stimmt:</p>"
        f'<p class="link">{e(message.link)}</p>'
        f"<p>Der Link gilt nur für Ihre Stelle und bis zum {message.expires:%d.%m.%Y}.</p>"
        f'<p class="use">{e(USE_OF_DATA)}</p>'
        "<p>Vielen Dank!<br>Ihr Team des Beratungsfinders Sachsen</p></section>"
    )


def letters_html(messages: Sequence[Message]) -> str:
    """All letters as one print-ready HTML document (German; nothing loaded from elsewhere)."""
    body = "".join(letter_html(m) for m in messages)
    return (
        '<!DOCTYPE html><html lang="de"><head><meta charset="utf-8">'
        f"<title>{html.escape(SUBJECT)}</title><style>{_LETTER_CSS}</style></head><body>{body}</body></html>"
    )


def _private_write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def write_round(folder: Path, messages: Sequence[Message], *, sender: str = "") -> dict[str, int]:
    """Write ``messages.csv``, one ``<id>.eml`` per office with an e-mail address, and ``letters.html``.

    Returns
    -------
    dict
        ``offices``, ``emails`` (``.eml`` files written) and ``letters``.
    """
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for m in messages:
        writer.writerow([safe_cell(v) for v in (m.office_id, m.name, m.email, m.link, m.expires.isoformat(),
                                                ";".join(m.missing))])  # fmt: skip
    _private_write(folder / "messages.csv", out.getvalue().encode("utf-8"))
    emails = 0
    for m in messages:
        if m.email:
            _private_write(folder / f"{m.office_id}.eml", bytes(m.email_message(sender)))
            emails += 1
    _private_write(folder / "letters.html", letters_html(messages).encode("utf-8"))
    return {"offices": len(messages), "emails": emails, "letters": len(messages)}
