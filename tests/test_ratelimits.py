"""The public pages' three budgets (per phone, per address, per check-in point), counted in a
real Redis in one trip a request: each budget still refuses on its own, in the keys
Flask-Limiter uses, and the counts go on in memory while Redis is unreachable.

The limits do not depend on the database: these run once, on their own SQLite file."""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import threading
import time

import pytest
import redis

from registry import create_app, ratelimits
from registry.extensions import db

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
DEVICE_COOKIE = "registry_device"


@pytest.fixture(scope="module")
def redis_socket(tmp_path_factory):
    work = tmp_path_factory.mktemp("redis")
    sock = work / "redis.sock"
    server = subprocess.Popen([REDIS, "--port", "0", "--unixsocket", str(sock),
                               "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
                               "--dir", str(work)], stdout=subprocess.DEVNULL)
    for _ in range(200):
        if sock.exists():
            break
        time.sleep(0.05)
    try:
        yield sock
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.fixture
def site(tmp_path, redis_socket):
    """An app counting in the Redis (emptied), one venue with two points; make(**limits)."""
    client = redis.Redis(unix_socket_path=str(redis_socket))
    client.flushall()
    ratelimits._STATE["down_until"] = 0.0
    made = []

    def make(storage=f"redis+unix://{redis_socket}", **limits):
        from registry.services.communes import categories_for_code, create_commune
        from registry.services.venues import register_venue

        app = create_app({"TESTING": True, "SECRET_KEY": "t", "WTF_CSRF_ENABLED": False,
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'rl.sqlite'}",
                          "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": storage,
                          "PUBLIC_RATE_LIMIT": "1000 per minute",
                          "PUBLIC_ADDRESS_RATE_LIMIT": "1000 per minute",
                          "PUBLIC_TOKEN_RATE_LIMIT": "1000 per minute", **limits})
        ctx = app.app_context()
        ctx.push()
        made.append(ctx)
        db.create_all()
        commune = create_commune(15664)

        class _System:
            id = None

        venue = register_venue(commune.id, _System(), point_names=["Cổng chính", "Cổng sau"],
                               name="Chợ Nưa", address="Thôn Đông",
                               category_id=categories_for_code(commune.id)["market"].id)
        db.session.commit()
        return app, [f"/c/{p.token}" for p in venue.points]

    yield make, client
    for ctx in made:
        db.session.remove()
        db.engine.dispose()
        ctx.pop()
    ratelimits._STATE["down_until"] = 0.0


def _phone(app, address: str):
    """A phone's browser: it keeps the cookie its first page gives it."""
    return _from(app.test_client(), address)


def _from(client, address: str):
    client.environ_base["REMOTE_ADDR"] = address
    return client


class _Trips:
    """The commands the app sends to Redis meanwhile, as Redis's MONITOR sees them (those a
    script runs inside Redis are not trips, and a new connection's greeting is not a
    request's: both are left out)."""

    END = "registry-test-end"

    def __init__(self, client):
        self.client = client
        self.commands: list[str] = []

    def __enter__(self):
        self.monitor = self.client.monitor().__enter__()
        self.thread = threading.Thread(target=self._listen)
        self.thread.start()
        return self

    def _listen(self):
        while True:
            seen = self.monitor.next_command()
            if self.END in seen["command"]:
                return
            name = seen["command"].split(" ", 1)[0].upper()
            if seen["client_type"] != "lua" and name not in ("HELLO", "CLIENT"):
                self.commands.append(name)

    def __exit__(self, *exc):
        self.client.echo(self.END)
        self.thread.join(timeout=20)
        self.monitor.__exit__(*exc)


def test_each_request_is_one_trip_to_redis(site):
    make, client = site
    app, (path, _other) = make()
    phone = _phone(app, "10.0.0.1")
    phone.get(path)  # the scripts are loaded into Redis once
    _phone(app, "10.0.0.9").get("/c/doesnotexist-aaaaaaaaaa")
    with _Trips(client) as first_page:
        assert _phone(app, "10.0.0.2").get(path).status_code == 200  # no cookie yet
    assert first_page.commands == ["EVALSHA"]
    with _Trips(client) as with_cookie:
        assert phone.get(path).status_code == 200  # a phone with its cookie
        assert phone.post(path, data={"full_name": ""}).status_code == 200  # a refused form
    assert with_cookie.commands == ["EVALSHA", "EVALSHA"]
    # Without a cookie, an answer that gives none (an unknown point) counts for the address
    # after the answer: the only case of a second trip (Flask-Limiter's own count).
    with _Trips(client) as unknown:
        assert _phone(app, "10.0.0.3").get("/c/doesnotexist-aaaaaaaaaa").status_code == 404
    assert unknown.commands == ["EVALSHA", "EVALSHA"]


