"""Retention: the record that the paper of a check-in point for a day was destroyed."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.timeutil import utcnow


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
