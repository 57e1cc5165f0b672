"""Tracing searches: a person's visits across all four sources and who overlapped each, everyone
at a venue in a time window, and everything held about one person (for their own request)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import ARRAY, any_, bindparam, literal, or_, select, union_all
from sqlalchemy.orm import aliased, joinedload

from registry import signals
from registry.extensions import db
from registry.idnumbers import normalise_id_number
from registry.models import (CaseContact, Checkin, CheckinPoint, CheckinSource, CheckoutReason,
                             TimePrecision, TracingCase, Venue)
from registry.phones import PhoneError, parse_phone
from registry.text import fold, like_pattern, nfc
from registry.timeutil import local_day_bounds_utc, to_local

DEFAULT_WINDOW_MINUTES = 30
# A paper row with a rough time ("buổi sáng", "khoảng 9 giờ") is taken as ± 2 hours.
APPROXIMATE_SPREAD = timedelta(hours=2)
# How long a visit without a check-out time is taken to last, unless its venue says otherwise.
# A visit closed automatically at closing time counts as one without a check-out time.
DEFAULT_STAY = timedelta(0)
# No visit is assumed longer than this; bounds the indexed range scan for overlaps.
MAX_SPAN = timedelta(hours=24)
MAX_VISITS = 500
# Visits whose overlaps are looked up in one statement (a UNION ALL of one indexed range scan per
# visit; SQLite allows 500 parts to a compound statement).
VISITS_PER_STATEMENT = 100


class SearchError(ValueError):
    """The search cannot run as asked (message is for the user)."""


@dataclass
class Visit:
    """A check-in with the time interval it is taken to cover."""

    checkin: Checkin
    start: datetime
    end: datetime
    is_certain: bool
    is_linked: bool = False
    contacts: list[Contact] = field(default_factory=list)
    # No real exit time (none given, or closed automatically): the interval assumes `stay`.
    exit_assumed: bool = False
    stay: timedelta = DEFAULT_STAY

    @property
    def stay_minutes(self) -> int:
        """The assumed stay in whole minutes (for the page)."""
        return int(self.stay.total_seconds() // 60)


@dataclass(frozen=True, slots=True)
class ContactRecord:
    """What the contact lists show of a contact's check-in. Read as plain columns, not as ORM
    rows: one person's visits can overlap a thousand others, and building a thousand ORM
    objects was most of the search's time."""

    id: int
    full_name: str
    birth_year: int | None
    id_number: str | None
    phone: str | None
    checked_in_at: datetime
    checked_out_at: datetime | None
    checkout_reason: CheckoutReason | None
    source: CheckinSource
    time_precision: TimePrecision
    companion_name: str | None  # the household member they came with, if any

    @property
    def closed_automatically(self) -> bool:
        """Whether the exit time is the venue's closing time, not a real check-out."""
        return self.checkout_reason == CheckoutReason.AUTOMATIC


@dataclass
class Contact:
    """Someone at the same point at an overlapping time."""

    checkin: ContactRecord
    is_certain: bool


@dataclass
class Candidate:
    """One of several people with the name searched for, to choose from before tracing."""

    full_name: str
    birth_year: int | None
    id_number: str | None
    phone: str | None
    visit_count: int
    last_at: datetime

    @property
    def query(self) -> tuple[str, str] | None:
        """(kind, value) that traces exactly this person, if they left an ID or a phone."""
        if self.id_number:
            return "id", self.id_number
        if self.phone:
            return "phone", self.phone
        return None


@dataclass
class PersonResult:
    """The visits of the person searched for, each with its contacts; or, when a name belongs
    to several people, the candidates to choose from."""

    visits: list[Visit]
    kind: str
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def contact_count(self) -> int:
        return sum(len(v.contacts) for v in self.visits)

    def all_checkin_ids(self) -> set[int]:
        ids = {v.checkin.id for v in self.visits}
        for v in self.visits:
            ids.update(c.checkin.id for c in v.contacts)
        return ids


