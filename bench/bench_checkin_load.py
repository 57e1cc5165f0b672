"""Benchmark: the public check-in page under gunicorn, 32 connections, on SQLite and PostgreSQL,
beside its two baselines served by the same server.

Run: REGISTRY_TEST_POSTGRES=postgresql+psycopg://... PYTHONPATH=. \\
     $VENV/bin/python -m bench.bench_checkin_load [--duration 10] [--connections 32]

For each database: a fresh schema with one commune and venue, gunicorn (gthread) serving
bench/load_app.py, and wrk, the endpoints in turn, in rounds (`--rounds`, default 3, the
`--duration` shared among them):

- check-in POST: complete declarations with a valid CSRF token, each from its own phone (its
  own device cookie and phone number, so none is merged into another);
- ceiling: the same body POSTed to a view that parses the form and commits one INSERT into a
  plain table (the most a durable check-in can do in this stack);
- GET /c/<token> without a cookie: the first page a phone loads (its size is printed too);
- bare: a view that does nothing.

It prints check-in/ceiling, check-in/bare and page/bare: the median of the rounds' ratios,
each round's, and the ratio of the mean rates. A ratio of two runs side by side holds on a busy
machine where two runs minutes apart do not, and the median is not moved by one round that met
a burst of other work. Afterwards the rows in `checkins` are
counted and must equal the successful answers (302) the server sent; the benchmark fails
otherwise. Then the CPU time per request of the same four endpoints inside one process (Flask's
test client): figures that depend little on what else runs on the machine. The PostgreSQL run
uses the test database and empties it.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION_CODES = ("travel", "symptoms", "contact_patient", "contact_foreign", "contact_symptoms")
DEVICE_COOKIE = "registry_device"

LUA = r"""
local counter = 0
local threads = {}
local phones = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
function init(args)
  tid = tonumber(tid)
  -- The phones of this thread: "cookie token" per line, as each got them with its first page.
  for line in io.lines("@PHONES@-" .. tid) do
    local cookie, token = line:match("(%S+) (%S+)")
    table.insert(phones, {cookie, token})
  end
end
function request()
  counter = counter + 1
  -- Each request is another phone: its own device cookie and the CSRF token of its page (as
  -- the phone got them), and its own 10-digit mobile number 09T NNNNNNN, so no declaration is
  -- merged into another.
  local device = phones[(counter - 1) % #phones + 1]
  local phone = string.format("09%d%07d", tid, counter)
  local body = "@BODY@&phone=" .. phone .. "&csrf_token=" .. device[2]
  return wrk.format("POST", "@PATH@", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "@DEVICE@=" .. device[1]}, body)
end
"""

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _prepare(url: str) -> str:
    """A fresh schema with one commune, venue and point, and the ceiling's plain table;
    returns the point's token."""
    from sqlalchemy import text

    from bench.load_app import create_ceiling_table
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
        create_ceiling_table(db.engine)
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


def _count_rows(url: str, table: str = "checkins") -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    engine.dispose()
    return count


def _phone_tokens(url: str, cookies: list[str]) -> list[str]:
    """The CSRF token each phone's first page gave it with its cookie: made by the server's own
    function with the server's secret, as a GET of the page would (a GET per phone would cost
    the benchmark more time than the run it prepares)."""
    from bench.load_app import make_app
    from registry.forms.device_csrf import token_for

    with make_app(url).app_context():
        return [token_for(cookie) for cookie in cookies]


def _write_phones(url: str, prefix: str, run: str, per_thread: int, threads: int = 2) -> None:
    """The phones of one run, one file per wrk thread: "cookie token" per line."""
    for tid in range(1, threads + 1):
        cookies = [f"bench{run}t{tid}x{i:030d}" for i in range(per_thread)]
        with open(f"{prefix}-{tid}", "w") as fh:
            fh.writelines(f"{c} {t}\n" for c, t in zip(cookies, _phone_tokens(url, cookies)))


