"""The public check-in and the scan station under attack and under a double tap: simultaneous
identical requests make one row, a stranger's phone neither overwrites nor learns about a
record it did not make, and what a visitor types is stored clean and exported as data."""
from __future__ import annotations

import http.client
import io
import json
import threading
from urllib.parse import urlencode

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import Checkin, CheckinSource, Role
from registry.services.checkins import declare_on_behalf
from registry.services.declarations import Declaration
from registry.services.residents.cards import issue_card
from tests.test_checkins import declaration

AN_ID = "038085001234"


def _rows():
    db.session.expire_all()
    return db.session.scalars(select(Checkin).order_by(Checkin.id)).all()


@pytest.fixture
def served(app):
    """The test's app (on the test's database) served over HTTP by a threaded server."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(timeout=10)


def _at_once(port: int, count: int, method: str, path: str, body: bytes, headers: dict):
    """Send `count` identical requests at the same moment (each on its own connection, released
    together by a barrier); their statuses and bodies."""
    barrier = threading.Barrier(count)
    answers = [None] * count

    def send(i):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.connect()
        barrier.wait()
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        answers[i] = (response.status, response.read())
        connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return answers


def test_simultaneous_identical_declarations_make_one_row(served, make_venue, commune):
    venue = make_venue(points=("Cổng 1", "Cổng 2", "Cổng 3"))
    cookie = "registry_device=" + "p" * 43  # one phone: its cookie came with the form's page
    body = urlencode(declaration(id_number=AN_ID)).encode()
    for point in venue.points:  # three rounds, eight taps each
        answers = _at_once(served, 8, "POST", f"/c/{point.token}", body, {
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
        assert [status for status, _body in answers] == [302] * 8
        count = db.session.scalar(select(func.count()).select_from(Checkin).where(
            Checkin.point_id == point.id))
        assert count == 1
    assert {r.merge_count for r in _rows()} == {7}


def _login_over_http(port: int, user) -> str:
    from conftest import PASSWORD

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", "/auth/login", body=urlencode(
        {"username": user.username, "password": PASSWORD}),
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    response.read()
    assert response.status == 302
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    connection.close()
    return cookie


def test_simultaneous_scans_of_one_card_make_one_row(served, make_venue, make_user,
                                                     make_resident):
    venue = make_venue()
    point = venue.points[0]
    resident = make_resident(id_number=AN_ID)
    card = issue_card(resident, make_resident.clerk)
    db.session.commit()
    stations = [_login_over_http(served, make_user(Role.VENUE, venue=venue)) for _ in range(2)]
    barrier_answers = []
    for round_ in range(3):
        if round_:  # the next day's entry: out of the window
            for row in _rows():
                row.checked_in_at = row.checked_in_at.replace(year=row.checked_in_at.year - 1)
            db.session.commit()
        answers = _at_once(served, 6, "POST", f"/scan/{point.id}",
                           json.dumps({"code": card.number, "direction": "entry"}).encode(),
                           {"Content-Type": "application/json",
                            "Cookie": stations[round_ % 2]})
        barrier_answers.append(answers)
        results = [json.loads(body) for status, body in answers]
        assert [status for status, _ in answers] == [200] * 6
        assert sorted(r["status"] for r in results) == ["duplicate"] * 5 + ["recorded"]
        assert len(_rows()) == round_ + 1
    assert {r.source for r in _rows()} == {CheckinSource.CARD_SCAN}


# --- a stranger's phone ---------------------------------------------------------------------

def test_a_strangers_phone_neither_overwrites_nor_learns_about_a_typed_record(
        client, make_venue, make_user):
    venue = make_venue()
    point = venue.points[0]
    clerk = make_user(Role.CLERK)
    typed = declare_on_behalf(point, Declaration(full_name="Lê Văn Cường", id_number=AN_ID,
                                                 address="Thôn Đông"), clerk)
    db.session.commit()
    stranger = client.application.test_client()
    response = stranger.post(f"/c/{point.token}", data=declaration(
        full_name="Kẻ Lạ", id_number=AN_ID, address="Không rõ"))
    page = stranger.get(response.headers["Location"]).get_data(as_text=True)
    assert "đã khai báo tại đây" not in page and "Lê Văn Cường" not in page
    kept, new = _rows()
    assert kept.id == typed.id and kept.full_name == "Lê Văn Cường"
    assert kept.source == CheckinSource.ON_BEHALF and kept.entered_by_id == clerk.id
    assert kept.address == "Thôn Đông" and kept.merge_count == 0
    assert new.source == CheckinSource.SELF_SCAN and new.full_name == "Kẻ Lạ"


def test_a_second_phone_with_the_same_id_number_is_a_visit_of_its_own(client, make_venue):
    point = make_venue().points[0]
    client.post(f"/c/{point.token}", data=declaration(id_number=AN_ID))
    other = client.application.test_client()
    response = other.post(f"/c/{point.token}", data=declaration(
        id_number=AN_ID, full_name="Người Khác", address="Thôn Tây"))
    page = other.get(response.headers["Location"]).get_data(as_text=True)
    assert "đã khai báo tại đây" not in page
    first, second = _rows()
    assert first.full_name == "Nguyễn Văn An" and first.address == "Thôn Đông"
    assert first.merge_count == 0 and second.full_name == "Người Khác"
    assert first.device_hash != second.device_hash
    # The first phone's one-tap page shows only its own record.
    assert "Người Khác" not in client.get(f"/c/{point.token}").get_data(as_text=True)


def test_the_first_page_gives_the_phone_its_cookie(client, make_venue):
    point = make_venue().points[0]
    response = client.get(f"/c/{point.token}")
    cookie = client.get_cookie("registry_device")
    assert response.status_code == 200 and cookie is not None and len(cookie.value) >= 32
    client.post(f"/c/{point.token}", data=declaration())
    assert client.get_cookie("registry_device").value == cookie.value
    [row] = _rows()
    assert row.device_hash is not None


# --- what a visitor types is stored clean and exported as data ------------------------------

def test_control_and_bidi_characters_from_the_public_form_never_reach_a_record_or_export(
        client, auth, make_venue, make_user):
    point = make_venue().points[0]
    response = client.post(f"/c/{point.token}", data=declaration(
        full_name="=HYPERLINK(\"http://evil.example\")\x00 Nguyễn\u202e An",
        address="Thôn\x00 Đông\u2066\x1b", id_number=AN_ID))
    assert response.status_code == 302
    [row] = _rows()
    assert row.full_name == "=HYPERLINK(\"http://evil.example\") Nguyễn An"
    assert row.address == "Thôn Đông"
    staff = client.application.test_client()
    from tests.conftest import AuthActions

    AuthActions(staff).login(make_user(Role.CLERK))
    export = staff.post("/privacy/export", data={"q": AN_ID, "kind": "auto",
                                                 "reference": "Đơn số 12"})
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.data)).active
    name_cell = sheet.cell(row=2, column=5)
    assert name_cell.value == row.full_name
    assert name_cell.data_type == "s" and name_cell.quotePrefix


def test_a_nul_in_a_search_box_is_no_error(client, auth, make_user, make_venue):
    make_venue()
    auth.login(make_user(Role.CLERK))
    for url in ("/venues/?q=tr%00uong", "/residents/?q=a%00b", "/venues/export.xlsx?q=%00"):
        assert client.get(url).status_code == 200, url