def test_the_counts_are_in_flask_limiters_keys(site):
    make, client = site
    app, (path, _other) = make(PUBLIC_RATE_LIMIT="5 per minute")
    phone = _phone(app, "10.0.0.4")
    phone.get(path)
    phone.get(path)
    phone.get(path)
    cookie = phone.get_cookie(DEVICE_COOKIE).value
    phone_key = f"10.0.0.4|{hashlib.sha256(cookie.encode()).hexdigest()[:20]}"
    token = path.rsplit("/", 1)[1]
    assert int(client.get(f"LIMITS:LIMITER/{phone_key}/public_checkin/5/1/minute")) == 2
    assert client.get("LIMITS:LIMITER/10.0.0.4/public_checkin/5/1/minute") is None
    assert int(client.get("LIMITS:LIMITER/10.0.0.4/public_checkin_address/1000/1/minute")) == 3
    assert int(client.get(f"LIMITS:LIMITER/{token}/public_checkin_token/1000/1/minute")) == 3
    assert 0 < client.ttl(f"LIMITS:LIMITER/{token}/public_checkin_token/1000/1/minute") <= 60


def test_the_phones_budget_refuses_that_phone_only(site):
    make, _client = site
    app, (path, other) = make(PUBLIC_RATE_LIMIT="3 per minute")
    phone = _phone(app, "10.0.1.1")
    # The first page gives the cookie and counts for the address only; then 3 a minute, at
    # every point (the budget is the phone's, not the point's).
    statuses = [phone.get(path).status_code for _ in range(3)] + [phone.get(other).status_code]
    assert statuses == [200, 200, 200, 200]
    refused = phone.get(other)
    assert refused.status_code == 429 and "Quá nhiều lần thử" in refused.get_data(as_text=True)
    assert phone.post(f"{path}/checkout").status_code == 429
    assert _phone(app, "10.0.1.1").get(path).status_code == 200  # another phone, same address


def test_the_addresss_budget_refuses_all_its_phones(site):
    make, _client = site
    app, (path, _other) = make(PUBLIC_ADDRESS_RATE_LIMIT="5 per minute")
    statuses = [_phone(app, "10.0.2.1").get(path).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    assert _phone(app, "10.0.2.2").get(path).status_code == 200  # another address


def test_the_points_budget_refuses_every_address(site):
    make, _client = site
    app, (path, other) = make(PUBLIC_TOKEN_RATE_LIMIT="4 per minute")
    statuses = [_phone(app, f"10.0.3.{i}").get(path).status_code for i in range(1, 7)]
    assert statuses == [200] * 4 + [429] * 2
    assert _phone(app, "10.0.3.9").get(other).status_code == 200  # another point


def test_a_phone_without_cookies_is_counted_by_its_address(site):
    make, _client = site
    app, (path, _other) = make(PUBLIC_RATE_LIMIT="2 per minute")
    refuses_cookies = _from(app.test_client(use_cookies=False), "10.0.4.1")
    # Its pages give a cookie it never sends back: counted for the address, never for a phone
    # budget; its posts that give no cookie (a check-out) count for the address as a phone's.
    assert [refuses_cookies.get(path).status_code for _ in range(4)] == [200] * 4
    assert [refuses_cookies.post(f"{path}/checkout").status_code for _ in range(3)] == [
        302, 302, 429]


def test_without_redis_the_budgets_are_counted_in_memory(site, tmp_path):
    make, _client = site
    app, (path, _other) = make(storage=f"redis+unix://{tmp_path / 'no-redis.sock'}",
                               PUBLIC_ADDRESS_RATE_LIMIT="3 per minute")
    statuses = [_phone(app, "10.0.5.1").get(path).status_code for _ in range(4)]
    assert statuses == [200] * 3 + [429]


def test_a_redis_that_lost_the_script_or_a_connection_still_counts(site):
    """Redis restarted (its scripts gone) or a pooled connection cut: the next requests are
    counted in Redis as before, and the budget still refuses when spent."""
    make, client = site
    app, (path, _other) = make(PUBLIC_RATE_LIMIT="4 per minute")
    phone = _phone(app, "10.0.1.1")
    assert phone.get(path).status_code == 200
    client.script_flush()
    assert phone.get(path).status_code == 200  # the script is loaded again
    client.client_kill_filter(_type="normal", skipme=True)  # every other connection cut
    assert phone.get(path).status_code == 200  # a new connection, counted
    assert phone.get(path).status_code == 200
    assert phone.get(path).status_code == 200  # the first page counted for the address only
    assert phone.get(path).status_code == 429  # four counted in Redis: the fifth is refused
    assert ratelimits._STATE["down_until"] == 0.0  # never fell back to memory
