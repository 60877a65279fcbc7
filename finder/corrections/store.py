"""The corrections database: where it is, and the store of suggestions, history and failed sign-ins.

:class:`CorrectionStore` keeps suggestions ("Report a change"), the change history, the maintainers' failed
sign-ins (for :class:`finder.auth.LoginGuard`), the report rate limit and the overrides of the
``database`` target, through
SQLAlchemy: a SQLite file by default (WAL mode), PostgreSQL or another SQLAlchemy database when
:attr:`finder.settings.Settings.corrections_db` is a URL. What callers get back are plain views
(:class:`SuggestionView`, :class:`ChangeView`), detached from the database session.

Limits are keyed on the client's address (:mod:`finder.client_address`), which the database never
holds as such: it keeps an HMAC-SHA-256 of it, keyed with a random secret of the database
(:class:`~finder.corrections.models.StoreSecret`), for at most a day, and apart from the reports.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sqlalchemy import create_engine, delete, event, func, select
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session

from finder import auth
from finder import settings as _settings
from finder.corrections.models import (
    STATUSES,
    SUGGESTION_KINDS,
    Base,
    ChangeSet,
    LoginFailure,
    OfficeOverride,
    ReportEvent,
    StoreLock,
    StoreSecret,
    Suggestion,
)
from finder.corrections.text import (
    MAX_CONTACT_CHARS,
    MAX_NAME_CHARS,
    MAX_NOTE_CHARS,
    MAX_PROPOSED_CHARS,
    clean_text,
)
from finder.errors import ConflictError, CorrectionError, RateLimitedError, StoreUnavailableError
from finder.rules import is_office_id

__all__ = [
    "CLIENT_LIMITS",
    "FAILURE_RETENTION",
    "GLOBAL_LIMIT",
    "TARGETS",
    "ChangeView",
    "CorrectionStore",
    "SuggestionView",
    "database_url",
    "default_database_path",
    "directory_target",
    "open_existing_store",
    "safe_url",
]

logger = logging.getLogger(__name__)

#: Where accepted changes are written.
TARGETS: tuple[str, ...] = _settings.CORRECTIONS_TARGETS
#: Default rate limits of reports from one client address: ``(count, period)``, each must hold.
CLIENT_LIMITS: Final = ((10, dt.timedelta(minutes=10)), (50, dt.timedelta(days=1)))
#: Safety cap of reports from everybody together: one client reaches at most 5 % of it, so no single
#: sender can block the others' reports.
GLOBAL_LIMIT: Final = (1000, dt.timedelta(hours=1))
#: Failed sign-ins older than this are deleted.
FAILURE_RETENTION: Final = auth.FAILURE_RETENTION


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
        A URL (``postgresql+psycopg://…``, ``sqlite:///…``) or a file path for SQLite; default
        :attr:`finder.settings.Settings.corrections_db` (``FINDER_CORRECTIONS_DB``); empty =
        :func:`default_database_path`.

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
    """Where accepted changes go: ``csv`` or ``database``.

    Parameters
    ----------
    value
        A target in any case; default :attr:`finder.settings.Settings.corrections_target`.

    Raises
    ------
    ValueError
        If ``value`` is no target.
    """
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
    client_limits
        ``(count, period)`` pairs: suggestions one client address may send per period (each must hold;
        the longest period is also how long the address hashes are kept).
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
        client_limits: Sequence[tuple[int, dt.timedelta]] = CLIENT_LIMITS,
        global_limit: tuple[int, dt.timedelta] = GLOBAL_LIMIT,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self.url = database_url(url)
        self.client_limits = tuple(client_limits)
        self.global_limit = global_limit
        self.clock = clock
        try:
            self.engine = _make_engine(self.url)
            self._create_schema()
            self._hash_key = self._secret("client-hash")
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

    def _secret(self, name: str) -> bytes:
        """The database's random secret ``name``, created by whichever process asks first."""
        with self._write() as session:  # writers are serialised: two processes cannot both create it
            found = session.get(StoreSecret, name)
            if found is None:
                found = StoreSecret(name=name, value=secrets.token_hex(32))
                session.add(found)
            return bytes.fromhex(found.value)

    def _hash(self, key: str) -> str:
        """The stored form of a client key (an address): a keyed hash that says nothing without the key.

        The key lives in the same database, so whoever holds a copy of it could still test guessed
        addresses; the hashes only ever serve to count, and are deleted after a day.
        """
        data = key.encode("utf-8", "surrogatepass")
        return hmac.new(self._hash_key, data, hashlib.sha256).hexdigest()[:32]

    def dispose(self) -> None:
        """Close all pooled connections."""
        self.engine.dispose()

    @contextlib.contextmanager
    def _write(self) -> Iterator[Session]:
        with self._reachable(), Session(self.engine, expire_on_commit=False) as session, session.begin():
            # Serialises writers on databases with row locks; SQLite already holds its write lock.
            session.execute(select(StoreLock).where(StoreLock.name == "write").with_for_update()).first()
            yield session

    @contextlib.contextmanager
    def _read(self) -> Iterator[Session]:
        bind = self.engine.execution_options(sqlite_immediate=False)
        with self._reachable(), Session(bind, expire_on_commit=False) as session, session.begin():
            yield session

    @contextlib.contextmanager
    def _reachable(self) -> Iterator[None]:
        """Turn "the database did not answer" into :class:`StoreUnavailableError` (a message, no traceback).

        The transaction was rolled back (or never began), so nothing of it was stored. A server that
        restarted meanwhile needs nothing more: the pool tests each connection before use
        (``pool_pre_ping``) and opens a new one.
        """
        try:
            yield
        except (OperationalError, InterfaceError) as exc:
            reason = type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__
            msg = (
                f"The corrections database {safe_url(self.url)} is not available ({reason}); nothing was "
                "saved. Please try again in a moment."
            )
            raise StoreUnavailableError(msg) from exc

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
            The sender's address key for the rate limit (:func:`finder.client_address.client_address`;
            only a keyed hash is stored, for a day, and not with the suggestion).
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
            Too many suggestions from this address (``scope`` ``"client"``) or from everybody together
            (``"everybody"``).
        """
        if not is_office_id(office_id):
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
        client = self._hash(str(client_key))
        now = self._now()
        checks = [(ReportEvent.client == client, limit, "client") for limit in self.client_limits]
        checks.append((ReportEvent.id.is_not(None), self.global_limit, "everybody"))
        with self._write() as session:
            for where, (limit, period), scope in checks:
                # The limit-th newest report in the window: while there is one, the limit is reached. A
                # report exactly one period old has left the window, so retry_after is never zero.
                nth = session.scalar(
                    select(ReportEvent.at)
                    .where(where, ReportEvent.at > now - period)
                    .order_by(ReportEvent.at.desc())
                    .offset(limit - 1)
                    .limit(1)
                )
                if nth is not None:
                    wait = nth + period - now
                    minutes = max(1, round(wait.total_seconds() / 60))
                    label = "from this address" if scope == "client" else "from everybody"
                    msg = f"Too many reports {label}; please try again in about {minutes} minute(s)."
                    raise RateLimitedError(msg, wait, scope)
            keep = max(period for _, period in [*self.client_limits, self.global_limit])
            session.execute(delete(ReportEvent).where(ReportEvent.at < now - keep))
            session.add(ReportEvent(client=client, at=now))
            # The report itself keeps no trace of its sender's address (the column predates the limits).
            row = Suggestion(
                office_id=office_id, kind=kind, proposed=text, contact=contact_text, client="",
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
            return self._newest_per_office(session, rows)

    @classmethod
    def _newest_per_office(
        cls, session: Session, rows: Sequence[tuple[int, str, dt.datetime]]
    ) -> dict[str, dt.datetime]:
        """The newest time (UTC) per office of ``(change id, office id, naive UTC time)`` rows.

        Rows whose change was reverted do not count (shared by :meth:`confirmations` and the offices' own
        confirmations, :meth:`finder.outreach.store.OutreachStore.office_confirmations`).
        """
        reverted = cls._reverted_by(session, [change_id for change_id, _, _ in rows])
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
        """Remember a failed sign-in of ``key`` (and forget ones older than :data:`FAILURE_RETENTION`)."""
        with self._write() as session:
            session.add(LoginFailure(key=self._hash(key), at=_naive(at)))
            session.execute(delete(LoginFailure).where(LoginFailure.at < _naive(at) - FAILURE_RETENTION))

    def failures_since(self, key: str, since: dt.datetime) -> list[dt.datetime]:
        """Failed sign-ins of ``key`` at or after ``since``, oldest first."""
        with self._read() as session:
            times = session.scalars(
                select(LoginFailure.at)
                .where(LoginFailure.key == self._hash(key), LoginFailure.at >= _naive(since))
                .order_by(LoginFailure.at)
            ).all()
        return [t.replace(tzinfo=dt.UTC) for t in times]

    def clear_failures(self, key: str) -> None:
        """Forget the failed sign-ins of ``key``."""
        with self._write() as session:
            session.execute(delete(LoginFailure).where(LoginFailure.key == self._hash(key)))

    # -- database target -------------------------------------------------------------------------
    def overrides(self) -> dict[str, tuple[dict[str, str] | None, int]]:
        """Office id → (row or ``None`` if removed, position) of the ``database`` target."""
        with self._read() as session:
            return {
                o.office_id: (json.loads(o.row) if o.row is not None else None, o.position)
                for o in session.scalars(select(OfficeOverride))
            }

    def version(self) -> int:
        """The id of the latest recorded change (0 without any).

        It grows with every edit, confirmation and revert, so a process can tell that another one changed
        the directory.
        """
        with self._read() as session:
            return session.scalar(select(func.max(ChangeSet.id))) or 0

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
