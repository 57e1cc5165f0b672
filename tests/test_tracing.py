"""Contact tracing: person and venue searches across all sources, cases, F1 lists."""
from __future__ import annotations

import io
from datetime import datetime, time, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from registry.extensions import db
from registry.models import AuditEvent, CaseContact, CaseStatus, CheckoutReason, Role
from registry.services.tracing import cases, search
from registry.timeutil import local_to_utc, local_today
from tests.pdfcheck import font_names, page_sizes_mm, page_texts
from tests.scenes import (AN_ID, CARD, DATE_ONLY, OB, PAPER, S, only_receivers, open_case,
                          visit)


def _names(contacts):
    return sorted(c.checkin.full_name for c in contacts)


def test_person_search_finds_exactly_the_overlapping_people(scene, commune):
    day = scene["day"]
    result = search.person_search(commune.id, "nguyen van an", "auto", day - timedelta(days=3),
                                   day + timedelta(days=1))
    assert result.kind == "name"
    assert [v.checkin.id for v in result.visits] == [scene["index"].id, scene["index_paper"].id]
    market_visit, school_visit = result.visits
    assert _names(market_visit.contacts) == ["Lê Văn Cường", "Phạm Thị Dung", "Trần Thị Bình"]
    certain = {c.checkin.full_name: c.is_certain for c in market_visit.contacts}
    # The paper row with only a date is found, and marked less certain; exact ones are certain.
    assert certain == {"Lê Văn Cường": True, "Phạm Thị Dung": False, "Trần Thị Bình": True}
    assert market_visit.is_certain and not market_visit.is_linked
    # The paper record linked by ID number: a rough time, so its contacts are less certain.
    assert school_visit.is_linked and not school_visit.is_certain
    assert _names(school_visit.contacts) == ["Ngô Quang Huy"]
    assert not school_visit.contacts[0].is_certain


def test_person_search_by_phone_id_and_window(scene, commune):
    day = scene["day"]
    by_phone = search.person_search(commune.id, "0912 345 678", "auto", day, day)
    assert by_phone.kind == "phone"
    assert [v.checkin.id for v in by_phone.visits] == [scene["index"].id]
    by_id = search.person_search(commune.id, AN_ID, "auto", day, day + timedelta(days=1))
    assert by_id.kind == "id" and len(by_id.visits) == 2
    # A window of 90 minutes each side reaches Vũ Thị Hà at 10:30 (checked out 09:20 + 90').
    wide = search.person_search(commune.id, AN_ID, "id", day, day, window_minutes=90)
    assert "Vũ Thị Hà" in _names(wide.visits[0].contacts)
    # The reverse question from a contact: Bình's visit overlaps An's.
    from_binh = search.person_search(commune.id, "038190000001", "id", day, day)
    assert "Nguyễn Văn An" in _names(from_binh.visits[0].contacts)


def test_classify_query_rejects_bad_input():
    with pytest.raises(search.SearchError):
        search.classify_query("   ")
    with pytest.raises(search.SearchError):
        search.classify_query("a")
    with pytest.raises(search.SearchError):
        search.classify_query("12ab", "id")
    assert search.classify_query("B1234567") == ("id", "B1234567")
    assert search.classify_query("84 912 345 678") == ("phone", "+84912345678")


def test_venue_window_search(scene, commune):
    day = scene["day"]
    start = local_to_utc(datetime.combine(day, time(9, 30)))
    end = local_to_utc(datetime.combine(day, time(10, 0)))
    at_point = search.venue_search(commune.id, scene["market"].id, scene["east"].id, start, end)
    assert _names(at_point) == ["Phạm Thị Dung", "Trần Thị Bình"]
    whole_venue = search.venue_search(commune.id, scene["market"].id, None,
                                       local_to_utc(datetime.combine(day, time(9, 0))), end)
    assert _names(whole_venue) == ["Nguyễn Văn An", "Phạm Thị Dung", "Trần Thị Bình",
                                   "Đỗ Văn Giang"]
    with pytest.raises(search.SearchError):
        search.venue_search(commune.id, scene["market"].id, scene["gate"].id, start, end)


