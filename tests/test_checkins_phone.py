"""What a visitor's phone shows: "No to all questions" in one tap (without JavaScript), the
venue's province and commune filled in, the full-width status after checking in, and the
closed visit after leaving."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import Checkin
from tests.test_checkins import QUESTION_CODES


def test_no_to_all_questions_in_one_tap_without_javascript(client, commune, make_venue):
    venue = make_venue(name="Chợ Nưa")
    token = venue.points[0].token
    fresh = client.get(f"/c/{token}").get_data(as_text=True)
    # The venue's province and commune are filled in, to be changed.
    assert re.search(r'<input id="province"[^>]* value="Thanh Hóa">', fresh)
    assert re.search(r'<input id="ward"[^>]* value="Xã Triệu Sơn">', fresh)
    assert "Không có ở tất cả các câu" in fresh and "<script" not in fresh
    typed = {"full_name": "Nguyễn Văn An", "phone": "0912 345 678", "birth_year": "1980",
             "sex": "male", "q_travel": "yes", "q_travel_details": "Hà Nội", "all_no": "self"}
    page = client.post(f"/c/{token}", data=typed).get_data(as_text=True)
    # Every question answered "no", each still on the page to change; nothing saved, no error.
    for code in QUESTION_CODES:
        assert re.search(rf'<input checked id="q_{code}-1" [^>]*value="no">', page), code
        assert re.search(rf'<input id="q_{code}-0" [^>]*value="yes">', page), code
    assert 'value="Nguyễn Văn An"' in page and 'class="error"' not in page
    assert db.session.scalar(select(func.count()).select_from(Checkin)) == 0
    # A yes can still be given after the shortcut.
    data = {k: v for k, v in typed.items() if k != "all_no"}
    data.update({f"q_{code}": "no" for code in QUESTION_CODES}, q_symptoms="yes",
                q_symptoms_details="sốt nhẹ", nationality="Việt Nam")
    assert client.post(f"/c/{token}", data=data).status_code == 302
    assert db.session.scalars(select(Checkin)).one().has_symptoms


@pytest.mark.browser
def test_a_phone_answers_no_to_all_and_sees_an_unmistakable_status(live_server, chromium,
                                                                    tmp_path):
    """At 360 × 740 without JavaScript: one tap answers every question "no" (each stays
    changeable), the venue's province and commune are there already, the success screen is a
    full-width coloured status with the venue and the time, and leaving says the visit is
    closed."""
    from registry.formatting import short_time
    from registry.services.communes import categories_for_code, create_commune
    from registry.services.venues import register_venue

    app, base_url = live_server
    with app.app_context():
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
    try:
        response = page.goto(f"{base_url}/c/{token}")
        assert len(response.body()) < 10_000  # the page a first visitor loads stays small
        assert page.input_value("#province") == "Thanh Hóa"
        assert page.input_value("#ward") == "Xã Triệu Sơn"
        page.fill("#full_name", "Nguyễn Thị Hoa")
        page.fill("#phone", "0987654321")
        page.fill("#birth_year", "1992")
        page.check("#sex-1")
        page.check("#q_symptoms-0")  # a "yes" the shortcut will turn into "no"
        with page.expect_navigation():
            page.tap("button.allno")
        for code in QUESTION_CODES:
            assert page.is_checked(f"#q_{code}-1") and not page.is_checked(f"#q_{code}-0")
        assert page.input_value("#full_name") == "Nguyễn Thị Hoa"
        page.screenshot(path=str(tmp_path / "no-to-all.png"))
        page.check("#q_travel-0")  # each answer stays changeable
        page.fill("#q_travel_details", "Hà Nội")
        page.tap("button.go")
        status = page.locator(".card.ok.status")
        status.wait_for()
        box = status.bounding_box()
        assert box["x"] == 0 and box["width"] == 360  # edge to edge
        text = status.inner_text()
        assert "Đã khai báo" in text and "Chợ Nưa" in text and "Nguyễn Thị Hoa" in text
        color = status.evaluate("el => getComputedStyle(el).backgroundColor")
        assert color == "rgb(28, 124, 58)"
        page.screenshot(path=str(tmp_path / "checked-in.png"))
        with app.app_context():
            row = db.session.query(Checkin).one()
            assert short_time(row.checked_in_at) in text
            assert row.answers["travel"]["answer"] is True and not row.has_symptoms
        page.tap("button.leave")
        page.locator(".card.left.status").wait_for()
        assert "Đã ra về" in page.inner_text(".card.left")
        assert page.locator("button").count() == 0
    finally:
        context.close()
