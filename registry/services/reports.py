"""The report's life: create and edit, compute its figures, render the Decree 30 PDF, submit,
return, sign off (number from the register, frozen bytes and hash), and verify a PDF."""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import (CheckinPoint, Commune, OutgoingDocument, Report, ReportDirective,
                             ReportStatus, SignerKind, Venue)
from registry.pdf import html_to_pdf
from registry.pdf.qr import qr_size_with_border, qr_svg_data_uri
from registry.services.audit import record_event
from registry.services.dashboard import SOURCES, compute_dashboard, period_bounds_utc
from registry.services.signing import inspect_signatures, material_for, sign_pdf
from registry.text import nfc
from registry.timeutil import local_today, utcnow

REPORT_SYMBOL = "BC-UBND"
PDF_STYLESHEETS = ("report.css",)
TEXT_FIELDS = ("summary", "introduction", "deployment", "results", "shortcomings", "direction",
               "proposals", "recipients")
EDIT_FIELDS = TEXT_FIELDS + ("period_start", "period_end", "smartphones", "app_installs",
                             "signer_kind")
MULTILINE_FIELDS = ("introduction", "deployment", "results", "shortcomings", "direction",
                    "proposals", "recipients")
VERIFY_QR_MM = 16


def nfc_lines(value):
    """NFC and trimmed like every field, but keeping the line breaks (paragraphs, recipients)."""
    if not isinstance(value, str):
        return value
    lines = [nfc(line) for line in value.replace("\r\n", "\n").split("\n")]
    text = "\n".join(lines).strip("\n")
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text


class ReportStateError(ValueError):
    """The action does not fit the report's status."""


def _clean(value, name: str = ""):
    """NFC text; narrative sections and recipients keep their line breaks."""
    if not isinstance(value, str):
        return value
    if name in MULTILINE_FIELDS:
        return nfc_lines(value)
    return nfc(value)


def signer_name_for(commune: Commune, kind: SignerKind) -> str:
    """The name printed under the signature, from the commune settings."""
    if kind == SignerKind.CHAIRMAN:
        return commune.chairman_name or ""
    return commune.vice_chairman_name or ""


def default_recipients(commune: Commune | None = None) -> str:
    """Nơi nhận as in seed 003, for today's two levels: districts were abolished on 1 July 2025,
    so a commune reports to the province (and the Department of Science and Technology, which
    took over information and communications)."""
    province = f"UBND {commune.province_name}" if commune is not None else "UBND tỉnh"
    if commune is not None and not commune.province_name.lower().startswith(("tỉnh", "thành phố")):
        province = f"UBND tỉnh {commune.province_name}"
    return (f"{province} (để báo cáo)\nSở Khoa học và Công nghệ\nCT, PCT UBND xã\n"
            "Lưu: VT, VHTT")


def create_report(commune: Commune, user, **fields) -> Report:
    """A new draft for the commune."""
    values = {k: _clean(v, k) for k, v in fields.items() if k in EDIT_FIELDS}
    values["signer_kind"] = SignerKind(values.get("signer_kind") or SignerKind.CHAIRMAN)
    report = Report(commune_id=commune.id, created_by_id=user.id, status=ReportStatus.DRAFT,
                    signer_name=signer_name_for(commune, values["signer_kind"]), **values)
    db.session.add(report)
    db.session.flush()
    record_event("create", report, user=user,
                 details={"period": [report.period_start.isoformat(),
                                     report.period_end.isoformat()]})
    return report


def update_report(report: Report, user, **fields) -> dict:
    """Change a draft (or returned) report; returns {field: [old, new]} of what changed."""
    if not report.is_editable:
        raise ReportStateError(report.status.value)
    changes = {}
    for name, value in fields.items():
        if name not in EDIT_FIELDS:
            continue
        value = _clean(value, name)
        if name == "signer_kind":
            value = SignerKind(value)
        if getattr(report, name) != value:
            changes[name] = [getattr(report, name), value]
            setattr(report, name, value)
    report.signer_name = signer_name_for(report.commune, report.signer_kind)
    if changes:
        record_event("update", report, user=user, details={k: v for k, v in changes.items()
                                                if k not in TEXT_FIELDS or k == "summary"})
    return changes


def add_directive(report: Report, **fields) -> ReportDirective:
    """Append a row to the table of directives issued."""
    if not report.is_editable:
        raise ReportStateError(report.status.value)
    position = max([d.position for d in report.directives] + [0]) + 1
    directive = ReportDirective(report=report, position=position,
                                **{k: _clean(v) for k, v in fields.items()})
    db.session.add(directive)
    db.session.flush()
    return directive


def remove_directive(report: Report, directive: ReportDirective) -> None:
    """Delete a row of the directives table."""
    if not report.is_editable or directive.report_id != report.id:
        raise ReportStateError(report.status.value)
    report.directives.remove(directive)
    db.session.flush()


