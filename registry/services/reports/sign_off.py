"""Signing a report off: the next number of the register of outgoing documents, the figures and
PDF frozen with their hash, a PAdES signature when the commune has a certificate; and checking a
PDF someone holds against the one on file."""
from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import OutgoingDocument, Report, ReportStatus
from registry.models.reports import new_verify_token
from registry.services.audit import record_event
from registry.services.reports.drafting import ReportStateError, report_figures, signer_name_for
from registry.services.reports.signing import inspect_signatures, material_for, sign_pdf
from registry.timeutil import local_today, utcnow

REPORT_SYMBOL = "BC-UBND"
# How a signed report's PDF is made: (report, figures, draft=False, issued_on) -> bytes. The PDF
# layer renders it; the views pass it in (services sit below the PDF layer).
RenderReport = Callable[..., bytes]


def verify_url(report: Report) -> str:
    """The public address printed as a QR on the signed PDF."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/verify/{report.verify_token}"


def next_document_number(commune_id: int, year: int, symbol: str) -> int:
    """The next number of the register: from 1 each calendar year, per symbol."""
    last = db.session.scalar(
        select(func.max(OutgoingDocument.number)).where(
            OutgoingDocument.commune_id == commune_id, OutgoingDocument.year == year,
            OutgoingDocument.symbol == symbol))
    return (last or 0) + 1


def signature_box(pdf: bytes, signer_name: str) -> tuple[int, tuple]:
    """Where the signature appearance goes: on the last page, between the title (7a) and the
    signer's name (7b), found from the laid-out PDF itself."""
    # Imported here, as pyhanko is in signing.py: only a sign-off reads a PDF's words, and
    # pdfplumber with pdfminer takes some 5 MB in every process that imports the app.
    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[-1]
        words = page.extract_words()
        first = signer_name.split()[0] if signer_name.split() else ""
        name_word = next((w for w in reversed(words) if w["text"] == first), None)
        height = float(page.height)
        if name_word is None:
            x_mid, name_top = float(page.width) * 0.7, height * 0.5
        else:
            x_mid = (name_word["x0"] + name_word["x1"]) / 2 + 40
            name_top = float(name_word["top"])
        index = len(doc.pages) - 1
    # A 180 × 86 pt box (the seal at about real size) right above the name, in PDF coordinates
    # (origin bottom left).
    bottom = height - name_top + 4
    return index, (x_mid - 90, bottom, x_mid + 90, bottom + 86)


def take_register_number(commune_id: int, symbol: str, summary: str, today: date,
                         **link) -> int:
    """The next number of the register for `symbol`, written into the register at once with
    the document it numbers (`report_id=` or `reminder_id=`). The unique (commune, year, symbol,
    number) refuses a number a concurrent sign-off took: the caller retries
    (`retry_on_unique_clash`)."""
    number = next_document_number(commune_id, today.year, symbol)
    db.session.add(OutgoingDocument(commune_id=commune_id, year=today.year, symbol=symbol,
                                    number=number, issued_on=today, summary=summary, **link))
    return number


def freeze_document(document, user, pdf: bytes) -> None:
    """Keep the issued PDF's bytes and SHA-256 and mark the document signed: it is never
    changed afterwards (a report or a reminder)."""
    document.pdf = pdf
    document.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    document.status = ReportStatus.SIGNED
    document.signed_at = utcnow()
    document.signed_by_id = user.id


def sign_with_commune_certificate(document, pdf: bytes, reason: str) -> None:
    """A PAdES signature on the issued PDF when the commune has a certificate (kept beside the
    issued bytes, which stay as they are)."""
    material = material_for(document.commune_id)
    if material is None or not material.has_certificate:
        return
    page, box = signature_box(pdf, document.signer_name)
    signed = sign_pdf(pdf, material, page=page, box=box, reason=reason,
                      location=document.commune.place_name, name=document.signer_name)
    _store_signed(document, signed, method="server")


