"""Venue import (.xlsx/.csv with preview, errors per row and column, all or nothing) and export."""
from __future__ import annotations

import io
import re

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import Role, Venue

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
