"""Venues (checkpoints, điểm kiểm dịch) and their categories."""
from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.models.base import LabelledEnum, enum_type
from registry.timeutil import utcnow

if TYPE_CHECKING:  # the points are the check-ins feature's model
    from registry.models.checkins import CheckinPoint


class VenueStatus(LabelledEnum):
    """Whether a venue takes check-ins."""

    ACTIVE = "active", _l("Active")
    SUSPENDED = "suspended", _l("Suspended")


class VenueCategory(db.Model):
    """A kind of venue (school, market …); each commune has the defaults and may add more."""

    __tablename__ = "venue_categories"
    __table_args__ = (UniqueConstraint("commune_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=100)

    def __repr__(self) -> str:
        return f"<VenueCategory {self.code}>"


class Venue(db.Model):
    """A registered checkpoint: an office, school, shop or public place."""

    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # Lower case without diacritics, so "truong tieu hoc" finds "Trường Tiểu học".
    search_name: Mapped[str] = mapped_column(String(200), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("venue_categories.id"), index=True)
    address: Mapped[str | None] = mapped_column(String(255))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"), index=True)
    manager_name: Mapped[str | None] = mapped_column(String(120))
    manager_phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    notes: Mapped[str | None] = mapped_column(Text)
    # When visits still open are closed automatically (null: the commune's default).
    closing_time: Mapped[time | None]
    # How long a visit without an exit time is taken to last in tracing (null: the instant).
    default_stay_minutes: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[VenueStatus] = mapped_column(
        enum_type(VenueStatus),
        default=VenueStatus.ACTIVE,
        index=True,
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    category: Mapped[VenueCategory] = relationship()
    village = relationship("Village")
    created_by = relationship("User", foreign_keys=[created_by_id])
    updated_by = relationship("User", foreign_keys=[updated_by_id])
    points: Mapped[list[CheckinPoint]] = relationship(
        back_populates="venue", order_by="CheckinPoint.id", cascade="all, delete-orphan"
    )

    @property
    def is_suspended(self) -> bool:
        return self.status == VenueStatus.SUSPENDED

    def __repr__(self) -> str:
        return f"<Venue {self.id} {self.name}>"
