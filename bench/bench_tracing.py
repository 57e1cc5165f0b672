"""Tracing search, venue-window search and `flask purge` over a large check-in table.

    python -m bench.bench_tracing [--rows 1000000] [--backend sqlite|postgresql|both]

PostgreSQL uses a database beside $REGISTRY_BENCH_POSTGRES, else $REGISTRY_TEST_POSTGRES (named
after it, built once: bench/cache.py), and a scratch copy of it for the purge. Prints the
medians of the searches, the purge time, and a baseline measured in the same run (one
indexed primary-key fetch, and a full count of the table).
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import timedelta

from sqlalchemy import func, insert, select, text

from registry import create_app
from registry.extensions import db
from bench import cache
from registry.models import Checkin, CheckinPoint, CheckinSource, Commune, TimePrecision
from registry.services import tallies
from registry.services.tracing import cases, search
from registry.services.communes import categories_for_code, create_commune
from registry.services.venues import register_venue
from registry.text import fold
from registry.timeutil import local_today, utcnow

SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Bùi", "Đặng", "Ngô", "Dương",
            "Lý")
MIDDLE = ("Văn", "Thị", "Minh", "Quang", "Hữu", "Thanh", "Ngọc", "Đức")
GIVEN = ("An", "Bình", "Cường", "Dung", "Đức", "Hà", "Huy", "Lan", "Long", "Mai", "Nam", "Oanh",
         "Phúc", "Quyên", "Sơn", "Tâm", "Uyên", "Vinh", "Xuân", "Yến")
DAYS = 42  # half the rows are past the 21-day retention, for the purge
SEARCHES = 25


class _System:
    id = None


def _people(rng: random.Random, count: int) -> list[tuple[str, str, str]]:
    people = []
    for i in range(count):
        name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        people.append((name, f"+849{i:08d}", f"0381{rng.randint(0, 99):02d}{i:06d}"))
    return people


def _load(rows: int, rng: random.Random):
    commune = create_commune(15664)
    cats = categories_for_code(commune.id)
    points = []
    for n in range(40):
        venue = register_venue(commune.id, _System(), point_names=["Cổng chính", "Cổng phụ"],
                               name=f"Địa điểm {n}", category_id=cats["market"].id, address=None,
                               village_id=None, manager_name=None, manager_phone=None,
                               notes=None)
        points.extend((venue.id, p.id) for p in venue.points)
    db.session.commit()
    people = _people(rng, max(rows // 20, 100))
    now = utcnow()
    sources = list(CheckinSource)
    batch, started = [], time.perf_counter()
    for i in range(rows):
        name, phone, id_number = rng.choice(people)
        venue_id, point_id = rng.choice(points)
        source = sources[i % 4]
        at = now - timedelta(seconds=rng.randint(0, DAYS * 86400))
        precision = TimePrecision.EXACT
        if source == CheckinSource.PAPER:
            precision = rng.choice((TimePrecision.EXACT, TimePrecision.APPROXIMATE,
                                    TimePrecision.DATE_ONLY))
        batch.append({
            "commune_id": commune.id, "venue_id": venue_id, "point_id": point_id,
            "source": source, "checked_in_at": at,
            "checked_out_at": at + timedelta(minutes=rng.randint(5, 90)) if i % 3 else None,
            "time_precision": precision, "full_name": name, "search_name": fold(name),
            "id_number": id_number if i % 2 else None, "phone": phone, "answers": {},
            "has_symptoms": False, "created_at": at})
        if len(batch) == 20000:
            db.session.execute(insert(Checkin), batch)
            db.session.commit()
            batch = []
    if batch:
        db.session.execute(insert(Checkin), batch)
        db.session.commit()
    load_s = time.perf_counter() - started
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return commune, people, points, load_s


CPU_MS: dict = {}  # the median CPU time of this process per search, by function


def _median_ms(fn, args_list) -> float:
    """The median wall time (ms); the median CPU time of this process goes to CPU_MS[fn]
    (with SQLite the whole search runs in this process: its CPU time does not depend on what
    else the machine runs)."""
    times, cpu = [], []
    for args in args_list:
        started, cpu_started = time.perf_counter(), time.process_time()
        fn(*args)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        db.session.rollback()
    CPU_MS[fn] = statistics.median(cpu)
    return statistics.median(times)


def _builder(rows: int):
    """Load the data set into the (cached) database being built."""
    def build():
        commune, _people_, _points, load_s = _load(rows, random.Random(2021))
        while tallies.close_step(commune.id) is not None:  # as the worker does every hour
            db.session.commit()
        print(f"   built: {rows:,} check-ins in {load_s:.1f} s")
    return build


def run(backend: str, url: str, rows: int, purge: bool = True) -> None:
    """Search and purge on a scratch copy of the cached database."""
    people = _people(random.Random(2021), max(rows // 20, 100))  # as _load drew them
    rng = random.Random(2022)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True})
    with app.app_context():
        commune = db.session.scalar(select(Commune))
        points = db.session.execute(select(CheckinPoint.venue_id, CheckinPoint.id)
                                    .order_by(CheckinPoint.id)).all()
        print(f"[{backend}] {rows:,} check-ins (database built once, bench/cache.py)")
        today = local_today()
        sample = rng.sample(people, SEARCHES)
        def phone_search(p):
            return search.person_search(commune.id, p[1], "phone", today - timedelta(days=14),
                                        today)

        by_phone = _median_ms(phone_search, [(p,) for p in sample])
        by_name = _median_ms(
            lambda p: search.person_search(commune.id, fold(p[0]), "name",
                                            today - timedelta(days=14), today),
            [(p,) for p in sample])
        all_namesakes = _median_ms(
            lambda p: search.person_search(commune.id, fold(p[0]), "name",
                                            today - timedelta(days=14), today,
                                            all_namesakes=True),
            [(p,) for p in sample[:5]])
        namesakes = len(search.person_search(commune.id, fold(sample[0][0]), "name",
                                              today - timedelta(days=14), today).candidates)
        windows = []
        for _ in range(SEARCHES):
            venue_id, point_id = rng.choice(points)
            start = utcnow() - timedelta(days=rng.randint(1, 14), hours=rng.randint(0, 12))
            windows.append((venue_id, start))
        venue_ms = _median_ms(
            lambda v, s: search.venue_search(commune.id, v, None, s, s + timedelta(hours=1)),
            windows)
        pk_ms = _median_ms(lambda i: db.session.get(Checkin, i),
                           [(rng.randint(1, rows),) for _ in range(SEARCHES)])
        started = time.perf_counter()
        total = db.session.scalar(select(func.count()).select_from(Checkin))
        count_ms = (time.perf_counter() - started) * 1000
        probe = search.person_search(commune.id, sample[0][1], "phone",
                                      today - timedelta(days=14), today)
        print(f"[{backend}] tracing search by phone (14 days): median {by_phone:.1f} ms, CPU of "
              f"this process {CPU_MS[phone_search]:.1f} ms (e.g. {len(probe.visits)} visits, "
              f"{probe.contact_count} contacts)")
        print(f"[{backend}] search by full name → list of namesakes to choose from: median "
              f"{by_name:.1f} ms (e.g. {namesakes} people share the name)")
        print(f"[{backend}] tracing ALL namesakes of a full name at once: median "
              f"{all_namesakes:.1f} ms")
        print(f"[{backend}] venue-window search (venue, 1 hour): median {venue_ms:.1f} ms")
        print(f"[{backend}] baseline: primary-key fetch {pk_ms:.2f} ms; "
              f"full count of {total:,} rows {count_ms:.1f} ms")
        if not purge:
            db.session.remove()
            db.engine.dispose()
            return
        # Hold a few thousand records in an open case, then purge through the CLI command.
        case = cases.create_case(commune.id, None, index_label="BN bench",
                                   index_date=today, index_date_kind="onset", notes=None)
        old_ids = db.session.scalars(select(Checkin.id).where(
            Checkin.checked_in_at < utcnow() - timedelta(days=30)).limit(2000)).all()
        cases.hold_checkins(case, set(old_ids))
        db.session.commit()
        db.session.remove()
        started = time.perf_counter()
        result = app.test_cli_runner().invoke(args=["purge"])
        purge_s = time.perf_counter() - started
        assert result.exit_code == 0, result.output
        left = db.session.scalar(select(func.count()).select_from(Checkin))
        print(f"[{backend}] flask purge on {total:,} rows: {purge_s:.1f} s "
              f"({result.output.strip()}); {left:,} rows left")
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    """Parse the arguments and run the chosen backends."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--skip-purge", action="store_true", help="the searches only")
    args = parser.parse_args()
    name = f"tracing{args.rows}"
    if args.backend in ("sqlite", "both"):
        cached = cache.sqlite_db(name, _builder(args.rows))
        if args.skip_purge:  # nothing is changed: the cached database itself
            run("sqlite", cached, args.rows, purge=False)
        else:
            with cache.scratch_dir() as tmp:
                run("sqlite", cache.sqlite_copy(cached, tmp), args.rows)
    pg = os.environ.get("REGISTRY_BENCH_POSTGRES") or os.environ.get("REGISTRY_TEST_POSTGRES")
    if args.backend in ("postgresql", "both"):
        if not pg:
            print("[postgresql] skipped: set REGISTRY_BENCH_POSTGRES")
        elif args.skip_purge:
            run("postgresql", cache.postgres_db(name, pg, _builder(args.rows)), args.rows,
                purge=False)
        else:
            scratch = cache.postgres_copy(cache.postgres_db(name, pg, _builder(args.rows)))
            try:
                run("postgresql", scratch, args.rows)
            finally:
                cache.drop_postgres(scratch)

if __name__ == "__main__":
    main()