def test_overlaps_of_many_visits_are_read_a_batch_at_a_time(scene, monkeypatch):
    """Each window gets its own overlaps, whichever statement of the batch read them."""
    monkeypatch.setattr(search, "VISITS_PER_STATEMENT", 2)
    day = scene["day"]
    morning = (local_to_utc(datetime.combine(day, time(9, 30))),
               local_to_utc(datetime.combine(day, time(10, 0))))
    windows = [(scene["east"].id, *morning), (scene["west"].id, *morning),
               (scene["gate"].id, *morning), (scene["east"].id, *morning),
               (scene["west"].id, morning[0] - timedelta(hours=1), morning[1])]
    found = search.overlapping_ids(windows, exclude={scene["paper_day"].id})
    assert found[0] == found[3] == {scene["card"].id: True}
    assert found[1] == found[2] == {}
    assert found[4] == {scene["other_gate"].id: True}
    contacts = search.load_contacts(found)
    assert [_names(c) for c in contacts] == [["Trần Thị Bình"], [], [], ["Trần Thị Bình"],
                                             ["Đỗ Văn Giang"]]


def test_identity_expander_and_card_resolver_plug_in(scene, commune, monkeypatch):
    """Modules of other features link records and resolve card numbers."""
    def checkin_ids_for_card(commune_id, card_number):
        return {scene["card"].id} if card_number == "TSN-0001" else set()

    calls = []

    def linked_checkin_ids(commune_id, checkin_ids):
        calls.append(set(checkin_ids))
        return {scene["late"].id} if scene["card"].id in checkin_ids else set()

    only_receivers(monkeypatch, "card_checkin_ids", checkin_ids_for_card)
    only_receivers(monkeypatch, "linked_checkin_ids", linked_checkin_ids)
    day = scene["day"]
    result = search.person_search(commune.id, " tsn-0001 ", "card", day, day)
    assert result.kind == "card"
    assert {v.checkin.id for v in result.visits} == {scene["card"].id, scene["late"].id}
    assert [v.is_linked for v in result.visits] == [False, True]
    assert calls and scene["card"].id in calls[0]


# --- the web pages ----------------------------------------------------------------------------


def test_trace_in_a_case_add_f1_and_audit(client, auth, make_user, scene, commune):
    tracer = make_user(Role.TRACER)
    auth.login(tracer)
    case = open_case(client)
    day = scene["day"]
    page = client.get(f"/tracing/cases/{case.id}/person", query_string={
        "q": "Nguyen Van An", "kind": "auto", "date_from": (day - timedelta(days=2)).isoformat(),
        "date_to": day.isoformat(), "window": "30"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Trần Thị Bình" in html and "Phạm Thị Dung" in html and "Vũ Thị Hà" not in html
    assert "0381******01" in html and "038190000001" not in html  # IDs masked in lists
    # The search is logged with the case as its reason, and kept with the case.
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "search")).one()
    assert event.user_id == tracer.id and event.reason == f"#{case.id} BN 12345"
    assert event.details["query"] == "Nguyen Van An" and event.details["contacts"] == 3
    db.session.refresh(case)
    assert len(case.searches) == 1 and case.searches[0].contact_count == 3
    # Tick two people (one less certain) as F1.
    response = client.post(f"/tracing/cases/{case.id}/contacts", data={
        "checkin": [str(scene["card"].id), str(scene["paper_day"].id), str(scene["late"].id)],
        "uncertain": [str(scene["paper_day"].id)]})
    assert response.status_code == 302
    contacts = db.session.scalars(select(CaseContact).where(CaseContact.case_id == case.id)
                                  .order_by(CaseContact.full_name)).all()
    # Vũ Thị Hà was not found by this case's searches, so she cannot be added.
    assert [(c.full_name, c.source, c.is_certain) for c in contacts] == [
        ("Phạm Thị Dung", "paper", False), ("Trần Thị Bình", "card_scan", True)]
    contact = contacts[1]
    response = client.post(f"/tracing/cases/{case.id}/contacts/{contact.id}",
                           data={"follow_up": "isolating", "notes": "Cách ly tại nhà"})
    assert response.status_code == 302
    db.session.refresh(contact)
    assert contact.follow_up.value == "isolating" and contact.notes == "Cách ly tại nhà"
    detail = client.get(f"/tracing/cases/{case.id}").get_data(as_text=True)
    assert "Trần Thị Bình" in detail and "Ít chắc chắn" in detail
    assert "0381******01" in detail
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"case_open", "search", "add_contacts", "follow_up", "view"} <= actions


