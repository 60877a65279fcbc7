"""Apply an audit of the directory (a TSV of checked corrections) through the corrections path.

An audit file (e.g. ``data/audits/2026-11-29.tsv``) has one row per finding, with the columns
:data:`AUDIT_COLUMNS`: the office, the field, the value the auditor saw (``current``), the ``proposed``
value, the page that shows it (``evidence_url``, ``evidence_date``) and a ``note``. :func:`apply_audit`
applies each row with :class:`~finder.corrections.editor.DirectoryEditor`, so that every change is one
recorded change (who, when, old and new values) whose reason names the audit, its line, the note and the
evidence, and can be reverted. The evidence page is added to the office's ``source_url``.

How rows are read:

- ``proposed`` ``(leave empty)``, ``(none)``, ``(unverified)``: instructions, not values: the field is
  (or stays) empty. A value nobody could confirm is better blank than wrong.
- ``current``: what the auditor saw. A row is skipped when the office has changed since (its value is
  neither that nor the proposed one); ``current`` in parentheses ("(2015 hours of a volunteer desk)")
  describes the value instead of quoting it and is not compared.
- ``status``: blank and ``active`` mean the same.
- ``notes``: the proposed text is added to the notes (``" | "`` between), not put in their place.
- An address change moves the office to where the offline gazetteer puts the new address
  (:func:`~finder.corrections.overlay.position_after`).
- ``duplicate_of``: the row's office is marked ``closed`` with a note naming the office that is kept. It
  stays in the file, so its history and every link or printed handout naming it keep working (the card
  says where to go), it never appears in a search, and the change can be reverted like any other; removing
  the row would break those links for no gain.
- ``new_row``: the proposed text describes an office in words. The structured row (id, name, provider,
  kind, town, district, phone …, only what the text says) is written by a maintainer in a companion file
  (``<audit>.new-rows.csv``: column ``line``, the audit line it realises, plus columns of ``offices.csv``);
  the office gets the evidence page as ``source_url``, the evidence date as ``source_date`` when it is a
  date, and the offline gazetteer's position (its town, else a point in its district). A ``new_row``
  without a companion row is skipped.

Applying the same audit again changes nothing: a value already as proposed, an office already added, a
duplicate already closed are reported as skipped, each with the reason.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from finder import rules
from finder._files import read_regular_file
from finder.corrections.editor import DirectoryEditor
from finder.corrections.overlay import offline_position, position_after
from finder.directory import OFFICE_COLUMNS, SOURCE_URL_SEPARATOR
from finder.errors import CorrectionError

__all__ = [
    "AUDIT_COLUMNS",
    "CLEARING",
    "AuditRow",
    "Outcome",
    "apply_audit",
    "audit_date",
    "new_rows_path",
    "read_audit",
    "read_new_rows",
]

#: Columns of an audit file (tab-separated, UTF-8, header row).
AUDIT_COLUMNS: tuple[str, ...] = (
    "id",
    "field",
    "current",
    "proposed",
    "evidence_url",
    "evidence_date",
    "note",
)
#: ``proposed`` values that are instructions to leave the field empty.
CLEARING: frozenset[str] = frozenset({"(leave empty)", "(none)", "(unverified)"})
#: Fields of an audit row that are not columns.
DUPLICATE, NEW_ROW = "duplicate_of", "new_row"
#: Separator of notes added to ``notes``.
NOTES_SEPARATOR = " | "
# Largest audit or companion file read (bytes): an audit is a few kB.
_MAX_BYTES = 5_000_000
_DATE = re.compile(r"[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?")
_FILE_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class AuditRow:
    """One finding of an audit file (its line, and the columns of :data:`AUDIT_COLUMNS`)."""

    line: int
    office_id: str
    field: str
    current: str
    proposed: str
    evidence_url: str
    evidence_date: str
    note: str


@dataclass
class Outcome:
    """What became of one audit row.

    Attributes
    ----------
    line, office_id, field
        The audit row.
    applied
        True if a change was recorded (or, in a dry run, would be).
    changes
        Column → new value (also what a dry run would write).
    reason
        Applied: the reason recorded in the history. Skipped: why.
    change_id
        The recorded change (None when skipped or in a dry run).
    """

    line: int
    office_id: str
    field: str
    applied: bool
    changes: dict[str, str] = field(default_factory=dict)
    reason: str = ""
    change_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        """As a JSON object."""
        return asdict(self)


# --------------------------------------------------------------------------------------------------
# Reading


def _text(path: Path) -> str:
    try:
        data = read_regular_file(path, _MAX_BYTES)
    except OSError as exc:
        msg = f"{path}:1: file: cannot read the file ({exc.strerror or exc})"
        raise CorrectionError(msg) from exc
    try:
        return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        msg = f"{path}:{line}: file: not UTF-8"
        raise CorrectionError(msg) from exc


def read_audit(path: str | os.PathLike[str]) -> list[AuditRow]:
    """Read an audit file.

    Values are taken as they are (tab-separated, no quoting: notes may contain quotes); surrounding spaces
    are dropped.

    Raises
    ------
    CorrectionError
        ``PATH:LINE: FIELD: problem`` for a missing column, a row with the wrong number of fields, or
        control characters.
    """
    source = Path(path)
    reader = csv.reader(io.StringIO(_text(source), newline=""), delimiter="\t", quoting=csv.QUOTE_NONE)
    rows = list(reader)
    if not rows:
        msg = f"{source}:1: file: empty (no header row)"
        raise CorrectionError(msg)
    header = [name.strip() for name in rows[0]]
    missing = [name for name in AUDIT_COLUMNS if name not in header]
    if missing:
        msg = f"{source}:1: {missing[0]}: missing column (expected: {', '.join(AUDIT_COLUMNS)})"
        raise CorrectionError(msg)
    out = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            msg = f"{source}:{line}: row: has {len(row)} fields, the header has {len(header)}"
            raise CorrectionError(msg)
        values = {name: cell.strip() for name, cell in zip(header, row, strict=True)}
        for name, value in values.items():
            if rules.has_controls(value) or rules.has_bidi_controls(value):
                msg = f"{source}:{line}: {name}: contains control characters"
                raise CorrectionError(msg)
        out.append(AuditRow(line, values["id"], values["field"], values["current"], values["proposed"],
                            values["evidence_url"], values["evidence_date"], values["note"]))  # fmt: skip
    return out


def new_rows_path(audit: str | os.PathLike[str]) -> Path:
    """The companion file of an audit: ``2026-11-29.tsv`` → ``2026-11-29.new-rows.csv`` beside it."""
    path = Path(audit)
    return path.with_name(f"{path.stem}.new-rows.csv")


def read_new_rows(path: str | os.PathLike[str]) -> dict[int, dict[str, str]]:
    """The structured rows of an audit's ``new_row`` findings, by audit line.

    Raises
    ------
    CorrectionError
        ``PATH:LINE: FIELD: problem`` for a column that is not one of ``offices.csv`` (or ``line``), a
        ``line`` that is not a number, or a line given twice.
    """
    source = Path(path)
    reader = csv.DictReader(io.StringIO(_text(source), newline=""))
    unknown = [c for c in reader.fieldnames or () if c != "line" and c not in OFFICE_COLUMNS]
    if unknown or "line" not in (reader.fieldnames or ()):
        what = unknown[0] if unknown else "line"
        msg = f"{source}:1: {what}: expected a column line and columns of offices.csv"
        raise CorrectionError(msg)
    out: dict[int, dict[str, str]] = {}
    for row in reader:
        number = rules.parse_int(row.pop("line") or "", 1, 999_999)
        if number is None or number in out:
            msg = f"{source}:{reader.line_num}: line: not the number of a new_row line of the audit, or twice"
            raise CorrectionError(msg)
        out[number] = {k: (v or "").strip() for k, v in row.items()}
    return out


def audit_date(path: str | os.PathLike[str]) -> str:
    """The date in the audit file's name (``audit-2026-11-29.tsv`` → ``2026-11-29``), or ''."""
    found = _FILE_DATE.search(Path(path).name)
    return found.group() if found and rules.parse_date(found.group()) else ""


