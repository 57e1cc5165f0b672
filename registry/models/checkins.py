"""Check-in points and the visits recorded at them, whatever their source, with the visitor's
declaration; the counts kept once personal data is purged."""
from __future__ import annotations

import secrets
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.models.base import LabelledEnum, enum_type
from registry.timeutil import utcnow


class CheckinSource(LabelledEnum):
    """The four ways a visit gets recorded; every record keeps its source."""

    SELF_SCAN = "self_scan", _l("Self-scan")
    CARD_SCAN = "card_scan", _l("Card scan")
    PAPER = "paper", _l("Paper")
    ON_BEHALF = "on_behalf", _l("On behalf")


class CheckoutReason(LabelledEnum):
    """Why a visit has its exit time: the visitor (or the door's staff) checked out, or the
    venue's closing time closed it because nobody did; a typed exit time (paper) has none."""

    MANUAL = "manual", _l("Checked out")
    AUTOMATIC = "automatic", _l("Closed automatically at closing time")


class TimePrecision(LabelledEnum):
    """How exactly the check-in time is known: paper rows may carry only a rough time or a date."""

    EXACT = "exact", _l("Exact time")
    APPROXIMATE = "approximate", _l("Approximate time")
    DATE_ONLY = "date_only", _l("Date only")


def new_point_token() -> str:
    """A random token of 160 bits for a check-in point's QR (at least 128 bits are required)."""
    return secrets.token_urlsafe(20)


