"""Registering, editing, searching, suspending venues; the audit trail; bad input; import
from a spreadsheet (preview, errors per row and column, all or nothing) and export."""
from __future__ import annotations

import io
import re
import unicodedata

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

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
    client.post(f"/venues/{venue.id}/status/suspend", data={"reason": "Đóng cửa sửa chữa",
                                                            "confirmed": "1"})
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


HEADER_VI = ["Tên địa điểm", "Loại địa điểm", "Địa chỉ", "Thôn / tổ dân phố", "Người phụ trách",
             "Điện thoại", "Các điểm quét (cách nhau bởi dấu ;)", "Ghi chú"]


def _xlsx(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _upload(client, data: bytes, name: str):
    return client.post("/venues/import", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Venue))


def test_template_download_has_the_columns(client, auth, make_user):
    auth.login(make_user(Role.CLERK))
    response = client.get("/venues/import/template.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[1]] == HEADER_VI


def test_valid_file_previews_then_imports_everything(client, auth, make_user):
    auth.login(make_user(Role.CLERK))
    data = _xlsx([HEADER_VI,
                  ["Chợ Nưa", "Chợ", "Thôn Đông", "thon dong", "Lê Thị Hoa", "0912345678",
                   "Cổng Đông; Cổng Tây", ""],
                  ["Tạp hóa Cô Lan", "ho kinh doanh", "", "", "Trần Thị Lan", 912345679, "",
                   "Bán lẻ"]])
    response = _upload(client, data, "dia-diem.xlsx")
    page = response.get_data(as_text=True)
    assert "Cả 2 dòng đều hợp lệ." in page
    assert _count() == 0  # a preview writes nothing
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    response = client.post("/venues/import/confirm", data={"token": token})
    assert response.status_code == 302
    assert _count() == 2
    market = db.session.scalar(select(Venue).where(Venue.name == "Chợ Nưa"))
    assert [p.name for p in market.points] == ["Cổng Đông", "Cổng Tây"]
    assert market.village.name == "Thôn Đông"
    assert db.session.scalar(select(Venue.manager_phone).where(
        Venue.name == "Tạp hóa Cô Lan")) == "+84912345679"


def test_errors_listed_per_row_and_column_and_nothing_written(client, auth, make_user):
    auth.login(make_user(Role.CLERK))
    csv_text = "\n".join([
        ",".join(HEADER_VI),
        "Chợ Nưa,Chợ,,,Lê Thị Hoa,0912345678,,",
        ",Chợ,,,Lê Thị Hoa,0912345678,,",
        "Trạm cân,Nhà máy,,Thôn Không Có,Ai Đó,số điện thoại,,",
        "Chợ Nưa,Chợ,,,Lê Thị Hoa,0912345678,,",
    ])
    page = _upload(client, csv_text.encode("utf-8"), "venues.csv").get_data(as_text=True)
    assert "chưa nhập dữ liệu nào" in page
    assert "Ô này đang trống." in page
    assert "Không có loại địa điểm &#34;Nhà máy&#34;." in page
    assert "Không có thôn &#34;Thôn Không Có&#34;" in page
    assert "&#34;số điện thoại&#34; không phải là số điện thoại." in page
    assert "Địa điểm này đã có ở dòng 2." in page
    assert 'name="token"' not in page
    assert _count() == 0


def test_unreadable_or_wrong_header_files(client, auth, make_user):
    auth.login(make_user(Role.CLERK))
    page = _upload(client, b"PK\x03\x04 not really a zip", "x.xlsx").get_data(as_text=True)
    assert "Không đọc được tệp này" in page
    page = _upload(client, b"a,b,c\n1,2,3\n", "x.csv").get_data(as_text=True)
    assert "Dòng đầu tiên phải là tên các cột" in page
    page = _upload(client, b"hello", "x.pdf").get_data(as_text=True)
    assert "Chỉ nhận tệp .xlsx hoặc .csv." in page


def test_confirm_with_unknown_token_does_not_crash(client, auth, make_user):
    auth.login(make_user(Role.CLERK))
    response = client.post("/venues/import/confirm", data={"token": "../../etc/passwd"})
    assert response.status_code == 400
    response = client.post("/venues/import/confirm", data={"token": "abcdef"})
    assert response.status_code == 302


def test_export_follows_the_filter(client, auth, commune, make_user, make_venue):
    make_venue(name="Trường Tiểu học Triệu Sơn")
    make_venue(name="Chợ Nưa", category="market", manager_phone="+84987654321")
    auth.login(make_user(Role.CHAIRMAN))
    response = client.get("/venues/export.xlsx?q=cho")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("STT", "Tên địa điểm", "Loại địa điểm")
    assert len(rows) == 2
    assert rows[1][1] == "Chợ Nưa" and rows[1][6] == "0987 654 321"
