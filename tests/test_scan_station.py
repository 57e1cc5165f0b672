"""The scan station that survives the network: scans with their own id and time, uploaded late
and recorded once however often they are sent; device clocks running ahead; the answers a venue
manager reads (colours, name with birth year and village, local times); and, in Chromium, the
station taken offline, reloaded from its service worker, and back online."""
from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import Checkin, OfflineScan, Role, TimePrecision
from registry.services.residents.cards import card_url, issue_card
from registry.timeutil import to_local, utcnow
from tests.scenes import village_named


def millis(value: datetime) -> int:
    """A naive UTC time as a browser's Date.now()."""
    return int(value.replace(tzinfo=timezone.utc).timestamp() * 1000)


def scan(code, at, direction="entry", scan_id=None):
    return {"id": scan_id or str(uuid.uuid4()), "code": code, "direction": direction,
            "at": millis(at)}


def _count(model=Checkin) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def station(client, auth, commune, make_venue, make_user, make_resident):
    venue = make_venue(name="Trường Tiểu học Triệu Sơn")
    user = make_user(Role.VENUE, venue=venue)
    an = make_resident(full_name="Nguyễn Văn An", birth_year=1980)
    namesake = make_resident(full_name="Nguyễn Văn An", birth_year=1992,
                             village_id=village_named(commune, "Thôn Tây").id)
    binh = make_resident(full_name="Trần Thị Bình", sex="female", birth_year=1975)
    cards = {name: issue_card(r, make_resident.clerk) for name, r in
             (("an", an), ("namesake", namesake), ("binh", binh))}
    revoked = issue_card(make_resident(full_name="Lê Văn Cũ"), make_resident.clerk)
    issue_card(revoked.resident, make_resident.clerk)  # reissued: the first card is revoked
    db.session.commit()
    auth.login(user)
    return {"url": f"/scan/{venue.points[0].id}", "cards": cards, "revoked": revoked,
            "user": user, "venue": venue}


def test_an_offline_batch_is_recorded_once_at_its_own_times(client, station):
    now = utcnow()
    an, binh = station["cards"]["an"], station["cards"]["binh"]
    batch = [scan(card_url(an), now - timedelta(minutes=50)),
             scan("999999", now - timedelta(minutes=45)),
             scan(card_url(station["revoked"]), now - timedelta(minutes=44)),
             scan(binh.number, now - timedelta(minutes=40)),
             scan(card_url(an), now - timedelta(minutes=20), direction="exit")]
    first = client.post(station["url"] + "/upload", json={"scans": batch}).get_json()
    statuses = [r["status"] for r in first["results"]]
    assert statuses == ["recorded", "unknown", "revoked", "recorded", "exit"]
    assert [r["id"] for r in first["results"]] == [s["id"] for s in batch]
    assert all(r["late"] for r in first["results"])
    assert not first["results"][1]["ok"] and "Thẻ không có trong danh sách" in \
        first["results"][1]["message"]
    rows = db.session.scalars(select(Checkin).order_by(Checkin.id)).all()
    assert [r.full_name for r in rows] == ["Nguyễn Văn An", "Trần Thị Bình"]
    by_name = {r.full_name: r for r in rows}
    # Recorded at the scan's own time (to the millisecond the station sent), marked as late.
    assert abs(by_name["Nguyễn Văn An"].checked_in_at - (now - timedelta(minutes=50))) \
        < timedelta(milliseconds=2)
    assert by_name["Nguyễn Văn An"].offline_scan_id == batch[0]["id"]
    assert by_name["Nguyễn Văn An"].sent_late and by_name["Nguyễn Văn An"].created_at >= now
    assert abs(by_name["Nguyễn Văn An"].checked_out_at - (now - timedelta(minutes=20))) \
        < timedelta(milliseconds=2)
    assert by_name["Trần Thị Bình"].checked_out_at is None
    # The same batch again (the answer was lost on the way back): nothing recorded twice, the
    # same answers, the exit not refused for want of an open visit.
    again = client.post(station["url"] + "/upload", json={"scans": batch}).get_json()
    assert [r["status"] for r in again["results"]] == statuses
    assert all(r["already_received"] for r in again["results"])
    assert again["results"][0]["name"] == "Nguyễn Văn An" and again["results"][0]["at"]
    assert _count() == 2 and _count(OfflineScan) == 5
    assert db.session.scalar(select(func.sum(Checkin.merge_count))) == 0
    # A scan sent late inside the merge window of an earlier one is a repeat, not a new visit.
    repeat = client.post(station["url"] + "/upload", json={"scans": [
        scan(binh.number, now - timedelta(minutes=35))]}).get_json()["results"][0]
    assert repeat["status"] == "duplicate" and repeat["kind"] == "repeat"
    assert _count() == 2


