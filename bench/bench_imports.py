"""Benchmark of the spreadsheet imports through the real pages: 10,000 residents and 10,000
venues, upload → preview → confirm, with every check the pages make, on SQLite and PostgreSQL.

    $VENV/bin/python -m bench.bench_imports [--rows 10000] [--backend sqlite|postgresql|both]

Each import starts on a commune that already holds a register of `--rows` residents (or
venues), so the duplicate checks have something to look through, and half of the file's rows
are new, half match a registered record (updated). The baseline, measured in the same run, is
what no import can avoid: reading the .xlsx (`registry.spreadsheets.read_rows`) and inserting
the same number of plain rows in one statement. PostgreSQL uses $REGISTRY_BENCH_POSTGRES, else
$REGISTRY_TEST_POSTGRES (its schema is dropped and recreated).
"""
from __future__ import annotations

import argparse
import io
import os
import random
import re
import tempfile
import time

import openpyxl
from sqlalchemy import insert, select, text

from bench import cache
from registry.extensions import db
from registry.models import Commune, Resident, Role, Venue
from registry.spreadsheets import read_rows

PASSWORD = "bench-password-1"
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Bùi", "Đặng", "Ngô")
MIDDLE = ("Văn", "Thị", "Minh", "Quang", "Hữu", "Thanh", "Ngọc", "Đức")
GIVEN = ("An", "Bình", "Cường", "Dung", "Hà", "Huy", "Lan", "Long", "Mai", "Nam", "Sơn", "Tâm")
VILLAGES = [f"Thôn {i}" for i in range(1, 11)]


def _xlsx(header: list[str], rows: list[list]) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _person(i: int, rng: random.Random) -> tuple:
    name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
    year = 1940 + i % 70
    sex = "Nam" if i % 2 else "Nữ"
    # CCCD: province 038, century/sex digit, two digits of the year, six serial digits.
    century_sex = (0 if year < 2000 else 2) + (0 if sex == "Nam" else 1)
    id_number = f"038{century_sex}{year % 100:02d}{i:06d}"
    return name, year, sex, id_number, f"09{i:08d}", VILLAGES[i % len(VILLAGES)]


def _setup(url: str, backend: str):
    """A fresh schema with a commune, its villages and a clerk; the app, logged in."""
    from registry.services.communes import add_village, create_commune
    from registry.services.users import create_user

    app = cache.app_for(url)
    with app.app_context():
        if backend == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        db.create_all()
        commune = create_commune(15664)
        for name in VILLAGES:
            add_village(commune, name)
        create_user(commune.id, username="bench-clerk", full_name="Nguyễn Thị Thúy",
                    role=Role.CLERK, password=PASSWORD)
        db.session.commit()
        commune_id = commune.id
        db.session.remove()
    return app, commune_id


