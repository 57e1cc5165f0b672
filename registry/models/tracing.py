"""Contact tracing and retention: cases, their searches and F1 contacts, legal holds, requests."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (JSON, DDL, Enum, ForeignKey, Integer, String, Text,
                        UniqueConstraint, event)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.models.audit import AuditEvent
from registry.timeutil import utcnow


def _enum(cls):
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class CaseStatus(str, enum.Enum):
    """An open case holds its records against the purge; a closed one lets them go."""

    OPEN = "open"
    CLOSED = "closed"


class FollowUp(str, enum.Enum):
    """Where the health station is with an F1 contact."""

    PENDING = "pending"
    CONTACTED = "contacted"
    ISOLATING = "isolating"
    TESTED_NEGATIVE = "tested_negative"
    TESTED_POSITIVE = "tested_positive"
    RELEASED = "released"


class TracingCase(db.Model):
    """A tracing case: the index case (F0) and the date of onset or of the positive test."""

    __tablename__ = "tracing_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    # How the health system names the index case ("BN 12345", a name, a lab code).
    index_label: Mapped[str] = mapped_column(String(120))
    index_date: Mapped[date]
    index_date_kind: Mapped[str] = mapped_column(String(10), default="onset")  # onset / test
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[CaseStatus] = mapped_column(_enum(CaseStatus), default=CaseStatus.OPEN,
                                               index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None]

    created_by = relationship("User")
    contacts: Mapped[list[CaseContact]] = relationship(
        back_populates="case", order_by="CaseContact.id", cascade="all, delete-orphan")
    searches: Mapped[list[CaseSearch]] = relationship(
        back_populates="case", order_by="CaseSearch.id.desc()", cascade="all, delete-orphan")

    @property
    def is_open(self) -> bool:
        return self.status == CaseStatus.OPEN

    def __repr__(self) -> str:
        return f"<TracingCase {self.id} {self.index_label}>"


class CaseSearch(db.Model):
    """One search run for a case: what was asked, by whom, and how much it found."""

    __tablename__ = "case_searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("tracing_cases.id", ondelete="CASCADE"),
                                         index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(10))  # person / venue
    # The search as asked (query, dates, window); cleared by the purge once the case is closed.
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    visit_count: Mapped[int] = mapped_column(Integer, default=0)
    contact_count: Mapped[int] = mapped_column(Integer, default=0)

    case: Mapped[TracingCase] = relationship(back_populates="searches")
    user = relationship("User")


class CaseHold(db.Model):
    """A check-in seen by a case's search: kept past retention while the case is open."""

    __tablename__ = "case_holds"
    __table_args__ = (UniqueConstraint("case_id", "checkin_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("tracing_cases.id", ondelete="CASCADE"))
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id", ondelete="CASCADE"),
                                            index=True)


class CaseContact(db.Model):
    """An F1 contact of a case, with a copy of the details the health station needs."""

    __tablename__ = "case_contacts"
    __table_args__ = (UniqueConstraint("case_id", "checkin_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("tracing_cases.id", ondelete="CASCADE"),
                                         index=True)
    # The visit that made them a contact; null once that check-in is purged or deleted.
    checkin_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkins.id", ondelete="SET NULL"), index=True)
    full_name: Mapped[str] = mapped_column(String(120))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str | None] = mapped_column(String(8))
    id_number: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(400))
    venue_name: Mapped[str] = mapped_column(String(200))
    point_name: Mapped[str] = mapped_column(String(120))
    visited_at: Mapped[datetime]
    time_precision: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    is_certain: Mapped[bool] = mapped_column(default=True)
    follow_up: Mapped[FollowUp] = mapped_column(_enum(FollowUp), default=FollowUp.PENDING)
    notes: Mapped[str | None] = mapped_column(String(500))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    case: Mapped[TracingCase] = relationship(back_populates="contacts")


class SheetDestruction(db.Model):
    """The paper of one check-in point for one day was destroyed after retention."""

    __tablename__ = "sheet_destructions"
    __table_args__ = (UniqueConstraint("point_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("checkin_points.id"))
    day: Mapped[date]
    destroyed_at: Mapped[datetime] = mapped_column(default=utcnow)
    destroyed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    method: Mapped[str | None] = mapped_column(String(200))

    destroyed_by = relationship("User")
    point = relationship("CheckinPoint")


class PersonRequest(db.Model):
    """A person's request about their own data (see, export, correct, delete), as handled."""

    __tablename__ = "person_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # access / export / correct / delete
    # Who asked, as a masked identifier: the request is kept, the person's data is not.
    subject: Mapped[str] = mapped_column(String(120))
    reference: Mapped[str] = mapped_column(String(255))  # the application form, its date …
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    handled_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    handled_by = relationship("User")


# The audit trail is insert-only in the database too, not just in the application: triggers
# refuse UPDATE and DELETE (also created by migration 0007_tracing for migrated databases).
AUDIT_TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'audit_events is append-only'; END $$",
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
    ],
}
AUDIT_TRIGGERS_DROP = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_events_no_update",
               "DROP TRIGGER IF EXISTS audit_events_no_delete"],
    "postgresql": ["DROP TRIGGER IF EXISTS audit_events_no_update ON audit_events",
                   "DROP FUNCTION IF EXISTS audit_events_append_only()"],
}

for _dialect, _statements in AUDIT_TRIGGERS.items():
    for _sql in _statements:
        event.listen(AuditEvent.__table__, "after_create",
                     DDL(_sql).execute_if(dialect=_dialect))
