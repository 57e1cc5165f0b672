"""Login, sessions, CSRF, rate limits, headers, oversized requests, errors never 500."""
from __future__ import annotations

from conftest import PASSWORD

from registry import create_app
from registry.extensions import db
from registry.models import Role


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
    page = client.post("/auth/account", data={"current": "bad", "new": "newpassword1",
                                              "confirm": "newpassword1"})
    assert "Mật khẩu hiện tại không đúng." in page.get_data(as_text=True)
    client.post("/auth/account", data={"current": PASSWORD, "new": "newpassword1",
                                       "confirm": "newpassword1"})
    auth.logout()
    assert auth.login(user, "newpassword1").status_code == 302
