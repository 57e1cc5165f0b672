"""Residents of the commune and their disease-control cards (Thẻ kiểm soát dịch bệnh)."""
from __future__ import annotations

import secrets
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.models.base import LabelledEnum, enum_type
from registry.models.declarations import Sex
from registry.timeutil import utcnow


def new_card_token() -> str:
    """A random token of 136 bits (at least 128 are required), written as 41 digits.

    Digits only: a USB scanner "types" the code, and a Vietnamese input method left on (Telex
    turns "dd" into "đ", "aa" into "â") would garble letters but leaves digits alone.
    """
    return f"{secrets.randbits(136):041d}"


class CardStatus(LabelledEnum):
    """A card is valid until it is revoked (lost, damaged, reissued)."""

    ACTIVE = "active", _l("Valid")
    REVOKED = "revoked", _l("Revoked")


class Resident(db.Model):
    """A person living in the commune, kept in the register so they can be given a card."""

    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(120))
    # Lower case without diacritics, so "nguyen van an" finds "Nguyễn Văn An".
    search_name: Mapped[str] = mapped_column(String(120), index=True)
    birth_year: Mapped[int] = mapped_column(Integer)
    birth_date: Mapped[date | None] = mapped_column(Date)  # when the full date is known
    sex: Mapped[str] = mapped_column(String(8))  # male / female / other
    id_number: Mapped[str | None] = mapped_column(String(20), index=True)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)  # E.164
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    address: Mapped[str | None] = mapped_column(String(255))
    # The household (hộ gia đình) as the household register has it: its number, the member's
    # relation to the head ("Chủ hộ", "Vợ", "Con" …) and whether they are the head.
    household_number: Mapped[str | None] = mapped_column(String(20), index=True)
    household_relation: Mapped[str | None] = mapped_column(String(40))
    is_household_head: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    village = relationship("Village")
    cards: Mapped[list[ResidentCard]] = relationship(
        back_populates="resident", order_by="ResidentCard.id.desc()",
        cascade="all, delete-orphan")

    @property
    def sex_label(self) -> str:
        """The declared sex in words."""
        return Sex.label_of(self.sex)

    @property
    def active_card(self) -> ResidentCard | None:
        """The card the resident holds now, if any."""
        return next((c for c in self.cards if c.status == CardStatus.ACTIVE), None)

    def __repr__(self) -> str:
        return f"<Resident {self.id} {self.full_name}>"


class ResidentCard(db.Model):
    """One printed card; a reissue revokes the old card and adds a new one with a new token."""

    __tablename__ = "resident_cards"
    __table_args__ = (UniqueConstraint("commune_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    # Printed under the QR and typed at a venue when the QR is damaged: digits only.
    number: Mapped[str] = mapped_column(String(12))
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_card_token)
    status: Mapped[CardStatus] = mapped_column(
        enum_type(CardStatus),
        default=CardStatus.ACTIVE, index=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    printed_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoke_reason: Mapped[str | None] = mapped_column(String(255))

    resident: Mapped[Resident] = relationship(back_populates="cards")
    issued_by = relationship("User", foreign_keys=[issued_by_id])
    revoked_by = relationship("User", foreign_keys=[revoked_by_id])

    @property
    def is_active(self) -> bool:
        return self.status == CardStatus.ACTIVE

    def __repr__(self) -> str:
        return f"<ResidentCard {self.number} {self.status.value}>"


class OfflineScan(db.Model):
    """One scan a scan station sent with its own random id: stored once, with what came of it,
    so a retried upload (the connection dropped before the answer) records nothing twice and
    gets the same answer; refused scans stay listed for the station."""

    __tablename__ = "offline_scans"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("checkin_points.id"), index=True)
    # The station's random id of the scan (a UUID).
    scan_key: Mapped[str] = mapped_column(String(36), unique=True)
    direction: Mapped[str] = mapped_column(String(8))  # entry / exit
    # The scan's time by the device's clock, and when the registry received it (both UTC).
    scanned_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The station's answer (ScanResult.status: recorded, duplicate, exit, revoked, unknown …)
    # and the words shown, kept to answer a retry the same way.
    status: Mapped[str] = mapped_column(String(20))
    ok: Mapped[bool] = mapped_column(default=True)
    message: Mapped[str] = mapped_column(String(300))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("resident_cards.id",
                                                           ondelete="SET NULL"))
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkins.id", ondelete="SET NULL"))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    card = relationship("ResidentCard")
