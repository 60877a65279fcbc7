"""The verification round's records: links, answers, the send log, on the corrections database.

:class:`OutreachStore` works beside a :class:`finder.corrections.CorrectionStore` (same engine, same
writer lock, same client-address hashing). What an office answers becomes a suggestion of the
corrections store (reviewed, accepted or rejected as a whole, recorded, revertible); "everything is
still correct" becomes a confirmation through :meth:`finder.corrections.DirectoryEditor.confirm` at
once (the link proves who sends it).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from finder.corrections.editor import DirectoryEditor
from finder.corrections.models import ChangeSet, Suggestion
from finder.corrections.store import (
    ChangeView,
    CorrectionStore,
    open_existing_store,
)
from finder.corrections.text import MAX_PROPOSED_CHARS, clean_text
from finder.errors import ConflictError, CorrectionError, FinderError, RateLimitedError
from finder.outreach import tokens
from finder.outreach.models import (
    OutreachAnswer,
    OutreachBase,
    OutreachEvent,
    OutreachLink,
    OutreachRound,
    OutreachSend,
)

__all__ = [
    "BAD_LINK_LIMITS",
    "LINK_PROBLEMS",
    "OFFICE_BY",
    "AnswerView",
    "LinkError",
    "LinkView",
    "OutreachStore",
    "load_office_confirmations",
]

logger = logging.getLogger(__name__)

#: Why a link cannot be used (the page has one text for each).
LINK_PROBLEMS: tuple[str, ...] = ("invalid", "expired", "revoked", "used")
#: Failed link checks one client address may make per period (each must hold): a person mistyping a link
#: is never stopped, a script trying links is.
BAD_LINK_LIMITS: Final = ((10, dt.timedelta(minutes=10)), (50, dt.timedelta(days=1)))
#: Who a change from an office's link is recorded as (the history's "by").
OFFICE_BY = "office (verification link)"


class LinkError(FinderError):
    """A link that cannot be used; ``problem`` is one of :data:`LINK_PROBLEMS`."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"this link cannot be used ({problem})")
        self.problem = problem


