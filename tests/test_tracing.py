"""Contact tracing, cases and F1 lists, retention, the audit log, a person's data, backups."""
from __future__ import annotations

import io
import time as time_module
from datetime import datetime, time, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from registry.extensions import db
from registry.models import (AuditEvent, CaseContact, CaseStatus, Checkin, CheckinDailyCount,
                             CheckinSource, PersonRequest, Role, SheetDestruction,
                             TimePrecision, TracingCase)
from registry import signals
from registry.services import retention
from registry.services.checkins import record_checkin
from registry.services.declarations import Declaration
from registry.services.privacy import mask_id_number
from registry.services.tracing import cases, search
from registry.timeutil import local_to_utc, local_today, utcnow
from registry.worker import purge_every_commune
from tests.pdfcheck import font_names, page_sizes_mm, page_texts

S, CARD, PAPER, OB = (CheckinSource.SELF_SCAN, CheckinSource.CARD_SCAN, CheckinSource.PAPER,
                      CheckinSource.ON_BEHALF)
EXACT, APPROX, DATE_ONLY = TimePrecision.EXACT, TimePrecision.APPROXIMATE, TimePrecision.DATE_ONLY
AN_ID = "038123456712"


def only_receivers(monkeypatch, name: str, *receivers) -> None:
    """The signal `name` answered by these receivers alone, for one test."""
    signal = signals.OrderedSignal()
    for receiver in receivers:
        signal.connect(receiver, weak=False)
    monkeypatch.setattr(signals, name, signal)


def visit(point, source, name, local_dt, precision=EXACT, stay_minutes=None, **declared):
    """A check-in at a local (Vietnamese) time, as any of the four sources records it."""
    at = local_to_utc(local_dt)
    checkin = record_checkin(point, source, Declaration(full_name=name, **declared), at=at,
                             precision=precision)
    if stay_minutes is not None:
        checkin.checked_out_at = at + timedelta(minutes=stay_minutes)
    db.session.flush()
    return checkin


@pytest.fixture
def scene(app, commune, make_venue):
    """Two venues and visits from all four sources around the index case's visits."""
    market = make_venue(name="Chợ Nưa", category="market", points=("Cổng Đông", "Cổng Tây"))
    school = make_venue(name="Trường THCS Triệu Sơn")
    east, west, gate = market.points[0], market.points[1], school.points[0]
    day = local_today() - timedelta(days=2)
    at = lambda d, h, m=0: datetime.combine(d, time(h, m))  # noqa: E731
    v = {}
    # The index case: self-scan at the market's east gate 09:00–09:20 …
    v["index"] = visit(east, S, "Nguyễn Văn An", at(day, 9), stay_minutes=20, id_number=AN_ID,
                       phone="+84912345678", birth_year=1985, sex="male")
    # … and the next day on paper at the school, a rough time, the name typed differently
    # but the same ID number (a linked record).
    v["index_paper"] = visit(gate, PAPER, "NGUYEN V AN", at(day + timedelta(days=1), 14),
                             precision=APPROX, id_number=AN_ID)
    # At the east gate on the same day:
    v["card"] = visit(east, CARD, "Trần Thị Bình", at(day, 9, 40), id_number="038190000001",
                      phone="+84987654321")                                   # in the window
    v["behalf"] = visit(east, OB, "Lê Văn Cường", at(day, 8, 35), birth_year=1950)  # in window
    v["paper_day"] = visit(east, PAPER, "Phạm Thị Dung", at(day, 0), precision=DATE_ONLY)
    v["late"] = visit(east, S, "Vũ Thị Hà", at(day, 10, 30))                  # too late
    v["paper_rough_late"] = visit(east, PAPER, "Hoàng Minh Đức", at(day, 12, 30),
                                  precision=APPROX)                            # 10:30–14:30
    v["other_gate"] = visit(west, OB, "Đỗ Văn Giang", at(day, 9, 5))          # other point
    v["day_before"] = visit(east, PAPER, "Bùi Thị Hoa", at(day - timedelta(days=1), 0),
                            precision=DATE_ONLY)                               # other day
    # At the school the next day, during the index case's rough 14:00 (12:00–16:00 ± 30'):
    v["school_ob"] = visit(gate, OB, "Ngô Quang Huy", at(day + timedelta(days=1), 15))
    v["school_late"] = visit(gate, S, "Đặng Thị Lan", at(day + timedelta(days=1), 17))
    db.session.commit()
    return {"day": day, "market": market, "school": school, "east": east, "west": west,
            "gate": gate, **v}


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

