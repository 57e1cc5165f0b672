"""Scenes the tests of several features share: visits at local times from every source, the
figures the purge must keep, the dashboard's check-ins, a tracing case opened through the page."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from registry import signals
from registry.extensions import db
from registry.models import Checkin, CheckinDailyCount, CheckinSource, TimePrecision, TracingCase
from registry.services.checkins import record_checkin
from registry.services.declarations import Declaration
from registry.timeutil import local_to_utc, local_today

S, CARD, PAPER, OB = (CheckinSource.SELF_SCAN, CheckinSource.CARD_SCAN, CheckinSource.PAPER,
                      CheckinSource.ON_BEHALF)
EXACT, APPROX, DATE_ONLY = TimePrecision.EXACT, TimePrecision.APPROXIMATE, TimePrecision.DATE_ONLY
AN_ID = "038123456712"


def only_receivers(monkeypatch, name: str, *receivers) -> None:
    """The signal `name` answered by these receivers alone, for one test."""
    signal = signals.OrderedSignal()
    for receiver in receivers:
        signal.connect(receiver, weak=False)
    monkeypatch.setattr(signals, name, signal)


def visit(point, source, name, local_dt, precision=EXACT, stay_minutes=None, **declared):
    """A check-in at a local (Vietnamese) time, as any of the four sources records it."""
    at = local_to_utc(local_dt)
    checkin = record_checkin(point, source, Declaration(full_name=name, **declared), at=at,
                             precision=precision)
    if stay_minutes is not None:
        checkin.checked_out_at = at + timedelta(minutes=stay_minutes)
    db.session.flush()
    return checkin


def current_figures(commune_id):
    """Visits per (point, local day, source): live check-ins plus the purge's counts."""
    figures = {}
    for c in db.session.scalars(select(Checkin).where(Checkin.commune_id == commune_id)):
        from registry.timeutil import to_local

        key = (c.point_id, to_local(c.checked_in_at).date(), c.source.value)
        figures[key] = figures.get(key, 0) + 1
    for row in db.session.scalars(select(CheckinDailyCount)):
        key = (row.point_id, row.day, row.source.value)
        figures[key] = figures.get(key, 0) + row.count
    return figures


TODAY = local_today()


START = TODAY - timedelta(days=9)


def checkin(venue, source, day: date, hour: int = 9, name: str = "Nguyễn Văn Bình"):
    """A check-in at `venue` on the local `day` at `hour`."""
    return record_checkin(venue.points[0], CheckinSource(source), Declaration(full_name=name),
                          at=local_to_utc(datetime.combine(day, datetime.min.time())
                                          .replace(hour=hour)))


def kept_count(venue, source, day: date, count: int):
    """A purged day's count, as the purge leaves it."""
    db.session.add(CheckinDailyCount(commune_id=venue.commune_id, venue_id=venue.id,
                                     point_id=venue.points[0].id, day=day,
                                     source=CheckinSource(source), count=count))


def db_count(commune_id: int, start: date, end: date, source: str | None = None) -> int:
    """Live plus purged check-ins of the local days start..end, straight from the tables."""
    lo, hi = local_to_utc(datetime.combine(start, datetime.min.time())), local_to_utc(
        datetime.combine(end + timedelta(days=1), datetime.min.time()))
    live = select(func.count()).select_from(Checkin).where(
        Checkin.commune_id == commune_id, Checkin.checked_in_at >= lo, Checkin.checked_in_at < hi)
    kept = select(func.coalesce(func.sum(CheckinDailyCount.count), 0)).where(
        CheckinDailyCount.commune_id == commune_id, CheckinDailyCount.day >= start,
        CheckinDailyCount.day <= end)
    if source:
        live = live.where(Checkin.source == CheckinSource(source))
        kept = kept.where(CheckinDailyCount.source == CheckinSource(source))
    return db.session.scalar(live) + db.session.scalar(kept)


def open_case(client, label="BN 12345"):
    response = client.post("/tracing/cases/new", data={
        "index_label": label, "index_date": (local_today() - timedelta(days=1)).isoformat(),
        "index_date_kind": "test", "notes": "Phát hiện qua xét nghiệm sàng lọc"})
    assert response.status_code == 302
    return db.session.scalars(select(TracingCase).order_by(TracingCase.id.desc())).first()


def village_named(commune, name):
    return next(v for v in commune.villages if v.name == name)
