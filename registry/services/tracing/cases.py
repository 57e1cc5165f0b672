"""Tracing cases: every search belongs to one; it holds the check-ins its searches saw against
the purge while it is open, and keeps its F1 contacts with a copy of their details."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from registry.extensions import db
from registry.models import (CaseContact, CaseHold, CaseSearch, CaseStatus, Checkin,
                             CheckinSource, FollowUp, Resident, Sex, TimePrecision, TracingCase)
from registry.formatting import phone_national, short_date, short_datetime
from registry.services.audit import record_event
from registry.timeutil import utcnow


def create_case(commune_id: int, user, *, index_label: str, index_date: date,
                index_date_kind: str, notes: str | None) -> TracingCase:
    """Open a tracing case."""
    case = TracingCase(commune_id=commune_id, index_label=index_label, index_date=index_date,
                       index_date_kind=index_date_kind, notes=notes,
                       created_by_id=user.id if user is not None else None)
    db.session.add(case)
    db.session.flush()
    return case


def set_case_status(case: TracingCase, status: CaseStatus) -> None:
    """Close a case (its legal hold ends) or reopen it."""
    case.status = status
    case.closed_at = utcnow() if status == CaseStatus.CLOSED else None


def hold_checkins(case: TracingCase, checkin_ids: set[int]) -> None:
    """Put the check-ins a case has seen on legal hold, until the case is closed."""
    if not checkin_ids:
        return
    have = set(db.session.scalars(select(CaseHold.checkin_id).where(
        CaseHold.case_id == case.id, CaseHold.checkin_id.in_(checkin_ids))))
    for cid in sorted(set(checkin_ids) - have):
        db.session.add(CaseHold(case_id=case.id, checkin_id=cid))
    db.session.flush()


def log_search(case: TracingCase, user, kind: str, params: dict, visit_count: int,
               contact_count: int, checkin_ids: set[int]) -> CaseSearch:
    """Keep a search with its case, and hold what it found."""
    search = CaseSearch(case_id=case.id, user_id=user.id if user is not None else None,
                        kind=kind, params=params, visit_count=visit_count,
                        contact_count=contact_count)
    db.session.add(search)
    hold_checkins(case, checkin_ids)
    return search


def _address(checkin: Checkin) -> str:
    return ", ".join(p for p in (checkin.address, checkin.ward, checkin.province) if p)


def add_contacts(case: TracingCase, user, checkin_ids: set[int],
                 uncertain_ids: set[int] = frozenset()) -> list[CaseContact]:
    """Record the chosen check-ins as F1 contacts of the case (once each), copying details."""
    existing = set(db.session.scalars(select(CaseContact.checkin_id).where(
        CaseContact.case_id == case.id)))
    rows = db.session.scalars(
        select(Checkin).options(joinedload(Checkin.venue), joinedload(Checkin.point))
        .where(Checkin.commune_id == case.commune_id, Checkin.id.in_(checkin_ids))
        .order_by(Checkin.checked_in_at)).all()
    added = []
    for row in rows:
        if row.id in existing:
            continue
        contact = CaseContact(
            case_id=case.id, checkin_id=row.id, full_name=row.full_name,
            birth_year=row.birth_year, sex=row.sex, id_number=row.id_number, phone=row.phone,
            address=_address(row)[:400] or None, venue_name=row.venue.name,
            point_name=row.point.name, visited_at=row.checked_in_at,
            time_precision=row.time_precision.value, source=row.source.value,
            is_certain=row.time_precision == TimePrecision.EXACT and row.id not in uncertain_ids,
            added_by_id=user.id if user is not None else None)
        db.session.add(contact)
        added.append(contact)
    db.session.flush()
    hold_checkins(case, {c.checkin_id for c in added})
    return added


def held_checkin_ids_query(commune_id: int):
    """A SELECT of the check-in ids on legal hold (seen by an open case) in a commune."""
    return (select(CaseHold.checkin_id).join(TracingCase, TracingCase.id == CaseHold.case_id)
            .where(TracingCase.commune_id == commune_id,
                   TracingCase.status == CaseStatus.OPEN))


def update_follow_up(contact: CaseContact, user, follow_up: FollowUp, notes: str | None,
                     reason: str) -> None:
    """Where the health station is with an F1 contact, and its note."""
    old = contact.follow_up.value
    contact.follow_up = follow_up
    contact.notes = notes or None
    record_event("follow_up", contact, user=user, commune_id=contact.case.commune_id,
                 reason=reason, details={"follow_up": [old, contact.follow_up.value]})


def visit_time(contact: CaseContact) -> str:
    """The time of contact as precisely as it is known."""
    if contact.time_precision == TimePrecision.DATE_ONLY.value:
        return _("%(day)s (date only)", day=short_date(contact.visited_at))
    if contact.time_precision == TimePrecision.APPROXIMATE.value:
        return _("about %(time)s", time=short_datetime(contact.visited_at))
    return short_datetime(contact.visited_at)


def f1_header() -> list[str]:
    """The column names of the F1 list, in the current language."""
    return [_("No."), _("Full name"), _("Year of birth"), _("Sex"), _("ID number"), _("Phone"),
            _("Address"), _("Place of contact"), _("Time"), _("Source"), _("Certain"),
            _("Follow-up"), _("Notes")]


def _card_holders(case: TracingCase) -> dict[int, Resident]:
    """{contact id: resident} of the case's card-scan contacts whose visit names the card's
    holder (one query for the whole list)."""
    rows = db.session.execute(
        select(CaseContact.id, Resident)
        .join(Checkin, Checkin.id == CaseContact.checkin_id)
        .join(Resident, Resident.id == Checkin.resident_id)
        .options(joinedload(Resident.village))
        .where(CaseContact.case_id == case.id,
               CaseContact.source == CheckinSource.CARD_SCAN.value))
    return {contact_id: resident for contact_id, resident in rows}


def f1_rows(case: TracingCase):
    """The F1 list's rows, as printed and exported. A card scan records little more than the
    card: its holder's year of birth, sex and address come from the resident register."""
    holders = _card_holders(case)
    for n, c in enumerate(case.contacts, start=1):
        birth_year, sex, address = c.birth_year, c.sex, c.address
        holder = holders.get(c.id)
        if holder is not None:
            birth_year = birth_year or holder.birth_year
            sex = sex or holder.sex
            address = address or ", ".join(p for p in (
                holder.address, holder.village.name if holder.village else None) if p)
        yield [n, c.full_name, birth_year or "", Sex.label_of(sex),
               c.id_number or "", phone_national(c.phone), address or "",
               f"{c.venue_name} — {c.point_name}", visit_time(c),
               CheckinSource.label_of(c.source), _("Yes") if c.is_certain else _("Less certain"),
               c.follow_up.label, c.notes or ""]