def interval_of(checked_in_at: datetime, checked_out_at: datetime | None,
                precision: TimePrecision, window: timedelta = timedelta(0),
                stay: timedelta = DEFAULT_STAY) -> tuple[datetime, datetime, bool]:
    """(start, end, is_certain) of the time a visit covers, widened by `window` each side.

    Exact rows cover check-in to check-out (or, without one, the venue's usual `stay`); a rough
    time covers ± 2 hours; a row with only a date covers the whole local day. Both widened ones
    are less certain.
    """
    if precision == TimePrecision.DATE_ONLY:
        start, end = local_day_bounds_utc(to_local(checked_in_at).date())
        return start - window, end + window, False
    if precision == TimePrecision.APPROXIMATE:
        return (checked_in_at - APPROXIMATE_SPREAD - window,
                checked_in_at + APPROXIMATE_SPREAD + window, False)
    end = max(checked_out_at or checked_in_at + stay, checked_in_at)
    return checked_in_at - window, end + window, True


def venue_stay(venue: Venue | None) -> timedelta:
    """How long a visit without an exit time is taken to last at `venue`."""
    if venue is None or not venue.default_stay_minutes:
        return DEFAULT_STAY
    return timedelta(minutes=venue.default_stay_minutes)


def real_exit(checked_out_at: datetime | None, reason) -> datetime | None:
    """The exit time tracing may rely on: none when the closing time closed the visit (the
    person left at some unknown time before)."""
    return None if reason == CheckoutReason.AUTOMATIC else checked_out_at


def checkin_interval(checkin: Checkin, window: timedelta = timedelta(0)):
    """`interval_of` for a loaded check-in (its venue's usual stay when it has no exit)."""
    return interval_of(checkin.checked_in_at,
                       real_exit(checkin.checked_out_at, checkin.checkout_reason),
                       checkin.time_precision, window, venue_stay(checkin.venue))


# A card number as printed (six digits, "000252"), with or without the word before it.
_CARD_TYPED = re.compile(r"(?:(?:so )?the(?: so)?|card(?: no\.?)?)?\s*((?:\d ?){5}\d)")


def classify_query(text: str, kind: str = "auto") -> tuple[str, str]:
    """(kind, normalised value) of what the user typed: name, phone, id or card.

    With kind "auto": 10 digits from 0 (or +84…) is a phone, 9 or 12 digits or a letter and 7–8
    digits an ID number, 6 digits a resident card number as printed on the card ("000252",
    also "thẻ 000252"), anything else a name. SearchError names what is wrong.
    """
    text = nfc(text) or ""
    if not text:
        raise SearchError("empty")
    compact = re.sub(r"[\s.\-()]", "", text)
    if kind == "auto":
        card = _CARD_TYPED.fullmatch(fold(text))
        if card:
            kind, text = "card", card.group(1).replace(" ", "")
    if kind == "card":  # card numbers may carry dashes; only spaces are dropped
        return "card", re.sub(r"\s", "", text).upper()
    if kind == "auto":
        if re.fullmatch(r"(0\d{9}|\+?84\d{9})", compact):
            kind = "phone"
        elif normalise_id_number(compact):
            kind = "id"
        elif re.fullmatch(r"\+?\d+", compact):
            kind = "phone"
        else:
            kind = "name"
    if kind == "id":
        id_number = normalise_id_number(compact)
        if id_number is None:
            raise SearchError("id")
        return "id", id_number
    if kind == "phone":
        try:
            return "phone", parse_phone(compact).e164
        except PhoneError:
            raise SearchError("phone") from None
    if len(fold(text)) < 2:
        raise SearchError("short")
    return "name", text


