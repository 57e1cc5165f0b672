"""Demo data for the dashboard and reports: a month and a half of check-ins from every source,
posters printed, a signed reminder, a signed report for last month and a draft for this one
(both written from the figures), demo signature and seal images (no certificate: demo reports
are signed with the token and uploaded)."""
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
from registry.demo.reminders import seed_reminder
from registry.services.reports.drafting import create_report, default_recipients, submit_report
from registry.services.reports.wording import GENERIC_SUMMARY
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
    """Check-ins for the dashboard, printed posters, a signed reminder to the venues that never
    scanned, a signed report for last month and a draft for this one, written from the
    figures. Nothing lies after the moment the demo is seeded."""
    venues = context["venues"]
    clerk = context["users"].get("vanhoa") or context["users"]["admin"]
    chairman = context["users"].get("chutich") or context["users"]["admin"]
    today, now = local_today(), utcnow()
    # Some venues never took the QR up: three printed the poster but nobody scans it (the
    # venues a reminder goes to), the others never printed one.
    idle = rng.sample(range(len(venues)), k=min(6, len(venues)))
    silent_with_qr = set(idle[:3])
    for index, venue in enumerate(venues):
        # The demo commune registered its venues about two months ago, so last month's report
        # counts their QR codes.
        registered = now - timedelta(days=rng.randint(62, 90))
        venue.created_at = registered
        for point in venue.points:
            point.created_at = registered
            if index in silent_with_qr or (index not in idle and rng.random() < 0.85):
                point.poster_printed_at = now - timedelta(days=rng.randint(40, 60))
    rows = []
    for offset in range(DEMO_DAYS, -1, -1):
        day = today - timedelta(days=offset)
        for index, venue in enumerate(venues):
            if index in idle or rng.random() < 0.4:
                continue
            rows += _visits(commune, venue, day, rng.randint(1, 6), rng, clerk, now,
                            poster=any(p.poster_printed_at for p in venue.points))
    record_visits_in_bulk(rows)
    store_material(commune.id, chairman, signature_png=demo_signature_png(),
                   seal_png=demo_seal_png(commune))
    first = today.replace(day=1)
    last_month_end = first - timedelta(days=1)
    last_month = (last_month_end.replace(day=1), last_month_end)
    # The clerk watched the first twenty days of last month, and the chairman signed a reminder
    # the day after; last month's report cites it.
    watched = (last_month[0], last_month[0] + timedelta(days=19))
    reminded, issued = seed_reminder(commune, clerk, chairman, watched,
                                     {venues[i].id for i in silent_with_qr})
    # Two of the venues reminded took the QR up afterwards; the third stays silent.
    for venue_id in sorted(reminded)[:2]:
        venue = next(v for v in venues if v.id == venue_id)
        for offset in range((today - issued).days, -1, -1):
            rows = _visits(commune, venue, today - timedelta(days=offset), rng.randint(0, 3),
                           rng, clerk, now, poster=True)
            record_visits_in_bulk(rows)
    signed = create_report(
        commune, clerk, period_start=last_month[0], period_end=last_month[1],
        summary=GENERIC_SUMMARY, smartphones=3200, app_installs=1450,
        recipients=default_recipients(commune), signer_kind="chairman")
    submit_report(signed, clerk)
    db.session.flush()
    sign_off(signed, chairman, render_report_pdf, today=first if first <= today else today)
    create_report(commune, clerk, period_start=first, period_end=today, summary=GENERIC_SUMMARY,
                  recipients=default_recipients(commune), signer_kind="vice_chairman")
    db.session.flush()


def _visits(commune, venue, day, count: int, rng, clerk, now, poster: bool) -> list[dict]:
    """`count` finished visits at `venue` on the local `day`, none later than `now`; no
    self-scan where no poster hangs."""
    weights_of = [(s, w) for s, w in SOURCE_WEIGHTS if poster or s != CheckinSource.SELF_SCAN]
    sources = [s for s, _w in weights_of]
    weights = [w for _s, w in weights_of]
    rows = []
    for _ in range(count):
        name, phone = demo_person(rng)
        at = local_to_utc(datetime.combine(day, time(rng.randint(6, 20), rng.randint(0, 59))))
        if at > now:
            continue
        source = rng.choices(sources, weights)[0]
        rows.append({
            "commune_id": commune.id, "venue_id": venue.id,
            "point_id": rng.choice(venue.points).id, "source": source, "checked_in_at": at,
            "full_name": name, "search_name": fold(name), "phone": phone, "answers": {},
            "has_symptoms": False,
            "entered_by_id": clerk.id if source in (CheckinSource.PAPER,
                                                    CheckinSource.ON_BEHALF) else None,
            "created_at": at})
    return rows
