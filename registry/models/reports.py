"""The commune's report (BÁO CÁO), its directives table, the register of outgoing documents and
the commune's signing material (certificate, signature image, seal)."""
from __future__ import annotations

import secrets
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.models.base import LabelledEnum, enum_type
from registry.timeutil import utcnow


def new_verify_token() -> str:
    """The random part of a signed report's verification URL (160 bits: not guessable)."""
    return secrets.token_urlsafe(20)


class ReportStatus(LabelledEnum):
    """Draft → submitted → signed, or back to returned (with the chairman's comment)."""

    DRAFT = "draft", _l("Draft")
    SUBMITTED = "submitted", _l("Submitted")
    RETURNED = "returned", _l("Returned")
    SIGNED = "signed", _l("Signed off")


class SignerKind(LabelledEnum):
    """Who signs: the chairman (TM.), or a vice-chairman for the chairman (KT. CHỦ TỊCH)."""

    CHAIRMAN = "chairman", _l("Chairman")
    VICE_CHAIRMAN = "vice_chairman", _l("Vice-chairman, for the chairman (KT. CHỦ TỊCH)")

    @property
    def signature_title(self) -> str:
        """The signature block's title as the document prints it (always Vietnamese, like every
        word of an official document): "CHỦ TỊCH" or "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"."""
        if self == SignerKind.VICE_CHAIRMAN:
            return "Phó Chủ tịch, ký thay Chủ tịch (KT. CHỦ TỊCH / PHÓ CHỦ TỊCH)"
        return "Chủ tịch (TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH)"


def recipient_lines(text: str | None) -> list[str]:
    """Nơi nhận, one entry per non-empty line, ending with the archive copy ("Lưu: VT") that
    Decree 30 always wants."""
    lines = [line.strip(" -;.") for line in (text or "").splitlines() if line.strip(" -;.")]
    if not any(line.startswith("Lưu") for line in lines):
        lines.append("Lưu: VT")
    return lines


class Report(db.Model):
    """A report for a period: computed tables plus what only people know; frozen when signed."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    status: Mapped[ReportStatus] = mapped_column(
        enum_type(ReportStatus),
        default=ReportStatus.DRAFT, index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    # Trích yếu: the summary under "BÁO CÁO".
    summary: Mapped[str] = mapped_column(String(300))
    # The narrative sections (Vietnamese, typed by the clerk).
    introduction: Mapped[str | None] = mapped_column(Text)
    deployment: Mapped[str | None] = mapped_column(Text)
    results: Mapped[str | None] = mapped_column(Text)
    shortcomings: Mapped[str | None] = mapped_column(Text)
    direction: Mapped[str | None] = mapped_column(Text)
    proposals: Mapped[str | None] = mapped_column(Text)
    # The closing sentence naming who the report goes to ("… báo cáo UBND tỉnh … ./.").
    closing: Mapped[str | None] = mapped_column(Text)
    # The sections as the registry last pre-wrote them from the figures ({section: text}): a
    # section still equal to its pre-written text was not touched by the clerk and may be
    # rewritten when the period or the figures change; a touched one is the clerk's.
    drafted: Mapped[dict | None] = mapped_column(JSON)
    # Figures only people know.
    smartphones: Mapped[int | None] = mapped_column(Integer)
    app_installs: Mapped[int | None] = mapped_column(Integer)
    # Nơi nhận, one recipient a line ("Sở Thông tin và Truyền thông").
    recipients: Mapped[str | None] = mapped_column(Text)
    signer_kind: Mapped[SignerKind] = mapped_column(
        enum_type(SignerKind),
        default=SignerKind.CHAIRMAN)
    signer_name: Mapped[str] = mapped_column(String(120))
    return_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]
    # --- frozen at sign-off: never changed afterwards -----------------------------------------
    signed_at: Mapped[datetime | None]
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    number: Mapped[int | None] = mapped_column(Integer)
    symbol: Mapped[str] = mapped_column(String(40), default="BC-UBND")
    issued_on: Mapped[date | None]  # the local date printed on the document
    figures: Mapped[dict | None] = mapped_column(JSON)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    verify_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The digitally signed file (server PAdES or uploaded from the USB-token tool).
    signed_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    signed_pdf_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    signature_info: Mapped[dict | None] = mapped_column(JSON)

    directives: Mapped[list[ReportDirective]] = relationship(
        back_populates="report", order_by="ReportDirective.position, ReportDirective.id",
        cascade="all, delete-orphan")
    created_by = relationship("User", foreign_keys=[created_by_id])
    signed_by = relationship("User", foreign_keys=[signed_by_id])
    commune = relationship("Commune")

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

    def __repr__(self) -> str:
        """For the debugger."""
        return f"<Report {self.id} {self.status.value}>"


class ReportDirective(db.Model):
    """A row of the table of directives issued (seed 003): number/date, unit, addressees."""

    __tablename__ = "report_directives"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    subject: Mapped[str] = mapped_column(String(500))
    number_date: Mapped[str] = mapped_column(String(120))  # "817/UBND 01/4/2020"
    issuing_unit: Mapped[str] = mapped_column(String(200))
    recipients: Mapped[str] = mapped_column(String(500))

    report: Mapped[Report] = relationship(back_populates="directives")


class OutgoingDocument(db.Model):
    """The commune's register of outgoing documents (sổ văn bản đi): numbers from 01 each year,
    per symbol, assigned when a document is signed."""

    __tablename__ = "outgoing_documents"
    __table_args__ = (UniqueConstraint("commune_id", "year", "symbol", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    symbol: Mapped[str] = mapped_column(String(40))
    number: Mapped[int] = mapped_column(Integer)
    issued_on: Mapped[date]
    summary: Mapped[str] = mapped_column(String(300))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    # A reminder (công văn đôn đốc) numbered through the same register.
    reminder_id: Mapped[int | None] = mapped_column(ForeignKey("reminders.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SigningMaterial(db.Model):
    """A commune's PKCS#12 certificate (encrypted with a key derived from the app secret), its
    passphrase (encrypted the same way) and the signature and seal images for the appearance."""

    __tablename__ = "signing_materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), unique=True)
    pkcs12_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    passphrase_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    certificate_subject: Mapped[str | None] = mapped_column(String(300))
    certificate_not_after: Mapped[datetime | None]
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    seal_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def has_certificate(self) -> bool:
        """A PKCS#12 was uploaded (server signing available)."""
        return self.pkcs12_encrypted is not None
