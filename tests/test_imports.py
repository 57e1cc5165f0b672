"""Imports that keep the register clean: a file imported twice does not double anything, rows
matching a registered record are skipped or updated, a confirmation runs once, the template's
sample row is never imported, and a row is refused or warned about exactly as the web form
would (phones, old 11-digit numbers, ID numbers disagreeing with the declared person)."""
from __future__ import annotations

import io
import re
import threading

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import ImportReceipt, Resident, Role, Venue
from registry.phones import PhoneError, parse_phone

VENUE_HEADER = ["Tên địa điểm", "Loại địa điểm", "Địa chỉ", "Thôn / tổ dân phố",
                "Người phụ trách", "Điện thoại", "Các điểm quét (cách nhau bởi dấu ;)", "Ghi chú"]
RESIDENT_HEADER = ["Họ và tên", "Năm hoặc ngày sinh", "Giới tính", "Số định danh",
                   "Điện thoại", "Thôn / tổ dân phố"]


def _xlsx(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _preview(client, kind: str, data: bytes, name: str = "tep.xlsx") -> str:
    return client.post(f"/{kind}/import", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data").get_data(as_text=True)


def _token(page: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', page).group(1)


def _venues() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Venue))


def _residents() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Resident))


MARKET = ["Chợ Nưa", "Chợ", "Thôn Đông", "Thôn Đông", "Lê Thị Hoa", "0912345678",
          "Cổng Đông; Cổng Tây", ""]
SHOP = ["Tạp hóa Cô Lan", "Hộ kinh doanh", "", "", "Trần Thị Lan", "0912345679", "", ""]


# --- venues ------------------------------------------------------------------------------------

def test_importing_the_same_venues_twice_does_not_double_them(client, auth, make_user):
    auth.login(make_user(Role.CLERK))
    data = _xlsx([VENUE_HEADER, MARKET, SHOP])
    page = _preview(client, "venues", data)
    assert "Mới: 2 · đã có trong danh sách: 0." in page
    client.post("/venues/import/confirm", data={"token": _token(page)})
    assert _venues() == 2
    # The same file again, written differently (case, no diacritics): both rows are marked
    # as already registered, and importing skips them.
    again = _xlsx([VENUE_HEADER, ["CHO NUA", "Chợ", "thon dong", "Thôn Đông", "Lê Thị Hoa",
                                  "0912345678", "", ""], SHOP])
    page = _preview(client, "venues", again)
    assert "Mới: 0 · đã có trong danh sách: 2." in page
    assert page.count('class="row-existing"') == 2
    assert "Đã có trong danh sách: Chợ Nưa, Thôn Đông" in page
    assert 'name="existing" value="skip" checked' in page
    response = client.post("/venues/import/confirm",
                           data={"token": _token(page), "existing": "skip"},
                           follow_redirects=True)
    assert "0 địa điểm đã được nhập; bỏ qua 2 dòng đã có trong danh sách." in \
        response.get_data(as_text=True)
    assert _venues() == 2


def test_matching_venues_can_be_updated_instead(client, auth, make_user):
    auth.login(make_user(Role.CLERK))
    page = _preview(client, "venues", _xlsx([VENUE_HEADER, MARKET]))
    client.post("/venues/import/confirm", data={"token": _token(page)})
    changed = list(MARKET)
    changed[4], changed[5], changed[6] = "Phạm Văn Hùng", "0987 654 321", "Cổng Nam"
    page = _preview(client, "venues", _xlsx([VENUE_HEADER, changed, SHOP]))
    response = client.post("/venues/import/confirm",
                           data={"token": _token(page), "existing": "update"},
                           follow_redirects=True)
    assert "1 địa điểm đã được nhập; cập nhật 1 bản ghi đã có." in \
        response.get_data(as_text=True)
    assert _venues() == 2
    market = db.session.scalar(select(Venue).where(Venue.name == "Chợ Nưa"))
    assert market.manager_name == "Phạm Văn Hùng" and market.manager_phone == "+84987654321"
    assert [p.name for p in market.points] == ["Cổng Đông", "Cổng Tây", "Cổng Nam"]


def test_a_confirmation_runs_once_even_replayed(client, auth, make_user):
    auth.login(make_user(Role.CLERK))
    page = _preview(client, "venues", _xlsx([VENUE_HEADER, MARKET, SHOP]))
    token = _token(page)
    assert client.post("/venues/import/confirm", data={"token": token}).status_code == 302
    replay = client.post("/venues/import/confirm", data={"token": token},
                         follow_redirects=True).get_data(as_text=True)
    assert "Tệp này đã được nhập lúc" in replay and "không nhập lại" in replay
    assert _venues() == 2
    assert db.session.scalar(select(func.count()).select_from(ImportReceipt)) == 1


