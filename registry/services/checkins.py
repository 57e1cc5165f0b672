"""Recording a visit, whatever its source."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select

from registry.extensions import db
from registry.models import Checkin, CheckinPoint, CheckinSource, TimePrecision
from registry.services.declarations import Declaration
from registry.text import fold
from registry.timeutil import utcnow


def record_checkin(point: CheckinPoint, source: CheckinSource, declaration: Declaration, *,
                   at: datetime | None = None, precision: TimePrecision = TimePrecision.EXACT,
                   entered_by=None, **extra) -> Checkin:
    """Add a check-in at `point` with the cleaned `declaration`; `extra` sets feature columns."""
    declaration = declaration.cleaned()
    checkin = Checkin(
        commune_id=point.venue.commune_id, venue_id=point.venue_id, point_id=point.id,
        source=source, checked_in_at=at or utcnow(), time_precision=precision,
        full_name=declaration.full_name, search_name=fold(declaration.full_name),
        id_number=declaration.id_number, birth_year=declaration.birth_year,
        sex=declaration.sex, nationality=declaration.nationality,
        province=declaration.province, ward=declaration.ward, address=declaration.address,
        phone=declaration.phone, email=declaration.email, answers=declaration.answers,
        has_symptoms=declaration.has_symptoms,
        entered_by_id=entered_by.id if entered_by is not None else None, **extra)
    db.session.add(checkin)
    db.session.flush()
    return checkin


def find_recent_duplicate(point: CheckinPoint, declaration: Declaration, *, minutes: int,
                          device_hash: str | None = None,
                          now: datetime | None = None) -> Checkin | None:
    """The latest check-in of the same person at `point` within `minutes`, if any.

    The same person is: the same ID number, or the same phone with the same name (diacritics and
    case ignored: a phone is shared within a family), or the same phone cookie with the same
    name. Used by self-scan (and reusable by card scans) so a double tap or a re-scan at the
    door merges into one visit instead of counting twice.
    """
    now = now or utcnow()
    declaration = declaration.cleaned()
    name_key = fold(declaration.full_name)
    same_person = []
    if declaration.id_number:
        same_person.append(Checkin.id_number == declaration.id_number)
    if declaration.phone:
        same_person.append((Checkin.phone == declaration.phone) & (Checkin.search_name == name_key))
    if device_hash:
        same_person.append((Checkin.device_hash == device_hash)
                           & (Checkin.search_name == name_key))
    if not same_person or minutes <= 0:
        return None
    return db.session.scalars(
        select(Checkin)
        .where(Checkin.point_id == point.id,
               Checkin.checked_in_at >= now - timedelta(minutes=minutes),
               Checkin.checked_in_at <= now,
               or_(*same_person))
        .order_by(Checkin.checked_in_at.desc(), Checkin.id.desc())
        .limit(1)).first()


def merge_into(checkin: Checkin, declaration: Declaration, *, device_hash: str | None = None,
               **extra) -> Checkin:
    """Merge a repeated check-in into `checkin`: keep the first arrival time, take the newest
    declaration (the person may have corrected a detail), and mark the visit as ongoing again."""
    declaration = declaration.cleaned()
    for key in ("full_name", "id_number", "birth_year", "sex", "nationality", "province", "ward",
                "address", "phone", "email", "answers"):
        value = getattr(declaration, key)
        if value is not None or key in ("id_number", "email"):
            setattr(checkin, key, value)
    checkin.search_name = fold(checkin.full_name)
    checkin.has_symptoms = declaration.has_symptoms
    checkin.checked_out_at = None
    checkin.merge_count = (checkin.merge_count or 0) + 1
    if device_hash:
        checkin.device_hash = device_hash
    for key, value in extra.items():
        setattr(checkin, key, value)
    db.session.flush()
    return checkin


def record_or_merge_checkin(point: CheckinPoint, source: CheckinSource,
                            declaration: Declaration, *, minutes: int,
                            device_hash: str | None = None, **kwargs) -> tuple[Checkin, bool]:
    """Record a check-in, or merge it into a recent one of the same person; (row, merged)."""
    existing = find_recent_duplicate(point, declaration, minutes=minutes, device_hash=device_hash)
    if existing is not None:
        return merge_into(existing, declaration, device_hash=device_hash), True
    return record_checkin(point, source, declaration, device_hash=device_hash, **kwargs), False
