"""The paper path: printed batches of sheets, their sheets and the lines keyed from them."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.models.base import LabelledEnum, enum_type
from registry.timeutil import utcnow


class FormKind(LabelledEnum):
    """The two printed forms: a declaration slip (one person) or a visitor log sheet (15 rows)."""

    SLIP = "slip", _l("Declaration slip")
    LOG = "log", _l("Visitor log sheet")


class BatchStatus(LabelledEnum):
    """Where a batch of printed sheets is in its custody chain, in order."""

    PRINTED = "printed", _l("Printed")
    HANDED = "handed", _l("At the venue")
    COLLECTED = "collected", _l("Collected")
    KEYED = "keyed", _l("Keyed")
    VERIFIED = "verified", _l("Verified")
    DESTROYED = "destroyed", _l("Destroyed")


class DoubleEntry(LabelledEnum):
    """Whether a batch is keyed twice: never, every sheet, or a random share of sheets."""

    NONE = "none", _l("No: keyed once")
    FULL = "full", _l("Every sheet is keyed twice")
    SAMPLE = "sample", _l("A random share of sheets is keyed twice")


class SheetStatus(LabelledEnum):
    """A sheet is blank until keying starts, keyed when its keyer finishes, then verified."""

    BLANK = "blank", _l("Not keyed")
    KEYING = "keying", _l("Being keyed")
    KEYED = "keyed", _l("Keyed, waiting for the second keying or review")
    VERIFIED = "verified", _l("Verified")


class PaperBatch(db.Model):
    """N printed sheets of one form for one check-in point, followed from printer to shredder."""

    __tablename__ = "paper_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("checkin_points.id"))
    kind: Mapped[FormKind] = mapped_column(enum_type(FormKind))
    sheet_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[BatchStatus] = mapped_column(enum_type(BatchStatus), default=BatchStatus.PRINTED,
                                                index=True)
    double_entry: Mapped[DoubleEntry] = mapped_column(enum_type(DoubleEntry),
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
    def double_entry_description(self) -> str:
        """How the batch is keyed, in words."""
        if self.double_entry == DoubleEntry.FULL:
            return gettext("every sheet keyed twice")
        if self.double_entry == DoubleEntry.SAMPLE:
            return gettext("%(percent)s%% of sheets keyed twice", percent=self.sample_percent)
        return gettext("keyed once")

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
    status: Mapped[SheetStatus] = mapped_column(enum_type(SheetStatus), default=SheetStatus.BLANK)
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
