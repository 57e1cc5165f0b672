"""The paper path: batches of printed sheets, their custody, transcription and double entry."""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from registry.extensions import db
from registry.models import (BatchStatus, Checkin, CheckinPoint, CheckinSource, Commune,
                             DoubleEntry, FormKind, PaperBatch, PaperLine, PaperSheet,
                             SheetStatus, TimePrecision)
from registry.services.audit import record_event
from registry.services.checkins import record_checkin
from registry.services.declarations import Declaration, active_questions
from registry.text import fold, nfc
from registry.timeutil import local_to_utc, local_today, to_local, utcnow

LOG_ROWS = 15  # numbered rows on a visitor log sheet
SLIPS_PER_PAGE = {"a4": 2, "a5": 1}
MAX_SHEETS_PER_BATCH = 2000


class PaperError(ValueError):
    """A refusal with a message for the user (a bad serial, a wrong step in the custody chain)."""


# --- serials -----------------------------------------------------------------------------

def _check_digit(digits: str) -> str:
    """A Luhn check digit, so that a mistyped serial is refused rather than finding a wrong sheet."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 0:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return str((10 - total % 10) % 10)


def make_serial(kind: FormKind, sheet_id: int) -> str:
    """The printed serial: S (slip) or L (log sheet), 7 digits of the sheet id, a check digit."""
    digits = f"{sheet_id:07d}"
    return ("S" if kind == FormKind.SLIP else "L") + digits + _check_digit(digits)


SERIAL = re.compile(r"^([SL])(\d{7,})(\d)$")


def normalise_serial(text: str | None) -> str | None:
    """The serial as typed or scanned ("l 0000012-3", "L00000123"), upper case without
    separators, or None when it cannot be a serial (wrong shape or check digit)."""
    value = re.sub(r"[\s.\-/]", "", text or "").upper()
    match = SERIAL.match(value)
    if not match or _check_digit(match.group(2)) != match.group(3):
        return None
    return value


def find_sheet(commune_id: int, text: str) -> PaperSheet:
    """The sheet with this serial in the commune; PaperError with the reason otherwise."""
    serial = normalise_serial(text)
    if serial is None:
        raise PaperError(_("This is not a sheet serial number. Check the characters and type "
                           "it again, for example L00001230."))
    sheet = db.session.scalar(select(PaperSheet).where(PaperSheet.serial == serial))
    if sheet is None:
        raise PaperError(_("No sheet has the serial %(serial)s.", serial=serial))
    if sheet.commune_id != commune_id:
        raise PaperError(_("Sheet %(serial)s belongs to another commune.", serial=serial))
    if sheet.batch.status == BatchStatus.DESTROYED:
        raise PaperError(_("Sheet %(serial)s belongs to a destroyed batch; it can no longer be "
                           "keyed.", serial=serial))
    return sheet


# --- batches and custody ---------------------------------------------------------------------

def create_batch(point: CheckinPoint, kind: FormKind, count: int, by, *,
                 double_entry: DoubleEntry = DoubleEntry.NONE, sample_percent: int = 0,
                 ignore_diacritics: bool = True, skip_free_text: bool = False,
                 rng: random.Random | None = None) -> PaperBatch:
    """Print run: a batch of `count` sheets with fresh serials for one check-in point."""
    if not 1 <= count <= MAX_SHEETS_PER_BATCH:
        raise PaperError(_("Print between 1 and %(max)s sheets.", max=MAX_SHEETS_PER_BATCH))
    rng = rng or random.Random()
    venue = point.venue
    batch = PaperBatch(commune_id=venue.commune_id, venue_id=venue.id, point_id=point.id,
                       kind=kind, sheet_count=count, double_entry=double_entry,
                       sample_percent=sample_percent if double_entry == DoubleEntry.SAMPLE else 0,
                       ignore_diacritics=ignore_diacritics, skip_free_text=skip_free_text,
                       printed_by_id=by.id if by is not None else None)
    db.session.add(batch)
    db.session.flush()
    if double_entry == DoubleEntry.FULL:
        chosen = set(range(1, count + 1))
    elif double_entry == DoubleEntry.SAMPLE:
        # At least one sheet, so that every sampled batch really gets checked.
        size = max(1, round(count * sample_percent / 100))
        chosen = set(rng.sample(range(1, count + 1), size))
    else:
        chosen = set()
    sheets = [PaperSheet(commune_id=batch.commune_id, batch_id=batch.id, number=n,
                         needs_second_entry=n in chosen) for n in range(1, count + 1)]
    db.session.add_all(sheets)
    db.session.flush()
    for sheet in sheets:
        sheet.serial = make_serial(kind, sheet.id)
    db.session.flush()
    record_event("print", batch, user=by, details={"sheets": count, "kind": kind.value,
                                                   "point": point.name})
    return batch


def hand_batch(batch: PaperBatch, by, on: date, to_whom: str) -> None:
    """The clerk hands the printed sheets to the venue."""
    if batch.status != BatchStatus.PRINTED:
        raise PaperError(_("This batch has already been handed over."))
    batch.handed_on, batch.handed_to, batch.status = on, nfc(to_whom), BatchStatus.HANDED
    record_event("hand_over", batch, user=by, details={"on": on.isoformat(), "to": to_whom})


def collect_batch(batch: PaperBatch, by, on: date, collected_by: str, returned: int) -> None:
    """The clerk collects the filled sheets: when, by whom, how many came back."""
    if batch.status not in (BatchStatus.PRINTED, BatchStatus.HANDED):
        raise PaperError(_("This batch has already been collected."))
    if returned > batch.sheet_count:
        raise PaperError(_("At most %(count)s sheets can come back.", count=batch.sheet_count))
    if batch.handed_on and on < batch.handed_on:
        raise PaperError(_("The sheets cannot be collected before they were handed over."))
    batch.collected_on, batch.collected_by = on, nfc(collected_by)
    batch.returned_count, batch.status = returned, BatchStatus.COLLECTED
    record_event("collect", batch, user=by, details={"on": on.isoformat(), "by": collected_by,
                                                     "returned": returned})
    refresh_batch_status(batch)


def destroy_batch(batch: PaperBatch, by, on: date) -> None:
    """The sheets were shredded: the batch is closed and its serials are refused from now on."""
    if batch.status == BatchStatus.DESTROYED:
        raise PaperError(_("This batch has already been destroyed."))
    if batch.status in (BatchStatus.PRINTED, BatchStatus.HANDED):
        raise PaperError(_("Collect the sheets before destroying them."))
    batch.destroyed_on, batch.destroyed_by_id = on, by.id
    batch.status = BatchStatus.DESTROYED
    record_event("destroy", batch, user=by, details={"on": on.isoformat()})


def refresh_batch_status(batch: PaperBatch) -> None:
    """Move a collected batch on to keyed / verified once all its filled sheets are."""
    if batch.status not in (BatchStatus.COLLECTED, BatchStatus.KEYED, BatchStatus.VERIFIED):
        return
    started = [s for s in batch.sheets if s.status != SheetStatus.BLANK]
    expected = batch.returned_count or 0
    if expected == 0 or len(started) < expected:
        return
    if all(s.status == SheetStatus.VERIFIED for s in started):
        batch.status = BatchStatus.VERIFIED
        batch.verified_at = batch.verified_at or utcnow()
        batch.keyed_at = batch.keyed_at or utcnow()
    elif all(s.status in (SheetStatus.KEYED, SheetStatus.VERIFIED) for s in started):
        batch.status = BatchStatus.KEYED
        batch.keyed_at = batch.keyed_at or utcnow()


def destruction_due_on(batch: PaperBatch, retention_days: int) -> date | None:
    """The day the paper may be destroyed: retention after the last day it can hold."""
    if batch.collected_on is None:
        return None
    return batch.collected_on + timedelta(days=retention_days)


# --- parsing what was written on paper -----------------------------------------------------------

TIME = re.compile(r"^(\d{1,2})(?:\s*[hg:.]\s*(\d{1,2})?\s*(?:p|ph|phút)?)?$")


def parse_time(text: str | None) -> tuple[time, bool] | None:
    """A handwritten time ("8h30", "08:30", "830", "8h") as (time, minutes known); None if blank.

    Raises ValueError with a message when it is not a time of day.
    """
    value = (text or "").strip().lower()
    if not value:
        return None
    if value.isdigit() and len(value) in (3, 4):
        hour, minute, exact = int(value[:-2]), int(value[-2:]), True
    else:
        match = TIME.match(value)
        if not match:
            raise ValueError(_("Write a time like 8h30, 08:30 or 830."))
        hour = int(match.group(1))
        minute = int(match.group(2)) if match.group(2) else 0
        exact = match.group(2) is not None
    if hour > 23 or minute > 59:
        raise ValueError(_("%(value)s is not a time of day.", value=text))
    return time(hour, minute), exact


def parse_year(text: str | None, today: date | None = None) -> int | None:
    """A year of birth as 2 or 4 digits ("75" → 1975, "08" → 2008); None if blank."""
    value = (text or "").strip()
    if not value:
        return None
    today = today or local_today()
    if not value.isdigit() or len(value) not in (2, 4):
        raise ValueError(_("Write the year of birth with 2 or 4 digits, for example 75 or 1975."))
    year = int(value)
    if len(value) == 2:
        year += 2000 if 2000 + year <= today.year else 1900
    if not 1900 <= year <= today.year:
        raise ValueError(_("Enter a year of birth between 1900 and this year."))
    return year


DAY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2}|\d{4}))?$")


def parse_day(text: str | None, today: date | None = None) -> date:
    """A date as written ("20/11/2026", "20/11/26", "20/11", "2026-11-20")."""
    value = (text or "").strip()
    today = today or local_today()
    if not value:
        raise ValueError(_("Enter the date written on the sheet, for example 20/11/2026."))
    try:
        if re.match(r"^\d{4}-\d{2}-\d{2}$", value):
            return date.fromisoformat(value)
        match = DAY.match(value)
        if not match:
            raise ValueError
        day, month = int(match.group(1)), int(match.group(2))
        year = match.group(3)
        year = today.year if year is None else int(year) + (2000 if len(year) == 2 else 0)
        return date(year, month, day)
    except ValueError:
        raise ValueError(_("%(value)s is not a date. Write it as day/month/year, for example "
                           "20/11/2026.", value=text)) from None


def parse_yes_no(text: str | None) -> bool | None:
    """A yes/no box as keyed: c/có/y/1 → yes, k/không/n/0 → no, blank → None."""
    value = fold(text or "")
    if not value:
        return None
    if value in ("c", "co", "y", "yes", "1", "x"):
        return True
    if value in ("k", "khong", "n", "no", "0"):
        return False
    raise ValueError(_("Type c (yes) or k (no)."))


SEX_WORDS = {"nam": "male", "m": "male", "male": "male", "nu": "female", "f": "female",
             "female": "female", "khac": "other", "k": "other", "other": "other"}


def parse_sex(text: str | None) -> str | None:
    """Nam / Nữ / Khác (or m, f) as the stored code; None if blank."""
    value = fold(text or "")
    if not value:
        return None
    if value not in SEX_WORDS:
        raise ValueError(_("Type nam, nu or khac."))
    return SEX_WORDS[value]


# --- saving keyed lines --------------------------------------------------------------------------

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


def _declaration(sheet: PaperSheet, values: LineValues) -> Declaration:
    questions = active_questions(sheet.commune_id)
    answers = {}
    for q in questions:
        if values.answers and q.code in values.answers:
            answer, details = values.answers[q.code]
        elif q.is_symptom and values.symptoms is not None:
            answer, details = values.symptoms, None  # the log sheet's single symptom column
        else:
            answer, details = None, None
        answers[q.code] = {"question": q.text, "answer": answer,
                           "details": nfc(details) or None if answer else None,
                           "is_symptom": q.is_symptom}
    return Declaration(full_name=values.full_name, birth_year=values.birth_year, sex=values.sex,
                       id_number=values.id_number, province=values.province, ward=values.ward,
                       address=values.address, phone=values.phone, answers=answers)


def _times(values: LineValues) -> tuple[datetime, datetime | None, TimePrecision]:
    """Check-in and check-out in UTC, and how precisely the check-in time is known."""
    if values.time_in is None:
        # Only the date is known: the start of the local day stands for the whole day.
        return local_to_utc(datetime.combine(values.day, time.min)), None, TimePrecision.DATE_ONLY
    at = local_to_utc(datetime.combine(values.day, values.time_in))
    out = local_to_utc(datetime.combine(values.day, values.time_out)) if values.time_out else None
    precision = TimePrecision.EXACT if values.time_in_exact else TimePrecision.APPROXIMATE
    return at, out, precision


def _apply(checkin: Checkin, sheet: PaperSheet, values: LineValues) -> None:
    """Overwrite a paper check-in with corrected values (a re-save or a settled review)."""
    decl = _declaration(sheet, values).cleaned()
    at, out, precision = _times(values)
    checkin.checked_in_at, checkin.checked_out_at, checkin.time_precision = at, out, precision
    for key in ("full_name", "birth_year", "sex", "id_number", "province", "ward", "address",
                "phone", "answers"):
        setattr(checkin, key, getattr(decl, key))
    checkin.search_name = fold(decl.full_name)
    checkin.has_symptoms = decl.has_symptoms


def get_line(sheet: PaperSheet, line_no: int) -> PaperLine | None:
    """The saved line `line_no` of the sheet, if any."""
    return db.session.scalar(select(PaperLine).where(PaperLine.sheet_id == sheet.id,
                                                     PaperLine.line_no == line_no))


def save_line(sheet: PaperSheet, line_no: int, values: LineValues, user) -> tuple[PaperLine, bool]:
    """Save line `line_no` as a paper check-in; saving it again updates the same check-in.

    Returns (line, created). Two concurrent first saves of one line collide on the unique
    (sheet, line) key; the caller rolls back and calls again, which then updates.
    """
    if not 1 <= line_no <= line_count(sheet):
        raise PaperError(_("This sheet has lines 1 to %(count)s.", count=line_count(sheet)))
    line = get_line(sheet, line_no)
    if line is not None and line.checkin is not None:
        _apply(line.checkin, sheet, values)
        line.first_values = values.as_json()
        line.keyed_by_id = user.id
        _mark_keying(sheet, user)
        return line, False
    at, out, precision = _times(values)
    checkin = record_checkin(sheet.batch.point, CheckinSource.PAPER, _declaration(sheet, values),
                             at=at, precision=precision, entered_by=user, checked_out_at=out)
    if line is None:
        line = PaperLine(commune_id=sheet.commune_id, sheet_id=sheet.id, line_no=line_no)
        db.session.add(line)
    line.checkin_id, line.first_values, line.keyed_by_id = checkin.id, values.as_json(), user.id
    _mark_keying(sheet, user)
    db.session.flush()
    db.session.expire(sheet, ["lines"])  # the new line belongs in the loaded collection
    return line, True


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


# --- double entry -------------------------------------------------------------------------------

COMPARED_FIELDS = ("day", "time_in", "time_out", "full_name", "birth_year", "sex", "id_number",
                   "phone", "province", "ward", "address", "symptoms")
NAME_FIELDS = ("full_name",)
FREE_TEXT_FIELDS = ("province", "ward", "address")
FIELD_LABELS = {
    "day": _l("Date"), "time_in": _l("Time in"), "time_out": _l("Time out"),
    "full_name": _l("Full name"), "birth_year": _l("Year of birth"), "sex": _l("Sex"),
    "id_number": _l("ID number"), "phone": _l("Phone"), "province": _l("Province / city"),
    "ward": _l("Commune / ward"), "address": _l("Village / address"),
    "symptoms": _l("Symptoms"), "line": _l("Line"),
}


def compare_values(first: dict | None, second: dict | None, *, ignore_diacritics: bool = True,
                   skip_free_text: bool = False) -> list[str]:
    """The fields where two keyings of one line disagree ("line" if one of them is missing).

    With `ignore_diacritics`, names and free text are compared without diacritics and case
    ("Nguyễn Văn An" = "NGUYEN VAN AN"); digits are always compared exactly.
    """
    if first is None or second is None:
        return ["line"]
    fields = [f for f in COMPARED_FIELDS if not (skip_free_text and f in FREE_TEXT_FIELDS)]
    fields += [f"q:{code}" for code in sorted(set(first.get("answers") or {})
                                              | set(second.get("answers") or {}))]
    differ = []
    for name in fields:
        if name.startswith("q:"):
            a = (first.get("answers") or {}).get(name[2:], [None])[0]
            b = (second.get("answers") or {}).get(name[2:], [None])[0]
        else:
            a, b = first.get(name), second.get(name)
        if isinstance(a, str) or isinstance(b, str):
            if name in NAME_FIELDS + FREE_TEXT_FIELDS and ignore_diacritics:
                a, b = fold(a or ""), fold(b or "")
            else:
                a, b = nfc(a or ""), nfc(b or "")
        if a != b:
            differ.append(name)
    return differ


def can_second_key(sheet: PaperSheet, user) -> str | None:
    """Why `user` may not key this sheet a second time, or None when they may."""
    if not sheet.needs_second_entry:
        return _("This sheet does not need a second keying.")
    if sheet.keyed_by_id == user.id or any(l.keyed_by_id == user.id for l in sheet.lines):
        return _("The second keying must be done by a different person than the first.")
    if sheet.status not in (SheetStatus.KEYED,):
        return _("The first keying of this sheet is not finished yet.")
    return None


def save_second_line(sheet: PaperSheet, line_no: int, values: LineValues, user) -> PaperLine:
    """Store the second keyer's values for one line (blind: nothing of the first is shown)."""
    if not 1 <= line_no <= line_count(sheet):
        raise PaperError(_("This sheet has lines 1 to %(count)s.", count=line_count(sheet)))
    line = get_line(sheet, line_no)
    if line is None:
        # The second keyer found a line the first one missed: kept, and shown as a disagreement.
        line = PaperLine(commune_id=sheet.commune_id, sheet_id=sheet.id, line_no=line_no)
        db.session.add(line)
    line.second_values, line.second_keyer_id = values.as_json(), user.id
    sheet.second_keyer_id = user.id
    db.session.flush()
    db.session.expire(sheet, ["lines"])  # the new line belongs in the loaded collection
    return line


