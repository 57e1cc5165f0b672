"""Demo tracing: visits of all four sources over four weeks, and an open case with its F1."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from registry.demo import demo_person
from registry.extensions import db
from registry.models import CardStatus, CheckinSource, ResidentCard, TimePrecision
from registry.services.checkins import record_checkin
from registry.services.declarations import Declaration
from registry.services.tracing.cases import add_contacts, create_case, log_search
from registry.services.tracing.search import person_search
from registry.timeutil import local_to_utc, local_today, utcnow


def _card_visit(point, cards, rng, at):
    """A card scan of a resident of the register: the visit names the card and its holder, so
    the F1 list takes the holder's year of birth, sex and address from the register."""
    card = rng.choice(cards)
    return record_checkin(point, CheckinSource.CARD_SCAN,
                          Declaration(full_name=card.resident.full_name), at=at,
                          resident=card.resident, card=card)


def seed_tracing(commune, *, context: dict, rng) -> None:
    """Visits of all four sources over four weeks, and an open case with three F1 contacts."""
    points = [p for v in context["venues"][:12] for p in v.points][:10]
    people = [demo_person(rng) for _ in range(40)]
    index_person = ("Nguyễn Văn Bình", "+84912000457")
    sources = list(CheckinSource)
    today = local_today()
    now = utcnow()
    cards = list(db.session.scalars(select(ResidentCard).where(
        ResidentCard.commune_id == commune.id, ResidentCard.status == CardStatus.ACTIVE)
        .order_by(ResidentCard.id).limit(60)))
    index_visits = []
    for days_ago in range(0, 28):
        day = today - timedelta(days=days_ago)
        for _ in range(rng.randint(4, 9)):
            name, phone = rng.choice(people)
            source = rng.choice(sources)
            precision = TimePrecision.EXACT
            if source == CheckinSource.PAPER:
                precision = rng.choice((TimePrecision.EXACT, TimePrecision.APPROXIMATE,
                                        TimePrecision.DATE_ONLY))
            at = local_to_utc(datetime.combine(day, datetime.min.time())
                              + timedelta(hours=rng.randint(7, 18), minutes=rng.randint(0, 59)))
            if at > now:
                continue  # the demo never holds a visit later than the moment it is seeded
            record_checkin(rng.choice(points), source, Declaration(
                full_name=name, phone=phone, birth_year=rng.randint(1950, 2005)),
                at=at, precision=precision,
                entered_by=None if source == CheckinSource.SELF_SCAN else context["users"]["admin"])
        if days_ago in (2, 4, 6):
            at = local_to_utc(datetime.combine(day, datetime.min.time()) + timedelta(hours=9))
            point = points[days_ago % len(points)]
            index_visits.append(record_checkin(point, CheckinSource.SELF_SCAN, Declaration(
                full_name=index_person[0], phone=index_person[1], id_number="038085000457",
                birth_year=1985, sex="male"), at=at))
            for minutes in (-20, 10, 25):
                # One contact of each visit came in on a resident's card.
                source = CheckinSource.CARD_SCAN if minutes == -20 else rng.choice(sources)
                if source == CheckinSource.CARD_SCAN and cards:
                    _card_visit(point, cards, rng, at + timedelta(minutes=minutes))
                    continue
                name, phone = rng.choice(people)
                record_checkin(point, source, Declaration(
                    full_name=name, phone=phone), at=at + timedelta(minutes=minutes))
    tracer = context["users"].get("tramyte")
    case = create_case(commune.id, tracer, index_label="BN 2021-0457",
                       index_date=today - timedelta(days=1), index_date_kind="test",
                       notes="Phát hiện qua xét nghiệm tại Trạm Y tế xã.")
    result = person_search(commune.id, index_person[1], "phone", today - timedelta(days=14),
                           today)
    log_search(case, tracer, "person", {"q": index_person[1], "kind": "phone",
                                        "from": (today - timedelta(days=14)).isoformat(),
                                        "to": today.isoformat(), "window": 30},
               len(result.visits), result.contact_count, result.all_checkin_ids())
    first = result.visits[0].contacts[:3] if result.visits else []
    add_contacts(case, tracer, {c.checkin.id for c in first})
