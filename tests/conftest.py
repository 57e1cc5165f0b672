"""Fixtures: an app per database backend, factories for the common records, a browser."""
from __future__ import annotations

import os
import socket
import threading
from datetime import datetime, time, timedelta
from itertools import count

import pytest
from sqlalchemy import text

from registry import create_app
from registry.extensions import db
from registry.models import Role
from registry.services.residents.register import add_resident
from registry.services.tracing import cases
from registry.timeutil import local_today, utcnow
from tests.scenes import (AN_ID, APPROX, CARD, DATE_ONLY, EXACT, OB, PAPER, START, TODAY, S,
                          checkin, kept_count, village_named, visit)

POSTGRES_URL = os.environ.get("REGISTRY_TEST_POSTGRES")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
PASSWORD = "correct-horse-1"
_pg_schema_ready = False


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """Compile the catalogs first, so the suite never runs on stale .mo files."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "compile", "-d",
                    str(root / "translations")], check=True)


def _test_config(url: str, tmp_path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "PUBLIC_BASE_URL": "https://registry.example.vn",
        "SERVER_NAME": None,
    }


def _reset_postgres() -> None:
    """Create the schema once per run, then empty every table between tests (fast)."""
    global _pg_schema_ready
    if not _pg_schema_ready:
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        db.create_all()
        _pg_schema_ready = True
    names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """The database the test runs on: every database test runs on SQLite and PostgreSQL."""
    return request.param


@pytest.fixture
def app(backend, tmp_path):
    """The application with an empty schema on the chosen backend."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.sqlite'}"
    else:
        url = POSTGRES_URL
    app = create_app(_test_config(url, tmp_path))
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        if backend == "sqlite":
            db.create_all()
        else:
            _reset_postgres()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def commune(app):
    """The commune of the tests: Xã Triệu Sơn, Thanh Hóa."""
    from registry.services.communes import add_village, create_commune

    commune = create_commune(15664, hotline="+842373868123")
    commune.chairman_name = "Lê Văn Tiến"
    commune.vice_chairman_name = "Lê Quang Trung"
    add_village(commune, "Thôn Đông")
    add_village(commune, "Thôn Tây")
    db.session.commit()
    return commune


@pytest.fixture
def other_commune(app):
    """A second commune whose data must stay invisible to the first one's users."""
    from registry.services.communes import create_commune

    other = create_commune(70)  # Phường Hoàn Kiếm, Hà Nội
    db.session.commit()
    return other


_usernames = count(1)


@pytest.fixture
def make_user(app, commune):
    """Factory: make_user(role, **overrides) -> User (password PASSWORD)."""
    from registry.services.users import create_user

    def make(role: Role | str = Role.CLERK, *, commune_id=None, venue=None, **overrides):
        role = Role(role)
        if role == Role.VENUE and venue is None:
            raise ValueError("a venue user needs venue=")
        user = create_user(
            commune_id or commune.id,
            username=overrides.pop("username", f"{role.value}{next(_usernames)}"),
            full_name=overrides.pop("full_name", f"Người dùng {role.value}"),
            role=role, password=overrides.pop("password", PASSWORD),
            venue_id=venue.id if venue is not None else None, **overrides)
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_venue(app, commune):
    """Factory: make_venue(**overrides) -> Venue with one check-in point."""
    from registry.services.communes import categories_for_code
    from registry.services.venues import register_venue

    class _System:
        id = None

    def make(*, commune_id=None, points=("Cổng chính",), category="school", **overrides):
        cid = commune_id or commune.id
        fields = {
            "name": "Trường Tiểu học Triệu Sơn",
            "category_id": categories_for_code(cid)[category].id,
            "address": "Số 1 đường Lê Lợi",
            "village_id": None,
            "manager_name": "Nguyễn Văn An",
            "manager_phone": "+84912345678",
            "notes": None,
        }
        fields.update(overrides)
        venue = register_venue(cid, _System(), point_names=list(points), **fields)
        db.session.commit()
        return venue

    return make


class AuthActions:
    """Log a test client in and out through the real login form."""

    def __init__(self, client):
        self._client = client

    def login(self, user, password: str = PASSWORD):
        return self._client.post("/auth/login", data={"username": user.username,
                                                      "password": password})

    def logout(self):
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client):
    """auth.login(user) / auth.logout()."""
    return AuthActions(client)