def sign_off(report: Report, user, render: RenderReport, today: date | None = None) -> Report:
    """Freeze the report: take the next register number, store the figures (those the chairman
    read at submission, when kept), the PDF bytes (made by `render`) and their SHA-256; sign the
    PDF (PAdES) when the commune has a certificate."""
    if report.status != ReportStatus.SUBMITTED:
        raise ReportStateError(report.status.value)
    today = today or local_today()
    number = take_register_number(report.commune_id, REPORT_SYMBOL, report.summary, today,
                                  report_id=report.id)
    report.number, report.symbol, report.issued_on = number, REPORT_SYMBOL, today
    report.verify_token = new_verify_token()
    report.signer_name = signer_name_for(report.commune, report.signer_kind)
    figures = report.figures or report_figures(report)
    pdf = render(report, figures, draft=False, issued_on=today)
    report.figures = figures
    freeze_document(report, user, pdf)
    sign_with_commune_certificate(
        report, pdf, f"Ký ban hành Báo cáo số {report.number_text}/{REPORT_SYMBOL}")
    db.session.flush()
    record_event("sign_off", report, user=user, details={
        "number": f"{report.number_text}/{REPORT_SYMBOL}", "sha256": report.pdf_sha256})
    return report


def _store_signed(document, data: bytes, method: str) -> None:
    """Keep a digitally signed file with what its signatures say."""
    checks = [c.as_dict() for c in inspect_signatures(data)]
    document.signed_pdf = data
    document.signed_pdf_sha256 = hashlib.sha256(data).hexdigest()
    document.signature_info = {"method": method, "signatures": checks,
                               "stored_at": utcnow().isoformat(timespec="seconds")}


@dataclass
class Verification:
    """What the verification page says about a PDF someone holds."""

    matches: bool
    kind: str  # issued / signed / signed_elsewhere / different / not_pdf
    signatures: list = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """Every signature's hash matches and nothing but signing changed the file."""
        return bool(self.signatures) and all(s["intact"] and s["modification_ok"]
                                              for s in self.signatures)


def verify_pdf(report: Report, data: bytes) -> Verification:
    """Compare a PDF with the one on file: the issued bytes, the stored signed file, or a file
    signed elsewhere whose signed revision starts with exactly the issued bytes."""
    if not data.startswith(b"%PDF-"):
        return Verification(False, "not_pdf")
    digest = hashlib.sha256(data).hexdigest()
    if digest == report.pdf_sha256:
        return Verification(True, "issued")
    checks = [c.as_dict() for c in inspect_signatures(data)]
    if report.signed_pdf_sha256 and digest == report.signed_pdf_sha256:
        return Verification(True, "signed", checks)
    issued = report.pdf or b""
    covers = [c for c in checks if c["covered_length"] > len(issued)]
    if issued and data.startswith(issued) and covers:
        ok = all(c["intact"] and c["modification_ok"] for c in covers)
        return Verification(ok, "signed_elsewhere" if ok else "different", checks)
    return Verification(False, "different", checks)


def accept_signed_upload(report: Report, user, data: bytes) -> Verification:
    """Store a PDF signed elsewhere (USB token) if it is the issued PDF plus intact signatures."""
    if not report.is_signed:
        raise ReportStateError(report.status.value)
    result = verify_pdf(report, data)
    if result.kind == "signed" and result.matches:
        return result
    if result.kind != "signed_elsewhere" or not result.matches:
        return result
    _store_signed(report, data, method="upload")
    record_event("upload_signed", report, user=user,
                 details={"sha256": report.signed_pdf_sha256,
                          "signers": ", ".join(s["signer"] for s in result.signatures)})
    return result


def report_by_token(token: str) -> Report | None:
    """A signed report by its verification token."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Report).where(Report.verify_token == token,
                                                  Report.status == ReportStatus.SIGNED))
