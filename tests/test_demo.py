"""The demo commune: every feature's demo data, loaded through the seed signal."""
from __future__ import annotations

from sqlalchemy import func, select

from registry.extensions import db
from registry.models import CardStatus, Checkin, CheckinSource, Resident, ResidentCard, User


def test_demo_data(app):
    from registry.demo import seed_demo

    commune = seed_demo()
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Resident)) == 300
    assert db.session.scalar(select(func.count()).select_from(ResidentCard).where(
        ResidentCard.status == CardStatus.REVOKED)) == 1
    # Other features' demo data adds card scans of their own (tracing's name residents of the
    # register too, since issue 12); these are the scan station's, made by the venue's staff.
    staff = db.session.scalar(select(User).where(User.username == "diadiem"))
    scans = db.session.scalars(select(Checkin).where(
        Checkin.source == CheckinSource.CARD_SCAN, Checkin.resident_id.is_not(None),
        Checkin.entered_by_id == staff.id)).all()
    assert len(scans) == 12 and all(s.commune_id == commune.id for s in scans)


def test_demo_never_lies_in_the_future_and_shows_the_new_texts(app):
    """No check-in (or check-out) after the moment the demo was seeded; the signed report is
    written from the figures and a signed reminder went to venues with a QR but no scan."""
    from pdfcheck import page_texts

    from registry.demo import seed_demo
    from registry.models import Reminder, Report, ReportStatus, VenueFollowUp
    from registry.services.coverage import compute_coverage
    from registry.timeutil import utcnow

    commune = seed_demo()
    db.session.commit()
    seeded = utcnow()
    latest_in = db.session.scalar(select(func.max(Checkin.checked_in_at)))
    latest_out = db.session.scalar(select(func.max(Checkin.checked_out_at)))
    assert latest_in <= seeded and latest_out <= seeded
    report = db.session.scalar(select(Report).where(Report.status == ReportStatus.SIGNED))
    text = " ".join("\n".join(page_texts(report.pdf)).split())
    share = report.figures["total"]["qr_share"]
    written = str(share).replace(".", ",").removesuffix(",0")
    assert f"đạt {written} % so với tổng khai báo y tế" in text
    assert "3. Tồn tại, hạn chế" in text and "để tổng hợp theo quy định./." in text
    reminder = db.session.scalar(select(Reminder))
    assert reminder.status == ReportStatus.SIGNED and reminder.number_text == "01"
    assert f"Công văn số 01/UBND-VHTT ngày {reminder.issued_on:%d/%m/%Y}" in text
    letter = " ".join("\n".join(page_texts(reminder.pdf)).split())
    assert "Số: 01/UBND-VHTT" in letter and "V/v đôn đốc triển khai quét mã QR" in letter
    # Two of the three venues reminded came back, one is still silent.
    rows = {r.venue.id: r for r in compute_coverage(commune.id, reminder.issued_on,
                                                    reminder.issued_on).rows}
    came_back = sorted(rows[v.venue_id].came_back for v in reminder.venues)
    assert came_back == [False, True, True]
    assert db.session.scalar(select(func.count()).select_from(VenueFollowUp)) == 4
