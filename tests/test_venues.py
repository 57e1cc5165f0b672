"""Registering, editing, searching, suspending venues; the audit trail; bad input."""
from __future__ import annotations

import unicodedata

from sqlalchemy import select

from registry.extensions import db
from registry.models import AuditEvent, Role, Venue, VenueStatus
from registry.services.communes import categories_for_code

NFD_NAME = unicodedata.normalize("NFD", "Trường Tiểu học Đông Sơn")


def _form(commune, **overrides):
    data = {
        "name": "Chợ Nưa",
        "category_id": str(categories_for_code(commune.id)["market"].id),
        "address": "Thôn Đông",
        "village_id": str(commune.villages[0].id),
        "manager_name": "Lê Thị Hoa",
        "manager_phone": "0912 345 678",
        "point_lines": "Cổng Đông\nCổng Tây",
        "notes": "",
    }
    data.update(overrides)
    return data


def test_clerk_registers_a_venue(client, auth, commune, make_user):
    auth.login(make_user(Role.CLERK))
    response = client.post("/venues/new", data=_form(commune))
    assert response.status_code == 302
    assert "Đã đăng ký địa điểm" in client.get(response.headers["Location"]).get_data(
        as_text=True)
    venue = db.session.scalar(select(Venue))
    assert venue.name == "Chợ Nưa"
    assert venue.manager_phone == "+84912345678"
    assert [p.name for p in venue.points] == ["Cổng Đông", "Cổng Tây"]
    assert all(len(p.token) >= 22 for p in venue.points)  # ≥ 128 bits, url-safe
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Chợ Nưa" in page and "0912 345 678" in page


def test_text_is_stored_composed_whatever_the_keyboard(client, auth, commune, make_user):
    auth.login(make_user(Role.CLERK))
    client.post("/venues/new", data=_form(commune, name=NFD_NAME, manager_name="  Lê   Hoa "))
    venue = db.session.scalar(select(Venue))
    assert venue.name == unicodedata.normalize("NFC", NFD_NAME)
    assert venue.manager_name == "Lê Hoa"
    assert venue.search_name == "truong tieu hoc dong son"


def test_bad_input_is_answered_on_the_field_in_vietnamese(client, auth, commune, make_user):
    auth.login(make_user(Role.CLERK))
    response = client.post("/venues/new", data=_form(commune, name="", manager_phone="abc",
                                                     category_id="999999"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Hãy nhập tên địa điểm." in page
    assert "Hãy nhập số điện thoại, ví dụ 0912 345 678." in page
    assert "Lựa chọn không hợp lệ." in page
    assert db.session.scalar(select(Venue)) is None


def test_odd_phone_is_a_warning_not_a_refusal(client, auth, commune, make_user):
    auth.login(make_user(Role.CLERK))
    response = client.post("/venues/new", data=_form(commune, manager_phone="0212 345 678"))
    assert response.status_code == 302
    assert db.session.scalar(select(Venue.manager_phone)) == "+84212345678"


def test_search_ignores_diacritics_and_case(client, auth, make_user, make_venue):
    make_venue(name="Trường Tiểu học Triệu Sơn")
    make_venue(name="Chợ Nưa", category="market")
    auth.login(make_user(Role.CHAIRMAN))
    page = client.get("/venues/?q=TRUONG tieu hoc").get_data(as_text=True)
    assert "Trường Tiểu học Triệu Sơn" in page and "Chợ Nưa" not in page
    page = client.get("/venues/?q=" + unicodedata.normalize("NFD", "chợ")).get_data(as_text=True)
    assert "Chợ Nưa" in page and "Trường Tiểu học" not in page
    page = client.get("/venues/?q=100%25_").get_data(as_text=True)
    assert "Không có địa điểm nào phù hợp." in page


def test_filters_and_paging(app, client, auth, commune, make_user, make_venue):
    app.config["VENUES_PER_PAGE"] = 5
    for i in range(12):
        make_venue(name=f"Tạp hóa số {i:02d}", category="household_business",
                   village_id=commune.villages[i % 2].id)
    make_venue(name="Trường Mầm non", category="school")
    auth.login(make_user(Role.CLERK))
    hh = categories_for_code(commune.id)["household_business"].id
    page1 = client.get(f"/venues/?category={hh}").get_data(as_text=True)
    assert "(12)" in page1 and "Tạp hóa số 00" in page1 and "Tạp hóa số 05" not in page1
    assert "Trang 1/3" in page1
    page3 = client.get(f"/venues/?category={hh}&page=3").get_data(as_text=True)
    assert "Tạp hóa số 11" in page3
    village = client.get(f"/venues/?village={commune.villages[1].id}").get_data(as_text=True)
    assert "(6)" in village
    assert client.get("/venues/?page=abc&category=x").status_code == 200


def test_suspend_and_reactivate_with_audit_trail(client, auth, make_user, make_venue):
    venue = make_venue()
    clerk = make_user(Role.CLERK, full_name="Nguyễn Thị Thúy")
    auth.login(clerk)
    client.post(f"/venues/{venue.id}/status/suspend", data={"reason": "Đóng cửa sửa chữa"})
    db.session.refresh(venue)
    assert venue.status == VenueStatus.SUSPENDED
    page = client.get("/venues/?status=suspended").get_data(as_text=True)
    assert venue.name in page
    client.post(f"/venues/{venue.id}/status/reactivate", data={})
    db.session.refresh(venue)
    assert venue.status == VenueStatus.ACTIVE
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "venues", AuditEvent.object_id == venue.id)
        .order_by(AuditEvent.id)).all()
    assert actions == ["create", "suspend", "reactivate"]
    detail = client.get(f"/venues/{venue.id}").get_data(as_text=True)
    assert "Đóng cửa sửa chữa" in detail and "Nguyễn Thị Thúy" in detail


def test_edit_records_old_and_new_values(client, auth, commune, make_user, make_venue):
    venue = make_venue()
    auth.login(make_user(Role.CLERK))
    form = _form(commune, name="Trường Tiểu học Triệu Sơn 2",
                 category_id=str(venue.category_id), point_lines="Cổng chính\nCổng sau")
    assert client.post(f"/venues/{venue.id}/edit", data=form).status_code == 302
    db.session.refresh(venue)
    assert venue.name == "Trường Tiểu học Triệu Sơn 2"
    assert [p.name for p in venue.points] == ["Cổng chính", "Cổng sau"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "update")).one()
    assert event.details["name"] == ["Trường Tiểu học Triệu Sơn", "Trường Tiểu học Triệu Sơn 2"]
    assert "manager_phone" not in event.details  # unchanged fields are not listed
    assert event.details["village_id"] == [None, commune.villages[0].id]


def test_user_typed_text_is_escaped(client, auth, commune, make_user):
    auth.login(make_user(Role.CLERK))
    client.post("/venues/new", data=_form(commune, name="<script>alert(1)</script>"))
    page = client.get("/venues/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
