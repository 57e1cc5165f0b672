"""Benchmark: check-in submissions under gunicorn, 32 connections, against SQLite and PostgreSQL.

Run: REGISTRY_TEST_POSTGRES=postgresql+psycopg://... PYTHONPATH=. \\
     $VENV/bin/python -m bench.bench_checkin_load [--duration 20] [--connections 32]

For each database: a fresh schema with one commune and venue, gunicorn (gthread) serving
bench/load_app.py, wrk POSTing complete declarations (each with its own phone, so none is
merged) with a valid CSRF token, then wrk on the bare endpoint of the same server (the
baseline). Afterwards the rows in `checkins` are counted and compared with the successful
answers (302) that wrk saw. The PostgreSQL run uses the test database and empties it.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION_CODES = ("travel", "symptoms", "contact_patient", "contact_foreign", "contact_symptoms")

LUA = r"""
local counter = 0
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
function init(args)
  tid = tonumber(tid)
end
function request()
  counter = counter + 1
  -- 10-digit mobile numbers 09T NNNNNNN: unique per thread and request, never merged.
  local phone = string.format("09%d%07d", tid, counter)
  local body = "@BODY@&phone=" .. phone
  return wrk.format("POST", "@PATH@", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "@COOKIE@"}, body)
end
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _prepare(url: str) -> str:
    """A fresh schema with one commune, venue and point; returns the point's token."""
    from sqlalchemy import text

    from registry import create_app
    from registry.extensions import db
    from registry.services.communes import categories_for_code, create_commune
    from registry.services.venues import register_venue

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        db.create_all()
        commune = create_commune(15664, hotline="+842373868123")

        class _System:
            id = None

        venue = register_venue(commune.id, _System(), point_names=["Cổng chính"],
                               name="Chợ Nưa", address="Thôn Đông",
                               category_id=categories_for_code(commune.id)["market"].id)
        db.session.commit()
        token = venue.points[0].token
        db.session.remove()
        db.engine.dispose()
    return token


