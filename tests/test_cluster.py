"""A province's deployment on one machine: Debian's nginx (the site of deploy/nginx, TLS) in
front of two web servers, two job consumers (both from deploy/systemd, each with its own
instance folder, as on machines of their own), one Redis and PostgreSQL (SQLite when the suite
has no PostgreSQL), walked through nginx with no sticky sessions. Every step that must cross
servers checks, from the servers' access logs, that it did."""
from __future__ import annotations

import http.client
import io
import os
import re
import time
from datetime import timedelta

import pypdf
import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text

from registry import create_app
from registry.extensions import db
from registry.models import (AuditEvent, Checkin, CheckinDailyCount, Job, JobStatus, Role,
                             ScheduledRun, StoredFile, Venue)
from registry.pdf.cards import CARDS_PER_PART
from registry.services.communes import add_village, categories_for_code, create_commune
from registry.services.reports.drafting import create_report, submit_report
from registry.services.residents.register import add_resident
from registry.services.users import create_user
from registry.services.venues import register_venue
from registry.timeutil import local_today, utcnow
from tests.cluster import ROOT, Cluster
from tests.scenes import checkin
from tests.pdfcheck import decode_qr, font_names

POSTGRES_URL = os.environ.get("REGISTRY_TEST_POSTGRES")
PASSWORD = "correct-horse-1"
CARDS = 1200  # three parts of a card job (pdf/cards.CARDS_PER_PART = 500)
VENUE_CSV = ("Tên địa điểm,Loại địa điểm,Địa chỉ,Thôn/Tổ dân phố,Người phụ trách,"
             "Điện thoại,Điểm khai báo,Ghi chú\n"
             "Quán phở Hùng,Hộ kinh doanh,Số 5,,Nguyễn Văn Hùng,0912345678,Cửa,\n"
             "Tiệm tạp hóa Lan,Hộ kinh doanh,Số 9,,Trần Thị Lan,0987654321,Cửa,\n")


def _database(work) -> str:
    """A schema of its own in the test database (dropped and made anew), or a SQLite file."""
    if not POSTGRES_URL:
        return f"sqlite:///{work / 'cluster.sqlite'}"
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS cluster CASCADE"))
        conn.execute(text("CREATE SCHEMA cluster"))
    engine.dispose()
    return POSTGRES_URL + ("&" if "?" in POSTGRES_URL else "?") + "options=-csearch_path%3Dcluster"


