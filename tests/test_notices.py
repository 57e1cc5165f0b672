"""Exposure notices that reach everyone: letters grouped by village with a cover sheet for its
head (the PDF read back: header, name, hotline), the bulk-SMS list (formats and lengths), each
notice recorded on the contact, and the F1 list's "not reached yet"."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.models import CaseContact, ExposureNotice, NoticeChannel, Role, TracingCase
from registry.services.residents.cards import card_url, issue_card
from registry.services.residents.scan import scan_card
from registry.services.tracing import cases
from registry.services.tracing.notices import (SMS_LIMIT, notice_groups, plain_text,
                                               sms_message, sms_phone)
from registry.timeutil import local_to_utc, local_today
from tests.pdfcheck import font_names, page_sizes_mm, page_texts
from tests.scenes import CARD, DATE_ONLY, PAPER, S, visit


@pytest.fixture
def f1(app, commune, make_venue, make_user, make_resident):
    """A case with five F1 contacts at the market: a card holder of Thôn Đông (no phone), a
    self-scan giving Thôn Tây as address, a paper line whose ID number is in the register
    (Thôn Đông), someone from elsewhere with a mobile phone, and one with a landline."""
    market = make_venue(name="Chợ Nưa", category="market", points=("Cổng Đông",))
    point = market.points[0]
    day = local_today() - timedelta(days=2)
    card_holder = make_resident(full_name="Võ Thị Sáu", sex="female", birth_year=1950,
                                phone=None)
    make_resident(full_name="Hoàng Minh Đức", birth_year=1970, id_number="038070000111",
                  village_id=next(v.id for v in commune.villages if v.name == "Thôn Đông"))
    card = issue_card(card_holder, make_resident.clerk)
    db.session.commit()
    scanned = scan_card(point, card_url(card), direction="entry", user=make_resident.clerk,
                        at=local_to_utc(datetime.combine(day, time(9, 40))))
    others = [
        visit(point, S, "Trần Văn Tây", datetime.combine(day, time(9, 30)), birth_year=1988,
              phone="+84987654321", address="Xóm 2, Thôn Tây"),
        visit(point, PAPER, "HOÀNG MINH ĐỨC", datetime.combine(day, time(0)),
              precision=DATE_ONLY, id_number="038070000111"),
        visit(point, S, "Lý Thị Xa", datetime.combine(day, time(9, 50)), birth_year=1995,
              phone="+84911222333", address="Phường Hàm Rồng, Thanh Hóa"),
        visit(point, CARD, "Đinh Văn Bàn", datetime.combine(day, time(9, 55)),
              phone="+842373999888"),
    ]
    case = cases.create_case(commune.id, None, index_label="BN 12345 Nguyễn Văn Bệnh",
                             index_date=day, index_date_kind="test", notes=None)
    ids = {scanned.checkin_id, *(o.id for o in others)}
    cases.hold_checkins(case, ids)
    cases.add_contacts(case, None, ids)
    db.session.commit()
    tracer = make_user(Role.TRACER, full_name="Y sĩ Lan")
    return {"case": case, "tracer": tracer, "day": day}


def _contacts(case) -> dict:
    db.session.expire_all()
    return {c.full_name: c for c in db.session.get(TracingCase, case.id).contacts}


def test_contacts_are_grouped_by_village_for_their_heads(app, commune, f1):
    case = f1["case"]
    groups = notice_groups(case, list(case.contacts))
    named = [(g.village, [c.full_name for c in g.contacts]) for g in groups]
    assert named == [("Thôn Tây", ["Trần Văn Tây"]),
                     ("Thôn Đông", ["HOÀNG MINH ĐỨC", "Võ Thị Sáu"]),
                     (None, ["Đinh Văn Bàn", "Lý Thị Xa"])]


def test_notice_letters_read_back_and_are_recorded(client, auth, commune, f1):
    case, tracer = f1["case"], f1["tracer"]
    auth.login(tracer)
    page = client.get(f"/tracing/cases/{case.id}").get_data(as_text=True)
    assert "5 người chưa được thông báo" in page and page.count("Chưa được thông báo") == 5
    assert "trong đó 2 người có số di động" in page
    response = client.post(f"/tracing/cases/{case.id}/notices.pdf", data={"scope": "unreached"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "giay-thong-bao-ca-" in response.headers["Content-Disposition"]
    texts = page_texts(response.data)
    # Three cover sheets (Thôn Tây, Thôn Đông, unknown) and five letters, one page each.
    assert len(texts) == 8
    assert all(size == (210.0, 297.0) for size in page_sizes_mm(response.data))
    assert font_names(response.data) == {"Liberation-Serif", "Liberation-Serif-Bold",
                                         "Liberation-Serif-Italic",
                                         "Liberation-Serif-Bold-Italic"}  # bundled, embedded
    cover = " ".join(texts[2].split())
    assert "DANH SÁCH GIAO GIẤY THÔNG BÁO" in cover and "Thôn Đông" in cover
    assert "Kính gửi: Trưởng thôn Đông" in cover
    assert "HOÀNG MINH ĐỨC" in cover and "Võ Thị Sáu" in cover and "Người nhận ký" in cover
    letter = texts[4]  # Thôn Đông's second letter
    flat = " ".join(letter.split())
    assert "ỦY BAN NHÂN DÂN" in flat and "XÃ TRIỆU SƠN" in flat
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in flat and "Độc lập - Tự do - Hạnh phúc" in flat
    assert "Số: /TB-UBND" in flat and "THÔNG BÁO" in flat
    assert "Kính gửi: Ông/Bà Võ Thị Sáu, sinh năm 1950" in flat
    assert "Chợ Nưa (Cổng Đông) lúc 09:40 ngày" in flat
    assert "0237 3868 123" in letter  # the hotline on one line, unbroken
    assert "Trưởng thôn Đông (để chuyển)" in flat and "Lê Văn Tiến" in flat
    until = (f1["day"] + timedelta(days=14)).strftime("%d/%m/%Y")
    assert f"đến hết ngày {until}" in flat
    assert re.search(r"Triệu Sơn, ngày \d\d tháng (0[12]|[3-9]|1[0-2]) năm \d{4}", flat)
    # The paper line with only a date says so; the index case is never named.
    paper = " ".join(texts[3].split())
    assert "HOÀNG MINH ĐỨC" in paper and "(Cổng Đông) ngày" in paper
    assert not any("Nguyễn Văn Bệnh" in t or "BN 12345" in t for t in texts)
    unknown = " ".join(texts[5].split())
    assert "Chưa rõ thôn, tổ dân phố" in unknown and "Kính gửi: Trạm Y tế xã" in unknown
    # Each letter is recorded on its contact: how, when, by whom, through which village.
    notices = db.session.scalars(select(ExposureNotice)).all()
    assert len(notices) == 5 and {n.channel for n in notices} == {NoticeChannel.LETTER}
    assert {n.issued_by_id for n in notices} == {tracer.id}
    by_name = _contacts(case)
    assert by_name["Võ Thị Sáu"].notices[0].delivered_via == "Thôn Đông"
    assert by_name["Lý Thị Xa"].notices[0].delivered_via is None
    page = client.get(f"/tracing/cases/{case.id}").get_data(as_text=True)
    assert "Chưa được thông báo" not in page and "Giấy thông báo (qua Thôn Đông)" in page
    assert "Y sĩ Lan" in page
    # Nobody left to tell: a clear message, no empty PDF; "everyone" prints them again.
    again = client.post(f"/tracing/cases/{case.id}/notices.pdf", data={"scope": "unreached"},
                        follow_redirects=True)
    assert "Tất cả người trong danh sách F1 đã được thông báo." in again.get_data(as_text=True)
    everyone = client.post(f"/tracing/cases/{case.id}/notices.pdf", data={"scope": "all"})
    assert everyone.mimetype == "application/pdf"
    assert len(db.session.scalars(select(ExposureNotice)).all()) == 10


def test_the_sms_list_fits_the_carriers_portal(client, auth, commune, f1):
    case, tracer = f1["case"], f1["tracer"]
    auth.login(tracer)
    response = client.post(f"/tracing/cases/{case.id}/notices-sms.csv",
                           data={"scope": "unreached"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.data.decode("ascii")  # nothing but plain characters
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["so_dien_thoai", "noi_dung"]
    # One per person with a mobile phone (the landline and the people without one are not).
    assert sorted(r[0] for r in rows[1:]) == ["0911222333", "0987654321"]
    for phone, message in rows[1:]:
        assert re.fullmatch(r"0[35789]\d{8}", phone)
        assert len(message) <= SMS_LIMIT
        assert re.fullmatch(r"[A-Za-z0-9 .,:;/()+\-?!%]+", message), message
        assert message.startswith("UBND Xa Trieu Son: Anh/Chi o Cho Nua luc 09:")
        assert message.endswith("sot, ho goi 02373868123.") and "ca benh truyen nhiem" in message
    notices = db.session.scalars(select(ExposureNotice)).all()
    assert [n.channel for n in notices] == [NoticeChannel.SMS] * 2
    contacts = _contacts(case)
    assert contacts["Lý Thị Xa"].notices and not contacts["Võ Thị Sáu"].notices
    # The others still wait for a letter.
    page = client.get(f"/tracing/cases/{case.id}").get_data(as_text=True)
    assert "3 người chưa được thông báo" in page and "Tin nhắn SMS" in page
    # Only the unreached, by default: nobody with a mobile is left.
    left = client.post(f"/tracing/cases/{case.id}/notices-sms.csv", data={},
                       follow_redirects=True).get_data(as_text=True)
    assert "Không ai trong số này có số điện thoại di động" in left


def test_a_long_venue_name_is_shortened_and_the_number_kept(app, commune, f1):
    contact = _contacts(f1["case"])["Lý Thị Xa"]
    contact.venue_name = "Trung tâm Thương mại và Dịch vụ Tổng hợp Đặc sản Vùng miền Bắc Trung Bộ"
    contact.time_precision = "exact"
    with app.test_request_context():
        message = sms_message(contact, commune)
    assert len(message) <= SMS_LIMIT and message.endswith("goi 02373868123.")
    assert "o Trung tam Thuong mai" in message
    assert plain_text("Đặng Thị Ánh — ước “tốt”") == "Dang Thi Anh uoc tot"
    assert sms_phone("+842373868123") is None and sms_phone("+84911222333") == "0911222333"


def test_a_follow_up_by_phone_counts_as_reached(client, auth, commune, f1):
    case, tracer = f1["case"], f1["tracer"]
    auth.login(tracer)
    contact = _contacts(case)["Võ Thị Sáu"]
    assert client.post(f"/tracing/cases/{case.id}/contacts/{contact.id}", data={
        "follow_up": "contacted", "notes": "Đã gọi cho con gái"}).status_code == 302
    page = client.get(f"/tracing/cases/{case.id}").get_data(as_text=True)
    assert "4 người chưa được thông báo" in page
    response = client.post(f"/tracing/cases/{case.id}/notices.pdf", data={})
    assert not any("Võ Thị Sáu" in t for t in page_texts(response.data))
    assert db.session.scalar(select(CaseContact).where(
        CaseContact.full_name == "Võ Thị Sáu")).notices == []
