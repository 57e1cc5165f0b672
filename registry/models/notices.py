"""Exposure notices: each time an F1 contact of a tracing case is told of the exposure (a letter
handed over by the village head, a text message sent through the carrier's bulk-SMS portal),
recorded on the contact with how, when and by whom."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from registry.extensions import db
from registry.models.base import LabelledEnum, enum_type
from registry.timeutil import utcnow


class NoticeChannel(LabelledEnum):
    """How a notice reaches the person."""

    LETTER = "letter", _l("Notice letter")
    SMS = "sms", _l("Text message")


class ExposureNotice(db.Model):
    """One notice issued to one F1 contact."""

    __tablename__ = "exposure_notices"
    __table_args__ = (Index("ix_exposure_notices_contact_id_issued_at", "contact_id",
                            "issued_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("case_contacts.id", ondelete="CASCADE"))
    channel: Mapped[NoticeChannel] = mapped_column(enum_type(NoticeChannel))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The village or residential group whose head delivers the letter, as it was grouped then
    # (a name, not a link: the list of villages may change after the notice was issued).
    delivered_via: Mapped[str | None] = mapped_column(String(120))

    # The contact's notices, latest first (the tracing model stays unaware of this feature).
    contact = relationship("CaseContact", backref=backref(
        "notices", order_by="ExposureNotice.issued_at.desc(), ExposureNotice.id.desc()",
        cascade="all, delete-orphan", passive_deletes=True))
    issued_by = relationship("User")

    def __repr__(self) -> str:
        return f"<ExposureNotice {self.id} {self.channel.value} contact {self.contact_id}>"