def _seed(url: str) -> dict:
    """The schema from the migrations (as `flask db upgrade` makes it), a commune with its
    staff, 300 residents without cards, a venue, a submitted report and check-ins past the
    retention period."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "seed"})
    with app.app_context():
        try:
            upgrade()
            return {**_seed_commune(), "app": app}
        finally:
            db.session.remove()
            db.engine.dispose()


def _seed_commune() -> dict:
    commune = create_commune(15664)
    commune.chairman_name = "Lê Văn Tiến"
    village = add_village(commune, "Thôn Đông")
    clerk = create_user(commune.id, username="thuy", full_name="Nguyễn Thị Thúy",
                        role=Role.CLERK, password=PASSWORD)
    create_user(commune.id, username="tien", full_name="Lê Văn Tiến", role=Role.CHAIRMAN,
                password=PASSWORD)
    market = register_venue(commune.id, clerk, point_names=["Cổng chính"], name="Chợ Nưa",
                            category_id=categories_for_code(commune.id)["market"].id,
                            address=None, village_id=None, manager_name=None,
                            manager_phone=None, notes=None)
    for i in range(CARDS):
        add_resident(commune.id, clerk, full_name=f"Cư Dân Số {i:03d}", birth_year=1980,
                     sex="male", village_id=village.id, phone=None, id_number=None,
                     address=None)
    for hour in (8, 9, 10):
        checkin(market, "self_scan", local_today() - timedelta(days=40), hour=hour)
    report = create_report(commune, clerk, period_start=local_today() - timedelta(days=30),
                           period_end=local_today(), signer_kind="chairman", smartphones=1200,
                           app_installs=300)
    submit_report(report, clerk)
    db.session.commit()
    return {"token": market.points[0].token, "report_id": report.id}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    work = tmp_path_factory.mktemp("cluster")
    url = _database(work)
    seeded = _seed(url)
    site = Cluster(work, url, settings={
        # Short budgets, to see them refuse; every minute a slot of the nightly purge.
        "PUBLIC_RATE_LIMIT": "4 per minute", "PUBLIC_ADDRESS_RATE_LIMIT": "200 per minute",
        "PURGE_SCHEDULE": "* * * * *",
    })
    try:
        site.start()
        yield site, seeded
    finally:
        site.stop()
        with seeded["app"].app_context():
            db.engine.dispose()
        if POSTGRES_URL:
            engine = create_engine(POSTGRES_URL)
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS cluster CASCADE"))
            engine.dispose()


def _other(name: str) -> str:
    return {"web-a": "web-b", "web-b": "web-a"}[name]


def _next_on(site, browser, wanted: str, last: str) -> None:
    """nginx hands requests to the servers in turn: make the next one go to `wanted`."""
    if last == wanted:
        filler = browser.get("/healthz")
        assert site.served_by(filler) == _other(wanted)


def _login(site, username: str, address: str = "127.0.0.1"):
    browser = site.browser(address)
    page = browser.get("/auth/login")
    answer = browser.post("/auth/login", {"username": username, "password": PASSWORD,
                                          "csrf_token": browser.csrf_token(page)})
    assert answer.status == 302, answer.text[:500]
    return browser, site.served_by(answer)


def test_a_session_begun_on_one_server_goes_on_on_the_other(cluster):
    site, _seeded = cluster
    browser, _server = _login(site, "thuy", "127.0.0.2")
    servers = set()
    for _ in range(2):
        page = browser.get("/venues/")
        assert page.status == 200 and "Chợ Nưa" in page.text
        servers.add(site.served_by(page))
    assert servers == {"web-a", "web-b"}
    assert "max-age=31536000" in page.headers["strict-transport-security"]  # production
    # Plain HTTP only leads to HTTPS.
    connection = http.client.HTTPConnection("127.0.0.1", site.http_port, timeout=10)
    connection.request("GET", "/c/abc", headers={"Host": "localhost"})
    moved = connection.getresponse()
    assert moved.status == 301 and moved.getheader("Location") == "https://localhost/c/abc"
    connection.close()


def test_static_files_come_from_nginx_and_big_uploads_stop_there(cluster):
    site, _seeded = cluster
    browser, _server = _login(site, "thuy", "127.0.0.3")
    css = browser.get("/static/css/site.css")
    assert css.status == 200 and css.body == (ROOT / "registry/static/css/site.css").read_bytes()
    assert css.headers["content-type"].startswith("text/css") and "expires" in css.headers
    assert site.served_by(css, seconds=2) is None  # no web server saw it
    page = browser.get("/venues/import")
    too_big = browser.post("/venues/import", {"csrf_token": browser.csrf_token(page)},
                           files={"file": ("dia-diem.csv", b"x" * (8 * 1024 * 1024 + 1))})
    assert too_big.status == 413 and site.served_by(too_big, seconds=2) is None


def test_an_import_previewed_on_one_server_is_confirmed_on_the_other(cluster):
    site, seeded = cluster
    browser, _server = _login(site, "thuy", "127.0.0.4")
    page = browser.get("/venues/import")
    preview = browser.post("/venues/import", {"csrf_token": browser.csrf_token(page)},
                           files={"file": ("dia-diem.csv", VENUE_CSV.encode())})
    assert preview.status == 200 and "Quán phở Hùng" in preview.text
    previewed_on = site.served_by(preview)
    token = re.search(r'name="token" value="([^"]+)"', preview.text).group(1)
    _next_on(site, browser, _other(previewed_on), previewed_on)
    confirm = browser.post("/venues/import/confirm", {"csrf_token": browser.csrf_token(preview),
                                                      "token": token})
    assert confirm.status == 302, confirm.text[:300]
    assert site.served_by(confirm) == _other(previewed_on)
    listing = browser.get("/venues/")
    assert "Quán phở Hùng" in listing.text and "Tiệm tạp hóa Lan" in listing.text
    with seeded["app"].app_context():
        assert db.session.scalar(select(func.count()).select_from(Venue)) == 3
        assert db.session.scalar(select(func.count()).select_from(StoredFile).where(
            StoredFile.key.like("uploads/%"))) == 0  # used up
        db.session.remove()


def test_cards_queued_on_one_server_are_printed_by_the_consumers_and_downloaded_on_the_other(
        cluster):
    site, seeded = cluster
    browser, _server = _login(site, "thuy", "127.0.0.5")
    page = browser.get("/residents/print")
    queued = browser.post("/residents/print", {"csrf_token": browser.csrf_token(page),
                                               "scope": "without"})
    assert queued.status == 302 and "/jobs/" in queued.headers["location"]
    queued_on = site.served_by(queued)
    job_path = "/jobs/" + queued.headers["location"].rsplit("/jobs/", 1)[1]
    deadline = time.monotonic() + 300
    while True:
        state = browser.get(job_path + "/progress")
        status = re.search(r'"status":\s*"(\w+)"', state.text).group(1)
        if status in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status == "done", state.text
    served = site.served_by(state)
    _next_on(site, browser, _other(queued_on), served)
    download = browser.get(job_path + "/download")
    assert download.status == 200 and site.served_by(download) == _other(queued_on)
    assert download.headers["content-type"] == "application/pdf"
    assert int(download.headers["content-length"]) == len(download.body)
    pdf = pypdf.PdfReader(io.BytesIO(download.body))
    assert len(pdf.pages) == CARDS // 10  # ten cards a sheet
    codes = decode_qr(download.body, page=len(pdf.pages) - 1)
    assert len(codes) == 10 and all("/the/" in c["text"] for c in codes)
    # The bundled face, from the consumers' forked workers too (their app is built, and its
    # print stylesheets' fonts registered, before the fork).
    assert font_names(download.body) == {"Card-Sans", "Card-Sans-Bold"}
    # The parts were rendered by the consumers' worker processes (whichever took them), and
    # only the finished file is kept, in the database every server reads.
    parts = sum(log.count("Executing registry.worker.run_part_task")
                for log in site.consumer_log_texts())
    assert parts == 3 == -(-CARDS // CARDS_PER_PART)
    with seeded["app"].app_context():
        job = db.session.scalar(select(Job))
        assert job.status == JobStatus.DONE and job.parts_total == 3
        keys = db.session.scalars(select(StoredFile.key).where(
            StoredFile.key.like("jobs/%"))).all()
        assert keys == [f"jobs/{job.id}/the-kiem-soat.pdf"]
        db.session.remove()
    for name in ("web-a", "web-b"):
        assert not (site.work / name / "jobs").exists()  # nothing on a web server's disk


def test_the_public_limit_is_counted_once_across_both_servers(cluster):
    site, seeded = cluster
    phone = site.browser("127.0.0.7")
    answers = [phone.get(f"/c/{seeded['token']}") for _ in range(6)]
    # Its first page gives the phone its cookie (counted for the address); then 4 a minute.
    assert [a.status for a in answers] == [200] * 5 + [429]
    assert {site.served_by(a) for a in answers} == {"web-a", "web-b"}
    # Counted per server, 4 a minute on each would have let 8 pages through.


def test_a_report_signed_on_one_server_is_verified_on_the_other(cluster):
    site, seeded = cluster
    chairman, _server = _login(site, "tien", "127.0.0.8")
    detail = chairman.get(f"/reports/{seeded['report_id']}")
    assert detail.status == 200
    # Signing off asks first: the first post answers with what will happen, the second signs.
    asked = chairman.post(f"/reports/{seeded['report_id']}/sign",
                          {"csrf_token": chairman.csrf_token(detail)})
    assert asked.status == 200 and 'name="confirmed"' in asked.text
    signed = chairman.post(f"/reports/{seeded['report_id']}/sign",
                           {"csrf_token": chairman.csrf_token(asked), "confirmed": "1"})
    assert signed.status == 302
    signed_on = site.served_by(signed)
    pdf = chairman.get(f"/reports/{seeded['report_id']}/report.pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    pages = len(pypdf.PdfReader(io.BytesIO(pdf.body)).pages)
    [code] = decode_qr(pdf.body, page=pages - 1, dpi=200)
    assert code["text"].startswith(site.browser().origin + "/verify/")
    verify_path = code["text"][len(site.browser().origin):]
    visitor = site.browser("127.0.0.9")
    form = visitor.get(verify_path)
    _next_on(site, visitor, _other(signed_on), site.served_by(form))
    checked = visitor.post(verify_path, {"csrf_token": visitor.csrf_token(form)},
                           files={"file": ("bc.pdf", pdf.body)})
    assert site.served_by(checked) == _other(signed_on)
    assert checked.status == 200 and "Tệp PDF này đúng là văn bản đang lưu." in checked.text


def test_the_nightly_purge_runs_once_per_slot_with_two_consumers(cluster):
    """Both consumers' schedulers queue the purge every minute (PURGE_SCHEDULE); for a slot
    both took up, one ran it and the other skipped it, and the commune was purged once."""
    site, seeded = cluster
    decisions = re.compile(r"periodic daily_purge slot (\S+): (running|skipped)")
    enqueued = re.compile(r"^\[([\d-]+ [\d]+:[\d]+):.*Enqueueing periodic task "
                          r"registry\.worker\.daily_purge", re.MULTILINE)

    def contested_slots() -> set[str]:
        """Minutes in which both schedulers queued the purge and, of the two runs, one ran it
        and the other skipped it (any worker process of either consumer may take either)."""
        logs = site.consumer_log_texts()
        both = set(enqueued.findall(logs[0])) & set(enqueued.findall(logs[1]))
        found: dict[str, list[str]] = {}
        for log in logs:
            for slot, what in decisions.findall(log):
                found.setdefault(slot, []).append(what)
        return {slot for slot, whats in found.items()
                if sorted(whats) == ["running", "skipped"]
                and slot[:16].replace("T", " ") in both}

    deadline = time.monotonic() + 150
    while not contested_slots() and time.monotonic() < deadline:
        time.sleep(1)
    assert contested_slots(), site.consumer_log_texts()
    with seeded["app"].app_context():
        # A slot's claim, its purge and its end are three commits: read when none is between.
        for _ in range(40):
            runs = db.session.scalars(select(ScheduledRun).where(
                ScheduledRun.task == "daily_purge")).all()
            purges = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "purge"))
            if all(run.finished_at for run in runs) and purges == len(runs):
                break
            db.session.rollback()
            time.sleep(0.5)
        ran = {slot for log in site.consumer_log_texts()
               for slot, what in decisions.findall(log) if what == "running"}
        # One purge of the one commune per slot, run by whichever consumer claimed it.
        assert purges == len(runs) == len(ran) >= 1
        assert {run.slot.isoformat() for run in runs} == ran
        # The three old check-ins went, kept as counts once (not twice).
        assert db.session.scalar(select(func.count()).select_from(Checkin).where(
            Checkin.checked_in_at < utcnow() - timedelta(days=30))) == 0
        assert db.session.scalar(select(func.sum(CheckinDailyCount.count)).where(
            CheckinDailyCount.day == local_today() - timedelta(days=40))) == 3
        db.session.remove()
