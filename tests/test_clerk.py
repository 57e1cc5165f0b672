"""The clerk's screens: the menu by job, poster and card batches of everything the filter
matches (not only the page shown), "Slips per page" only for slips, and change histories and
the audit log in words."""
from __future__ import annotations

from sqlalchemy import select

from registry.extensions import db
from registry.models import AuditEvent, Job, Role, Venue
from registry.services.communes import categories_for_code
from tests.pdfcheck import page_sizes_mm
from tests.scenes import village_named


def test_the_menu_is_grouped_by_job(client, auth, make_user):
    auth.login(make_user(Role.ADMIN))
    page = client.get("/venues/").get_data(as_text=True)
    nav = page.split('class="mainnav"')[1].split("</nav>")[0]
    groups = [g.split("<summary>")[1].split("</summary>")[0]
              for g in nav.split('<details class="navgroup')[1:]]
    assert groups == ["Địa điểm và mã QR", "Phiếu giấy", "Nhân khẩu và thẻ", "Báo cáo",
                      "Quản trị"]
    # The administrator's only tracing entry stands alone, in its group's place.
    assert nav.index("Báo cáo") < nav.index(">Cùng một người</a>") < nav.index("Quản trị")
    # The group of the page shown is marked, and its entry too.
    assert '<details class="navgroup current" name="mainnav" data-group="venues">' in nav
    assert 'aria-current="page">Địa điểm' in nav


def test_a_venue_user_gets_plain_links(client, auth, make_user, make_venue):
    # Four entries in four groups: each a plain link, no dropdown of one.
    auth.login(make_user(Role.VENUE, venue=make_venue()))
    nav = client.get("/my-venue/").get_data(as_text=True).split('class="mainnav"')[1] \
        .split("</nav>")[0]
    assert "<details" not in nav
    assert nav.count('class="navlink') == 4


def test_posters_of_every_venue_matching_the_filter(app, client, auth, make_user, make_venue):
    app.config["VENUES_PER_PAGE"] = 5
    for i in range(8):
        make_venue(name=f"Chợ số {i}", category="market")
    make_venue(name="Trường Mầm non")
    auth.login(make_user(Role.CLERK))
    page = client.get("/venues/?q=cho").get_data(as_text=True)
    assert "In mã QR của tất cả 8 địa điểm khớp với bộ lọc (mọi trang)" in page
    assert '<input type="hidden" name="q" value="cho">' in page
    response = client.get("/posters/batch.pdf?scope=filter&q=cho&size=A4")
    assert response.mimetype == "application/pdf"
    assert len(page_sizes_mm(response.data)) == 8  # one poster per point, all pages of the list
    # Ticked venues only, as before, when the scope says so.
    one = db.session.scalar(select(Venue.id).where(Venue.name == "Chợ số 3"))
    response = client.get(f"/posters/batch.pdf?scope=ticked&q=cho&venue={one}")
    assert len(page_sizes_mm(response.data)) == 1


def test_cards_of_everyone_matching_the_filter(client, auth, commune, make_resident):
    west = village_named(commune, "Thôn Tây")
    for i in range(55):
        make_resident(full_name=f"Người Tây {i}", village_id=west.id, birth_year=1950 + i % 50)
    make_resident(full_name="Người Đông")
    auth.login(make_resident.clerk)
    register = client.get(f"/residents/?village={west.id}").get_data(as_text=True)
    assert "In thẻ cho tất cả 55 nhân khẩu khớp với bộ lọc" in register
    page = client.get(f"/residents/print?scope=filter&village={west.id}").get_data(as_text=True)
    assert "55 nhân khẩu khớp với tìm kiếm và bộ lọc của danh sách" in page
    response = client.post(f"/residents/print?scope=filter&village={west.id}",
                           data={"scope": "filter"})
    assert response.status_code == 302  # more than 20 cards: a background job
    job = db.session.scalar(select(Job))
    assert len(job.params["card_ids"]) == 55


def test_slips_per_page_only_for_slips(client, auth, make_user, make_venue):
    make_venue()
    auth.login(make_user(Role.CLERK))
    page = client.get("/paper/batches/new").get_data(as_text=True)
    assert 'class="field slips-only' in page
    with client.get("/static/css/paper.css") as response:
        css = response.get_data(as_text=True)
    assert ".batch-form:has(input[name=kind][value=log]:checked) .slips-only { display: none; }" \
        in css


def test_change_history_and_audit_log_speak_words(client, auth, commune, make_user,
                                                  make_venue):
    venue = make_venue(name="Chợ Nưa", category="market", address=None)
    admin = make_user(Role.ADMIN)
    auth.login(admin)
    school = categories_for_code(commune.id)["school"].id
    client.post(f"/venues/{venue.id}/edit", data={
        "name": "Chợ Nưa", "category_id": school, "address": "Thôn Đông",
        "village_id": village_named(commune, "Thôn Đông").id, "manager_name": "Nguyễn Văn An",
        "manager_phone": "0987 654 321", "point_lines": "Cổng chính", "notes": ""})
    client.post(f"/venues/{venue.id}/status/suspend", data={"reason": "Sửa chữa",
                                                             "confirmed": "1"})
    page = client.get(f"/venues/{venue.id}").get_data(as_text=True)
    history = page.split("Lịch sử thay đổi")[1]
    assert "Loại địa điểm</strong>: Chợ → Trường học" in history
    assert "Địa chỉ</strong>: — → Thôn Đông" in history
    assert "Thôn/tổ</strong>: — → Thôn Đông" in history
    assert "Điện thoại</strong>: 0912 345 678 → 0987 654 321" in history
    assert "Trạng thái</strong>: Đang hoạt động → Tạm dừng" in history
    for raw in ("category_id", "village_id", "manager_phone", "None", "+84", "suspended"):
        assert raw not in history, raw
    log = client.get("/audit").get_data(as_text=True)
    assert "Loại địa điểm: Chợ → Trường học" in log
    for raw in ("category_id", "village_id", "None"):
        assert raw not in log.split("<tbody>")[1], raw
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "suspend"))
