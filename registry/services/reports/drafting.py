"""A report's draft: created and edited by the clerk, its computed figures, submitted to the
chairman or returned with a comment."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from registry.extensions import db
from registry.formatting import in_running_text
from registry.models import (CheckinPoint, Commune, Reminder, Report,
                             ReportDirective, ReportStatus, SignerKind, Venue)
from registry.services.audit import record_event
from registry.services.coverage import NO_QR, QR_NO_CHECKIN, compute_coverage
from registry.services.dashboard import (compute_dashboard, period_bounds_utc,
                                         venue_source_counts)
from registry.services.figures import previous_period, source_figures
from registry.services.reports.wording import (DRAFTED_SECTIONS, GENERIC_SUMMARY,
                                               REQUIRED_SECTIONS, draft_sections,
                                               province_in_text)
from registry.text import nfc
from registry.timeutil import utcnow

TEXT_FIELDS = ("summary", "introduction", "deployment", "results", "shortcomings", "direction",
               "proposals", "closing", "recipients")
EDIT_FIELDS = TEXT_FIELDS + ("period_start", "period_end", "smartphones", "app_installs",
                             "signer_kind")
MULTILINE_FIELDS = ("introduction", "deployment", "results", "shortcomings", "direction",
                    "proposals", "closing", "recipients")


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


class ReportIncomplete(ValueError):
    """A required section is empty: the report cannot be submitted; `missing` names them."""

    def __init__(self, missing: list[str]):
        """Remember which sections are empty."""
        super().__init__(", ".join(missing))
        self.missing = missing


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
    province = (f"UBND {province_in_text(commune.province_name)}" if commune is not None
                else "UBND tỉnh")
    return (f"{province} (để báo cáo)\nSở Khoa học và Công nghệ\nCT, PCT UBND xã\n"
            "Lưu: VT, VHTT")


def create_report(commune: Commune, user, **fields) -> Report:
    """A new draft for the commune, its empty sections pre-written from the figures of its
    period (and the generic summary given the period)."""
    values = {k: _clean(v, k) for k, v in fields.items() if k in EDIT_FIELDS}
    values["signer_kind"] = SignerKind(values.get("signer_kind") or SignerKind.CHAIRMAN)
    if values.get("summary") == GENERIC_SUMMARY:
        values["summary"] = None  # the period is added to it below
    report = Report(commune_id=commune.id, created_by_id=user.id, status=ReportStatus.DRAFT,
                    signer_name=signer_name_for(commune, values["signer_kind"]), **values)
    report.commune = commune
    prewrite(report, report_figures(report))
    db.session.add(report)
    db.session.flush()
    add_reminder_directives(report)
    record_event("create", report, user=user,
                 details={"period": [report.period_start.isoformat(),
                                     report.period_end.isoformat()]})
    return report


def update_report(report: Report, user, **fields) -> dict:
    """Change a draft (or returned) report; returns {field: [old, new]} of what changed."""
    if not report.is_editable:
        raise ReportStateError(report.status.value)
    changes = {}
    period = (report.period_start, report.period_end)
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
    if (report.period_start, report.period_end) != period:
        # The sections the clerk did not touch follow the new period.
        prewrite(report, report_figures(report))
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


def prewrite(report: Report, figures: dict, force: tuple[str, ...] = ()) -> list[str]:
    """Write the sections from `figures` where the clerk wrote nothing or left the pre-written
    text as it was (and those named in `force`); returns the sections rewritten."""
    texts = draft_sections(report.commune, figures)
    drafted = dict(report.drafted or {})
    rewritten = []
    for name in DRAFTED_SECTIONS:
        current = getattr(report, name)
        untouched = not (current or "").strip() or current == drafted.get(name)
        if name in force or untouched:
            if current != texts[name]:
                setattr(report, name, texts[name])
                rewritten.append(name)
            drafted[name] = texts[name]
    report.drafted = drafted
    return rewritten


def outdated_sections(report: Report, figures: dict) -> dict[str, bool]:
    """{section: touched by the clerk} of the sections whose pre-written text the figures
    would now change (new check-ins keyed since the draft was written)."""
    texts = draft_sections(report.commune, figures)
    drafted = report.drafted or {}
    return {name: getattr(report, name) != drafted.get(name) for name in DRAFTED_SECTIONS
            if name in drafted and drafted[name] != texts[name]}


def missing_sections(report: Report) -> list[str]:
    """The required sections left empty."""
    return [name for name in REQUIRED_SECTIONS if not (getattr(report, name) or "").strip()]


def signed_reminders(commune_id: int, start_day: date, end_day: date) -> list[Reminder]:
    """The reminders signed off in the period, in register order."""
    return list(db.session.scalars(
        select(Reminder).where(Reminder.commune_id == commune_id,
                               Reminder.status == ReportStatus.SIGNED,
                               Reminder.issued_on >= start_day, Reminder.issued_on <= end_day)
        .order_by(Reminder.issued_on, Reminder.number)))


def add_reminder_directives(report: Report) -> None:
    """The reminders of the period as rows of the table of directives issued."""
    for reminder in signed_reminders(report.commune_id, report.period_start, report.period_end):
        add_directive(report, subject=reminder.summary,
                      number_date=f"{reminder.number_text}/{reminder.symbol} "
                                  f"{reminder.issued_on:%d/%m/%Y}",
                      issuing_unit=f"Ủy ban nhân dân {in_running_text(report.commune.name)}",
                      recipients="; ".join(v.venue_name for v in reminder.venues)[:500])


def _row_figures(row) -> dict:
    """A category or total row of the report's table, with the reported figures."""
    figures = source_figures(row.by_source)
    return {"category": row.name, "venues": row.venues, "qr_codes": row.points,
            "posters": row.posters, "active": row.active, "by_source": dict(row.by_source),
            "checkins": row.checkins, "through_qr": figures["through_qr"],
            "qr_share": figures["qr_share"], "without_smartphone": figures["without_smartphone"],
            "without_smartphone_share": figures["without_smartphone_share"]}


