"""Irreversible actions ask first: withdrawing a poster's QR, signing off, suspending a venue,
closing a case, revoking a card, deleting a person's data. The first post answers with a page
that says what will happen and changes nothing; its button (a plain form, no JavaScript) does
it, with what was typed or ticked carried over."""
from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.models import (CardStatus, CaseStatus, Checkin, CheckinPoint, ReportStatus, Role,
                             VenueStatus)
from registry.services.reports.drafting import submit_report
from registry.services.residents.cards import issue_card
from tests.scenes import AN_ID, open_case
from tests.test_reports import make_report


def _confirm_form(page: str) -> tuple[str, dict]:
    """The confirmation page's form: its address and the fields it posts."""
    form = page.split('<section class="confirm"')[1].split("</form>")[0]
    action = re.search(r'<form method="post" action="([^"]+)"', form).group(1)
    fields: dict = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form):
        fields.setdefault(name, []).append(unescape(value))
    return action, fields


def _asks_then_does(client, url: str, data: dict, says: list[str]):
    first = client.post(url, data=data)
    page = first.get_data(as_text=True)
    assert first.status_code == 200, first.status_code
    assert "Điều sẽ xảy ra" in page and "Hủy: quay lại, không thay đổi gì" in page
    for sentence in says:
        assert sentence in page, sentence
    action, fields = _confirm_form(page)
    assert action == url and fields["confirmed"] == ["1"]
    return client.post(action, data=fields)


def test_withdrawing_a_qr_asks_first(client, auth, make_user, make_venue):
    point = make_venue(name="Chợ Nưa").points[0]
    token = point.token
    auth.login(make_user(Role.CLERK))
    done = _asks_then_does(client, f"/posters/points/{point.id}/rotate",
                           {"reason": "Ảnh mã bị đăng lên mạng"},
                           ["Thu hồi mã QR này?", "Chợ Nưa — Cổng chính, phiên bản mã 1",
                            "Mã phiên bản 1 ngừng hoạt động ngay",
                            "Không thể hoàn tác: mã cũ sẽ không bao giờ dùng được nữa."])
    assert done.status_code == 302
    db.session.expire_all()
    point = db.session.get(CheckinPoint, point.id)
    assert point.token != token and point.poster_version == 2


def test_the_first_post_changes_nothing(client, auth, make_user, make_venue):
    venue = make_venue()
    auth.login(make_user(Role.CLERK))
    client.post(f"/posters/points/{venue.points[0].id}/rotate", data={"reason": ""})
    client.post(f"/venues/{venue.id}/status/suspend", data={"reason": ""})
    db.session.expire_all()
    assert venue.points[0].poster_version == 1 and venue.status == VenueStatus.ACTIVE


def test_suspending_a_venue_asks_first(client, auth, make_user, make_venue):
    venue = make_venue(name="Chợ Nưa", points=("Cổng Đông", "Cổng Tây"))
    auth.login(make_user(Role.CLERK))
    done = _asks_then_does(client, f"/venues/{venue.id}/status/suspend",
                           {"reason": "Sửa chữa"},
                           ["Tạm dừng địa điểm này?", "2 mã QR của địa điểm ngừng nhận khai báo"])
    assert done.status_code == 302
    db.session.refresh(venue)
    assert venue.status == VenueStatus.SUSPENDED
    # Reactivating undoes it: no question asked.
    assert client.post(f"/venues/{venue.id}/status/reactivate").status_code == 302


def test_revoking_a_card_asks_first(client, auth, commune, make_resident):
    resident = make_resident(full_name="Trần Thị Bình", birth_year=1990)
    card = issue_card(resident, make_resident.clerk)
    db.session.commit()
    auth.login(make_resident.clerk)
    done = _asks_then_does(client, f"/residents/cards/{card.id}/revoke", {"reason": "Chuyển đi"},
                           [f"Thu hồi thẻ {card.number}?", "Trần Thị Bình, sinh 1990",
                            "Thẻ ngừng hoạt động ngay"])
    assert done.status_code == 302
    db.session.refresh(card)
    assert card.status == CardStatus.REVOKED and card.revoke_reason == "Chuyển đi"


def test_closing_a_case_asks_first(client, auth, make_user):
    auth.login(make_user(Role.TRACER))
    case = open_case(client)
    done = _asks_then_does(client, f"/tracing/cases/{case.id}/close", {},
                           ["Đóng ca này?", "BN 12345", "hết thời gian lưu thông thường"])
    assert done.status_code == 302
    db.session.refresh(case)
    assert case.status == CaseStatus.CLOSED


def test_signing_off_asks_first(client, auth, commune, data, clerk, chairman):
    report = make_report(commune, clerk)
    submit_report(report, clerk)
    db.session.commit()
    auth.login(chairman)
    done = _asks_then_does(client, f"/reports/{report.id}/sign", {},
                           ["Ký duyệt báo cáo này?", "lấy số tiếp theo trong sổ văn bản đi",
                            "Lê Văn Tiến"])
    assert done.status_code == 302
    db.session.refresh(report)
    assert report.status == ReportStatus.SIGNED


def test_deleting_a_persons_data_asks_first(client, auth, make_user, scene):
    auth.login(make_user(Role.CLERK))
    ticked = [str(scene["index"].id), str(scene["index_paper"].id)]
    done = _asks_then_does(client, "/privacy/delete",
                           {"q": AN_ID, "kind": "id", "reference": "Đơn ngày 01/12",
                            "checkin": ticked},
                           ["Xóa dữ liệu của người này?", "2 bản ghi của",
                            "bị xóa vĩnh viễn"])
    assert done.status_code == 302
    assert not db.session.scalars(select(Checkin).where(Checkin.id_number == AN_ID)).all()


@pytest.mark.browser
def test_confirmation_works_without_javascript(live_server, chromium):
    from registry.services.communes import add_village, create_commune
    from registry.services.users import create_user
    from registry.services.venues import register_venue
    from registry.services.communes import categories_for_code

    app, base = live_server
    with app.app_context():
        commune = create_commune(15664)
        add_village(commune, "Thôn Đông")
        user = create_user(commune.id, username="thuy", full_name="Nguyễn Thị Thúy",
                           role=Role.CLERK, password="matkhau123")
        venue = register_venue(commune.id, user, point_names=["Cổng chính"], name="Chợ Nưa",
                               category_id=categories_for_code(commune.id)["market"].id,
                               address=None, village_id=None, manager_name="Lê Thị Hoa",
                               manager_phone="+84912345678", notes=None)
        db.session.commit()
        venue_id = venue.id
    context = chromium.new_context(java_script_enabled=False, locale="vi-VN",
                                   viewport={"width": 1366, "height": 900})
    page = context.new_page()
    try:
        page.goto(base + "/auth/login")
        page.fill("#username", "thuy")
        page.fill("#password", "matkhau123")
        page.click("button[type=submit]")
        page.goto(f"{base}/venues/{venue_id}")
        page.fill("input[name=reason]", "Ảnh mã bị đăng lên mạng")
        page.click("button:has-text('Thu hồi mã QR này')")
        assert "Điều sẽ xảy ra" in page.inner_text("section.confirm")
        page.screenshot(path=str(app.instance_path) + "/confirm.png")
        page.click("section.confirm button[type=submit]")
        assert "Đã thu hồi mã QR cũ" in page.inner_text("main")
    finally:
        context.close()
    with app.app_context():
        assert db.session.scalar(select(CheckinPoint.poster_version)) == 2
