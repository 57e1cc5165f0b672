"""Recording visits: the one door every source goes through (self-scan, card scan, paper,
on behalf), with the duplicate window, merging and check-out written once; and what a venue and
a phone see of their own visits.
"""
from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from sqlalchemy import bindparam, func, insert, or_, select

from registry.extensions import db
from registry.models import (Checkin, CheckinDailyCount, CheckinPoint, CheckinSource,
                             CheckoutReason, DeclarationQuestion, TimePrecision, Venue)
from registry.services.audit import record_event
from registry.services.checkin_writes import (insert_self_scan_unless_duplicate, insert_visit,
                                              lock_phone_at_point, serialise_at_point)
from registry.services.declarations import Declaration
from registry.text import fold
from registry.timeutil import local_day_bounds_utc, local_to_utc, local_today, to_local, utcnow

DEVICE_COOKIE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
# A visit left open longer than this is not offered for check-out any more (forgotten).
OPEN_VISIT_HOURS = 12
# The declaration's fields as a check-in stores them (search_name and has_symptoms follow).
DECLARATION_FIELDS = ("full_name", "id_number", "birth_year", "sex", "nationality", "province",
                      "ward", "address", "phone", "email", "answers")


class RecordedVisit:
    """The outcome of `record_visit`: the check-in, and whether it was merged into a recent one
    of the same person (a double tap, a second scan at the door) instead of counted again.

    The check-in may be given as what makes it (`make`, called on first use): a row written by
    plain SQL gets its object in the session only if someone asks for it."""

    def __init__(self, checkin: Checkin | None = None, merged: bool = False, *,
                 make: Callable[[], Checkin] | None = None):
        self._checkin, self._make, self.merged = checkin, make, merged

    @property
    def checkin(self) -> Checkin:
        if self._checkin is None:
            self._checkin = self._make()
        return self._checkin


def _write_declaration(checkin: Checkin, declaration: Declaration) -> None:
    """Copy a cleaned declaration onto a check-in, with its search key and symptom flag."""
    for key in DECLARATION_FIELDS:
        setattr(checkin, key, getattr(declaration, key))
    checkin.search_name = fold(declaration.full_name)
    checkin.has_symptoms = declaration.has_symptoms


# The self-scan's duplicate lookup, built once (a check-in's hottest query): the same phone, at
# the same point, in the window, with the same name or the same ID number (an ID number left
# out is NULL, which equals nothing). Only the id is read: nearly always there is none, and
# setting up a whole Checkin row's loading cost more than the query. Served by
# ix_checkins_device_point_time.
_CK = Checkin.__table__.c
_SELF_SCAN_DUPLICATE = (
    select(_CK.id).where(
        _CK.device_hash == bindparam("device_hash"), _CK.point_id == bindparam("point_id"),
        _CK.checked_in_at >= bindparam("since"), _CK.checked_in_at <= bindparam("until"),
        _CK.source == CheckinSource.SELF_SCAN,
        or_(_CK.search_name == bindparam("name_key"), _CK.id_number == bindparam("id_number")))
    .order_by(_CK.checked_in_at.desc(), _CK.id.desc()).limit(1))


def find_recent_duplicate(point: CheckinPoint, declaration: Declaration, *, minutes: int,
                          source: CheckinSource | None = None, device_hash: str | None = None,
                          resident_id: int | None = None,
                          now: datetime | None = None) -> Checkin | None:
    """The latest check-in of the same person at `point` within `minutes` (from `source` only,
    when given), if any.

    A self-scan only ever finds a check-in made by the same phone (`device_hash`, the same
    cookie): the same ID number or the same name on that phone. Anything else would let a
    stranger who knows someone's ID number overwrite their record, and learn from the answer
    that they were here.

    For the other sources (typed or scanned by staff) the same person is: the same resident (a
    card scan), the same ID number, or the same phone with the same name (diacritics and case
    ignored: a phone is shared within a family), or the same phone cookie with the same name.
    """
    now = now or utcnow()
    declaration = declaration.cleaned()
    name_key = fold(declaration.full_name)
    same_person = []
    if source == CheckinSource.SELF_SCAN:
        if not device_hash or minutes <= 0:
            return None
        found = db.session.scalar(_SELF_SCAN_DUPLICATE, {
            "point_id": point.id, "since": now - timedelta(minutes=minutes), "until": now,
            "device_hash": device_hash, "name_key": name_key,
            "id_number": declaration.id_number or None})
        # populate_existing: the request may have loaded this row before it took the point's
        # lock (the phone's previous check-in); the merge must start from the row as it is now.
        return (db.session.get(Checkin, found, populate_existing=True)
                if found is not None else None)
    else:
        if resident_id is not None:
            same_person.append(Checkin.resident_id == resident_id)
        if declaration.id_number:
            same_person.append(Checkin.id_number == declaration.id_number)
        if declaration.phone:
            same_person.append((Checkin.phone == declaration.phone)
                               & (Checkin.search_name == name_key))
        if device_hash:
            same_person.append((Checkin.device_hash == device_hash)
                               & (Checkin.search_name == name_key))
        if not same_person:
            return None
        who = [or_(*same_person)]
    if minutes <= 0:
        return None
    stmt = select(Checkin).where(Checkin.point_id == point.id,
                                 Checkin.checked_in_at >= now - timedelta(minutes=minutes),
                                 Checkin.checked_in_at <= now, *who)
    if source is not None:
        stmt = stmt.where(Checkin.source == source)
    # populate_existing: the request may have loaded this row before it took the point's lock
    # (the phone's previous check-in); the merge must start from the row as committed now.
    return db.session.scalars(
        stmt.order_by(Checkin.checked_in_at.desc(), Checkin.id.desc())
        .limit(1).execution_options(populate_existing=True)).first()


