"""Demo data for the dashboard and reports: a month and a half of check-ins from every source,
posters printed, a signed report for last month and a draft for this one, demo signature and seal
images (no certificate: demo reports are signed with the token and uploaded)."""
from __future__ import annotations

import io
import random
from datetime import datetime, time, timedelta

from PIL import Image, ImageDraw

from registry.demo import demo_person
from registry.extensions import db
from registry.models import CheckinSource, Commune
from registry.pdf.reports import render_report_pdf
from registry.services.checkins import record_visits_in_bulk
from registry.services.reports.drafting import (add_directive, create_report,
                                                default_recipients, submit_report)
from registry.services.reports.sign_off import sign_off
from registry.services.reports.signing import store_material
from registry.text import fold
from registry.timeutil import local_to_utc, local_today, utcnow

DEMO_DAYS = 45
# Roughly seed 000: QR declarations were a minority; paper and on-behalf matter.
SOURCE_WEIGHTS = ((CheckinSource.SELF_SCAN, 45), (CheckinSource.CARD_SCAN, 20),
                  (CheckinSource.PAPER, 25), (CheckinSource.ON_BEHALF, 10))


def demo_signature_png() -> bytes:
    """A blue handwritten-looking stroke on a transparent background."""
    image = Image.new("RGBA", (480, 200), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    points = [(30 + i * 14, 110 + int(45 * ((i % 5) - 2) * (-1) ** i / 2)) for i in range(30)]
    draw.line(points, fill=(20, 50, 190, 255), width=6, joint="curve")
    draw.line([(60, 150), (420, 120)], fill=(20, 50, 190, 255), width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def demo_seal_png(commune: Commune) -> bytes:
    """A red round seal (two rings and a star) on a transparent background."""
    image = Image.new("RGBA", (400, 400), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    red = (210, 20, 30, 235)
    draw.ellipse((10, 10, 390, 390), outline=red, width=14)
    draw.ellipse((70, 70, 330, 330), outline=red, width=6)
    draw.regular_polygon((200, 200, 60), 5, fill=red)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def seed_reports(commune: Commune, *, context: dict, rng: random.Random) -> None:
    """Check-ins for the dashboard, printed posters, a signed and a draft report."""
    venues = context["venues"]
    clerk = context["users"].get("vanhoa") or context["users"]["admin"]
    chairman = context["users"].get("chutich") or context["users"]["admin"]
    today = local_today()
    # Some venues never took the QR up: they show in the list of venues to chase.
    idle = set(rng.sample(range(len(venues)), k=min(6, len(venues))))
    for index, venue in enumerate(venues):
        # The demo commune registered its venues about two months ago, so last month's report
        # counts their QR codes.
        registered = utcnow() - timedelta(days=rng.randint(62, 90))
        venue.created_at = registered
        for point in venue.points:
            point.created_at = registered
            if index not in idle and rng.random() < 0.85:
                point.poster_printed_at = utcnow() - timedelta(days=rng.randint(30, 60))
    rows = []
    sources = [s for s, _w in SOURCE_WEIGHTS]
    weights = [w for _s, w in SOURCE_WEIGHTS]
    for offset in range(DEMO_DAYS, -1, -1):
        day = today - timedelta(days=offset)
        for index, venue in enumerate(venues):
            if index in idle or rng.random() < 0.4:
                continue
            for _ in range(rng.randint(1, 6)):
                name, phone = demo_person(rng)
                at = local_to_utc(datetime.combine(day, time(rng.randint(6, 20),
                                                             rng.randint(0, 59))))
                source = rng.choices(sources, weights)[0]
                rows.append({
                    "commune_id": commune.id, "venue_id": venue.id,
                    "point_id": rng.choice(venue.points).id, "source": source,
                    "checked_in_at": at, "full_name": name, "search_name": fold(name),
                    "phone": phone, "answers": {}, "has_symptoms": False,
                    "entered_by_id": clerk.id if source in (CheckinSource.PAPER,
                                                            CheckinSource.ON_BEHALF) else None,
                    "created_at": at})
    record_visits_in_bulk(rows)
    store_material(commune.id, chairman, signature_png=demo_signature_png(),
                   seal_png=demo_seal_png(commune))
    first = today.replace(day=1)
    last_month_end = first - timedelta(days=1)
    signed = create_report(
        commune, clerk, period_start=last_month_end.replace(day=1), period_end=last_month_end,
        summary="Tình hình triển khai quét mã QR và khai báo khi ra, vào các địa điểm "
                "trên địa bàn xã",
        deployment="Ủy ban nhân dân xã đã chỉ đạo các thôn, tổ dân phố, cơ quan, trường học, "
                   "cơ sở kinh doanh niêm yết mã QR địa điểm và tổ chức khai báo cho người "
                   "ra, vào; người không có điện thoại thông minh được khai báo trên giấy "
                   "hoặc được khai báo hộ.",
        results="Việc khai báo bằng giấy và khai báo hộ giúp người cao tuổi, người không có "
                "điện thoại thông minh được ghi nhận đầy đủ.",
        shortcomings="Một số hộ kinh doanh chưa duy trì việc quét mã thường xuyên.",
        direction="Tiếp tục tuyên truyền, kiểm tra việc niêm yết mã QR tại các địa điểm.",
        proposals="Đề nghị cấp trên hỗ trợ thiết bị quét mã cho các điểm đông người.",
        smartphones=3200, app_installs=1450, recipients=default_recipients(commune),
        signer_kind="chairman")
    add_directive(signed, subject="V/v triển khai mã QR địa điểm trên địa bàn xã",
                  number_date=f"15/UBND {first.replace(day=1) - timedelta(days=25):%d/%m/%Y}",
                  issuing_unit="Ủy ban nhân dân xã",
                  recipients="Các thôn, tổ dân phố; trường học; hộ kinh doanh")
    submit_report(signed, clerk)
    db.session.flush()
    sign_off(signed, chairman, render_report_pdf, today=first if first <= today else today)
    create_report(commune, clerk, period_start=first, period_end=today,
                  summary="Tình hình quét mã QR tháng này", recipients=default_recipients(commune),
                  signer_kind="vice_chairman")
    db.session.flush()
