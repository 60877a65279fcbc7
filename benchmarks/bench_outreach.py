"""Benchmark of the verification round: planning and writing a round for every office, and sending it.

Run from the repository root: ``python benchmarks/bench_outreach.py [--repeat N]``. Each repeat works on a
fresh corrections database (a temporary SQLite file) and the embedded directory.

1. *Plan and write*: ``finder outreach plan --all`` as a fresh process (wall seconds), and in-process the
   steps it takes (load the directory with confirmations, select, mint and store the links, write the
   CSV, the ``.eml`` files and the letters with their QR codes); medians over the repeats.
2. *Send*: the round's e-mails to a local SMTP server (aiosmtpd on 127.0.0.1, no TLS) through
   :func:`finder.outreach.send.send_round` with the real clock, at several ``FINDER_SMTP_PER_MINUTE``
   limits and without a meaningful one (1e9 a minute: the fair baseline, what the machine and server
   manage); messages per second, and the ratio to the limit. Not run in CI.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from finder import corrections  # noqa: E402
from finder import settings as _settings  # noqa: E402
from finder.outreach import messages, plan  # noqa: E402
from finder.outreach.send import send_round  # noqa: E402
from finder.outreach.store import OutreachStore  # noqa: E402


def plan_process(folder: Path) -> float:
    """Wall seconds of ``finder outreach plan --all`` as a fresh process."""
    env = {
        **os.environ,
        "FINDER_DATA_DIR": str(REPO / "data"),
        "FINDER_CORRECTIONS_DB": str(folder / "c.sqlite"),
    }
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "finder.cli", "outreach", "plan", "--all", "--output",
                    str(folder / "round")], env=env, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - started


def plan_steps(folder: Path) -> dict[str, float]:
    """Seconds of each step of planning a round for every office, in-process."""
    settings = _settings.load().with_(data_dir=REPO / "data", corrections_db=str(folder / "c.sqlite"))
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    store = corrections.CorrectionStore(settings.corrections_db)
    outreach = OutreachStore(store)
    offices = corrections.load_directory(settings, store)
    t1 = time.perf_counter()
    chosen = plan.select_offices(offices, plan.Rule(everything=True), today=dt.date.today())
    rows = chosen.to_dict("records")
    t2 = time.perf_counter()
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=60)
    planned = [(str(r["id"]), messages.first_email(str(r.get("email", ""))), str(r["missing"])) for r in rows]
    _, minted = outreach.create_round(planned, expires_at=expires, by="bench", rule={})
    t3 = time.perf_counter()
    composed = [messages.compose(r, messages.verify_link(settings.public_url, minted[str(r["id"])]), expires)
                for r in rows]  # fmt: skip
    written = messages.write_round(folder / "round", composed)
    t4 = time.perf_counter()
    store.dispose()
    times.update(load=t1 - t0, select=t2 - t1, links=t3 - t2, write=t4 - t3, total=t4 - t0)
    times["offices"], times["emails"] = written["offices"], written["emails"]
    return times


def send_rate(per_minute: float) -> tuple[int, float]:
    """Messages handed to a local aiosmtpd and messages per second at ``per_minute``."""
    from aiosmtpd.controller import Controller  # noqa: PLC0415 - a test tool, only for this part

    class Sink:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            plan_steps(folder)
            settings = _settings.load().with_(
                corrections_db=str(folder / "c.sqlite"), smtp_host="127.0.0.1", smtp_port=port,
                smtp_starttls=False, smtp_from="bench@beratungsfinder.invalid", smtp_per_minute=per_minute,
            )  # fmt: skip
            store = corrections.CorrectionStore(settings.corrections_db)
            result = send_round(OutreachStore(store), 1, settings, folder=folder / "round")
            store.dispose()
    finally:
        controller.stop()
    return result.sent, result.sent / result.seconds if result.seconds else float("inf")


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    process, steps = [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as name:
            process.append(plan_process(Path(name)))
        with tempfile.TemporaryDirectory() as name:
            steps.append(plan_steps(Path(name)))
    offices, emails = int(steps[0]["offices"]), int(steps[0]["emails"])
    print(f"Plan and write a round for every office ({offices} offices, {emails} e-mails, {offices} letters), "
          f"median of {args.repeat}:")  # fmt: skip
    print(f"  finder outreach plan --all (fresh process): {statistics.median(process):.2f} s")
    for step in ("load", "select", "links", "write", "total"):
        median = statistics.median(s[step] for s in steps)
        print(
            f"  in-process {step:<7} {median * 1000:8.1f} ms  ({median / offices * 1000:.2f} ms per office)"
        )
    print("\nSend to aiosmtpd on 127.0.0.1 (real clock):")
    baseline = None
    for per_minute in (1e9, 1200, 600):
        sent, rate = send_rate(per_minute)
        if per_minute == 1e9:
            baseline = rate
            print(f"  no limit (baseline)   {sent} messages  {rate:7.1f} messages/s")
        else:
            limit = per_minute / 60
            print(f"  limit {per_minute:>5.0f}/minute   {sent} messages  {rate:7.1f} messages/s  "
                  f"= {rate / limit:.2f} × the limit, {rate / baseline:.3f} × the baseline")  # fmt: skip


if __name__ == "__main__":
    main()
