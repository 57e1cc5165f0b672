"""End to end in headless Chromium: a clerk logs in and registers a venue."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.models import Role, Venue
from registry.services.communes import add_village, create_commune
from registry.services.users import create_user

pytestmark = pytest.mark.browser


def test_clerk_registers_a_venue_in_the_browser(live_server, page):
    app, base = live_server
    with app.app_context():
        commune = create_commune(15664)
        add_village(commune, "Thôn Đông")
        create_user(commune.id, username="thuy", full_name="Nguyễn Thị Thúy", role=Role.CLERK,
                    password="matkhau123")
        db.session.commit()
    page.goto(base + "/")
    page.fill("#username", "thuy")
    page.fill("#password", "matkhau123")
    page.click("button[type=submit]")
    page.click("text=Địa điểm")
    page.click("text=Đăng ký địa điểm")
    page.fill("#name", "Quán phở Hùng")
    page.select_option("#category_id", label="Hộ kinh doanh")
    page.select_option("#village_id", label="Thôn Đông")
    page.fill("#manager_name", "Phạm Văn Hùng")
    page.fill("#manager_phone", "0981 234 567")
    page.click("button:has-text('Lưu')")
    page.wait_for_selector("text=Đã đăng ký địa điểm")
    assert "Quán phở Hùng" in page.inner_text("h1")
    # The form refuses a bad phone on the field, in Vietnamese.
    page.click("text=Sửa")
    page.fill("#manager_phone", "không có")
    page.click("button:has-text('Lưu')")
    assert "Hãy nhập số điện thoại" in page.inner_text(".has-error")
    with app.app_context():
        venue = db.session.scalar(select(Venue))
        assert venue.manager_phone == "+84981234567" and venue.village.name == "Thôn Đông"
