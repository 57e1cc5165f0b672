"""Double entry: a second keyer keys the sheet blind, the two keyings are compared field by
field, and a reviewer settles every difference."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from registry.extensions import db
from registry.models import FormKind, PaperBatch, PaperLine, PaperSheet, SheetStatus, User
from registry.services.audit import record_event
from registry.services.paper import PaperError
from registry.services.paper.custody import refresh_batch_status
from registry.services.paper.keying import LineValues, get_line, line_count, write_line
from registry.text import fold, nfc
from registry.timeutil import utcnow


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


def settle_line(line: PaperLine, choice: dict, user, typed: dict | None = None) -> None:
    """The reviewer's decision: for each disagreeing field, the "first" or "second" keyer's
    value, or "typed": a third value the reviewer read on the paper (`typed[name]`, already
    parsed to the stored form)."""
    sheet = line.sheet
    first, second = line.first_values, line.second_values
    if first is None and second is None:
        raise PaperError(_("Nothing was keyed on this line."))
    settled = dict(first or second)
    if first is not None and second is not None:
        for name in line.disagreements or []:
            picked = choice.get(name)
            if picked not in ("second", "typed"):
                continue
            if name.startswith("q:"):
                answers = settled.setdefault("answers", {})
                answers[name[2:]] = ([(typed or {}).get(name), None] if picked == "typed"
                                     else (second.get("answers") or {}).get(name[2:]))
            else:
                settled[name] = (typed or {}).get(name) if picked == "typed" \
                    else second.get(name)
    elif first is None and choice.get("line") != "second":
        settled = None  # the reviewer rejects a line only the second keyer saw
    elif second is None and choice.get("line") == "second":
        settled = None  # the reviewer rejects a line only the first keyer saw
    if settled is None:
        if line.checkin is not None:
            db.session.delete(line.checkin)
            line.checkin_id = None
    else:
        write_line(line, sheet, LineValues.from_json(settled), user)
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
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(stats)))}
    rows = [{"user": users[uid], "compared": c, "agreed": a,
             "rate": round(100 * a / c, 1) if c else None} for uid, (c, a) in stats.items()]
    return sorted(rows, key=lambda r: r["user"].full_name)


# Boxes a printed form does not have, so its keyings never differ there (the log sheet has no
# ID number, sex, province or ward; the slip no time out or symptom column).
_NOT_ON_THE_FORM = {FormKind.LOG: {"id_number", "sex", "province", "ward"},
                    FormKind.SLIP: {"time_out", "symptoms"}}


def agreement_by_field(commune_id: int) -> list[dict]:
    """Per compared field: lines compared, lines where both keyings agreed on it, the rate;
    the fields that differ most first, so the reviewer sees where keyers go wrong."""
    rows = db.session.execute(
        select(PaperLine.disagreements, PaperLine.first_values, PaperLine.second_values,
               PaperBatch.skip_free_text, PaperBatch.kind)
        .join(PaperSheet, PaperLine.sheet_id == PaperSheet.id)
        .join(PaperBatch, PaperSheet.batch_id == PaperBatch.id)
        .where(PaperLine.commune_id == commune_id, PaperLine.disagreements.is_not(None))).all()
    stats: dict[str, list[int]] = {}
    for differ, first, second, skip_free_text, kind in rows:
        if "line" in (differ or []):
            names = ["line"]
        else:
            names = [f for f in COMPARED_FIELDS if not (skip_free_text and f in FREE_TEXT_FIELDS)
                     and f not in _NOT_ON_THE_FORM[kind]]
            names += [f"q:{code}" for code in sorted(set((first or {}).get("answers") or {})
                                                     | set((second or {}).get("answers") or {}))]
        for name in names:
            entry = stats.setdefault(name, [0, 0])
            entry[0] += 1
            entry[1] += name not in (differ or [])
    result = [{"field": name, "compared": c, "agreed": a,
               "rate": round(100 * a / c, 1) if c else None} for name, (c, a) in stats.items()]
    order = {name: i for i, name in enumerate(("line",) + COMPARED_FIELDS)}
    return sorted(result, key=lambda r: (r["rate"], order.get(r["field"], len(order)),
                                         r["field"]))
