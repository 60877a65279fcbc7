"""Corrections from users, review by maintainers, and the history of every change to the directory.

Three parts:

- :class:`CorrectionStore` keeps suggestions ("Report a change"), the change history, the maintainers'
  failed sign-ins (for :class:`finder.auth.LoginGuard`) and, when configured, the directory's edits in a
  database through SQLAlchemy: a SQLite file by default (WAL mode; ``FINDER_CORRECTIONS_DB`` = a path, or
  ``~/.local/share/beratungsfinder/corrections.sqlite``), PostgreSQL or another SQLAlchemy database when
  ``FINDER_CORRECTIONS_DB`` is a URL (``postgresql+psycopg://user:pass@host/db``; install the driver).
  Nothing here sends anything anywhere else: suggestion texts and contacts stay in that database.
- :class:`DirectoryEditor` changes the directory: accept a suggestion, edit, confirm ("still correct"),
  remove, add, and revert any earlier change. Every change records who, when, why and the old and new
  value of each field, so nothing is ever lost. Where the edits go is ``FINDER_CORRECTIONS_TARGET``:
  ``csv`` (default; ``data/offices.csv`` is rewritten atomically under a file lock, and only when
  :func:`finder.directory.validate_file` accepts the result) or ``database`` (edits are kept as overrides
  in the database and :func:`load_directory` merges them into ``offices.csv``; for deployments with
  several app servers or a read-only code folder).
- ``finder review`` on the command line (:func:`register_cli`).

Crash safety of the CSV target: the change is first recorded as *pending*, then the new file is moved
into place with :func:`os.replace`, then the record is marked *applied*. A crash in between leaves a
pending record that the next edit resolves by looking at the file (applied if the file has the new
values, abandoned otherwise), so the file and its history never disagree for long and never get lost.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import getpass
import hashlib
import io
import json
import logging
import os
import re
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pandas as pd
from babel import Locale
from filelock import FileLock, Timeout
from sqlalchemy import (
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    delete,
    event,
    func,
    select,
    update,
)
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from finder import settings as _settings
from finder.directory import OFFICE_COLUMNS, load_offices, validate_file
from finder.errors import ConflictError, CorrectionError, RateLimitedError

logger = logging.getLogger(__name__)

#: What a person can report as wrong ("Report a change").
SUGGESTION_KINDS: tuple[str, ...] = ("address", "phone", "hours", "languages", "closed", "other")
#: Columns a maintainer usually edits for each kind of suggestion (any column but ``id`` can be edited).
KIND_COLUMNS: dict[str, tuple[str, ...]] = {
    "address": ("street", "postcode", "city", "district"),
    "phone": ("phone",),
    "hours": ("opening_hours",),
    "languages": ("languages",),
    "closed": ("notes",),
    "other": (),
}
#: Suggestion states.
STATUSES: tuple[str, ...] = ("open", "accepted", "rejected")
#: Kinds of recorded change.
ACTIONS: tuple[str, ...] = ("edit", "accept", "confirm", "remove", "add", "import", "revert")
#: Where accepted changes are written.
TARGETS: tuple[str, ...] = _settings.CORRECTIONS_TARGETS

MAX_PROPOSED_CHARS: Final = 2000
MAX_CONTACT_CHARS: Final = 200
MAX_NOTE_CHARS: Final = 1000
MAX_VALUE_CHARS: Final = 4000
MAX_NAME_CHARS: Final = 100
MAX_OFFICE_ID_CHARS: Final = 100
#: Default rate limits: suggestions per client session, and from everybody together.
SESSION_LIMIT: Final = (10, dt.timedelta(minutes=10))
GLOBAL_LIMIT: Final = (300, dt.timedelta(hours=1))
#: Failed sign-ins older than this are deleted.
FAILURE_RETENTION: Final = dt.timedelta(days=1)

#: Columns that may hold several lines.
_MULTILINE_COLUMNS = frozenset({"notes"})
#: Columns nobody edits through a correction (the id ties the history together).
_READ_ONLY_COLUMNS = frozenset({"id"})

# C0 and C1 control characters except tab and newline: they could hide text or drive a terminal.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_OFFICE_ID = re.compile(r"[a-z0-9-]{1,100}")


# --------------------------------------------------------------------------------------------------
# Configuration


def default_database_path() -> Path:
    """``$XDG_DATA_HOME/beratungsfinder/corrections.sqlite`` (``~/.local/share`` when unset).

    Deliberately outside the repository, so suggestions and contacts never end up in a commit.
    """
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "beratungsfinder" / "corrections.sqlite"


def database_url(value: str | None = None) -> str:
    """The SQLAlchemy URL of the corrections database.

    Parameters
    ----------
    value
        A URL (``postgresql+psycopg://…``, ``sqlite:///…``) or a file path for SQLite; default the
        ``FINDER_CORRECTIONS_DB`` environment variable, else :func:`default_database_path`.

    Returns
    -------
    str
        A URL for :func:`sqlalchemy.create_engine`.
    """
    if value is None:
        value = _settings.load().corrections_db
    if "://" in value:
        return value
    path = Path(value).expanduser() if value else default_database_path()
    return URL.create("sqlite", database=str(path)).render_as_string(hide_password=False)


def directory_target(value: str | None = None) -> str:
    """Where accepted changes go: ``csv`` or ``database`` (default :attr:`Settings.corrections_target`)."""
    if value is None:
        return _settings.load().corrections_target
    return _settings.Settings(corrections_target=value).corrections_target


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def safe_url(url: str) -> str:
    """The URL with its password hidden (for messages and logs)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # a malformed URL must not leak through its own error message
        return "<invalid database URL>"


# --------------------------------------------------------------------------------------------------
# Text hygiene


def clean_text(
    value: object, *, max_chars: int, multiline: bool = False, what: str = "text", light: bool = False
) -> str:
    """Make user text safe to store and show: valid Unicode, no control characters, NFC, trimmed.

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
        keep it otherwise exactly as given (for imports of already validated data).

    Returns
    -------
    str
        The cleaned text (possibly empty).

    Raises
    ------
    CorrectionError
        If ``value`` is not text or is longer than ``max_chars``.
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
    text = _CONTROLS.sub("", text)
    if not light:
        if not multiline:
            text = " ".join(text.split())
        text = unicodedata.normalize("NFC", text).strip()
    if len(text) > max_chars:
        msg = f"{what} is too long ({len(text)} characters; at most {max_chars})"
        raise CorrectionError(msg)
    return text


def printable(text: object) -> str:
    """Text safe for a terminal: control characters (escape sequences) shown as hex escapes."""
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def _hash_key(key: str) -> str:
    # Only a hash of the client's session token is stored: it is enough to count, and says nothing.
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


# --------------------------------------------------------------------------------------------------
# Languages typed as names ("Arabisch, Farsi") to ISO 639-1 codes

_LANGUAGE_ALIASES = {"farsi": "fa", "dari": "fa", "kurmanji": "ku", "sorani": "ku", "tigrinya": "ti"}


def _language_names() -> dict[str, str]:
    names: dict[str, str] = dict(_LANGUAGE_ALIASES)
    for locale in ("en", "de"):
        for code, name in Locale(locale).languages.items():
            if len(code) == 2 and code.isalpha() and code.isascii():
                names.setdefault(name.casefold(), code)
                names.setdefault(code, code)
    return names


def parse_languages(text: str) -> tuple[list[str], list[str]]:
    """Read languages typed as codes or English/German names.

    Parameters
    ----------
    text
        E.g. ``"Arabisch, Farsi; en"``.

    Returns
    -------
    tuple of (list of str, list of str)
        The ISO 639-1 codes recognised (in order, no duplicates) and the parts not recognised.

    Examples
    --------
    >>> parse_languages("Arabisch, Farsi; en, Klingon")
    (['ar', 'fa', 'en'], ['Klingon'])
    """
    names = _language_names()
    codes: list[str] = []
    unknown: list[str] = []
    for part in re.split(r"[;,/]|\bund\b|\band\b|\bu\.", text):
        item = part.strip().strip(".").strip()
        if not item:
            continue
        code = names.get(item.casefold())
        if code is None:
            unknown.append(item)
        elif code not in codes:
            codes.append(code)
    return codes, unknown


# --------------------------------------------------------------------------------------------------
# Database models


class Base(DeclarativeBase):
    """Declarative base of the corrections database."""


class StoreLock(Base):
    """One row per lock name; ``SELECT … FOR UPDATE`` on it serialises writers (PostgreSQL & co)."""

    __tablename__ = "store_locks"
    name: Mapped[str] = mapped_column(String(20), primary_key=True)


class Suggestion(Base):
    """A suggestion sent with "Report a change"."""

    __tablename__ = "suggestions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[str] = mapped_column(String(MAX_OFFICE_ID_CHARS), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    proposed: Mapped[str] = mapped_column(Text)
    contact: Mapped[str] = mapped_column(String(MAX_CONTACT_CHARS), default="")
    client: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(MAX_NAME_CHARS), nullable=True)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    change_set_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ChangeSet(Base):
    """One recorded change of one office (all fields changed together)."""

    __tablename__ = "change_sets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[str] = mapped_column(String(MAX_OFFICE_ID_CHARS), index=True)
    action: Mapped[str] = mapped_column(String(10))
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    by: Mapped[str] = mapped_column(String(MAX_NAME_CHARS))
    reason: Mapped[str] = mapped_column(Text, default="")
    suggestion_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reverts_id: Mapped[int | None] = mapped_column(ForeignKey("change_sets.id"), nullable=True)
    state: Mapped[str] = mapped_column(String(10), default="applied", index=True)
    target: Mapped[str] = mapped_column(Text, default="")
    row_position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    fields: Mapped[list[FieldChange]] = relationship(
        back_populates="change_set", cascade="all, delete-orphan", order_by="FieldChange.id"
    )


class FieldChange(Base):
    """Old and new value of one field.

    ``None`` means the office did not exist (before an add, after a removal).
    """

    __tablename__ = "field_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    change_set_id: Mapped[int] = mapped_column(ForeignKey("change_sets.id"), index=True)
    column: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    new_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    change_set: Mapped[ChangeSet] = relationship(back_populates="fields")


class LoginFailure(Base):
    """A failed maintainer sign-in (hashed client key, time)."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class OfficeOverride(Base):
    """The current row of an office edited with the ``database`` target (``row`` NULL = removed)."""

    __tablename__ = "office_overrides"
    office_id: Mapped[str] = mapped_column(String(MAX_OFFICE_ID_CHARS), primary_key=True)
    row: Mapped[str | None] = mapped_column(Text, nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


# --------------------------------------------------------------------------------------------------
# Views returned to callers (plain data, detached from the database session)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else value.replace(tzinfo=dt.UTC)


def _naive(value: dt.datetime) -> dt.datetime:
    # Stored as naive UTC: SQLite has no time zones, and one convention everywhere avoids mix-ups.
    return value.astimezone(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class SuggestionView:
    """A suggestion as shown to maintainers (times in UTC)."""

    id: int
    office_id: str
    kind: str
    proposed: str
    contact: str
    created_at: dt.datetime
    status: str
    decided_at: dt.datetime | None
    decided_by: str | None
    decision_note: str
    change_set_id: int | None

    @classmethod
    def of(cls, row: Suggestion) -> SuggestionView:
        """Copy a database row."""
        return cls(
            row.id, row.office_id, row.kind, row.proposed, row.contact, _aware(row.created_at),  # type: ignore[arg-type]
            row.status, _aware(row.decided_at), row.decided_by, row.decision_note or "", row.change_set_id,
        )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (ISO times)."""
        out = dict(self.__dict__)
        for key in ("created_at", "decided_at"):
            out[key] = out[key].isoformat(timespec="seconds") if out[key] else None
        return out


@dataclass(frozen=True)
class ChangeView:
    """A recorded change: ``fields`` maps column → ``(old, new)`` (``None`` = office absent)."""

    id: int
    office_id: str
    action: str
    at: dt.datetime
    by: str
    reason: str
    suggestion_id: int | None
    reverts_id: int | None
    state: str
    fields: dict[str, tuple[str | None, str | None]]
    reverted_by_id: int | None = None

    @classmethod
    def of(cls, row: ChangeSet, reverted_by: int | None = None) -> ChangeView:
        """Copy a database row."""
        return cls(
            row.id, row.office_id, row.action, _aware(row.at), row.by, row.reason or "",  # type: ignore[arg-type]
            row.suggestion_id, row.reverts_id, row.state,
            {f.column: (f.old_value, f.new_value) for f in row.fields}, reverted_by,
        )  # fmt: skip

    @property
    def changed(self) -> dict[str, tuple[str | None, str | None]]:
        """Only the fields whose value changed."""
        return {k: v for k, v in self.fields.items() if v[0] != v[1]}

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out = dict(self.__dict__)
        out["at"] = self.at.isoformat(timespec="seconds")
        out["fields"] = {k: {"old": v[0], "new": v[1]} for k, v in self.changed.items()}
        return out


# --------------------------------------------------------------------------------------------------
# The store


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _make_engine(url: str) -> Engine:
    sqlite_path = _sqlite_path(url)
    if sqlite_path is not None:
        sqlite_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # The default pool for a SQLite file is a QueuePool with check_same_thread=False, so Streamlit's
        # threads can share the engine; the timeout is how long a writer waits for another's lock.
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # pysqlite's own transaction handling would BEGIN lazily (DEFERRED); we BEGIN ourselves.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout = 30000")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            # IMMEDIATE takes the write lock at the start, so "check the rate limit, then insert" and
            # "read the row, then write the change" cannot interleave between processes.
            immediate = conn.get_execution_options().get("sqlite_immediate", True)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    # A server that does not answer must not hold up the public pages (they read confirmations at start).
    connect_args = {"connect_timeout": 10} if make_url(url).get_backend_name() == "postgresql" else {}
    return create_engine(url, pool_pre_ping=True, hide_parameters=True, connect_args=connect_args)


class CorrectionStore:
    """Suggestions, change history, failed sign-ins and database overrides, in one database.

    Parameters
    ----------
    url
        SQLAlchemy URL or SQLite path; default :func:`database_url` (``FINDER_CORRECTIONS_DB``).
    session_limit
        ``(count, period)``: suggestions one client session may send per period.
    global_limit
        ``(count, period)``: suggestions everybody together may send per period.
    clock
        Returns the current time (aware UTC); tests pass a fake one.

    Raises
    ------
    CorrectionError
        When the database cannot be opened or created (the message hides any password).
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        session_limit: tuple[int, dt.timedelta] = SESSION_LIMIT,
        global_limit: tuple[int, dt.timedelta] = GLOBAL_LIMIT,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self.url = database_url(url)
        self.session_limit = session_limit
        self.global_limit = global_limit
        self.clock = clock
        try:
            self.engine = _make_engine(self.url)
            self._create_schema()
        except (SQLAlchemyError, OSError) as exc:
            msg = f"cannot open the corrections database {safe_url(self.url)}: {type(exc).__name__}"
            raise CorrectionError(msg) from exc
        path = _sqlite_path(self.url)
        if path is not None:
            # Contacts are personal data: only the server's user may read the file.
            with contextlib.suppress(OSError):
                path.chmod(0o600)

    def _create_schema(self) -> None:
        for attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    Base.metadata.create_all(conn)
                    if conn.execute(select(StoreLock).where(StoreLock.name == "write")).first() is None:
                        conn.execute(StoreLock.__table__.insert().values(name="write"))
                return
            except (IntegrityError, OperationalError, ProgrammingError):
                # Another process created the tables at the same moment (PostgreSQL); try again.
                if attempt == 2:
                    raise

    def dispose(self) -> None:
        """Close all pooled connections."""
        self.engine.dispose()

    @contextlib.contextmanager
    def _write(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            # Serialises writers on databases with row locks; SQLite already holds its write lock.
            session.execute(select(StoreLock).where(StoreLock.name == "write").with_for_update()).first()
            yield session

    @contextlib.contextmanager
    def _read(self) -> Iterator[Session]:
        bind = self.engine.execution_options(sqlite_immediate=False)
        with Session(bind, expire_on_commit=False) as session, session.begin():
            yield session

    def _now(self) -> dt.datetime:
        return _naive(self.clock())

    # -- suggestions ---------------------------------------------------------------------------
    def submit(
        self,
        office_id: str,
        kind: str,
        proposed: str,
        contact: str = "",
        *,
        client_key: str,
        known_ids: Collection[str] | None = None,
    ) -> int:
        """Store a suggestion ("Report a change").

        Parameters
        ----------
        office_id
            The office it is about.
        kind
            One of :data:`SUGGESTION_KINDS`.
        proposed
            What is right (free text, at most :data:`MAX_PROPOSED_CHARS` characters).
        contact
            Optional e-mail or phone for questions (at most :data:`MAX_CONTACT_CHARS`); deleted when the
            suggestion is decided.
        client_key
            A token of the sender's session for the rate limit (only its hash is stored).
        known_ids
            When given, ``office_id`` must be one of them.

        Returns
        -------
        int
            The suggestion's number.

        Raises
        ------
        CorrectionError
            Invalid input (message fit to show).
        RateLimitedError
            Too many suggestions from this session or from everybody.
        """
        if not isinstance(office_id, str) or not _OFFICE_ID.fullmatch(office_id):
            msg = "unknown office"
            raise CorrectionError(msg)
        if known_ids is not None and office_id not in known_ids:
            msg = "unknown office"
            raise CorrectionError(msg)
        if kind not in SUGGESTION_KINDS:
            msg = f"unknown kind of change (one of {', '.join(SUGGESTION_KINDS)})"
            raise CorrectionError(msg)
        text = clean_text(proposed, max_chars=MAX_PROPOSED_CHARS, multiline=True, what="the correction")
        if not text:
            msg = "Please describe what is correct."
            raise CorrectionError(msg)
        contact_text = clean_text(contact or "", max_chars=MAX_CONTACT_CHARS, what="the contact")
        client = _hash_key(str(client_key))
        now = self._now()
        with self._write() as session:
            for where, (limit, period), label in (
                (Suggestion.client == client, self.session_limit, "from this session"),
                (Suggestion.id.is_not(None), self.global_limit, "from everybody"),
            ):
                since = now - period
                times = session.scalars(
                    select(Suggestion.created_at)
                    .where(where, Suggestion.created_at >= since)
                    .order_by(Suggestion.created_at)
                ).all()
                if len(times) >= limit:
                    wait = times[len(times) - limit] + period - now
                    minutes = max(1, round(wait.total_seconds() / 60))
                    msg = (
                        f"Too many reports {label} in a short time; please try again in about {minutes} "
                        "minute(s)."
                    )
                    raise RateLimitedError(msg, wait)
            row = Suggestion(
                office_id=office_id, kind=kind, proposed=text, contact=contact_text, client=client,
                created_at=now, status="open", decision_note="",
            )  # fmt: skip
            session.add(row)
            session.flush()
            return row.id

    def suggestions(
        self, status: str | None = "open", office_id: str | None = None, limit: int = 500
    ) -> list[SuggestionView]:
        """Suggestions, oldest first (``status=None`` for all)."""
        query = select(Suggestion).order_by(Suggestion.id).limit(limit)
        if status is not None:
            query = query.where(Suggestion.status == status)
        if office_id is not None:
            query = query.where(Suggestion.office_id == office_id)
        with self._read() as session:
            return [SuggestionView.of(row) for row in session.scalars(query)]

    def suggestion(self, suggestion_id: int) -> SuggestionView:
        """One suggestion; :class:`CorrectionError` if there is none with this number."""
        with self._read() as session:
            row = session.get(Suggestion, int(suggestion_id))
            if row is None:
                msg = f"there is no suggestion #{suggestion_id}"
                raise CorrectionError(msg)
            return SuggestionView.of(row)

    def reject(self, suggestion_id: int, *, by: str, note: str = "") -> SuggestionView:
        """Reject an open suggestion (its contact is deleted)."""
        by = clean_text(by, max_chars=MAX_NAME_CHARS, what="the name") or "unknown"
        note = clean_text(note, max_chars=MAX_NOTE_CHARS, multiline=True, what="the note")
        with self._write() as session:
            row = session.get(Suggestion, int(suggestion_id))
            if row is None:
                msg = f"there is no suggestion #{suggestion_id}"
                raise CorrectionError(msg)
            if row.status != "open":
                msg = f"suggestion #{suggestion_id} was already {row.status}"
                raise ConflictError(msg)
            row.status, row.decided_at, row.decided_by = "rejected", self._now(), by
            row.decision_note, row.contact = note, ""
            session.flush()
            return SuggestionView.of(row)

    # -- history -------------------------------------------------------------------------------
    def history(self, office_id: str | None = None, limit: int = 200) -> list[ChangeView]:
        """Recorded changes, newest first (pending and abandoned ones included, marked by ``state``)."""
        query = select(ChangeSet).order_by(ChangeSet.id.desc()).limit(limit)
        if office_id is not None:
            query = query.where(ChangeSet.office_id == office_id)
        with self._read() as session:
            rows = session.scalars(query).all()
            reverted = self._reverted_by(session, [r.id for r in rows])
            return [ChangeView.of(row, reverted.get(row.id)) for row in rows]

    def change(self, change_id: int) -> ChangeView:
        """One recorded change; :class:`CorrectionError` if there is none with this number."""
        with self._read() as session:
            row = session.get(ChangeSet, int(change_id))
            if row is None:
                msg = f"there is no change #{change_id}"
                raise CorrectionError(msg)
            return ChangeView.of(row, self._reverted_by(session, [row.id]).get(row.id))

    @staticmethod
    def _reverted_by(session: Session, ids: Sequence[int]) -> dict[int, int]:
        if not ids:
            return {}
        rows = session.execute(
            select(ChangeSet.reverts_id, ChangeSet.id).where(
                ChangeSet.reverts_id.in_(ids), ChangeSet.state == "applied"
            )
        )
        return {reverts: by for reverts, by in rows if reverts is not None}

    def confirmations(self) -> dict[str, dt.datetime]:
        """When a maintainer last confirmed each office ("still correct"), not counting reverted ones."""
        with self._read() as session:
            rows = session.execute(
                select(ChangeSet.id, ChangeSet.office_id, ChangeSet.at).where(
                    ChangeSet.action == "confirm", ChangeSet.state == "applied"
                )
            ).all()
            reverted = self._reverted_by(session, [r.id for r in rows])
        out: dict[str, dt.datetime] = {}
        for change_id, office_id, at in rows:
            if change_id in reverted:
                continue
            when = at.replace(tzinfo=dt.UTC)
            if office_id not in out or when > out[office_id]:
                out[office_id] = when
        return out

    # -- failed sign-ins (finder.auth.FailureLog) ----------------------------------------------
    def record_failure(self, key: str, at: dt.datetime) -> None:
        """Remember a failed sign-in of client ``key`` (and forget ones older than a day)."""
        with self._write() as session:
            session.add(LoginFailure(key=_hash_key(key), at=_naive(at)))
            session.execute(delete(LoginFailure).where(LoginFailure.at < _naive(at) - FAILURE_RETENTION))

    def failures_since(self, key: str, since: dt.datetime) -> list[dt.datetime]:
        """Failed sign-ins of ``key`` at or after ``since``, oldest first."""
        with self._read() as session:
            times = session.scalars(
                select(LoginFailure.at)
                .where(LoginFailure.key == _hash_key(key), LoginFailure.at >= _naive(since))
                .order_by(LoginFailure.at)
            ).all()
        return [t.replace(tzinfo=dt.UTC) for t in times]

    def clear_failures(self, key: str) -> None:
        """Forget the failed sign-ins of ``key``."""
        with self._write() as session:
            session.execute(delete(LoginFailure).where(LoginFailure.key == _hash_key(key)))

    # -- database target -------------------------------------------------------------------------
    def overrides(self) -> dict[str, tuple[dict[str, str] | None, int]]:
        """Office id → (row or ``None`` if removed, position) of the ``database`` target."""
        with self._read() as session:
            return {
                o.office_id: (json.loads(o.row) if o.row is not None else None, o.position)
                for o in session.scalars(select(OfficeOverride))
            }

    def counts(self) -> dict[str, int]:
        """Number of suggestions per status and of recorded changes."""
        with self._read() as session:
            out = dict.fromkeys(STATUSES, 0)
            for status, n in session.execute(
                select(Suggestion.status, func.count()).group_by(Suggestion.status)
            ):
                out[status] = n
            out["changes"] = session.scalar(select(func.count()).select_from(ChangeSet)) or 0
            return out


def open_existing_store(url: str | None = None) -> CorrectionStore | None:
    """The store if its database exists (a SQLite file is never created by this call), else ``None``."""
    resolved = database_url(url)
    path = _sqlite_path(resolved)
    if path is not None and not path.exists():
        return None
    try:
        return CorrectionStore(resolved)
    except CorrectionError as exc:
        logger.warning("%s", exc)
        return None


def load_confirmations(url: str | None = None) -> dict[str, dt.datetime]:
    """Maintainers' "still correct" confirmations per office.

    Empty when there is no database; never raises (the public pages must work without it).
    """
    store = open_existing_store(url)
    if store is None:
        return {}
    try:
        return store.confirmations()
    except SQLAlchemyError as exc:
        logger.warning("cannot read confirmations: %s", type(exc).__name__)
        return {}
    finally:
        store.dispose()


# --------------------------------------------------------------------------------------------------
# Reading and writing the directory file


def read_rows(path: str | os.PathLike[str]) -> tuple[list[str], list[dict[str, str]]]:
    """Read a valid ``offices.csv`` as its header and one dict of raw strings per row.

    Raises
    ------
    CorrectionError
        If the file has problems (edits are only made to a valid directory).
    """
    problems = validate_file(path)
    if problems:
        shown = "; ".join(str(p) for p in problems[:3])
        msg = f"{path} has {len(problems)} problem(s); fix them first (finder validate): {shown}"
        raise CorrectionError(msg)
    text = Path(path).read_bytes().removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    rows = [dict(zip(header, row, strict=True)) for row in reader if row]
    return header, rows


def _serialise(header: Sequence[str], rows: Sequence[Mapping[str, str]]) -> tuple[str, list[int]]:
    """CSV text (LF line ends, minimal quoting, like the file in the repository) and each row's line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    lines = []
    line = 2
    for row in rows:
        before = out.tell()
        writer.writerow([row.get(column, "") for column in header])
        lines.append(line)
        out.seek(0, io.SEEK_END)
        line += out.getvalue()[before:].count("\n")
    return out.getvalue(), lines


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_temp(path: Path, text: str) -> Path:
    """Write ``text`` to a new temporary file beside ``path`` (same file system, so os.replace is atomic).

    ``path`` itself need not exist.
    """
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            Path(name).unlink()
        raise
    with contextlib.suppress(OSError):
        Path(name).chmod(path.stat().st_mode & 0o777 if path.exists() else 0o644)
    return Path(name)


def _validate_temp(
    path: Path, header: Sequence[str], rows: Sequence[Mapping[str, str]]
) -> tuple[Path, list[str]]:
    """Write rows to a new temporary file beside ``path`` and validate it: (file, problem lines)."""
    text, lines = _serialise(header, rows)
    temp = _write_temp(path, text)
    by_line = {line: row.get("id", "") for line, row in zip(lines, rows, strict=True)}
    messages = []
    for problem in validate_file(temp):
        office = by_line.get(problem.line, "")
        where = f"office {office}" if office else f"line {problem.line}"
        messages.append(f"{where}: {problem.field}: {problem.message}")
    return temp, messages


def _check_rows(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Mapping[str, str]],
    touched: Collection[str],
    folder: Path | None = None,
) -> Path:
    """Write the would-be directory to a temporary file and validate it; return the file if valid.

    The file is written beside ``path`` (so it can replace it atomically) unless ``folder`` is given.
    """
    temp, messages = _validate_temp(path if folder is None else folder / path.name, header, rows)
    if not messages:
        return temp
    with contextlib.suppress(OSError):
        temp.unlink()
    changed = ", ".join(sorted(touched)) or "the directory"
    msg = f"The change to {changed} was refused because the result would not be valid: " + "; ".join(
        messages[:5]
    )
    raise CorrectionError(msg)


# --------------------------------------------------------------------------------------------------
# The editor


@dataclass
class _Op:
    """One office's change within a commit."""

    office_id: str
    action: str
    kind: str  # "update" | "add" | "remove"
    changes: dict[str, str] = field(default_factory=dict)
    row: dict[str, str] | None = None
    position: int | None = None
    reason: str = ""
    suggestion_id: int | None = None
    reverts_id: int | None = None
    # "full" for what people type, "light" for imports (exact but safe), "none" for our own history.
    cleaning: str = "full"
    # Filled while planning:
    fields: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)


def _today() -> dt.date:
    return dt.date.today()


class DirectoryEditor:
    """Apply, confirm, remove, add and revert changes to the office directory, recording each one.

    Parameters
    ----------
    store
        The corrections store (history, suggestions, overrides).
    csv_path
        The directory file; default ``settings.data_dir / "offices.csv"``.
    target
        ``"csv"`` (rewrite the file) or ``"database"`` (keep overrides in the store); default
        :func:`directory_target`.
    today
        Returns today's date for ``last_checked``; tests pass a fixed one.
    lock_timeout
        Seconds to wait for another process's edit of the file.

    Examples
    --------
    >>> editor = DirectoryEditor(CorrectionStore())  # doctest: +SKIP
    >>> editor.apply("mbe-x", {"phone": "0351 123456"}, by="anna", reason="phone call with the office")
    ... # doctest: +SKIP
    """

    def __init__(
        self,
        store: CorrectionStore,
        csv_path: str | os.PathLike[str] | None = None,
        *,
        target: str | None = None,
        today: Callable[[], dt.date] = _today,
        lock_timeout: float = 30.0,
    ) -> None:
        self.store = store
        self.csv_path = Path(csv_path) if csv_path is not None else _settings.load().data_dir / "offices.csv"
        self.target = directory_target(target)
        self.today = today
        self._file_lock = FileLock(str(self.csv_path) + ".lock", timeout=lock_timeout)
        self._target_key = f"csv:{self.csv_path.resolve()}" if self.target == "csv" else "database"

    # -- reading ---------------------------------------------------------------------------------
    def rows(self) -> tuple[list[str], list[dict[str, str]]]:
        """The current directory (with database overrides applied): header and rows."""
        header, base = read_rows(self.csv_path)
        if self.target == "database":
            return header, _merge(base, self.store.overrides())
        return header, base

    def row(self, office_id: str) -> dict[str, str]:
        """The current row of one office; :class:`CorrectionError` if there is none."""
        for row in self.rows()[1]:
            if row.get("id") == office_id:
                return row
        msg = f"there is no office with id {office_id!r}"
        raise CorrectionError(msg)

    def load(self) -> pd.DataFrame:
        """The current directory as :func:`finder.directory.load_offices` returns it."""
        if self.target == "csv":
            return load_offices(self.csv_path)
        header, rows = self.rows()
        text, _ = _serialise(header, rows)
        with tempfile.TemporaryDirectory() as folder:
            temp = Path(folder) / "offices.csv"
            temp.write_text(text, encoding="utf-8", newline="")
            return load_offices(temp)

    # -- public edits ----------------------------------------------------------------------------
    def apply(
        self,
        office_id: str,
        changes: Mapping[str, str],
        *,
        by: str,
        reason: str = "",
        action: str = "edit",
    ) -> ChangeView:
        """Change fields of one office; ``last_checked`` becomes today unless ``changes`` sets it.

        Raises
        ------
        CorrectionError
            Unknown office or column, invalid result (the file stays as it was).
        """
        op = _Op(office_id, action, "update", dict(changes), reason=reason)
        return self._commit([op], by=by)[0]

    def accept(
        self,
        suggestion_id: int,
        changes: Mapping[str, str] | None = None,
        *,
        by: str,
        reason: str = "",
        remove: bool = False,
    ) -> ChangeView:
        """Accept an open suggestion: apply ``changes`` to its office (or remove it); keep it as history.

        Parameters
        ----------
        suggestion_id
            The suggestion.
        changes
            Column → new value, as the maintainer decided (may be empty: then only ``last_checked``).
        by, reason
            Who decided, and why (default "suggestion #N").
        remove
            The office is closed: take it out of the directory (revertible).

        Raises
        ------
        ConflictError
            If the suggestion was decided already.
        """
        suggestion = self.store.suggestion(suggestion_id)
        if suggestion.status != "open":
            msg = f"suggestion #{suggestion_id} was already {suggestion.status}"
            raise ConflictError(msg)
        reason = reason or f"suggestion #{suggestion_id} ({suggestion.kind})"
        kind = "remove" if remove else "update"
        op = _Op(suggestion.office_id, "accept", kind, dict(changes or {}), reason=reason,
                 suggestion_id=suggestion_id)  # fmt: skip
        return self._commit([op], by=by)[0]

    def confirm(self, office_id: str, *, by: str, reason: str = "") -> ChangeView:
        """Record that a maintainer confirmed the office ("still correct"); ``last_checked`` becomes today."""
        op = _Op(office_id, "confirm", "update", {}, reason=reason or "still correct")
        return self._commit([op], by=by)[0]

    def remove(self, office_id: str, *, by: str, reason: str) -> ChangeView:
        """Take an office out of the directory (all its values stay in the history; revertible)."""
        return self._commit([_Op(office_id, "remove", "remove", reason=reason)], by=by)[0]

    def add(self, row: Mapping[str, str], *, by: str, reason: str) -> ChangeView:
        """Add a new office (at the end of the file)."""
        office_id = str(row.get("id", ""))
        return self._commit([_Op(office_id, "add", "add", row=dict(row), reason=reason)], by=by)[0]

    def apply_many(
        self,
        updates: Mapping[str, Mapping[str, str]],
        additions: Sequence[Mapping[str, str]] = (),
        *,
        by: str,
        reason: str,
        action: str = "import",
        touch_last_checked: bool = False,
    ) -> list[ChangeView]:
        """Update and add several offices in one atomic write, one recorded change per office.

        ``last_checked`` is only set to today when ``touch_last_checked`` (an import carries its own).
        """
        ops = []
        for office_id, changes in updates.items():
            values = dict(changes)
            if not touch_last_checked:
                values.setdefault("last_checked", "\0keep")
            ops.append(_Op(office_id, action, "update", values, reason=reason, cleaning="light"))
        ops.extend(
            _Op(str(r.get("id", "")), action, "add", row=dict(r), reason=reason, cleaning="light")
            for r in additions
        )
        if not ops:
            return []
        return self._commit(ops, by=by)

    def revert(self, change_id: int, *, by: str, reason: str = "") -> ChangeView:
        """Undo a recorded change, restoring every old value (only if the office was not changed since).

        Raises
        ------
        ConflictError
            If the change is not applied, was already reverted, or the office has changed since.
        """
        change = self.store.change(change_id)
        if change.state != "applied":
            msg = f"change #{change_id} was never applied ({change.state}); there is nothing to revert"
            raise ConflictError(msg)
        if change.reverted_by_id is not None:
            msg = f"change #{change_id} was already reverted by change #{change.reverted_by_id}"
            raise ConflictError(msg)
        reason = reason or f"revert change #{change_id}"
        fields = change.fields
        was_absent = bool(fields) and all(old is None for old, _ in fields.values())
        is_absent = bool(fields) and all(new is None for _, new in fields.values())
        if was_absent:
            op = _Op(
                change.office_id, "revert", "remove", reason=reason, reverts_id=change_id, cleaning="none"
            )
        elif is_absent:
            row = {k: v[0] or "" for k, v in fields.items()}
            op = _Op(
                change.office_id,
                "revert",
                "add",
                row=row,
                reason=reason,
                reverts_id=change_id,
                cleaning="none",
            )
            op.position = self._position_of(change_id)
        else:
            op = _Op(
                change.office_id, "revert", "update", reason=reason, reverts_id=change_id, cleaning="none"
            )
            op.changes = {k: v[0] or "" for k, v in fields.items()}
        # Expected current values: what the reverted change wrote.
        expected = {k: v[1] for k, v in fields.items()}
        return self._commit([op], by=by, expected={change.office_id: expected})[0]

    def _position_of(self, change_id: int) -> int | None:
        with self.store._read() as session:
            row = session.get(ChangeSet, change_id)
            return row.row_position if row is not None else None

    # -- the commit ------------------------------------------------------------------------------
    def _commit(
        self,
        ops: list[_Op],
        *,
        by: str,
        expected: Mapping[str, Mapping[str, str | None]] | None = None,
    ) -> list[ChangeView]:
        by = clean_text(by, max_chars=MAX_NAME_CHARS, what="the name") or "unknown"
        for op in ops:
            op.reason = clean_text(op.reason, max_chars=MAX_NOTE_CHARS, multiline=True, what="the reason")
            if op.cleaning == "none":
                continue
            light = op.cleaning == "light"
            op.changes = self._clean_changes(op.changes, light=light)
            if op.row is not None:
                op.row = self._clean_changes(op.row, allow_id=True, light=light)
        try:
            if self.target == "csv":
                with self._file_lock:
                    return self._commit_csv(ops, by, expected or {})
            return self._commit_database(ops, by, expected or {})
        except Timeout as exc:
            msg = "Another edit of the directory is in progress; please try again in a moment."
            raise CorrectionError(msg) from exc
        except OSError as exc:
            # Nothing was changed (a recorded change is marked abandoned); say why in words.
            msg = (
                f"The directory file could not be written ({exc.strerror or exc}); nothing was changed. "
                "On a read-only data folder set FINDER_CORRECTIONS_TARGET=database."
            )
            raise CorrectionError(msg) from exc

    @staticmethod
    def _clean_changes(
        changes: Mapping[str, object], *, allow_id: bool = False, light: bool = False
    ) -> dict[str, str]:
        out: dict[str, str] = {}
        for column, value in changes.items():
            if column not in OFFICE_COLUMNS:
                msg = f"unknown column {printable(column)[:40]!r}"
                raise CorrectionError(msg)
            if column in _READ_ONLY_COLUMNS and not allow_id:
                msg = f"the column {column} cannot be changed"
                raise CorrectionError(msg)
            if value == "\0keep":
                out[column] = "\0keep"
                continue
            text = clean_text(
                value,
                max_chars=MAX_VALUE_CHARS,
                multiline=column in _MULTILINE_COLUMNS,
                what=column,
                light=light,
            )
            out[column] = text
        return out

    def _plan(
        self,
        ops: list[_Op],
        header: Sequence[str],
        rows: list[dict[str, str]],
        expected: Mapping[str, Mapping[str, str | None]],
    ) -> list[dict[str, str]]:
        """Apply the operations to a copy of ``rows``; fill each op's ``fields``; return the new rows."""
        new_rows = [dict(r) for r in rows]
        today = self.today().isoformat()
        for op in ops:
            index = next((i for i, r in enumerate(new_rows) if r.get("id") == op.office_id), None)
            wanted = expected.get(op.office_id)
            if wanted is not None:
                current = new_rows[index] if index is not None else None
                stale = [
                    col for col, value in wanted.items()
                    if (current.get(col) if current is not None else None) != value
                ]  # fmt: skip
                if stale:
                    later = [c.id for c in self.store.history(op.office_id) if c.state == "applied"]
                    msg = (
                        f"office {op.office_id} has changed since ({', '.join(stale[:5])}); revert the "
                        f"later changes first (recent changes: {', '.join(f'#{i}' for i in later[:5])})"
                    )
                    raise ConflictError(msg)
            if op.kind == "add":
                if index is not None:
                    msg = f"an office with id {op.office_id!r} exists already"
                    raise CorrectionError(msg)
                row = dict.fromkeys(header, "")
                row.update(op.row or {})
                if op.action != "revert" and not row.get("last_checked"):
                    row["last_checked"] = today
                position = len(new_rows) if op.position is None else max(0, min(op.position, len(new_rows)))
                new_rows.insert(position, row)
                op.position = position
                op.fields = {column: (None, row.get(column, "")) for column in header}
                continue
            if index is None:
                msg = f"there is no office with id {op.office_id!r}"
                raise CorrectionError(msg)
            old = new_rows[index]
            if op.kind == "remove":
                op.position = index
                op.fields = {column: (old.get(column, ""), None) for column in header}
                del new_rows[index]
                continue
            changes = dict(op.changes)
            if op.action != "revert":
                if changes.get("last_checked") == "\0keep":
                    del changes["last_checked"]
                elif "last_checked" not in changes:
                    changes["last_checked"] = today
            new = dict(old)
            new.update(changes)
            op.fields = {
                c: (old.get(c, ""), new.get(c, "")) for c in header if old.get(c, "") != new.get(c, "")
            }
            if op.action == "confirm":
                op.fields.setdefault(
                    "last_checked", (old.get("last_checked", ""), new.get("last_checked", ""))
                )
            new_rows[index] = new
        return new_rows

    def _record(self, session: Session, ops: list[_Op], by: str, state: str) -> list[ChangeSet]:
        now = self.store._now()
        records = []
        for op in ops:
            record = ChangeSet(
                office_id=op.office_id, action=op.action, at=now, by=by, reason=op.reason,
                suggestion_id=op.suggestion_id, reverts_id=op.reverts_id, state=state,
                target=self._target_key, row_position=op.position,
            )  # fmt: skip
            record.fields = [
                FieldChange(column=c, old_value=o, new_value=n) for c, (o, n) in op.fields.items()
            ]
            session.add(record)
            records.append(record)
        session.flush()
        for op, record in zip(ops, records, strict=True):
            if op.suggestion_id is None:
                continue
            result = session.execute(
                update(Suggestion)
                .where(Suggestion.id == op.suggestion_id, Suggestion.status == "open")
                .values(status="accepted", decided_at=now, decided_by=by, decision_note=op.reason,
                        contact="", change_set_id=record.id)
            )  # fmt: skip
            if result.rowcount != 1:
                msg = f"suggestion #{op.suggestion_id} was decided meanwhile"
                raise ConflictError(msg)
        return records

    def _commit_csv(
        self, ops: list[_Op], by: str, expected: Mapping[str, Mapping[str, str | None]]
    ) -> list[ChangeView]:
        self.reconcile()
        header, rows = read_rows(self.csv_path)
        new_rows = self._plan(ops, header, rows, expected)
        temp = _check_rows(self.csv_path, header, new_rows, {op.office_id for op in ops})
        ids: list[int] = []
        try:
            with self.store._write() as session:
                records = self._record(session, ops, by, "pending")
                ids = [r.id for r in records]
            temp.replace(self.csv_path)
        except BaseException:
            with contextlib.suppress(OSError):
                temp.unlink()
            if ids:
                # Recorded but not written: resolve it now rather than at the next edit.
                with contextlib.suppress(Exception):
                    self.reconcile()
            raise
        _fsync_dir(self.csv_path.parent)
        with self.store._write() as session:
            session.execute(update(ChangeSet).where(ChangeSet.id.in_(ids)).values(state="applied"))
        return [self.store.change(i) for i in ids]

    def _commit_database(
        self, ops: list[_Op], by: str, expected: Mapping[str, Mapping[str, str | None]]
    ) -> list[ChangeView]:
        header, base = read_rows(self.csv_path)
        base_by_id = {r["id"]: r for r in base}
        with self.store._write() as session:
            overrides = {
                o.office_id: (json.loads(o.row) if o.row is not None else None, o.position)
                for o in session.scalars(select(OfficeOverride))
            }
            rows = _merge(base, overrides)
            new_rows = self._plan(ops, header, rows, expected)
            # Validated in a private temporary folder: this target must work with a read-only data folder.
            with tempfile.TemporaryDirectory() as folder:
                _check_rows(self.csv_path, header, new_rows, {op.office_id for op in ops}, Path(folder))
            now = self.store._now()
            positions = {r["id"]: i for i, r in enumerate(new_rows)}
            for op in ops:
                current = next((r for r in new_rows if r["id"] == op.office_id), None)
                existing = session.get(OfficeOverride, op.office_id)
                if current is not None and base_by_id.get(op.office_id) == current:
                    if existing is not None:
                        session.delete(existing)
                    continue
                if op.office_id not in base_by_id and current is None:
                    if existing is not None:
                        session.delete(existing)
                    continue
                data = json.dumps(current, ensure_ascii=False) if current is not None else None
                position = positions.get(op.office_id, 0)
                if existing is None:
                    session.add(OfficeOverride(office_id=op.office_id, row=data, position=position,
                                               updated_at=now))  # fmt: skip
                else:
                    existing.row, existing.position, existing.updated_at = data, position, now
            records = self._record(session, ops, by, "applied")
            ids = [r.id for r in records]
        return [self.store.change(i) for i in ids]

    def reconcile(self) -> list[int]:
        """Resolve changes left *pending* by a crash between recording and writing the file.

        Returns
        -------
        list of int
            The pending changes found (each is now ``applied`` or ``abandoned``).
        """
        if self.target != "csv":
            return []
        with self.store._read() as session:
            pending = session.scalars(
                select(ChangeSet.id).where(ChangeSet.state == "pending", ChangeSet.target == self._target_key)
            ).all()
        if not pending:
            return []
        _, rows = read_rows(self.csv_path)
        by_id = {r["id"]: r for r in rows}
        with self.store._write() as session:
            for change_id in pending:
                record = session.get(ChangeSet, change_id)
                if record is None:
                    continue
                current = by_id.get(record.office_id)
                done = all(
                    (current.get(f.column) if current is not None else None) == f.new_value
                    for f in record.fields
                )
                record.state = "applied" if done else "abandoned"
                if not done:
                    session.execute(
                        update(Suggestion)
                        .where(Suggestion.change_set_id == change_id)
                        .values(status="open", decided_at=None, decided_by=None, change_set_id=None)
                    )
                logger.warning(
                    "change #%s was left pending by an interrupted edit: %s", change_id, record.state
                )
        return list(pending)


def _merge(
    base: Sequence[Mapping[str, str]], overrides: Mapping[str, tuple[dict[str, str] | None, int]]
) -> list[dict[str, str]]:
    """The directory file's rows with the database target's overrides applied."""
    rows: list[dict[str, str]] = []
    seen = set()
    for row in base:
        office_id = row["id"]
        seen.add(office_id)
        if office_id in overrides:
            replacement = overrides[office_id][0]
            if replacement is not None:
                rows.append(dict(replacement))
        else:
            rows.append(dict(row))
    added = sorted(
        ((pos, oid, row) for oid, (row, pos) in overrides.items() if oid not in seen and row is not None),
        key=lambda item: item[0],
    )
    for position, _, row in added:
        rows.insert(min(position, len(rows)), dict(row))
    return rows


def check_rows(header: Sequence[str], rows: Sequence[Mapping[str, str]]) -> list[str]:
    """Validate would-be directory rows (in a private temporary folder).

    Returns
    -------
    list of str
        Empty when valid, else one ``office ID: FIELD: message`` line per problem.
    """
    with tempfile.TemporaryDirectory() as folder:
        _, messages = _validate_temp(Path(folder) / "offices.csv", header, rows)
    return messages


def _directory_source(
    settings: _settings.Settings | None, store: CorrectionStore | None
) -> tuple[Path, DirectoryEditor | None]:
    """``offices.csv`` and the editor that overlays it (only with the ``database`` target and a store)."""
    settings = settings or _settings.load()
    path = Path(settings.data_dir) / "offices.csv"
    if directory_target() == "csv":
        return path, None
    store = store or open_existing_store()
    return path, (DirectoryEditor(store, path, target="database") if store is not None else None)


def current_rows(
    settings: _settings.Settings | None = None, store: CorrectionStore | None = None
) -> tuple[list[str], list[dict[str, str]]]:
    """The directory's header and rows as strings, with database edits when that target is configured."""
    path, editor = _directory_source(settings, store)
    return editor.rows() if editor else read_rows(path)


def load_directory(
    settings: _settings.Settings | None = None, store: CorrectionStore | None = None
) -> pd.DataFrame:
    """The directory the app should show: ``offices.csv``, plus database edits with the ``database`` target.

    Parameters
    ----------
    settings
        Library settings (for ``data_dir``); default :func:`finder.settings.load`.
    store
        The corrections store; only opened (and only if it exists) with the ``database`` target.

    Returns
    -------
    pandas.DataFrame
        As :func:`finder.directory.load_offices`, plus ``confirmed``: the ISO date a maintainer last said
        "still correct" ('' if never, or if there is no corrections database).
    """
    path, editor = _directory_source(settings, store)
    frame = editor.load() if editor else load_offices(path)
    confirmed = store.confirmations() if store is not None else load_confirmations()
    return _with_confirmations(frame, confirmed)


def directory_overlay(frame: pd.DataFrame, settings: _settings.Settings) -> pd.DataFrame:
    """The :data:`finder.directory.Overlay` of the corrections database (for ``Finder(overlay=…)``).

    With the ``database`` target, the table becomes the file plus the database's edits; in any case the
    ``confirmed`` column gets the maintainers' "still correct" dates. Without a database, ``frame`` as is.
    """
    return (
        load_directory(settings)
        if directory_target(settings.corrections_target) == "database"
        else (_with_confirmations(frame, load_confirmations()))
    )


def _with_confirmations(frame: pd.DataFrame, confirmed: Mapping[str, dt.datetime]) -> pd.DataFrame:
    frame["confirmed"] = frame["id"].map(lambda i: confirmed[i].date().isoformat() if i in confirmed else "")
    return frame


def offline_position(
    row: Mapping[str, str], data_dir: str | os.PathLike[str] | None = None
) -> dict[str, str]:
    """Where the offline gazetteer puts an office: lat, lon, geocode_precision and geocode_source.

    Used after an address change so the map does not keep the old position; the same rule as the import
    (:meth:`finder.gazetteer.OfflineGazetteer.place_office`), so never a street position. Empty dict when
    the office cannot be placed.
    """
    from finder.gazetteer import OfflineGazetteer  # noqa: PLC0415 - loads the geodata only when needed

    placed, _ = OfflineGazetteer(data_dir).place_office(row)
    return placed if placed["lat"] else {}


# --------------------------------------------------------------------------------------------------
# Command line: finder review …


def _print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def _open(args: argparse.Namespace) -> tuple[CorrectionStore, DirectoryEditor]:
    store = CorrectionStore(getattr(args, "db", None) or None)
    data_dir = Path(args.data_dir) if getattr(args, "data_dir", None) else _settings.load().data_dir
    return store, DirectoryEditor(store, data_dir / "offices.csv")


def _parse_sets(values: Sequence[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or ():
        column, sep, value = item.partition("=")
        if not sep:
            msg = f"--set needs COLUMN=VALUE, not {printable(item)!r}"
            raise CorrectionError(msg)
        out[column.strip()] = value
    return out


def _show_change(change: ChangeView) -> str:
    head = (
        f"#{change.id} {change.at:%Y-%m-%d %H:%M} {change.action} {change.office_id} by {change.by}"
        f" [{change.state}]"
    )
    if change.reason:
        head += f" — {change.reason}"
    if change.reverted_by_id:
        head += f" (reverted by #{change.reverted_by_id})"
    lines = [printable(head)]
    for column, (old, new) in change.changed.items():
        lines.append(printable(f"    {column}: {old!r} → {new!r}"))
    return "\n".join(lines)


def _cmd_review(args: argparse.Namespace) -> int:
    try:
        return _review(args)
    except CorrectionError as exc:
        if getattr(args, "json", False):
            _print_json({"error": str(exc)})
        else:
            sys.stderr.write(printable(f"error: {exc}") + "\n")
        return 1


def _review(args: argparse.Namespace) -> int:
    store, editor = _open(args)
    by = getattr(args, "by", None) or getpass.getuser()
    action = args.review_action
    if action == "list":
        status = None if args.status == "all" else args.status
        items = store.suggestions(status=status)
        if args.json:
            _print_json([s.to_json() for s in items])
            return 0
        for s in items:
            first = s.proposed.splitlines()[0] if s.proposed else ""
            line = f"#{s.id} {s.created_at:%Y-%m-%d} {s.status:8} {s.office_id} [{s.kind}] {first[:80]}"
            sys.stdout.write(printable(line) + "\n")
        if not items:
            sys.stderr.write("no suggestions\n")
        return 0
    if action == "show":
        s = store.suggestion(args.id)
        try:
            current = editor.row(s.office_id)
        except CorrectionError:
            current = {}
        if args.json:
            _print_json({"suggestion": s.to_json(), "current": current})
            return 0
        out = [
            f"Suggestion #{s.id} for {s.office_id} ({s.kind}), {s.status}, "
            f"received {s.created_at:%Y-%m-%d %H:%M} UTC"
        ]
        out.append("Proposed:")
        out.extend(f"    {line}" for line in s.proposed.splitlines())
        if s.contact:
            out.append(f"Contact: {s.contact}")
        out.append("Current entry:" if current else "The office is no longer in the directory.")
        columns = KIND_COLUMNS.get(s.kind) or tuple(c for c in OFFICE_COLUMNS if current.get(c))
        out.extend(f"    {c}: {current.get(c, '')}" for c in columns if current)
        sys.stdout.write("\n".join(printable(line) for line in out) + "\n")
        return 0
    if action == "accept":
        changes = _parse_sets(args.set)
        if args.as_proposed:
            s = store.suggestion(args.id)
            columns = KIND_COLUMNS.get(s.kind, ())
            if len(columns) != 1 or s.kind == "closed":
                msg = f"--as-proposed only works for phone, hours and languages; use --set for {s.kind}"
                raise CorrectionError(msg)
            value = s.proposed
            if s.kind == "languages":
                codes, unknown = parse_languages(value)
                if unknown:
                    msg = f"unknown languages {', '.join(unknown)}; use --set languages=CODES"
                    raise CorrectionError(msg)
                value = ";".join(codes)
            changes.setdefault(columns[0], value)
        change = editor.accept(args.id, changes, by=by, reason=args.reason or "", remove=args.remove)
        _report(args, change)
        return 0
    if action == "reject":
        s = store.reject(args.id, by=by, note=args.reason or "")
        if args.json:
            _print_json(s.to_json())
        else:
            sys.stdout.write(f"suggestion #{s.id} rejected\n")
        return 0
    if action == "edit":
        change = editor.apply(args.office_id, _parse_sets(args.set), by=by, reason=args.reason)
        _report(args, change)
        return 0
    if action == "confirm":
        change = editor.confirm(args.office_id, by=by, reason=args.reason or "")
        _report(args, change)
        return 0
    if action == "history":
        changes = store.history(args.office_id, limit=args.limit)
        if args.json:
            _print_json([c.to_json() for c in changes])
        else:
            for change in changes:
                sys.stdout.write(_show_change(change) + "\n")
        return 0
    if action == "revert":
        change = editor.revert(args.change_id, by=by, reason=args.reason or "")
        _report(args, change)
        return 0
    msg = f"unknown review action {action}"
    raise CorrectionError(msg)


def _report(args: argparse.Namespace, change: ChangeView) -> None:
    if getattr(args, "json", False):
        _print_json(change.to_json())
    else:
        sys.stdout.write(_show_change(change) + "\n")


def register_cli(sub: argparse._SubParsersAction) -> None:
    """Add ``finder review`` (list/show/accept/reject/edit/confirm/history/revert)."""
    p = sub.add_parser("review", help="review suggested corrections and the change history")
    p.add_argument("--db", help="corrections database URL or SQLite path (default FINDER_CORRECTIONS_DB)")
    p.add_argument("--data-dir", help="folder with offices.csv")
    actions = p.add_subparsers(dest="review_action", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        q = actions.add_parser(name, help=help_text)
        q.add_argument("--json", action="store_true")
        return q

    q = add("list", "list suggestions")
    q.add_argument("--status", choices=(*STATUSES, "all"), default="open")
    q = add("show", "one suggestion beside the current entry")
    q.add_argument("id", type=int)
    q = add("accept", "accept a suggestion, applying --set COLUMN=VALUE changes")
    q.add_argument("id", type=int)
    q.add_argument("--set", action="append", metavar="COLUMN=VALUE")
    q.add_argument(
        "--as-proposed", action="store_true", help="use the proposed text (phone, hours, languages)"
    )
    q.add_argument("--remove", action="store_true", help="the office is closed: remove it (revertible)")
    q.add_argument("--reason")
    q.add_argument("--by", help="your name for the history (default: the login name)")
    q = add("reject", "reject a suggestion")
    q.add_argument("id", type=int)
    q.add_argument("--reason")
    q.add_argument("--by")
    q = add("edit", "change an office directly")
    q.add_argument("office_id")
    q.add_argument("--set", action="append", metavar="COLUMN=VALUE", required=True)
    q.add_argument("--reason", required=True)
    q.add_argument("--by")
    q = add("confirm", "an office is still correct: set last_checked to today and record the confirmation")
    q.add_argument("office_id")
    q.add_argument("--reason")
    q.add_argument("--by")
    q = add("history", "recorded changes, newest first")
    q.add_argument("office_id", nargs="?")
    q.add_argument("--limit", type=int, default=50)
    q = add("revert", "undo a recorded change")
    q.add_argument("change_id", type=int)
    q.add_argument("--reason")
    q.add_argument("--by")
    p.set_defaults(func=_cmd_review)
