"""``finder review``: suggested corrections, direct edits, confirmations and the change history.

Sub-commands: ``list``, ``show``, ``accept``, ``reject``, ``edit``, ``confirm``, ``history``, ``revert``,
``apply-audit`` (a TSV of checked corrections, :mod:`finder.corrections.audit`).
Every change is recorded (who, when, why, old and new values) and can be reverted. A refused change
(invalid result, unknown office, conflict with a later change) exits with 1 and says why; everything typed
or stored is printed with its control characters escaped, so a report cannot drive the terminal.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence
from pathlib import Path

from finder.cli._args import settings_of
from finder.cli._output import EXIT_NOT_FOUND, EXIT_OK, fail, print_json
from finder.corrections import (
    KIND_COLUMNS,
    STATUSES,
    ChangeView,
    CorrectionStore,
    DirectoryEditor,
    SuggestionView,
    parse_languages,
    printable,
)
from finder.corrections.audit import apply_audit
from finder.directory import OFFICE_COLUMNS
from finder.errors import CorrectionError

#: Kinds of suggestion about one column whose proposed text can be the new value (``--as-proposed``).
_AS_PROPOSED_KINDS = ("phone", "hours", "languages")


def _open(args: argparse.Namespace) -> tuple[CorrectionStore, DirectoryEditor]:
    store = CorrectionStore(args.db or None)
    return store, DirectoryEditor(store, settings_of(args).data_dir / "offices.csv")


def _parse_sets(values: Sequence[str] | None) -> dict[str, str]:
    """``["phone=0351 1", …]`` as ``{"phone": "0351 1", …}``."""
    out: dict[str, str] = {}
    for item in values or ():
        column, sep, value = item.partition("=")
        if not sep:
            msg = f"--set needs COLUMN=VALUE, not {printable(item)!r}"
            raise CorrectionError(msg)
        out[column.strip()] = value
    return out


def _show_change(change: ChangeView) -> str:
    """A recorded change as a head line and one indented ``column: old → new`` line per changed field."""
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


def _report(args: argparse.Namespace, change: ChangeView) -> None:
    if args.json:
        print_json(change.to_json())
    else:
        sys.stdout.write(_show_change(change) + "\n")


def _list(args: argparse.Namespace, store: CorrectionStore) -> int:
    items = store.suggestions(status=None if args.status == "all" else args.status)
    if args.json:
        print_json([s.to_json() for s in items])
        return EXIT_OK
    for s in items:
        first = s.proposed.splitlines()[0] if s.proposed else ""
        line = f"#{s.id} {s.created_at:%Y-%m-%d} {s.status:8} {s.office_id} [{s.kind}] {first[:80]}"
        sys.stdout.write(printable(line) + "\n")
    if not items:
        sys.stderr.write("no suggestions\n")
    return EXIT_OK


def _show(args: argparse.Namespace, store: CorrectionStore, editor: DirectoryEditor) -> int:
    s = store.suggestion(args.id)
    try:
        current = editor.row(s.office_id)
    except CorrectionError:
        current = {}
    if args.json:
        print_json({"suggestion": s.to_json(), "current": current})
        return EXIT_OK
    out = [
        f"Suggestion #{s.id} for {s.office_id} ({s.kind}), {s.status}, "
        f"received {s.created_at:%Y-%m-%d %H:%M} UTC",
        "Proposed:",
    ]
    out.extend(f"    {line}" for line in s.proposed.splitlines())
    if s.contact:
        out.append(f"Contact: {s.contact}")
    out.append("Current entry:" if current else "The office is no longer in the directory.")
    columns = KIND_COLUMNS.get(s.kind) or tuple(c for c in OFFICE_COLUMNS if current.get(c))
    out.extend(f"    {c}: {current.get(c, '')}" for c in columns if current)
    sys.stdout.write("\n".join(printable(line) for line in out) + "\n")
    return EXIT_OK


def _as_proposed(suggestion: SuggestionView) -> tuple[str, str]:
    """The column a suggestion is about and its proposed text as that column's value (``--as-proposed``)."""
    if suggestion.kind not in _AS_PROPOSED_KINDS:
        msg = f"--as-proposed only works for phone, hours and languages; use --set for {suggestion.kind}"
        raise CorrectionError(msg)
    value = suggestion.proposed
    if suggestion.kind == "languages":
        codes, unknown = parse_languages(value)
        if unknown:
            msg = f"unknown languages {', '.join(unknown)}; use --set languages=CODES"
            raise CorrectionError(msg)
        value = ";".join(codes)
    (column,) = KIND_COLUMNS[suggestion.kind]
    return column, value


