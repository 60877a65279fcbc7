"""Hand a round's e-mails to the configured mail server, rate-limited, each attempt logged.

Nothing is sent unless :attr:`finder.settings.Settings.smtp_host` is set (``FINDER_SMTP_HOST``). The
messages are the round's ``.eml`` files (the links exist nowhere else: the database keeps only their
hashes). An office is sent its message once: a link already handed over, answered, revoked or expired
is skipped, so an interrupted run can simply be started again. Between two messages at least
``60 / smtp_per_minute`` seconds pass, measured with an injected monotonic clock and sleep (tests pass
fake ones); every attempt is written to the send log (:meth:`OutreachStore.log_send`).
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from finder import settings as _settings
from finder.errors import FinderError
from finder.outreach.store import OutreachStore

__all__ = ["SendResult", "send_round"]


@dataclass(frozen=True)
class SendResult:
    """What a run of :func:`send_round` did."""

    sent: int
    failed: int
    skipped: int
    seconds: float


def _connect(settings: _settings.Settings, timeout: float) -> smtplib.SMTP:
    server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    if settings.smtp_starttls:
        server.starttls(context=ssl.create_default_context())
    if settings.smtp_user:
        server.login(settings.smtp_user, settings.smtp_password)
    return server


def send_round(
    outreach: OutreachStore,
    round_id: int,
    settings: _settings.Settings,
    *,
    folder: Path | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    connect: Callable[[_settings.Settings, float], smtplib.SMTP] = _connect,
    timeout: float = 30.0,
) -> SendResult:
    """Send the round's e-mails that have not been handed over yet.

    Parameters
    ----------
    outreach
        The round's store.
    round_id
        The round.
    settings
        ``smtp_*`` settings; :class:`FinderError` if no mail server is configured.
    folder
        Where the round's ``.eml`` files are; default the folder ``finder outreach plan`` wrote.
    clock, sleep
        Monotonic seconds and a way to wait (the rate limit).
    connect
        Opens the SMTP connection (tests may pass their own).
    """
    if not settings.smtp_configured:
        msg = "no mail server is configured (FINDER_SMTP_HOST); nothing was sent"
        raise FinderError(msg)
    info = outreach.round_info(round_id)
    folder = Path(folder or info["output_dir"] or "")
    if not folder.is_dir():
        msg = f"the messages of round {round_id} are not in {folder} (give --output)"
        raise FinderError(msg)
    interval = 60.0 / settings.smtp_per_minute
    now = outreach.store.clock()
    started = clock()
    sent = failed = skipped = 0
    last: float | None = None
    server: smtplib.SMTP | None = None
    try:
        for link in outreach.links(round_id):
            path = folder / f"{link.office_id}.eml"
            if link.sent_at is not None or not link.live(now) or not link.email or not path.is_file():
                skipped += 1
                continue
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.SMTP)
            if message.get("X-Beratungsfinder-Office") != link.office_id or message.get("To") != link.email:
                outreach.log_send(
                    link.id, link.office_id, link.email, "failed", "the .eml file does not match"
                )
                failed += 1
                continue
            if settings.smtp_from:
                del message["From"], message["X-Unsent"]
                message["From"] = settings.smtp_from
            if last is not None:
                wait = last + interval - clock()
                if wait > 0:
                    sleep(wait)
            last = clock()
            try:
                server = server or connect(settings, timeout)
                server.send_message(message)
            except (smtplib.SMTPException, OSError) as exc:
                outreach.log_send(
                    link.id, link.office_id, link.email, "failed", f"{type(exc).__name__}: {exc}"
                )
                failed += 1
                if isinstance(exc, (smtplib.SMTPServerDisconnected, OSError)):
                    server = None
                continue
            outreach.log_send(link.id, link.office_id, link.email, "sent")
            sent += 1
    finally:
        if server is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                server.quit()
    return SendResult(sent, failed, skipped, clock() - started)