def test_a_visit_that_began_before_midnight_ends_after_it(app, station):
    """A night market: in at 23:40, out at 00:10 the next (local) day, sent late by the
    station; the exit closes that visit, whatever the hour the test runs at."""
    from registry.services.residents.scan import scan_card
    from registry.timeutil import local_to_utc, local_today

    point = station["venue"].points[0]
    card = station["cards"]["an"]
    evening = local_to_utc(datetime.combine(local_today() - timedelta(days=2),
                                            datetime.min.time()) + timedelta(hours=23, minutes=40))
    entry = scan_card(point, card.number, direction="entry", user=station["user"], at=evening)
    leaving = scan_card(point, card.number, direction="exit", user=station["user"],
                        at=evening + timedelta(minutes=30))
    db.session.commit()
    assert (entry.status, leaving.status) == ("recorded", "exit")
    [row] = db.session.scalars(select(Checkin)).all()
    assert to_local(row.checked_out_at).strftime("%H:%M") == "00:10"


def test_two_uploads_of_one_batch_at_the_same_moment_record_once(app, station):
    """Two requests race with the same scans (a retry while the first try is still running):
    the unique id lets one of them record, the other answers from what the first stored."""
    from tests.conftest import AuthActions

    now = utcnow()
    batch = [scan(card_url(station["cards"]["an"]), now - timedelta(minutes=30)),
             scan(station["cards"]["binh"].number, now - timedelta(minutes=29))]
    clients = [app.test_client() for _ in range(2)]
    for one in clients:
        AuthActions(one).login(station["user"])
    barrier = threading.Barrier(2)
    answers = [None, None]

    def upload(index):
        barrier.wait()
        answers[index] = clients[index].post(station["url"] + "/upload", json={"scans": batch})

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [a.status_code for a in answers] == [200, 200]
    for answer in answers:
        assert [r["status"] for r in answer.get_json()["results"]] == ["recorded", "recorded"]
    assert _count() == 2 and _count(OfflineScan) == 2


def test_a_live_scan_sent_twice_is_recorded_once(client, station):
    card = station["cards"]["binh"]
    live = {**scan(card_url(card), utcnow() - timedelta(hours=3)), "live": True}
    first = client.post(station["url"], json=live).get_json()
    # A live scan takes the server's time whatever the device's clock says, and is not late.
    assert first["status"] == "recorded" and not first["late"]
    row = db.session.scalars(select(Checkin)).one()
    assert utcnow() - row.checked_in_at < timedelta(minutes=1) and row.offline_scan_id is None
    # The answer never arrived: the station keeps the scan and sends it again later.
    retry = client.post(station["url"] + "/upload", json={"scans": [live]}).get_json()
    assert retry["results"][0]["status"] == "recorded" and retry["results"][0]["already_received"]
    assert client.post(station["url"], json=live).get_json()["already_received"]
    assert _count() == 1


def test_a_device_clock_ahead_is_not_trusted(client, station):
    card = station["cards"]["an"]
    ahead = scan(card_url(card), utcnow() + timedelta(hours=1))
    answer = client.post(station["url"] + "/upload", json={"scans": [ahead]}).get_json()
    result = answer["results"][0]
    assert result["status"] == "recorded"
    assert "Đồng hồ của máy quét chạy nhanh 59 phút" in result["warning"] or \
        "Đồng hồ của máy quét chạy nhanh 60 phút" in result["warning"]
    row = db.session.scalars(select(Checkin)).one()
    assert row.time_precision == TimePrecision.APPROXIMATE
    assert abs(row.checked_in_at - utcnow()) < timedelta(minutes=1)
    # A few minutes ahead is within the tolerance: taken as the time it arrived, exact.
    slight = scan(station["cards"]["binh"].number, utcnow() + timedelta(minutes=3))
    client.post(station["url"] + "/upload", json={"scans": [slight]})
    binh = db.session.scalars(select(Checkin).where(Checkin.full_name == "Trần Thị Bình")).one()
    assert binh.time_precision == TimePrecision.EXACT and binh.checked_in_at <= utcnow()
    # Older than the retention period: refused, and said so.
    old = scan(station["cards"]["binh"].number, utcnow() - timedelta(days=40))
    refused = client.post(station["url"] + "/upload", json={"scans": [old]}).get_json()
    assert refused["results"][0]["status"] == "too_old" and not refused["results"][0]["ok"]
    # Rubbish is refused without a 500, and nothing is recorded for it.
    bad = client.post(station["url"] + "/upload", json={"scans": [{"id": "x"}, "y", None]})
    assert bad.status_code == 200 and {r["status"] for r in bad.get_json()["results"]} == {
        "invalid"}
    assert client.post(station["url"] + "/upload", json={"scans": "no"}).status_code == 400
    assert client.post(station["url"], json={"id": "not-a-uuid", "code": "1"}).status_code == 400
    assert _count() == 2