def id_among(column, ids):
    """`column IN ids`. On PostgreSQL the ids go as one array (`= ANY(:ids)`): a thousand ids are
    one parameter to send and plan, not a thousand."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(column.type)))
    return column.in_(ids)


def matching_checkin_ids(commune_id: int, kind: str, value: str) -> set[int]:
    """Ids of the check-ins whose declaration matches (the dates are filtered afterwards: one
    person has few records, and a date condition here would tempt SQLite into the wrong index).
    """
    ids: set[int] = set()
    if kind == "id":
        ids = _ids_in_commune(commune_id, Checkin.id_number == value)
    elif kind == "phone":
        ids = _ids_in_commune(commune_id, Checkin.phone == value)
    elif kind == "card":
        for found in signals.collect(signals.card_checkin_ids, commune_id, card_number=value):
            ids |= set(found)
    else:
        # The whole name first (uses the index); only when nobody has it, a part of a name.
        ids = _ids_in_commune(commune_id, Checkin.search_name == fold(value))
        if not ids:
            ids = _ids_in_commune(commune_id, Checkin.search_name.like(like_pattern(value),
                                                                        escape="\\"))
    return ids


def _ids_in_commune(commune_id: int, condition) -> set[int]:
    """Ids of one commune's check-ins matching `condition` (on the name, phone or ID number),
    read through the (commune, name / phone / ID number) indexes: the other communes of a
    province, a hundred times the rows and the same common names, are never read."""
    return set(db.session.scalars(
        select(Checkin.id).where(Checkin.commune_id == commune_id, condition)))


def expand_linked(commune_id: int, ids: set[int]) -> set[int]:
    """The same people's other records: same ID number, and whatever the expanders link."""
    if not ids:
        return set()
    linked = set(ids)
    id_numbers = {n for n in db.session.scalars(
        select(Checkin.id_number).where(id_among(Checkin.id, ids),
                                        Checkin.id_number.is_not(None)))}
    if id_numbers:
        linked |= _ids_in_commune(commune_id, Checkin.id_number.in_(id_numbers))
    for found in signals.collect(signals.linked_checkin_ids, commune_id,
                                 checkin_ids=set(linked)):
        linked |= set(found)
    return linked


def overlapping(point_id: int, start: datetime, end: datetime,
                exclude: set[int] = frozenset()) -> list[Contact]:
    """Everyone at `point_id` whose visit overlaps [start, end], in time order.

    The indexed range scan reads only the times; the rows are loaded for the matches.
    """
    return load_contacts(overlapping_ids([(point_id, start, end)], exclude))[0]


def _overlap_candidates(visit: int, point_id: int, stay: timedelta, start: datetime,
                        end: datetime):
    """The indexed range scan for one visit: the rows at `point_id` that can overlap
    [start, end]. Only rows that can overlap leave the index (the exact test is in Python): a
    row starts at most APPROXIMATE_SPREAD before its time, except a date-only row, and ends
    within max(stay, APPROXIMATE_SPREAD) of it, except when it has an exit time or only a
    date. Every column is in the (point, time, exit, precision, reason, id) index."""
    date_only = Checkin.time_precision == TimePrecision.DATE_ONLY
    return (select(literal(visit).label("visit"), Checkin.id, Checkin.checked_in_at,
                   Checkin.checked_out_at, Checkin.time_precision, Checkin.checkout_reason)
            .where(Checkin.point_id == point_id, Checkin.checked_in_at >= start - MAX_SPAN,
                   Checkin.checked_in_at <= end + MAX_SPAN,
                   or_(Checkin.checked_in_at <= end + APPROXIMATE_SPREAD, date_only),
                   or_(Checkin.checked_in_at >= start - max(stay, APPROXIMATE_SPREAD),
                       Checkin.checked_out_at >= start, date_only)))


def overlapping_ids(windows: list[tuple[int, datetime, datetime]],
                    exclude: set[int] = frozenset()) -> list[dict[int, bool]]:
    """For each (point id, start, end): the check-ins at that point whose visit overlaps it,
    each with whether the overlap is certain. Only the index is read, in one statement per
    VISITS_PER_STATEMENT windows (a round trip each, not one per visit)."""
    stays = {}
    for point_id, _, _ in windows:
        if point_id not in stays:
            point = db.session.get(CheckinPoint, point_id)
            stays[point_id] = venue_stay(point.venue if point is not None else None)
    found: list[dict[int, bool]] = [{} for _ in windows]
    for first in range(0, len(windows), VISITS_PER_STATEMENT):
        parts = [_overlap_candidates(n, point_id, stays[point_id], start, end)
                 for n, (point_id, start, end) in
                 enumerate(windows[first:first + VISITS_PER_STATEMENT], start=first)]
        statement = parts[0] if len(parts) == 1 else union_all(*parts)
        for n, cid, c_in, c_out, precision, reason in db.session.execute(statement):
            if cid in exclude:
                continue
            point_id, start, end = windows[n]
            c_start, c_end, is_certain = interval_of(c_in, real_exit(c_out, reason),
                                                     TimePrecision(precision),
                                                     stay=stays[point_id])
            if c_start <= end and c_end >= start:
                found[n][cid] = is_certain
    return found


