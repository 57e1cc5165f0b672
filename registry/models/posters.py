"""Withdrawn QR tokens: an old poster's code says "withdrawn" instead of "unknown"."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.timeutil import utcnow


class RetiredPointToken(db.Model):
    """A token a check-in point used before it was rotated (a leaked or lost poster)."""

    __tablename__ = "retired_point_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("checkin_points.id", ondelete="CASCADE"),
                                          index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    # The poster version that carried this token, so staff can tell which print is void.
    poster_version: Mapped[int] = mapped_column(Integer)
    retired_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(String(255))

    point = relationship("CheckinPoint")
    retired_by = relationship("User")

    def __repr__(self) -> str:
        return f"<RetiredPointToken point={self.point_id} v{self.poster_version}>"