def report_figures(report: Report) -> dict:
    """The computed tables of the report (JSON, frozen at sign-off): per category the QR codes
    created by the end of the period and the check-ins of the period by source."""
    board = compute_dashboard(report.commune_id, report.period_start, report.period_end)
    _start, end = period_bounds_utc(report.period_start, report.period_end)
    rows = []
    for row in board.rows:
        if not (row.points or row.checkins or row.venues):
            continue
        rows.append({"category": row.name, "venues": row.venues, "qr_codes": row.points,
                     "posters": row.posters, "active": row.active,
                     "by_source": dict(row.by_source), "checkins": row.checkins})
    total = board.total
    share = board.non_digital_share
    installs_share = None
    if report.smartphones and report.app_installs is not None:
        installs_share = round(100 * report.app_installs / report.smartphones, 1)
    return {
        "period": [report.period_start.isoformat(), report.period_end.isoformat()],
        "rows": rows,
        "total": {"venues": total.venues, "qr_codes": total.points, "posters": total.posters,
                  "active": total.active, "by_source": dict(total.by_source),
                  "checkins": total.checkins},
        "non_digital": total.non_digital,
        "non_digital_share": round(share * 100, 1) if share is not None else None,
        "smartphones": report.smartphones,
        "app_installs": report.app_installs,
        "installs_share": installs_share,
        "extra": [{"label": r["label"], "value": r["value"]} for r in board.extra],
        "computed_at": utcnow().isoformat(timespec="seconds"),
        "qr_codes_by_end": int(db.session.scalar(
            select(func.count(CheckinPoint.id)).join(Venue, CheckinPoint.venue_id == Venue.id)
            .where(Venue.commune_id == report.commune_id, CheckinPoint.created_at < end)) or 0),
    }


def verify_url(report: Report) -> str:
    """The public address printed as a QR on the signed PDF."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/verify/{report.verify_token}"


def render_report_pdf(report: Report, figures: dict, *, draft: bool,
                      issued_on: date | None = None) -> bytes:
    """The Decree 30 PDF. Always Vietnamese (an official document), whatever the UI language."""
    from flask import render_template

    qr = None
    if not draft and report.verify_token:
        url = verify_url(report)
        qr = {"uri": qr_svg_data_uri(url, error="m"), "url": url,
              "size_mm": round(qr_size_with_border(url, VERIFY_QR_MM, error="m"), 2)}
    with force_locale("vi"):
        html = render_template("pdf/report.html", report=report, commune=report.commune,
                               figures=figures, draft=draft, issued_on=issued_on, qr=qr,
                               sources=[s.value for s in SOURCES])
    return html_to_pdf(html, PDF_STYLESHEETS)


def draft_pdf(report: Report) -> bytes:
    """A draft's PDF from today's data, watermarked DỰ THẢO (never stored)."""
    return render_report_pdf(report, report_figures(report), draft=True)


def submit_report(report: Report, user) -> None:
    """The clerk hands the report to the chairman."""
    if not report.is_editable:
        raise ReportStateError(report.status.value)
    report.status = ReportStatus.SUBMITTED
    report.submitted_at = utcnow()
    report.return_comment = None
    record_event("submit", report, user=user)


def return_report(report: Report, user, comment: str) -> None:
    """The chairman sends it back to the clerk with a comment."""
    if report.status != ReportStatus.SUBMITTED:
        raise ReportStateError(report.status.value)
    report.status = ReportStatus.RETURNED
    report.return_comment = nfc_lines(comment)
    record_event("return", report, user=user, reason=report.return_comment[:255])


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


def sign_off(report: Report, user, today: date | None = None) -> Report:
    """Freeze the report: take the next register number, store the figures, the PDF bytes and
    their SHA-256; sign the PDF (PAdES) when the commune has a certificate."""
    if report.status != ReportStatus.SUBMITTED:
        raise ReportStateError(report.status.value)
    from registry.models.report import new_verify_token

    today = today or local_today()
    number = next_document_number(report.commune_id, today.year, REPORT_SYMBOL)
    db.session.add(OutgoingDocument(commune_id=report.commune_id, year=today.year,
                                    symbol=REPORT_SYMBOL, number=number, issued_on=today,
                                    summary=report.summary, report_id=report.id))
    report.number, report.symbol, report.issued_on = number, REPORT_SYMBOL, today
    report.verify_token = new_verify_token()
    report.signer_name = signer_name_for(report.commune, report.signer_kind)
    figures = report_figures(report)
    pdf = render_report_pdf(report, figures, draft=False, issued_on=today)
    report.figures = figures
    report.pdf = pdf
    report.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    report.status = ReportStatus.SIGNED
    report.signed_at = utcnow()
    report.signed_by_id = user.id
    material = material_for(report.commune_id)
    if material is not None and material.has_certificate:
        page, box = signature_box(pdf, report.signer_name)
        signed = sign_pdf(pdf, material, page=page, box=box,
                          reason=f"Ký ban hành Báo cáo số {report.number_text}/{REPORT_SYMBOL}",
                          location=report.commune.place_name, name=report.signer_name)
        _store_signed(report, signed, method="server")
    db.session.flush()
    record_event("sign_off", report, user=user, details={
        "number": f"{report.number_text}/{REPORT_SYMBOL}", "sha256": report.pdf_sha256})
    return report


def _store_signed(report: Report, data: bytes, method: str) -> None:
    """Keep a digitally signed file with what its signatures say."""
    checks = [c.as_dict() for c in inspect_signatures(data)]
    report.signed_pdf = data
    report.signed_pdf_sha256 = hashlib.sha256(data).hexdigest()
    report.signature_info = {"method": method, "signatures": checks,
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

