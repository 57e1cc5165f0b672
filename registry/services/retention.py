"""Retention: delete personal data past the commune's period, keep the counts, honour holds."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Date, cast, delete, func, literal_column, select, update

from registry import signals
from registry.extensions import db
from registry.models import (CaseContact, CaseHold, CaseSearch, CaseStatus, Checkin,
                             CheckinDailyCount, CheckinPoint, CheckinSource, Commune,
                             SheetDestruction, TracingCase, Venue)
from registry.services.audit import record_event
from registry.services.tracing.cases import held_checkin_ids_query
from registry.timeutil import LOCAL_OFFSET_HOURS, to_local, utcnow


@dataclass
class PurgeResult:
    """What one purge of one commune did."""

    commune_id: int
    cutoff: datetime
    checkins_deleted: int = 0
    held_kept: int = 0
    contacts_deleted: int = 0
    hook_counts: dict = field(default_factory=dict)


def _local_day_expr():
    """SQL for the local calendar day of checkins.checked_in_at, on either database."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite":
        return func.date(Checkin.checked_in_at, f"+{LOCAL_OFFSET_HOURS} hours")
    return cast(Checkin.checked_in_at + literal_column(f"interval '{LOCAL_OFFSET_HOURS} hours'"),
                Date)


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def add_to_daily_counts(commune_id: int, where) -> int:
    """Add the check-ins matching `where` to checkin_daily_counts (per point, local day, source).

    Called just before those check-ins are deleted, so that figures for past periods (live
    check-ins + these counts) stay the same. Returns how many check-ins were counted.
    """
    day = _local_day_expr().label("day")
    groups = db.session.execute(
        select(Checkin.venue_id, Checkin.point_id, day, Checkin.source, func.count())
        .where(Checkin.commune_id == commune_id, *where)
        .group_by(Checkin.venue_id, Checkin.point_id, day, Checkin.source)).all()
    if not groups:
        return 0
    keys = {(point_id, _as_date(d), CheckinSource(src)) for _v, point_id, d, src, _n in groups}
    point_ids = {k[0] for k in keys}
    existing = {(r.point_id, r.day, r.source): r for r in db.session.scalars(
        select(CheckinDailyCount).where(CheckinDailyCount.point_id.in_(point_ids)))}
    total = 0
    for venue_id, point_id, d, src, n in groups:
        key = (point_id, _as_date(d), CheckinSource(src))
        row = existing.get(key)
        if row is None:
            row = CheckinDailyCount(commune_id=commune_id, venue_id=venue_id, point_id=point_id,
                                    day=key[1], source=key[2], count=0)
            db.session.add(row)
            existing[key] = row
        row.count += n
        total += n
    db.session.flush()
    return total