def test_the_manager_reads_colour_name_birth_year_village_and_local_time(client, station):
    an, namesake = station["cards"]["an"], station["cards"]["namesake"]
    first = client.post(station["url"], json={"code": card_url(an)}).get_json()
    other = client.post(station["url"], json={"code": card_url(namesake)}).get_json()
    # Namesakes told apart by birth year and village.
    assert (first["name"], first["birth_year"], first["village"]) == ("Nguyễn Văn An", 1980,
                                                                      "Thôn Đông")
    assert (other["name"], other["birth_year"], other["village"]) == ("Nguyễn Văn An", 1992,
                                                                      "Thôn Tây")
    repeat = client.post(station["url"], json={"code": an.number}).get_json()
    assert first["kind"] == "ok" and repeat["kind"] == "repeat" and repeat["ok"]
    # "đã ghi lúc 07:42": the first arrival's time, in the server's local time.
    row = db.session.scalars(select(Checkin).where(Checkin.card_id == an.id)).one()
    local = to_local(row.checked_in_at).strftime("%H:%M")
    assert repeat["message"] == f"Đã ghi lúc {local}, không tính lại." and repeat["at"] == local
    page = client.get(station["url"]).get_data(as_text=True)
    assert 'data-zone="Asia/Ho_Chi_Minh"' in page
    exit_ = client.post(station["url"], json={"code": an.number, "direction": "exit"}).get_json()
    assert exit_["kind"] == "exit"
    refused = client.post(station["url"], json={"code": card_url(station["revoked"])}).get_json()
    assert refused["kind"] == "bad" and refused["birth_year"] == 1980


def test_stored_scans_are_purged_with_the_rest(client, commune, station):
    from registry.services.retention import purge_commune

    old = scan(station["cards"]["an"].number, utcnow() - timedelta(days=2))
    client.post(station["url"] + "/upload", json={"scans": [old]})
    row = db.session.scalars(select(OfflineScan)).one()
    row.received_at = utcnow() - timedelta(days=commune.retention_days + 1)
    db.session.commit()
    result = purge_commune(commune)
    assert result.hook_counts["purge_offline_scans"] == 1 and _count(OfflineScan) == 0