# --- browser tests -------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(tmp_path):
    """The app served over HTTP from a thread, on its own SQLite file; yields (app, base_url)."""
    from werkzeug.serving import make_server

    config = _test_config(f"sqlite:///{tmp_path / 'live.sqlite'}", tmp_path)
    config["WTF_CSRF_ENABLED"] = True
    app = create_app(config)
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        db.create_all()
    port = _free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser).

    Per module, not per session: Playwright's sync API keeps an asyncio loop running in the
    main thread while it is open, which other libraries' asyncio.run() (pyHanko) refuse.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh browser tab (own cookies) at a desktop size."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def scene(app, commune, make_venue):
    """Two venues and visits from all four sources around the index case's visits."""
    market = make_venue(name="Chợ Nưa", category="market", points=("Cổng Đông", "Cổng Tây"))
    school = make_venue(name="Trường THCS Triệu Sơn")
    east, west, gate = market.points[0], market.points[1], school.points[0]
    day = local_today() - timedelta(days=2)
    at = lambda d, h, m=0: datetime.combine(d, time(h, m))  # noqa: E731
    v = {}
    # The index case: self-scan at the market's east gate 09:00–09:20 …
    v["index"] = visit(east, S, "Nguyễn Văn An", at(day, 9), stay_minutes=20, id_number=AN_ID,
                       phone="+84912345678", birth_year=1985, sex="male")
    # … and the next day on paper at the school, a rough time, the name typed differently
    # but the same ID number (a linked record).
    v["index_paper"] = visit(gate, PAPER, "NGUYEN V AN", at(day + timedelta(days=1), 14),
                             precision=APPROX, id_number=AN_ID)
    # At the east gate on the same day:
    v["card"] = visit(east, CARD, "Trần Thị Bình", at(day, 9, 40), id_number="038190000001",
                      phone="+84987654321")                                   # in the window
    v["behalf"] = visit(east, OB, "Lê Văn Cường", at(day, 8, 35), birth_year=1950)  # in window
    v["paper_day"] = visit(east, PAPER, "Phạm Thị Dung", at(day, 0), precision=DATE_ONLY)
    v["late"] = visit(east, S, "Vũ Thị Hà", at(day, 10, 30))                  # too late
    v["paper_rough_late"] = visit(east, PAPER, "Hoàng Minh Đức", at(day, 12, 30),
                                  precision=APPROX)                            # 10:30–14:30
    v["other_gate"] = visit(west, OB, "Đỗ Văn Giang", at(day, 9, 5))          # other point
    v["day_before"] = visit(east, PAPER, "Bùi Thị Hoa", at(day - timedelta(days=1), 0),
                            precision=DATE_ONLY)                               # other day
    # At the school the next day, during the index case's rough 14:00 (12:00–16:00 ± 30'):
    v["school_ob"] = visit(gate, OB, "Ngô Quang Huy", at(day + timedelta(days=1), 15))
    v["school_late"] = visit(gate, S, "Đặng Thị Lan", at(day + timedelta(days=1), 17))
    db.session.commit()
    return {"day": day, "market": market, "school": school, "east": east, "west": west,
            "gate": gate, **v}


@pytest.fixture
def old_scene(scene, commune):
    """The scene plus visits from 30 and 40 days ago, some found by an open case."""
    east, gate = scene["east"], scene["gate"]
    old = local_today() - timedelta(days=30)
    olds = [visit(east, src, f"Người cũ {i}", datetime.combine(old, time(8 + i)),
                  precision=DATE_ONLY if src == PAPER else EXACT, phone="+84911000111")
            for i, src in enumerate((S, CARD, PAPER, OB, PAPER))]
    olds.append(visit(gate, PAPER, "Người rất cũ", datetime.combine(
        old - timedelta(days=10), time(7)), precision=APPROX))
    case = cases.create_case(commune.id, None, index_label="BN 1", index_date=old,
                               index_date_kind="onset", notes=None)
    cases.hold_checkins(case, {olds[0].id, olds[2].id})
    db.session.commit()
    return {**scene, "olds": olds, "case": case}


@pytest.fixture
def data(app, commune, make_venue):
    """A school with mixed check-ins, a market with a purged day, an idle shop."""
    school = make_venue(name="Trường Tiểu học Triệu Sơn", category="school")
    market = make_venue(name="Chợ Nưa", category="market", manager_name="Lê Thị Chợ",
                        manager_phone="+84987654321")
    shop = make_venue(name="Tạp hóa Cô Lan", category="household_business",
                      manager_name="Trần Thị Lan", manager_phone="+84911222333")
    school.points[0].poster_printed_at = utcnow()
    for _ in range(3):
        checkin(school, "self_scan", TODAY - timedelta(days=2))
    checkin(school, "paper", TODAY - timedelta(days=1))
    checkin(school, "on_behalf", TODAY - timedelta(days=1), hour=23)  # still that local day
    checkin(market, "card_scan", TODAY)
    kept_count(market, "paper", TODAY - timedelta(days=5), 4)
    # Outside the period: must not count.
    checkin(school, "self_scan", START - timedelta(days=1), hour=23)
    db.session.commit()
    return {"school": school, "market": market, "shop": shop}


@pytest.fixture
def clerk(make_user):
    """The commune's culture-information officer."""
    return make_user(Role.CLERK, full_name="Nguyễn Thị Thúy")


@pytest.fixture
def chairman(make_user):
    """The chairman who signs off."""
    return make_user(Role.CHAIRMAN, full_name="Lê Văn Tiến")


@pytest.fixture
def make_resident(app, commune, make_user):
    """Factory: make_resident(**overrides) -> Resident of the test commune (in Thôn Đông)."""
    clerk = make_user(Role.CLERK)
    east = village_named(commune, "Thôn Đông")

    def make(**overrides):
        fields = {"full_name": "Nguyễn Văn An", "birth_year": 1980, "sex": "male",
                  "village_id": east.id, "phone": "+84912345678",
                  "id_number": None, "address": None}
        fields.update(overrides)
        resident = add_resident(commune.id, clerk, **fields)
        db.session.commit()
        return resident

    make.clerk = clerk
    return make
