"""The public check-in pages' CSRF tokens go with the phone's device cookie, not a session: a
phone's first page gives it no session at all, a token works only with the cookie it came with
and only for a while (WTF_CSRF_TIME_LIMIT, else TOKEN_HOURS), and a refused token re-shows the
form as typed."""
from __future__ import annotations

import re
import time

import pytest
from itsdangerous import TimestampSigner

from registry.extensions import db
from registry.forms import device_csrf
from registry.models import Checkin
from tests.test_checkins import declaration

TOKEN_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def _first_page(client, token: str) -> tuple[str, str]:
    """A new phone's first page: its CSRF token and the cookies it was given."""
    response = client.get(f"/c/{token}")
    assert response.status_code == 200
    cookies = response.headers.getlist("Set-Cookie")
    return TOKEN_FIELD.search(response.get_data(as_text=True))[1], "; ".join(cookies)


@pytest.mark.parametrize("kept", [False, True], ids=["rendered", "kept"])
def test_the_first_page_gives_a_device_cookie_and_no_session(csrf_on, make_venue, kept):
    token = make_venue().points[0].token
    if kept:
        _first_page(csrf_on.test_client(), token)  # the page is now kept for this point
    phone = csrf_on.test_client()
    csrf, cookies = _first_page(phone, token)
    assert device_csrf.DEVICE_COOKIE in cookies
    assert csrf_on.config["SESSION_COOKIE_NAME"] not in cookies
    # The token is the time and a signature only: the cookie itself is nowhere on the page.
    cookie = phone.get_cookie(device_csrf.DEVICE_COOKIE).value
    assert cookie not in csrf and csrf.count(".") == 1
    assert phone.post(f"/c/{token}", data=declaration(csrf_token=csrf)).status_code == 302
    assert db.session.query(Checkin).count() == 1


def test_a_token_works_only_with_the_cookie_it_came_with(csrf_on, make_venue):
    token = make_venue().points[0].token
    one, two = csrf_on.test_client(), csrf_on.test_client()
    token_one, _ = _first_page(one, token)
    _first_page(two, token)
    refused = two.post(f"/c/{token}", data=declaration(csrf_token=token_one))
    assert refused.status_code == 200 and "Trang đã mở quá lâu" in refused.get_data(as_text=True)
    # Without any cookie (cleared since the page was served): refused too, nothing written.
    bare = csrf_on.test_client()
    assert bare.post(f"/c/{token}", data=declaration(csrf_token=token_one)).status_code == 200
    assert db.session.query(Checkin).count() == 0
    assert one.post(f"/c/{token}", data=declaration(csrf_token=token_one)).status_code == 302
    assert db.session.query(Checkin).count() == 1


def test_a_token_older_than_the_time_limit_is_refused_and_the_form_kept(csrf_on, make_venue,
                                                                        monkeypatch):
    token = make_venue().points[0].token
    phone = csrf_on.test_client()
    csrf, _ = _first_page(phone, token)
    # Past the limit (the registry's WTF_CSRF_TIME_LIMIT is None: TOKEN_HOURS then).
    later = int(time.time()) + device_csrf.TOKEN_HOURS * 3600 + 60
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    response = phone.post(f"/c/{token}", data=declaration(csrf_token=csrf))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Trang đã mở quá lâu" in page
    assert 'value="Nguyễn Văn An"' in page and db.session.query(Checkin).count() == 0
    # Within the limit, a token works (a set WTF_CSRF_TIME_LIMIT is the limit then).
    csrf_on.config["WTF_CSRF_TIME_LIMIT"] = 2 * device_csrf.TOKEN_HOURS * 3600
    assert phone.post(f"/c/{token}", data=declaration(
        csrf_token=csrf, full_name="Lê Văn Bảo")).status_code == 302
    csrf_on.config["WTF_CSRF_TIME_LIMIT"] = None
    # The page shown again carries a fresh token for the same cookie, which works.
    fresh = TOKEN_FIELD.search(page)[1]
    assert fresh != csrf
    assert phone.post(f"/c/{token}", data=declaration(csrf_token=fresh)).status_code == 302
    assert db.session.query(Checkin).count() == 2


def test_a_forged_or_garbled_token_is_refused(csrf_on, make_venue):
    token = make_venue().points[0].token
    phone = csrf_on.test_client()
    csrf, _ = _first_page(phone, token)
    stamp, signature = csrf.split(".")
    for forged in (f"{stamp}.{signature[:-2]}xx", f"{stamp}x.{signature}", "…", "", "a.b.c"):
        response = phone.post(f"/c/{token}", data=declaration(csrf_token=forged))
        assert response.status_code == 200, forged
    assert db.session.query(Checkin).count() == 0


def test_the_one_tap_and_check_out_buttons_check_the_token_too(csrf_on, make_venue):
    token = make_venue().points[0].token
    phone = csrf_on.test_client()
    csrf, _ = _first_page(phone, token)
    assert phone.post(f"/c/{token}", data=declaration(csrf_token=csrf)).status_code == 302
    done = phone.get(f"/c/{token}").get_data(as_text=True)
    button = TOKEN_FIELD.search(done)[1]
    assert phone.post(f"/c/{token}/checkout", data={"csrf_token": "x"}).status_code == 302
    db.session.expire_all()
    assert db.session.query(Checkin).one().checked_out_at is None
    assert phone.post(f"/c/{token}/checkout", data={"csrf_token": button}).status_code == 302
    db.session.expire_all()
    assert db.session.query(Checkin).one().checked_out_at is not None
