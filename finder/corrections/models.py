"""The schema of the corrections database (SQLAlchemy), and the words it stores."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from finder.corrections.text import MAX_CONTACT_CHARS, MAX_NAME_CHARS, MAX_OFFICE_ID_CHARS

__all__ = [
    "ACTIONS",
    "KIND_COLUMNS",
    "STATUSES",
    "SUGGESTION_KINDS",
    "Base",
    "ChangeSet",
    "FieldChange",
    "LoginFailure",
    "OfficeOverride",
    "ReportEvent",
    "StoreLock",
    "StoreSecret",
    "Suggestion",
]

#: What a person can report as wrong ("Report a change").
SUGGESTION_KINDS: tuple[str, ...] = ("address", "phone", "hours", "languages", "closed", "other")
#: Columns a maintainer usually edits for each kind of suggestion (any column but ``id`` can be edited).
KIND_COLUMNS: dict[str, tuple[str, ...]] = {
    "address": ("street", "postcode", "city", "district"),
    "phone": ("phone",),
    "hours": ("opening_hours",),
    "languages": ("languages",),
    "closed": ("status", "notes"),
    "other": (),
}
#: Suggestion states.
STATUSES: tuple[str, ...] = ("open", "accepted", "rejected")
#: Kinds of recorded change.
ACTIONS: tuple[str, ...] = ("edit", "accept", "confirm", "remove", "add", "import", "audit", "revert")


class Base(DeclarativeBase):
    """Declarative base of the corrections database."""


class StoreLock(Base):
    """One row per lock name; ``SELECT … FOR UPDATE`` on it serialises writers (PostgreSQL & co)."""

    __tablename__ = "store_locks"
    name: Mapped[str] = mapped_column(String(20), primary_key=True)


class Suggestion(Base):
    """A suggestion sent with "Report a change"."""

    __tablename__ = "suggestions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[str] = mapped_column(String(MAX_OFFICE_ID_CHARS), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    proposed: Mapped[str] = mapped_column(Text)
    contact: Mapped[str] = mapped_column(String(MAX_CONTACT_CHARS), default="")
    # Empty: the rate limit keeps its own short-lived records (ReportEvent); older rows hold a session hash.
    client: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(MAX_NAME_CHARS), nullable=True)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    change_set_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ChangeSet(Base):
    """One recorded change of one office (all fields changed together)."""

    __tablename__ = "change_sets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[str] = mapped_column(String(MAX_OFFICE_ID_CHARS), index=True)
    action: Mapped[str] = mapped_column(String(10))
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    by: Mapped[str] = mapped_column(String(MAX_NAME_CHARS))
    reason: Mapped[str] = mapped_column(Text, default="")
    suggestion_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reverts_id: Mapped[int | None] = mapped_column(ForeignKey("change_sets.id"), nullable=True)
    state: Mapped[str] = mapped_column(String(10), default="applied", index=True)
    target: Mapped[str] = mapped_column(Text, default="")
    row_position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    fields: Mapped[list[FieldChange]] = relationship(
        back_populates="change_set", cascade="all, delete-orphan", order_by="FieldChange.id"
    )


class FieldChange(Base):
    """Old and new value of one field.

    ``None`` means the office did not exist (before an add, after a removal).
    """

    __tablename__ = "field_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    change_set_id: Mapped[int] = mapped_column(ForeignKey("change_sets.id"), index=True)
    column: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    new_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    change_set: Mapped[ChangeSet] = relationship(back_populates="fields")


class StoreSecret(Base):
    """A random secret of this database, e.g. the key of the client hashes (created once, never shown)."""

    __tablename__ = "store_secrets"
    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))


class ReportEvent(Base):
    """When a client sent a report (keyed hash of its address), for the rate limit; deleted after a day.

    Kept apart from the suggestion, so that no report stays linked to its sender's address.
    """

    __tablename__ = "report_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client: Mapped[str] = mapped_column(String(32), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class LoginFailure(Base):
    """A failed maintainer sign-in (keyed hash of account and client address, time)."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class OfficeOverride(Base):
    """The current row of an office edited with the ``database`` target (``row`` NULL = removed)."""

    __tablename__ = "office_overrides"
    office_id: Mapped[str] = mapped_column(String(MAX_OFFICE_ID_CHARS), primary_key=True)
    row: Mapped[str | None] = mapped_column(Text, nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