def finish_second_keying(sheet: PaperSheet, user) -> int:
    """Compare both keyings line by line; verify the sheet at once if they agree everywhere.

    Returns the number of lines that disagree (to be settled by a reviewer).
    """
    batch = sheet.batch
    open_lines = 0
    for line in sheet.lines:
        differ = compare_values(line.first_values, line.second_values,
                                ignore_diacritics=batch.ignore_diacritics,
                                skip_free_text=batch.skip_free_text)
        line.disagreements = differ
        open_lines += bool(differ)
    sheet.second_keyed_at = utcnow()
    if open_lines == 0:
        sheet.status = SheetStatus.VERIFIED
        sheet.verified_at, sheet.verified_by_id = utcnow(), user.id
    record_event("second_key", sheet, user=user, details={"disagreements": open_lines})
    refresh_batch_status(batch)
    return open_lines


def unsettled_lines(sheet: PaperSheet) -> list[PaperLine]:
    """Lines whose two keyings disagree and that no reviewer has settled yet."""
    return [l for l in sheet.lines if l.disagreements and l.settled_at is None]


def settle_line(line: PaperLine, choice: dict, user) -> None:
    """The reviewer's decision: for each disagreeing field, "first" or "second" keyer's value."""
    sheet = line.sheet
    first, second = line.first_values, line.second_values
    if first is None and second is None:
        raise PaperError(_("Nothing was keyed on this line."))
    settled = dict(first or second)
    if first is not None and second is not None:
        for name in line.disagreements or []:
            if choice.get(name) == "second":
                if name.startswith("q:"):
                    settled.setdefault("answers", {})[name[2:]] = (second.get("answers") or {}).get(name[2:])
                else:
                    settled[name] = second.get(name)
    elif first is None and choice.get("line") != "second":
        settled = None  # the reviewer rejects a line only the second keyer saw
    elif second is None and choice.get("line") == "second":
        settled = None  # the reviewer rejects a line only the first keyer saw
    if settled is None:
        if line.checkin is not None:
            db.session.delete(line.checkin)
            line.checkin_id = None
    else:
        values = LineValues.from_json(settled)
        if line.checkin is not None:
            _apply(line.checkin, sheet, values)
        else:
            at, out, precision = _times(values)
            checkin = record_checkin(sheet.batch.point, CheckinSource.PAPER,
                                     _declaration(sheet, values), at=at, precision=precision,
                                     entered_by=user, checked_out_at=out)
            line.checkin_id = checkin.id
    line.settled_at, line.settled_by_id = utcnow(), user.id
    record_event("settle", line, user=user, details={"fields": ",".join(line.disagreements or [])})
    db.session.flush()
    if not unsettled_lines(sheet):
        sheet.status = SheetStatus.VERIFIED
        sheet.verified_at, sheet.verified_by_id = utcnow(), user.id
        refresh_batch_status(sheet.batch)


