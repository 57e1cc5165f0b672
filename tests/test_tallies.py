"""The daily roll-up of closed days (models/tallies.py, services/tallies.py): the dashboard and
coverage figures read from it equal a straightforward count of the check-ins, whatever happens
to check-ins of closed days afterwards (late paper lines, deletions, moves, the purge)."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, text, update

from registry.extensions import db
from registry.models import Checkin, CheckinDailyCount, CheckinSource, CheckinTally, Commune
from registry.services import tallies
from registry.services.coverage import compute_coverage
from registry.services.dashboard import (compute_dashboard, daily_series, idle_venues,
                                         venue_source_counts)
from registry.services.retention import purge_commune
from registry.timeutil import local_to_utc, local_today, to_local
from tests.scenes import checkin

SOURCES = [s.value for s in CheckinSource]


def _naive(commune_id: int, start, end) -> tuple[dict, dict]:
    """({(venue, source): n}, {day: {source: n}}) counted row by row in Python."""
    by_venue, by_day = {}, {}
    rows = db.session.execute(select(Checkin.venue_id, Checkin.source, Checkin.checked_in_at)
                              .where(Checkin.commune_id == commune_id)).all()
    kept = db.session.execute(select(CheckinDailyCount.venue_id, CheckinDailyCount.source,
                                     CheckinDailyCount.day, CheckinDailyCount.count)
                              .where(CheckinDailyCount.commune_id == commune_id)).all()
    items = [(v, CheckinSource(s).value, to_local(at).date(), 1) for v, s, at in rows]
    items += [(v, CheckinSource(s).value, d, n) for v, s, d, n in kept]
    for venue_id, source, day, n in items:
        if start <= day <= end:
            by_venue[(venue_id, source)] = by_venue.get((venue_id, source), 0) + n
            by_day.setdefault(day, {s: 0 for s in SOURCES})[source] += n
    return by_venue, by_day


def _tallies_match_rows(commune_id: int) -> None:
    """Every tally row equals the live check-ins of its venue and day, for every closed day."""
    mark = tallies.tallied_through(commune_id)
    expected = {}
    for venue_id, source, at in db.session.execute(
            select(Checkin.venue_id, Checkin.source, Checkin.checked_in_at)
            .where(Checkin.commune_id == commune_id)):
        day = to_local(at).date()
        if mark is not None and day <= mark:
            counts = expected.setdefault((day, venue_id), {s: 0 for s in SOURCES})
            counts[CheckinSource(source).value] += 1
    found = {(tallies._as_date(r.day), r.venue_id): {s: getattr(r, s) for s in SOURCES}
             for r in db.session.scalars(select(CheckinTally)
                                         .where(CheckinTally.commune_id == commune_id))}
    assert found == expected


def _check(commune_id: int, rng: random.Random) -> None:
    """The fast figures of random periods equal the row-by-row count."""
    _tallies_match_rows(commune_id)
    today = local_today()
    for _ in range(6):
        start = today - timedelta(days=rng.randint(0, 70))
        end = min(today + timedelta(days=2), start + timedelta(days=rng.randint(0, 60)))
        by_venue, by_day = _naive(commune_id, start, end)
        assert {k: v for k, v in venue_source_counts(commune_id, start, end).items() if v} \
            == by_venue
        series = dict(daily_series(commune_id, start, end))
        assert {d: c for d, c in series.items() if any(c.values())} == by_day
        board = compute_dashboard(commune_id, start, end, with_extra=False)
        days = rng.randint(1, 20)
        fast = [(i.venue.id, i.last_checkin_day) for i in idle_venues(commune_id, days)]
        real, tallies.split_period = tallies.split_period, lambda _c, s, _e: (None, s)
        try:
            assert fast == [(i.venue.id, i.last_checkin_day) for i in idle_venues(commune_id, days)]
        finally:
            tallies.split_period = real
        for source in SOURCES:
            assert board.total.by_source[source] == sum(
                n for (_v, s), n in by_venue.items() if s == source)


def _random_at(rng: random.Random, days_back: int) -> datetime:
    """A UTC time on a random recent local day, often within minutes of local midnight."""
    day = local_today() - timedelta(days=rng.randint(0, days_back))
    if rng.random() < 0.3:
        local = datetime.combine(day, datetime.min.time()) + timedelta(
            minutes=rng.choice([0, 1, 2, 24 * 60 - 1, 24 * 60 - 2]))
    else:
        local = datetime.combine(day, datetime.min.time()) + timedelta(
            seconds=rng.randrange(86400))
    return local_to_utc(local)


def test_fast_figures_equal_a_plain_count_through_every_change(app, commune, make_venue):
    rng = random.Random(14)
    venues = [make_venue(name=f"Địa điểm {i}", points=("Cổng chính", "Cổng phụ"))
              for i in range(5)]
    points = [(v.id, p.id) for v in venues for p in v.points]
    rows = []
    for _ in range(600):
        venue_id, point_id = rng.choice(points)
        at = _random_at(rng, 60)
        rows.append({"commune_id": commune.id, "venue_id": venue_id, "point_id": point_id,
                     "source": rng.choice(SOURCES), "checked_in_at": at,
                     "time_precision": "exact", "full_name": "Nguyễn Văn Bình",
                     "search_name": "nguyen van binh", "answers": {}, "has_symptoms": False,
                     "created_at": at})
    db.session.execute(insert(Checkin), rows)
    db.session.commit()
    _check(commune.id, rng)  # nothing closed yet: all live
    # Close the days up to a week ago, one step of 10 days at a time, then check.
    while tallies.close_step(commune.id, local_today() - timedelta(days=7), step_days=10):
        db.session.commit()
    assert tallies.tallied_through(commune.id) == local_today() - timedelta(days=7)
    _check(commune.id, rng)
    for _round in range(4):
        # Late records of closed days through the one door, and in bulk.
        for _ in range(10):
            venue = rng.choice(venues)
            checkin(venue, rng.choice(SOURCES), local_today() - timedelta(days=rng.randint(0, 50)),
                    hour=rng.randint(0, 23))
        ids = list(db.session.scalars(select(Checkin.id)))
        # Deleted one by one (the ORM) and in bulk.
        for checkin_id in rng.sample(ids, 5):
            db.session.delete(db.session.get(Checkin, checkin_id))
        db.session.execute(delete(Checkin).where(Checkin.id.in_(rng.sample(ids, 15)))
                           .execution_options(synchronize_session=False))
        db.session.flush()
        # Moved to another day (across the mark both ways), venue or source.
        for row in db.session.scalars(select(Checkin).where(
                Checkin.id.in_(rng.sample(list(db.session.scalars(select(Checkin.id))), 20)))):
            change = rng.choice(["time", "venue", "source", "all"])
            if change in ("time", "all"):
                row.checked_in_at = _random_at(rng, 60)
            if change in ("venue", "all"):
                row.venue_id, row.point_id = rng.choice(points)
            if change in ("source", "all"):
                row.source = CheckinSource(rng.choice(SOURCES))
        db.session.execute(update(Checkin).where(Checkin.id.in_(rng.sample(
            list(db.session.scalars(select(Checkin.id))), 10))).values(source="paper")
                           .execution_options(synchronize_session=False))
        db.session.commit()
        _check(commune.id, rng)
        # Another day closes (the worker's hourly step).
        tallies.close_step(commune.id, tallies.tallied_through(commune.id) + timedelta(days=2))
        db.session.commit()
        _check(commune.id, rng)
    # The purge moves old check-ins into daily counts: figures unchanged, tallies follow.
    before = venue_source_counts(commune.id, local_today() - timedelta(days=70), local_today())
    commune_row = db.session.get(Commune, commune.id)
    commune_row.retention_days = 30
    purge_commune(commune_row)
    db.session.commit()
    assert venue_source_counts(commune.id, local_today() - timedelta(days=70),
                               local_today()) == before
    _check(commune.id, rng)


def test_coverage_reads_the_same_figures_from_the_roll_up(app, commune, make_venue):
    venue = make_venue(name="Chợ Đông", category="market")
    today = local_today()
    for days in (1, 3, 3, 20, 40):
        checkin(venue, "self_scan", today - timedelta(days=days))
    checkin(venue, "paper", today)
    db.session.commit()
    start = today - timedelta(days=29)
    live = compute_coverage(commune.id, start, today)
    while tallies.close_step(commune.id):
        db.session.commit()
    assert tallies.tallied_through(commune.id) == today - timedelta(days=1)
    rolled = compute_coverage(commune.id, start, today)
    assert [(r.venue.id, r.by_source, r.previous) for r in rolled.rows] == \
        [(r.venue.id, r.by_source, r.previous) for r in live.rows]
    assert rolled.rows[0].by_source == {"self_scan": 4, "card_scan": 0, "paper": 1,
                                        "on_behalf": 0}
    assert rolled.rows[0].previous["self_scan"] == 1
    # The roll-up holds the closed days only; today's check-in is counted live.
    assert db.session.scalar(text("SELECT sum(paper) FROM checkin_tallies")) in (None, 0)


def test_the_hourly_task_and_the_command_roll_up_to_yesterday_and_late_records_follow(
        app, commune, make_venue, runner):
    from registry.worker import close_days_task

    venue = make_venue()
    checkin(venue, "card_scan", local_today() - timedelta(days=2))
    checkin(venue, "self_scan", local_today())
    db.session.commit()
    close_days_task()  # huey runs it in-process in tests, as the consumer would every hour
    db.session.expire_all()
    assert tallies.tallied_through(commune.id) == local_today() - timedelta(days=1)
    assert db.session.scalar(select(CheckinTally.card_scan)) == 1
    assert db.session.scalar(select(CheckinTally.self_scan)) == 0  # today stays live
    result = runner.invoke(args=["close-days"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Days closed."  # nothing left to close
    db.session.commit()
    db.create_all()  # again on the built schema: the triggers stay, once each
    # A check-in typed in later for that day is counted by the trigger in the same statement.
    checkin(venue, "card_scan", local_today() - timedelta(days=2))
    db.session.flush()
    assert db.session.scalar(select(CheckinTally.card_scan)) == 2
    # A commune without any check-in moves its mark too: the command on a fresh commune.
    from registry.services.communes import create_commune

    other = create_commune(70)
    db.session.commit()
    result = runner.invoke(args=["close-days"])
    assert f"commune {other.id}: closed through" in result.output
    assert tallies.tallied_through(other.id) == local_today() - timedelta(days=1)
