"""Behind a reverse proxy: Debian's nginx in front of gunicorn (three workers) with the rate
limits counted in Redis, as `make run` and a deployment serve the site. The app sees each
visitor's own address (not the proxy's, not a forged header), a limit means what it says
whichever worker answers, and a venue's queue of phones behind one carrier address passes."""
from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from registry import create_app
from registry.extensions import db
from registry.models import AuditEvent, Role
from tests.cluster import free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
PASSWORD = "correct-horse-1"

NGINX_CONF = """
{user}
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
daemon off;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://127.0.0.1:{app_port};
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }}
  }}
}}
"""


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class Visitor:
    """A browser on one address of the loopback range, keeping its cookies."""

    def __init__(self, port: int, address: str):
        self.port, self.address, self.cookies = port, address, {}

    def request(self, method: str, path: str, form: dict | None = None,
                headers: dict | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60,
                                                source_address=(self.address, 0))
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _sep, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        connection.close()
        return response.status, text

    def csrf_token(self, path: str) -> str:
        status, page = self.request("GET", path)
        assert status == 200
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """nginx → gunicorn (3 workers) → the app on its own SQLite file, limits in Redis."""
    work = tmp_path_factory.mktemp("proxy")
    database = f"sqlite:///{work / 'site.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "proxy-test"})
    with app.app_context():
        from registry.services.communes import categories_for_code, create_commune
        from registry.services.users import create_user
        from registry.services.venues import register_venue

        db.create_all()
        commune = create_commune(15664)
        user = create_user(commune.id, username="thuy", full_name="Nguyễn Thị Thúy",
                           role=Role.CLERK, password=PASSWORD)
        venue = register_venue(commune.id, user, point_names=["Cổng chính"], name="Chợ Nưa",
                               category_id=categories_for_code(commune.id)["market"].id,
                               address=None, village_id=None, manager_name=None,
                               manager_phone=None, notes=None)
        db.session.commit()
        token = venue.points[0].token
        db.engine.dispose()
    socket_path = work / "redis.sock"
    redis = subprocess.Popen([REDIS, "--port", "0", "--unixsocket", str(socket_path),
                              "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
                              "--dir", str(work)], stdout=subprocess.DEVNULL)
    app_port, port = free_port(), free_port()
    env = {**os.environ, "DATABASE_URL": database, "SECRET_KEY": "proxy-test",
           "REDIS_URL": f"unix://{socket_path}", "TRUSTED_PROXY_HOPS": "1",
           "LOGIN_RATE_LIMIT": "3 per minute", "PUBLIC_RATE_LIMIT": "4 per minute",
           "PUBLIC_ADDRESS_RATE_LIMIT": "200 per minute", "REGISTRY_INSTANCE_PATH": str(work)}
    env.pop("RATELIMIT_STORAGE_URI", None)
    with (work / "gunicorn.log").open("w") as log:
        web = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind",
                                f"127.0.0.1:{app_port}", "--workers", "3", "wsgi:app"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    (work / "nginx.conf").write_text(NGINX_CONF.format(
        dir=work, port=port, app_port=app_port,
        user="user root;" if os.geteuid() == 0 else ""))
    nginx = subprocess.Popen([NGINX, "-p", str(work), "-c", str(work / "nginx.conf"),
                              "-e", str(work / "nginx-error.log")])
    try:
        wait_for(socket_path.exists, "redis")
        wait_for(lambda: Visitor(port, "127.0.0.1").request("GET", "/healthz")[0] == 200,
                  "nginx and gunicorn")
        yield {"port": port, "token": token, "app": app, "work": work}
    finally:
        for process in (nginx, web, redis):
            _stop(process)


def test_the_app_sees_the_visitors_address_not_the_proxys_nor_a_forged_one(site):
    visitor = Visitor(site["port"], "127.0.0.2")
    token = visitor.csrf_token("/auth/login")
    status, _page = visitor.request("POST", "/auth/login", {
        "username": "thuy", "password": PASSWORD, "csrf_token": token},
        headers={"X-Forwarded-For": "203.0.113.9"})
    assert status == 302
    with site["app"].app_context():
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login"))
        assert event.details == {"address": "127.0.0.2"}
        db.engine.dispose()


def test_the_login_limit_is_shared_by_all_workers_and_kept_per_address(site):
    guesser = Visitor(site["port"], "127.0.0.3")
    token = guesser.csrf_token("/auth/login")
    statuses = []
    for i in range(9):  # three workers: with per-worker counts up to 9 would pass
        forged = {"X-Forwarded-For": f"198.51.100.{i}"}  # a forged address changes nothing
        statuses.append(guesser.request("POST", "/auth/login", {
            "username": f"nobody{i}", "password": "x", "csrf_token": token}, forged)[0])
    assert statuses == [200] * 3 + [429] * 6
    colleague = Visitor(site["port"], "127.0.0.4")
    token = colleague.csrf_token("/auth/login")
    assert colleague.request("POST", "/auth/login", {
        "username": "nobody", "password": "x", "csrf_token": token})[0] == 200


def test_a_queue_of_phones_on_one_carrier_address_is_not_refused(site):
    path = f"/c/{site['token']}"
    queue = [Visitor(site["port"], "127.0.0.5") for _ in range(12)]
    statuses = [phone.request("GET", path)[0] for phone in queue for _ in range(3)]
    assert statuses == [200] * 36  # 36 pages from one address, 3 per phone
    # One phone past its own budget (4 per minute; its first page, which gave it its cookie,
    # counted for the address only) is refused, the others go on.
    busy = queue[0]
    assert [busy.request("GET", path)[0] for _ in range(3)] == [200, 200, 429]
    assert queue[1].request("GET", path)[0] == 200
