"""Self-scan check-ins from the poster: the phone's cookie, one-tap repeats, check-out, counts."""
from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import func, select

from registry.extensions import db
from registry.models import (Checkin, CheckinDailyCount, CheckinPoint, CheckinSource,
                             DeclarationQuestion, Venue)
from registry.services.checkins import record_or_merge_checkin
from registry.services.declarations import Declaration, active_questions
from registry.timeutil import local_day_bounds_utc, local_today, to_local, utcnow

DEVICE_COOKIE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
# A visit left open longer than this is not offered for check-out any more (forgotten).
OPEN_VISIT_HOURS = 12


def device_hash(cookie_value: str | None) -> str | None:
    """The stored key of a phone: SHA-256 of its random cookie (None for a missing/odd cookie)."""
    if not cookie_value or not DEVICE_COOKIE_PATTERN.match(cookie_value):
        return None
    return hashlib.sha256(cookie_value.encode()).hexdigest()


def open_visit(point: CheckinPoint, dev_hash: str | None) -> Checkin | None:
    """This phone's latest visit at `point` that has not been checked out (last 12 hours)."""
    if not dev_hash:
        return None
    since = utcnow() - timedelta(hours=OPEN_VISIT_HOURS)
    return db.session.scalars(
        select(Checkin).where(Checkin.point_id == point.id, Checkin.device_hash == dev_hash,
                              Checkin.checked_in_at >= since, Checkin.checked_out_at.is_(None))
        .order_by(Checkin.checked_in_at.desc(), Checkin.id.desc()).limit(1)).first()


def previous_checkin(commune_id: int, dev_hash: str | None) -> Checkin | None:
    """This phone's latest check-in in the commune (kept only for the retention period)."""
    if not dev_hash:
        return None
    return db.session.scalars(
        select(Checkin).where(Checkin.commune_id == commune_id, Checkin.device_hash == dev_hash)
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
              merge_minutes: int) -> tuple[Checkin, bool]:
    """Record a self-scan check-in, merged with a recent one of the same person; (row, merged)."""
    return record_or_merge_checkin(point, CheckinSource.SELF_SCAN, declaration,
                                   minutes=merge_minutes, device_hash=dev_hash)


def check_out(visit: Checkin) -> None:
    """Record the time the visitor left."""
    visit.checked_out_at = utcnow()
    db.session.flush()


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


def seed_demo_data(commune, context: dict, rng) -> None:
    """Demo: a week of self-scan check-ins at a dozen venues (more at markets and the health
    station), some checked out, one repeat merged, and one withdrawn poster."""
    from datetime import datetime, time

    from registry.services.declarations import answers_from
    from registry.services.demo import demo_person
    from registry.services.posters import rotate_token
    from registry.timeutil import local_to_utc

    questions = active_questions(commune.id)
    venues = context["venues"][:12]
    today = local_today()
    for offset in range(7):
        day = today - timedelta(days=offset)
        for venue in venues:
            for _ in range(rng.randint(2, 9 if venue.category.code in ("market", "health")
                                       else 5)):
                point = rng.choice(venue.points)
                name, phone = demo_person(rng)
                arrival = local_to_utc(datetime.combine(day, time(rng.randint(6, 19),
                                                                  rng.randint(0, 59))))
                if arrival > utcnow():
                    continue
                symptom = rng.random() < 0.03
                given = {q.code: (symptom if q.is_symptom else False,
                                  "ho, sốt nhẹ" if symptom and q.is_symptom else None)
                         for q in questions}
                declaration = Declaration(full_name=name, birth_year=rng.randint(1950, 2008),
                                          sex=rng.choice(("male", "female")), phone=phone,
                                          address=rng.choice(context["villages"]).name,
                                          answers=answers_from(questions, given))
                checkin = record_or_merge_checkin(point, CheckinSource.SELF_SCAN, declaration,
                                                  minutes=commune.checkin_merge_minutes,
                                                  device_hash=device_hash(
                                                      f"demo-{rng.getrandbits(128):032x}"),
                                                  at=arrival)[0]
                if rng.random() < 0.6:
                    checkin.checked_out_at = arrival + timedelta(minutes=rng.randint(5, 120))
    rotate_token(venues[0].points[0], context["users"]["vanhoa"],
                 reason="Ảnh áp phích bị đăng lên mạng xã hội")
    db.session.flush()