def test_two_confirmations_at_the_same_moment_import_once(app, auth, make_user):
    user = make_user(Role.CLERK)
    clients = [app.test_client(), app.test_client()]
    for c in clients:
        c.post("/auth/login", data={"username": user.username, "password": "correct-horse-1"})
    rows = [VENUE_HEADER] + [[f"Quán số {i}", "Hộ kinh doanh", f"Số {i}", "", "Chủ quán",
                              "0912345678", "", ""] for i in range(40)]
    token = _token(_preview(clients[0], "venues", _xlsx(rows)))
    db.session.remove()
    barrier = threading.Barrier(2)
    statuses = []

    def confirm(c):
        with app.app_context():
            barrier.wait()
            statuses.append(c.post("/venues/import/confirm", data={"token": token}).status_code)

    threads = [threading.Thread(target=confirm, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [302, 302]
    assert _venues() == 40


def test_the_templates_sample_row_is_never_imported(client, auth, make_user, make_venue):
    make_venue(name="Trường Tiểu học Triệu Sơn", address="Số 1 đường Lê Lợi")
    auth.login(make_user(Role.CLERK))
    template = client.get("/venues/import/template.xlsx").data
    sheet = load_workbook(io.BytesIO(template)).active
    assert sheet["A2"].value.startswith("Ví dụ:") and sheet["A2"].font.i
    assert "không bao giờ được nhập" in sheet["A2"].comment.text
    # The untouched template has nothing to import.
    page = _preview(client, "venues", template)
    assert "Tệp không có dòng địa điểm nào." in page
    # Kept while data is added under it: shown as the sample, left out of the import.
    workbook = load_workbook(io.BytesIO(template))
    workbook.active.append(SHOP)
    out = io.BytesIO()
    workbook.save(out)
    page = _preview(client, "venues", out.getvalue())
    assert "Dòng 2 là dòng mẫu của tệp mẫu: dòng này không được nhập." in page
    assert 'class="row-sample"' in page and "Mới: 1 ·" in page
    client.post("/venues/import/confirm", data={"token": _token(page)})
    assert _venues() == 2
    assert db.session.scalar(select(func.count()).select_from(Venue).where(
        Venue.name.like("%Trường Tiểu học%"))) == 1


def test_an_import_refuses_a_phone_the_form_refuses(client, auth, commune, make_user):
    auth.login(make_user(Role.CLERK))
    short = list(SHOP)
    short[5] = "0912 34 56"
    page = _preview(client, "venues", _xlsx([VENUE_HEADER, short]))
    assert "&#34;0912 34 56&#34;: Số này thiếu chữ số" in page
    assert 'name="token"' not in page
    # The web form refuses it the same way.
    response = client.post("/venues/new", data={
        "name": "Quán A", "category_id": db.session.scalar(select(Venue.category_id)) or 1,
        "manager_name": "Ai Đó", "manager_phone": "0912 34 56"})
    assert "Số này thiếu chữ số" in response.get_data(as_text=True)
    assert _venues() == 0


def test_old_eleven_digit_mobiles_are_converted_and_said_so(client, auth, make_user):
    auth.login(make_user(Role.CLERK))
    old = list(SHOP)
    old[5] = "0168 123 4567"
    page = _preview(client, "venues", _xlsx([VENUE_HEADER, old]))
    assert 'class="row-warning"' in page
    assert "0168 123 4567 là số cũ 11 chữ số: được lưu thành số mới 0381 234 567" in page
    client.post("/venues/import/confirm", data={"token": _token(page)})
    assert db.session.scalar(select(Venue.manager_phone)) == "+84381234567"


def test_phone_parsing_refuses_what_cannot_be_a_number_here():
    assert parse_phone("0912 345 678").e164 == "+84912345678"
    assert parse_phone("0237 3868 123").e164 == "+842373868123"
    assert parse_phone("1900 1234").e164 == "+8419001234"
    converted = parse_phone("01621234567")
    assert converted.e164 == "+84321234567" and converted.converted_from == "0162 123 4567"
    assert parse_phone("+84 121 234 5678").e164 == "+84792345678"
    assert parse_phone("+1 202 555 0143").e164 == "+12025550143"
    for text, reason in (("0912 34 56", "too_short"), ("091234", "too_short"), ("12ab", "not_a_number"),
                         ("0912 345 6789", "too_long"), ("không có", "not_a_number"),
                         ("+1 202 555", "not_a_number")):
        try:
            parse_phone(text)
        except PhoneError as exc:
            assert exc.reason == reason, text
        else:
            raise AssertionError(f"{text} accepted")


# --- residents ---------------------------------------------------------------------------------

def test_residents_imported_twice_are_matched_by_id_or_name_year_and_village(
        client, auth, commune, make_user):
    auth.login(make_user(Role.CLERK))
    rows = [RESIDENT_HEADER,
            ["Nguyễn Văn An", "1980", "Nam", "038080001234", "0912345678", "Thôn Đông"],
            ["Lê Thị Bình", "1975", "Nữ", "", "", "Thôn Tây"]]
    page = _preview(client, "residents", _xlsx(rows))
    client.post("/residents/import/confirm", data={"token": _token(page)})
    assert _residents() == 2
    again = [RESIDENT_HEADER,
             # the same ID number, the name typed without accents: the same person
             ["Nguyen Van An", "1980", "Nam", "038080001234", "", "Thôn Đông"],
             # no ID number: the same name, year and village
             ["LÊ THỊ BÌNH", "1975", "Nữ", "", "0987654321", "thon tay"],
             # a namesake born another year is someone else
             ["Lê Thị Bình", "1990", "Nữ", "", "", "Thôn Tây"]]
    page = _preview(client, "residents", _xlsx(again))
    assert "Mới: 1 · đã có trong danh sách: 2." in page
    assert "Số định danh này đã có trong danh sách nhân khẩu. Nguyễn Văn An, sinh 1980" in page
    assert "Đã có trong danh sách nhân khẩu: Lê Thị Bình, sinh 1975, Thôn Tây" in page
    client.post("/residents/import/confirm", data={"token": _token(page), "existing": "update"})
    assert _residents() == 3
    binh = db.session.scalar(select(Resident).where(Resident.birth_year == 1975))
    assert binh.phone == "+84987654321" and binh.full_name == "Lê Thị Bình"
    an = db.session.scalar(select(Resident).where(Resident.id_number == "038080001234"))
    # The name written without accents keeps the register's spelling; an empty cell keeps
    # the stored value.
    assert an.full_name == "Nguyễn Văn An" and an.phone == "+84912345678"
    # The same ID number with another person's name: matched, and a warning to check it.
    clash = [RESIDENT_HEADER, ["Đỗ Thị Dung", "1980", "Nữ", "038080001234", "", "Thôn Đông"]]
    page = _preview(client, "residents", _xlsx(clash))
    assert "Danh sách nhân khẩu có số định danh này cho một người khác họ tên" in page


def test_resident_rows_warn_like_the_form(client, auth, commune, make_user):
    auth.login(make_user(Role.CLERK))
    rows = [RESIDENT_HEADER,
            # the CCCD says a woman born in 1990; the row says a man born in 1985
            ["trần văn cường", "1985", "Nam", "038190001234", "01231234567", "Thôn Đông"],
            ["Đỗ Thị Dung", "1970", "Nữ", "", "0912 34 56", "Thôn Đông"]]
    page = _preview(client, "residents", _xlsx(rows))
    assert "Số CCCD cho biết năm sinh 1990, nhưng năm sinh đã khai là 1985" in page
    assert "Số CCCD không khớp với giới tính đã khai" in page
    assert "0123 123 4567 là số cũ 11 chữ số: được lưu thành số mới 0831 234 567" in page
    assert "Viết theo cách viết hoa thông thường: &#34;Trần Văn Cường&#34;." in page
    assert "&#34;0912 34 56&#34;: Số này thiếu chữ số" in page
    assert 'name="token"' not in page


def test_the_confirmation_checks_the_kept_cells_against_the_register_as_it_is_then(
        client, auth, make_user, make_venue):
    """The preview keeps the cells it read beside the file (the confirmation does not decode
    the spreadsheet again) and the confirmation runs every check again: a venue registered in
    between is matched, not doubled; file and cells are gone after the import."""
    from registry.services.imports import CELLS_SUFFIX, UPLOADS_AREA
    from registry.storage import storage

    auth.login(make_user(Role.CLERK))
    page = _preview(client, "venues", _xlsx([VENUE_HEADER, MARKET, SHOP]))
    kept = sorted(info.key for info in storage().list(UPLOADS_AREA))
    assert len(kept) == 2 and kept[0] + CELLS_SUFFIX == kept[1]
    # Registered by someone else after the preview: the same name and address as a row.
    make_venue(name="Tạp hóa Cô Lan", address=None)
    response = client.post("/venues/import/confirm", data={"token": _token(page)},
                           follow_redirects=True)
    assert "1 địa điểm đã được nhập" in response.get_data(as_text=True)
    assert _venues() == 2  # the market added, the shop matched (skipped), none doubled
    assert storage().list(UPLOADS_AREA) == []