def test_contact_list_shows_household_companions_and_automatic_exits(client, auth, make_user,
                                                                       scene, commune):
    """The list's rows are read as plain columns: the companion's household and an exit set at
    closing time still show, and a typed name is escaped."""
    day = scene["day"]
    child = visit(scene["east"], CARD, "Bé <b>Na</b>", datetime.combine(day, time(9, 45)))
    child.companion_of_id = scene["card"].id
    scene["card"].checked_out_at = local_to_utc(datetime.combine(day, time(11)))
    scene["card"].checkout_reason = CheckoutReason.AUTOMATIC
    db.session.commit()
    result = search.person_search(commune.id, AN_ID, "id", day, day)
    by_name = {c.checkin.full_name: c.checkin for c in result.visits[0].contacts}
    assert by_name["Bé <b>Na</b>"].companion_name == "Trần Thị Bình"
    assert by_name["Trần Thị Bình"].closed_automatically
    assert by_name["Trần Thị Bình"].companion_name is None
    auth.login(make_user(Role.TRACER))
    case = open_case(client)
    html = client.get(f"/tracing/cases/{case.id}/person", query_string={
        "q": AN_ID, "kind": "id", "date_from": day.isoformat(), "date_to": day.isoformat(),
        "window": "30"}).get_data(as_text=True)
    assert "Bé &lt;b&gt;Na&lt;/b&gt;" in html and "<b>Na</b>" not in html
    assert "Đi cùng hộ gia đình của Trần Thị Bình." in html
    assert html.count("(tự động)") == 1


