"""Login, sessions, CSRF, rate limits, headers, oversized requests, errors never 500."""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import PASSWORD
from sqlalchemy import select

from registry import create_app
from registry.extensions import db
from registry.models import Role, User
from registry.timeutil import utcnow


def test_login_and_logout(client, auth, make_user):
    user = make_user(Role.CLERK)
    response = auth.login(user)
    assert response.status_code == 302
    assert client.get("/venues/").status_code == 200
    response = auth.logout()
    assert response.status_code == 302
    assert "/auth/login" in client.get("/venues/").headers["Location"]


def test_wrong_password_message_is_vietnamese_and_vague(client, make_user):
    user = make_user(Role.CLERK)
    page = client.post("/auth/login", data={"username": user.username, "password": "nope"})
    assert "Sai tên đăng nhập hoặc mật khẩu." in page.get_data(as_text=True)
    page = client.post("/auth/login", data={"username": "nobody", "password": "nope"})
    assert "Sai tên đăng nhập hoặc mật khẩu." in page.get_data(as_text=True)


def test_passwords_are_hashed(make_user):
    user = make_user(Role.CLERK)
    assert PASSWORD not in user.password_hash and user.password_hash.startswith(("scrypt", "pbkdf2"))


def test_disabled_account_cannot_log_in(client, make_user):
    user = make_user(Role.CLERK)
    user.is_active_account = False
    db.session.commit()
    page = client.post("/auth/login", data={"username": user.username, "password": PASSWORD})
    assert "Tài khoản này đã bị khóa" in page.get_data(as_text=True)


def test_session_cookie_flags(client, auth, make_user):
    response = auth.login(make_user(Role.CLERK))
    cookie = response.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_security_headers_on_every_answer(client):
    for url in ("/auth/login", "/healthz", "/no-such-page"):
        headers = client.get(url).headers
        assert headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_csrf_is_required(app, make_user):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    user = make_user(Role.CLERK)
    page = client.post("/auth/login", data={"username": user.username, "password": PASSWORD})
    assert page.status_code == 400
    assert "Biểu mẫu đã hết hạn hoặc bị gửi hai lần" in page.get_data(as_text=True)
    assert "_user_id" not in (client.get_cookie("session").value if client.get_cookie("session")
                              else "")
    assert client.post("/language", data={"lang": "en"}).status_code == 400


def test_login_attempts_are_rate_limited(tmp_path):
    """The limiter does not depend on the database: one run on its own SQLite file."""
    from registry.services.communes import create_commune
    from registry.services.users import create_user

    limited = create_app({"TESTING": True, "SECRET_KEY": "x", "WTF_CSRF_ENABLED": False,
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'rl.sqlite'}",
                          "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"})
    with limited.app_context():
        db.create_all()
        commune = create_commune(15664)
        create_user(commune.id, username="thuy", full_name="Thúy", role=Role.CLERK,
                    password=PASSWORD)
        db.session.commit()
        client = limited.test_client()
        codes = [client.post("/auth/login", data={"username": "thuy",
                                                  "password": "wrong"}).status_code
                 for _ in range(11)]
        assert codes[:10] == [200] * 10
        assert codes[10] == 429
        page = client.post("/auth/login", data={"username": "thuy", "password": PASSWORD})
        assert "Quá nhiều lần thử" in page.get_data(as_text=True)
        assert client.get("/auth/login").status_code == 200  # only attempts are limited
        db.session.remove()
        db.engine.dispose()


def test_oversized_request_is_refused_cleanly(app, client, auth, make_user):
    auth.login(make_user(Role.CLERK))
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    response = client.post("/venues/new", data=big, content_type="application/octet-stream")
    assert response.status_code == 413
    assert "quá lớn" in response.get_data(as_text=True)


def test_unexpected_error_is_a_friendly_page(app, client):
    @app.get("/boom-test")
    def boom():
        raise RuntimeError("boom")

    response = client.get("/boom-test")
    assert response.status_code == 500
    assert "Hệ thống gặp sự cố" in response.get_data(as_text=True)


def test_not_found_page_is_vietnamese(client):
    response = client.get("/venues/999999")
    assert response.status_code in (302, 404)
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Trang này không tồn tại" in response.get_data(as_text=True)