def agreement_by_keyer(commune_id: int) -> list[dict]:
    """Per keyer: lines compared, lines where both keyings agreed, and the agreement rate."""
    # Both keyers of the sheet answer for every compared line, including a line one of them
    # missed.
    lines = db.session.execute(
        select(PaperSheet.keyed_by_id, PaperSheet.second_keyer_id, PaperLine.disagreements)
        .join(PaperSheet, PaperLine.sheet_id == PaperSheet.id)
        .where(PaperLine.commune_id == commune_id, PaperLine.disagreements.is_not(None))).all()
    stats: dict[int, list[int]] = {}
    for first_id, second_id, differ in lines:
        for uid in {first_id, second_id} - {None}:
            entry = stats.setdefault(uid, [0, 0])
            entry[0] += 1
            entry[1] += 0 if differ else 1
    from registry.models import User
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(stats)))}
    rows = [{"user": users[uid], "compared": c, "agreed": a,
             "rate": round(100 * a / c, 1) if c else None} for uid, (c, a) in stats.items()]
    return sorted(rows, key=lambda r: r["user"].full_name)


# --- the backlog, the dashboard, retention -------------------------------------------------------

def backlog(commune: Commune, start: date | None = None, end: date | None = None) -> dict:
    """What is waiting: sheets collected but not keyed, keyed but not verified, batches due for
    destruction, and sheets that never came back. `start`/`end` filter on the collection day."""
    batches = db.session.scalars(
        select(PaperBatch).where(PaperBatch.commune_id == commune.id)
        .order_by(PaperBatch.printed_at.desc(), PaperBatch.id.desc())).all()
    today = local_today()

    def in_period(b):
        if start is None and end is None:
            return True
        if b.collected_on is None:
            return False
        return (start is None or b.collected_on >= start) and (end is None or b.collected_on <= end)

    result = {"not_keyed": [], "not_verified": [], "to_destroy": [], "missing": [],
              "out": [], "counts": {}}
    counts = _sheet_counts(commune.id)
    for b in batches:
        if not in_period(b):
            continue
        started, keyed, verified = counts.get(b.id, (0, 0, 0))
        b.figures = {"started": started, "keyed": keyed, "verified": verified}
        if b.status == BatchStatus.DESTROYED:
            continue
        if b.status in (BatchStatus.PRINTED, BatchStatus.HANDED):
            result["out"].append(b)
            continue
        returned = b.returned_count or 0
        if keyed < returned:
            result["not_keyed"].append((b, returned - keyed))
        if verified < keyed:
            result["not_verified"].append((b, keyed - verified))
        if b.missing_count:
            result["missing"].append((b, b.missing_count))
        due = destruction_due_on(b, commune.retention_days)
        if due is not None and due <= today:
            result["to_destroy"].append((b, due))
    result["counts"] = {
        "not_keyed": sum(n for _, n in result["not_keyed"]),
        "not_verified": sum(n for _, n in result["not_verified"]),
        "to_destroy": len(result["to_destroy"]),
        "missing": sum(n for _, n in result["missing"]),
    }
    return result


