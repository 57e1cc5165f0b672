"""In headless Chromium: the chairman finds the venues nobody scans, the clerk drafts the
reminder from the list and submits it, the chairman signs it off (issue 12)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from registry.extensions import db
from registry.models import Role
from registry.services.communes import categories_for_code, create_commune
from registry.services.users import create_user
from registry.services.venues import register_venue
from registry.timeutil import utcnow
from tests.scenes import TODAY, checkin

pytestmark = pytest.mark.browser


def test_chairman_coverage_reminder_sign_off(live_server, page):
    app, base = live_server
    with app.app_context():
        commune = create_commune(15664)
        commune.chairman_name = "Lê Văn Tiến"
        clerk = create_user(commune.id, username="vanhoa", full_name="Nguyễn Thị Thúy",
                            role=Role.CLERK, password="correct-horse-1")
        create_user(commune.id, username="chutich", full_name="Lê Văn Tiến",
                    role=Role.CHAIRMAN, password="correct-horse-1")
        categories = categories_for_code(commune.id)
        venues = {}
        for name, code, manager, phone in (
                ("Tạp hóa Cô Lan", "household_business", "Trần Thị Lan", "+84911222333"),
                ("Trường THCS Triệu Sơn", "school", "Nguyễn Văn An", "+84912345678")):
            venue = register_venue(commune.id, clerk, point_names=["Cổng"], name=name,
                                   category_id=categories[code].id, address=None,
                                   village_id=None, manager_name=manager, manager_phone=phone,
                                   notes=None)
            venue.created_at = venue.points[0].created_at = utcnow() - timedelta(days=60)
            venue.points[0].poster_printed_at = utcnow() - timedelta(days=40)
            venues[name] = venue
        checkin(venues["Trường THCS Triệu Sơn"], "self_scan", TODAY - timedelta(days=1))
        db.session.commit()

    def login(username):
        """Log in through the form."""
        page.goto(f"{base}/auth/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", "correct-horse-1")
        page.click("form button[type=submit]")

    # The chairman: from the dashboard's list to the venues nobody scans.
    login("chutich")
    page.goto(f"{base}/dashboard/")
    page.click("text=Đã in mã QR nhưng không có lượt khai báo trong kỳ")
    assert page.url.startswith(f"{base}/coverage/?list=qr_no_checkin")
    rows = page.locator("table.coverage tbody tr")
    assert rows.count() == 1 and "Tạp hóa Cô Lan" in rows.first.inner_text()
    assert page.locator("table.coverage a[href='tel:+84911222333']").count() == 1
    assert page.locator("text=Soạn công văn đôn đốc").count() == 0
    page.click("text=Đăng xuất")
    # The clerk drafts the reminder from the same list and submits it.
    login("vanhoa")
    # Coverage is in the menu's "Báo cáo" group (issue 13: the menu by job).
    page.click("details.navgroup[data-group=reports] summary")
    page.click("nav.mainnav >> text=Độ phủ")
    page.click("ul.lists >> text=Đã in mã QR nhưng không có lượt khai báo trong kỳ")
    assert page.locator("input[name=venue_ids]").count() == 1
    page.click("text=Soạn công văn đôn đốc các địa điểm đã đánh dấu")
    assert "Dự thảo công văn" in page.content() and "Tạp hóa Cô Lan" in page.content()
    page.click("button:has-text('Trình Chủ tịch')")
    assert "Đã trình công văn lên Chủ tịch." in page.content()
    page.click("text=Đăng xuất")
    # The chairman signs it off; the coverage page shows the reminder at the venue.
    login("chutich")
    page.goto(f"{base}/coverage/")
    page.click("text=Công văn đôn đốc các địa điểm")
    page.click("text=V/v đôn đốc triển khai quét mã QR")
    page.click("button:has-text('Ký duyệt')")
    assert "Đã ký ban hành công văn số 01/UBND-VHTT." in page.content()
    page.goto(f"{base}/coverage/?list=qr_no_checkin")
    row = page.locator("table.coverage tbody tr").first.inner_text()
    assert "Công văn số 01/UBND-VHTT" in row and "chưa có lượt khai báo nào" in row
