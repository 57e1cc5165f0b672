"""Following up the laggards: the reminder (công văn đôn đốc) sent to the venues of a coverage
list, numbered and frozen through the register of outgoing documents like a report, and what
was done at each venue afterwards (reminded, phoned, inspected, with the result)."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.models.base import LabelledEnum, enum_type
from registry.models.reports import ReportStatus, SignerKind, recipient_lines
from registry.timeutil import utcnow

# A công văn carries no type abbreviation: "Số: 12/UBND-VHTT" (the issuing agency and the
# culture-information section that drafted it).
REMINDER_SYMBOL = "UBND-VHTT"


class FollowUpKind(LabelledEnum):
    """What was done at a venue that lagged behind."""

    REMINDED = "reminded", _l("Reminded in writing (official letter)")
    PHONED = "phoned", _l("Reminded by phone")
    INSPECTED = "inspected", _l("Inspected on site")
    OTHER = "other", _l("Other")


class Reminder(db.Model):
    """A công văn urging the listed venues to take up QR scanning: drafted from a coverage
    list, submitted, signed off by the chairman (number and PDF frozen), never changed after."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    status: Mapped[ReportStatus] = mapped_column(enum_type(ReportStatus),
                                                 default=ReportStatus.DRAFT, index=True)
    # The coverage list the venues came from and its period (the facts in the letter).
    list_key: Mapped[str] = mapped_column(String(24))
    period_start: Mapped[date]
    period_end: Mapped[date]
    # Trích yếu of a công văn: "V/v đôn đốc triển khai quét mã QR", under the number.
    summary: Mapped[str] = mapped_column(String(300))
    # Kính gửi, one addressee a line.
    addressees: Mapped[str] = mapped_column(Text)
    # The letter itself, one paragraph a line; the table of venues follows the first paragraph.
    body: Mapped[str] = mapped_column(Text)
    recipients: Mapped[str | None] = mapped_column(Text)
    signer_kind: Mapped[SignerKind] = mapped_column(enum_type(SignerKind),
                                                    default=SignerKind.CHAIRMAN)
    signer_name: Mapped[str] = mapped_column(String(120))
    return_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]
    # --- frozen at sign-off -------------------------------------------------------------------
    signed_at: Mapped[datetime | None]
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    number: Mapped[int | None] = mapped_column(Integer)
    symbol: Mapped[str] = mapped_column(String(40), default=REMINDER_SYMBOL)
    issued_on: Mapped[date | None]
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    signed_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    signed_pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    signature_info: Mapped[dict | None] = mapped_column(JSON)

    venues: Mapped[list[ReminderVenue]] = relationship(
        back_populates="reminder", order_by="ReminderVenue.position, ReminderVenue.id",
        cascade="all, delete-orphan")
    commune = relationship("Commune")
    created_by = relationship("User", foreign_keys=[created_by_id])
    signed_by = relationship("User", foreign_keys=[signed_by_id])

    @property
    def is_editable(self) -> bool:
        """The clerk may change it only as a draft or after it was returned."""
        return self.status in (ReportStatus.DRAFT, ReportStatus.RETURNED)

    @property
    def is_signed(self) -> bool:
        """Signed off: frozen."""
        return self.status == ReportStatus.SIGNED

    @property
    def number_text(self) -> str | None:
        """The number with the decree's leading zero under 10 ("05")."""
        return f"{self.number:02d}" if self.number is not None else None

    def recipient_lines(self) -> list[str]:
        """Nơi nhận, one entry per non-empty line, ending with the archive copy."""
        return recipient_lines(self.recipients)

    def addressee_lines(self) -> list[str]:
        """Kính gửi, one entry per non-empty line."""
        return [line.strip(" -;.") for line in (self.addressees or "").splitlines()
                if line.strip(" -;.")]

    def __repr__(self) -> str:
        """For the debugger."""
        return f"<Reminder {self.id} {self.status.value}>"


class ReminderVenue(db.Model):
    """A venue listed in a reminder, with what the list said about it when it was drafted (a
    copy: the letter keeps its table when the venue changes later)."""

    __tablename__ = "reminder_venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    reminder_id: Mapped[int] = mapped_column(ForeignKey("reminders.id", ondelete="CASCADE"),
                                             index=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    venue_name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(255))
    manager_name: Mapped[str | None] = mapped_column(String(120))
    manager_phone: Mapped[str | None] = mapped_column(String(20))
    # The fact that put the venue on the list, in words ("Đã in 2 mã QR, chưa có lượt quét").
    situation: Mapped[str] = mapped_column(String(300))

    reminder: Mapped[Reminder] = relationship(back_populates="venues")
    venue = relationship("Venue")


class VenueFollowUp(db.Model):
    """One thing done about a venue that lagged behind: when, by whom, and what came of it."""

    __tablename__ = "venue_follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), index=True)
    reminder_id: Mapped[int | None] = mapped_column(ForeignKey("reminders.id"), index=True)
    kind: Mapped[FollowUpKind] = mapped_column(enum_type(FollowUpKind))
    done_on: Mapped[date]
    done_by: Mapped[str] = mapped_column(String(120))
    result: Mapped[str | None] = mapped_column(String(500))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    venue = relationship("Venue")
    reminder = relationship("Reminder")
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])
