"""Households of the resident register (form, import, page, search) and the family that comes
in with one card: at the scan station (script and no-script page), leaving together."""
from __future__ import annotations

import io
import re
from datetime import timedelta

from openpyxl import Workbook
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import Checkin, CheckinSource, Resident, Role
from registry.services.residents.cards import card_url, issue_card
from registry.services.residents.scan import record_household, scan_card
from tests.scenes import village_named


def _xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _family(make_resident):
    """A household HK00123: the head with a card, his wife with a card, a child and a
    grandmother without one; a neighbour of another household."""
    head = make_resident(full_name="Nguyễn Văn An", birth_year=1980, id_number="038080001234",
                         household_number="HK00123", household_relation="Chủ hộ")
    wife = make_resident(full_name="Trần Thị Bình", birth_year=1983, sex="female",
                         household_number="HK00123", household_relation="Vợ")
    child = make_resident(full_name="Nguyễn Văn Cường", birth_year=2015, phone=None,
                          household_number="HK00123", household_relation="Con")
    granny = make_resident(full_name="Lê Thị Dung", birth_year=1948, sex="female", phone=None,
                           household_number="HK00123", household_relation="Mẹ")
    neighbour = make_resident(full_name="Phạm Văn Em", birth_year=1990,
                              household_number="HK00999", household_relation="Chủ hộ")
    issue_card(head, make_resident.clerk)
    issue_card(wife, make_resident.clerk)
    db.session.commit()
    return head, wife, child, granny, neighbour


def test_the_register_knows_households(client, auth, commune, make_user, make_resident):
    auth.login(make_user(Role.CLERK))
    village = village_named(commune, "Thôn Đông")
    base = {"birth": "1980", "sex": "male", "village_id": village.id, "phone": "",
            "id_number": ""}
    response = client.post("/residents/new", data={**base, "full_name": "Nguyễn Văn An",
                                                   "household_number": "hk 00123",
                                                   "household_relation": "chủ hộ"})
    assert response.status_code == 302
    head = db.session.scalar(select(Resident))
    assert head.household_number == "HK00123" and head.is_household_head
    # A household has one head: a second one is refused on the field, naming the first.
    second = client.post("/residents/new", data={**base, "full_name": "Lê Văn Bảo",
                                                 "household_number": "HK00123",
                                                 "household_relation": "Chủ hộ"})
    text = second.get_data(as_text=True)
    assert second.status_code == 200 and "Hộ số HK00123 đã có chủ hộ: Nguyễn Văn An." in text
    no_number = client.post("/residents/new", data={**base, "full_name": "Lê Văn Bảo",
                                                    "household_relation": "Con"})
    assert "Hãy nhập cả số hộ." in no_number.get_data(as_text=True)
    assert client.post("/residents/new", data={
        **base, "full_name": "Nguyễn Thị Cúc", "birth": "2012", "sex": "female",
        "household_number": "HK00123", "household_relation": "Con"}).status_code == 302
    child = db.session.scalar(select(Resident).where(Resident.full_name == "Nguyễn Thị Cúc"))
    assert not child.is_household_head
    # The head may edit his own row without being told the household has a head.
    assert client.post(f"/residents/{head.id}/edit", data={
        **base, "full_name": "Nguyễn Văn An", "household_number": "HK00123",
        "household_relation": "Chủ hộ"}).status_code == 302
    page = client.get(f"/residents/{head.id}").get_data(as_text=True)
    assert "Hộ gia đình số HK00123" in page and "Nguyễn Thị Cúc" in page and "Con" in page
    child_page = client.get(f"/residents/{child.id}").get_data(as_text=True)
    assert "Nguyễn Văn An" in child_page and "Chủ hộ" in child_page
    # The household number finds the whole household in the register.
    listing = client.get("/residents/?q=hk00123").get_data(as_text=True)
    assert "Nguyễn Văn An" in listing and "Nguyễn Thị Cúc" in listing
    # Moving the child out of the household: the emptied fields are cleared.
    assert client.post(f"/residents/{child.id}/edit", data={
        **base, "full_name": "Nguyễn Thị Cúc", "birth": "2012", "sex": "female",
        "household_number": "", "household_relation": ""}).status_code == 302
    db.session.refresh(child)
    assert child.household_number is None and child.household_relation is None