def _count_rows(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM checkins")).scalar_one()
    engine.dispose()
    return count


def _session(base: str, path: str) -> tuple[str, str]:
    """GET the form like a phone: the session cookie and the CSRF token of the form."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(base + path).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, token


def _wrk(args: list[str]) -> dict:
    out = subprocess.run(["wrk", *args], capture_output=True, text=True, check=True).stdout
    figures = {"raw": out}
    figures["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    figures["requests"] = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures["errors"] = int(bad.group(1)) if bad else 0
    socket_errors = re.search(r"Socket errors: (.*)", out)
    figures["socket_errors"] = socket_errors.group(1) if socket_errors else "none"

    def pct(name):
        value = re.search(rf"\s{name}%\s+([\d.]+)(us|ms|s)", out)
        number, unit = float(value.group(1)), value.group(2)
        return number / 1000 if unit == "us" else number * 1000 if unit == "s" else number

    figures["p50"], figures["p99"] = pct("50"), pct("99")
    return figures


def run_backend(name: str, url: str, duration: int, connections: int, workers: int,
                threads: int) -> None:
    """Serve, load, count, print."""
    token = _prepare(url)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, BENCH_DATABASE_URL=url, PYTHONPATH=str(ROOT))
    # The server's own access log tells how many check-ins it answered with success (302),
    # including answers wrk stopped waiting for when its time was up.
    access_log = Path(tempfile.mkdtemp(prefix="bench-log-")) / "access.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-k", "gthread", "-w", str(workers),
         "--threads", str(threads), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "--access-logfile", str(access_log), "--access-logformat", "%(s)s %(m)s %(U)s",
         "bench.load_app:app"], cwd=ROOT, env=env)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/bench/bare", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        path = f"/c/{token}"
        cookie, csrf = _session(base, path)
        fields = {"csrf_token": csrf, "full_name": "Nguyễn Văn Tải", "birth_year": "1985",
                  "sex": "male", "nationality": "Việt Nam", "address": "Thôn Đông",
                  **{f"q_{c}": "no" for c in QUESTION_CODES}}
        body = urllib.parse.urlencode(fields)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
            fh.write(LUA.replace("@BODY@", body).replace("@PATH@", path)
                     .replace("@COOKIE@", cookie))
            script = fh.name
        rows_before = _count_rows(url)
        load = _wrk(["-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script,
                     base + path])
        bare = _wrk(["-t2", f"-c{connections}", f"-d{max(duration // 2, 5)}s", "--latency",
                     base + "/bench/bare"])
        # Counted after the bare run: check-ins still queued when wrk stopped are done by now.
        rows = _count_rows(url) - rows_before
        ok = load["requests"] - load["errors"]
        served_ok = sum(1 for line in access_log.read_text().splitlines()
                        if line.startswith(f"302 POST {path}"))
        print(f"--- {name}: gunicorn gthread {workers} workers x {threads} threads, "
              f"{connections} connections")
        print(f"check-in POST   {load['rps']:8.1f} req/s   p50 {load['p50']:7.1f} ms   "
              f"p99 {load['p99']:7.1f} ms   {load['requests']} answers, {load['errors']} not "
              f"2xx/3xx, socket errors: {load['socket_errors']}")
        print(f"bare endpoint   {bare['rps']:8.1f} req/s   p50 {bare['p50']:7.1f} ms   "
              f"p99 {bare['p99']:7.1f} ms")
        print(f"ratio check-in / bare: {load['rps'] / bare['rps']:.2f} (aim >= 0.50)")
        print(f"rows written {rows}; successful answers (302) sent by the server {served_ok}: "
              f"{'equal' if rows == served_ok else 'DIFFERENT'}; received by wrk before its "
              f"time was up {ok}")
        os.unlink(script)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def cpu_per_request(url: str, requests: int = 300) -> None:
    """CPU time of one check-in and of the bare endpoint inside one process (Flask's test
    client, no network): a figure that depends little on what else runs on the machine."""
    from registry import create_app
    from registry.extensions import db

    token = _prepare(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})

    @app.get("/bench/bare")
    def bare():
        return "ok"

    fields = {"full_name": "Nguyễn Văn Tải", "birth_year": "1985", "sex": "male",
              "nationality": "Việt Nam", "address": "Thôn Đông",
              **{f"q_{c}": "no" for c in QUESTION_CODES}}

    def timed(fn) -> float:
        for i in range(20):  # warm-up
            fn(i)
        start = time.process_time()
        for i in range(20, 20 + requests):
            fn(i)
        return (time.process_time() - start) / requests * 1000

    def checkin(i):
        response = app.test_client().post(f"/c/{token}",
                                          data=dict(fields, phone=f"0912{i:06d}"))
        assert response.status_code == 302, response.status_code

    def bare_request(_i):
        assert app.test_client().get("/bench/bare").status_code == 200

    with app.app_context():
        cost = timed(checkin)
        baseline = timed(bare_request)
        db.session.remove()
        db.engine.dispose()
    print(f"in-process CPU per request ({requests} requests, test client): check-in "
          f"{cost:.2f} ms, bare endpoint {baseline:.2f} ms")


def main() -> None:
    """Run the SQLite target, then PostgreSQL when REGISTRY_TEST_POSTGRES is set."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed (apt install wrk)")
    tmp = tempfile.mkdtemp(prefix="bench-checkin-")
    targets = [("SQLite", f"sqlite:///{tmp}/bench.sqlite")]
    if os.environ.get("REGISTRY_TEST_POSTGRES"):
        targets.append(("PostgreSQL", os.environ["REGISTRY_TEST_POSTGRES"]))
    for name, url in targets:
        run_backend(name, url, args.duration, args.connections, args.workers, args.threads)
        cpu_per_request(url)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
