"""The clerk's screens in headless Chromium: the menu fits one row at 1366 px and opens without
JavaScript, a long picker narrows as you type, "Slips per page" shows only for slips."""
from __future__ import annotations

import os

import pytest

from registry.extensions import db
from registry.models import Role
from registry.services.communes import add_village, categories_for_code, create_commune
from registry.services.users import create_user
from registry.services.venues import register_venue

pytestmark = pytest.mark.browser


def shot(page, name: str) -> None:
    """Keep a screenshot when SCREENSHOT_DIR is set (to look at the screen as a person)."""
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def _commune_with_venues(app, venues: int = 3, role=Role.CLERK):
    with app.app_context():
        commune = create_commune(15664)
        add_village(commune, "Thôn Đông")
        user = create_user(commune.id, username="thuy", full_name="Nguyễn Thị Thúy", role=role,
                           password="matkhau123")
        market = categories_for_code(commune.id)["market"].id
        for i in range(venues):
            register_venue(commune.id, user, point_names=["Cổng chính"],
                           name=f"Chợ Nưa {i:03d}" if i % 2 else f"Trường học số {i:03d}",
                           category_id=market, address=None, village_id=None,
                           manager_name="Lê Thị Hoa", manager_phone="+84912345678", notes=None)
        db.session.commit()


def _login(page, base):
    page.goto(base + "/auth/login")
    page.fill("#username", "thuy")
    page.fill("#password", "matkhau123")
    page.click("button[type=submit]")


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CLERK])
def test_the_menu_fits_one_row_at_1366_px(live_server, chromium, role):
    app, base = live_server
    _commune_with_venues(app, role=role)
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    page = context.new_page()
    try:
        _login(page, base)
        page.goto(base + "/venues/")
        tops = page.eval_on_selector_all(
            ".topbar > *, .mainnav > *",
            "els => els.map(e => Math.round(e.getBoundingClientRect().top))")
        heights = page.eval_on_selector_all(
            ".mainnav > *", "els => els.map(e => e.getBoundingClientRect().height)")
        assert max(tops) - min(tops) < 12, tops  # everything on one row
        assert page.eval_on_selector(".topbar", "e => e.getBoundingClientRect().height") < 60
        assert max(heights) < 40
        # Open a group: its entries show under it, the page's entry marked.
        page.click("summary:has-text('Phiếu giấy')")
        assert page.is_visible("nav.mainnav a >> text='Nhập phiếu giấy'")
        shot(page, f"menu-{role.value}-1366")
        # Another group closes the first (one open at a time); Escape closes it.
        page.click("summary:has-text('Nhân khẩu và thẻ')")
        assert not page.is_visible("nav.mainnav a >> text='Nhập phiếu giấy'")
        page.keyboard.press("Escape")
        assert not page.is_visible("nav.mainnav a >> text='Nhân khẩu'")
    finally:
        context.close()


def test_the_menu_works_without_javascript(live_server, chromium):
    app, base = live_server
    _commune_with_venues(app)
    context = chromium.new_context(java_script_enabled=False, locale="vi-VN",
                                   viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        _login(page, base)
        page.click("summary:has-text('Phiếu giấy')")
        page.click("nav.mainnav a >> text='Nhập phiếu giấy'")
        assert page.url.endswith("/paper/key")
        assert page.get_attribute("details.navgroup.current summary", "class") is None
        assert "Phiếu giấy" in page.inner_text("details.navgroup.current summary")
    finally:
        context.close()


def test_a_long_picker_narrows_as_you_type(live_server, page):
    app, base = live_server
    _commune_with_venues(app, venues=120)
    _login(page, base)
    page.goto(base + "/paper/batches/new")
    assert page.locator("#point_id option").count() == 121
    page.fill("#point_id-search", "cho nua 07")  # no accents, lower case
    visible = page.eval_on_selector_all(
        "#point_id option", "os => os.filter(o => !o.hidden && o.value).map(o => o.textContent)")
    assert visible == ["Chợ Nưa 007 — Cổng chính", "Chợ Nưa 071 — Cổng chính",
                       "Chợ Nưa 073 — Cổng chính", "Chợ Nưa 075 — Cổng chính",
                       "Chợ Nưa 077 — Cổng chính", "Chợ Nưa 079 — Cổng chính",
                       "Chợ Nưa 107 — Cổng chính"]
    assert page.eval_on_selector("#point_id", "s => s.options[s.selectedIndex].textContent") == \
        "Chợ Nưa 007 — Cổng chính"
    assert "tìm thấy 7" in page.inner_text(".picker-count")
    # Enter moves on to the list itself, and the form sends the venue chosen.
    page.press("#point_id-search", "Enter")
    assert page.evaluate("document.activeElement.id") == "point_id"
    shot(page, "picker-batch")


def test_slips_per_page_shows_only_for_slips(live_server, chromium):
    app, base = live_server
    _commune_with_venues(app)
    context = chromium.new_context(java_script_enabled=False, locale="vi-VN",
                                   viewport={"width": 1366, "height": 900})
    page = context.new_page()
    try:
        _login(page, base)
        page.goto(base + "/paper/batches/new")
        assert page.is_checked("input[name=kind][value=log]")
        assert not page.is_visible("text=Số phiếu mỗi trang")
        page.check("input[name=kind][value=slip]")
        assert page.is_visible("text=Số phiếu mỗi trang")
        assert not page.is_visible("#sample_percent")
        page.check("input[name=double_entry][value=sample]")
        assert page.is_visible("#sample_percent")
        shot(page, "batch-new-slip")
    finally:
        context.close()


def test_an_import_double_clicked_imports_once(live_server, page, tmp_path):
    from openpyxl import Workbook
    from sqlalchemy import func, select

    from registry.models import Venue

    app, base = live_server
    _commune_with_venues(app, venues=1)  # "Trường học số 000" is registered already
    workbook = Workbook()
    for row in (["Tên địa điểm", "Loại địa điểm", "Địa chỉ", "Thôn / tổ dân phố",
                 "Người phụ trách", "Điện thoại", "Các điểm quét (cách nhau bởi dấu ;)",
                 "Ghi chú"],
                ["Ví dụ: Trường Tiểu học Triệu Sơn", "Trường học", "", "", "Nguyễn Văn An",
                 "0912345678", "", ""],
                ["TRUONG HOC SO 000", "Chợ", "", "", "Lê Thị Hoa", "0912345678", "", ""],
                ["Quán phở Hùng", "Chợ", "", "Thôn Đông", "Phạm Văn Hùng", "0168 123 4567",
                 "", ""]):
        workbook.active.append(row)
    path = tmp_path / "dia-diem.xlsx"
    workbook.save(path)
    _login(page, base)
    page.goto(base + "/venues/import")
    page.set_input_files("#file", str(path))
    page.click("button:has-text('Kiểm tra tệp')")
    assert page.locator("tr.row-sample").count() == 1
    assert page.locator("tr.row-existing").count() == 1
    assert page.locator("tr.row-warning").count() == 1
    shot(page, "import-preview")
    page.dblclick(".import-confirm button[type=submit]")
    page.wait_for_selector("text=1 địa điểm đã được nhập")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Venue)) == 2
