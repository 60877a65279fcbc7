"""Importing offices into the directory: read an HSDS export or a CSV, see what would change, apply it.

:func:`read_import` reads a folder written by :func:`finder.hsds.export_hsds` (or its ``services.json``),
or a CSV in the column layout of ``offices.csv``; :func:`plan_import` compares the rows with the directory
and checks that the result would be a valid directory; :func:`apply_import` applies the differences
through :class:`finder.corrections.DirectoryEditor` (atomic, validated, recorded and revertible). Offices
missing from the import are left alone (an import never deletes), and values that mean the same
(``51.05`` and ``51.050``, phone lists separated differently) are not changes, so export followed by
import changes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finder import corrections, hsds
from finder._files import MAX_INPUT_BYTES
from finder._values import contact_items, finite_float
from finder.directory import OFFICE_COLUMNS, read_checked
from finder.errors import CorrectionError, HsdsError, format_problems
from finder.rules import escape_controls

__all__ = [
    "ImportPlan",
    "ImportSource",
    "apply_import",
    "load_import",
    "plan_import",
    "read_csv",
    "read_import",
    "same_value",
]


def read_csv(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    """Read a CSV in the column layout of ``offices.csv`` (it must pass ``validate_file``).

    Only a regular file of at most :data:`finder._files.MAX_INPUT_BYTES` is read (the directory itself may
    grow larger: :data:`finder.directory.MAX_FILE_BYTES`).

    Rows of a file without the columns added later lack those keys (an import leaves them unchanged).

    Raises
    ------
    HsdsError
        With the file's problems (``PATH:LINE: FIELD: message``).
    """
    _, rows, problems = read_checked(path, max_bytes=MAX_INPUT_BYTES)
    if problems:
        msg = f"{path} has {len(problems)} problem(s):\n{format_problems(problems)}"
        raise HsdsError(msg)
    # A file from before the added columns (finder.directory.ADDED_COLUMNS) says nothing about them: its rows
    # lack them, and the plan leaves them as they are.
    return [{column: row[column] for column in OFFICE_COLUMNS if column in row} for row in rows]


@dataclass
class ImportSource:
    """Rows read for an import, and where each came from.

    Attributes
    ----------
    rows
        Rows in the column layout of ``offices.csv``.
    origins
        Office id → where its row is in the source (``PATH:LINE: service N 'name'``), for messages.
    """

    rows: list[dict[str, str]]
    origins: dict[str, str] = field(default_factory=dict)


def load_import(path: str | os.PathLike[str]) -> ImportSource:
    """Read an import source: an HSDS folder or ``.json`` file, or a ``.csv`` file.

    Raises
    ------
    HsdsError
        With the source's problems, each ``PATH:LINE: FIELD: problem``.
    """
    source = Path(path)
    if not source.exists():
        msg = f"{path}:1: file: does not exist"
        raise HsdsError(msg)
    if source.suffix.lower() == ".csv" and not source.is_dir():
        return ImportSource(read_csv(source))
    services = hsds.read_services(source)
    return ImportSource([row for _, row in services], {row["id"]: where for where, row in services})


def read_import(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    """The rows of an import source (:func:`load_import`)."""
    return load_import(path).rows


def same_value(column: str, old: str, new: str) -> bool:
    """Whether two values of ``column`` mean the same (coordinates as numbers, phone/e-mail lists)."""
    if old == new:
        return True
    if column in ("lat", "lon"):
        a, b = finite_float(old), finite_float(new)
        return a is not None and b is not None and abs(a - b) < 1e-9
    if column in ("phone", "email"):
        return contact_items(old) == contact_items(new)
    return False


@dataclass
class ImportPlan:
    """What an import would change.

    Attributes
    ----------
    updates
        Office id → column → (old, new) for offices that exist and differ.
    additions
        New offices (full rows).
    unchanged
        Ids of offices in the import that match the directory.
    not_in_import
        Ids of directory offices the import does not mention (left alone).
    problems
        Why the result would not be a valid directory (then nothing is applied).
    """

    updates: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    additions: list[dict[str, str]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_in_import: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing would change."""
        return not self.updates and not self.additions

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "updates": {
                office: {col: {"old": old, "new": new} for col, (old, new) in cols.items()}
                for office, cols in self.updates.items()
            },
            "additions": [row["id"] for row in self.additions],
            "unchanged": len(self.unchanged),
            "not_in_import": self.not_in_import,
            "problems": self.problems,
        }

    def lines(self) -> Iterable[str]:
        """A human-readable description, one line each."""
        for office, cols in self.updates.items():
            yield escape_controls(f"update {office}:")
            for col, (old, new) in cols.items():
                yield escape_controls(f"    {col}: {old!r} → {new!r}")
        for row in self.additions:
            yield escape_controls(f"add {row['id']}: {row.get('name', '')}")
        yield f"{len(self.unchanged)} office(s) unchanged"
        if self.not_in_import:
            count = len(self.not_in_import)
            yield f"{count} office(s) of the directory are not in the import (left unchanged)"
        for problem in self.problems:
            yield escape_controls(f"problem: {problem}")


def plan_import(
    incoming: Sequence[Mapping[str, str]],
    header: Sequence[str],
    current: Sequence[Mapping[str, str]],
    origins: Mapping[str, str] | None = None,
) -> ImportPlan:
    """Compare imported rows with the directory and check that the result would be valid.

    Linear in the sizes of both. Only the rows that would change are checked: the other rows are the
    directory's, which is valid (:func:`finder.corrections.read_rows` checked it), and the checks are per
    row apart from unique ids, which the plan ensures itself. Writing the result checks the whole file again
    (:class:`finder.corrections.DirectoryEditor`).

    Parameters
    ----------
    incoming
        Rows read by :func:`read_import`.
    header, current
        The directory (:func:`finder.corrections.current_rows`).
    origins
        Where each incoming office came from (:attr:`ImportSource.origins`), named in problems.

    Returns
    -------
    ImportPlan
    """
    plan = ImportPlan()
    by_id = {row["id"]: row for row in current}
    seen: set[str] = set()
    changed: list[dict[str, str]] = []
    for row in incoming:
        office_id = row.get("id", "")
        if office_id in seen:
            plan.problems.append(f"office {office_id}: appears more than once in the import")
            continue
        seen.add(office_id)
        old = by_id.get(office_id)
        if old is None:
            plan.additions.append({column: row.get(column, "") for column in header})
            continue
        changes = {
            column: (old.get(column, ""), row.get(column, ""))
            for column in header
            if column != "id" and column in row and not same_value(column, old.get(column, ""), row[column])
        }
        if changes:
            plan.updates[office_id] = changes
            changed.append({**old, **{column: new for column, (_, new) in changes.items()}})
        else:
            plan.unchanged.append(office_id)
    plan.not_in_import = [row["id"] for row in current if row["id"] not in seen]
    if not plan.problems and not plan.empty:
        plan.problems.extend(corrections.check_rows(header, changed + plan.additions, origins))
    return plan


def apply_import(plan: ImportPlan, editor: Any, *, by: str, reason: str) -> list[Any]:
    """Apply a plan through a :class:`finder.corrections.DirectoryEditor` (one atomic write).

    Raises
    ------
    finder.corrections.CorrectionError
        If the plan has problems or the directory changed in a way that makes it invalid.
    """
    if plan.problems:
        msg = "the import has problems; nothing was changed: " + "; ".join(plan.problems[:5])
        raise CorrectionError(msg)
    updates = {office: {col: new for col, (_, new) in cols.items()} for office, cols in plan.updates.items()}
    return editor.apply_many(updates, plan.additions, by=by, reason=reason, action="import")