def _merge_into(checkin: Checkin, declaration: Declaration, device_hash: str | None) -> None:
    """A repeat joins the visit: the first arrival time stays, the newest declaration is kept
    (the person may have corrected a detail), and the visit is ongoing again."""
    kept = {key: getattr(checkin, key) for key in DECLARATION_FIELDS}
    for key in DECLARATION_FIELDS:
        value = getattr(declaration, key)
        # A detail left out this time keeps the earlier one; ID number and email are always
        # replaced (the person may have removed them on purpose).
        if value is None and key not in ("id_number", "email"):
            setattr(declaration, key, kept[key])
    _write_declaration(checkin, declaration)
    checkin.checked_out_at = None
    checkin.merge_count = (checkin.merge_count or 0) + 1
    if device_hash:
        checkin.device_hash = device_hash


def record_visit(point: CheckinPoint, source: CheckinSource, declaration: Declaration, *,
                 merge_minutes: int = 0, device_hash: str | None = None, resident=None,
                 card=None, at: datetime | None = None,
                 precision: TimePrecision = TimePrecision.EXACT, entered_by=None,
                 checked_out_at: datetime | None = None, alone: bool = False) -> RecordedVisit:
    """Record a visit at `point`, or merge it into a recent visit of the same person.

    `merge_minutes` is the duplicate window (0: always a new visit, as for keyed paper lines);
    `device_hash` names the phone of a self-scan, `resident` and `card` the card of a card scan,
    `entered_by` the staff member who typed it. `alone`: this visit is all its unit of work
    writes, so a phone's new visit may be committed by the statement that writes it
    (services/checkin_writes.py, on SQLite).
    """
    declaration = declaration.cleaned()
    now = utcnow()
    values = {
        "commune_id": point.venue.commune_id, "venue_id": point.venue_id, "point_id": point.id,
        "source": source, "checked_in_at": at or now, "checked_out_at": checked_out_at,
        "time_precision": precision, "device_hash": device_hash,
        "resident_id": resident.id if resident is not None else None,
        "card_id": card.id if card is not None else None,
        "entered_by_id": entered_by.id if entered_by is not None else None,
        "created_at": now, "merge_count": 0,
        **{key: getattr(declaration, key) for key in DECLARATION_FIELDS},
        "search_name": fold(declaration.full_name), "has_symptoms": declaration.has_symptoms}
    if source == CheckinSource.SELF_SCAN and device_hash and at is None and merge_minutes > 0:
        # A phone's own check-in: the look and the INSERT in one statement, the phone alone
        # locked (services/checkin_writes.py); a repeat is merged below, under that lock.
        lock_phone_at_point(point.id, device_hash)
        written = insert_self_scan_unless_duplicate(values, minutes=merge_minutes,
                                                    name_key=values["search_name"],
                                                    alone=alone)
        if written is not None:
            return RecordedVisit(make=written)
    elif merge_minutes > 0:
        serialise_at_point(point)
    # Only a visit of the same source is merged into: a card scan must not overwrite the answers
    # a visitor gave on their phone, nor a stranger's phone a declaration typed by staff (and a
    # self-scan only into one made by the same phone, see find_recent_duplicate).
    # A visit with its own time (a scan sent late by an offline station) is compared with the
    # visits just before that time, not with the visits of the moment it arrives.
    existing = find_recent_duplicate(point, declaration, minutes=merge_minutes, source=source,
                                     device_hash=device_hash,
                                     resident_id=resident.id if resident is not None else None,
                                     now=at)
    if existing is not None:
        _merge_into(existing, declaration, device_hash)
        db.session.flush()
        return RecordedVisit(existing, merged=True)
    return RecordedVisit(insert_visit(values), merged=False)