def _sheet_counts(commune_id: int) -> dict[int, tuple[int, int, int]]:
    """Per batch: sheets started, keyed (finished), verified."""
    rows = db.session.execute(
        select(PaperSheet.batch_id, PaperSheet.status, func.count())
        .where(PaperSheet.commune_id == commune_id, PaperSheet.status != SheetStatus.BLANK)
        .group_by(PaperSheet.batch_id, PaperSheet.status)).all()
    out: dict[int, list[int]] = {}
    for batch_id, status, n in rows:
        entry = out.setdefault(batch_id, [0, 0, 0])
        entry[0] += n
        if status in (SheetStatus.KEYED, SheetStatus.VERIFIED):
            entry[1] += n
        if status == SheetStatus.VERIFIED:
            entry[2] += n
    return {k: tuple(v) for k, v in out.items()}


def dashboard_figures(commune_id: int, start_day: date, end_day: date) -> list[dict]:
    """Paper figures for the dashboard: sheets collected and keyed in the period, and backlog."""
    from flask import url_for

    commune = db.session.get(Commune, commune_id)
    collected = db.session.scalar(
        select(func.coalesce(func.sum(PaperBatch.returned_count), 0))
        .where(PaperBatch.commune_id == commune_id, PaperBatch.collected_on >= start_day,
               PaperBatch.collected_on <= end_day)) or 0
    start_utc = local_to_utc(datetime.combine(start_day, time.min))
    end_utc = local_to_utc(datetime.combine(end_day + timedelta(days=1), time.min))
    keyed = db.session.scalar(
        select(func.count()).select_from(PaperSheet)
        .where(PaperSheet.commune_id == commune_id, PaperSheet.keyed_at >= start_utc,
               PaperSheet.keyed_at < end_utc)) or 0
    pending = backlog(commune)["counts"]
    url = url_for("paper.backlog_page", start=start_day.isoformat(), end=end_day.isoformat())
    return [
        {"key": "paper_collected", "label": _("Paper sheets collected"), "value": int(collected),
         "url": url},
        {"key": "paper_keyed", "label": _("Paper sheets keyed"), "value": int(keyed), "url": url},
        {"key": "paper_not_keyed", "label": _("Sheets waiting to be keyed"),
         "value": pending["not_keyed"], "url": url_for("paper.backlog_page")},
        {"key": "paper_to_destroy", "label": _("Batches due for destruction"),
         "value": pending["to_destroy"], "url": url_for("paper.backlog_page")},
    ]


