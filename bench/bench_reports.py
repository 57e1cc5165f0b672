"""Benchmark of the dashboard and report figures over many check-ins, on SQLite and PostgreSQL,
and of rendering a 4-page report PDF.

    $VENV/bin/python -m bench.bench_reports [--checkins 1000000] [--venues 500] [--postgres URL]

Data: one commune, `--venues` venues (10 categories, 1–3 check-in points each), `--checkins`
check-ins spread over 90 days and the four sources, plus purged daily counts for the 30 days
before them. Times are the median of 5 runs after one warm-up. The baseline, measured in the
same run, is a bare COUNT(*) of the period's check-ins.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta

from sqlalchemy import func, insert, select, text

from registry import create_app
from registry.extensions import db
from registry.models import (Checkin, CheckinDailyCount, CheckinPoint, CheckinSource, Role,
                             Venue)
from registry.services.communes import create_commune
from registry.services.users import create_user
from registry.timeutil import local_today, local_to_utc

SOURCES = [s.value for s in CheckinSource]
BATCH = 50_000


def timed(fn, runs: int = 5) -> float:
    """Median seconds of `runs` calls after a warm-up."""
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def build(n_checkins: int, n_venues: int, rng: random.Random) -> dict:
    """The commune, venues and check-ins (bulk inserted)."""
    commune = create_commune(15664)
    commune.chairman_name, commune.vice_chairman_name = "Lê Văn Tiến", "Lê Quang Trung"
    clerk = create_user(commune.id, username="bench-clerk", full_name="Nguyễn Thị Thúy",
                        role=Role.CLERK, password="bench-password-1")
    chairman = create_user(commune.id, username="bench-chair", full_name="Lê Văn Tiến",
                           role=Role.CHAIRMAN, password="bench-password-1")
    db.session.flush()
    from registry.services.communes import categories_for_code

    categories = list(categories_for_code(commune.id).values())
    long_ago = datetime.utcnow() - timedelta(days=400)
    venue_rows = [{"commune_id": commune.id, "name": f"Địa điểm {i}",
                   "search_name": f"dia diem {i}", "category_id": rng.choice(categories).id,
                   "manager_name": "Nguyễn Văn An", "manager_phone": "+84912345678",
                   "status": "active", "created_at": long_ago, "updated_at": long_ago}
                  for i in range(n_venues)]
    db.session.execute(insert(Venue), venue_rows)
    venue_ids = list(db.session.scalars(select(Venue.id).where(Venue.commune_id == commune.id)))
    point_rows = []
    for vid in venue_ids:
        for k in range(rng.randint(1, 3)):
            point_rows.append({"venue_id": vid, "name": f"Cổng {k}", "token": f"t{vid}-{k}",
                               "poster_version": 1, "is_active": True, "created_at": long_ago,
                               "poster_printed_at": long_ago if rng.random() < 0.7 else None})
    db.session.execute(insert(CheckinPoint), point_rows)
    points = db.session.execute(select(CheckinPoint.id, CheckinPoint.venue_id)).all()
    # A quarter of the venues stay idle for the last 10 days.
    idle = set(rng.sample(venue_ids, k=len(venue_ids) // 4))
    today = local_today()
    start = local_to_utc(datetime.combine(today - timedelta(days=89), datetime.min.time()))
    span = 90 * 86400
    recent = local_to_utc(datetime.combine(today - timedelta(days=10), datetime.min.time()))
    db.session.commit()
    inserted = 0
    while inserted < n_checkins:
        rows = []
        for _ in range(min(BATCH, n_checkins - inserted)):
            point_id, venue_id = rng.choice(points)
            at = start + timedelta(seconds=rng.randrange(span))
            if venue_id in idle and at >= recent:
                at -= timedelta(days=11)
            rows.append({"commune_id": commune.id, "venue_id": venue_id, "point_id": point_id,
                         "source": rng.choice(SOURCES), "checked_in_at": at,
                         "time_precision": "exact", "full_name": "Nguyễn Văn Bình",
                         "search_name": "nguyen van binh", "answers": "{}",
                         "has_symptoms": False, "created_at": at})
        db.session.execute(Checkin.__table__.insert(), rows)
        db.session.commit()
        inserted += len(rows)
    # Purged days before the live ones: daily counts only.
    kept = []
    for offset in range(90, 120):
        day = today - timedelta(days=offset)
        for point_id, venue_id in rng.sample(points, k=min(len(points), 200)):
            kept.append({"commune_id": commune.id, "venue_id": venue_id, "point_id": point_id,
                         "day": day, "source": rng.choice(SOURCES), "count": rng.randint(1, 40)})
    seen, unique = set(), []
    for row in kept:
        key = (row["point_id"], row["day"], row["source"])
        if key not in seen:
            seen.add(key)
            unique.append(row)
    db.session.execute(insert(CheckinDailyCount), unique)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # What autovacuum does on a live server after a bulk load.
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    # SQLite: no ANALYZE, as in production (the app never runs it); with statistics that say
    # every row has the same commune, SQLite's planner prefers a skip-scan of the venue index.
    return {"commune_id": commune.id, "clerk": clerk.id, "chairman": chairman.id,
            "today": today}


def run_backend(name: str, url: str, args, rng: random.Random) -> None:
    """Load the data into one database and time the pages."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True,
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    with app.app_context():
        if name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        db.create_all()
        t0 = time.perf_counter()
        ctx = build(args.checkins, args.venues, rng)
        load = time.perf_counter() - t0
        total = db.session.scalar(select(func.count()).select_from(Checkin))
        print(f"\n== {name}: {total:,} check-ins, {args.venues} venues "
              f"(loaded in {load:.0f} s)")
        from registry.services.dashboard import compute_dashboard, idle_venues, period_bounds_utc
        from registry.services.reports.drafting import create_report, report_figures

        today, cid = ctx["today"], ctx["commune_id"]
        month = (today - timedelta(days=30), today)
        quarter = (today - timedelta(days=119), today)  # includes the purged days
        lo, hi = period_bounds_utc(*month)

        def baseline():
            """COUNT(*) of the month's check-ins."""
            db.session.scalar(select(func.count()).select_from(Checkin).where(
                Checkin.commune_id == cid, Checkin.checked_in_at >= lo,
                Checkin.checked_in_at < hi))

        print(f"baseline COUNT(*) of a month            {timed(baseline) * 1000:8.1f} ms")
        print(f"dashboard figures, 31 days              "
              f"{timed(lambda: compute_dashboard(cid, *month)) * 1000:8.1f} ms")
        print(f"dashboard figures, 120 days (+purged)   "
              f"{timed(lambda: compute_dashboard(cid, *quarter)) * 1000:8.1f} ms")
        print(f"idle venues (7 days)                    "
              f"{timed(lambda: idle_venues(cid, 7)) * 1000:8.1f} ms")
        from registry.models import User

        clerk = db.session.get(User, ctx["clerk"])
        report = create_report(clerk.commune, clerk, period_start=month[0], period_end=month[1],
                               summary="Báo cáo", recipients="Sở Thông tin và Truyền thông",
                               signer_kind="chairman")
        db.session.commit()
        print(f"report figures, 31 days                 "
              f"{timed(lambda: report_figures(report)) * 1000:8.1f} ms")
        client = app.test_client()
        client.post("/auth/login", data={"username": "bench-clerk",
                                         "password": "bench-password-1"})

        def page():
            """The whole dashboard page over HTTP."""
            response = client.get(f"/dashboard/?start={month[0]}&end={month[1]}&days=7")
            assert response.status_code == 200

        print(f"GET /dashboard/ (whole page), 31 days   {timed(page) * 1000:8.1f} ms")
        db.session.remove()
        db.engine.dispose()