# --------------------------------------------------------------------------------------------------
# Planning one row


@dataclass
class _Step:
    """What to do for one audit row: skip (``why``), update ``changes``, or ``add`` a row."""

    why: str = ""
    changes: dict[str, str] = field(default_factory=dict)
    add: dict[str, str] | None = None


def _same(column: str, a: str, b: str) -> bool:
    if column == "status":  # blank means active
        return (a or "active") == (b or "active")
    return a == b


def _with_source(row: Mapping[str, str], url: str) -> dict[str, str]:
    """``source_url`` with the evidence page added, if it is new."""
    urls = [u for u in row.get("source_url", "").split(SOURCE_URL_SEPARATOR) if u]
    if not url or url in urls:
        return {}
    return {"source_url": SOURCE_URL_SEPARATOR.join([*urls, url])}


def _with_note(notes: str, note: str) -> str:
    return NOTES_SEPARATOR.join(part for part in (notes, note) if part)


def _plan_value(finding: AuditRow, row: Mapping[str, str], data_dir: Path | None) -> _Step:
    column = finding.field
    if column not in OFFICE_COLUMNS or column == "id":
        return _Step(f"unknown field {column!r}")
    actual = row.get(column, "")
    if column == "notes":
        if finding.proposed in actual:
            return _Step("already in the notes")
        return _Step(changes={"notes": _with_note(actual, finding.proposed)})
    target = "" if finding.proposed in CLEARING else finding.proposed
    if _same(column, actual, target):
        return _Step("already empty" if not target else "already so")
    described = finding.current.startswith("(") and finding.current.endswith(")")
    if not described and not _same(column, actual, finding.current):
        return _Step(f"changed since the audit: now {actual!r}, the audit saw {finding.current!r}")
    changes = {column: target}
    changes.update(position_after(row, changes, data_dir))
    return _Step(changes=changes)