def purge_commune(commune: Commune, now: datetime | None = None) -> PurgeResult:
    """Delete the commune's personal data older than its retention period, except held data."""
    now = now or utcnow()
    cutoff = now - timedelta(days=commune.retention_days)
    result = PurgeResult(commune_id=commune.id, cutoff=cutoff)
    held = held_checkin_ids_query(commune.id)
    held_ids = set(db.session.scalars(held))
    # Rows typed in while the purge runs get higher ids: count and delete the same rows.
    max_id = db.session.scalar(select(func.max(Checkin.id)).where(
        Checkin.commune_id == commune.id)) or 0
    old = [Checkin.checked_in_at < cutoff, Checkin.id <= max_id]
    # Features keeping personal data of their own (keyed paper values, same-person links …)
    # purge it first, while the check-ins it refers to still exist.
    for receiver, count in signals.purge_personal_data.send(
            commune.id, cutoff_utc=cutoff, held_checkin_ids=held_ids):
        result.hook_counts[receiver.__name__] = count
    counted = add_to_daily_counts(commune.id, [*old, Checkin.id.not_in(held)])
    deleted = db.session.execute(
        delete(Checkin).where(Checkin.commune_id == commune.id, *old, Checkin.id.not_in(held))
        .execution_options(synchronize_session=False)).rowcount
    if deleted != counted:  # the counts must describe exactly what was deleted
        raise RuntimeError(f"purge counted {counted} check-ins but deleted {deleted}")
    result.checkins_deleted = deleted
    result.held_kept = db.session.scalar(select(func.count()).select_from(Checkin).where(
        Checkin.commune_id == commune.id, *old, Checkin.id.in_(held))) or 0
    # Cases closed before the cutoff: their F1 details, holds and search terms go too.
    closed = select(TracingCase.id).where(TracingCase.commune_id == commune.id,
                                          TracingCase.status == CaseStatus.CLOSED,
                                          TracingCase.closed_at < cutoff)
    result.contacts_deleted = db.session.execute(
        delete(CaseContact).where(CaseContact.case_id.in_(closed))
        .execution_options(synchronize_session=False)).rowcount
    db.session.execute(delete(CaseHold).where(CaseHold.case_id.in_(closed))
                       .execution_options(synchronize_session=False))
    db.session.execute(update(CaseSearch).where(CaseSearch.case_id.in_(closed))
                       .values(params={}).execution_options(synchronize_session=False))
    record_event("purge", commune, user=None, commune_id=commune.id, details={
        "cutoff": cutoff.isoformat(timespec="seconds"), "checkins_deleted": deleted,
        "held_kept": result.held_kept, "contacts_deleted": result.contacts_deleted,
        **{f"hook:{k}": v for k, v in result.hook_counts.items()}})
    db.session.flush()
    db.session.expire_all()
    return result


def purge_all(now: datetime | None = None) -> list[PurgeResult]:
    """Purge every commune (the nightly job and `flask purge`); the caller commits."""
    return [purge_commune(c, now) for c in db.session.scalars(select(Commune).order_by(Commune.id))]


@dataclass
class SheetToDestroy:
    """The paper of one point for one day, past retention and not yet destroyed."""

    point: CheckinPoint
    day: date
    count: int


def sheets_to_destroy(commune: Commune, now: datetime | None = None) -> list[SheetToDestroy]:
    """Paper records past retention whose sheets have not been recorded as destroyed.

    The purged paper rows survive as counts (source paper), which is what says the paper exists.
    """
    cutoff_day = to_local((now or utcnow()) - timedelta(days=commune.retention_days)).date()
    destroyed = {(d.point_id, d.day) for d in db.session.scalars(
        select(SheetDestruction).where(SheetDestruction.commune_id == commune.id))}
    rows = db.session.execute(
        select(CheckinDailyCount.point_id, CheckinDailyCount.day, CheckinDailyCount.count)
        .where(CheckinDailyCount.commune_id == commune.id,
               CheckinDailyCount.source == CheckinSource.PAPER,
               CheckinDailyCount.day < cutoff_day)
        .order_by(CheckinDailyCount.day, CheckinDailyCount.point_id)).all()
    points = {p.id: p for p in db.session.scalars(
        select(CheckinPoint).join(Venue).where(Venue.commune_id == commune.id))}
    return [SheetToDestroy(point=points[pid], day=day, count=n) for pid, day, n in rows
            if (pid, day) not in destroyed and pid in points]


def record_destruction(commune: Commune, user, keys: list[tuple[int, date]],
                       method: str | None) -> int:
    """Record that the paper of these (point, day) pairs was destroyed; returns how many."""
    due = {(s.point.id, s.day) for s in sheets_to_destroy(commune)}
    recorded = 0
    for point_id, day in keys:
        if (point_id, day) not in due:
            continue
        db.session.add(SheetDestruction(commune_id=commune.id, point_id=point_id, day=day,
                                        destroyed_by_id=user.id, method=method))
        record_event("destroy_paper", object_type="checkin_points", object_id=point_id,
                     commune_id=commune.id, user=user,
                     details={"day": day.isoformat(), "method": method})
        recorded += 1
    db.session.flush()
    return recorded


def destruction_log(commune_id: int, limit: int = 100) -> list[SheetDestruction]:
    """The latest recorded destructions of paper."""
    return list(db.session.scalars(
        select(SheetDestruction).where(SheetDestruction.commune_id == commune_id)
        .order_by(SheetDestruction.destroyed_at.desc()).limit(limit)))