class CheckinPoint(db.Model):
    """An entrance or area of a venue with its own QR poster: where visits are recorded."""

    __tablename__ = "checkin_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_point_token)
    # Goes up each time the token is rotated, printed on the poster so staff can tell old from new.
    poster_version: Mapped[int] = mapped_column(Integer, default=1)
    poster_printed_at: Mapped[datetime | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    venue = relationship("Venue", back_populates="points")

    def __repr__(self) -> str:
        return f"<CheckinPoint {self.id} {self.name}>"


class Checkin(db.Model):
    """One visit: where, when, how it was recorded, and the declaration given."""

    __tablename__ = "checkins"
    __table_args__ = (
        # Who was at a point at a time (tracing): the range of a point's check-ins read with the
        # times that make a visit's interval, from the index alone on both databases (the id
        # last, for PostgreSQL's index-only scan).
        Index("ix_checkins_point_time_span", "point_id", "checked_in_at", "checked_out_at",
              "time_precision", "checkout_reason", "id"),
        Index("ix_checkins_venue_checked_in_at", "venue_id", "checked_in_at"),
        # The dashboard and report count a commune's check-ins of a period by venue, source and
        # day; with these four columns in one index both databases answer from the index alone.
        # It also serves every (commune, time) range: no separate index of those two (one index
        # less to write on every check-in).
        Index("ix_checkins_commune_time_venue_source", "commune_id", "checked_in_at",
              "venue_id", "source"),
        # The automatic check-out looks for open visits (no exit time) every few minutes.
        Index("ix_checkins_checked_out_at", "checked_out_at"),
        # Tracing looks a person up by name, phone or ID number within one commune: with the
        # commune first, a province's other communes (a hundred times the rows, the same common
        # names) are never read.
        Index("ix_checkins_commune_search_name", "commune_id", "search_name"),
        Index("ix_checkins_commune_phone", "commune_id", "phone"),
        # Only the rows that have the value are in these three: most check-ins (a phone's) have
        # none of them, and every index is written on every check-in. Their lookups are all
        # `=` or IN, which the partial indexes serve on both databases.
        Index("ix_checkins_commune_id_number", "commune_id", "id_number",
              sqlite_where=text("id_number IS NOT NULL"),
              postgresql_where=text("id_number IS NOT NULL")),
        Index("ix_checkins_resident_id", "resident_id",
              sqlite_where=text("resident_id IS NOT NULL"),
              postgresql_where=text("resident_id IS NOT NULL")),
        Index("ix_checkins_companion_of_id", "companion_of_id",
              sqlite_where=text("companion_of_id IS NOT NULL"),
              postgresql_where=text("companion_of_id IS NOT NULL")),
        # A phone's visits: its duplicate lookup (this phone, this point, the last minutes) on
        # every self-scan, and its last declaration and household (the phone alone).
        Index("ix_checkins_device_point_time", "device_hash", "point_id", "checked_in_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"))
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"))
    point_id: Mapped[int] = mapped_column(ForeignKey("checkin_points.id"))
    source: Mapped[CheckinSource] = mapped_column(
        enum_type(CheckinSource),
        index=True,
    )
    checked_in_at: Mapped[datetime] = mapped_column(default=utcnow)
    checked_out_at: Mapped[datetime | None]
    time_precision: Mapped[TimePrecision] = mapped_column(
        enum_type(TimePrecision),
        default=TimePrecision.EXACT,
    )
    # The declaration. Text is NFC; search_name is folded for diacritic-free search.
    full_name: Mapped[str] = mapped_column(String(120))
    search_name: Mapped[str] = mapped_column(String(120))
    id_number: Mapped[str | None] = mapped_column(String(20))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str | None] = mapped_column(String(8))  # male / female / other
    nationality: Mapped[str | None] = mapped_column(String(64))
    province: Mapped[str | None] = mapped_column(String(120))
    ward: Mapped[str | None] = mapped_column(String(120))
    address: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    email: Mapped[str | None] = mapped_column(String(120))
    # Answers to the health questions, keyed by question code, so an admin can change the
    # question list without breaking old answers: {"fever": {"answer": true, "text": "..."}}.
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    has_symptoms: Mapped[bool] = mapped_column(default=False)
    # Who typed it (paper transcription, on-behalf); null for self-scan.
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    venue = relationship("Venue")
    point = relationship("CheckinPoint")
    entered_by = relationship("User", foreign_keys=[entered_by_id])

    def __repr__(self) -> str:
        return f"<Checkin {self.id} {self.source.value} {self.checked_in_at:%Y-%m-%d %H:%M}>"

    # --- posters (self-scan): the phone that checked in, and repeats merged into this row ---
    # SHA-256 of the phone's long-lived random cookie (the cookie itself is never stored).
    device_hash: Mapped[str | None] = mapped_column(String(64))  # ix_checkins_device_point_time
    # How many later check-ins of the same person at the same point were merged into this one.
    merge_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # --- residents: a card scan names the resident and the card scanned (nullable)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("resident_cards.id"))
    # --- how the visit ended: by hand, or closed at the venue's closing time (null: still open,
    # or an exit time typed from paper)
    checkout_reason: Mapped[CheckoutReason | None] = mapped_column(enum_type(CheckoutReason))
    # --- a scan stored on an offline scan station and sent later: the station's random id of
    # the scan (a retried upload finds it and records nothing twice); the row's created_at is
    # when it arrived, checked_in_at the scan's own time.
    offline_scan_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    # --- a household member who came along (a child scanned in with a parent's card, a
    # grandmother declared from her son's phone): the visit of the person they came with.
    companion_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkins.id", ondelete="SET NULL"))
    companion_of = relationship("Checkin", remote_side=[id], foreign_keys=[companion_of_id])

    @property
    def sent_late(self) -> bool:
        """Whether the visit was scanned offline and reached the registry later."""
        return self.offline_scan_id is not None

    @property
    def closed_automatically(self) -> bool:
        """Whether the exit time is the venue's closing time, not a real check-out."""
        return self.checkout_reason == CheckoutReason.AUTOMATIC


class CheckinDailyCount(db.Model):
    """Counts kept when personal data is purged, so past dashboards and reports stay right.

    A row counts only check-ins that were deleted by the purge (held ones stay in `checkins`),
    so figures for any period = live check-ins + these counts, never counted twice.
    """

    __tablename__ = "checkin_daily_counts"
    __table_args__ = (
        Index("ix_checkin_daily_counts_commune_day", "commune_id", "day"),
        db.UniqueConstraint("point_id", "day", "source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"))
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"))
    point_id: Mapped[int] = mapped_column(ForeignKey("checkin_points.id"))
    day: Mapped[date]  # the local (Vietnamese) calendar day of the check-ins
    source: Mapped[CheckinSource] = mapped_column(
        enum_type(CheckinSource))
    count: Mapped[int] = mapped_column(Integer, default=0)
