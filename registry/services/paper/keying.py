"""Keying a sheet: each line saved as a paper check-in (saving again updates it), the sheet
finished, and the keyed values purged with the rest of the personal data."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import gettext as _
from sqlalchemy import select, update

from registry.extensions import db
from registry.models import (Checkin, CheckinSource, FormKind, PaperLine, PaperSheet,
                             SheetStatus, TimePrecision)
from registry.services.audit import record_event
from registry.services.checkins import record_checkin, update_visit
from registry.services.declarations import Declaration, active_questions, answers_from
from registry.services.paper import PaperError
from registry.services.paper.custody import refresh_batch_status
from registry.timeutil import local_to_utc, to_local, utcnow

LOG_ROWS = 15  # numbered rows on a visitor log sheet


@dataclass
class LineValues:
    """One keyed line, parsed: what goes into the check-in and what double entry compares."""

    day: date
    time_in: time | None
    time_in_exact: bool
    time_out: time | None
    full_name: str
    birth_year: int | None = None
    sex: str | None = None
    id_number: str | None = None
    phone: str | None = None
    province: str | None = None
    ward: str | None = None
    address: str | None = None
    symptoms: bool | None = None
    answers: dict | None = None  # {code: (bool|None, details)} for slips

    def as_json(self) -> dict:
        """The values as stored for double entry (JSON types)."""
        return {
            "day": self.day.isoformat(),
            "time_in": self.time_in.strftime("%H:%M") if self.time_in else None,
            "time_out": self.time_out.strftime("%H:%M") if self.time_out else None,
            "full_name": self.full_name, "birth_year": self.birth_year, "sex": self.sex,
            "id_number": self.id_number, "phone": self.phone, "province": self.province,
            "ward": self.ward, "address": self.address, "symptoms": self.symptoms,
            "answers": {k: [v[0], v[1]] for k, v in (self.answers or {}).items()},
        }

    @classmethod
    def from_json(cls, data: dict) -> "LineValues":
        """Back from the stored JSON (a reviewer's settled values)."""
        def t(value):
            return time.fromisoformat(value) if value else None
        return cls(day=date.fromisoformat(data["day"]), time_in=t(data.get("time_in")),
                   time_in_exact=True, time_out=t(data.get("time_out")),
                   full_name=data.get("full_name") or "", birth_year=data.get("birth_year"),
                   sex=data.get("sex"), id_number=data.get("id_number"),
                   phone=data.get("phone"), province=data.get("province"),
                   ward=data.get("ward"), address=data.get("address"),
                   symptoms=data.get("symptoms"),
                   answers={k: tuple(v) for k, v in (data.get("answers") or {}).items()})


def line_count(sheet: PaperSheet) -> int:
    """How many lines the sheet has: 15 rows on a log sheet, one person on a slip."""
    return LOG_ROWS if sheet.batch.kind == FormKind.LOG else 1


def declaration_of(sheet: PaperSheet, values: LineValues) -> Declaration:
    """The declaration a keyed line stands for, with the commune's current questions: a slip's
    ticks, or the log sheet's single symptom column for the symptom questions."""
    questions = active_questions(sheet.commune_id)
    given = {}
    for q in questions:
        if values.answers and q.code in values.answers:
            given[q.code] = values.answers[q.code]
        elif q.is_symptom and values.symptoms is not None:
            given[q.code] = (values.symptoms, None)
    return Declaration(full_name=values.full_name, birth_year=values.birth_year, sex=values.sex,
                       id_number=values.id_number, province=values.province, ward=values.ward,
                       address=values.address, phone=values.phone,
                       answers=answers_from(questions, given))


def times_of(values: LineValues) -> tuple[datetime, datetime | None, TimePrecision]:
    """Check-in and check-out in UTC, and how precisely the check-in time is known."""
    if values.time_in is None:
        # Only the date is known: the start of the local day stands for the whole day.
        return local_to_utc(datetime.combine(values.day, time.min)), None, TimePrecision.DATE_ONLY
    at = local_to_utc(datetime.combine(values.day, values.time_in))
    out = local_to_utc(datetime.combine(values.day, values.time_out)) if values.time_out else None
    precision = TimePrecision.EXACT if values.time_in_exact else TimePrecision.APPROXIMATE
    return at, out, precision


def write_line(line: PaperLine, sheet: PaperSheet, values: LineValues, user) -> None:
    """Make the line's check-in hold `values`: a new paper check-in through the check-in door,
    or the same check-in corrected (a line saved again, a settled review)."""
    at, out, precision = times_of(values)
    declaration = declaration_of(sheet, values)
    if line.checkin is not None:
        update_visit(line.checkin, declaration, at=at, checked_out_at=out, precision=precision)
        return
    checkin = record_checkin(sheet.batch.point, CheckinSource.PAPER, declaration, at=at,
                             precision=precision, entered_by=user, checked_out_at=out)
    line.checkin_id = checkin.id


def get_line(sheet: PaperSheet, line_no: int) -> PaperLine | None:
    """The saved line `line_no` of the sheet, if any."""
    return db.session.scalar(select(PaperLine).where(PaperLine.sheet_id == sheet.id,
                                                     PaperLine.line_no == line_no))


def save_line(sheet: PaperSheet, line_no: int, values: LineValues, user) -> tuple[PaperLine, bool]:
    """Save line `line_no` as a paper check-in; saving it again updates the same check-in.

    Returns (line, created). Two concurrent first saves of one line collide on the unique
    (sheet, line) key; the caller retries (`retry_on_unique_clash`), which then updates.
    """
    if not 1 <= line_no <= line_count(sheet):
        raise PaperError(_("This sheet has lines 1 to %(count)s.", count=line_count(sheet)))
    line = get_line(sheet, line_no)
    created = line is None or line.checkin is None
    if line is None:
        line = PaperLine(commune_id=sheet.commune_id, sheet_id=sheet.id, line_no=line_no)
        db.session.add(line)
    write_line(line, sheet, values, user)
    line.first_values, line.keyed_by_id = values.as_json(), user.id
    _mark_keying(sheet, user)
    db.session.flush()
    if created:
        db.session.expire(sheet, ["lines"])  # the new line belongs in the loaded collection
    return line, created


def _mark_keying(sheet: PaperSheet, user) -> None:
    if sheet.status == SheetStatus.BLANK:
        sheet.status = SheetStatus.KEYING
    if sheet.keyed_by_id is None:
        sheet.keyed_by_id = user.id


def finish_sheet(sheet: PaperSheet, user) -> None:
    """The first keyer has keyed every line: keyed, or verified at once without double entry."""
    if not sheet.lines:
        raise PaperError(_("Key at least one line before finishing the sheet."))
    sheet.keyed_at = utcnow()
    if sheet.needs_second_entry:
        sheet.status = SheetStatus.KEYED
    else:
        sheet.status = SheetStatus.VERIFIED
        sheet.verified_at, sheet.verified_by_id = utcnow(), user.id
    record_event("key", sheet, user=user, details={"lines": len(sheet.lines)})
    refresh_batch_status(sheet.batch)


def purge_keyed_values(commune_id: int, *, cutoff_utc: datetime,
                       held_checkin_ids: set[int]) -> int:
    """Clear the values keyed for double entry on lines older than the cutoff, or of check-ins
    older than it, except for held check-ins; returns how many lines were cleared.

    A receiver of `signals.purge_personal_data`."""
    held = set(held_checkin_ids)
    old_checkins = select(Checkin.id).where(Checkin.commune_id == commune_id,
                                            Checkin.checked_in_at < cutoff_utc)
    if held:
        old_checkins = old_checkins.where(Checkin.id.not_in(held))
    lines = (update(PaperLine)
             .where(PaperLine.commune_id == commune_id,
                    (PaperLine.first_values.is_not(None)) | (PaperLine.second_values.is_not(None)),
                    (PaperLine.created_at < cutoff_utc) | PaperLine.checkin_id.in_(old_checkins))
             .values(first_values=None, second_values=None))
    if held:
        lines = lines.where(PaperLine.checkin_id.is_(None) | PaperLine.checkin_id.not_in(held))
    return db.session.execute(lines.execution_options(synchronize_session=False)).rowcount or 0


def sheet_lines_view(sheet: PaperSheet) -> list[dict]:
    """Lines as shown to the first keyer: number, name, time, warnings."""
    rows = []
    for line in sheet.lines:
        c = line.checkin
        rows.append({"line": line, "checkin": c,
                     "local": to_local(c.checked_in_at) if c is not None else None})
    return rows