def bench_pdf() -> None:
    """Render a 4-page report PDF (draft, from a small database)."""
    from registry.pdf.reports import draft_report_pdf as draft_pdf
    from registry.services.reports.drafting import add_directive, create_report

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/pdf.sqlite",
                          "SECRET_KEY": "bench", "TESTING": True})
        with app.app_context():
            db.create_all()
            commune = create_commune(15664)
            commune.chairman_name = "Lê Văn Tiến"
            clerk = create_user(commune.id, username="c", full_name="C", role=Role.CLERK,
                                password="bench-password-1")
            paragraph = ("Ủy ban nhân dân xã đã chỉ đạo các thôn, tổ dân phố, cơ quan, trường "
                         "học, cơ sở kinh doanh niêm yết mã QR địa điểm và tổ chức khai báo. ")
            report = create_report(
                commune, clerk, period_start=date(2026, 10, 1), period_end=date(2026, 10, 31),
                summary="Tình hình triển khai quét mã QR", signer_kind="chairman",
                recipients="Sở Thông tin và Truyền thông\nLưu: VT, VHTT",
                deployment="\n".join([paragraph * 4] * 6), results="\n".join([paragraph * 4] * 5),
                shortcomings=paragraph * 3, direction=paragraph * 3, proposals=paragraph * 2)
            for i in range(8):
                add_directive(report, subject=f"V/v triển khai mã QR đợt {i + 1}",
                              number_date=f"{100 + i}/UBND 0{i + 1}/9/2026",
                              issuing_unit="Ủy ban nhân dân xã", recipients="Các thôn")
            db.session.commit()
            with app.test_request_context():
                pdf = draft_pdf(report)
                import io

                import pypdf

                pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
                seconds = timed(lambda: draft_pdf(report), runs=3)
            print(f"\n== PDF: {pages}-page report rendered in {seconds * 1000:.0f} ms "
                  f"({len(pdf) / 1024:.0f} KiB)")
            db.session.remove()
            db.engine.dispose()


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkins", type=int, default=1_000_000)
    parser.add_argument("--venues", type=int, default=500)
    parser.add_argument("--postgres", default=os.environ.get("REGISTRY_BENCH_POSTGRES"))
    parser.add_argument("--skip-pdf", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run_backend("sqlite", f"sqlite:///{tmp}/bench.sqlite", args, random.Random(6))
    if args.postgres:
        run_backend("postgresql", args.postgres, args, random.Random(6))
    else:
        print("\n(PostgreSQL skipped: pass --postgres URL or set REGISTRY_BENCH_POSTGRES)")
    if not args.skip_pdf:
        bench_pdf()


if __name__ == "__main__":
    main()
