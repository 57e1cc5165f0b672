"""The paper path: printed batches of sheets, their keyed lines, and links between people."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.timeutil import utcnow


def _enum(cls):
    return Enum(cls, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class FormKind(str, enum.Enum):
    """The two printed forms: a declaration slip (one person) or a visitor log sheet (15 rows)."""

    SLIP = "slip"
    LOG = "log"


class BatchStatus(str, enum.Enum):
    """Where a batch of printed sheets is in its custody chain, in order."""

    PRINTED = "printed"
    HANDED = "handed"
    COLLECTED = "collected"
    KEYED = "keyed"
    VERIFIED = "verified"
    DESTROYED = "destroyed"


class DoubleEntry(str, enum.Enum):
    """Whether a batch is keyed twice: never, every sheet, or a random share of sheets."""

    NONE = "none"
    FULL = "full"
    SAMPLE = "sample"


class SheetStatus(str, enum.Enum):
    """A sheet is blank until keying starts, keyed when its keyer finishes, then verified."""

    BLANK = "blank"
    KEYING = "keying"
    KEYED = "keyed"
    VERIFIED = "verified"


class LinkStatus(str, enum.Enum):
    """A suggested "same person" link, as a clerk decided it."""

    SUGGESTED = "suggested"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class PaperBatch(db.Model):
    """N printed sheets of one form for one check-in point, followed from printer to shredder."""

    __tablename__ = "paper_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("checkin_points.id"))
    kind: Mapped[FormKind] = mapped_column(_enum(FormKind))
    sheet_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[BatchStatus] = mapped_column(_enum(BatchStatus), default=BatchStatus.PRINTED,
                                                index=True)
    double_entry: Mapped[DoubleEntry] = mapped_column(_enum(DoubleEntry),
                                                      default=DoubleEntry.NONE)
    sample_percent: Mapped[int] = mapped_column(Integer, default=0)
    # Comparison options for double entry.
    ignore_diacritics: Mapped[bool] = mapped_column(default=True)
    skip_free_text: Mapped[bool] = mapped_column(default=False)
    printed_at: Mapped[datetime] = mapped_column(default=utcnow)
    printed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handed_on: Mapped[date | None]
    handed_to: Mapped[str | None] = mapped_column(String(120))
    collected_on: Mapped[date | None]
    collected_by: Mapped[str | None] = mapped_column(String(120))
    returned_count: Mapped[int | None] = mapped_column(Integer)
    keyed_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    destroyed_on: Mapped[date | None]
    destroyed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    venue = relationship("Venue")
    point = relationship("CheckinPoint")
    printed_by = relationship("User", foreign_keys=[printed_by_id])
    sheets: Mapped[list[PaperSheet]] = relationship(back_populates="batch",
                                                    order_by="PaperSheet.number")

    @property
    def missing_count(self) -> int:
        """Sheets handed out that did not come back (known once the batch is collected)."""
        if self.returned_count is None:
            return 0
        return max(self.sheet_count - self.returned_count, 0)


class PaperSheet(db.Model):
    """One printed sheet (or slip) with its unique serial, printed as text and as a QR code."""

    __tablename__ = "paper_sheets"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("paper_batches.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1..N within the batch
    serial: Mapped[str | None] = mapped_column(String(16), unique=True)
    status: Mapped[SheetStatus] = mapped_column(_enum(SheetStatus), default=SheetStatus.BLANK)
    # Chosen when the batch is printed: whether a second keyer re-keys this sheet.
    needs_second_entry: Mapped[bool] = mapped_column(default=False)
    keyed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    keyed_at: Mapped[datetime | None]
    second_keyer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    second_keyed_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    batch: Mapped[PaperBatch] = relationship(back_populates="sheets")
    keyed_by = relationship("User", foreign_keys=[keyed_by_id])
    second_keyer = relationship("User", foreign_keys=[second_keyer_id])
    lines: Mapped[list[PaperLine]] = relationship(back_populates="sheet",
                                                  order_by="PaperLine.line_no")


class PaperLine(db.Model):
    """A keyed line of a sheet (a slip has line 1 only), tied to the check-in it became.

    The unique (sheet, line) pair is what makes saving idempotent: a second save of the same line
    updates the same check-in instead of creating another.
    """

    __tablename__ = "paper_lines"
    __table_args__ = (UniqueConstraint("sheet_id", "line_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("paper_sheets.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    checkin_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkins.id", ondelete="SET NULL"), index=True)
    # The values as the first and second keyer typed them (personal data: purged with the rest).
    first_values: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    second_values: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    keyed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    second_keyer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Fields where the two keyings disagree, and how the reviewer settled them.
    disagreements: Mapped[list | None] = mapped_column(JSON(none_as_null=True))
    settled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    settled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    sheet: Mapped[PaperSheet] = relationship(back_populates="lines")
    checkin = relationship("Checkin")


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
    status: Mapped[LinkStatus] = mapped_column(_enum(LinkStatus), default=LinkStatus.SUGGESTED)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    checkin_a = relationship("Checkin", foreign_keys=[checkin_a_id])
    checkin_b = relationship("Checkin", foreign_keys=[checkin_b_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