_COMPANION = aliased(Checkin)


def load_contacts(found: list[dict[int, bool]]) -> list[list[Contact]]:
    """The contacts of several visits (check-in id → certain, per visit), each list in time
    order; the rows of all of them are read in one statement, not one per visit."""
    wanted = set().union(*found) if found else set()
    if not wanted:
        return [[] for _ in found]
    rows = db.session.execute(
        select(Checkin.id, Checkin.full_name, Checkin.birth_year, Checkin.id_number,
               Checkin.phone, Checkin.checked_in_at, Checkin.checked_out_at,
               Checkin.checkout_reason, Checkin.source, Checkin.time_precision,
               _COMPANION.full_name)
        .outerjoin(_COMPANION, _COMPANION.id == Checkin.companion_of_id)
        .where(id_among(Checkin.id, wanted))
        .order_by(Checkin.checked_in_at, Checkin.id)).all()
    records = [ContactRecord(*row) for row in rows]
    return [[Contact(checkin=record, is_certain=certain[record.id]) for record in records
             if record.id in certain] for certain in found]


def name_candidates(ids: set[int], start: datetime, end: datetime) -> list[Candidate]:
    """The distinct people among these check-ins: records sharing an ID number or a phone are
    one person; records with neither are told apart by name and year of birth."""
    if not ids:
        return []
    rows = db.session.execute(
        select(Checkin.id, Checkin.full_name, Checkin.birth_year, Checkin.id_number,
               Checkin.phone, Checkin.checked_in_at, Checkin.search_name)
        .where(id_among(Checkin.id, ids), Checkin.checked_in_at >= start - MAX_SPAN,
               Checkin.checked_in_at < end)).all()
    parent: dict = {}

    def find(key):
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for row in rows:
        keys = [k for k in (("id", row.id_number), ("phone", row.phone)) if k[1]]
        keys = keys or [("name", row.search_name, row.birth_year)]
        for other in keys[1:]:
            parent[find(other)] = find(keys[0])
        find(keys[0])
    groups: dict = {}
    for row in rows:
        keys = [k for k in (("id", row.id_number), ("phone", row.phone)) if k[1]]
        root = find((keys or [("name", row.search_name, row.birth_year)])[0])
        groups.setdefault(root, []).append(row)
    candidates = []
    for members in groups.values():
        members.sort(key=lambda r: r.checked_in_at)
        last = members[-1]
        candidates.append(Candidate(
            full_name=last.full_name,
            birth_year=next((r.birth_year for r in reversed(members) if r.birth_year), None),
            id_number=next((r.id_number for r in reversed(members) if r.id_number), None),
            phone=next((r.phone for r in reversed(members) if r.phone), None),
            visit_count=len(members), last_at=last.checked_in_at))
    candidates.sort(key=lambda c: c.last_at, reverse=True)
    return candidates


