"""A province on one deployment: 100 communes, 10,000,000 check-ins on PostgreSQL, served by
nginx in front of two web servers (tests/cluster.py: the files of deploy/ as shipped).

    REGISTRY_TEST_POSTGRES=postgresql+psycopg://... \\
        .venv/bin/python -m bench.bench_province [--communes 100] [--checkins 10000000]

The same run measures one commune's pages twice: first with only that commune in the database
(its share of the check-ins, 100,000 by default: the one-commune deployment), then after the
other communes and their check-ins are added. Each page (the dashboard, the coverage page, a
tracing search by phone and by name) is asked for `--repeat` times by a logged-in user; the
figures are the median and 90th percentile seen by the client through nginx (TLS included)
and the median time the web server spent (its access log). The check-in POST rate is complete
declarations (own phone each, never merged) sent for `--duration` seconds by `--clients`
phones at once to the commune's posters. Scoping by commune holds when every page stays within
2x of its one-commune figure.

Check-ins are written by PostgreSQL itself (generate_series), the other communes' with the
table's indexes and foreign keys dropped and made again afterwards, then VACUUM ANALYZE (as
autovacuum would), and the closed days rolled up into the daily tallies as the consumer's
hourly task does. The schema `province` of the database is dropped and made anew.
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from registry import create_app
from registry.extensions import db
from registry.models import Role
from registry.services.communes import categories_for_code, create_commune
from registry.services import tallies
from registry.services.tracing import cases
from registry.services.users import create_user
from registry.services.venues import register_venue
from registry.text import fold
from registry.timeutil import local_today
from tests.cluster import Browser, Cluster

PASSWORD = "correct-horse-1"
SCHEMA = "province"
FIRST_COMMUNE = 15664  # Xã Triệu Sơn, Thanh Hóa; the others are the next units of its province
VENUES = 50  # per commune, two check-in points each
PEOPLE = 2000  # per commune: who checks in there (own phones and ID numbers)
DAYS = 20  # check-ins spread over the last 20 days (inside the 21-day retention)
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Bùi", "Đặng", "Ngô", "Dương",
            "Lý")
MIDDLE = ("Văn", "Thị", "Minh", "Quang", "Hữu", "Thanh", "Ngọc", "Đức")
GIVEN = ("An", "Bình", "Cường", "Dung", "Đức", "Hà", "Huy", "Lan", "Long", "Mai", "Nam", "Oanh",
         "Phúc", "Quyên", "Sơn", "Tâm", "Uyên", "Vinh", "Xuân", "Yến")
NAMES = [f"{s} {m} {g}" for s in SURNAMES for m in MIDDLE for g in GIVEN]

# Person p of commune c: one name, phone and ID number, the same in every check-in of theirs.
CHECKINS_SQL = """
INSERT INTO checkins (commune_id, venue_id, point_id, source, checked_in_at, checked_out_at,
    time_precision, full_name, search_name, id_number, birth_year, sex, nationality, address,
    phone, answers, has_symptoms, created_at, merge_count)
SELECT p.commune_id, p.venue_id, p.point_id,
    (ARRAY['self_scan', 'card_scan', 'paper', 'on_behalf'])[1 + g % 4],
    r.at,
    CASE WHEN g % 3 = 0 THEN NULL ELSE r.at + make_interval(mins => 5 + g % 85) END,
    CASE WHEN g % 12 = 2 THEN 'approximate' ELSE 'exact' END,
    (CAST(:names AS text[]))[1 + (r.person * 37 + p.commune_id * 11) % :name_count],
    (CAST(:folded AS text[]))[1 + (r.person * 37 + p.commune_id * 11) % :name_count],
    CASE WHEN g % 2 = 1 THEN '0381' || lpad(p.commune_id::text, 3, '0')
                             || lpad(r.person::text, 5, '0') END,
    1950 + r.person % 55,
    CASE WHEN r.person % 2 = 0 THEN 'male' ELSE 'female' END,
    'Việt Nam', 'Thôn ' || (1 + r.person % 12),
    '+849' || lpad(p.commune_id::text, 3, '0') || lpad(r.person::text, 5, '0'),
    '{}'::json, false, r.at, 0
