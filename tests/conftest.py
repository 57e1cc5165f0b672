"""Fixtures: an app per database backend, factories for the common records, a browser."""
from __future__ import annotations

import os
import socket
import threading
from itertools import count

import pytest
from sqlalchemy import text

from registry import create_app
from registry.extensions import db
from registry.models import Role

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
