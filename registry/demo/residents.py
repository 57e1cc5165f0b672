"""Demo residents: the register of about 300 people, most with a card, fifty households whose
children have no card of their own, a few card scans."""
from __future__ import annotations

from sqlalchemy import select

from registry.demo import demo_person
from registry.extensions import db
from registry.models import CardStatus, Commune, ResidentCard
from registry.services.residents.cards import card_url, issue_card, issue_missing_cards
from registry.services.residents.register import add_resident
from registry.services.residents.scan import scan_card


def seed_residents(commune: Commune, *, context: dict, rng) -> None:
    """About 300 residents across the villages, most with a card, a few card scans today."""
    clerk = context["users"].get("vanhoa") or context["users"]["admin"]
    villages = context["villages"]
    residents = []
    for i in range(300):
        name, phone = demo_person(rng)
        year = rng.randint(1940, 2015)
        village_id = rng.choice(villages).id
        # The first fifty head a household; the last fifty are their children (no card).
        household = {}
        if i < 50:
            household = {"household_number": f"HK{i + 1:05d}", "household_relation": "Chủ hộ"}
        elif i >= 250:
            head = residents[i - 250]
            village_id = head.village_id
            year = min(max(year, head.birth_year + 20), 2020)
            household = {"household_number": head.household_number, "household_relation": "Con"}
        residents.append(add_resident(
            commune.id, clerk, full_name=name, birth_year=year, birth_date=None,
            sex="female" if " Thị " in name else "male",
            id_number=f"038{rng.choice('01')}{year % 100:02d}{rng.randint(0, 999999):06d}"
            if rng.random() < 0.7 else None,
            phone=phone if rng.random() < 0.6 else None, village_id=village_id,
            address=None, **household))
    issue_missing_cards(commune.id, clerk, [r.id for r in residents[:250]])
    lost = residents[3]
    db.session.refresh(lost)
    issue_card(lost, clerk)  # one reissue, so the register shows a revoked card
    venue_user = context["users"].get("diadiem")
    point = context["venues"][8].points[0]
    for resident in residents[:12]:
        card = db.session.scalar(select(ResidentCard).where(
            ResidentCard.resident_id == resident.id, ResidentCard.status == CardStatus.ACTIVE))
        scan_card(point, card_url(card), direction="entry", user=venue_user)
