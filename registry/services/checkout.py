"""Check-out: of a visit with the household members who came along, and the automatic one at
the venue's closing time, so that no visit stays open forever.

A visit nobody checked out of is closed at the first closing time of its venue after the
check-in (the venue's own, else the commune's default), with the reason "automatic". The exit
time it gets is the closing time, not a real departure: tracing treats it as unknown and uses the
venue's default stay instead (services/tracing/search.py).
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from registry.extensions import db
from registry.models import Checkin, CheckoutReason, Commune, Venue
from registry.services.checkins import check_out, companions_of
from registry.timeutil import local_to_utc, to_local, utcnow

# Open visits are read in chunks of this many (after the first run only the day's are open).
CHUNK = 2000


def closing_time_of(venue: Venue, commune: Commune) -> time:
    """When the venue closes: its own closing time, else the commune's default."""
    return venue.closing_time or commune.default_closing_time


def closing_moment(checked_in_at: datetime, closing: time) -> datetime:
    """The first closing time (Vietnamese local time) after a check-in, as naive UTC.

    A visit at 20:00 of a venue closing at 01:00 closes at 01:00 the next morning; a visit at
    09:00 of a venue closing at 18:00 closes at 18:00 the same day.
    """
    local = to_local(checked_in_at).replace(tzinfo=None)
    moment = datetime.combine(local.date(), closing)
    if moment <= local:
        moment += timedelta(days=1)
    return local_to_utc(moment)


def check_out_with_household(visit: Checkin, at: datetime | None = None) -> list[Checkin]:
    """Check a visitor out by hand, and the household members who came with them and are still
    in; returns those members."""
    at = at or utcnow()
    check_out(visit, at)
    members = [m for m in companions_of(visit) if m.checked_out_at is None]
    for member in members:
        check_out(member, max(at, member.checked_in_at))
    return members


def close_open_visits(now: datetime | None = None, commune_id: int | None = None) -> int:
    """Close every open visit whose venue's closing time has passed (of one commune, or all);
    returns how many were closed. Running it again closes nothing more (idempotent)."""
    now = now or utcnow()
    communes = {c.id: c for c in db.session.scalars(select(Commune))}
    venues: dict[int, Venue] = {}
    stmt = select(Checkin).where(Checkin.checked_out_at.is_(None), Checkin.checked_in_at < now)
    if commune_id is not None:
        stmt = stmt.where(Checkin.commune_id == commune_id)
    closed, last_id = 0, 0
    while True:
        chunk = db.session.scalars(stmt.where(Checkin.id > last_id).order_by(Checkin.id)
                                   .limit(CHUNK)).all()
        if not chunk:
            break
        for visit in chunk:
            venue = venues.get(visit.venue_id) or venues.setdefault(
                visit.venue_id, db.session.get(Venue, visit.venue_id))
            moment = closing_moment(visit.checked_in_at,
                                    closing_time_of(venue, communes[visit.commune_id]))
            if moment <= now:
                visit.checked_out_at = moment
                visit.checkout_reason = CheckoutReason.AUTOMATIC
                closed += 1
        last_id = chunk[-1].id
        db.session.flush()
    return closed