def _coverage_facts(commune_id: int, start_day: date, end_day: date) -> dict:
    """What the coverage page says about the period, for the report's sentences."""
    coverage = compute_coverage(commune_id, start_day, end_day)
    silent: dict[str, dict] = {}
    for row in coverage.in_list(QR_NO_CHECKIN):
        entry = silent.setdefault(row.venue.category.name, {
            "category": row.venue.category.name, "position": row.venue.category.position,
            "count": 0, "names": []})
        entry["count"] += 1
        entry["names"].append(row.venue.name)
    out = [r for r in coverage.rows if r.paper_out]
    return {
        "with_qr": sum(1 for r in coverage.rows if r.posters),
        "qr_active": sum(1 for r in coverage.rows if r.figures["through_qr"]),
        "qr_no_checkin": sorted(silent.values(), key=lambda e: (e["position"], e["category"])),
        "no_qr": len(coverage.in_list(NO_QR)),
        "paper_out": {"sheets": sum(r.paper_out for r in out), "count": len(out),
                      "names": [r.venue.name for r in out]},
        "paper_waiting": sum(r.paper_waiting for r in coverage.rows),
        "paper_handed": sum(r.paper_handed for r in coverage.rows),
        "paper_handed_venues": sum(1 for r in coverage.rows if r.paper_handed),
    }


def report_figures(report: Report) -> dict:
    """The figures of the report (JSON, frozen at submission and sign-off): per category the QR
    codes created by the end of the period and the check-ins of the period by source, through
    QR and without a smartphone; the previous period; the coverage facts; the other features'
    figures; the reminders signed in the period."""
    board = compute_dashboard(report.commune_id, report.period_start, report.period_end)
    _start, end = period_bounds_utc(report.period_start, report.period_end)
    rows = [_row_figures(row) for row in board.rows if row.points or row.checkins or row.venues]
    total = _row_figures(board.total)
    share = board.non_digital_share
    installs_share = None
    if report.smartphones and report.app_installs is not None:
        installs_share = round(100 * report.app_installs / report.smartphones, 1)
    prev_start, prev_end = previous_period(report.period_start, report.period_end)
    before: dict = {}
    for (_venue, source), n in venue_source_counts(report.commune_id, prev_start,
                                                   prev_end).items():
        before[source] = before.get(source, 0) + n
    previous = source_figures(before)
    return {
        "period": [report.period_start.isoformat(), report.period_end.isoformat()],
        "rows": rows,
        "total": total,
        "non_digital": board.total.non_digital,
        "non_digital_share": round(share * 100, 1) if share is not None else None,
        "previous": {"period": [prev_start.isoformat(), prev_end.isoformat()],
                     "checkins": previous["total"], "through_qr": previous["through_qr"],
                     "qr_share": previous["qr_share"], "by_source": before},
        "coverage": _coverage_facts(report.commune_id, report.period_start, report.period_end),
        "reminders": [{"number": r.number_text, "symbol": r.symbol,
                       "issued_on": r.issued_on.isoformat(), "venues": len(r.venues)}
                      for r in signed_reminders(report.commune_id, report.period_start,
                                                report.period_end)],
        "smartphones": report.smartphones,
        "app_installs": report.app_installs,
        "installs_share": installs_share,
        "extra": [{"key": r["key"], "label": r["label"], "value": r["value"]}
                  for r in board.extra],
        "computed_at": utcnow().isoformat(timespec="seconds"),
        "qr_codes_by_end": int(db.session.scalar(
            select(func.count(CheckinPoint.id)).join(Venue, CheckinPoint.venue_id == Venue.id)
            .where(Venue.commune_id == report.commune_id, CheckinPoint.created_at < end)) or 0),
    }


def redraft(report: Report, user, sections: tuple[str, ...] = ()) -> list[str]:
    """Rewrite the untouched sections (and those named) from today's figures."""
    if not report.is_editable:
        raise ReportStateError(report.status.value)
    rewritten = prewrite(report, report_figures(report), force=sections)
    if rewritten:
        record_event("update", report, user=user, details={"redrafted": ", ".join(rewritten)})
    return rewritten


def submit_report(report: Report, user) -> None:
    """The clerk hands the report to the chairman: refused while a required section is empty.
    The figures are frozen as the chairman will read them (the untouched pre-written sections
    follow them), so the text, the table and the signed PDF agree."""
    if not report.is_editable:
        raise ReportStateError(report.status.value)
    missing = missing_sections(report)
    if missing:
        raise ReportIncomplete(missing)
    figures = report_figures(report)
    prewrite(report, figures)
    report.figures = figures
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
