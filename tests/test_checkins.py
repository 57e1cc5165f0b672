"""The public check-in page: declaring, the phone's cookie and one tap, check-out, merging
repeats, unusable codes, the rate limit, venue staff's view, and a phone in a real browser."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from registry import create_app
from registry.extensions import db
from registry.models import AuditEvent, Checkin, CheckinSource, Role, VenueStatus
from registry.services.venues import set_venue_status

QUESTION_CODES = ("travel", "symptoms", "contact_patient", "contact_foreign", "contact_symptoms")


def declaration(**overrides) -> dict:
    """A valid form post; every health question answered "no"."""
    data = {"full_name": "Nguyễn Văn An", "birth_year": "1980", "sex": "male",
            "id_number": "", "nationality": "Việt Nam", "province": "Thanh Hóa",
            "ward": "Xã Triệu Sơn", "address": "Thôn Đông", "phone": "0912 345 678",
            "email": ""}
    data.update({f"q_{code}": "no" for code in QUESTION_CODES})
    data.update(overrides)
    return data


def _rows():
    db.session.expire_all()
    return db.session.query(Checkin).order_by(Checkin.id).all()


def test_form_is_vietnamese_with_privacy_notice_and_no_outside_assets(client, make_venue,
                                                                       commune):
    venue = make_venue(name="Chợ Nưa")
    response = client.get(f"/c/{venue.points[0].token}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Khai báo y tế" in page and "Chợ Nưa" in page and "Xã Triệu Sơn" in page
    assert "Trong vòng 14 ngày qua" in page
    assert f"Thời gian lưu: {commune.retention_days} ngày" in page
    assert "Trạm Y tế" in page and "0237 3868 123" in page
    # Works without JavaScript, under the CSP, small, nothing fetched from elsewhere.
    assert "<script" not in page and "style=" not in page
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert len(response.data) < 20_000
    assert response.headers["Cache-Control"] == "no-store"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_checkin_records_self_scan_and_sets_a_long_lived_cookie(client, make_venue):
    venue = make_venue()
    token = venue.points[0].token
    response = client.post(f"/c/{token}", data=declaration(q_symptoms="yes",
                                                           q_symptoms_details="ho nhẹ"))
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "registry_device=" in cookie and "HttpOnly" in cookie
    assert int(re.search(r"Max-Age=(\d+)", cookie).group(1)) >= 300 * 24 * 3600
    [row] = _rows()
    assert row.source == CheckinSource.SELF_SCAN and row.point_id == venue.points[0].id
    assert row.full_name == "Nguyễn Văn An" and row.phone == "+84912345678"
    assert row.has_symptoms and row.answers["symptoms"]["details"] == "ho nhẹ"
    assert row.answers["symptoms"]["question"].startswith("Trong vòng 14 ngày qua")
    assert row.device_hash and len(row.device_hash) == 64 and row.checked_out_at is None
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã khai báo thành công" in done and "Xác nhận ra về" in done


def test_bad_input_gets_vietnamese_messages_on_the_fields(client, make_venue):
    venue = make_venue()
    response = client.post(f"/c/{venue.points[0].token}",
                           data=declaration(full_name="  ", phone="12345", birth_year="năm",
                                            q_travel=""))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Vui lòng sửa các mục được đánh dấu màu đỏ" in page
    assert 'id="full_name-error"' in page and 'id="phone-error"' in page
    assert 'id="birth_year-error"' in page
    assert page.count('class="error"') >= 4
    assert _rows() == []


def test_same_phone_checks_in_again_with_one_tap_and_can_edit(client, make_venue):
    venue = make_venue(name="Chợ Nưa")
    token = venue.points[0].token
    client.post(f"/c/{token}", data=declaration())
    client.post(f"/c/{token}/checkout")
    first = _rows()[0]
    assert first.checked_out_at is not None
    # Back later (outside the merge window): the phone is recognised.
    first.checked_in_at -= timedelta(hours=3)
    first.checked_out_at -= timedelta(hours=2)
    db.session.commit()
    quick = client.get(f"/c/{token}").get_data(as_text=True)
    assert "Chào mừng quay lại" in quick and "Nguyễn Văn An" in quick
    assert "0912 345 678" in quick
    response = client.post(f"/c/{token}/again")
    assert response.status_code == 302
    rows = _rows()
    assert len(rows) == 2 and rows[1].full_name == "Nguyễn Văn An"
    assert rows[1].source == CheckinSource.SELF_SCAN and rows[1].device_hash == first.device_hash
    assert rows[1].answers["travel"]["answer"] is False
    # Details editable: the form comes prefilled.
    edit = client.get(f"/c/{token}?edit=1").get_data(as_text=True)
    assert 'value="Nguyễn Văn An"' in edit and 'value="0912 345 678"' in edit
    # Another phone (no cookie) gets the empty form.
    other = client.application.test_client().get(f"/c/{token}").get_data(as_text=True)
    assert "Chào mừng quay lại" not in other and 'value="Nguyễn Văn An"' not in other


def test_one_tap_is_refused_when_a_new_question_was_added(client, make_venue, commune):
    from registry.services.declarations import add_question

    venue = make_venue()
    token = venue.points[0].token
    client.post(f"/c/{token}", data=declaration())
    client.post(f"/c/{token}/checkout")
    add_question(commune.id, None, text="Anh/Chị đã tiêm vắc xin COVID-19 chưa?")
    db.session.commit()
    page = client.get(f"/c/{token}").get_data(as_text=True)
    assert "Chào mừng quay lại" not in page and "đã tiêm vắc xin" in page
    response = client.post(f"/c/{token}/again")
    assert "edit=1" in response.headers["Location"]
    assert len(_rows()) == 1


def test_repeated_checkin_within_the_window_is_merged(client, make_venue, commune):
    venue = make_venue()
    token = venue.points[0].token
    client.post(f"/c/{token}", data=declaration())
    # The same phone again, the name typed differently: merged into its own visit.
    response = client.post(f"/c/{token}", data=declaration(full_name="NGUYEN VAN AN",
                                                           address="Thôn Tây"))
    assert response.status_code == 302
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "đã khai báo tại đây; thông tin đã được cập nhật" in follow
    [row] = _rows()
    assert row.merge_count == 1 and row.address == "Thôn Tây"
    # Another phone with the same name and phone number (issue 11: only the phone that made a
    # record may merge into it): a visit of its own, and not a word about the other one.
    second = client.application.test_client()
    response = second.post(f"/c/{token}", data=declaration(full_name="NGUYEN VAN AN"))
    follow = second.get(response.headers["Location"]).get_data(as_text=True)
    assert "đã khai báo tại đây" not in follow and "Đã khai báo" in follow
    assert len(_rows()) == 2 and _rows()[0].merge_count == 1
    # Same phone, another name (a family shares a phone): a visit of its own.
    client.post(f"/c/{token}", data=declaration(full_name="Nguyễn Thị Bình", sex="female"))
    assert len(_rows()) == 3
    # Outside the window: a new visit.
    for row in _rows():
        row.checked_in_at -= timedelta(minutes=commune.checkin_merge_minutes + 1)
    db.session.commit()
    client.post(f"/c/{token}", data=declaration())
    assert len(_rows()) == 4
    # Another point of the venue is another visit.
    other_point = make_venue(name="Chợ Nưa", points=("Cổng Đông",)).points[0]
    client.post(f"/c/{other_point.token}", data=declaration())
    assert len(_rows()) == 5


def test_merge_by_id_number_and_helper_reuse(app, make_venue):
    from registry.services.checkins import find_recent_duplicate, record_visit
    from registry.services.declarations import Declaration

    def record_or_merge_checkin(point, source, declaration, *, minutes):
        visit = record_visit(point, source, declaration, merge_minutes=minutes)
        return visit.checkin, visit.merged

    point = make_venue().points[0]
    person = Declaration(full_name="Lê Thị Hoa", id_number="038190012345")
    first, merged = record_or_merge_checkin(point, CheckinSource.CARD_SCAN, person, minutes=30)
    assert not merged
    again = Declaration(full_name="Le Thi Hoa", id_number="038190012345")
    assert find_recent_duplicate(point, again, minutes=30) is first
    assert find_recent_duplicate(point, again, minutes=0) is None
    assert find_recent_duplicate(point, Declaration(full_name="Lê Thị Hoa"), minutes=30) is None
    _row, merged = record_or_merge_checkin(point, CheckinSource.CARD_SCAN, again, minutes=30)
    assert merged and db.session.query(Checkin).count() == 1


def test_checkout_records_the_time_of_leaving(client, make_venue):
    venue = make_venue()
    token = venue.points[0].token
    # Nothing to check out yet: a clear message, no error.
    nothing = client.post(f"/c/{token}/checkout", follow_redirects=True)
    assert "không có lượt khai báo nào đang chờ xác nhận ra về" in nothing.get_data(as_text=True)
    client.post(f"/c/{token}", data=declaration())
    response = client.post(f"/c/{token}/checkout", follow_redirects=True)
    assert "Đã xác nhận ra về" in response.get_data(as_text=True)
    [row] = _rows()
    assert row.checked_out_at is not None and row.checked_out_at >= row.checked_in_at


@pytest.mark.parametrize("token", ["abc", "x" * 200, "%3Cscript%3E", "A" * 27,
                                   "abc def ghi jkl mno pqr"])
def test_malformed_or_unknown_token_gets_a_clear_page(client, commune, token):
    response = client.get(f"/c/{token}")
    assert response.status_code == 404
    assert "Mã QR không hợp lệ" in response.get_data(as_text=True)
    assert client.post(f"/c/{token}", data=declaration()).status_code == 404
    assert client.post(f"/c/{token}/again").status_code == 404
    assert client.post(f"/c/{token}/checkout").status_code == 404


def test_suspended_venue_takes_no_checkins(client, make_venue, make_user):
    venue = make_venue(name="Chợ Nưa")
    set_venue_status(venue, make_user(Role.CLERK), VenueStatus.SUSPENDED)
    db.session.commit()
    page = client.get(f"/c/{venue.points[0].token}").get_data(as_text=True)
    assert "Địa điểm đang tạm dừng hoạt động" in page and "Chợ Nưa" in page
    client.post(f"/c/{venue.points[0].token}", data=declaration())
    assert _rows() == []


def test_english_on_request(client, make_venue):
    venue = make_venue()
    page = client.get(f"/c/{venue.points[0].token}?lang=en").get_data(as_text=True)
    assert "Medical declaration" in page and "In the last 14 days" in page


def test_public_endpoints_are_rate_limited(tmp_path):
    """Runs once (the limiter keeps its counts in memory, whatever the database)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "WTF_CSRF_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'rl.sqlite'}",
                      "RATELIMIT_ENABLED": True, "PUBLIC_RATE_LIMIT": "3 per minute"})
    with app.app_context():
        db.create_all()
        client = app.test_client()
        statuses = [client.get("/c/doesnotexist-aaaaaaaaaa").status_code for _ in range(4)]
        assert statuses == [404, 404, 404, 429]
        page = client.post("/c/doesnotexist-aaaaaaaaaa/checkout")
        assert page.status_code == 429
        assert "Quá nhiều lần thử" in page.get_data(as_text=True)
        db.session.remove()
        db.engine.dispose()