def test_production_requires_secret_and_database(monkeypatch, tmp_path):
    import pytest

    monkeypatch.setenv("REGISTRY_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with pytest.raises(RuntimeError):
        create_app({"SECRET_KEY": "x"})


def test_safe_redirect_after_login(client, make_user):
    user = make_user(Role.CLERK)
    response = client.post("/auth/login?next=https://evil.example/",
                           data={"username": user.username, "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_change_own_password(client, auth, make_user):
    user = make_user(Role.TRACER)
    auth.login(user)
    page = client.post("/auth/account", data={"current": "bad", "new": "mua-xuan-tren-nui-42",
                                              "confirm": "mua-xuan-tren-nui-42"})
    assert "Mật khẩu hiện tại không đúng." in page.get_data(as_text=True)
    client.post("/auth/account", data={"current": PASSWORD, "new": "mua-xuan-tren-nui-42",
                                       "confirm": "mua-xuan-tren-nui-42"})
    auth.logout()
    assert auth.login(user, "mua-xuan-tren-nui-42").status_code == 302


# --- sessions end when they should ---------------------------------------------------------

def _cookies(client) -> dict:
    return {name: client.get_cookie(name).value for name in ("session", "remember_token")
            if client.get_cookie(name) is not None}


def _client_with(app, cookies: dict):
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def _logged_in(client) -> bool:
    return client.get("/venues/").status_code == 200


def test_logout_ends_the_old_session_and_remember_cookie(app, client, make_user):
    user = make_user(Role.CLERK)
    client.post("/auth/login", data={"username": user.username, "password": PASSWORD,
                                     "remember": "y"})
    stolen = _cookies(client)
    assert set(stolen) == {"session", "remember_token"}
    assert _logged_in(_client_with(app, stolen))
    only_remember = {"remember_token": stolen["remember_token"]}
    assert _logged_in(_client_with(app, only_remember))  # the cookie alone logs in …
    client.post("/auth/logout")
    assert not _logged_in(client)
    assert not _logged_in(_client_with(app, stolen))  # … until the account logs out
    assert not _logged_in(_client_with(app, only_remember))
    assert auth_login_works(client, user)


def auth_login_works(client, user, password=PASSWORD) -> bool:
    client.post("/auth/login", data={"username": user.username, "password": password})
    return _logged_in(client)


def test_new_password_ends_every_other_session(app, make_user):
    user = make_user(Role.CLERK)
    here, there = app.test_client(), app.test_client()
    assert auth_login_works(here, user) and auth_login_works(there, user)
    page = here.post("/auth/account", data={"current": PASSWORD, "new": "mua-xuan-tren-nui-42",
                                            "confirm": "mua-xuan-tren-nui-42"},
                     follow_redirects=True)
    assert "Đã đổi mật khẩu" in page.get_data(as_text=True)
    assert _logged_in(here)  # the browser that changed it stays in
    assert not _logged_in(there)
    assert auth_login_works(there, user, "mua-xuan-tren-nui-42")


def test_admin_password_change_or_disabling_ends_the_users_sessions(app, make_user):
    admin, user = make_user(Role.ADMIN), make_user(Role.CLERK, full_name="Trần Văn Bốn")
    boss, desk = app.test_client(), app.test_client()
    assert auth_login_works(boss, admin) and auth_login_works(desk, user)
    boss.post(f"/admin/users/{user.id}", data={
        "full_name": user.full_name, "role": "clerk", "locale": "vi", "venue_id": "",
        "password": "bau-troi-xanh-ngat-9"})
    assert not _logged_in(desk)
    assert auth_login_works(desk, user, "bau-troi-xanh-ngat-9")
    boss.post(f"/admin/users/{user.id}/disable")
    assert not _logged_in(desk)
    # An admin who sets their own password on the accounts page stays logged in.
    boss.post(f"/admin/users/{admin.id}", data={
        "full_name": admin.full_name, "role": "admin", "locale": "vi", "venue_id": "",
        "password": "song-hong-chay-mai-7"})
    assert boss.get("/admin/users").status_code == 200


@pytest.mark.parametrize("weak", ["12345678", "matkhau123", "password1", "        ",
                                  "Abcd1234", "ubndxa2025", "NguyenThiThuy"])
def test_weak_or_blank_passwords_are_refused(client, auth, make_user, weak):
    admin = make_user(Role.ADMIN, full_name="Nguyễn Thị Thúy")
    auth.login(admin)
    page = client.post("/admin/users/new", data={
        "username": "thuy", "full_name": "Nguyễn Thị Thúy", "role": "clerk", "locale": "vi",
        "venue_id": "", "password": weak}).get_data(as_text=True)
    assert "Mật khẩu" in page and ("quá dễ đoán" in page or "chỉ có dấu cách" in page)
    assert db.session.scalar(select(User).where(User.username == "thuy")) is None
    page = client.post("/auth/account", data={"current": PASSWORD, "new": weak,
                                              "confirm": weak}).get_data(as_text=True)
    assert "quá dễ đoán" in page or "chỉ có dấu cách" in page
    assert auth.logout() and auth.login(admin).status_code == 302  # unchanged


def test_the_command_line_refuses_a_weak_password(runner, commune):
    result = runner.invoke(args=["user", "create", "thuy", "--full-name", "Nguyễn Thị Thúy",
                                 "--role", "admin", "--password", "matkhau123"])
    assert result.exit_code != 0 and "quá dễ đoán" in result.output
    assert db.session.scalar(select(User).where(User.username == "thuy")) is None


def test_repeated_wrong_passwords_make_the_account_wait(client, make_user):
    from registry.services.users import FREE_ATTEMPTS

    user = make_user(Role.CLERK)
    for _ in range(FREE_ATTEMPTS):
        page = client.post("/auth/login", data={"username": user.username, "password": "x"})
        assert "Sai tên đăng nhập hoặc mật khẩu." in page.get_data(as_text=True)
    # Now even the right password waits, with a clear message.
    page = client.post("/auth/login", data={"username": user.username, "password": PASSWORD})
    assert "Nhập sai mật khẩu quá nhiều lần" in page.get_data(as_text=True)
    assert not _logged_in(client)
    db.session.refresh(user)
    first_wait = user.locked_until - utcnow()
    assert timedelta(seconds=30) < first_wait <= timedelta(minutes=1)
    # One more wrong password once the wait is over doubles the next wait.
    user.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    client.post("/auth/login", data={"username": user.username, "password": "x"})
    db.session.refresh(user)
    assert user.locked_until - utcnow() > timedelta(minutes=1)
    user.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert auth_login_works(client, user)
    db.session.refresh(user)
    assert user.failed_logins == 0 and user.locked_until is None


# --- redirects stay on the site ------------------------------------------------------------

ODD_NEXT = ["/%09/evil.example", "/%0A/x", "/%0D%0ASet-Cookie:%20a=b", "//evil.example",
            "/\\evil.example", "/%5Cevil.example", "/%2F%2Fevil.example", "https://evil.example/",
            "javascript:alert(1)", "%2F%2Fevil.example", "/%00", " /x", "/x%20y\t",
            "http:/evil.example", "/" + "a" * 3000]


@pytest.mark.parametrize("target", ODD_NEXT)
def test_odd_next_after_login_goes_home(client, make_user, target):
    user = make_user(Role.CLERK)
    response = client.post(f"/auth/login?next={target}",
                           data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ODD_NEXT)
def test_odd_next_after_the_language_switch_goes_home(client, target):
    response = client.post("/language", data={"lang": "en", "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_a_path_on_the_site_is_followed(client, make_user):
    user = make_user(Role.CLERK)
    response = client.post("/auth/login?next=/venues/%3Fq%3Dtr%C6%B0%E1%BB%9Dng",
                           data={"username": user.username, "password": PASSWORD})
    assert response.headers["Location"] == "/venues/?q=tr%C6%B0%E1%BB%9Dng"
    response = client.post("/language", data={"lang": "vi", "next": "/venues/?page=2"})
    assert response.headers["Location"] == "/venues/?page=2"


# --- behind a reverse proxy ----------------------------------------------------------------

def _login_address(app, user, headers, remote="10.0.0.1") -> str:
    from registry.models import AuditEvent

    client = app.test_client()
    client.post("/auth/login", data={"username": user.username, "password": PASSWORD},
                headers=headers, environ_base={"REMOTE_ADDR": remote})
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login")
                               .order_by(AuditEvent.id.desc())).first()
    return event.details["address"]


def test_forwarded_addresses_are_believed_only_for_the_trusted_hops(backend, tmp_path):
    from tests.conftest import POSTGRES_URL, _reset_postgres, _test_config

    for hops, expected in ((0, "10.0.0.1"), (1, "198.51.100.7"), (2, "203.0.113.5")):
        url = f"sqlite:///{tmp_path / f'p{hops}.sqlite'}" if backend == "sqlite" else POSTGRES_URL
        app = create_app({**_test_config(url, tmp_path), "TRUSTED_PROXY_HOPS": hops})
        with app.app_context():
            db.create_all() if backend == "sqlite" else _reset_postgres()
            from registry.services.communes import create_commune
            from registry.services.users import create_user

            commune = create_commune(15664)
            user = create_user(commune.id, username="thuy", full_name="Nguyễn Thị Thúy",
                               role=Role.CLERK, password=PASSWORD)
            db.session.commit()
            forged_chain = {"X-Forwarded-For": "203.0.113.5, 198.51.100.7"}
            assert _login_address(app, user, forged_chain) == expected
            db.session.remove()
            db.engine.dispose()


def test_hsts_in_production_only(monkeypatch, tmp_path):
    monkeypatch.setenv("REGISTRY_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 32)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite'}")
    production = create_app({"TESTING": True})
    header = production.test_client().get("/healthz").headers["Strict-Transport-Security"]
    assert header == "max-age=31536000; includeSubDomains"
    monkeypatch.delenv("REGISTRY_ENV")
    development = create_app({"TESTING": True})
    assert "Strict-Transport-Security" not in development.test_client().get("/healthz").headers


def test_redis_url_makes_the_limits_shared(monkeypatch, tmp_path):
    monkeypatch.setenv("REDIS_URL", "unix:///run/registry/redis.sock")
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'r.sqlite'}",
                      "SECRET_KEY": "x"})
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis+unix:///run/registry/redis.sock"