def record_checkin(point: CheckinPoint, source: CheckinSource, declaration: Declaration,
                   **options) -> Checkin:
    """`record_visit` without a duplicate window: always a new visit (a keyed paper line, a
    declaration typed by staff); returns the check-in."""
    return record_visit(point, source, declaration, **options).checkin


def record_visits_in_bulk(rows: list[dict]) -> None:
    """Insert many finished visits at once (demo data): each row holds the check-in's columns,
    its declaration already clean."""
    if rows:
        db.session.execute(insert(Checkin), rows)


def update_visit(checkin: Checkin, declaration: Declaration, *, at: datetime,
                 checked_out_at: datetime | None, precision: TimePrecision) -> None:
    """Overwrite a typed visit with corrected values (a paper line saved again, a settled
    double-entry review)."""
    _write_declaration(checkin, declaration.cleaned())
    checkin.checked_in_at, checkin.checked_out_at = at, checked_out_at
    checkin.time_precision = precision


def declare_on_behalf(point: CheckinPoint, declaration: Declaration, user, *,
                      time_in: tuple[time, bool] | None = None) -> Checkin:
    """A visitor's declaration typed by staff (khai báo hộ), today at `time_in` (the time and
    whether its minutes are known) or now; the record keeps who typed it."""
    at, precision = None, TimePrecision.EXACT
    if time_in:
        at = local_to_utc(datetime.combine(local_today(), time_in[0]))
        precision = TimePrecision.EXACT if time_in[1] else TimePrecision.APPROXIMATE
    checkin = record_checkin(point, CheckinSource.ON_BEHALF, declaration, at=at,
                             precision=precision, entered_by=user)
    record_event("create", checkin, user=user, details={"source": "on_behalf",
                                                        "point": point.name})
    return checkin


def open_visit(point: CheckinPoint, *, since: datetime, device_hash: str | None = None,
               resident_id: int | None = None) -> Checkin | None:
    """The latest visit at `point` since `since` that is not checked out yet, of this phone
    (`device_hash`) or this resident (`resident_id`)."""
    if device_hash:
        # The phone's own visit, not the household members it declared for alongside.
        who = (Checkin.device_hash == device_hash) & Checkin.companion_of_id.is_(None)
    elif resident_id is not None:
        who = Checkin.resident_id == resident_id
    else:
        return None
    return db.session.scalars(
        select(Checkin).where(Checkin.point_id == point.id, who, Checkin.checked_in_at >= since,
                              Checkin.checked_out_at.is_(None))
        .order_by(Checkin.checked_in_at.desc(), Checkin.id.desc()).limit(1)).first()


def check_out(visit: Checkin, at: datetime | None = None,
              reason: CheckoutReason = CheckoutReason.MANUAL) -> None:
    """Record the time the visitor left (by hand, unless the closing time closed the visit)."""
    visit.checked_out_at = at or utcnow()
    visit.checkout_reason = reason
    db.session.flush()


# --- household members who came along ------------------------------------------------------

def record_companion_visit(point: CheckinPoint, source: CheckinSource, declaration: Declaration,
                           with_visit: Checkin, **options) -> RecordedVisit:
    """A household member's own visit (`record_visit` with their own declaration), marked as
    having come along with the person of `with_visit`."""
    visit = record_visit(point, source, declaration, **options)
    visit.checkin.companion_of_id = with_visit.id
    db.session.flush()
    return visit


def companions_of(visit: Checkin) -> list[Checkin]:
    """The household members recorded as having come along with `visit`, in order."""
    return list(db.session.scalars(select(Checkin).where(Checkin.companion_of_id == visit.id)
                                   .order_by(Checkin.id)))


def phone_household(commune_id: int, dev_hash: str | None, limit: int = 6) -> list[Checkin]:
    """The people this phone has declared for in the commune (kept for the retention period):
    the latest visit of each (name and year of birth), latest first."""
    if not dev_hash:
        return []
    seen, people = set(), []
    for row in db.session.scalars(
            select(Checkin).where(Checkin.commune_id == commune_id,
                                  Checkin.device_hash == dev_hash)
            .order_by(Checkin.checked_in_at.desc(), Checkin.id.desc()).limit(200)):
        key = (row.search_name, row.birth_year)
        if key not in seen:
            seen.add(key)
            people.append(row)
    return people[:limit]


