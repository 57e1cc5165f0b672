"""A report's draft: created and edited by the clerk, its computed figures, submitted to the
chairman or returned with a comment."""
from __future__ import annotations

from sqlalchemy import func, select

from registry.extensions import db
from registry.models import (CheckinPoint, Commune, Report, ReportDirective, ReportStatus,
                             SignerKind, Venue)
from registry.services.audit import record_event
from registry.services.dashboard import compute_dashboard, period_bounds_utc
from registry.text import nfc
from registry.timeutil import utcnow

TEXT_FIELDS = ("summary", "introduction", "deployment", "results", "shortcomings", "direction",
               "proposals", "recipients")
EDIT_FIELDS = TEXT_FIELDS + ("period_start", "period_end", "smartphones", "app_installs",
                             "signer_kind")
MULTILINE_FIELDS = ("introduction", "deployment", "results", "shortcomings", "direction",
                    "proposals", "recipients")


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
