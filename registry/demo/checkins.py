"""Demo self-scans: a week of visitors who scanned the posters, and one withdrawn poster."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from registry.demo import demo_person
from registry.extensions import db
from registry.models import CheckinSource
from registry.services.checkins import device_hash, record_visit
from registry.services.declarations import Declaration, active_questions, answers_from
from registry.services.posters import rotate_token
from registry.timeutil import local_to_utc, local_today, utcnow


def seed_self_scans(commune, *, context: dict, rng) -> None:
    """A week of self-scan check-ins at a dozen venues (more at markets and the health
    station), some checked out, one repeat merged, and one withdrawn poster."""
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
                checkin = record_visit(
                    point, CheckinSource.SELF_SCAN, declaration,
                    merge_minutes=commune.checkin_merge_minutes,
                    device_hash=device_hash(f"demo-{rng.getrandbits(128):032x}"),
                    at=arrival).checkin
                leaving = arrival + timedelta(minutes=rng.randint(5, 120))
                # Only visits already over are checked out: nothing lies in the future.
                if rng.random() < 0.6 and leaving <= utcnow():
                    checkin.checked_out_at = leaving
    rotate_token(venues[0].points[0], context["users"]["vanhoa"],
                 reason="Ảnh áp phích bị đăng lên mạng xã hội")
    db.session.flush()

