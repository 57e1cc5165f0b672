"""Closing days into the roll-up of live check-ins (models/tallies.py), and reading a period's
counts from it: the tallies of closed days plus a live count of the days after them.

Figures read this way are exactly those of a count over `checkins`: the triggers keep every
closed day's tally equal to its live rows, and a day is read from one place only (its tally if
closed when the reading starts, else the live rows, which stay in place when a day closes).
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Date, case, cast, delete, func, literal_column, select, update

from registry.extensions import db
from registry.models import Checkin, CheckinSource, CheckinTally, Commune
from registry.models.tallies import TALLY_SOURCES
from registry.timeutil import LOCAL_OFFSET_HOURS, local_day_bounds_utc, local_today, to_local

# Days closed per unit of work: the first close of a long history holds the commune's lock
# (check-ins of that commune wait) for one step at a time only.
STEP_DAYS = 31


def local_day(column=Checkin.checked_in_at):
    """SQL for the local calendar day of a stored UTC time, on either database."""
    if db.session.get_bind().dialect.name == "sqlite":
        return func.date(column, f"+{LOCAL_OFFSET_HOURS} hours")
    return cast(column + literal_column(f"interval '{LOCAL_OFFSET_HOURS} hours'"), Date)


def _as_date(value) -> date | None:
    """A date from the database (SQLite may return text)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def tallied_through(commune_id: int) -> date | None:
    """The last closed day of the commune (its tallies hold every day up to it)."""
    return _as_date(db.session.scalar(
        select(Commune.tallied_through).where(Commune.id == commune_id)))


def close_step(commune_id: int, until: date | None = None,
               step_days: int = STEP_DAYS) -> date | None:
    """Roll up the commune's next days after its mark, at most `step_days` and never past
    `until` (default: yesterday); returns the new mark, None when nothing is left to close.
    One step is one unit of work: the caller commits, then calls again.

    The commune's row is taken first (PostgreSQL: FOR UPDATE, which waits for the check-ins in
    flight; SQLite: the write lock), so no check-in of a closing day is missed or counted twice.
    """
    until = until or local_today() - timedelta(days=1)
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite's write lock before reading the mark: no other writer between the two.
        db.session.execute(update(Commune).where(Commune.id == commune_id)
                           .values(tallied_through=Commune.tallied_through))
    mark = _as_date(db.session.scalar(
        select(Commune.tallied_through).where(Commune.id == commune_id).with_for_update()))
    if mark is not None:
        start = mark + timedelta(days=1)
    else:
        first = db.session.scalar(select(func.min(Checkin.checked_in_at))
                                  .where(Checkin.commune_id == commune_id))
        # Nothing recorded yet: the mark simply moves to `until`.
        start = min(to_local(first).date(), until) if first is not None else until
    if start > until:
        return None
    last = min(until, start + timedelta(days=step_days - 1))
    lo, hi = local_day_bounds_utc(start)[0], local_day_bounds_utc(last)[1]
    day = local_day().label("day")
    counts = [func.sum(case((Checkin.source == CheckinSource(s), 1), else_=0))
              for s in TALLY_SOURCES]
    # Nothing should be there yet; a row left behind would make the insert clash.
    db.session.execute(delete(CheckinTally).where(CheckinTally.commune_id == commune_id,
                                                  CheckinTally.day >= start,
                                                  CheckinTally.day <= last))
    grouped = (select(Checkin.commune_id, day, Checkin.venue_id, *counts)
               .where(Checkin.commune_id == commune_id, Checkin.checked_in_at >= lo,
                      Checkin.checked_in_at < hi)
               .group_by(Checkin.commune_id, day, Checkin.venue_id))
    db.session.execute(CheckinTally.__table__.insert().from_select(
        ["commune_id", "day", "venue_id", *TALLY_SOURCES], grouped))
    db.session.execute(update(Commune).where(Commune.id == commune_id)
                       .values(tallied_through=last))
    db.session.flush()
    return last


def venue_counts(commune_id: int, first: date, last: date) -> dict:
    """{(venue_id, source value): count} of the closed days first..last (tallies only)."""
    out: dict = {}
    for venue_id, *ns in db.session.execute(
            select(CheckinTally.venue_id,
                   *[func.sum(getattr(CheckinTally, s)) for s in TALLY_SOURCES])
            .where(CheckinTally.commune_id == commune_id, CheckinTally.day >= first,
                   CheckinTally.day <= last)
            .group_by(CheckinTally.venue_id)):
        for source, n in zip(TALLY_SOURCES, ns):
            if n:
                out[(venue_id, source)] = int(n)
    return out


def venues_with_checkins(commune_id: int, first: date, last: date) -> set[int]:
    """The venues with a check-in on a closed day first..last (a tally row is never empty)."""
    return set(db.session.scalars(
        select(CheckinTally.venue_id).where(CheckinTally.commune_id == commune_id,
                                            CheckinTally.day >= first, CheckinTally.day <= last)
        .distinct()))


def day_counts(commune_id: int, first: date, last: date) -> dict[date, dict]:
    """{day: {source value: count}} of the closed days first..last (tallies only)."""
    return {_as_date(day): {s: int(n or 0) for s, n in zip(TALLY_SOURCES, ns)}
            for day, *ns in db.session.execute(
                select(CheckinTally.day,
                       *[func.sum(getattr(CheckinTally, s)) for s in TALLY_SOURCES])
                .where(CheckinTally.commune_id == commune_id, CheckinTally.day >= first,
                       CheckinTally.day <= last)
                .group_by(CheckinTally.day))}


def split_period(commune_id: int, start_day: date, end_day: date):
    """((first, last) of the period's closed days or None, first open day or None): the days
    read from the tallies and the first day counted live."""
    mark = tallied_through(commune_id)
    if mark is None or mark < start_day:
        return None, start_day
    last_closed = min(mark, end_day)
    open_from = last_closed + timedelta(days=1)
    return (start_day, last_closed), (open_from if open_from <= end_day else None)