def _apply_audit(args: argparse.Namespace, editor: DirectoryEditor, by: str) -> int:
    """Apply an audit file; print one line (or JSON object) per audit row: applied, or skipped and why."""
    data_dir = Path(args.data_dir) if args.data_dir else None
    outcomes = apply_audit(
        editor, args.file, by=by, new_rows=args.new_rows, dry_run=args.dry_run, data_dir=data_dir
    )
    applied = sum(o.applied for o in outcomes)
    if args.json:
        print_json({"dry_run": args.dry_run, "applied": applied, "skipped": len(outcomes) - applied,
                    "rows": [o.to_json() for o in outcomes]})  # fmt: skip
        return EXIT_OK
    verb = "would apply" if args.dry_run else "applied"
    for o in outcomes:
        if o.applied:
            change = f" (change #{o.change_id})" if o.change_id is not None else ""
            head = f"line {o.line}: {verb} {o.office_id} {o.field}{change}"
            fields = "; ".join(f"{k}={v!r}" for k, v in o.changes.items())
            sys.stdout.write(printable(f"{head}: {fields}") + "\n")
        else:
            sys.stdout.write(printable(f"line {o.line}: skipped {o.office_id} {o.field}: {o.reason}") + "\n")
    sys.stderr.write(f"{applied} {verb}, {len(outcomes) - applied} skipped\n")
    return EXIT_OK


def _review(args: argparse.Namespace) -> int:
    """Run one ``finder review`` action; a refused change raises :class:`CorrectionError`."""
    store, editor = _open(args)
    by = getattr(args, "by", None) or getpass.getuser()
    action = args.review_action
    if action == "list":
        return _list(args, store)
    if action == "apply-audit":
        return _apply_audit(args, editor, by)
    if action == "show":
        return _show(args, store, editor)
    if action == "reject":
        s = store.reject(args.id, by=by, note=args.reason or "")
        if args.json:
            print_json(s.to_json())
        else:
            sys.stdout.write(f"suggestion #{s.id} rejected\n")
        return EXIT_OK
    if action == "history":
        changes = store.history(args.office_id, limit=args.limit)
        if args.json:
            print_json([c.to_json() for c in changes])
        else:
            for change in changes:
                sys.stdout.write(_show_change(change) + "\n")
        return EXIT_OK
    if action == "accept":
        changes = _parse_sets(args.set)
        if args.as_proposed:
            column, value = _as_proposed(store.suggestion(args.id))
            changes.setdefault(column, value)
        change = editor.accept(args.id, changes, by=by, reason=args.reason or "", remove=args.remove)
    elif action == "edit":
        change = editor.apply(args.office_id, _parse_sets(args.set), by=by, reason=args.reason)
    elif action == "confirm":
        change = editor.confirm(args.office_id, by=by, reason=args.reason or "")
    elif action == "revert":
        change = editor.revert(args.change_id, by=by, reason=args.reason or "")
    else:  # argparse only lets the actions above through
        msg = f"unknown review action {action}"
        raise CorrectionError(msg)
    _report(args, change)
    return EXIT_OK


def cmd_review(args: argparse.Namespace) -> int:
    """Run ``finder review …``: exit 0, or 1 with the reason when a change is refused."""
    try:
        return _review(args)
    except CorrectionError as exc:
        # JSON escapes control characters itself; a terminal needs them shown as text.
        return fail(args, str(exc) if args.json else printable(str(exc)), EXIT_NOT_FOUND)


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``finder review`` (list/show/accept/reject/edit/confirm/history/revert/apply-audit)."""
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
    q = add("apply-audit", "apply an audit (TSV of checked corrections), one recorded change per row")
    q.add_argument("file", help="the audit, e.g. data/audits/2026-11-29.tsv")
    q.add_argument("--new-rows", help="structured rows of its new_row findings (default FILE.new-rows.csv)")
    q.add_argument("--dry-run", action="store_true", help="only say what would change")
    q.add_argument("--by")
    q = add("revert", "undo a recorded change")
    q.add_argument("change_id", type=int)
    q.add_argument("--reason")
    q.add_argument("--by")
    p.set_defaults(func=cmd_review)