def test_venue_search_page_and_errors(client, auth, make_user, scene):
    auth.login(make_user(Role.CHAIRMAN))
    case = open_case(client)
    day = scene["day"].isoformat()
    page = client.get(f"/tracing/cases/{case.id}/venue", query_string={
        "place": f"p{scene['east'].id}", "day_from": day, "time_from": "09:30", "day_to": day,
        "time_to": "10:00"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Trần Thị Bình" in html and "Đỗ Văn Giang" not in html
    bad = client.get(f"/tracing/cases/{case.id}/venue", query_string={
        "place": f"p{scene['east'].id}", "day_from": day, "time_from": "10:00", "day_to": day,
        "time_to": "09:00"})
    assert bad.status_code == 200 and "Thời điểm kết thúc phải sau thời điểm bắt đầu" in \
        bad.get_data(as_text=True)
    bad = client.get(f"/tracing/cases/{case.id}/person", query_string={
        "q": "0912", "kind": "id", "date_from": "2021-13-01", "date_to": day, "window": "x"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert "Ngày không hợp lệ." in html and "Hãy nhập một số nguyên." in html


def test_case_form_errors_and_close(client, auth, make_user):
    auth.login(make_user(Role.TRACER))
    response = client.post("/tracing/cases/new", data={
        "index_label": "", "index_date": (local_today() + timedelta(days=3)).isoformat(),
        "index_date_kind": "onset"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nhập mã hoặc thông tin nhận diện ca bệnh." in html
    assert "Ngày không được ở tương lai." in html
    case = open_case(client)
    assert client.post(f"/tracing/cases/{case.id}/close",
                       data={"confirmed": "1"}).status_code == 302
    db.session.refresh(case)
    assert case.status == CaseStatus.CLOSED and case.closed_at is not None
    # A closed case takes no more searches.
    assert client.get(f"/tracing/cases/{case.id}/person").status_code == 302


def test_f1_list_pdf_and_xlsx(client, auth, make_user, scene, commune):
    auth.login(make_user(Role.TRACER))
    case = open_case(client, label="BN <b>999</b>")
    cases.hold_checkins(case, {scene["card"].id, scene["paper_day"].id})
    cases.add_contacts(case, None, {scene["card"].id, scene["paper_day"].id},
                         {scene["paper_day"].id})
    db.session.commit()
    pdf = client.get(f"/tracing/cases/{case.id}/f1.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    texts = "\n".join(page_texts(pdf.data))
    assert "DANH SÁCH NGƯỜI TIẾP XÚC GẦN (F1)" in texts
    assert "Trần Thị Bình" in texts and "Phạm Thị Dung" in texts
    assert "BN <b>999</b>" in texts  # typed text printed as text
    assert "Ít chắc chắn" in texts and "038190000001" in texts
    width, height = page_sizes_mm(pdf.data)[0]
    assert width > height  # landscape A4
    assert any(name.startswith("Liberation") for name in font_names(pdf.data))
    xlsx = client.get(f"/tracing/cases/{case.id}/f1.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1] == "Họ và tên" and len(rows) == 3
    assert {r[1] for r in rows[1:]} == {"Trần Thị Bình", "Phạm Thị Dung"}
    assert {e.action for e in db.session.scalars(select(AuditEvent))} >= {"print", "export"}


# --- retention --------------------------------------------------------------------------------


# --- audit ------------------------------------------------------------------------------------


# --- a person's own data ------------------------------------------------------------------------


# --- backups ----------------------------------------------------------------------------------


# --- in the browser ---------------------------------------------------------------------------

@pytest.mark.browser
def test_tracer_traces_and_adds_f1_in_the_browser(live_server, page):
    """Open a case, trace the index case by phone, tick a contact, see the F1 list."""
    from registry.services.communes import categories_for_code, create_commune
    from registry.services.users import create_user
    from registry.services.venues import register_venue
    from tests.conftest import PASSWORD

    app, base = live_server
    with app.app_context():
        commune = create_commune(15664)
        create_user(commune.id, username="tramyte", full_name="Hoàng Thị Y", role=Role.TRACER,
                    password=PASSWORD)

        class _System:
            id = None

        venue = register_venue(commune.id, _System(), point_names=["Cổng Đông"], name="Chợ Nưa",
                               category_id=categories_for_code(commune.id)["market"].id,
                               address=None, village_id=None, manager_name=None,
                               manager_phone=None, notes=None)
        at = datetime.combine(local_today() - timedelta(days=1), time(9))
        visit(venue.points[0], S, "Nguyễn Văn An", at, phone="+84912345678")
        visit(venue.points[0], PAPER, "Trần Thị Bình", at, precision=DATE_ONLY)
        db.session.commit()
    errors = []
    # CSP violations show as console errors; the browser's own favicon request is not ours.
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error"
            and "favicon" not in msg.location.get("url", "") else None)
    page.goto(f"{base}/auth/login")
    page.fill("input[name=username]", "tramyte")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.goto(f"{base}/tracing/")
    page.click("text=Mở ca truy vết")
    page.fill("input[name=index_label]", "BN 12345")
    page.fill("input[name=index_date]", local_today().isoformat())
    page.click("form.form-grid button[type=submit]")
    page.fill("input[name=q]", "0912 345 678")
    page.click("form[role=search] button[type=submit]")
    row = page.locator("tr", has_text="Trần Thị Bình")
    assert "Ít chắc chắn" in row.inner_text()
    row.locator("input[type=checkbox]").check()
    page.click("text=Thêm những người đã chọn vào danh sách F1")
    assert "Đã thêm 1 người tiếp xúc gần (F1)." in page.inner_text("main")
    assert "Trần Thị Bình" in page.inner_text("table.list")
    assert not errors, errors


def test_a_shared_name_asks_which_person(client, auth, make_user, scene, commune):
    """Two people named Nguyễn Văn An: choose one (narrow tracing), or trace both on request."""
    day = scene["day"]
    namesake = visit(scene["west"], OB, "Nguyễn Văn An", datetime.combine(day, time(9, 10)),
                     phone="+84977000111", birth_year=1990)
    db.session.commit()
    result = search.person_search(commune.id, "Nguyễn Văn An", "auto", day, day)
    assert result.visits == []
    assert sorted((c.phone, c.visit_count) for c in result.candidates) == [
        ("+84912345678", 1), ("+84977000111", 1)]
    assert {c.query for c in result.candidates} == {("id", AN_ID), ("phone", "+84977000111")}
    both = search.person_search(commune.id, "Nguyễn Văn An", "auto", day, day,
                                 all_namesakes=True)
    assert {v.checkin.id for v in both.visits} == {scene["index"].id, namesake.id}
    auth.login(make_user(Role.TRACER))
    case = open_case(client)
    html = client.get(f"/tracing/cases/{case.id}/person", query_string={
        "q": "nguyễn văn an", "kind": "auto", "date_from": day.isoformat(),
        "date_to": day.isoformat(), "window": "30"}).get_data(as_text=True)
    assert "Có 2 người trùng họ tên này" in html and "Truy vết người này" in html
    assert "0977 000 111" in html and "Trần Thị Bình" not in html
    # A person's own data is never looked up by a shared name: the namesake's stays hidden.
    auth.logout()
    auth.login(make_user(Role.CLERK))
    html = client.get("/privacy", query_string={"q": "Nguyen Van An", "kind": "name",
                                                "reference": "Đơn ngày 01/12"}).get_data(
        as_text=True)
    assert "Có 2 người trùng họ tên này" in html and "0977 000 111" not in html
