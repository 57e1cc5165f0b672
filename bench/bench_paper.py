"""Benchmark of the paper path: saving one transcribed row with many declarations already stored,
and printing 1,000 copies of a form.

    python -m bench.bench_paper [--rows 1000000] [--saves 300] [--postgres URL]

For each database (SQLite file, and PostgreSQL if a URL is given or REGISTRY_TEST_POSTGRES is
set) it measures saving rows through the real route (POST /paper/sheets/<id>/key: form parsing,
checks, insert, commit, redirect) on an empty database as the baseline, then on a copy of a
database holding `--rows` declarations (built once and reused, bench/cache.py): p50 and p95
server time.
Then it prints 1,000 stamped copies of the log sheet and compares with one WeasyPrint layout.
The PostgreSQL database is emptied (DROP SCHEMA public): give it a scratch database only.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta

from sqlalchemy import insert, select, text

from bench import cache

from registry import create_app
from registry.extensions import db
from registry.models import Checkin, FormKind, Role
from registry.text import fold

PASSWORD = "bench-password-1"
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Bùi", "Đặng", "Ngô")
GIVEN = ("Văn An", "Thị Bình", "Văn Cường", "Thị Dung", "Minh Đức", "Thị Hà", "Quang Huy")


def _app(url: str):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True,
                       "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})


def _setup(app, postgres: bool):
    """Schema, a commune, a keyer and a collected batch with plenty of empty lines."""
    from registry.services.paper import custody as svc
    from registry.services.communes import categories_for_code, create_commune
    from registry.services.users import create_user
    from registry.services.venues import register_venue

    if postgres:
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    db.create_all()
    commune = create_commune(15664)
    keyer = create_user(commune.id, username="keyer", full_name="Người nhập", role=Role.DATA_ENTRY,
                        password=PASSWORD)
    venues = [register_venue(commune.id, keyer, point_names=["Cổng chính"], name=f"Địa điểm {i}",
                             category_id=categories_for_code(commune.id)["market"].id,
                             address=None, village_id=None, manager_name=None,
                             manager_phone=None, notes=None) for i in range(20)]
    batch = svc.create_batch(venues[0].points[0], FormKind.LOG, 200, keyer)
    svc.collect_batch(batch, keyer, date.today(), "Bench", 200)
    db.session.commit()
    return commune, venues, [s.id for s in batch.sheets]


def _bulk_load(commune, venues, rows: int, rng: random.Random) -> float:
    """Insert `rows` declarations in chunks (core inserts, not the ORM); seconds taken."""
    start = time.perf_counter()
    base = datetime.utcnow() - timedelta(days=20)
    chunk = 20_000
    for offset in range(0, rows, chunk):
        batch = []
        for i in range(offset, min(rows, offset + chunk)):
            venue = venues[i % len(venues)]
            name = f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"
            batch.append({
                "commune_id": commune.id, "venue_id": venue.id, "point_id": venue.points[0].id,
                "source": "self_scan", "checked_in_at": base + timedelta(seconds=i),
                "time_precision": "exact", "full_name": name, "search_name": fold(name),
                "birth_year": 1940 + i % 70, "phone": f"+849{i % 100_000_000:08d}",
                "answers": {}, "has_symptoms": False, "created_at": base})
        db.session.execute(insert(Checkin), batch)
        db.session.commit()
    return time.perf_counter() - start


def _measure_saves(app, sheet_ids: list[int], saves: int, first_line: int) -> list[float]:
    """Server time (ms) of `saves` POSTs of new rows through the keying route."""
    client = app.test_client()
    client.post("/auth/login", data={"username": "keyer", "password": PASSWORD})
    today = date.today().strftime("%d/%m/%Y")
    times = []
    slots = [(sid, n) for n in range(first_line, 16) for sid in sheet_ids]
    for i, (sheet_id, line_no) in enumerate(slots[:saves]):
        data = {"line_no": line_no, "day": today, "time_in": "8h30", "time_out": "",
                "full_name": f"Nguyễn Văn Thử {i}", "birth_year": "75",
                "phone": "0912 345 678", "id_number": "", "address": "Thôn Đông",
                "symptoms": "k"}
        start = time.perf_counter()
        response = client.post(f"/paper/sheets/{sheet_id}/key", data=data)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 302, [
            line for line in response.get_data(as_text=True).splitlines()
            if "error" in line or "flash" in line]
    return times


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _builder(rows: int):
    """Build the loaded database once (bench/cache.py): the setup and `rows` declarations."""
    def build():
        commune, venues, _sheets = _setup(None, False)
        load = _bulk_load(commune, venues, rows, random.Random(4))
        from registry.services import tallies

        while tallies.close_step(commune.id) is not None:  # as the worker does every hour
            db.session.commit()
        print(f"   built: {rows:,} declarations loaded in {load:.1f} s")
    return build


def _saves_on(url: str, saves: int, postgres_schema: bool = False) -> tuple[list[float], int]:
    """Warm up on five sheets, then time `saves` saves on the others; (times, rows stored)."""
    app = _app(url)
    with app.app_context():
        if postgres_schema:
            _setup(app, True)
        from registry.models import PaperSheet

        sheet_ids = list(db.session.scalars(select(PaperSheet.id).order_by(PaperSheet.id)))
        _measure_saves(app, sheet_ids[-5:], 20, first_line=1)  # warm-up, its own sheets
        times = _measure_saves(app, sheet_ids[:-5], saves, first_line=1)
        stored = db.session.scalar(text("SELECT count(*) FROM checkins"))
        db.session.remove()
        db.engine.dispose()
    return times, stored


def bench_database(label: str, empty_url: str, loaded_url: str, rows: int, saves: int) -> None:
    """Baseline on an empty database, then the same on a copy of the loaded one."""
    if label == "sqlite":
        app = _app(empty_url)
        with app.app_context():
            _setup(app, False)
            db.session.remove()
            db.engine.dispose()
    empty, _ = _saves_on(empty_url, saves, postgres_schema=label == "postgresql")
    full, stored = _saves_on(loaded_url, saves)
    print(f"[{label}] save one row, empty database (baseline): p50 {statistics.median(empty):.1f}"
          f" ms, p95 {_pct(empty, 95):.1f} ms ({len(empty)} saves)")
    print(f"[{label}] save one row, {stored:,} declarations: p50 {statistics.median(full):.1f} ms,"
          f" p95 {_pct(full, 95):.1f} ms ({len(full)} saves)")


def bench_print(copies: int = 1000) -> None:
    """1,000 stamped copies of the log sheet versus one full WeasyPrint layout."""
    from registry.pdf.paper import blank_form_pdf, stamped_copies
    from registry.services.paper import custody as svc

    with tempfile.TemporaryDirectory() as tmp:
        app = _app(f"sqlite:///{tmp}/print.sqlite")
        with app.app_context(), app.test_request_context():
            commune, venues, _ = _setup(app, False)
            batch = svc.create_batch(venues[1].points[0], FormKind.LOG, copies, None)
            serials = [s.serial for s in batch.sheets]
            blank_form_pdf(batch)  # fonts and stylesheets loaded once per process
            start = time.perf_counter()
            blank = blank_form_pdf(batch)
            layout = time.perf_counter() - start
            start = time.perf_counter()
            pdf = stamped_copies(blank, serials, FormKind.LOG)
            stamped = time.perf_counter() - start
    print(f"[print] one WeasyPrint layout of the log sheet: {layout * 1000:.0f} ms "
          f"(x{copies} = {layout * copies:.0f} s if each copy were laid out)")
    print(f"[print] {copies} stamped copies (each with its own serial and QR): "
          f"{layout + stamped:.2f} s, {len(pdf) / 1e6:.2f} MB "
          f"({len(pdf) / copies / 1000:.1f} kB per copy)")


def main() -> None:
    """Parse the options and run every part."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--saves", type=int, default=300)
    parser.add_argument("--postgres", default=os.environ.get("REGISTRY_TEST_POSTGRES"))
    parser.add_argument("--skip-print", action="store_true")
    args = parser.parse_args()
    name = f"paper{args.rows}"
    with cache.scratch_dir() as tmp:
        loaded = cache.sqlite_copy(cache.sqlite_db(name, _builder(args.rows)), tmp)
        bench_database("sqlite", f"sqlite:///{tmp}/empty.sqlite", loaded, args.rows, args.saves)
    if args.postgres:
        loaded = cache.postgres_copy(cache.postgres_db(name, args.postgres, _builder(args.rows)))
        try:
            bench_database("postgresql", args.postgres, loaded, args.rows, args.saves)
        finally:
            cache.drop_postgres(loaded)
    if not args.skip_print:
        bench_print()


if __name__ == "__main__":
    main()
