"""Changes to the office directory: accept, edit, confirm, remove, add and revert, each one recorded.

Every change records who, when, why and the old and new value of each field, so nothing is ever lost.
Where the edits go is :attr:`finder.settings.Settings.corrections_target`: ``csv`` (default;
``data/offices.csv`` is rewritten atomically under a file lock, and only when
:func:`finder.directory.validate_file` accepts the result) or ``database`` (edits are kept as overrides in
the database and laid over ``offices.csv`` when it is loaded; for deployments with several app servers or a
read-only code folder).

Crash safety of the CSV target: the change is first recorded as *pending*, then the new file is moved
into place with :func:`os.replace`, then the record is marked *applied*. A crash in between leaves a
pending record that the next edit resolves by looking at the file (applied if the file has the new
values, abandoned otherwise), so the file and its history never disagree for long and never get lost.
The same holds when the database stops answering after the file was replaced: the edit returns its
change as *pending* and the next edit marks it applied. When it stops answering before, the edit raises
:class:`~finder.errors.StoreUnavailableError` and nothing is written; a write that fails (a full disk,
``ENOSPC``) raises :class:`~finder.errors.CorrectionError` with the reason, and nothing is recorded.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import datetime as dt
import errno
import glob
import json
import logging
import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pandas as pd
from filelock import FileLock, Timeout
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from finder import hours
from finder import settings as _settings
from finder.corrections.csvio import fsync_dir, read_rows, serialise_rows, write_valid_temp
from finder.corrections.models import ChangeSet, FieldChange, OfficeOverride, Suggestion
from finder.corrections.store import ChangeView, CorrectionStore, directory_target
from finder.corrections.text import MAX_NAME_CHARS, MAX_NOTE_CHARS, MAX_VALUE_CHARS, clean_text, printable
from finder.directory import OFFICE_COLUMNS, load_offices
from finder.errors import ConflictError, CorrectionError, StoreUnavailableError

__all__ = ["DirectoryEditor", "merge_overrides"]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

#: Columns that may hold several lines.
_MULTILINE_COLUMNS = frozenset({"notes"})
#: Columns nobody edits through a correction (the id ties the history together).
_READ_ONLY_COLUMNS = frozenset({"id"})
#: Errors of a folder the app may not write to (as opposed to e.g. a full disk, ENOSPC).
_READ_ONLY_ERRNOS = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})
#: Rows per bulk statement (well below the bound-parameter limits of SQLite and PostgreSQL).
_RECORD_CHUNK = 500


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
    # An update sets last_checked to today unless it sets it itself; imports carry their own dates.
    touch_last_checked: bool = True
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
    On a copy of the directory, with a database of its own:

    >>> import shutil, tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> csv_path = shutil.copy(_settings.REPO_DIR / "data" / "offices.csv", folder)
    >>> store = CorrectionStore(str(folder / "corrections.sqlite"))
    >>> editor = DirectoryEditor(store, csv_path, target="csv")
    >>> office = editor.rows()[1][0]["id"]
    >>> change = editor.apply(office, {"phone": "0351 123456"}, by="anna", reason="phone call")
    >>> change.action, change.changed["phone"][1], editor.row(office)["phone"]
    ('edit', '0351 123456', '0351 123456')
    >>> undo = editor.revert(change.id, by="anna")
    >>> editor.row(office)["phone"] == change.changed["phone"][0]
    True
    >>> store.dispose()
    >>> shutil.rmtree(folder)
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
            return header, merge_overrides(base, self.store.overrides())
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
        text, _ = serialise_rows(header, rows)
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
        ops = [
            _Op(office_id, action, "update", dict(changes), reason=reason, cleaning="light",
                touch_last_checked=touch_last_checked)
            for office_id, changes in updates.items()
        ]  # fmt: skip
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
            msg = f"The directory file could not be written ({exc.strerror or exc}); nothing was changed."
            if exc.errno in _READ_ONLY_ERRNOS:
                msg += " On a read-only data folder set FINDER_CORRECTIONS_TARGET=database."
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
        # Row index by id, so that a large import is linear; rebuilt only after a row moved (insert, remove).
        positions: dict[str, int] | None = None
        for op in ops:
            if positions is None:
                positions = _positions(new_rows)
            index = positions.get(op.office_id)
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
                if op.action != "revert" and not row.get("opening_hours_osm"):
                    row.update(_structured_hours(row.get("opening_hours", ""), header))
                position = len(new_rows) if op.position is None else max(0, min(op.position, len(new_rows)))
                new_rows.insert(position, row)
                op.position = position
                if position == len(new_rows) - 1:
                    positions.setdefault(op.office_id, position)
                else:
                    positions = None
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
                positions = None
                continue
            changes = dict(op.changes)
            if op.action != "revert" and op.touch_last_checked:
                changes.setdefault("last_checked", today)
            text, before = changes.get("opening_hours"), old.get("opening_hours", "")
            if op.action != "revert" and "opening_hours_osm" not in changes and text not in (None, before):
                changes.update(_structured_hours(text, header))
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

    def _record(self, session: Session, ops: list[_Op], by: str, state: str) -> list[ChangeView]:
        """Record one change per operation; return them (in the order of ``ops``).

        Bulk statements (one INSERT per 500 changes, one per 500 fields), not one ORM object per row, and
        the views are made from what was written rather than read back: an import of tens of thousands of
        offices records in seconds, not minutes.
        """
        now = self.store._now()
        ids: list[int] = []
        for chunk in _chunks(ops, _RECORD_CHUNK):
            chunk_ids = session.scalars(
                insert(ChangeSet).returning(ChangeSet.id, sort_by_parameter_order=True),
                [{"office_id": op.office_id, "action": op.action, "at": now, "by": by, "reason": op.reason,
                  "suggestion_id": op.suggestion_id, "reverts_id": op.reverts_id, "state": state,
                  "target": self._target_key, "row_position": op.position} for op in chunk],
            ).all()  # fmt: skip
            fields = [
                {"change_set_id": change_id, "column": column, "old_value": old, "new_value": new}
                for op, change_id in zip(chunk, chunk_ids, strict=True)
                for column, (old, new) in op.fields.items()
            ]
            for part in _chunks(fields, _RECORD_CHUNK * 4):
                session.execute(insert(FieldChange), part)
            ids.extend(chunk_ids)
        for op, change_id in zip(ops, ids, strict=True):
            if op.suggestion_id is None:
                continue
            result = session.execute(
                update(Suggestion)
                .where(Suggestion.id == op.suggestion_id, Suggestion.status == "open")
                .values(status="accepted", decided_at=now, decided_by=by, decision_note=op.reason,
                        contact="", change_set_id=change_id)
            )  # fmt: skip
            if result.rowcount != 1:
                msg = f"suggestion #{op.suggestion_id} was decided meanwhile"
                raise ConflictError(msg)
        at = now.replace(tzinfo=dt.UTC)  # stored as naive UTC, shown as aware (ChangeView.of)
        return [
            ChangeView(change_id, op.office_id, op.action, at, by, op.reason, op.suggestion_id,
                       op.reverts_id, state, dict(op.fields))
            for op, change_id in zip(ops, ids, strict=True)
        ]  # fmt: skip

    def _commit_csv(
        self, ops: list[_Op], by: str, expected: Mapping[str, Mapping[str, str | None]]
    ) -> list[ChangeView]:
        self._remove_stale_temps(time.time())
        self.reconcile()
        header, rows = read_rows(self.csv_path)
        new_rows = self._plan(ops, header, rows, expected)
        temp = write_valid_temp(self.csv_path, header, new_rows, {op.office_id for op in ops})
        ids: list[int] = []
        try:
            with self.store._write() as session:
                views = self._record(session, ops, by, "pending")
                ids = [view.id for view in views]
            temp.replace(self.csv_path)
        except BaseException:
            with contextlib.suppress(OSError):
                temp.unlink()
            if ids:
                # Recorded but not written: resolve it now rather than at the next edit.
                with contextlib.suppress(Exception):
                    self.reconcile()
            raise
        fsync_dir(self.csv_path.parent)
        try:
            with self.store._write() as session:
                for chunk in _chunks(ids, _RECORD_CHUNK):
                    session.execute(update(ChangeSet).where(ChangeSet.id.in_(chunk)).values(state="applied"))
        except StoreUnavailableError:
            # The file has the change and its record says "pending": the next edit finds the new values in
            # the file and marks it applied (reconcile). Nothing is lost, so this is no failure.
            logger.warning("change(s) %s written; the database is unavailable, marked applied later", ids)
            return views
        return [dataclasses.replace(view, state="applied") for view in views]

    def _remove_stale_temps(self, started: float) -> None:
        """Remove would-be files left beside ``offices.csv`` by edits that were killed (D7).

        Called under the file lock: every edit writes its temporary file while holding it, so one that is
        older than the running write belongs to no live edit. Newer ones (another program's) are kept.
        """
        pattern = f".{glob.escape(self.csv_path.name)}.*.tmp"
        for temp in self.csv_path.parent.glob(pattern):
            with contextlib.suppress(OSError):
                info = temp.lstat()
                if stat.S_ISREG(info.st_mode) and info.st_mtime < started:
                    temp.unlink()
                    logger.info("removed %s, left by an interrupted edit", temp.name)

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
            rows = merge_overrides(base, overrides)
            new_rows = self._plan(ops, header, rows, expected)
            # Validated in a private temporary folder: this target must work with a read-only data folder.
            with tempfile.TemporaryDirectory() as folder:
                write_valid_temp(self.csv_path, header, new_rows, {op.office_id for op in ops}, Path(folder))
            now = self.store._now()
            positions = _positions(new_rows)
            for op in ops:
                current = new_rows[positions[op.office_id]] if op.office_id in positions else None
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
            return self._record(session, ops, by, "applied")

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


def _chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    """``items`` in slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _positions(rows: Sequence[Mapping[str, str]]) -> dict[str, int]:
    """Each id's first row index."""
    positions: dict[str, int] = {}
    for index, row in enumerate(rows):
        positions.setdefault(row.get("id", ""), index)
    return positions


def _structured_hours(text: str, header: Sequence[str]) -> dict[str, str]:
    """``opening_hours_osm`` for a new ``opening_hours`` text: what it reads as, blank if not safely.

    The structured hours follow the text unless a change sets them itself; a revert restores both.
    """
    if "opening_hours_osm" not in header:
        return {}
    return {"opening_hours_osm": hours.to_osm(text) or ""}


def merge_overrides(
    base: Sequence[Mapping[str, str]], overrides: Mapping[str, tuple[dict[str, str] | None, int]]
) -> list[dict[str, str]]:
    """The directory file's rows with the database target's overrides applied.

    Added offices go where they were added: inserted one after the other, by position, as
    ``rows.insert(min(position, len(rows)), row)`` would (in linear time, for large imports).
    """
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
    # The rows are ``done`` + ``pending``; positions only grow, so each insertion happens at the boundary.
    done: list[dict[str, str]] = []
    pending = collections.deque(rows)
    for position, _, row in added:
        while len(done) < position and pending:
            done.append(pending.popleft())
        pending.appendleft(dict(row))
    done.extend(pending)
    return done
