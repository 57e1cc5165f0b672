"""Health staff: the person search recognises a card number typed as printed, without choosing
the kind; the F1 list on a phone calls a contact with one tap."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.models import CaseContact, Role
from registry.services.residents.cards import card_url, issue_card
from registry.services.residents.scan import scan_card
from registry.services.tracing import search
from registry.timeutil import local_today
from tests.scenes import open_case
from tests.test_browser_clerk import shot


def test_a_card_number_as_printed_is_recognised(client, auth, commune, make_user, make_venue,
                                                make_resident):
    resident = make_resident(full_name="Trần Thị Bình")
    card = issue_card(resident, make_resident.clerk, number=252)
    db.session.commit()
    assert card.number == "000252"
    scan_card(make_venue(name="Chợ Nưa").points[0], card_url(card), direction="entry",
              user=make_resident.clerk)
    db.session.commit()
    for typed in ("000252", "thẻ 000252", "Số thẻ 000 252"):
        assert search.classify_query(typed) == ("card", "000252"), typed
    assert search.classify_query("0912345678")[0] == "phone"
    assert search.classify_query("038190000001")[0] == "id"
    auth.login(make_user(Role.TRACER))
    case = open_case(client)
    page = client.get(f"/tracing/cases/{case.id}/person", query_string={
        "q": "000252", "kind": "auto", "date_from": local_today().strftime("%d/%m/%Y"),
        "date_to": local_today().strftime("%d/%m/%Y"), "window": "30"}).get_data(as_text=True)
    assert "Trần Thị Bình" in page and "Chợ Nưa" in page
    assert "không phải là số điện thoại" not in page


@pytest.mark.browser
def test_the_f1_list_on_a_phone_calls_with_one_tap(live_server, chromium):
    from registry.services.communes import create_commune
    from registry.services.tracing import cases
    from registry.services.users import create_user

    app, base = live_server
    with app.app_context():
        commune = create_commune(15664)
        create_user(commune.id, username="tramyte", full_name="Hoàng Thị Y", role=Role.TRACER,
                    password="matkhau123")
        case = cases.create_case(commune.id, None, index_label="BN 7",
                                 index_date=local_today() - timedelta(days=1),
                                 index_date_kind="onset", notes=None)
        db.session.add(CaseContact(
            case_id=case.id, full_name="Lê Văn Cường", birth_year=1950, phone="+84987654321",
            venue_name="Chợ Nưa", point_name="Cổng Đông", is_certain=True,
            visited_at=datetime.combine(local_today() - timedelta(days=1), time(9)),
            time_precision="exact", source="self_scan"))
        db.session.commit()
        case_id = case.id
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN",
                                   is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(base + "/auth/login")
        page.fill("#username", "tramyte")
        page.fill("#password", "matkhau123")
        page.click("button[type=submit]")
        page.goto(f"{base}/tracing/cases/{case_id}")
        link = page.locator("a.tel")
        assert link.get_attribute("href") == "tel:+84987654321"
        assert "0987 654 321" in link.inner_text()
        assert link.get_attribute("aria-label") == "Gọi cho Lê Văn Cường"
        box = link.bounding_box()
        assert box["height"] >= 38  # a finger's tap target
        shot(page, "f1-phone")
    finally:
        context.close()
    with app.app_context():
        assert db.session.scalar(select(CaseContact.phone)) == "+84987654321"