def test_venue_staff_see_todays_checkins_of_their_venue_only(client, auth, make_venue,
                                                            make_user):
    mine = make_venue(name="Trạm Y tế xã", points=("Khu tiếp đón", "Khu tiêm chủng"))
    theirs = make_venue(name="Chợ Nưa")
    client.post(f"/c/{mine.points[1].token}", data=declaration())
    client.application.test_client().post(
        f"/c/{theirs.points[0].token}", data=declaration(full_name="Trần Thị Lạ",
                                                         phone="0987 654 321"))
    yesterday = client.application.test_client()
    yesterday.post(f"/c/{mine.points[0].token}", data=declaration(full_name="Phạm Văn Cũ",
                                                                  phone="0977 111 222"))
    old = db.session.query(Checkin).filter_by(full_name="Phạm Văn Cũ").one()
    old.checked_in_at -= timedelta(days=1)
    db.session.commit()
    staff = make_user(Role.VENUE, venue=mine)
    auth.login(staff)
    response = client.get("/my-venue/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Nguyễn Văn An" in page and "Khu tiêm chủng" in page and "Tự quét mã" in page
    assert "Trần Thị Lạ" not in page and "Phạm Văn Cũ" not in page
    # Counts per day: today 1, yesterday 1 (self-scan).
    counts = re.findall(r"<tr><td>(\d\d/\d\d/\d{4})</td><td>(\d+)</td><td>(\d+)</td>", page)
    assert [int(c[1]) for c in counts[:2]] == [1, 1] and len(counts) == 14
    event = db.session.query(AuditEvent).filter_by(action="view").one()
    assert event.user_id == staff.id and event.object_id == mine.id
    assert event.details["rows"] == 1
    # Other roles do not get this page.
    auth.logout()
    auth.login(make_user(Role.CLERK))
    assert client.get("/my-venue/").status_code == 403


@pytest.mark.browser
def test_phone_checks_in_and_out_in_a_real_browser(live_server, chromium):
    """At a phone's screen size, with CSRF on: declare, see the confirmation, check out, and
    come back to the one-tap page; no horizontal scrolling, no CSP violation."""
    app, base_url = live_server
    with app.app_context():
        from registry.services.communes import categories_for_code, create_commune
        from registry.services.venues import register_venue

        commune = create_commune(15664, hotline="+842373868123")

        class _System:
            id = None

        venue = register_venue(commune.id, _System(), point_names=["Cổng chính"],
                               name="Chợ Nưa", category_id=categories_for_code(commune.id)[
                                   "market"].id, address="Thôn Đông")
        token = venue.points[0].token
        db.session.commit()
    context = chromium.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                   has_touch=True, locale="vi-VN", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15000)
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    try:
        page.goto(f"{base_url}/c/{token}")
        assert page.locator("h1").inner_text() == "Khai báo y tế"
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.fill("#full_name", "Nguyễn Thị Hoa")
        page.fill("#phone", "0987654321")
        page.fill("#birth_year", "1992")
        page.check("#sex-1")
        for code in QUESTION_CODES:
            page.check(f"#q_{code}-1")
        page.click("button.go")
        page.wait_for_selector(".card.ok")
        assert "Đã khai báo" in page.locator(".card.ok h1").inner_text()
        assert "Nguyễn Thị Hoa" in page.inner_text(".card.ok")
        page.click("button.leave")
        page.wait_for_selector("text=Đã xác nhận ra về")
        # The visit is closed, and the screen says so without inviting a new check-in.
        assert "Đã ra về" in page.inner_text(".card.left")
        assert "Chào mừng quay lại" not in page.inner_text("main")
        assert page.locator("button.go").count() == 0
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()
    assert not problems, problems
    with app.app_context():
        row = db.session.query(Checkin).one()
        assert row.full_name == "Nguyễn Thị Hoa" and row.sex == "female"
        assert row.checked_out_at is not None