def person_search(commune_id: int, query: str, kind: str, day_from: date, day_to: date,
                  window_minutes: int = DEFAULT_WINDOW_MINUTES,
                  all_namesakes: bool = False) -> PersonResult:
    """A person's visits between two local days and, for each, who was there at the same time.

    A name shared by several people gives the candidates instead (trace narrowly: the user picks
    the person), unless `all_namesakes` asks to trace them all.
    """
    kind, value = classify_query(query, kind)
    start, _ = local_day_bounds_utc(day_from)
    _, end = local_day_bounds_utc(day_to)
    direct = matching_checkin_ids(commune_id, kind, value)
    if kind == "name" and not all_namesakes:
        candidates = name_candidates(direct, start, end)
        if len(candidates) > 1:
            return PersonResult(visits=[], kind=kind, candidates=candidates)
    ids = expand_linked(commune_id, direct)
    window = timedelta(minutes=window_minutes)
    visits_rows = db.session.scalars(
        select(Checkin).options(joinedload(Checkin.venue), joinedload(Checkin.point))
        .where(id_among(Checkin.id, ids), Checkin.checked_in_at >= start - MAX_SPAN,
               Checkin.checked_in_at < end)
        .order_by(Checkin.checked_in_at, Checkin.id).limit(MAX_VISITS)).all() if ids else []
    visits = []
    for row in visits_rows:
        v_start, v_end, certain = checkin_interval(row, window)
        if v_end < start:
            continue
        visits.append(Visit(checkin=row, start=v_start, end=v_end, is_certain=certain,
                            is_linked=row.id not in direct,
                            exit_assumed=real_exit(row.checked_out_at,
                                                   row.checkout_reason) is None,
                            stay=venue_stay(row.venue)))
    found = overlapping_ids([(v.checkin.point_id, v.start, v.end) for v in visits], exclude=ids)
    for visit, contacts in zip(visits, load_contacts(found)):
        for contact in contacts:
            # A contact is only as certain as the less certain of the two records.
            contact.is_certain = contact.is_certain and visit.is_certain
            visit.contacts.append(contact)
    return PersonResult(visits=visits, kind=kind)


def venue_search(commune_id: int, venue_id: int, point_id: int | None, start: datetime,
                 end: datetime) -> list[Contact]:
    """Everyone at a venue (or one of its points) whose visit overlaps [start, end] (UTC)."""
    venue = db.session.get(Venue, venue_id)
    if venue is None or venue.commune_id != commune_id:
        raise SearchError("venue")
    point_ids = [p.id for p in venue.points]
    if point_id is not None:
        if point_id not in point_ids:
            raise SearchError("point")
        point_ids = [point_id]
    found = overlapping_ids([(pid, start, end) for pid in point_ids])
    contacts = [c for point_contacts in load_contacts(found) for c in point_contacts]
    contacts.sort(key=lambda c: (c.checkin.checked_in_at, c.checkin.id))
    return contacts


def points_for(commune_id: int) -> list[CheckinPoint]:
    """Every check-in point of the commune, with its venue, for the venue search form."""
    return list(db.session.scalars(
        select(CheckinPoint).join(Venue).options(joinedload(CheckinPoint.venue))
        .where(Venue.commune_id == commune_id).order_by(Venue.name, CheckinPoint.id)))


def find_person_checkins(commune_id: int, query: str, kind: str = "auto") -> list[Checkin]:
    """Every check-in held about a person (for their own request), linked records included."""
    kind, value = classify_query(query, kind)
    ids = expand_linked(commune_id, matching_checkin_ids(commune_id, kind, value))
    if not ids:
        return []
    return list(db.session.scalars(
        select(Checkin).options(joinedload(Checkin.venue), joinedload(Checkin.point))
        .where(id_among(Checkin.id, ids))
        .order_by(Checkin.checked_in_at.desc(), Checkin.id)))


def find_person_contacts(commune_id: int, query: str, kind: str = "auto") -> list[CaseContact]:
    """The F1 records of cases that name a person (copied details outlive the check-in)."""
    kind, value = classify_query(query, kind)
    stmt = select(CaseContact).join(TracingCase).where(TracingCase.commune_id == commune_id)
    if kind == "id":
        stmt = stmt.where(CaseContact.id_number == value)
    elif kind == "phone":
        stmt = stmt.where(CaseContact.phone == value)
    elif kind == "name":
        folded = fold(value)
        return [c for c in db.session.scalars(stmt) if fold(c.full_name) == folded]
    else:
        return []
    return list(db.session.scalars(stmt))
