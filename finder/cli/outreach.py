"""``finder outreach``: the verification round — plan and write the messages, send, revoke, track.

- ``plan [--district D]… [--kind K]… [--older-than-months N] [--missing FIELD]… [--never-confirmed]
  [--all] [--expires-days N] --output DIR``: a new round with one signed personal link per office, and
  ``DIR/messages.csv``, ``DIR/<id>.eml`` (offices with an e-mail address) and ``DIR/letters.html``;
  prints how many offices were planned.
- ``send --round ROUND``: hands the round's e-mails to the mail server of ``FINDER_SMTP_*`` (only then),
  at most ``FINDER_SMTP_PER_MINUTE`` a minute, each attempt logged.
- ``revoke ID``: the office's links that can still be used stop working.
- ``status [--format text|csv|json]``: per office planned / sent / opened / answered / confirmed / changed
  (and rejected, revoked, expired), and per district and kind the share confirmed in the last 12 months
  and the share with languages stated.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import io
import sys
from pathlib import Path

import pandas as pd

from finder import corrections, vocab
from finder.cli._args import count, settings_of
from finder.cli._output import EXIT_OK, EXIT_USAGE, fail, print_json
from finder.csv_export import safe_frame
from finder.rules import is_office_id

FORMATS = ("text", "csv", "json")
#: Default lifetime of a link.
DEFAULT_EXPIRES_DAYS = 60


def _stores(args: argparse.Namespace):
    from finder.outreach.store import OutreachStore  # noqa: PLC0415

    settings = settings_of(args)
    store = corrections.CorrectionStore(args.db or settings.corrections_db or None)
    return settings, store, OutreachStore(store, settings.outreach_secret or None)


def cmd_plan(args: argparse.Namespace) -> int:
    """Plan a round and write its messages."""
    from finder.outreach import messages, plan  # noqa: PLC0415

    rule = plan.Rule(
        districts=tuple(args.district or ()), kinds=tuple(args.kind or ()),
        older_than_months=args.older_than_months, missing=tuple(args.missing or ()),
        never_confirmed=args.never_confirmed, everything=args.all,
    )  # fmt: skip
    if not (rule.everything or rule.has_reason or rule.districts or rule.kinds):
        return fail(args, "say which offices to ask: --all, or a rule (see --help)", EXIT_USAGE)
    if args.expires_days < 1:
        return fail(args, "--expires-days must be at least 1", EXIT_USAGE)
    settings, store, outreach = _stores(args)
    try:
        offices = corrections.load_directory(settings, store)
        now = store.clock()
        live = outreach.live_offices()
        chosen = plan.select_offices(offices, rule, today=now.astimezone(dt.UTC).date(), exclude=live)
        chosen = chosen[chosen["id"].map(is_office_id)]
        expires = now + dt.timedelta(days=args.expires_days)
        folder = Path(args.output).resolve()
        rows = chosen.to_dict("records")
        planned = [
            (str(r["id"]), messages.first_email(str(r.get("email", ""))), str(r["missing"])) for r in rows
        ]
        round_id, minted = outreach.create_round(
            planned,
            expires_at=expires,
            by=args.by or getpass.getuser(),
            rule=rule.to_json(),
            output_dir=str(folder),
        )
        written = messages.write_round(
            folder,
            [
                messages.compose(r, messages.verify_link(settings.public_url, minted[str(r["id"])]), expires)
                for r in rows
            ],
            sender=settings.smtp_from,
        )
    finally:
        store.dispose()
    skipped = len(live & set(offices["id"]))
    sys.stdout.write(
        f"planned {written['offices']} offices in round {round_id}: {written['emails']} e-mails, "
        f"{written['letters']} letters in {folder}"
        + (f" ({skipped} offices still hold a link and were left out)" if skipped else "")
        + "\n"
    )
    return EXIT_OK


def cmd_send(args: argparse.Namespace) -> int:
    """Send a round's e-mails through the configured mail server."""
    from finder.outreach.send import send_round  # noqa: PLC0415

    settings, store, outreach = _stores(args)
    if not settings.smtp_configured:
        store.dispose()
        return fail(args, "no mail server configured (FINDER_SMTP_HOST); nothing was sent", EXIT_USAGE)
    try:
        result = send_round(outreach, args.round, settings, folder=Path(args.output) if args.output else None)
    finally:
        store.dispose()
    sys.stdout.write(
        f"round {args.round}: {result.sent} sent, {result.failed} failed, {result.skipped} skipped "
        f"({result.seconds:.1f} s)\n"
    )
    return EXIT_OK if result.failed == 0 else 1