def _post_file(client, path: str, name: str, data: bytes):
    return client.post(path, data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _preview_and_confirm(client, upload: str, confirm: str, data: bytes, name: str):
    """(preview seconds, confirm seconds) through the pages; fails loudly on a refused file."""
    started = time.perf_counter()
    page = _post_file(client, upload, name, data)
    preview = time.perf_counter() - started
    body = page.get_data(as_text=True)
    match = re.search(r'name="token" value="([^"]+)"', body)
    assert page.status_code == 200 and match, body[:2000]
    started = time.perf_counter()
    done = client.post(confirm, data={"token": match.group(1), "existing": "update"})
    seconds = time.perf_counter() - started
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    return preview, seconds


def bench_residents(url: str, backend: str, rows: int) -> None:
    from registry.forms.residents import import_header

    rng = random.Random(13)
    app, commune_id = _setup(url, backend)
    people = [_person(i, rng) for i in range(rows + rows // 2)]
    with app.app_context(), app.test_request_context():
        header = import_header()
        villages = {v.name: v.id for v in db.session.get(Commune, commune_id).villages}
        # The register already holds the first `rows` people (bulk, as a previous import).
        db.session.execute(insert(Resident), [
            {"commune_id": commune_id, "full_name": n, "search_name": _fold(n), "birth_year": y,
             "sex": "male" if s == "Nam" else "female", "id_number": idn, "phone": None,
             "village_id": villages[v]} for n, y, s, idn, _p, v in people[:rows]])
        db.session.commit()
    # The file: half registered already (updated), half new.
    file_people = people[rows // 2:rows // 2 + rows]
    data = _xlsx(header, [[n, y, s, idn, p, v, "", "", ""] for n, y, s, idn, p, v in file_people])
    client = app.test_client()
    client.post("/auth/login", data={"username": "bench-clerk", "password": PASSWORD})
    preview, confirm = _preview_and_confirm(client, "/residents/import",
                                            "/residents/import/confirm", data, "nhan-khau.xlsx")
    with app.app_context():
        total = db.session.scalar(select(db.func.count()).select_from(Resident))
        read, insert_s = _baseline(data, Resident, commune_id, rows)
        db.session.remove()
        db.engine.dispose()
    print(f"[{backend}] {rows:,} residents ({len(data) / 1e6:.1f} MB .xlsx, half new, half "
          f"updated): preview {preview:.1f} s + confirm {confirm:.1f} s = "
          f"{preview + confirm:.1f} s; register now {total:,} (baseline: read the file "
          f"{read:.1f} s, one INSERT of {rows:,} rows {insert_s:.2f} s)")


def bench_venues(url: str, backend: str, rows: int) -> None:
    from registry.forms.venues import import_header

    app, commune_id = _setup(url, backend)
    with app.app_context(), app.test_request_context():
        header = import_header()
        from registry.services.communes import categories_for_code

        categories = [c.name for c in categories_for_code(commune_id).values()]
        category_ids = [c.id for c in categories_for_code(commune_id).values()]
        db.session.execute(insert(Venue), [
            {"commune_id": commune_id, "name": f"Cửa hàng số {i}",
             "search_name": f"cua hang so {i}", "address": f"Số {i} đường Lê Lợi",
             "category_id": category_ids[i % len(category_ids)],
             "manager_name": "Nguyễn Văn An", "manager_phone": "+84912345678",
             "status": "active"} for i in range(rows)])
        db.session.commit()
    data = _xlsx(header, [[f"Cửa hàng số {i}", categories[i % len(categories)],
                           f"Số {i} đường Lê Lợi", VILLAGES[i % len(VILLAGES)], "Trần Văn Bình",
                           f"09{i:08d}", "Cổng chính; Cổng phụ", ""]
                          for i in range(rows // 2, rows // 2 + rows)])
    client = app.test_client()
    client.post("/auth/login", data={"username": "bench-clerk", "password": PASSWORD})
    preview, confirm = _preview_and_confirm(client, "/venues/import", "/venues/import/confirm",
                                            data, "dia-diem.xlsx")
    with app.app_context():
        total = db.session.scalar(select(db.func.count()).select_from(Venue))
        read, insert_s = _baseline(data, Venue, commune_id, rows)
        db.session.remove()
        db.engine.dispose()
    print(f"[{backend}] {rows:,} venues ({len(data) / 1e6:.1f} MB .xlsx, half new, half "
          f"updated): preview {preview:.1f} s + confirm {confirm:.1f} s = "
          f"{preview + confirm:.1f} s; venues now {total:,} (baseline: read the file "
          f"{read:.1f} s, one INSERT of {rows:,} rows {insert_s:.2f} s)")


def _fold(name: str) -> str:
    from registry.text import fold

    return fold(name)


def _baseline(data: bytes, model, commune_id: int, rows: int) -> tuple[float, float]:
    """Seconds to read the file, and to insert `rows` bare rows into a scratch table."""
    started = time.perf_counter()
    read_rows("file.xlsx", data)
    read = time.perf_counter() - started
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TEMPORARY TABLE bench_rows ("
                          "commune_id integer, name varchar(200), n integer)"))
        started = time.perf_counter()
        conn.execute(text("INSERT INTO bench_rows (commune_id, name, n) VALUES (:c, :name, :n)"),
                     [{"c": commune_id, "name": f"Tên {i}", "n": i} for i in range(rows)])
        inserted = time.perf_counter() - started
        conn.execute(text("DROP TABLE bench_rows"))
    return read, inserted


def main() -> None:
    """Run both imports on the chosen databases."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--only", choices=("residents", "venues"))
    args = parser.parse_args()
    pg = os.environ.get("REGISTRY_BENCH_POSTGRES") or os.environ.get("REGISTRY_TEST_POSTGRES")
    targets = []
    if args.backend in ("sqlite", "both"):
        targets.append("sqlite")
    if args.backend in ("postgresql", "both"):
        if pg:
            targets.append("postgresql")
        else:
            print("[postgresql] skipped: set REGISTRY_BENCH_POSTGRES")
    for backend in targets:
        for kind in ("residents", "venues"):
            if args.only and kind != args.only:
                continue
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite:///{tmp}/imports.sqlite" if backend == "sqlite" else pg
                (bench_residents if kind == "residents" else bench_venues)(url, backend,
                                                                             args.rows)


if __name__ == "__main__":
    main()