def _open_case(client, label="BN 12345"):
    response = client.post("/tracing/cases/new", data={
        "index_label": label, "index_date": (local_today() - timedelta(days=1)).isoformat(),
        "index_date_kind": "test", "notes": "Phát hiện qua xét nghiệm sàng lọc"})
    assert response.status_code == 302
    return db.session.scalars(select(TracingCase).order_by(TracingCase.id.desc())).first()


def test_trace_in_a_case_add_f1_and_audit(client, auth, make_user, scene, commune):
    tracer = make_user(Role.TRACER)
    auth.login(tracer)
    case = _open_case(client)
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


def test_venue_search_page_and_errors(client, auth, make_user, scene):
    auth.login(make_user(Role.CHAIRMAN))
    case = _open_case(client)
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
    case = _open_case(client)
    assert client.post(f"/tracing/cases/{case.id}/close").status_code == 302
    db.session.refresh(case)
    assert case.status == CaseStatus.CLOSED and case.closed_at is not None
    # A closed case takes no more searches.
    assert client.get(f"/tracing/cases/{case.id}/person").status_code == 302


def test_f1_list_pdf_and_xlsx(client, auth, make_user, scene, commune):
    auth.login(make_user(Role.TRACER))
    case = _open_case(client, label="BN <b>999</b>")
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

def _figures(commune_id):
    """Visits per (point, local day, source): live check-ins plus the purge's counts."""
    figures = {}
    for c in db.session.scalars(select(Checkin).where(Checkin.commune_id == commune_id)):
        from registry.timeutil import to_local

        key = (c.point_id, to_local(c.checked_in_at).date(), c.source.value)
        figures[key] = figures.get(key, 0) + 1
    for row in db.session.scalars(select(CheckinDailyCount)):
        key = (row.point_id, row.day, row.source.value)
        figures[key] = figures.get(key, 0) + row.count
    return figures


@pytest.fixture
def old_scene(scene, commune):
    """The scene plus visits from 30 and 40 days ago, some found by an open case."""
    east, gate = scene["east"], scene["gate"]
    old = local_today() - timedelta(days=30)
    olds = [visit(east, src, f"Người cũ {i}", datetime.combine(old, time(8 + i)),
                  precision=DATE_ONLY if src == PAPER else EXACT, phone="+84911000111")
            for i, src in enumerate((S, CARD, PAPER, OB, PAPER))]
    olds.append(visit(gate, PAPER, "Người rất cũ", datetime.combine(
        old - timedelta(days=10), time(7)), precision=APPROX))
    case = cases.create_case(commune.id, None, index_label="BN 1", index_date=old,
                               index_date_kind="onset", notes=None)
    cases.hold_checkins(case, {olds[0].id, olds[2].id})
    db.session.commit()
    return {**scene, "olds": olds, "case": case}