def cmd_revoke(args: argparse.Namespace) -> int:
    """Revoke an office's links."""
    if not is_office_id(args.id):
        return fail(args, "not an office id", EXIT_USAGE)
    _, store, outreach = _stores(args)
    try:
        n = outreach.revoke(args.id)
    finally:
        store.dispose()
    sys.stdout.write(f"revoked {n} link(s) of {args.id}\n")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    """Print the round's state per office and the coverage per district and kind."""
    from finder.outreach.plan import status_tables  # noqa: PLC0415

    settings, store, outreach = _stores(args)
    try:
        offices, shares = status_tables(corrections.load_directory(settings, store), outreach, args.round)
    finally:
        store.dispose()
    if args.format == "json":
        records = [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in offices.to_dict("records")]
        print_json({"offices": records, "coverage": shares.to_dict("records")})
    elif args.format == "csv":
        out = io.StringIO()
        safe_frame(offices).to_csv(out, index=False, lineterminator="\n")
        out.write("\n")
        safe_frame(shares).to_csv(out, index=False, lineterminator="\n")
        sys.stdout.write(out.getvalue())
    else:
        from finder.cli.report import text_table  # noqa: PLC0415

        counts = offices["state"].value_counts().to_dict() if len(offices) else {}
        sys.stdout.write(
            "Offices asked: " + (", ".join(f"{k} {v}" for k, v in counts.items()) or "none") + "\n"
        )
        if len(offices):
            sys.stdout.write(text_table(offices.astype(object).fillna("")) + "\n")
        sys.stdout.write("\nConfirmed in the last 12 months and languages stated, per district and kind:\n")
        sys.stdout.write(text_table(shares) + "\n")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``finder outreach``."""
    from finder.outreach.plan import MISSING_CHOICES  # noqa: PLC0415 - a light module (pandas is loaded anyway)

    p = sub.add_parser("outreach", help="the verification round: personal links for every office")
    ops = p.add_subparsers(dest="outreach_command", required=True)

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("--db", help="corrections database (default FINDER_CORRECTIONS_DB)")
        q.add_argument("--data-dir")

    q = ops.add_parser("plan", help="plan a round and write its e-mails, mail-merge CSV and letters")
    q.add_argument("--district", action="append", choices=[*vocab.DISTRICTS, vocab.STATEWIDE], metavar="D")
    q.add_argument("--kind", action="append", choices=vocab.KINDS, metavar="K")
    q.add_argument("--older-than-months", type=count, metavar="N",
                   help="source and last confirmation older than N months (or none)")  # fmt: skip
    q.add_argument("--missing", action="append", choices=MISSING_CHOICES, metavar="FIELD",
                   help=f"the entry lacks FIELD ({', '.join(MISSING_CHOICES)})")  # fmt: skip
    q.add_argument(
        "--never-confirmed", action="store_true", help="never confirmed by a maintainer or the office"
    )
    q.add_argument("--all", action="store_true", help="every office (but closed ones)")
    q.add_argument("--expires-days", type=count, default=DEFAULT_EXPIRES_DAYS, metavar="N")
    q.add_argument("--output", required=True, metavar="DIR")
    q.add_argument("--by", help="who plans the round (default: the login name)")
    common(q)
    q.set_defaults(func=cmd_plan)

    q = ops.add_parser("send", help="send a round's e-mails (only with FINDER_SMTP_HOST)")
    q.add_argument("--round", type=count, required=True)
    q.add_argument("--output", metavar="DIR", help="where the round's .eml files are (default: as planned)")
    common(q)
    q.set_defaults(func=cmd_send)

    q = ops.add_parser("revoke", help="revoke an office's links")
    q.add_argument("id")
    common(q)
    q.set_defaults(func=cmd_revoke)

    q = ops.add_parser("status", help="state per office and coverage per district and kind")
    q.add_argument("--format", choices=FORMATS, default="text")
    q.add_argument("--round", type=count)
    common(q)
    q.set_defaults(func=cmd_status)
