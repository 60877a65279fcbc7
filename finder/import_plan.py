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
from finder._values import contact_items, finite_float
from finder.directory import OFFICE_COLUMNS, validate_file
from finder.errors import CorrectionError, HsdsError
from finder.rules import escape_controls

__all__ = ["ImportPlan", "apply_import", "plan_import", "read_csv", "read_import", "same_value"]


def read_csv(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    """Read a CSV in the column layout of ``offices.csv`` (it must pass ``validate_file``).

    Raises
    ------
    HsdsError
        With the file's problems (``PATH:LINE: FIELD: message``).
    """
    problems = validate_file(path)
    if problems:
        shown = "\n".join(str(p) for p in problems[:20])
        more = f"\n… and {len(problems) - 20} more" if len(problems) > 20 else ""
        msg = f"{path} has {len(problems)} problem(s):\n{shown}{more}"
        raise HsdsError(msg)
    _, rows = corrections.read_rows(path)
    return [{column: row.get(column, "") for column in OFFICE_COLUMNS} for row in rows]


def read_import(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    """Read an import source: an HSDS folder or ``.json`` file, or a ``.csv`` file."""
    source = Path(path)
    if not source.exists():
        msg = f"{path} does not exist"
        raise HsdsError(msg)
    if source.is_file() and source.suffix.lower() == ".csv":
        return read_csv(source)
    return hsds.read_hsds(source)


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
    incoming: Sequence[Mapping[str, str]], header: Sequence[str], current: Sequence[Mapping[str, str]]
) -> ImportPlan:
    """Compare imported rows with the directory and check that the result would be valid.

    Parameters
    ----------
    incoming
        Rows read by :func:`read_import`.
    header, current
        The directory (:func:`finder.corrections.current_rows`).

    Returns
    -------
    ImportPlan
    """
    plan = ImportPlan()
    by_id = {row["id"]: row for row in current}
    seen: set[str] = set()
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
            if column != "id" and not same_value(column, old.get(column, ""), row.get(column, ""))
        }
        if changes:
            plan.updates[office_id] = changes
        else:
            plan.unchanged.append(office_id)
    plan.not_in_import = [row["id"] for row in current if row["id"] not in seen]
    if not plan.problems and not plan.empty:
        result = []
        for row in current:
            new = dict(row)
            new.update({col: value for col, (_, value) in plan.updates.get(row["id"], {}).items()})
            result.append(new)
        result.extend(plan.additions)
        plan.problems.extend(corrections.check_rows(header, result))
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