def test_the_service_worker_and_session_endpoints(client, station):
    worker = client.get("/scan/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert "caches" in worker.get_data(as_text=True)
    assert worker.headers["Cache-Control"] == "no-cache"
    session = client.get(station["url"] + "/session")
    data = session.get_json()
    assert data["csrf_token"] and session.headers["Cache-Control"] == "no-store"
    assert abs(data["server_clock"] - millis(utcnow())) < 60_000


# --- in Chromium ---------------------------------------------------------------------------

class SwitchableServer:
    """The app served over HTTP from a thread, that can be stopped and started again on the same
    port: a network that really goes down for the page and for its service worker."""

    def __init__(self, app, port):
        self.app, self.port, self.server, self.thread = app, port, None, None

    def start(self):
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def switchable_server(live_server):
    """The live server's app, on a port of its own this test can take down and bring back."""
    from tests.conftest import _free_port

    app, _base = live_server
    server = SwitchableServer(app, _free_port())
    server.start()
    try:
        yield app, f"http://127.0.0.1:{server.port}", server
    finally:
        if server.server is not None:
            try:
                server.stop()
            except Exception:  # already stopped
                pass


@pytest.mark.browser
def test_the_station_keeps_counting_offline_in_chromium(switchable_server, chromium, tmp_path):
    from registry.services.communes import add_village, categories_for_code, create_commune
    from registry.services.residents.register import add_resident
    from registry.services.users import create_user
    from registry.services.venues import register_venue

    app, base, server = switchable_server
    with app.app_context():
        commune = create_commune(15664, hotline="+842373868123")
        village = add_village(commune, "Thôn Đông")
        admin = create_user(commune.id, username="admin", full_name="Quản trị",
                            role=Role.ADMIN, password="correct-horse-1")
        venue = register_venue(commune.id, admin, point_names=["Cổng trường"],
                               name="Trường Tiểu học Triệu Sơn", category_id=categories_for_code(
                                   commune.id)["school"].id, address=None, village_id=None,
                               manager_name="An", manager_phone="+84912345678", notes=None)
        create_user(commune.id, username="cong", full_name="Bảo vệ", role=Role.VENUE,
                    password="correct-horse-1", venue_id=venue.id)
        codes = []
        for name, year in (("Phan Thị Ánh", 1970), ("Đỗ Văn Bảo", 1965)):
            resident = add_resident(commune.id, admin, full_name=name, birth_year=year,
                                    sex="female", village_id=village.id)
            codes.append(card_url(issue_card(resident, admin)))
        point_id = venue.points[0].id
        db.session.commit()
    context = chromium.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN",
                                   service_workers="allow")
    page = context.new_page()
    page.set_default_timeout(15000)
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        page.goto(f"{base}/auth/login")
        page.fill("#username", "cong")
        page.fill("#password", "correct-horse-1")
        page.click("button.primary")
        page.goto(f"{base}/scan/{point_id}")
        # The service worker takes the page over and keeps a copy of it.
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        page.reload()
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        page.wait_for_function(
            "async () => (await (await caches.open('scan-station-v1')).keys()).length >= 4")

        # The network drops: three cards are scanned (one unknown), kept on the device.
        context.set_offline(True)
        page.wait_for_selector("#scan-network.offline")
        for code in (codes[0], "999999", codes[1]):
            page.keyboard.type(code)
            page.keyboard.press("Enter")
            page.wait_for_selector("#scan-result.stored")
        page.wait_for_selector("#scan-pending-count:has-text('3 lượt quét đang lưu trên máy')")
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Checkin)) == 0
        kept = page.evaluate(f"localStorage.getItem('registry-scan-queue:{point_id}')")
        batch = json.loads(kept)
        assert [s["code"] for s in batch] == [codes[0], "999999", codes[1]]
        assert len({s["id"] for s in batch}) == 3

        # The page itself opens without a network (the server is down, for the worker too).
        server.stop()
        page.reload()
        page.wait_for_selector("#scan-pending-count:has-text('3 lượt quét đang lưu trên máy')")
        assert "Trường Tiểu học Triệu Sơn" in page.inner_text("h1")
        page.screenshot(path=str(tmp_path / "station-offline.png"), full_page=True)

        # Back online: the kept scans go in order, once each; the unknown card is listed.
        server.start()
        context.set_offline(False)
        page.wait_for_selector("#scan-pending", state="hidden")
        page.wait_for_selector("#scan-rejected-list li")
        assert "Thẻ không có trong danh sách" in page.inner_text("#scan-rejected")
        assert "Đã gửi 3 lượt quét lưu trên máy." in page.inner_text("#scan-result")
        page.screenshot(path=str(tmp_path / "station-back-online.png"), full_page=True)
        with app.app_context():
            rows = db.session.scalars(select(Checkin).order_by(Checkin.id)).all()
            assert [r.full_name for r in rows] == ["Phan Thị Ánh", "Đỗ Văn Bảo"]
            assert [r.offline_scan_id for r in rows] == [batch[0]["id"], batch[2]["id"]]
            assert all(r.sent_late and r.created_at > r.checked_in_at for r in rows)
            for row, sent in zip(rows, (batch[0], batch[2])):
                assert abs(millis(row.checked_in_at) - sent["at"]) < 2
        # The same batch uploaded twice at once (a retry racing the first try): recorded once.
        answers = page.evaluate("""async ([url, session, batch]) => {
            const token = (await (await fetch(session)).json()).csrf_token;
            const send = () => fetch(url, {method: "POST", credentials: "same-origin",
                headers: {"Content-Type": "application/json", "X-CSRFToken": token},
                body: JSON.stringify({scans: batch})}).then(r => r.json());
            return Promise.all([send(), send()]);
        }""", [f"{base}/scan/{point_id}/upload", f"{base}/scan/{point_id}/session", batch])
        for answer in answers:
            assert [r["status"] for r in answer["results"]] == ["recorded", "unknown",
                                                                "recorded"]
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Checkin)) == 2
            assert db.session.scalar(select(func.count()).select_from(OfflineScan)) == 3
        # The list of refused scans is cleared once seen.
        page.click("#scan-rejected-clear")
        page.wait_for_selector("#scan-rejected", state="hidden")
    finally:
        context.close()
    assert not problems, problems