def test_households_come_from_the_same_spreadsheets(client, auth, commune, make_user,
                                                     make_resident):
    make_resident(full_name="Phạm Văn Em", household_number="HK00999",
                  household_relation="Chủ hộ")
    auth.login(make_user(Role.CLERK))
    header = ["Họ và tên", "Năm sinh", "Giới tính", "Thôn", "Số hộ khẩu", "Quan hệ với chủ hộ"]
    bad = _xlsx([header,
                 ["Nguyễn Văn An", "1980", "Nam", "Thôn Đông", "HK00123", "Chủ hộ"],
                 ["Trần Văn Ba", "1981", "Nam", "Thôn Đông", "HK00123", "chu ho"],
                 ["Lê Thị Cam", "1990", "Nữ", "Thôn Tây", "HK00999", "Chủ hộ"],
                 ["Lê Văn Dũng", "2010", "Nam", "Thôn Tây", "", "Con"]])
    page = client.post("/residents/import", data={"file": (io.BytesIO(bad), "nk.xlsx")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "Hộ số HK00123 đã có chủ hộ (&#34;Chủ hộ&#34;) ở dòng 2." in page
    assert "Hộ số HK00999 đã có chủ hộ: Phạm Văn Em." in page
    assert "Hãy nhập cả số hộ." in page
    good = _xlsx([header,
                  ["Nguyễn Văn An", "1980", "Nam", "Thôn Đông", "hk00123", "Chủ hộ"],
                  ["Trần Thị Bình", "1983", "Nữ", "Thôn Đông", "HK00123", "Vợ"],
                  ["Nguyễn Văn Cường", "2015", "Nam", "Thôn Đông", "HK00123", "Con"]])
    page = client.post("/residents/import", data={"file": (io.BytesIO(good), "nk.xlsx")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "HK00123 · Vợ" in page
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    assert client.post("/residents/import/confirm", data={"token": token}).status_code == 302
    rows = {r.full_name: r for r in db.session.scalars(select(Resident))}
    assert rows["Nguyễn Văn An"].household_number == "HK00123"
    assert rows["Nguyễn Văn An"].is_household_head
    assert rows["Trần Thị Bình"].household_relation == "Vợ"
    assert not rows["Nguyễn Văn Cường"].is_household_head
    # The template has the household columns.
    template = client.get("/residents/import/template.xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(template.data)).active
    assert [c.value for c in sheet[1]][-2:] == ["Số hộ", "Quan hệ với chủ hộ"]


def test_household_members_come_along_with_one_card(app, commune, make_venue, make_user,
                                                     make_resident):
    venue = make_venue()
    point = venue.points[0]
    user = make_user(Role.VENUE, venue=venue)
    head, wife, child, granny, neighbour = _family(make_resident)
    first = scan_card(point, card_url(head.active_card), direction="entry", user=user)
    assert first.status == "recorded" and first.kind == "ok"
    assert first.birth_year == 1980 and first.village == "Thôn Đông"
    offered = {m["name"]: m for m in first.household}
    assert list(offered) == ["Lê Thị Dung", "Trần Thị Bình", "Nguyễn Văn Cường"]  # by age
    assert offered["Trần Thị Bình"]["has_card"] and not offered["Nguyễn Văn Cường"]["has_card"]
    results = record_household(point, first.checkin_id, [child.id, granny.id, neighbour.id],
                               user=user)
    assert [r.name for r in results] == ["Nguyễn Văn Cường", "Lê Thị Dung"]  # not the neighbour
    assert results[0].message == "Đi cùng hộ gia đình của Nguyễn Văn An."
    holder_visit = db.session.get(Checkin, first.checkin_id)
    rows = db.session.scalars(select(Checkin).where(Checkin.companion_of_id == holder_visit.id)
                              .order_by(Checkin.id)).all()
    assert [(r.full_name, r.resident_id) for r in rows] == [("Nguyễn Văn Cường", child.id),
                                                            ("Lê Thị Dung", granny.id)]
    for row in rows:
        assert row.source == CheckinSource.CARD_SCAN and row.card_id is None
        assert row.companion_of.full_name == "Nguyễn Văn An" and row.entered_by_id == user.id
        assert row.checked_in_at == holder_visit.checked_in_at and row.birth_year is not None
    # Ticking them again (a double tap) records no one twice; the offer says who came.
    again = record_household(point, first.checkin_id, [child.id], user=user)
    assert again[0].status == "duplicate"
    assert db.session.scalar(select(func.count()).select_from(Checkin)) == 3
    repeat = scan_card(point, head.active_card.number, direction="entry", user=user)
    assert repeat.kind == "repeat"
    assert {m["name"] for m in repeat.household if m["came"]} == {"Nguyễn Văn Cường",
                                                                  "Lê Thị Dung"}
    # Another point's visit cannot take companions here.
    other = make_venue(name="Chợ Nưa").points[0]
    assert record_household(other, first.checkin_id, [child.id], user=user) is None
    # The family leaves together: the holder's exit closes the members' visits too.
    out = scan_card(point, card_url(head.active_card), direction="exit", user=user)
    assert out.kind == "exit"
    db.session.expire_all()
    assert all(r.checked_out_at is not None for r in db.session.scalars(select(Checkin)))
    # Tracing by the child's name finds the visit, recorded as a card scan.
    from registry.services.tracing.search import find_person_checkins

    found = find_person_checkins(commune.id, "Nguyễn Văn Cường", "name")
    assert [c.source for c in found] == [CheckinSource.CARD_SCAN]


def test_the_station_offers_the_household_with_and_without_script(client, auth, commune,
                                                                   make_venue, make_user,
                                                                   make_resident):
    venue = make_venue()
    point_id = venue.points[0].id
    head, _wife, child, granny, _neighbour = _family(make_resident)
    auth.login(make_user(Role.VENUE, venue=venue))
    data = client.post(f"/scan/{point_id}", json={"code": card_url(head.active_card)}).get_json()
    assert data["kind"] == "ok" and len(data["household"]) == 3
    answer = client.post(f"/scan/{point_id}/household", json={
        "checkin_id": data["checkin_id"], "members": [child.id]}).get_json()
    assert answer["ok"] and answer["results"][0]["name"] == "Nguyễn Văn Cường"
    assert answer["message"] == "Đã ghi nhận 1 người trong hộ đi cùng."
    # Without JavaScript: the page after a scan lists the household to tick, and a post of
    # the ticked boxes records them.
    page = client.post(f"/scan/{point_id}", data={"code": head.active_card.number}).get_data(
        as_text=True)
    assert 'class="scan-result repeat"' in page and "Đã ghi lúc" in page
    assert "sinh năm 1980 · Thôn Đông" in page
    assert "Người trong hộ đi cùng" in page and f'value="{granny.id}"' in page
    checkin_id = re.search(r'name="checkin_id" value="(\d+)"', page).group(1)
    done = client.post(f"/scan/{point_id}/household", data={
        "checkin_id": checkin_id, "member": [str(granny.id)]}).get_data(as_text=True)
    assert "Đã ghi nhận 1 người trong hộ đi cùng." in done and "Lê Thị Dung" in done
    assert db.session.scalar(select(func.count()).select_from(Checkin)) == 3
    assert client.post(f"/scan/{point_id}/household", json={
        "checkin_id": 999999, "members": [child.id]}).status_code == 409


# --- the phone: "I am also declaring for …" -------------------------------------------------

def _phone_declares(client, token, **overrides):
    from tests.test_checkins import declaration

    return client.post(f"/c/{token}", data=declaration(**overrides))


def test_a_phone_declares_for_its_household(client, commune, make_venue):
    from tests.test_checkins import QUESTION_CODES, declaration

    venue = make_venue(name="Chợ Nưa")
    token = venue.points[0].token
    # Earlier visits from this phone: the grandmother, then the father.
    _phone_declares(client, token, full_name="Lê Thị Dung", birth_year="1948", sex="female",
                    address="Thôn Đông")
    client.post(f"/c/{token}/checkout")
    _phone_declares(client, token)
    client.post(f"/c/{token}/checkout")
    for row in db.session.scalars(select(Checkin)):
        row.checked_in_at -= timedelta(days=1)
        row.checked_out_at -= timedelta(days=1)
    db.session.commit()
    granny = db.session.scalars(select(Checkin).where(Checkin.full_name == "Lê Thị Dung")).one()
    # Today the father declares and is offered his mother, never himself.
    form = client.get(f"/c/{token}?edit=1").get_data(as_text=True)
    assert "Tôi cũng khai báo cho" in form and "Lê Thị Dung (1948)" in form
    assert f'name="with" value="{granny.id}"' in form
    assert 'value="Nguyễn Văn An"' in form and form.count('name="with"') == 1
    # Ticked without her answers: refused on her fields, nothing saved.
    response = _phone_declares(client, token, **{"with": str(granny.id)})
    assert response.status_code == 200 and "Hãy chọn Có hoặc Không." in \
        response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Checkin)) == 2
    her = {f"w{granny.id}-q_{code}": "no" for code in QUESTION_CODES}
    her[f"w{granny.id}-q_symptoms"] = "yes"
    her[f"w{granny.id}-q_symptoms_details"] = "ho khan"
    response = client.post(f"/c/{token}", data={**declaration(), "with": str(granny.id), **her})
    assert response.status_code == 302
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "cùng 1 người trong hộ" in done and "Cùng với: Lê Thị Dung" in done
    father, mother = db.session.scalars(select(Checkin).where(
        Checkin.checked_out_at.is_(None)).order_by(Checkin.id)).all()
    assert father.full_name == "Nguyễn Văn An" and mother.full_name == "Lê Thị Dung"
    # Her own visit, with her own declaration: her details from before, her answers today.
    assert mother.source == CheckinSource.SELF_SCAN and mother.companion_of_id == father.id
    assert mother.birth_year == 1948 and mother.sex == "female" and mother.has_symptoms
    assert mother.answers["symptoms"]["details"] == "ho khan" and not father.has_symptoms
    assert mother.device_hash == father.device_hash
    # The phone's own page is still the father's; leaving checks both out.
    assert "Nguyễn Văn An (1980)" in done
    left = client.post(f"/c/{token}/checkout", follow_redirects=True).get_data(as_text=True)
    db.session.expire_all()
    assert father.checked_out_at is not None and mother.checked_out_at is not None
    assert "Đã ra về" in left and "cùng 1 người" in left
    # Another phone is offered nobody; a forged tick of her visit is ignored.
    stranger = client.application.test_client()
    assert "Tôi cũng khai báo cho" not in stranger.get(f"/c/{token}").get_data(as_text=True)
    stranger.post(f"/c/{token}", data={**declaration(full_name="Trần Văn Lạ",
                                                     phone="0987 654 321"),
                                       "with": str(granny.id), **her})
    assert db.session.scalar(select(func.count()).select_from(Checkin).where(
        Checkin.full_name == "Lê Thị Dung")) == 2

