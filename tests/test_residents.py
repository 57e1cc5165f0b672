"""Resident register, cards (print, QR, revocation) and the scan station."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import (AuditEvent, CardStatus, Checkin, CheckinSource, Resident, ResidentCard,
                             Role)
from registry.services.residents.cards import (card_url, checkin_ids_for_card, dashboard_figures,
                                               find_card_by_token, issue_card, issue_missing_cards)
from registry.services.residents.register import add_resident
from registry.services.residents.scan import scan_card
from registry.timeutil import local_today, utcnow
from tests.pdfcheck import decode_qr, font_names, page_sizes_mm, page_texts
from tests.scenes import village_named


def _xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- register -------------------------------------------------------------------------------

def test_search_ignores_diacritics_and_case_and_filters(client, auth, commune, make_resident):
    east, west = village_named(commune, "Thôn Đông"), village_named(commune, "Thôn Tây")
    thuy = make_resident(full_name="Trần Thị Thủy", village_id=west.id, sex="female")
    make_resident(full_name="Lê Văn Đức", village_id=east.id)
    issue_card(thuy, make_resident.clerk)
    db.session.commit()
    auth.login(make_resident.clerk)
    page = client.get("/residents/?q=TRAN thi THUY").get_data(as_text=True)
    assert "Trần Thị Thủy" in page and "Lê Văn Đức" not in page
    page = client.get("/residents/?q=duc").get_data(as_text=True)
    assert "Lê Văn Đức" in page and "Trần Thị Thủy" not in page
    page = client.get(f"/residents/?village={east.id}").get_data(as_text=True)
    assert "Lê Văn Đức" in page and "Trần Thị Thủy" not in page
    page = client.get("/residents/?card=valid").get_data(as_text=True)
    assert "Trần Thị Thủy" in page and "Lê Văn Đức" not in page
    page = client.get("/residents/?card=none").get_data(as_text=True)
    assert "Lê Văn Đức" in page and "Trần Thị Thủy" not in page


def test_add_edit_and_vietnamese_errors(client, auth, commune, make_user):
    clerk = make_user(Role.CLERK)
    auth.login(clerk)
    village = village_named(commune, "Thôn Đông")
    bad = client.post("/residents/new", data={"full_name": "", "birth": "năm tám mươi",
                                              "sex": "male", "village_id": village.id,
                                              "phone": "12", "id_number": "123"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert "Nhập họ và tên" in text
    assert "Nhập năm sinh (1980) hoặc ngày sinh (05/03/1980)." in text
    assert "Số giấy tờ gồm 12 chữ số" in text
    response = client.post("/residents/new", data={
        "full_name": "Pha\u0323m Thi\u0323 Hoa", "birth": "05/03/1990", "sex": "female",
        "village_id": village.id, "phone": "0912 345 678", "id_number": "038190123456"})
    assert response.status_code == 302
    resident = db.session.scalar(select(Resident))
    assert resident.full_name == "Phạm Thị Hoa"  # composed (NFC)
    assert resident.birth_year == 1990 and resident.birth_date.day == 5
    assert resident.phone == "+84912345678"
    response = client.post(f"/residents/{resident.id}/edit", data={
        "full_name": "Phạm Thị Hoa", "birth": "1991", "sex": "female",
        "village_id": village_named(commune, "Thôn Tây").id, "phone": "", "id_number": ""})
    assert response.status_code == 302
    db.session.refresh(resident)
    assert resident.birth_year == 1991 and resident.birth_date is None
    assert resident.village.name == "Thôn Tây" and resident.phone is None
    page = client.get(f"/residents/{resident.id}").get_data(as_text=True)
    assert "Thôn Tây" in page
    views = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "view", AuditEvent.object_type == "residents"))
    assert views == 1  # looking at personal data is logged


def test_import_preview_errors_then_confirm(client, auth, commune, make_user):
    clerk = make_user(Role.CLERK)
    auth.login(clerk)
    header = ["Họ và tên", "Năm hoặc ngày sinh", "Giới tính", "Số định danh", "Điện thoại",
              "Thôn / tổ dân phố"]
    bad = _xlsx([header, ["Nguyễn Văn A", "19x0", "Nam", "", "", "Thôn Đông"],
                 ["Lê Thị B", "1975", "nữ", "", "", "Thôn Không Có"]])
    page = client.post("/residents/import", data={"file": (io.BytesIO(bad), "nk.xlsx")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "không phải là năm sinh" in page
    assert "Thôn Không Có" in page and "chưa nhập dữ liệu nào" in page
    assert db.session.scalar(select(func.count()).select_from(Resident)) == 0
    good = _xlsx([header, ["Nguyễn Văn A", "1980", "Nam", "038080001234", "0912345678",
                           "thon dong"],
                  ["Lê Thị B", "12/10/1975", "Nữ", "", "", "Thôn Tây"]])
    page = client.post("/residents/import", data={"file": (io.BytesIO(good), "nk.xlsx")},
                       content_type="multipart/form-data").get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    response = client.post("/residents/import/confirm", data={"token": token})
    assert response.status_code == 302
    names = set(db.session.scalars(select(Resident.full_name)))
    assert names == {"Nguyễn Văn A", "Lê Thị B"}
    # .csv (as saved by Excel: ; separated, UTF-8 with BOM); the same ID number is refused
    csv = ("\ufeffHọ và tên;Năm sinh;Giới tính;Số định danh;Thôn\n"
           "Trần Văn C;1990;nam;;Thôn Đông\nĐỗ Thị D;1991;Nữ;038080001234;Thôn Tây\n")
    page = client.post("/residents/import", data={
        "file": (io.BytesIO(csv.encode("utf-8")), "nk.csv")},
        content_type="multipart/form-data").get_data(as_text=True)
    assert "Trần Văn C" in page and "Số định danh này đã có trong danh sách nhân khẩu." in page


# --- cards ----------------------------------------------------------------------------------

def test_sheet_qr_codes_decode_to_the_right_residents(client, auth, commune, make_resident):
    people = [make_resident(full_name=f"Người Số {i}", birth_year=1950 + i) for i in range(12)]
    auth.login(make_resident.clerk)
    response = client.post("/residents/print", data={"scope": "without"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = response.data
    assert page_sizes_mm(pdf) == [(210.0, 297.0), (210.0, 297.0)]  # 10 + 2 cards
    texts = page_texts(pdf)
    # The title in two even lines (issue 13: "BỆNH" no longer alone on the second one).
    assert "THẺ KIỂM SOÁT" in texts[0] and "DỊCH BỆNH" in texts[0]
    assert "XÃ TRIỆU SƠN" in texts[0]
    assert font_names(pdf) == {"Card-Sans", "Card-Sans-Bold"}  # the bundled Liberation Sans
    codes = decode_qr(pdf, page=0) + decode_qr(pdf, page=1)
    assert len(codes) == 12
    by_name = {}
    for code in codes:
        assert code["width_mm"] >= 50 and code["height_mm"] >= 50
        assert code["text"].startswith("https://registry.example.vn/the/")
        card = find_card_by_token(code["text"].rsplit("/", 1)[1])
        assert card is not None and card.is_active
        by_name[card.resident.full_name] = card
        assert card.resident.full_name in "".join(texts)
        assert card.number in "".join(texts)
    assert set(by_name) == {p.full_name for p in people}
    # the token has at least 128 bits: 41 random digits (136 bits, typed safely by a scanner)
    assert all(c.token.isdigit() and len(c.token) == 41 for c in by_name.values())
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "print")) == 1


def test_single_card_page_is_id1(client, auth, commune, make_resident):
    resident = make_resident(full_name="<b>Hồ Thị Lý</b>")
    card = issue_card(resident, make_resident.clerk)
    db.session.commit()
    auth.login(make_resident.clerk)
    pdf = client.get(f"/residents/{resident.id}/card.pdf").data
    assert page_sizes_mm(pdf) == [(85.6, 54.0)]
    assert "<b>Hồ Thị Lý</b>" in page_texts(pdf)[0]  # typed text stays text
    [code] = decode_qr(pdf, dpi=200)
    assert code["text"] == card_url(card)


def test_reissue_revokes_the_old_card(client, auth, commune, make_resident, make_venue):
    resident = make_resident()
    old = issue_card(resident, make_resident.clerk)
    db.session.commit()
    auth.login(make_resident.clerk)
    response = client.post(f"/residents/{resident.id}/card/reissue", data={"reason": "Mất thẻ"})
    assert response.status_code == 302
    db.session.refresh(old)
    assert old.status == CardStatus.REVOKED and old.revoke_reason == "Mất thẻ"
    assert old.revoked_by_id == make_resident.clerk.id
    new = resident.active_card
    assert new is not None and new.number != old.number and new.token != old.token
    page = client.get(f"/residents/{resident.id}").get_data(as_text=True)
    assert "Đã thu hồi" in page and "Mất thẻ" in page and old.number in page
    point = make_venue().points[0]
    revoked = scan_card(point, card_url(old), direction="entry", user=make_resident.clerk)
    assert not revoked.ok and revoked.status == "revoked" and revoked.name == resident.full_name
    ok = scan_card(point, card_url(new), direction="entry", user=make_resident.clerk)
    assert ok.ok and ok.status == "recorded"
    # revoke without replacement
    client.post(f"/residents/cards/{new.id}/revoke", data={"reason": "Chuyển đi",
                                                          "confirmed": "1"})
    db.session.refresh(new)
    assert new.status == CardStatus.REVOKED and resident.active_card is None


def test_public_card_page_shows_no_personal_data(client, commune, make_resident):
    resident = make_resident(full_name="Đinh Công Tráng", phone="+84987654321")
    card = issue_card(resident, make_resident.clerk)
    db.session.commit()
    page = client.get(f"/the/{card.token}").get_data(as_text=True)
    assert "Thẻ kiểm soát dịch bệnh" in page and "Ủy ban nhân dân xã Triệu Sơn" in page
    # The random 41-digit token may appear in the page and contain any digits: leave it out.
    text = page.replace(card.token, "")
    assert "Đinh Công Tráng" not in text and card.number not in text and "987" not in text
    assert client.get("/the/not-a-real-token-at-all-000").status_code == 200


# --- scanning -------------------------------------------------------------------------------

def test_scan_records_once_within_merge_minutes(app, commune, other_commune, make_resident,
                                                make_venue, make_user):
    venue = make_venue()
    point = venue.points[0]
    user = make_user(Role.VENUE, venue=venue)
    resident = make_resident(full_name="Võ Thị Sáu", sex="female", id_number="038190000001",
                             address="Số 3 ngõ 5")
    card = issue_card(resident, make_resident.clerk)
    db.session.commit()
    first = scan_card(point, card_url(card), direction="entry", user=user)
    assert first.ok and first.status == "recorded" and first.name == "Võ Thị Sáu"
    again = scan_card(point, card.number, direction="entry", user=user)  # typed number
    assert again.ok and again.status == "duplicate"
    # a Vietnamese input method left on garbles the letters of the URL, not the digits
    garbled = card_url(card).replace("example", "ẽample").replace("https", "htps")
    assert scan_card(point, garbled, direction="entry", user=user).status == "duplicate"
    checkins = db.session.scalars(select(Checkin)).all()
    assert len(checkins) == 1
    c = checkins[0]
    assert c.source == CheckinSource.CARD_SCAN and c.resident_id == resident.id
    assert c.card_id == card.id and c.full_name == "Võ Thị Sáu" and c.search_name == "vo thi sau"
    assert c.id_number == "038190000001" and c.phone == "+84912345678" and c.birth_year == 1980
    assert c.sex == "female" and "Thôn Đông" in c.address and c.entered_by_id == user.id
    # after the merge window it counts again
    c.checked_in_at = utcnow() - timedelta(minutes=commune.checkin_merge_minutes + 1)
    db.session.commit()
    assert scan_card(point, card_url(card), direction="entry", user=user).status == "recorded"
    # exit closes the latest open visit
    out = scan_card(point, card_url(card), direction="exit", user=user)
    assert out.ok and out.status == "exit"
    assert db.session.scalar(select(func.count()).select_from(Checkin)
                             .where(Checkin.checked_out_at.is_not(None))) == 1
    # unknown, garbage, other commune
    assert scan_card(point, "https://x/the/" + "A" * 24, direction="entry", user=user).status \
        == "unknown"
    assert scan_card(point, "hello world", direction="entry", user=user).status == "invalid"
    stranger = add_resident(other_commune.id, user, full_name="Người Hà Nội", birth_year=1990,
                            sex="male", village_id=commune.villages[0].id)
    their_card = issue_card(stranger, user)
    db.session.commit()
    result = scan_card(point, card_url(their_card), direction="entry", user=user)
    assert not result.ok and result.status == "other_commune" and result.name is None
    # tracing and dashboard hooks
    assert checkin_ids_for_card(commune.id, card.number) == {
        i for i in db.session.scalars(select(Checkin.id).where(
            Checkin.resident_id == resident.id))}
    with app.test_request_context():
        figures = {f["key"]: f for f in dashboard_figures(commune.id, local_today(),
                                                          local_today())}
    assert figures["residents_with_card"]["value"] == 1
    assert figures["cards_issued"]["value"] == 1


def test_scan_endpoint_json(client, auth, commune, make_resident, make_venue, make_user):
    venue, other_venue = make_venue(), make_venue(name="Chợ Nưa")
    user = make_user(Role.VENUE, venue=venue)
    card = issue_card(make_resident(), make_resident.clerk)
    db.session.commit()
    auth.login(user)
    url = f"/scan/{venue.points[0].id}"
    data = client.post(url, json={"code": card_url(card), "direction": "entry"}).get_json()
    assert data["ok"] and data["status"] == "recorded" and data["name"] == "Nguyễn Văn An"
    assert client.post(url, json={"code": card.number}).get_json()["status"] == "duplicate"
    # without JavaScript the form posts and the page shows the result
    page = client.post(url, data={"code": "999999", "direction": "entry"}).get_data(as_text=True)
    assert "Thẻ không có trong danh sách" in page and 'class="scan-result bad"' in page
    # a venue user cannot scan for another venue
    assert client.post(f"/scan/{other_venue.points[0].id}", json={"code": "1"}).status_code == 404


@pytest.mark.browser
def test_scan_station_in_chromium(live_server, page):
    """Type the code and Enter as a USB scanner does; green, then no double count; red."""
    from registry.services.communes import (
        add_village,
        categories_for_code,
        create_commune,
    )
    from registry.services.users import create_user
    from registry.services.venues import register_venue

    app, base = live_server
    with app.app_context():
        commune = create_commune(15664, hotline="+842373868123")
        village = add_village(commune, "Thôn Đông")
        admin = create_user(commune.id, username="admin", full_name="Quản trị",
                            role=Role.ADMIN, password="correct-horse-1")
        venue = register_venue(commune.id, admin, point_names=["Cổng chính"],
                               name="Trạm Y tế", category_id=categories_for_code(
                                   commune.id)["health"].id, address=None,
                               village_id=None, manager_name="An", manager_phone="+84912345678",
                               notes=None)
        create_user(commune.id, username="cong", full_name="Bảo vệ", role=Role.VENUE,
                    password="correct-horse-1", venue_id=venue.id)
        resident = add_resident(commune.id, admin, full_name="Phan Thị Ánh", birth_year=1970,
                                sex="female", village_id=village.id)
        card = issue_card(resident, admin)
        old = issue_card(resident, admin)  # reissued once more: `card` is now revoked
        good_code, revoked_code = card_url(old), card_url(card)
        point_id = venue.points[0].id
        db.session.commit()
    page.goto(f"{base}/auth/login")
    page.fill("#username", "cong")
    page.fill("#password", "correct-horse-1")
    page.click("button.primary")
    page.goto(f"{base}/scan/{point_id}")
    code = page.locator("#scan-code")
    assert code.evaluate("el => el === document.activeElement")
    page.keyboard.type(good_code)
    page.keyboard.press("Enter")
    result = page.locator("#scan-result")
    page.wait_for_selector("#scan-result.ok")
    assert "Phan Thị Ánh" in result.inner_text() and "Đã ghi nhận vào" in result.inner_text()
    assert code.input_value() == ""
    assert code.evaluate("el => el === document.activeElement")  # ready for the next card
    page.keyboard.type(good_code)
    page.keyboard.press("Enter")
    page.wait_for_selector("#scan-history li:nth-child(2)")
    assert "không tính lại" in result.inner_text()
    page.keyboard.type(revoked_code)
    page.keyboard.press("Enter")
    page.wait_for_selector("#scan-result.bad")
    assert "đã bị thu hồi" in result.inner_text()
    # switching to exit keeps the focus in the input and records the exit
    page.click("[data-direction=exit]")
    assert code.evaluate("el => el === document.activeElement")
    page.keyboard.type(good_code)
    page.keyboard.press("Enter")
    page.wait_for_selector("#scan-history li:first-child:has-text('Đã ghi nhận ra')")
    assert page.locator("#scan-history li").count() == 4
    # a whole day of scans: the on-screen history stays capped, the page keeps answering
    for _ in range(20):
        page.keyboard.type("999999")
        page.keyboard.press("Enter")
    page.wait_for_selector("#scan-history li:nth-child(15)")
    page.wait_for_timeout(1000)  # the rest of the 20 answers arrive meanwhile
    assert page.locator("#scan-history li").count() == 15
    assert "Thẻ không có trong danh sách" in result.inner_text()
    with app.app_context():
        rows = db.session.scalars(select(Checkin)).all()
        assert len(rows) == 1 and rows[0].checked_out_at is not None
        assert rows[0].source == CheckinSource.CARD_SCAN


# --- background jobs ------------------------------------------------------------------------


def test_issue_missing_cards_numbers_in_sequence(app, commune, make_resident):
    people = [make_resident(full_name=f"Người {i}") for i in range(3)]
    issue_card(people[0], make_resident.clerk)
    assert issue_missing_cards(commune.id, make_resident.clerk, [p.id for p in people]) == 2
    numbers = sorted(db.session.scalars(select(ResidentCard.number)))
    assert numbers == ["000001", "000002", "000003"]


def test_split_number_list():
    from registry.services.residents.cards import split_number_list

    assert split_number_list("038 080 001 111, 12\n000013;C1234567") == [
        "038080001111", "12", "000013", "C1234567"]
    # a list whose line breaks became spaces is still split
    assert split_number_list("038080001111 000002 17") == ["038080001111", "000002", "17"]
    assert split_number_list("038 080 001 111 2") == ["038080001111", "2"]


def test_print_by_list_and_by_village(client, auth, commune, make_resident):
    west = village_named(commune, "Thôn Tây")
    a = make_resident(full_name="Người A", id_number="038080001111")
    b = make_resident(full_name="Người B")
    c = make_resident(full_name="Người C", village_id=west.id)
    card_b = issue_card(b, make_resident.clerk)
    db.session.commit()
    auth.login(make_resident.clerk)
    bad = client.post("/residents/print", data={"scope": "list", "numbers": ""})
    assert "Nhập ít nhất một số thẻ hoặc số định danh." in bad.get_data(as_text=True)
    pdf = client.post("/residents/print", data={
        "scope": "list", "numbers": f"038 080 001 111\n{int(card_b.number)}"}).data
    names = {find_card_by_token(q["text"].rsplit("/", 1)[1]).resident.full_name
             for q in decode_qr(pdf)}
    assert names == {"Người A", "Người B"}
    assert a.active_card is not None and c.active_card is None  # issued only to those printed
    assert b.active_card.number == card_b.number  # a valid card is printed again, not replaced
    pdf = client.post("/residents/print", data={"scope": "village", "village_id": west.id}).data
    [code] = decode_qr(pdf)
    assert find_card_by_token(code["text"].rsplit("/", 1)[1]).resident_id == c.id
    empty = client.post("/residents/print", data={"scope": "village", "village_id": ""})
    assert "Chọn thôn/tổ dân phố." in empty.get_data(as_text=True)