def _naive(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class LinkView:
    """One office's link in a round (times aware UTC); ``state`` as :meth:`OutreachStore.links` says."""

    id: int
    round_id: int
    office_id: str
    expires_at: dt.datetime
    email: str
    missing: str
    sent_at: dt.datetime | None
    opened_at: dt.datetime | None
    used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @classmethod
    def of(cls, row: OutreachLink) -> LinkView:
        """Copy a database row."""
        return cls(
            row.id,
            row.round_id,
            row.office_id,
            _aware(row.expires_at),
            row.email or "",  # type: ignore[arg-type]
            row.missing or "",
            _aware(row.sent_at),
            _aware(row.opened_at),
            _aware(row.used_at),
            _aware(row.revoked_at),
        )

    def live(self, now: dt.datetime) -> bool:
        """Whether the link can still be used at ``now``."""
        return self.used_at is None and self.revoked_at is None and self.expires_at > now


@dataclass(frozen=True)
class AnswerView:
    """An office's answer, with the state of its suggestion (``open``, ``accepted``, ``rejected``)."""

    id: int
    round_id: int
    office_id: str
    kind: str
    created_at: dt.datetime
    answer: dict[str, Any]
    suggestion_id: int | None
    change_set_id: int | None
    status: str

    @property
    def changes(self) -> dict[str, str]:
        """Column → new value, as the office typed it (already cleaned)."""
        return dict(self.answer.get("changes", {}))

    @property
    def extra(self) -> dict[str, str]:
        """What the directory has no column for (step-free access, appointment link, a note)."""
        return dict(self.answer.get("extra", {}))


class OutreachStore:
    """Links, answers and the send log of verification rounds.

    Parameters
    ----------
    store
        The corrections store whose database holds the tables.
    secret
        The HMAC key of the links (``FINDER_OUTREACH_SECRET``); ``None`` = the database's own random
        secret ``outreach-link``.
    """

    def __init__(self, store: CorrectionStore, secret: str | bytes | None = None) -> None:
        self.store = store
        try:
            OutreachBase.metadata.create_all(store.engine)
            if secret:
                self._key = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
            else:
                self._key = store._secret("outreach-link")
        except SQLAlchemyError as exc:
            msg = f"cannot open the outreach tables: {type(exc).__name__}"
            raise CorrectionError(msg) from exc

    def _now(self) -> dt.datetime:
        return self.store._now()

    # -- planning ---------------------------------------------------------------------------------
    def create_round(
        self,
        offices: Sequence[tuple[str, str, str]],
        *,
        expires_at: dt.datetime,
        by: str,
        rule: Mapping[str, Any],
        output_dir: str = "",
    ) -> tuple[int, dict[str, str]]:
        """A new round with one link per office.

        Parameters
        ----------
        offices
            ``(office id, e-mail or '', missing fields)`` per office.
        expires_at
            When every link of the round expires (aware).
        by, rule, output_dir
            Who planned it, the selection rule (kept as JSON), where the messages are written.

        Returns
        -------
        tuple[int, dict[str, str]]
            The round's number and each office's token (shown once: only its hash is stored).
        """
        expires = _naive(expires_at).replace(microsecond=0)
        with self.store._write() as session:
            row = OutreachRound(
                created_at=self._now(),
                created_by=by,
                rule=json.dumps(dict(rule), sort_keys=True),
                output_dir=output_dir,
            )
            session.add(row)
            session.flush()
            round_id = row.id
            minted: dict[str, str] = {}
            links = []
            for office_id, email, missing in offices:
                token = tokens.mint(self._key, office_id, round_id, expires)
                minted[office_id] = token.token
                links.append(
                    {
                        "round_id": round_id,
                        "office_id": office_id,
                        "token_hash": token.hash,
                        "expires_at": expires,
                        "email": email,
                        "missing": missing,
                    }
                )
            if links:
                session.execute(OutreachLink.__table__.insert(), links)
        return round_id, minted

    def set_output_dir(self, round_id: int, output_dir: str) -> None:
        """Remember where a round's messages were written (``finder outreach send`` reads them there)."""
        with self.store._write() as session:
            session.execute(
                update(OutreachRound).where(OutreachRound.id == round_id).values(output_dir=output_dir)
            )

    def round_info(self, round_id: int) -> dict[str, Any]:
        """A round's ``id``, ``created_at``, ``created_by``, ``rule`` and ``output_dir``."""
        with self.store._read() as session:
            row = session.get(OutreachRound, int(round_id))
            if row is None:
                msg = f"there is no round {round_id}"
                raise CorrectionError(msg)
            return {
                "id": row.id,
                "created_at": _aware(row.created_at),
                "created_by": row.created_by,
                "rule": json.loads(row.rule or "{}"),
                "output_dir": row.output_dir,
            }

    def live_offices(self) -> set[str]:
        """Offices that hold a link that can still be used (not answered, revoked or expired)."""
        now = self._now()
        with self.store._read() as session:
            return set(
                session.scalars(
                    select(OutreachLink.office_id).where(
                        OutreachLink.used_at.is_(None),
                        OutreachLink.revoked_at.is_(None),
                        OutreachLink.expires_at > now,
                    )
                )
            )

    def links(self, round_id: int | None = None) -> list[LinkView]:
        """All links (of one round), oldest first."""
        query = select(OutreachLink).order_by(OutreachLink.id)
        if round_id is not None:
            query = query.where(OutreachLink.round_id == int(round_id))
        with self.store._read() as session:
            return [LinkView.of(row) for row in session.scalars(query)]

    def revoke(self, office_id: str) -> int:
        """Revoke the office's links that can still be used; returns how many."""
        now = self._now()
        with self.store._write() as session:
            result = session.execute(
                update(OutreachLink)
                .where(
                    OutreachLink.office_id == office_id,
                    OutreachLink.revoked_at.is_(None),
                    OutreachLink.used_at.is_(None),
                )
                .values(revoked_at=now)
            )
            return int(result.rowcount or 0)

    # -- sending ----------------------------------------------------------------------------------
    def log_send(self, link_id: int, office_id: str, recipient: str, outcome: str, detail: str = "") -> None:
        """Record one attempt to send (and the link's ``sent_at`` when it was handed over)."""
        now = self._now()
        with self.store._write() as session:
            session.add(
                OutreachSend(
                    link_id=link_id,
                    office_id=office_id,
                    at=now,
                    recipient=recipient,
                    outcome=outcome,
                    detail=detail[:500],
                )
            )
            if outcome == "sent":
                session.execute(update(OutreachLink).where(OutreachLink.id == link_id).values(sent_at=now))

    def send_log(self, round_id: int | None = None) -> list[dict[str, Any]]:
        """The send log, oldest first (link, office, time, recipient, outcome, detail)."""
        query = select(OutreachSend).order_by(OutreachSend.id)
        if round_id is not None:
            ids = select(OutreachLink.id).where(OutreachLink.round_id == int(round_id))
            query = query.where(OutreachSend.link_id.in_(ids))
        with self.store._read() as session:
            return [
                {
                    "link_id": r.link_id,
                    "office_id": r.office_id,
                    "at": _aware(r.at),
                    "recipient": r.recipient,
                    "outcome": r.outcome,
                    "detail": r.detail,
                }
                for r in session.scalars(query)
            ]

    # -- the office's page ------------------------------------------------------------------------
    def _limit(
        self,
        session: Session,
        client: str,
        kind: str,
        limits: Iterable[tuple[int, dt.timedelta]],
        everybody: tuple[int, dt.timedelta] | None,
    ) -> None:
        """Raise :class:`RateLimitedError` if ``client`` (or everybody) reached a limit of ``kind``."""
        now = self._now()
        checks = [(OutreachEvent.client == client, limit, "client") for limit in limits]
        if everybody is not None:
            checks.append((OutreachEvent.id.is_not(None), everybody, "everybody"))
        for where, (count, period), scope in checks:
            nth = session.scalar(
                select(OutreachEvent.at)
                .where(where, OutreachEvent.kind == kind, OutreachEvent.at > now - period)
                .order_by(OutreachEvent.at.desc())
                .offset(count - 1)
                .limit(1)
            )
            if nth is not None:
                msg = "too many attempts; please try again later"
                raise RateLimitedError(msg, nth + period - now, scope)

    def _event(self, session: Session, client: str, kind: str) -> None:
        now = self._now()
        session.execute(delete(OutreachEvent).where(OutreachEvent.at < now - dt.timedelta(days=1)))
        session.add(OutreachEvent(client=client, kind=kind, at=now))

    def check(self, token: object, *, client_key: str) -> LinkView:
        """The link of ``token``, if it can be used now; records the first opening.

        Raises
        ------
        LinkError
            ``invalid`` (unknown, malformed or tampered), ``expired``, ``revoked`` or ``used``.
        RateLimitedError
            Too many failed checks from this client address (:data:`BAD_LINK_LIMITS`).
        """
        client = self.store._hash(str(client_key))
        with self.store._write() as session:
            self._limit(session, client, "bad-link", BAD_LINK_LIMITS, None)
            row = self._find(session, token)
            if row is None:
                self._event(session, client, "bad-link")
        if row is None:
            raise LinkError("invalid")
        view = LinkView.of(row)
        problem = self._problem(view)
        if problem:
            raise LinkError(problem)
        if view.opened_at is None:
            with self.store._write() as session:
                session.execute(
                    update(OutreachLink)
                    .where(OutreachLink.id == view.id, OutreachLink.opened_at.is_(None))
                    .values(opened_at=self._now())
                )
        return view

    def _find(self, session: Session, token: object) -> OutreachLink | None:
        """The link row whose hash and MAC match ``token``, else ``None``."""
        if not tokens.looks_like_token(token):
            return None
        text = str(token)
        row = session.scalar(select(OutreachLink).where(OutreachLink.token_hash == tokens.token_hash(text)))
        if row is None or not tokens.mac_ok(self._key, text, row.office_id, row.round_id, row.expires_at):
            return None
        return row

    def _problem(self, view: LinkView) -> str:
        if view.revoked_at is not None:
            return "revoked"
        if view.used_at is not None:
            return "used"
        if view.expires_at <= self._now().replace(tzinfo=dt.UTC):
            return "expired"
        return ""

    def _claim(self, session: Session, token: object, client: str) -> OutreachLink:
        """Mark the token's link used (in ``session``), checking limits and state; raise if it cannot be."""
        self._limit(session, client, "answer", self.store.client_limits, self.store.global_limit)
        row = self._find(session, token)
        if row is None:
            raise LinkError("invalid")
        problem = self._problem(LinkView.of(row))
        if problem:
            raise LinkError(problem)
        claimed = session.execute(
            update(OutreachLink)
            .where(OutreachLink.id == row.id, OutreachLink.used_at.is_(None))
            .values(used_at=self._now())
        )
        if claimed.rowcount != 1:
            raise LinkError("used")
        self._event(session, client, "answer")
        return row

    def submit_changes(
        self,
        token: object,
        changes: Mapping[str, str],
        extra: Mapping[str, str],
        *,
        summary: str,
        client_key: str,
    ) -> AnswerView:
        """Store an office's corrections as one suggestion (kind ``other``) and mark the link used.

        Parameters
        ----------
        token
            The link's token.
        changes
            Column of ``offices.csv`` → new value (cleaned here as every report is).
        extra
            Facts without a column (``step_free``, ``appointment_url``, ``note``; kept with the answer and
            added to ``notes`` on acceptance).
        summary
            The readable text of the suggestion (maintainers see it in the suggestions list too).
        client_key
            The sender's address key, for the same limits as the report form.
        """
        clean = {c: clean_text(v, max_chars=MAX_PROPOSED_CHARS, what=c) for c, v in changes.items()}
        clean_extra = {
            k: clean_text(v, max_chars=MAX_PROPOSED_CHARS, multiline=True, what=k)
            for k, v in extra.items()
            if v
        }
        text = clean_text(summary, max_chars=MAX_PROPOSED_CHARS, multiline=True, what="the answer")
        client = self.store._hash(str(client_key))
        with self.store._write() as session:
            row = self._claim(session, token, client)
            now = self._now()
            suggestion = Suggestion(
                office_id=row.office_id,
                kind="other",
                proposed=text or "-",
                contact="",
                client="",
                created_at=now,
                status="open",
                decision_note="",
            )
            session.add(suggestion)
            session.flush()
            answer = OutreachAnswer(
                link_id=row.id,
                round_id=row.round_id,
                office_id=row.office_id,
                kind="changes",
                created_at=now,
                answer=json.dumps({"changes": clean, "extra": clean_extra}, ensure_ascii=False),
                suggestion_id=suggestion.id,
            )
            session.add(answer)
            session.flush()
            return AnswerView(
                answer.id,
                row.round_id,
                row.office_id,
                "changes",
                _aware(now),  # type: ignore[arg-type]
                {"changes": clean, "extra": clean_extra},
                suggestion.id,
                None,
                "open",
            )

    def confirm(self, token: object, editor: DirectoryEditor, *, client_key: str) -> ChangeView:
        """Record "everything is still correct": a confirmation of the office now, and mark the link used.

        If the confirmation cannot be written (e.g. the directory file is locked), the link stays usable.
        """
        client = self.store._hash(str(client_key))
        with self.store._write() as session:
            row = self._claim(session, token, client)
            link_id, round_id, office_id = row.id, row.round_id, row.office_id
        try:
            change = editor.confirm(
                office_id,
                by=OFFICE_BY,
                reason=f"verification round {round_id}: the office confirmed its entry",
            )
        except BaseException:
            with self.store._write() as session:
                session.execute(update(OutreachLink).where(OutreachLink.id == link_id).values(used_at=None))
            raise
        with self.store._write() as session:
            session.add(
                OutreachAnswer(
                    link_id=link_id,
                    round_id=round_id,
                    office_id=office_id,
                    kind="confirm",
                    created_at=self._now(),
                    answer="{}",
                    change_set_id=change.id,
                )
            )
        return change

    # -- review -----------------------------------------------------------------------------------
    def answers(self, status: str | None = None, round_id: int | None = None) -> list[AnswerView]:
        """Answers, oldest first; ``status``: ``open``, ``accepted`` (and confirmations) or ``rejected``."""
        query = (
            select(OutreachAnswer, Suggestion.status)
            .outerjoin(Suggestion, Suggestion.id == OutreachAnswer.suggestion_id)
            .order_by(OutreachAnswer.id)
        )
        if round_id is not None:
            query = query.where(OutreachAnswer.round_id == int(round_id))
        with self.store._read() as session:
            out = []
            for row, suggestion_status in session.execute(query):
                state = suggestion_status or "accepted"
                if status is not None and state != status:
                    continue
                out.append(
                    AnswerView(
                        row.id,
                        row.round_id,
                        row.office_id,
                        row.kind,
                        _aware(row.created_at),  # type: ignore[arg-type]
                        json.loads(row.answer or "{}"),
                        row.suggestion_id,
                        row.change_set_id,
                        state,
                    )
                )
            return out

    def answer(self, answer_id: int) -> AnswerView:
        """One answer; :class:`CorrectionError` if there is none."""
        for item in self.answers():
            if item.id == int(answer_id):
                return item
        msg = f"there is no answer #{answer_id}"
        raise CorrectionError(msg)

    def accept(
        self, answer_id: int, editor: DirectoryEditor, *, by: str, changes: Mapping[str, str] | None = None
    ) -> ChangeView:
        """Accept an office's whole answer (or ``changes`` as decided); extras go to ``notes``."""
        item = self.answer(answer_id)
        if item.kind != "changes" or item.suggestion_id is None:
            msg = f"answer #{answer_id} is a confirmation; there is nothing to accept"
            raise ConflictError(msg)
        wanted = dict(item.changes if changes is None else changes)
        current = editor.row(item.office_id)
        extra_text = notes_line(item)
        if extra_text:
            old = current.get("notes", "")
            wanted["notes"] = f"{old} | {extra_text}" if old else extra_text
        wanted = {c: v for c, v in wanted.items() if current.get(c, "") != v}
        reason = (
            f"verification round {item.round_id}: answer of the office (suggestion #{item.suggestion_id})"
        )
        change = editor.accept(item.suggestion_id, wanted, by=by, reason=reason)
        with self.store._write() as session:
            session.execute(
                update(OutreachAnswer).where(OutreachAnswer.id == item.id).values(change_set_id=change.id)
            )
        return change

    def reject(self, answer_id: int, *, by: str, note: str = "") -> None:
        """Reject an office's answer (its suggestion)."""
        item = self.answer(answer_id)
        if item.suggestion_id is None:
            msg = f"answer #{answer_id} is a confirmation; revert it in the history instead"
            raise ConflictError(msg)
        self.store.reject(item.suggestion_id, by=by, note=note)

    def office_confirmations(self) -> dict[str, dt.datetime]:
        """When each office last confirmed or corrected its entry itself, counting only what is applied.

        A confirmation counts while its change is applied and not reverted; a correction once its
        suggestion was accepted and that change is applied and not reverted. The date is the office's.
        """
        with self.store._read() as session:
            rows = session.execute(
                select(ChangeSet.id, OutreachAnswer.office_id, OutreachAnswer.created_at)
                .join(ChangeSet, ChangeSet.id == OutreachAnswer.change_set_id)
                .where(ChangeSet.state == "applied")
            ).all()
            return self.store._newest_per_office(session, rows)


def notes_line(item: AnswerView) -> str:
    """What an answer says that has no column, as one German line for ``notes`` ('' if nothing)."""
    # The office's note is a message to the team, not a fact of the directory: it stays with the answer.
    labels = {"step_free": "stufenloser Zugang", "appointment_url": "Terminbuchung"}
    parts = [f"{labels[k]}: {' '.join(str(v).split())}" for k, v in item.extra.items() if v and k in labels]
    if not parts:
        return ""
    return f"Angabe der Stelle (Prüfrunde {item.round_id}, {item.created_at:%Y-%m-%d}): " + "; ".join(parts)


def load_office_confirmations(
    url: str | None = None, *, store: CorrectionStore | None = None
) -> dict[str, dt.datetime]:
    """:meth:`OutreachStore.office_confirmations` of the database; never raises, ``{}`` without one.

    A SQLite file that does not exist is not created.
    """
    own = store is None
    try:
        store = store or open_existing_store(url)
        if store is None:
            return {}
        return OutreachStore(store, secret=b"read-only").office_confirmations()
    except (SQLAlchemyError, CorrectionError) as exc:
        logger.warning("cannot read the offices' confirmations: %s", type(exc).__name__)
        return {}
    finally:
        if own and store is not None:
            store.dispose()