# --- the phone of a self-scan --------------------------------------------------------------

def device_hash(cookie_value: str | None) -> str | None:
    """The stored key of a phone: SHA-256 of its random cookie (None for a missing/odd cookie)."""
    if not cookie_value or not DEVICE_COOKIE_PATTERN.match(cookie_value):
        return None
    return hashlib.sha256(cookie_value.encode()).hexdigest()


def open_phone_visit(point: CheckinPoint, dev_hash: str | None) -> Checkin | None:
    """This phone's latest visit at `point` that has not been checked out (last 12 hours)."""
    return open_visit(point, since=utcnow() - timedelta(hours=OPEN_VISIT_HOURS),
                      device_hash=dev_hash)


def previous_checkin(commune_id: int, dev_hash: str | None) -> Checkin | None:
    """This phone's latest check-in in the commune (kept only for the retention period)."""
    if not dev_hash:
        return None
    # The phone owner's own declaration, not a household member's declared alongside.
    return db.session.scalars(
        select(Checkin).where(Checkin.commune_id == commune_id, Checkin.device_hash == dev_hash,
                              Checkin.companion_of_id.is_(None))
        .order_by(Checkin.checked_in_at.desc(), Checkin.id.desc()).limit(1)).first()


def declaration_from_checkin(checkin: Checkin) -> Declaration:
    """The identity part of an earlier declaration (answers are handled separately)."""
    return Declaration(
        full_name=checkin.full_name, birth_year=checkin.birth_year, sex=checkin.sex,
        id_number=checkin.id_number, nationality=checkin.nationality,
        province=checkin.province, ward=checkin.ward, address=checkin.address,
        phone=checkin.phone, email=checkin.email)


def repeat_answers(checkin: Checkin, questions: list[DeclarationQuestion]) -> dict | None:
    """Yesterday's answers for today's questions, or None if a question is new since then
    (the visitor must then answer on the full form)."""
    stored = {}
    for q in questions:
        old = (checkin.answers or {}).get(q.code)
        if not old or old.get("answer") is None:
            return None
        stored[q.code] = {"question": q.text, "answer": old["answer"],
                          "details": old.get("details") if old["answer"] else None,
                          "is_symptom": q.is_symptom}
    return stored


def self_scan(point: CheckinPoint, declaration: Declaration, dev_hash: str,
              merge_minutes: int, *, alone: bool = False) -> RecordedVisit:
    """A visitor's own check-in from the poster, merged with a recent one of the same person
    (`alone`: nothing else is written with it, see `record_visit`)."""
    return record_visit(point, CheckinSource.SELF_SCAN, declaration,
                        merge_minutes=merge_minutes, device_hash=dev_hash, alone=alone)


# --- a venue's own visitors ----------------------------------------------------------------

def todays_checkins(venue: Venue) -> list[Checkin]:
    """The venue's check-ins of today (Vietnamese day), latest first."""
    start, end = local_day_bounds_utc(local_today())
    return list(db.session.scalars(
        select(Checkin).where(Checkin.venue_id == venue.id, Checkin.checked_in_at >= start,
                              Checkin.checked_in_at < end)
        .order_by(Checkin.checked_in_at.desc(), Checkin.id.desc())))


def daily_counts(venue: Venue, days: int = 14) -> list[dict]:
    """Check-ins per local day for the last `days` days, by source, purged ones included."""
    today = local_today()
    first = today - timedelta(days=days - 1)
    start, _ = local_day_bounds_utc(first)
    _, end = local_day_bounds_utc(today)
    counts: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = db.session.execute(
        select(Checkin.checked_in_at, Checkin.source)
        .where(Checkin.venue_id == venue.id, Checkin.checked_in_at >= start,
               Checkin.checked_in_at < end))
    for at, source in rows:
        counts[to_local(at).date()][source.value] += 1
    purged = db.session.execute(
        select(CheckinDailyCount.day, CheckinDailyCount.source,
               func.sum(CheckinDailyCount.count))
        .where(CheckinDailyCount.venue_id == venue.id, CheckinDailyCount.day >= first,
               CheckinDailyCount.day <= today)
        .group_by(CheckinDailyCount.day, CheckinDailyCount.source))
    for day, source, count in purged:
        counts[day][source.value] += int(count or 0)
    result = []
    for offset in range(days):
        day = today - timedelta(days=offset)
        by_source = counts.get(day, {})
        result.append({"day": day, "total": sum(by_source.values()),
                       **{s.value: by_source.get(s.value, 0) for s in CheckinSource}})
    return result
