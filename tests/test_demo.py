"""The demo commune: every feature's demo data, loaded through the seed signal."""
from __future__ import annotations

from sqlalchemy import func, select

from registry.extensions import db
from registry.models import CardStatus, Checkin, CheckinSource, Resident, ResidentCard


def test_demo_data(app):
    from registry.demo import seed_demo

    commune = seed_demo()
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Resident)) == 300
    assert db.session.scalar(select(func.count()).select_from(ResidentCard).where(
        ResidentCard.status == CardStatus.REVOKED)) == 1
    # Other features' demo data adds card scans of their own; these are the register's.
    scans = db.session.scalars(select(Checkin).where(
        Checkin.source == CheckinSource.CARD_SCAN, Checkin.resident_id.is_not(None))).all()
    assert len(scans) == 12 and all(s.commune_id == commune.id for s in scans)
