"""Benchmark of the dashboard and the coverage page over 1,000,000 check-ins and 500 venues, on
SQLite and PostgreSQL: 31- and 120-day periods, beside bare counts over the same table.

    $VENV/bin/python -m bench.bench_dashboard [--checkins 1000000] [--venues 500]
        [--postgres URL] [--backend sqlite|postgresql|both]

Data (as bench_reports): one commune, `--venues` venues in 10 categories with 1–3 check-in
points, the check-ins spread over 90 days and the four sources, and purged daily counts for the
30 days before them; the days before today are rolled up (`flask close-days`, as the worker
does every hour). The databases are built once and reused (bench/cache.py). Each figure is the
median of 5 runs after a warm-up. Baselines from the same run: a bare COUNT(*) of the period's
check-ins, and the same dashboard computed without the roll-up (every day counted live).
"""
from __future__ import annotations

import argparse
import os
import random
import time
from datetime import timedelta

from sqlalchemy import func, select

from bench import cache
from bench.bench_reports import build, timed
from registry.extensions import db
from registry.models import Checkin, Commune, User
from registry.services import tallies
from registry.timeutil import local_today


def _build(n_checkins: int, n_venues: int):
    def run():
        started = time.perf_counter()
        ctx = build(n_checkins, n_venues, random.Random(6))
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        while tallies.close_step(ctx["commune_id"]) is not None:
            db.session.commit()
        print(f"   built: {n_checkins:,} check-ins in {loaded:.0f} s, days rolled up in "
              f"{time.perf_counter() - started:.1f} s")
    return run


def run_backend(name: str, url: str) -> None:
    """Time the figures and pages on one cached database."""
    app = cache.app_for(url)
    with app.app_context():
        from registry.services.coverage import compute_coverage
        from registry.services.dashboard import compute_dashboard, period_bounds_utc

        cid = db.session.scalar(select(Commune.id))
        total = db.session.scalar(select(func.count()).select_from(Checkin))
        today = local_today()
        print(f"\n== {name}: {total:,} check-ins, rolled up through "
              f"{tallies.tallied_through(cid)}")
        periods = {"31 days": (today - timedelta(days=30), today),
                   "120 days": (today - timedelta(days=119), today)}
        client = app.test_client()
        clerk = db.session.scalar(select(User).where(User.username == "bench-clerk"))
        client.post("/auth/login", data={"username": clerk.username,
                                         "password": "bench-password-1"})
        for label, (start, end) in periods.items():
            lo, hi = period_bounds_utc(start, end)

            def baseline():
                """A bare COUNT(*) of the period's check-ins."""
                db.session.scalar(select(func.count()).select_from(Checkin).where(
                    Checkin.commune_id == cid, Checkin.checked_in_at >= lo,
                    Checkin.checked_in_at < hi))

            def dashboard_page():
                response = client.get(f"/dashboard/?start={start}&end={end}")
                assert response.status_code == 200

            def coverage_page():
                response = client.get(f"/coverage/?start={start}&end={end}")
                assert response.status_code == 200

            def without_roll_up():
                """The same figures with every day counted live (the mark moved away)."""
                real = tallies.split_period
                tallies.split_period = lambda _c, s, _e: (None, s)
                try:
                    compute_dashboard(cid, start, end)
                finally:
                    tallies.split_period = real

            base = timed(baseline)
            figures = timed(lambda: compute_dashboard(cid, start, end))
            live = timed(without_roll_up, runs=3)
            page = timed(dashboard_page)
            coverage = timed(lambda: compute_coverage(cid, start, end))
            coverage_http = timed(coverage_page)
            print(f"[{name}] {label:8} baseline COUNT(*) {base * 1000:7.1f} ms | dashboard "
                  f"figures {figures * 1000:6.1f} ms (every day live: {live * 1000:6.1f} ms) | "
                  f"GET /dashboard/ {page * 1000:6.1f} ms | coverage figures "
                  f"{coverage * 1000:6.1f} ms, GET /coverage/ {coverage_http * 1000:6.1f} ms")
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    """Build or reuse the databases and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkins", type=int, default=1_000_000)
    parser.add_argument("--venues", type=int, default=500)
    parser.add_argument("--postgres", default=os.environ.get("REGISTRY_BENCH_POSTGRES")
                        or os.environ.get("REGISTRY_TEST_POSTGRES"))
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    name = f"dashboard{args.checkins}x{args.venues}"
    builder = _build(args.checkins, args.venues)
    if args.backend in ("sqlite", "both"):
        run_backend("sqlite", cache.sqlite_db(name, builder))
    if args.backend in ("postgresql", "both"):
        if not args.postgres:
            print("\n(PostgreSQL skipped: pass --postgres URL or set REGISTRY_BENCH_POSTGRES)")
        else:
            run_backend("postgresql", cache.postgres_db(name, args.postgres, builder))


if __name__ == "__main__":
    main()