def _plan_duplicate(
    finding: AuditRow, row: Mapping[str, str], rows: Mapping[str, Mapping[str, str]], date: str
) -> _Step:
    kept = finding.proposed
    if kept not in rows or kept == finding.office_id:
        return _Step(f"the office to keep, {kept!r}, is not in the directory")
    if rows[kept].get("status") == "closed":
        return _Step(f"the office to keep, {kept}, is closed itself")
    if row.get("status") == "closed":
        return _Step("already closed")
    # The notes are German, like the rest of the column; the auditor's words are quoted as they are.
    note = f"Doppelter Eintrag von {kept}, dort weitergeführt (Prüfung {date or 'ohne Datum'}"
    note += f": {finding.note})" if finding.note else ")"
    return _Step(changes={"status": "closed", "notes": _with_note(row.get("notes", ""), note)})


def _plan_new(
    finding: AuditRow, structured: Mapping[int, Mapping[str, str]], ids: set[str], data_dir: Path | None
) -> _Step:
    given = structured.get(finding.line)
    if given is None:
        return _Step("a new_row needs its structured row in the companion file (<audit>.new-rows.csv)")
    office_id = given.get("id", "")
    if office_id in ids:
        return _Step(f"already in the directory as {office_id}")
    row = dict(given)
    row["source_url"] = finding.evidence_url
    row["source_date"] = finding.evidence_date if _DATE.fullmatch(finding.evidence_date) else ""
    row.update(offline_position(row, data_dir))
    return _Step(add=row)


def _reason(finding: AuditRow, date: str, source: str) -> str:
    parts = [f"audit {date or source}, line {finding.line}: {finding.field} {finding.proposed}".rstrip()]
    if finding.note:
        parts.append(finding.note)
    evidence = finding.evidence_url + (f" ({finding.evidence_date})" if finding.evidence_date else "")
    if evidence:
        parts.append(f"evidence: {evidence}")
    return " — ".join(parts)


# --------------------------------------------------------------------------------------------------
# Applying


def apply_audit(
    editor: DirectoryEditor,
    path: str | os.PathLike[str],
    *,
    by: str,
    new_rows: str | os.PathLike[str] | None = None,
    dry_run: bool = False,
    data_dir: str | os.PathLike[str] | None = None,
) -> list[Outcome]:
    """Apply an audit file row by row through ``editor``; each applied row is one recorded change.

    Parameters
    ----------
    editor
        The directory's editor (its history records every change).
    path
        The audit file (:func:`read_audit`).
    by
        Who applies it (for the history).
    new_rows
        The companion file of ``new_row`` findings; default :func:`new_rows_path` if it exists.
    dry_run
        Only say what would change; nothing is written.
    data_dir
        The geodata for placing offices (default the settings' data folder).

    Returns
    -------
    list of Outcome
        One per audit row, in file order.

    Raises
    ------
    CorrectionError
        For an unreadable audit or companion file, or an invalid directory file. A change the directory
        refuses (its result would not be valid) is reported as skipped with the reason; the rows before it
        stay applied, and applying the audit again after a fix picks up where it stopped.
    """
    findings = read_audit(path)
    companion = Path(new_rows) if new_rows is not None else new_rows_path(path)
    structured = read_new_rows(companion) if (new_rows is not None or companion.exists()) else {}
    geodata = Path(data_dir) if data_dir is not None else None
    date, source = audit_date(path), Path(path).name
    _, current = editor.rows()
    rows = {r["id"]: dict(r) for r in current}
    outcomes = []
    for finding in findings:
        reason = _reason(finding, date, source)
        if finding.field == NEW_ROW:
            step = _plan_new(finding, structured, set(rows), geodata)
        elif finding.office_id not in rows:
            step = _Step(f"there is no office with id {finding.office_id!r}")
        elif finding.field == DUPLICATE:
            step = _plan_duplicate(finding, rows[finding.office_id], rows, date)
        else:
            step = _plan_value(finding, rows[finding.office_id], geodata)
        outcome = Outcome(finding.line, finding.office_id, finding.field, applied=False, reason=step.why)
        outcomes.append(outcome)
        if step.why:
            continue
        if step.add is not None:
            outcome.office_id = step.add.get("id", "")
            outcome.changes = dict(step.add)
        else:
            row = rows[finding.office_id]
            outcome.changes = {**step.changes, **_with_source(row, finding.evidence_url)}
        outcome.applied, outcome.reason = True, reason
        if dry_run:
            rows.setdefault(outcome.office_id, {}).update(outcome.changes)
            continue
        try:
            if step.add is not None:
                change = editor.add(step.add, by=by, reason=reason)
            else:
                change = editor.apply(
                    finding.office_id, outcome.changes, by=by, reason=reason, action="audit"
                )
        except CorrectionError as exc:
            outcome.applied, outcome.reason = False, f"refused: {exc}"
            continue
        outcome.change_id = change.id
        rows[outcome.office_id] = editor.row(outcome.office_id)
    return outcomes