def _first_page_works(base: str, path: str) -> None:
    """A real phone's first page, then its declaration: the token of the page goes with the
    cookie it came with (what `_phone_tokens` makes for the others)."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar),
                                         _NoRedirect())
    html = opener.open(base + path).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    try:
        opener.open(base + path, (_declaration() + f"&phone=0900000001&csrf_token={token}")
                    .encode())
    except urllib.error.HTTPError as answer:
        if answer.code == 302:
            return
    raise SystemExit("a phone's first page did not let it check in")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _declaration() -> str:
    """The posted body of a complete declaration, without its phone and CSRF token (each phone
    adds its own)."""
    fields = {"full_name": "Nguyễn Văn Tải", "birth_year": "1985",
              "sex": "male", "nationality": "Việt Nam", "address": "Thôn Đông",
              **{f"q_{c}": "no" for c in QUESTION_CODES}}
    return urllib.parse.urlencode(fields)


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


def _together(rounds: list[dict]) -> dict:
    """One endpoint's rounds (each as long as the others) as one run: its rate the mean rate,
    its answers and errors added up, the median of its medians and the worst p99."""
    return {"rps": sum(r["rps"] for r in rounds) / len(rounds),
            "requests": sum(r["requests"] for r in rounds),
            "errors": sum(r["errors"] for r in rounds),
            "socket_errors": "; ".join(sorted({r["socket_errors"] for r in rounds})),
            "p50": sorted(r["p50"] for r in rounds)[len(rounds) // 2],
            "p99": max(r["p99"] for r in rounds)}


def _ratio(numerators: list[dict], denominators: list[dict]) -> str:
    """The median of the rounds' ratios (one round that met a burst of other work does not
    move it), then each round's and the ratio of the mean rates."""
    ratios = [a["rps"] / b["rps"] for a, b in zip(numerators, denominators)]
    mean = (sum(a["rps"] for a in numerators) / sum(b["rps"] for b in denominators))
    return (f"{statistics.median(ratios):.2f} (median of the rounds: "
            f"{', '.join(f'{r:.2f}' for r in ratios)}; of the mean rates {mean:.2f})")


def _line(label: str, figures: dict) -> str:
    return (f"{label:<22}{figures['rps']:8.1f} req/s   p50 {figures['p50']:7.1f} ms   "
            f"p99 {figures['p99']:7.1f} ms   {figures['requests']} answers, "
            f"{figures['errors']} not 2xx/3xx, socket errors: {figures['socket_errors']}")


def _start_redis(directory: Path) -> tuple[subprocess.Popen, str]:
    """A private Redis on a Unix socket, as bin/serve starts one: the web workers' shared
    rate-limit counts (production counts there too)."""
    sock = directory / "redis.sock"
    proc = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket", str(sock),
                             "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
                             "--dir", str(directory), "--loglevel", "warning"])
    for _ in range(100):
        if sock.exists():
            break
        time.sleep(0.05)
    return proc, f"unix://{sock}"