def test_demo_data_has_self_scans_and_a_withdrawn_poster(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    from registry.models import RetiredPointToken

    rows = db.session.query(Checkin).filter_by(source=CheckinSource.SELF_SCAN).all()
    phones = [r for r in rows if r.device_hash]  # other demo seeders add self-scans too
    assert len(phones) > 50 and any(r.checked_out_at for r in phones)
    assert db.session.query(RetiredPointToken).count() == 1


def test_expired_form_keeps_what_was_typed(app, client, make_venue):
    """With CSRF on (as in production): a stale or missing token re-shows the form, filled."""
    app.config["WTF_CSRF_ENABLED"] = True
    venue = make_venue()
    token = venue.points[0].token
    response = client.post(f"/c/{token}", data=declaration(csrf_token="stale"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Trang đã mở quá lâu" in page and 'value="Nguyễn Văn An"' in page
    assert _rows() == []
    fresh = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(f"/c/{token}", data=declaration(csrf_token=fresh)).status_code == 302
    assert len(_rows()) == 1
    # The buttons without a valid token do nothing but explain.
    out = client.post(f"/c/{token}/checkout", follow_redirects=True).get_data(as_text=True)
    assert "Trang đã mở quá lâu" in out
    assert _rows()[0].checked_out_at is None


def test_same_phone_cookie_and_name_with_a_corrected_number_is_merged(client, make_venue):
    venue = make_venue()
    token = venue.points[0].token
    client.post(f"/c/{token}", data=declaration(phone="0912 345 679"))  # a typo
    client.post(f"/c/{token}", data=declaration(phone="0912 345 678"))  # corrected
    [row] = _rows()
    assert row.phone == "+84912345678" and row.merge_count == 1

