"""The tables of a verification round, in the corrections database (next to suggestions and history).

They have their own declarative base, created by :class:`finder.outreach.store.OutreachStore` on the
corrections store's engine, so an existing database gets them on first use and nothing else changes.
Times are naive UTC, as in :mod:`finder.corrections.models`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from finder.corrections.text import MAX_NAME_CHARS, MAX_OFFICE_ID_CHARS

__all__ = ["ANSWER_KINDS", "OutreachAnswer", "OutreachBase", "OutreachEvent", "OutreachLink", "OutreachRound",
           "OutreachSend"]  # fmt: skip

#: What an office can answer: "everything is still correct", or corrections.
ANSWER_KINDS: tuple[str, ...] = ("confirm", "changes")


class OutreachBase(DeclarativeBase):
    """Declarative base of the outreach tables."""


class OutreachRound(OutreachBase):
    """One verification round: who planned it, when, by which rule, where its messages were written."""

    __tablename__ = "outreach_rounds"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(MAX_NAME_CHARS))
    rule: Mapped[str] = mapped_column(Text, default="")  # the selection rule as JSON
    output_dir: Mapped[str] = mapped_column(Text, default="")


class OutreachLink(OutreachBase):
    """One office's personal link in a round: only the token's hash is kept."""

    __tablename__ = "outreach_links"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(Integer, index=True)
    office_id: Mapped[str] = mapped_column(String(MAX_OFFICE_ID_CHARS), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    email: Mapped[str] = mapped_column(Text, default="")  # the office's published address, if any
    missing: Mapped[str] = mapped_column(Text, default="")  # ";"-separated fields missing when planned
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    opened_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class OutreachAnswer(OutreachBase):
    """What an office answered through its link.

    ``confirm``: recorded at once as a confirmation (``change_set_id``). ``changes``: a suggestion
    (``suggestion_id``) that maintainers accept or reject as a whole; ``answer`` holds the fields as JSON.
    """

    __tablename__ = "outreach_answers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[int] = mapped_column(Integer, unique=True)
    round_id: Mapped[int] = mapped_column(Integer, index=True)
    office_id: Mapped[str] = mapped_column(String(MAX_OFFICE_ID_CHARS), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    answer: Mapped[str] = mapped_column(Text, default="{}")
    suggestion_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    change_set_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class OutreachSend(OutreachBase):
    """One attempt to hand a round's e-mail to the mail server (the send log)."""

    __tablename__ = "outreach_sends"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[int] = mapped_column(Integer, index=True)
    office_id: Mapped[str] = mapped_column(String(MAX_OFFICE_ID_CHARS))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    recipient: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(10))  # sent | failed
    detail: Mapped[str] = mapped_column(Text, default="")


class OutreachEvent(OutreachBase):
    """A failed link check or an answer from a client (keyed hash of its address), for the rate limits."""

    __tablename__ = "outreach_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(10), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