def _wait_for(base: str) -> None:
    for _ in range(150):
        try:
            urllib.request.urlopen(base + "/bench/bare", timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the benchmark server did not start")


def run_backend(name: str, url: str, duration: int, connections: int, workers: int,
                threads: int, redis_url: str, rounds: int = 3) -> None:
    """Serve, load each endpoint in turn, count, print; fail when a row is missing."""
    token = _prepare(url)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, BENCH_DATABASE_URL=url, PYTHONPATH=str(ROOT), REDIS_URL=redis_url)
    # The server's own access log tells how many check-ins it answered with success (302),
    # including answers wrk stopped waiting for when its time was up.
    access_log = Path(tempfile.mkdtemp(prefix="bench-log-")) / "access.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-k", "gthread", "-w", str(workers),
         "--threads", str(threads), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "--access-logfile", str(access_log), "--access-logformat", "%(s)s %(m)s %(U)s",
         "bench.load_app:app"], cwd=ROOT, env=env)
    scripts = []
    phones_dir = tempfile.mkdtemp(prefix="bench-phones-")
    seconds = max(2, duration // rounds)
    try:
        _wait_for(base)
        path = f"/c/{token}"
        _first_page_works(base, path)
        first_page = urllib.request.urlopen(base + path).read()
        body = _declaration()

        def script_for(run: str, target: str, per_thread: int) -> str:
            # One script and set of phones per wrk run: the phones of one run are never those
            # of another, or they would be merged into (rightly) when they came again. Enough
            # phones for the fastest endpoint to never come back to one.
            phones = f"{phones_dir}/{run}"
            _write_phones(url, phones, run, per_thread=per_thread)
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
                fh.write(LUA.replace("@BODY@", body).replace("@PATH@", target)
                         .replace("@DEVICE@", DEVICE_COOKIE).replace("@PHONES@", phones))
                scripts.append(fh.name)
            return fh.name

        warm_checkin = script_for("warm-checkin", path, 2 * 2500)
        warm_ceiling = script_for("warm-ceiling", "/bench/ceiling", 2 * 2500)
        per_round = [(script_for(f"r{r}-checkin", path, seconds * 2500),
                      script_for(f"r{r}-ceiling", "/bench/ceiling", seconds * 2500))
                     for r in range(rounds)]
        common = ["-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
        # Every worker process and thread has served each endpoint before the clock starts
        # (a production worker lives for days).
        for warm in (["-s", warm_checkin, base + path], ["-s", warm_ceiling, base + path],
                     [base + path]):
            _wrk(["-t2", f"-c{connections}", "-d2s", "--latency", *warm])
        time.sleep(1)  # the warm-up's last answers are written and logged by now
        rows_before = _count_rows(url)
        logged_before = len(access_log.read_text().splitlines())
        # The endpoints take turns, round after round: what else the machine does comes and
        # goes, and a ratio of two runs side by side holds where two runs minutes apart do not.
        runs: dict[str, list[dict]] = {"ceiling": [], "check-in": [], "page": [], "bare": []}
        for checkin_script, ceiling_script in per_round:
            runs["ceiling"].append(_wrk([*common, "-s", ceiling_script, base + path]))
            runs["check-in"].append(_wrk([*common, "-s", checkin_script, base + path]))
            runs["page"].append(_wrk([*common, base + path]))
            runs["bare"].append(_wrk([*common, base + "/bench/bare"]))
        ceiling, load, page, bare = (_together(runs[name]) for name in runs)
        # Counted after the other runs: check-ins still queued when wrk stopped are done by now.
        rows = _count_rows(url) - rows_before
        ok = load["requests"] - load["errors"]
        logged = access_log.read_text().splitlines()[logged_before:]
        served_ok = sum(1 for line in logged if line.startswith(f"302 POST {path}"))
        # A POST answered otherwise (a refused CSRF token: 200 with the form again, or 400)
        # would be fast and count as served: there must be none.
        not_written = sum(1 for line in logged if " POST " in line and line[:3] != "302")
        print(f"--- {name}: gunicorn gthread {workers} workers x {threads} threads, "
              f"{connections} connections, {rounds} rounds of {seconds} s per endpoint, "
              f"the endpoints in turn")
        print(_line("check-in POST", load))
        print(_line("ceiling POST", ceiling))
        print(_line("GET /c/<token>", page))
        print(_line("bare endpoint", bare))
        print(f"check-in / ceiling  {_ratio(runs['check-in'], runs['ceiling'])} (aim >= 0.50)")
        print(f"check-in / bare     {_ratio(runs['check-in'], runs['bare'])}")
        print(f"GET page / bare     {_ratio(runs['page'], runs['bare'])} (aim >= 0.50); "
              f"the page is {len(first_page):,} bytes (aim: ~10 kB or less)")
        print(f"rows written {rows}; successful answers (302) sent by the server {served_ok}: "
              f"{'equal' if rows == served_ok else 'DIFFERENT'}; received by wrk before its "
              f"time was up {ok}; POSTs answered otherwise {not_written}")
        if rows != served_ok or load["errors"] or ceiling["errors"] or not_written:
            raise SystemExit(f"{name}: rows written ({rows}) differ from the successful "
                             f"answers ({served_ok}), or an endpoint answered with an error")
    finally:
        for script in scripts:
            os.unlink(script)
        shutil.rmtree(phones_dir, ignore_errors=True)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def cpu_per_request(url: str, redis_url: str, requests: int = 300) -> None:
    """CPU time of each endpoint inside one process (Flask's test client, no network), CSRF and
    rate limits on as under gunicorn: figures that depend little on the machine's other load."""
    from bench.load_app import make_app
    from registry.extensions import db

    token = _prepare(url)
    os.environ["REDIS_URL"] = redis_url  # the rate limits count in Redis, as under gunicorn
    app = make_app(url)
    path = f"/c/{token}"
    # As wrk does: each check-in is another phone, with its own device cookie and the CSRF
    # token its first page gave it (made before the clock starts, as on the phone).
    client = app.test_client(use_cookies=False)
    body = _declaration()
    rounds, per_round = 6, max(requests // 6, 10)
    phones = {prefix: [f"benchphone{prefix}{i:030d}" for i in range(20 + rounds * per_round)]
              for prefix in (1, 2)}
    tokens = {prefix: _phone_tokens(url, cookies) for prefix, cookies in phones.items()}

    def post(target, i, phone_prefix):
        cookie = f"{DEVICE_COOKIE}={phones[phone_prefix][i]}"
        response = client.post(target, data=f"{body}&phone=09{phone_prefix}{i:07d}"
                               f"&csrf_token={tokens[phone_prefix][i]}", headers={
                                   "Content-Type": "application/x-www-form-urlencoded",
                                   "Cookie": cookie})
        assert response.status_code == 302, response.status_code

    def first_page(_i):
        assert client.get(path).status_code == 200  # no cookie: the first page of a new phone

    def bare(_i):
        assert client.get("/bench/bare").status_code == 200

    endpoints = {"check-in": lambda i: post(path, i, 1),
                 "ceiling": lambda i: post("/bench/ceiling", i, 2),
                 "GET page": first_page, "bare": bare}
    rows_before = _count_rows(url)
    for i in range(20):  # warm-up
        for fn in endpoints.values():
            fn(i)
    # Interleaved rounds, the best round of each endpoint: the machine's other load comes and
    # goes, and slows a round down, never speeds it up.
    best = dict.fromkeys(endpoints, float("inf"))
    for r in range(rounds):
        for name, fn in endpoints.items():
            start = time.process_time()
            for i in range(20 + r * per_round, 20 + (r + 1) * per_round):
                fn(i)
            best[name] = min(best[name], (time.process_time() - start) / per_round * 1000)
    assert _count_rows(url) - rows_before == 20 + rounds * per_round, "a check-in was lost"
    checkin, ceiling, page, baseline = best.values()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    print(f"in-process CPU per request (best of {rounds} rounds of {per_round}, test client): "
          f"check-in "
          f"{checkin:.2f} ms, ceiling {ceiling:.2f} ms, GET page {page:.2f} ms, bare "
          f"{baseline:.2f} ms; check-in/ceiling (rate) {ceiling / checkin:.2f}, "
          f"page/bare (rate) {baseline / page:.2f}")


def main() -> None:
    """Run the SQLite target, then PostgreSQL when REGISTRY_TEST_POSTGRES is set."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=10,
                        help="seconds of load per endpoint, over all rounds")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds in which the endpoints take turns")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--requests", type=int, default=300,
                        help="requests per endpoint of the in-process figures")
    parser.add_argument("--only", choices=("SQLite", "PostgreSQL"))
    parser.add_argument("--no-server", action="store_true",
                        help="only the in-process figures (no gunicorn, no wrk)")
    args = parser.parse_args()
    if not shutil.which("redis-server") or (not args.no_server and not shutil.which("wrk")):
        # Debian's wrk and redis-server, installed only when missing (as `make test` does).
        subprocess.run(["bash", str(Path(__file__).resolve().parent.parent
                                    / "bin" / "ensure-system-packages"), "bench"], check=True)
    tmp = tempfile.mkdtemp(prefix="bench-checkin-")
    redis, redis_url = _start_redis(Path(tmp))
    targets = [("SQLite", f"sqlite:///{tmp}/bench.sqlite")]
    if os.environ.get("REGISTRY_TEST_POSTGRES"):
        targets.append(("PostgreSQL", os.environ["REGISTRY_TEST_POSTGRES"]))
    try:
        for name, url in targets:
            if args.only and name != args.only:
                continue
            if not args.no_server:
                run_backend(name, url, args.duration, args.connections, args.workers,
                            args.threads, redis_url, rounds=args.rounds)
            else:
                print(f"--- {name}")
            cpu_per_request(url, redis_url, args.requests)
    finally:
        redis.terminate()
        redis.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