def test_purge_keeps_counts_and_held_data(old_scene, commune, runner, monkeypatch):
    olds, case = [o.id for o in old_scene["olds"]], old_scene["case"]
    hook_calls = []

    def fake_purge_hook(cid, *, cutoff_utc, held_checkin_ids):
        hook_calls.append((cid, cutoff_utc, set(held_checkin_ids)))
        return 7

    only_receivers(monkeypatch, "purge_personal_data", fake_purge_hook)
    before = _figures(commune.id)
    live_before = db.session.scalar(select(func.count()).select_from(Checkin))
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "4 check-ins deleted, 2 held" in result.output
    db.session.expire_all()
    remaining = set(db.session.scalars(select(Checkin.id)))
    assert olds[0] in remaining and olds[2] in remaining            # legal hold
    assert not {olds[1], olds[3], olds[4], olds[5]} & remaining
    assert len(remaining) == live_before - 4
    assert _figures(commune.id) == before                            # figures unchanged
    assert hook_calls and hook_calls[0][0] == commune.id
    assert hook_calls[0][2] == {olds[0], olds[2]}
    purge_event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "purge")).one()
    assert purge_event.details["checkins_deleted"] == 4
    assert purge_event.commune_id == commune.id and purge_event.user_id is None
    assert purge_event.details["hook:fake_purge_hook"] == 7
    # A second purge deletes nothing more and the figures still hold.
    assert retention.purge_commune(commune).checkins_deleted == 0
    assert _figures(commune.id) == before
    # Closing the case ends the hold: the next purge takes the rest, counts still equal.
    cases.set_case_status(db.session.get(TracingCase, case.id), CaseStatus.CLOSED)
    db.session.commit()
    only_receivers(monkeypatch, "purge_personal_data")
    assert purge_every_commune()[0].checkins_deleted == 2
    assert _figures(commune.id) == before
    assert not {olds[0], olds[2]} & set(db.session.scalars(select(Checkin.id)))


def test_paper_sheets_to_destroy(client, auth, make_user, old_scene, commune):
    retention.purge_commune(commune)
    db.session.commit()
    sheets = retention.sheets_to_destroy(commune)
    # The held paper row is still live; its twin (same point, day) was purged and counted.
    assert [(s.point.id, s.day, s.count) for s in sheets] == [
        (old_scene["gate"].id, local_today() - timedelta(days=40), 1),
        (old_scene["east"].id, local_today() - timedelta(days=30), 1)]
    auth.login(make_user(Role.CLERK))
    page = client.get("/retention").get_data(as_text=True)
    assert "Phiếu giấy cần tiêu hủy" in page and "Chợ Nưa" in page
    missing = client.post("/retention/destroy", data={"method": "",
                                                      "sheet": f"{sheets[0].point.id}:x"})
    assert missing.status_code == 302 and not db.session.scalars(select(SheetDestruction)).all()
    key = f"{sheets[0].point.id}:{sheets[0].day.isoformat()}"
    response = client.post("/retention/destroy", data={"method": "Xé nhỏ, có cán bộ chứng kiến",
                                                       "sheet": key})
    assert response.status_code == 302
    assert len(retention.sheets_to_destroy(commune)) == 1
    assert db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "destroy_paper")).one().details["method"].startswith("Xé nhỏ")


# --- audit ------------------------------------------------------------------------------------

