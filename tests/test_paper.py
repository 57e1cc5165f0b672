"""The paper path: printed forms, custody, transcription, double entry, on-behalf."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import (BatchStatus, Checkin, CheckinSource, FormKind, PaperBatch, PaperLine,
                             PersonLink, Role, SheetStatus, TimePrecision)
from registry.pdf.paper import batch_pdf
from registry.services.paper import custody, double_entry, handwriting, keying, serials
from tests.pdfcheck import decode_qr, page_sizes_mm, page_texts

# --- helpers ------------------------------------------------------------------------------------

def _batch(venue, kind=FormKind.LOG, count=3, collected=True, **options):
    batch = custody.create_batch(venue.points[0], kind, count, None, **options)
    if collected:
        custody.hand_batch(batch, None, date.today() - timedelta(days=1), "Bà Lan")
        custody.collect_batch(batch, _Nobody(), date.today(), "Anh Tuấn", count)
    db.session.commit()
    return batch


class _Nobody:
    id = None


def _today() -> str:
    from registry.timeutil import local_today

    return local_today().strftime("%d/%m/%Y")


def _row(line_no=1, **overrides):
    data = {"line_no": line_no, "day": _today(), "time_in": "8h30", "time_out": "",
            "full_name": "Nguyễn Văn An", "birth_year": "75", "phone": "0912 345 678",
            "id_number": "", "address": "Thôn Đông", "symptoms": "k"}
    data.update(overrides)
    return data


def _paper_checkins():
    return db.session.scalar(select(func.count()).select_from(Checkin)
                             .where(Checkin.source == CheckinSource.PAPER))


# --- pure functions -------------------------------------------------------------------------

def test_serials_carry_a_check_digit():
    serial = serials.make_serial(FormKind.LOG, 123)
    assert serial == "L00001230"
    assert serials.normalise_serial(" l0000-1230 ") == serial
    assert serials.normalise_serial("L00001231") is None  # one digit wrong
    assert serials.normalise_serial("hello") is None
    assert serials.make_serial(FormKind.SLIP, 5).startswith("S")


@pytest.mark.parametrize("text, expected", [
    ("8h30", (time(8, 30), True)), ("08:30", (time(8, 30), True)), ("830", (time(8, 30), True)),
    ("0830", (time(8, 30), True)), ("17g15", (time(17, 15), True)), ("8h", (time(8, 0), False)),
    ("8", (time(8, 0), False)), ("", None)])
def test_parse_time_accepts_handwritten_forms(app, text, expected):
    assert handwriting.parse_time(text) == expected


@pytest.mark.parametrize("text", ["25h", "8h75", "abc", "12345"])
def test_parse_time_refuses_impossible_times(app, text):
    with pytest.raises(ValueError):
        handwriting.parse_time(text)


def test_parse_year_two_or_four_digits(app):
    today = date(2026, 11, 22)
    assert handwriting.parse_year("75", today) == 1975
    assert handwriting.parse_year("08", today) == 2008
    assert handwriting.parse_year("1962", today) == 1962
    assert handwriting.parse_year("", today) is None
    for bad in ("175", "2030", "x9"):
        with pytest.raises(ValueError):
            handwriting.parse_year(bad, today)


def test_parse_day(app):
    today = date(2026, 11, 22)
    assert handwriting.parse_day("20/11/2026", today) == date(2026, 11, 20)
    assert handwriting.parse_day("20/11/26", today) == date(2026, 11, 20)
    assert handwriting.parse_day("20/11", today) == date(2026, 11, 20)
    assert handwriting.parse_day("2026-11-20", today) == date(2026, 11, 20)
    for bad in ("31/02/2026", "hôm qua", "", "20/13/2026"):
        with pytest.raises(ValueError):
            handwriting.parse_day(bad, today)


def test_compare_ignores_diacritics_and_case_but_not_digits():
    first = {"day": "2026-11-20", "time_in": "08:30", "full_name": "Nguyễn Văn An",
             "birth_year": 1975, "phone": "+84912345678", "address": "Thôn Đông",
             "symptoms": False, "answers": {}}
    same = dict(first, full_name="NGUYEN VAN AN", address="thon dong")
    assert double_entry.compare_values(first, same) == []
    assert double_entry.compare_values(first, same, ignore_diacritics=False) == ["full_name", "address"]
    digit = dict(first, phone="+84912345679")
    assert double_entry.compare_values(first, digit) == ["phone"]
    year = dict(first, birth_year=1976, address="Thôn Tây")
    assert double_entry.compare_values(first, year, skip_free_text=True) == ["birth_year"]
    assert double_entry.compare_values(first, None) == ["line"]


# --- printed forms -----------------------------------------------------------------------------

def test_log_sheet_pdf_qr_decodes_to_its_serial(app, commune, make_venue):
    venue = make_venue(name="Chợ Nưa", points=("Cổng <Đông>",))
    batch = _batch(venue, FormKind.LOG, count=2, collected=False)
    with app.test_request_context():
        pdf = batch_pdf(batch)
    assert page_sizes_mm(pdf) == [(297.0, 210.0), (297.0, 210.0)]
    for page, sheet in enumerate(batch.sheets):
        codes = decode_qr(pdf, page)
        assert [c["text"] for c in codes] == [sheet.serial]
        assert codes[0]["width_mm"] >= 15
    text = page_texts(pdf)[1]
    assert batch.sheets[1].serial in text
    assert "Chợ Nưa" in text and "Cổng <Đông>" in text
    assert "không được xem thông tin của người khác" in text
    assert "15" in text


@pytest.mark.parametrize("paper, per_page, size", [("a4", 2, (210.0, 297.0)),
                                                   ("a5", 1, (148.0, 210.0))])
def test_slip_pdf_per_page(app, commune, make_venue, paper, per_page, size):
    batch = _batch(make_venue(), FormKind.SLIP, count=2, collected=False)
    with app.test_request_context():
        pdf = batch_pdf(batch, per_page)
    assert page_sizes_mm(pdf) == [size] * (2 // per_page)
    found = sorted(c["text"] for c in decode_qr(pdf, 0, dpi=200))
    assert found == sorted(s.serial for s in batch.sheets[:per_page])


def test_print_route_creates_batch_and_logs(app, client, auth, commune, make_user, make_venue):
    venue = make_venue()
    auth.login(make_user(Role.CLERK))
    response = client.post("/paper/batches/new", data={
        "point_id": venue.points[0].id, "kind": "log", "paper": "a4", "count": "4",
        "double_entry": "sample", "sample_percent": "50", "ignore_diacritics": "y"})
    assert response.status_code == 302
    batch = db.session.scalars(select(PaperBatch)).one()
    assert batch.sheet_count == 4 and len({s.serial for s in batch.sheets}) == 4
    assert sum(s.needs_second_entry for s in batch.sheets) == 2
    pdf = client.get(f"/paper/batches/{batch.id}/sheets.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    bad = client.post("/paper/batches/new", data={
        "point_id": venue.points[0].id, "kind": "log", "paper": "a4", "count": "0",
        "double_entry": "none"})
    assert bad.status_code == 200 and "Từ 1 đến" in bad.get_data(as_text=True)


# --- custody and backlog --------------------------------------------------------------------

def test_custody_chain_and_backlog(app, client, auth, commune, make_user, make_venue):
    venue = make_venue()
    batch = _batch(venue, count=5, collected=False)
    auth.login(make_user(Role.CLERK))
    url = f"/paper/batches/{batch.id}"
    future = (date.today() + timedelta(days=3)).isoformat()
    response = client.post(url + "/hand", data={"on": future, "to_whom": "Bà Lan"})
    assert response.status_code == 400 and "tương lai" in response.get_data(as_text=True)
    assert client.post(url + "/hand", data={"on": date.today().isoformat(),
                                            "to_whom": "Bà Lan"}).status_code == 302
    too_many = client.post(url + "/collect", data={"on": date.today().isoformat(),
                                                   "collected_by": "Anh Tuấn", "returned": "9"})
    assert too_many.status_code == 400
    assert client.post(url + "/collect", data={"on": date.today().isoformat(),
                                               "collected_by": "Anh Tuấn",
                                               "returned": "3"}).status_code == 302
    db.session.expire_all()
    assert batch.status == BatchStatus.COLLECTED and batch.missing_count == 2
    page = client.get("/paper/").get_data(as_text=True)
    assert 'id="count-not-keyed">3<' in page and 'id="count-missing">2<' in page
    # Paper collected long ago is due for destruction.
    batch.collected_on = date.today() - timedelta(days=commune.retention_days + 1)
    db.session.commit()
    assert 'id="count-to-destroy">1<' in client.get("/paper/").get_data(as_text=True)
    assert client.post(url + "/destroy", data={"on": date.today().isoformat()}).status_code == 302
    db.session.expire_all()
    assert batch.status == BatchStatus.DESTROYED


def test_serial_refusals(app, client, auth, commune, other_commune, make_user, make_venue):
    ours = _batch(make_venue())
    theirs = _batch(make_venue(commune_id=other_commune.id, name="Chợ Hàng Da"))
    gone = _batch(make_venue(name="Chợ cũ"))
    custody.destroy_batch(gone, make_user(Role.CLERK), date.today())
    db.session.commit()
    auth.login(make_user(Role.DATA_ENTRY))
    cases = [("L99999997", "Không có tờ nào"), ("L00000001", "Đây không phải"),
             (theirs.sheets[0].serial, "xã khác"), (gone.sheets[0].serial, "đã hủy")]
    for serial, message in cases:
        response = client.post("/paper/key", data={"serial": serial})
        assert response.status_code == 200, serial
        assert message in response.get_data(as_text=True), serial
    ok = client.post("/paper/key", data={"serial": ours.sheets[0].serial.lower()})
    assert ok.status_code == 302 and f"/paper/sheets/{ours.sheets[0].id}/key" in ok.location
    assert client.get(f"/paper/sheets/{theirs.sheets[0].id}/key").status_code == 404


# --- transcription ------------------------------------------------------------------------------

def test_saving_a_line_twice_creates_one_record(app, client, auth, commune, make_user,
                                                make_venue):
    batch = _batch(make_venue())
    sheet = batch.sheets[0]
    auth.login(make_user(Role.DATA_ENTRY))
    url = f"/paper/sheets/{sheet.id}/key"
    for _ in range(3):  # double Enter, back button, second tab
        assert client.post(url, data=_row(1)).status_code == 302
    assert _paper_checkins() == 1
    checkin = db.session.scalars(select(Checkin)).one()
    assert checkin.full_name == "Nguyễn Văn An" and checkin.birth_year == 1975
    assert checkin.phone == "+84912345678" and checkin.time_precision == TimePrecision.EXACT
    line = db.session.scalars(select(PaperLine)).one()
    assert (line.sheet_id, line.line_no, line.checkin_id) == (sheet.id, 1, checkin.id)
    # A different person typed over a saved line without opening it: refused, nothing lost.
    clash = client.post(url, data=_row(1, full_name="Trần Thị Bình"))
    assert clash.status_code == 200 and "đã được lưu" in clash.get_data(as_text=True)
    db.session.expire_all()
    assert checkin.full_name == "Nguyễn Văn An"
    # Opened for correction: the same record is updated.
    assert client.post(url, data=dict(_row(1, full_name="Trần Thị Bình", time_in="9h"),
                                      editing="1")).status_code == 302
    db.session.expire_all()
    assert _paper_checkins() == 1 and checkin.full_name == "Trần Thị Bình"
    assert checkin.time_precision == TimePrecision.APPROXIMATE


def test_resume_and_carry_over(app, client, auth, commune, make_user, make_venue):
    batch = _batch(make_venue())
    sheet = batch.sheets[0]
    auth.login(make_user(Role.DATA_ENTRY))
    url = f"/paper/sheets/{sheet.id}/key"
    day = _today()[:5]  # "22/11": the year is the current one
    client.post(url, data=_row(1, day=day, address="Thôn Tây"))
    client.post(url, data=_row(2, day=day, address="Thôn Tây", full_name="Lê Thị Cúc",
                               time_in=""))
    page = client.get(url).get_data(as_text=True)
    assert re.search(r'<input[^>]*name="line_no"[^>]*value="3"', page)
    assert 'value="Thôn Tây"' in page and f'value="{_today()}"' in page
    second = db.session.scalars(select(Checkin).where(Checkin.full_name == "Lê Thị Cúc")).one()
    assert second.time_precision == TimePrecision.DATE_ONLY
    assert sheet.status == SheetStatus.KEYING
    assert client.get("/paper/key").get_data(as_text=True).count(sheet.serial) == 1


@pytest.mark.parametrize("field, value, message", [
    ("day", "31/02/2026", "không phải là ngày"),
    ("time_in", "25h", "không phải là giờ"),
    ("time_out", "7h", "trước giờ vào"),
    ("line_no", "16", "từ dòng 1 đến 15"),
    ("birth_year", "123", "2 hoặc 4 chữ số"),
    ("phone", "abc", "không phải là số điện thoại"),
])
def test_bad_values_are_refused_on_the_field(app, client, auth, commune, make_user, make_venue,
                                             field, value, message):
    batch = _batch(make_venue())
    auth.login(make_user(Role.DATA_ENTRY))
    url = f"/paper/sheets/{batch.sheets[0].id}/key"
    client.post(url, data=_row(1))
    response = client.post(url, data=dict(_row(2), **{field: value}))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _paper_checkins() == 1  # line 1 is still there, nothing else saved


def test_empty_row_is_refused(app, client, auth, commune, make_user, make_venue):
    batch = _batch(make_venue())
    auth.login(make_user(Role.DATA_ENTRY))
    response = client.post(f"/paper/sheets/{batch.sheets[0].id}/key",
                           data=_row(1, full_name="", phone="", birth_year="", address=""))
    assert "Dòng này trống" in response.get_data(as_text=True)
    assert _paper_checkins() == 0


def test_odd_values_warn_but_save(app, client, auth, commune, make_user, make_venue):
    # A slip: the visitor log has no ID number column, so its keying has no ID box.
    batch = _batch(make_venue(), FormKind.SLIP)
    auth.login(make_user(Role.DATA_ENTRY))
    response = client.post(f"/paper/sheets/{batch.sheets[0].id}/key", follow_redirects=True,
                           data=_row(1, id_number="038080001234", birth_year="1975",
                                     phone="+1 202 555 0143", sex="nam"))
    page = response.get_data(as_text=True)
    assert "năm sinh 1980" in page  # the CCCD says 1980
    assert "không phải số điện thoại Việt Nam" in page
    assert _paper_checkins() == 1


def test_keying_needs_a_collected_batch(app, client, auth, commune, make_user, make_venue):
    batch = _batch(make_venue(), collected=False)
    auth.login(make_user(Role.DATA_ENTRY))
    response = client.post(f"/paper/sheets/{batch.sheets[0].id}/key", data=_row(1))
    assert response.status_code == 302 and _paper_checkins() == 0


def test_slip_keying_with_questions(app, client, auth, commune, make_user, make_venue):
    batch = _batch(make_venue(), FormKind.SLIP, count=1)
    auth.login(make_user(Role.DATA_ENTRY))
    url = f"/paper/sheets/{batch.sheets[0].id}/key"
    data = _row(1, sex="nu", province="Thanh Hóa", ward="Triệu Sơn", symptoms="")
    data.update({"q_travel": "c", "q_travel_details": "Hà Nội", "q_symptoms": "k",
                 "q_contact_patient": "k", "q_contact_foreign": "", "q_contact_symptoms": "k"})
    assert client.post(url, data=dict(data, line_no="2")).status_code == 200  # one slip, line 1
    assert client.post(url, data=dict(data, q_symptoms="maybe")).status_code == 200
    assert client.post(url, data=data).status_code == 302
    checkin = db.session.scalars(select(Checkin)).one()
    assert checkin.sex == "female" and checkin.province == "Thanh Hóa"
    assert checkin.answers["travel"]["answer"] is True
    assert checkin.answers["travel"]["details"] == "Hà Nội"
    assert checkin.answers["contact_foreign"]["answer"] is None and not checkin.has_symptoms
    assert client.post(url.replace("/key", "/finish")).status_code == 302
    db.session.expire_all()
    assert batch.sheets[0].status == SheetStatus.VERIFIED
    assert batch.status == BatchStatus.VERIFIED


# --- double entry -------------------------------------------------------------------------------

def test_double_entry_flow(app, client, auth, commune, make_user, make_venue):
    from registry.models import DoubleEntry

    batch = _batch(make_venue(), count=1, double_entry=DoubleEntry.FULL)
    sheet = batch.sheets[0]
    first, second, clerk = (make_user(Role.DATA_ENTRY, full_name="Trần Văn Nhập"),
                            make_user(Role.DATA_ENTRY, full_name="Phạm Thị Hai"),
                            make_user(Role.CLERK))
    auth.login(first)
    url = f"/paper/sheets/{sheet.id}"
    client.post(url + "/key", data=_row(1))
    client.post(url + "/key", data=_row(2, full_name="Lê Thị Cúc", phone="0987654321"))
    # The first keyer cannot re-key their own sheet.
    client.post(url + "/finish")
    assert client.get(url + "/second").status_code == 302
    db.session.expire_all()
    assert sheet.status == SheetStatus.KEYED
    auth.logout()
    auth.login(second)
    blind = client.get(url + "/second").get_data(as_text=True)
    assert "Lê Thị Cúc" not in blind and "Nguyễn Văn An" not in blind
    client.post(url + "/second", data=_row(1, full_name="NGUYEN VAN AN"))  # case, diacritics
    client.post(url + "/second", data=_row(2, full_name="Lê Thị Cúc", phone="0987654322"))
    client.post(url + "/second/finish")
    db.session.expire_all()
    lines = {l.line_no: l for l in sheet.lines}
    assert lines[1].disagreements == [] and lines[2].disagreements == ["phone"]
    assert sheet.status == SheetStatus.KEYED
    auth.logout()
    auth.login(clerk)
    review = client.get(url + "/review").get_data(as_text=True)
    assert "+84987654321" in review and "+84987654322" in review
    client.post(url + "/review", data={f"pick_{lines[2].id}_phone": "second"})
    db.session.expire_all()
    assert lines[2].checkin.phone == "+84987654322"
    assert sheet.status == SheetStatus.VERIFIED and batch.status == BatchStatus.VERIFIED
    agreement = client.get("/paper/double-entry").get_data(as_text=True)
    assert "Trần Văn Nhập" in agreement and "50" in agreement
    assert _paper_checkins() == 2


# --- on behalf -------------------------------------------------------------------------------

def _declaration(point_id, **overrides):
    data = {"point_id": point_id, "time_in": "", "full_name": "Hoàng Văn Em",
            "birth_year": "1950", "sex": "male", "id_number": "", "nationality": "Việt Nam",
            "province": "", "ward": "", "address": "Thôn Đông", "phone": "0912345678",
            "email": "", "q_travel": "no", "q_symptoms": "no", "q_contact_patient": "no",
            "q_contact_foreign": "no", "q_contact_symptoms": "no"}
    data.update(overrides)
    return data


def test_on_behalf_by_venue_user_for_own_venue_only(app, client, auth, commune, make_user,
                                                    make_venue):
    mine, other = make_venue(name="Trạm Y tế"), make_venue(name="Chợ Nưa")
    user = make_user(Role.VENUE, venue=mine)
    auth.login(user)
    page = client.get("/paper/on-behalf").get_data(as_text=True)
    assert "Trạm Y tế" in page and "Chợ Nưa" not in page
    refused = client.post("/paper/on-behalf", data=_declaration(other.points[0].id))
    assert refused.status_code == 200
    assert client.post("/paper/on-behalf",
                       data=_declaration(mine.points[0].id, time_in="7h")).status_code == 302
    checkin = db.session.scalars(select(Checkin)).one()
    assert checkin.source == CheckinSource.ON_BEHALF and checkin.entered_by_id == user.id
    assert checkin.venue_id == mine.id and checkin.time_precision == TimePrecision.APPROXIMATE


def test_on_behalf_by_commune_staff(app, client, auth, commune, make_user, make_venue):
    venue = make_venue()
    clerk = make_user(Role.DATA_ENTRY)
    auth.login(clerk)
    bad = client.post("/paper/on-behalf", data=_declaration(venue.points[0].id, birth_year="18"))
    assert bad.status_code == 200 and db.session.scalar(select(func.count(Checkin.id))) == 0
    assert client.post("/paper/on-behalf",
                       data=_declaration(venue.points[0].id)).status_code == 302
    checkin = db.session.scalars(select(Checkin)).one()
    assert checkin.entered_by_id == clerk.id and checkin.source == CheckinSource.ON_BEHALF
    page = client.get("/paper/on-behalf").get_data(as_text=True)
    assert "Hoàng Văn Em" in page.split('id="recent"')[1]


# --- one person, many records --------------------------------------------------------------


# --- hooks for other features -------------------------------------------------------------

def test_purge_and_dashboard(app, commune, make_user, make_venue):
    from registry import signals
    from registry.services.paper.custody import dashboard_figures

    def purge_personal_data(commune_id, cutoff, held):
        return sum(signals.collect(signals.purge_personal_data, commune_id, cutoff_utc=cutoff,
                                   held_checkin_ids=held))

    batch = _batch(make_venue())
    user = make_user(Role.DATA_ENTRY)
    values = keying.LineValues(day=date.today(), time_in=None, time_in_exact=False, time_out=None,
                            full_name="Nguyễn Văn An")
    kept, _ = keying.save_line(batch.sheets[0], 1, values, user)
    gone, _ = keying.save_line(batch.sheets[0], 2, values, user)
    keying.finish_sheet(batch.sheets[0], user)
    db.session.commit()
    link = PersonLink(commune_id=commune.id, checkin_a_id=kept.checkin_id,
                      checkin_b_id=gone.checkin_id, reason="name_year_phone")
    db.session.add(link)
    db.session.commit()
    past = datetime.utcnow() - timedelta(days=30)
    assert purge_personal_data(commune.id, past, set()) == 0  # nothing that old
    future = datetime.utcnow() + timedelta(days=1)
    assert purge_personal_data(commune.id, future, {kept.checkin_id}) == 2
    db.session.commit()
    db.session.expire_all()
    assert gone.first_values is None and kept.first_values is not None
    assert db.session.scalar(select(func.count(PersonLink.id))) == 0
    with app.test_request_context():
        figures = {f["key"]: f for f in dashboard_figures(commune.id, date.today() - timedelta(1),
                                                         date.today() + timedelta(1))}
    assert figures["paper_collected"]["value"] == 3
    assert figures["paper_keyed"]["value"] == 1
    assert figures["paper_not_keyed"]["value"] == 2
    assert figures["paper_collected"]["url"].startswith("/paper/?start=")


# --- the keyboard flow in a real browser ------------------------------------------------------

def _wait_for_focus(page, name):
    page.wait_for_function(f"document.activeElement && document.activeElement.name === '{name}'")


def test_keying_with_the_keyboard_only(live_server, page):
    """Scan (the scanner types the serial and Enter), then Tab through a row and press Enter."""
    app, base = live_server
    with app.app_context():
        from registry.services.communes import categories_for_code, create_commune
        from registry.services.users import create_user
        from registry.services.venues import register_venue

        commune = create_commune(15664)
        keyer = create_user(commune.id, username="nhaplieu", full_name="Trần Văn Nhập",
                            role=Role.DATA_ENTRY, password="correct-horse-1")
        venue = register_venue(commune.id, keyer, point_names=["Cổng chính"], name="Chợ Nưa",
                               category_id=categories_for_code(commune.id)["market"].id,
                               address=None, village_id=None, manager_name=None,
                               manager_phone=None, notes=None)
        batch = custody.create_batch(venue.points[0], FormKind.LOG, 2, keyer)
        custody.collect_batch(batch, keyer, date.today(), "Anh Tuấn", 2)
        db.session.commit()
        serial, sheet_id = batch.sheets[0].serial, batch.sheets[0].id
    page.goto(f"{base}/auth/login")
    page.fill("input[name=username]", "nhaplieu")
    page.fill("input[name=password]", "correct-horse-1")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/paper/key")
    _wait_for_focus(page, "serial")  # autofocus: no click needed
    page.keyboard.type(serial)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/paper/sheets/{sheet_id}/key")
    # First line: the focus starts on the empty date box.
    _wait_for_focus(page, "day")
    # The boxes follow the printed log's columns, which have no ID number.
    for text in (_today(), "8h30", "9h", "Nguyễn Văn An", "75", "0912345678",
                 "Thôn Đông", "k"):
        page.keyboard.type(text)
        page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Đã lưu dòng 1.")
    # Second line: the date and the village carried over; the focus is on the time in.
    assert page.input_value("input[name=line_no]") == "2"
    assert page.input_value("input[name=address]") == "Thôn Đông"
    _wait_for_focus(page, "time_in")
    page.keyboard.type("830")
    for text in ("", "Lê Thị Bình", "1962"):
        page.keyboard.press("Tab")
        page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Đã lưu dòng 2.")
    rows = page.locator("#saved-lines tbody tr")
    assert rows.count() == 2
    assert "Lê Thị Bình" in rows.nth(1).inner_text()
    with app.app_context():
        saved = db.session.scalars(select(Checkin).order_by(Checkin.id)).all()
        assert [(c.full_name, c.birth_year, c.address) for c in saved] == [
            ("Nguyễn Văn An", 1975, "Thôn Đông"), ("Lê Thị Bình", 1962, "Thôn Đông")]
        assert saved[0].checked_out_at is not None
        assert {c.source for c in saved} == {CheckinSource.PAPER}


def test_review_of_a_line_only_one_keyer_saw(app, commune, make_user, make_venue):
    from registry.models import DoubleEntry

    batch = _batch(make_venue(), count=1, double_entry=DoubleEntry.FULL)
    sheet = batch.sheets[0]
    first, second, clerk = (make_user(Role.DATA_ENTRY), make_user(Role.DATA_ENTRY),
                            make_user(Role.CLERK))

    def values(name):
        return keying.LineValues(day=date.today(), time_in=time(8, 0), time_in_exact=True,
                              time_out=None, full_name=name)

    keying.save_line(sheet, 1, values("Nguyễn Văn An"), first)
    keying.save_line(sheet, 2, values("Bùi Thị Hoa"), first)  # the second keyer misses it
    keying.finish_sheet(sheet, first)
    assert double_entry.can_second_key(sheet, first) is not None
    assert double_entry.can_second_key(sheet, second) is None
    double_entry.save_second_line(sheet, 1, values("Nguyễn Văn An"), second)
    double_entry.save_second_line(sheet, 3, values("Đỗ Văn Tâm"), second)  # the first keyer missed it
    assert double_entry.finish_second_keying(sheet, second) == 2
    db.session.commit()
    lines = {l.line_no: l for l in sheet.lines}
    assert lines[2].disagreements == ["line"] and lines[3].disagreements == ["line"]
    double_entry.settle_line(lines[2], {"line": "first"}, clerk)   # it is on the paper: keep it
    double_entry.settle_line(lines[3], {"line": "second"}, clerk)  # also on the paper: add it
    db.session.commit()
    names = sorted(c.full_name for c in db.session.scalars(select(Checkin)))
    assert names == ["Bùi Thị Hoa", "Nguyễn Văn An", "Đỗ Văn Tâm"]
    assert sheet.status == SheetStatus.VERIFIED
    rates = {r["user"].id: r["rate"] for r in double_entry.agreement_by_keyer(commune.id)}
    assert rates == {first.id: 33.3, second.id: 33.3}


def test_two_first_saves_of_one_line_at_once(app, client, auth, commune, make_user, make_venue,
                                             monkeypatch):
    """Another tab saved the line between our check and our insert: the unique key refuses
    the second record and the save becomes an update."""
    batch = _batch(make_venue())
    auth.login(make_user(Role.DATA_ENTRY))
    url = f"/paper/sheets/{batch.sheets[0].id}/key"
    assert client.post(url, data=_row(1)).status_code == 302
    real_get_line, blind = keying.get_line, {"calls": 0}

    def racing_get_line(sheet, line_no):
        blind["calls"] += 1
        return None if blind["calls"] <= 2 else real_get_line(sheet, line_no)

    monkeypatch.setattr(keying, "get_line", racing_get_line)
    response = client.post(url, data=_row(1, full_name="Nguyễn Văn Anh"))
    assert response.status_code == 302 and blind["calls"] > 2, [
        l for l in response.get_data(as_text=True).splitlines() if "error" in l or "flash" in l or "<h1" in l]
    assert _paper_checkins() == 1
    assert db.session.scalars(select(Checkin)).one().full_name == "Nguyễn Văn Anh"