def purge_personal_data(commune_id: int, cutoff_utc: datetime, held_checkin_ids: set[int]) -> int:
    """Delete the paper path's personal data older than the cutoff, except for held check-ins:
    the values keyed for double entry, and same-person links touching a check-in about to be
    purged. Returns the number of rows cleared or deleted."""
    from registry.models import PersonLink

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
    cleared = db.session.execute(lines.execution_options(synchronize_session=False)).rowcount or 0
    # A link is personal data too, and must not outlive either of its records.
    links = (PersonLink.__table__.delete()
             .where(PersonLink.commune_id == commune_id,
                    PersonLink.checkin_a_id.in_(old_checkins)
                    | PersonLink.checkin_b_id.in_(old_checkins)))
    deleted = db.session.execute(links).rowcount or 0
    return cleared + deleted


def sheet_lines_view(sheet: PaperSheet) -> list[dict]:
    """Lines as shown to the first keyer: number, name, time, warnings."""
    rows = []
    for line in sheet.lines:
        c = line.checkin
        rows.append({"line": line, "checkin": c,
                     "local": to_local(c.checked_in_at) if c is not None else None})
    return rows



# --- demo data -------------------------------------------------------------------------------

def seed_demo_data(commune, context, rng) -> None:
    """Demo paper: a batch at each custody step, keyed lines, one sheet awaiting double entry."""
    from registry.services.demo import VILLAGES, demo_person

    users, venues = context["users"], context["venues"]
    clerk, keyer = users["vanhoa"], users["nhaplieu"]
    today = local_today()
    market, station, shop = venues[11], venues[8], venues[17]
    create_batch(shop.points[0], FormKind.SLIP, 10, clerk, rng=rng)
    handed = create_batch(market.points[1], FormKind.LOG, 5, clerk, rng=rng)
    hand_batch(handed, clerk, today - timedelta(days=1), "Bà Nguyễn Thị Lan (ban quản lý chợ)")
    for point, double in ((market.points[0], DoubleEntry.NONE),
                          (station.points[0], DoubleEntry.FULL)):
        batch = create_batch(point, FormKind.LOG, 4, clerk, double_entry=double, rng=rng)
        hand_batch(batch, clerk, today - timedelta(days=4), "Anh Lê Văn Bảo (bảo vệ)")
        collect_batch(batch, clerk, today - timedelta(days=1), clerk.full_name, 3)
        for sheet in batch.sheets[:2]:
            for line_no in range(1, rng.randint(4, 9)):
                name, phone = demo_person(rng)
                values = LineValues(
                    day=today - timedelta(days=2), time_in=time(rng.randint(6, 17),
                                                                rng.choice((0, 15, 30, 45))),
                    time_in_exact=True, time_out=None, full_name=name,
                    birth_year=rng.randint(1945, 2010), phone=phone,
                    address=rng.choice(VILLAGES), symptoms=rng.random() < 0.05)
                save_line(sheet, line_no, values, keyer)
            finish_sheet(sheet, keyer)
    # The venue's staff declared two visitors on their behalf; one of them also wrote on paper,
    # so the clerk finds a "same person" suggestion waiting.
    from registry.services.people import suggest_links

    staff = users["diadiem"]
    paper_one = db.session.scalar(select(Checkin).where(Checkin.commune_id == commune.id,
                                                        Checkin.source == CheckinSource.PAPER)
                                  .order_by(Checkin.id))
    name, phone = demo_person(rng)
    for full_name, year, tel in ((paper_one.full_name.upper(), paper_one.birth_year,
                                  paper_one.phone), (name, 1958, phone)):
        record_checkin(station.points[0], CheckinSource.ON_BEHALF,
                       Declaration(full_name=full_name, birth_year=year, phone=tel,
                                   address=rng.choice(VILLAGES)), entered_by=staff)
    suggest_links(commune.id)