def test_audit_log_cannot_be_edited_or_deleted(app, commune):
    from registry.services.audit import record_event

    event = record_event("search", commune, user=None, reason="#1 BN 1")
    db.session.commit()
    for statement in ("UPDATE audit_events SET reason = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text(statement))
            db.session.flush()
        db.session.rollback()
    assert db.session.get(AuditEvent, event.id).reason == "#1 BN 1"


def test_admin_reads_the_audit_log(client, auth, make_user, scene):
    tracer = make_user(Role.TRACER, username="tramyte1")
    auth.login(tracer)
    case = _open_case(client)
    client.get(f"/tracing/cases/{case.id}/person", query_string={
        "q": AN_ID, "kind": "id", "date_from": scene["day"].isoformat(),
        "date_to": scene["day"].isoformat(), "window": "30"})
    auth.logout()
    auth.login(make_user(Role.ADMIN))
    page = client.get("/audit", query_string={"user": str(tracer.id), "action": "search"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "tramyte1" in html and "BN 12345" in html and "Đã tra cứu" in html
    assert AN_ID not in html and "0381******12" in html
    assert client.get("/audit", query_string={"date_from": "hôm qua"}).status_code == 200


def test_audit_log_pages(client, auth, make_user, commune):
    from registry.services.audit import record_event

    for n in range(60):
        record_event("view", commune, user=None, commune_id=commune.id, reason=f"lần {n}")
    db.session.commit()
    auth.login(make_user(Role.ADMIN))
    first = client.get("/audit").get_data(as_text=True)
    assert "Trang 1/2" in first and "Trang sau" in first and "lần 59" in first
    second = client.get("/audit", query_string={"page": 2}).get_data(as_text=True)
    assert "Trang trước" in second and "lần 0" in second and "lần 59" not in second


def test_mask_id_number():
    assert mask_id_number("038123456712") == "0381******12"
    assert mask_id_number("123456789") == "1234***89"
    assert mask_id_number(None) == ""


# --- a person's own data ------------------------------------------------------------------------

def test_person_finds_exports_corrects_and_deletes_own_data(client, auth, make_user, scene,
                                                            commune):
    auth.login(make_user(Role.CLERK))
    query = {"q": AN_ID, "kind": "auto", "reference": "Đơn ngày 01/12, đã kiểm tra CCCD"}
    page = client.get("/privacy", query_string=query).get_data(as_text=True)
    assert "Nguyễn Văn An" in page and "NGUYEN V AN" in page and "0381******12" in page
    export = client.post("/privacy/export", data=query)
    assert export.status_code == 200
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert len(rows) == 3 and {r[4] for r in rows[1:]} == {"Nguyễn Văn An", "NGUYEN V AN"}
    # Correct the paper row's name; a bad phone is refused on the field.
    paper = scene["index_paper"]
    bad = client.post(f"/privacy/checkins/{paper.id}", data={
        "reference": "Đơn ngày 01/12", "full_name": "Nguyễn Văn An", "phone": "12ab"})
    assert bad.status_code == 200 and "Hãy nhập số điện thoại" in bad.get_data(as_text=True)
    ok = client.post(f"/privacy/checkins/{paper.id}", data={
        "reference": "Đơn ngày 01/12", "full_name": "Nguyễn Văn An", "id_number": AN_ID,
        "birth_year": "1985", "sex": "male"})
    assert ok.status_code == 302
    db.session.refresh(paper)
    assert paper.full_name == "Nguyễn Văn An" and paper.search_name == "nguyen van an"
    # Delete both; the figures for the days stay right.
    before = _figures(commune.id)
    response = client.post("/privacy/delete", data={
        **query, "checkin": [str(scene["index"].id), str(paper.id)]})
    assert response.status_code == 302
    assert not db.session.scalars(select(Checkin).where(Checkin.id_number == AN_ID)).all()
    assert _figures(commune.id) == before
    kinds = [r.kind for r in db.session.scalars(select(PersonRequest).order_by(PersonRequest.id))]
    assert kinds == ["access", "export", "correct", "delete"]
    assert all(AN_ID not in r.subject for r in db.session.scalars(select(PersonRequest)))


def test_person_delete_keeps_records_held_by_an_open_case(client, auth, make_user, scene,
                                                          commune):
    case = cases.create_case(commune.id, None, index_label="BN 7", index_date=local_today(),
                               index_date_kind="onset", notes=None)
    cases.hold_checkins(case, {scene["index"].id})
    db.session.commit()
    auth.login(make_user(Role.ADMIN))
    query = {"q": AN_ID, "kind": "id", "reference": "Yêu cầu xóa"}
    response = client.post("/privacy/delete", data={
        **query, "checkin": [str(scene["index"].id), str(scene["index_paper"].id)]},
        follow_redirects=True)
    assert "được giữ lại" in response.get_data(as_text=True)
    remaining = set(db.session.scalars(select(Checkin.id).where(Checkin.id_number == AN_ID)))
    assert remaining == {scene["index"].id}
    lookup = client.get("/privacy", query_string={"q": "", "reference": ""})
    assert "Nhập họ tên, số điện thoại hoặc số định danh." in lookup.get_data(as_text=True)


# --- backups ----------------------------------------------------------------------------------

def _snapshot():
    """Every row of every table, as plain values."""
    snapshot = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        snapshot[table.name] = [tuple(r) for r in rows]
    return snapshot


def test_backup_and_restore_round_trip(app, runner, old_scene, commune, tmp_path):
    retention.purge_commune(commune)  # daily counts and an audit row in the backup too
    db.session.commit()
    before = _snapshot()
    assert before["checkins"] and before["checkin_daily_counts"] and before["audit_events"]
    target = tmp_path / "backups" / "copy.bak"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0
    # Changes after the backup are undone by the restore.
    db.session.execute(text("DELETE FROM case_holds"))
    db.session.execute(text("DELETE FROM checkins"))
    record_checkin(old_scene["east"], S, Declaration(full_name="Sau sao lưu"), at=utcnow())
    db.session.commit()
    db.session.remove()
    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    db.session.remove()
    assert _snapshot() == before
    # The restored audit trail is still append-only.
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("DELETE FROM audit_events"))
        db.session.flush()
    db.session.rollback()


def test_restore_refuses_a_file_that_is_not_a_backup(runner, app, tmp_path):
    junk = tmp_path / "junk.bak"
    junk.write_bytes(b"not a database at all" * 100)
    result = runner.invoke(args=["restore", str(junk), "--yes"])
    assert result.exit_code != 0


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
    case = _open_case(client)
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


def test_sqlite_backup_is_consistent_while_the_site_writes(tmp_path):
    """Another connection keeps writing during `flask backup`: the copy is whole and valid."""
    import sqlite3
    import threading

    from registry import create_app
    from tests.conftest import _test_config

    path = tmp_path / "live.sqlite"
    app = create_app(_test_config(f"sqlite:///{path}", tmp_path))
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    errors, written = [], []

    def writer():
        try:
            conn = sqlite3.connect(path, timeout=10)
            for n in range(400):
                conn.execute("INSERT INTO communes (unit_code, unit_scheme, name, "
                             "province_code, province_name, place_name, retention_days, "
                             "checkin_merge_minutes, created_at) VALUES (?, '2025', ?, 1, 'T', "
                             "'T', 21, 30, '2026-01-01')", (n, f"Xã {n}"))
                conn.commit()
                written.append(n)
            conn.close()
        except Exception as exc:  # reported below, never hangs the test
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    deadline = time_module.monotonic() + 20
    while len(written) < 20 and not errors and time_module.monotonic() < deadline:
        time_module.sleep(0.01)
    result = app.test_cli_runner().invoke(args=["backup"])
    thread.join(timeout=30)
    assert not errors, errors
    assert result.exit_code == 0, result.output
    copies = list((tmp_path / "instance" / "backups").glob("registry-*.sqlite"))
    assert len(copies) == 1
    copy = sqlite3.connect(copies[0])
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    in_copy = copy.execute("SELECT count(*) FROM communes").fetchone()[0]
    copy.close()
    assert 20 <= in_copy <= 400
    with app.app_context():
        db.engine.dispose()


def test_retention_page_lists_printed_batches_due_for_destruction(client, auth, make_user,
                                                                   make_venue, commune):
    """Printed paper (custody kept by the paper feature) shows on the retention page once its
    retention period after collection has passed."""
    from registry.models import FormKind
    from registry.services.paper.custody import collect_batch, create_batch

    clerk = make_user(Role.CLERK)
    point = make_venue(name="Chợ Đầu mối").points[0]
    old = create_batch(point, FormKind.LOG, 2, clerk)
    collect_batch(old, clerk, local_today() - timedelta(days=commune.retention_days + 3),
                  "Anh Tuấn", 2)
    recent = create_batch(point, FormKind.LOG, 1, clerk)
    collect_batch(recent, clerk, local_today(), "Anh Tuấn", 1)
    db.session.commit()
    auth.login(clerk)
    page = client.get("/retention").get_data(as_text=True)
    assert "Lô phiếu in đến hạn tiêu hủy" in page
    assert f"/paper/batches/{old.id}\"" in page and f"/paper/batches/{recent.id}\"" not in page