FROM bench_communes c
CROSS JOIN generate_series(1, :per_commune) AS g
CROSS JOIN LATERAL (
    SELECT floor(random() * :people)::int + 0 * g AS person,
           (now() AT TIME ZONE 'utc') - random() * make_interval(days => :days) - 0 * g
               * interval '1 second' AS at
) AS r
JOIN bench_points p ON p.commune_id = c.id AND p.k = (g * 7919 + c.id) % :point_count
"""


def _database_url() -> str:
    base = os.environ.get("REGISTRY_BENCH_POSTGRES") or os.environ.get("REGISTRY_TEST_POSTGRES")
    if not base:
        raise SystemExit("set REGISTRY_TEST_POSTGRES (or REGISTRY_BENCH_POSTGRES)")
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    engine.dispose()
    return base + ("&" if "?" in base else "?") + f"options=-csearch_path%3D{SCHEMA}"


def _unit_codes(count: int) -> list[int]:
    from vietnam_provinces import Ward

    province = Ward.from_code(FIRST_COMMUNE).province_code
    codes = [int(w.code) for w in Ward.iter_all() if w.province_code == province]
    codes.remove(FIRST_COMMUNE)
    return [FIRST_COMMUNE] + codes[:count - 1]


class _System:
    id = None


def _add_communes(codes: list[int]) -> list[int]:
    """Communes with their venues (two points each) and, for the first, its staff and a
    tracing case; the points numbered per commune for the check-in generator."""
    ids = []
    for code in codes:
        commune = create_commune(code)
        market = categories_for_code(commune.id)["market"].id
        for n in range(VENUES):
            register_venue(commune.id, _System(), point_names=["Cổng chính", "Cổng phụ"],
                           name=f"Địa điểm {n:02d}", category_id=market, address=None,
                           village_id=None, manager_name=None, manager_phone=None, notes=None)
        ids.append(commune.id)
    db.session.commit()
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS bench_points (commune_id int, k int, "
                          "venue_id int, point_id int)"))
        conn.execute(text("CREATE TABLE IF NOT EXISTS bench_communes (id int primary key)"))
        conn.execute(text("INSERT INTO bench_points SELECT v.commune_id, (row_number() OVER "
                          "(PARTITION BY v.commune_id ORDER BY p.id)) - 1, v.id, p.id "
                          "FROM checkin_points p JOIN venues v ON v.id = p.venue_id "
                          "WHERE v.commune_id = ANY(:ids)"), {"ids": ids})
    return ids


def _staff(commune_id: int) -> None:
    for username, role in (("canbo", Role.CLERK), ("yte", Role.TRACER)):
        create_user(commune_id, username=username, full_name=f"Người dùng {username}",
                    role=role, password=PASSWORD)
    cases.create_case(commune_id, None, index_label="BN 1",
                      index_date=local_today() - timedelta(days=5), index_date_kind="onset",
                      notes=None)
    db.session.commit()


def _write_checkins(commune_ids: list[int], per_commune: int, rebuild_indexes: bool) -> float:
    """Check-ins for these communes, written by PostgreSQL; returns the seconds it took."""
    started = time.perf_counter()
    with db.engine.begin() as conn:
        conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        conn.execute(text("SET LOCAL synchronous_commit = off"))
        conn.execute(text("DELETE FROM bench_communes"))
        conn.execute(text("INSERT INTO bench_communes SELECT unnest(CAST(:ids AS int[]))"),
                     {"ids": commune_ids})
        indexes, foreign_keys = [], []
        if rebuild_indexes:
            indexes = [row[0] for row in conn.execute(text(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND "
                "tablename = 'checkins' AND indexname NOT IN (SELECT conname FROM pg_constraint "
                "WHERE conrelid = 'checkins'::regclass)"))]  # a constraint keeps its index
            foreign_keys = list(conn.execute(text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'checkins'::regclass AND contype = 'f'")))
            for name, _definition in foreign_keys:
                conn.execute(text(f'ALTER TABLE checkins DROP CONSTRAINT "{name}"'))
            for definition in indexes:
                name = re.search(r"INDEX (\S+) ON", definition).group(1)
                conn.execute(text(f"DROP INDEX {name}"))
        conn.execute(text(CHECKINS_SQL), {
            "names": NAMES, "folded": [fold(n) for n in NAMES], "name_count": len(NAMES),
            "per_commune": per_commune, "people": PEOPLE, "days": DAYS,
            "point_count": 2 * VENUES})
        for definition in indexes:
            conn.execute(text(definition))
        for name, definition in foreign_keys:
            conn.execute(text(f'ALTER TABLE checkins ADD CONSTRAINT "{name}" {definition}'))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE checkins"))
    return time.perf_counter() - started


def _roll_up(commune_ids: list[int]) -> float:
    """Roll the closed days of these communes into the daily tallies, as the consumer's hourly
    task does (a deployment's dashboard reads them); returns the seconds it took."""
    started = time.perf_counter()
    for commune_id in commune_ids:
        while tallies.close_step(commune_id) is not None:
            db.session.commit()  # one step, one commit, as the task's unit of work
        db.session.commit()
    return time.perf_counter() - started


def _log_ms(site: Cluster, answer) -> float | None:
    """The time the web server spent on the answer, from its access log."""
    marker = f"id={answer.request_id}"
    for _ in range(50):
        for log in site.web_logs.values():
            for line in log.read_text(errors="replace").splitlines():
                if marker in line:
                    return float(re.search(r" (\d+)ms id=", line).group(1))
        time.sleep(0.1)
    return None


def _login(site: Cluster, username: str) -> Browser:
    browser = site.browser()
    page = browser.get("/auth/login")
    answer = browser.post("/auth/login", {"username": username, "password": PASSWORD,
                                          "csrf_token": browser.csrf_token(page)})
    assert answer.status == 302, answer.status
    return browser


def _time_page(site: Cluster, browser: Browser, path: str, repeat: int,
               expect: str) -> dict:
    for _ in range(2):  # warm both servers
        assert browser.get(path).status == 200
    walls, servers = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = browser.get(path)
        walls.append((time.perf_counter() - started) * 1000)
        if answer.status != 200 or expect not in answer.text:
            Path("/tmp/x/page.html").write_text(answer.text)
            raise AssertionError((path, answer.status, expect))
        servers.append(_log_ms(site, answer))
    walls.sort()
    return {"median": statistics.median(walls), "p90": walls[int(0.9 * (len(walls) - 1))],
            "server": statistics.median(s for s in servers if s is not None)}


def _post_rate(site: Cluster, tokens: list[str], clients: int, duration: float) -> dict:
    """Phones POSTing declarations at once over kept-alive connections: answers per second."""
    done, refused = [], []
    stop_at = time.monotonic() + duration
    fields = {"birth_year": "1985", "sex": "male",
              "nationality": "Việt Nam", "address": "Thôn Đông",
              **{f"q_{c}": "no" for c in ("travel", "symptoms", "contact_patient",
                                          "contact_foreign", "contact_symptoms")}}

    def phone(index: int) -> None:
        path = f"/c/{tokens[index % len(tokens)]}"
        browser = site.browser()
        page = browser.get(path)
        csrf = browser.csrf_token(page)
        connection = http.client.HTTPSConnection("127.0.0.1", site.https_port, timeout=60,
                                                 context=site.tls)
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Referer": browser.origin + path,
                   "Cookie": "; ".join(f"{k}={v}" for k, v in browser.cookies.items())}
        sent = 0
        ok = bad = 0
        while time.monotonic() < stop_at:
            sent += 1
            # A name and phone of its own each time: one phone's repeats of one person within
            # the merge window would be merged into one row.
            body = urlencode({**fields, "csrf_token": csrf,
                              "full_name": NAMES[sent % len(NAMES)],
                              "phone": f"09{index:02d}{sent:06d}"})
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status == 302:
                ok += 1
            else:
                bad += 1
        connection.close()
        done.append(ok)
        refused.append(bad)

    threads = [threading.Thread(target=phone, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"rate": sum(done) / elapsed, "stored": sum(done), "refused": sum(refused)}


def _get_rate(site: Cluster, clients: int, duration: float) -> dict:
    """GETs of /healthz over kept-alive connections: answers per second."""
    counts = []
    stop_at = time.monotonic() + duration

    def client() -> None:
        connection = http.client.HTTPSConnection("127.0.0.1", site.https_port, timeout=60,
                                                 context=site.tls)
        ok = 0
        while time.monotonic() < stop_at:
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            ok += response.status == 200
        connection.close()
        counts.append(ok)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = sum(counts)
    return {"rate": total / (time.perf_counter() - started), "stored": total, "rows": 0,
            "refused": 0}


def _measure(site: Cluster, first: int, case_id: int, args) -> dict:
    clerk = _login(site, "canbo")
    tracer = _login(site, "yte")
    engine = db.engine
    with engine.connect() as conn:
        last_id = conn.execute(text("SELECT max(id) FROM checkins")).scalar_one()
        # The person with the most visits in the commune lately (the same in both rounds).
        phone, name = conn.execute(text(
            "SELECT phone, full_name FROM checkins WHERE commune_id = :c AND checked_in_at > "
            "(now() AT TIME ZONE 'utc') - interval '13 days' GROUP BY phone, full_name "
            "ORDER BY count(*) DESC, phone LIMIT 1"), {"c": first}).one()
        tokens = [row[0] for row in conn.execute(text(
            "SELECT token FROM checkin_points p JOIN venues v ON v.id = p.venue_id "
            "WHERE v.commune_id = :c ORDER BY p.id LIMIT 20"), {"c": first})]
    today = local_today()
    span = {"date_from": (today - timedelta(days=14)).isoformat(), "date_to": today.isoformat(),
            "window": "30", "kind": "auto"}
    person = f"/tracing/cases/{case_id}/person?"
    figures = {
        "dashboard": _time_page(site, clerk, "/dashboard/", args.repeat, "</html>"),
        "coverage": _time_page(site, clerk, "/coverage/", args.repeat, "Địa điểm 49"),
        "tracing by phone": _time_page(
            site, tracer, person + urlencode({**span, "q": "0" + phone[3:]}),
            args.repeat, name),
        "tracing by name": _time_page(
            site, tracer, person + urlencode({**span, "q": name}), args.repeat, name),
    }
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM checkins")).scalar_one()
    figures["check-in POST"] = _post_rate(site, tokens, args.clients, args.duration)
    # The same clients on the bare health check: how much the machine gives right now (the
    # other work running on it changes from one round to the next).
    figures["bare /healthz"] = _get_rate(site, args.clients, args.duration / 2)
    with engine.connect() as conn:
        figures["check-in POST"]["rows"] = conn.execute(text(
            "SELECT count(*) FROM checkins")).scalar_one() - before
        # Out of the next round's figures: the province is the seeded rows.
        conn.execute(text("DELETE FROM checkins WHERE id > :last"), {"last": last_id})
        conn.commit()
    return figures


def _print(title: str, figures: dict) -> None:
    print(f"--- {title}")
    for page, values in figures.items():
        if page == "bare /healthz":
            print(f"{page:18} {values['rate']:8.1f} req/s  (the machine's capacity now)")
        elif "rate" in values:
            print(f"{page:18} {values['rate']:8.1f} req/s  ({values['stored']} acknowledged, "
                  f"{values['rows']} rows written, {values['refused']} refused)")
        else:
            print(f"{page:18} median {values['median']:7.1f} ms  p90 {values['p90']:7.1f} ms  "
                  f"server {values['server']:6.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--communes", type=int, default=100)
    parser.add_argument("--checkins", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=20)
    args = parser.parse_args()
    per_commune = args.checkins // args.communes
    url = _database_url()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    work = Path(tempfile.mkdtemp(prefix="bench-province-"))
    with app.app_context():
        upgrade()
        codes = _unit_codes(args.communes)
        started = time.perf_counter()
        [first] = _add_communes(codes[:1])
        _staff(first)
        case_id = db.session.execute(text("SELECT id FROM tracing_cases")).scalar_one()
        seconds = _write_checkins([first], per_commune, rebuild_indexes=False)
        seconds += _roll_up([first])
        print(f"one commune: {per_commune:,} check-ins written in {seconds:.0f} s "
              f"(setup {time.perf_counter() - started:.0f} s)")
        site = Cluster(work, url, consumers=0, settings={
            "PUBLIC_RATE_LIMIT": "1000000 per minute",
            "PUBLIC_ADDRESS_RATE_LIMIT": "1000000 per minute",
            "PUBLIC_TOKEN_RATE_LIMIT": "1000000 per minute",
            "LOGIN_RATE_LIMIT": "1000 per minute"})
        try:
            site.start()
            alone = _measure(site, first, case_id, args)
            _print(f"one commune, {per_commune:,} check-ins", alone)
            started = time.perf_counter()
            others = _add_communes(codes[1:])
            venues_seconds = time.perf_counter() - started
            seconds = _write_checkins(others, per_commune, rebuild_indexes=True)
            seconds += _roll_up(others)
            total = db.session.execute(text("SELECT count(*) FROM checkins")).scalar_one()
            print(f"{len(others)} more communes: venues {venues_seconds:.0f} s, "
                  f"{per_commune * len(others):,} check-ins with indexes, VACUUM ANALYZE and "
                  f"roll-up "
                  f"{seconds:.0f} s; {total:,} check-ins in {len(codes)} communes")
            province = _measure(site, first, case_id, args)
            _print(f"the same commune among {len(codes)}, {total:,} check-ins", province)
        finally:
            site.stop()
            db.session.remove()
            db.engine.dispose()
    print("--- province / one commune (within 2x: scoping holds)")
    bare = alone["bare /healthz"]["rate"] / province["bare /healthz"]["rate"]
    for page in alone:
        if page == "bare /healthz":
            print(f"{page:18} {bare:5.2f}x slower (the machine, not the registry)")
        elif "rate" in alone[page]:
            ratio = alone[page]["rate"] / province[page]["rate"]
            print(f"{page:18} {ratio:5.2f}x slower  {'ok' if ratio <= 2 else 'OVER 2x'}; "
                  f"{ratio / bare:.2f}x against the bare rate")
        else:
            ratio = province[page]["median"] / alone[page]["median"]
            print(f"{page:18} {ratio:5.2f}x  {'ok' if ratio <= 2 else 'OVER 2x'}")


if __name__ == "__main__":
    main()
