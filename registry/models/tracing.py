"""Contact tracing: cases, their searches and F1 contacts, and the legal holds they put on
check-ins."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.models.base import LabelledEnum, enum_type
from registry.models.checkins import CheckinSource, TimePrecision
from registry.timeutil import utcnow


class CaseStatus(LabelledEnum):
    """An open case holds its records against the purge; a closed one lets them go."""

    OPEN = "open"
    CLOSED = "closed"


class IndexDateKind(LabelledEnum):
    """What the date of an index case is: the onset of symptoms, or the positive test."""

    ONSET = "onset", _l("Date of onset")
    TEST = "test", _l("Date of positive test")


class FollowUp(LabelledEnum):
    """Where the health station is with an F1 contact."""

    PENDING = "pending", _l("Not yet contacted")
    CONTACTED = "contacted", _l("Contacted")
    ISOLATING = "isolating", _l("Isolating at home")
    TESTED_NEGATIVE = "tested_negative", _l("Tested negative")
    TESTED_POSITIVE = "tested_positive", _l("Tested positive")
    RELEASED = "released", _l("Follow-up ended")


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
    status: Mapped[CaseStatus] = mapped_column(enum_type(CaseStatus, length=20),
                                               default=CaseStatus.OPEN,
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
    def index_date_label(self) -> str:
        """What the index date is, in words."""
        return IndexDateKind.label_of(self.index_date_kind)

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
    follow_up: Mapped[FollowUp] = mapped_column(enum_type(FollowUp, length=20),
                                                default=FollowUp.PENDING)
    notes: Mapped[str | None] = mapped_column(String(500))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    case: Mapped[TracingCase] = relationship(back_populates="contacts")

    @property
    def source_label(self) -> str:
        """How the visit was recorded, in words."""
        return CheckinSource.label_of(self.source)

    @property
    def precision_label(self) -> str:
        """How exactly the time of the visit is known, in words."""
        return TimePrecision.label_of(self.time_precision)
