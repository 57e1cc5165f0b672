"""Records that look like the same person, linked once a clerk confirms (never merged)."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.models.base import LabelledEnum, enum_type
from registry.timeutil import utcnow


class LinkStatus(LabelledEnum):
    """A suggested "same person" link, as a clerk decided it."""

    SUGGESTED = "suggested"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class LinkReason(LabelledEnum):
    """Why two records were suggested as the same person."""

    NAME_YEAR_PHONE = "name_year_phone", _l("Same name, year of birth and phone")
    NAME_YEAR_ID = "name_year_id", _l("Same name, year of birth and ID number")


class PersonLink(db.Model):
    """Two check-ins that look like the same person; linked only once a clerk confirms."""

    __tablename__ = "person_links"
    __table_args__ = (UniqueConstraint("checkin_a_id", "checkin_b_id"),
                      Index("ix_person_links_commune_status", "commune_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"))
    checkin_a_id: Mapped[int] = mapped_column(ForeignKey("checkins.id", ondelete="CASCADE"),
                                              index=True)
    checkin_b_id: Mapped[int] = mapped_column(ForeignKey("checkins.id", ondelete="CASCADE"),
                                              index=True)
    reason: Mapped[str] = mapped_column(String(40))  # name+year+phone / name+year+id_number
    status: Mapped[LinkStatus] = mapped_column(enum_type(LinkStatus),
                                              default=LinkStatus.SUGGESTED)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def reason_label(self) -> str:
        """Why the two records were suggested, in words."""
        return LinkReason.label_of(self.reason)

    checkin_a = relationship("Checkin", foreign_keys=[checkin_a_id])
    checkin_b = relationship("Checkin", foreign_keys=[checkin_b_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
