"""A deployment of several servers on this machine, from the files in deploy/ as shipped: nginx
with the site rendered by deploy/render.py (TLS with a certificate made here), web servers and
job consumers started with the command lines and settings of deploy/systemd/ (each with its own
instance folder, as on its own machine), one redis-server with a password, and the database the
caller prepared. Used by tests/test_cluster.py and bench/bench_province.py.

Which server answered a request is read from the servers' access logs: nginx gives every
request an id (X-Request-ID, in the answer and to the server), and the servers log it.
"""
from __future__ import annotations

import contextlib
import datetime
import http.client
import io
import ipaddress
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
# Where the units and the env file expect the checkout and its virtualenv.
INSTALLED_AT = "/opt/registry"

# The test's stand-in for Debian's /etc/nginx/nginx.conf: the http block that includes the
# site. One worker process, so nginx hands requests to the servers strictly in turn.
NGINX_MAIN = """
{user}
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
daemon off;
events {{ worker_connections 512; }}
http {{
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  sendfile on;
  access_log {dir}/nginx-access.log;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  include {dir}/sites-enabled/*;
}}
"""


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, what: str, seconds: float = 120) -> None:
    """Poll `check` until it is true, or fail saying what did not come."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        # A server still starting refuses connections: that is "not yet", not a failure.
        with contextlib.suppress(OSError):
            if check():
                return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not come within {seconds} s")


@dataclass
class Unit:
    """What a systemd unit of deploy/systemd/ runs: its command, settings and how it stops."""

    argv: list[str]
    environment: dict[str, str]
    workdir: Path
    kill_signal: int = signal.SIGTERM
    # systemd's KillMode: "mixed" signals the main process only, "control-group" all of them.
    kill_mode: str = "control-group"


def unit_settings(name: str) -> dict[str, list[str]]:
    """The [Service] settings of a unit file, each key with its values in order (Environment=
    may come more than once)."""
    settings: dict[str, list[str]] = {}
    section = None
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        if section == "Service":
            key, _sep, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def read_unit(name: str) -> Unit:
    """A unit file as this machine runs it: the checkout instead of /opt/registry, this
    virtualenv's python instead of the installed one."""
    service = unit_settings(name)
    [command] = service["ExecStart"]
    command = command.replace(f"{INSTALLED_AT}/.venv/bin/python", sys.executable)
    environment = {}
    for assignment in service.get("Environment", []):
        key, _sep, value = assignment.partition("=")
        environment[key] = value
    [workdir] = service["WorkingDirectory"]
    return Unit(shlex.split(command), environment, Path(workdir.replace(INSTALLED_AT, str(ROOT))),
                getattr(signal, service.get("KillSignal", ["SIGTERM"])[0]),
                service.get("KillMode", ["control-group"])[0])


def env_example() -> dict[str, str]:
    """The settings of deploy/registry.env.example."""
    values = {}
    for line in (DEPLOY / "registry.env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _sep, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def render(template: Path, values: dict[str, str]) -> str:
    """deploy/render.py, run as an administrator runs it."""
    args = [f"{k}={v}" for k, v in values.items()]
    return subprocess.run([sys.executable, str(DEPLOY / "render.py"), str(template), *args],
                          check=True, capture_output=True, text=True).stdout


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (the TLS placeholders' values)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


@dataclass
class Answer:
    """One response: status, headers (lower-case names), body, and nginx's request id."""

    status: int
    headers: dict
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def request_id(self) -> str:
        return self.headers.get("x-request-id", "")


@dataclass
class Browser:
    """A browser on one loopback address talking HTTPS to nginx: cookies, the Referer that
    Flask-WTF checks on HTTPS, forms and file uploads."""

    port: int
    context: ssl.SSLContext
    address: str = "127.0.0.1"
    cookies: dict = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, form: dict | None = None,
                files: dict | None = None, headers: dict | None = None,
                body: bytes | None = None) -> Answer:
        """Send one request (no redirect is followed)."""
        connection = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=300,
                                                 context=self.context,
                                                 source_address=(self.address, 0))
        sent = {"Referer": self.origin + path, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if files is not None:
            fields = MultiDict(form or {})
            for name, (filename, data) in files.items():
                fields.add(name, FileStorage(io.BytesIO(data), filename))
            boundary, body = encode_multipart(fields)
            sent["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        elif form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        data = response.read()
        answer_headers = {}
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _sep, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
            answer_headers[header.lower()] = value
        connection.close()
        return Answer(response.status, answer_headers, data)

    def get(self, path: str, **kw) -> Answer:
        return self.request("GET", path, **kw)

    def post(self, path: str, form: dict | None = None, **kw) -> Answer:
        return self.request("POST", path, form=form, **kw)

    @staticmethod
    def csrf_token(page: Answer) -> str:
        """The CSRF token of the (first) form of a page."""
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)


class Cluster:
    """nginx → `web_servers` gunicorns, `consumers` huey consumers, one Redis; start/stop."""

    def __init__(self, work: Path, database_url: str, *, web_servers: int = 2,
                 consumers: int = 2, settings: dict | None = None, web_workers: int = 2):
        self.work = Path(work)
        self.database_url = database_url
        self.web_count, self.consumer_count = web_servers, consumers
        self.web_workers = web_workers
        self.settings = settings or {}
        self.processes: list[tuple[subprocess.Popen, Unit | None]] = []
        self.web_logs: dict[str, Path] = {}
        self.consumer_logs: list[Path] = []
        self.redis_password = secrets.token_hex(12)
        self.https_port, self.http_port = free_port(), free_port()
        self.redis_port = free_port()
        self.web_ports = [free_port() for _ in range(web_servers)]

    # --- the settings every server shares (deploy/registry.env.example, filled in) ---------

    def shared_environment(self) -> dict[str, str]:
        """The env file's settings with this cluster's values: every one of them is set."""
        values = {
            "REGISTRY_ENV": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": self.database_url,
            "REDIS_URL": f"redis://:{self.redis_password}@127.0.0.1:{self.redis_port}/0",
            "FILE_STORAGE": "database",
            "TRUSTED_PROXY_HOPS": "1",
            "PUBLIC_BASE_URL": f"https://127.0.0.1:{self.https_port}",
            "WEB_WORKERS": str(self.web_workers),
            "WEB_THREADS": "2",
        }
        example = env_example()
        missing = set(example) - set(values)
        assert not missing, f"the test leaves settings of registry.env.example unset: {missing}"
        environment = {k: v for k, v in os.environ.items()
                       if k not in ("RATELIMIT_STORAGE_URI", "HUEY_REDIS_URL", "REDIS_URL",
                                    "DATABASE_URL", "REGISTRY_INSTANCE_PATH", "SECRET_KEY",
                                    "FILE_STORAGE", "PYTEST_CURRENT_TEST")}
        environment.update({k: values[k] for k in example})
        environment.update(self.settings)
        self.environment = environment
        return environment

    # --- starting ----------------------------------------------------------------------------

    def _spawn(self, unit: Unit, overrides: dict, log: Path) -> subprocess.Popen:
        env = {**self.environment, **unit.environment, **overrides}
        with log.open("w") as out:
            process = subprocess.Popen(unit.argv, cwd=unit.workdir, env=env, stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append((process, unit))
        return process

    def start(self) -> "Cluster":
        """Everything, in the order a deployment comes up; returns when nginx answers through
        every server."""
        self.work.mkdir(parents=True, exist_ok=True)
        self.shared_environment()
        redis = subprocess.Popen([REDIS, "--port", str(self.redis_port), "--bind", "127.0.0.1",
                                  "--requirepass", self.redis_password, "--save", "",
                                  "--appendonly", "no", "--dir", str(self.work)],
                                 stdout=subprocess.DEVNULL, start_new_session=True)
        self.processes.append((redis, None))
        wait_for(lambda: socket.create_connection(("127.0.0.1", self.redis_port), 1).close()
                 or True, "redis")
        web_unit = read_unit("registry-web.service")
        for index, port in enumerate(self.web_ports):
            name = f"web-{chr(ord('a') + index)}"
            instance = self.work / name
            instance.mkdir(mode=0o700)
            self.web_logs[name] = self.work / f"{name}.log"
            self._spawn(web_unit, {"REGISTRY_INSTANCE_PATH": str(instance),
                                   "HOME": str(instance), "REGISTRY_BIND": f"127.0.0.1:{port}"},
                        self.web_logs[name])
        consumer_unit = read_unit("registry-consumer.service")
        for index in range(self.consumer_count):
            instance = self.work / f"consumer-{index + 1}"
            instance.mkdir(mode=0o700)
            log = self.work / f"consumer-{index + 1}.log"
            self.consumer_logs.append(log)
            self._spawn(consumer_unit, {"REGISTRY_INSTANCE_PATH": str(instance),
                                        "HOME": str(instance), "TMPDIR": str(instance)}, log)
        self._start_nginx()
        for port in self.web_ports:
            wait_for(lambda: _plain_get(port, "/healthz") == 200, f"web server on {port}")
        browser = self.browser()
        wait_for(lambda: browser.get("/healthz").status == 200, "nginx")
        return self

    def _start_nginx(self) -> None:
        cert, key = make_certificate(self.work)
        site = render(DEPLOY / "nginx" / "registry.conf", {
            "SERVER_NAME": "localhost",
            "HTTP_LISTEN": f"127.0.0.1:{self.http_port}",
            "HTTPS_LISTEN": f"127.0.0.1:{self.https_port}",
            "TLS_CERTIFICATE": str(cert),
            "TLS_CERTIFICATE_KEY": str(key),
            "STATIC_ROOT": str(ROOT / "registry" / "static"),
            "UPSTREAM_SERVERS": ",".join(f"127.0.0.1:{p}" for p in self.web_ports),
        })
        (self.work / "sites-enabled").mkdir()
        (self.work / "sites-enabled" / "registry").write_text(site)
        (self.work / "nginx.conf").write_text(NGINX_MAIN.format(
            dir=self.work, user="user root;" if os.geteuid() == 0 else ""))
        command = [NGINX, "-p", str(self.work), "-c", str(self.work / "nginx.conf"),
                   "-e", str(self.work / "nginx-error.log")]
        subprocess.run([*command, "-t", "-q"], check=True)
        nginx = subprocess.Popen(command, start_new_session=True)
        self.processes.append((nginx, None))
        self.tls = ssl.create_default_context(cafile=str(cert))

    # --- using ---------------------------------------------------------------------------------

    def browser(self, address: str = "127.0.0.1") -> Browser:
        """A new browser (own cookies) on a loopback address."""
        return Browser(self.https_port, self.tls, address)

    def served_by(self, answer: Answer, seconds: float = 10) -> str | None:
        """The web server whose access log has the answer's request id (None: nginx alone)."""
        marker = f"id={answer.request_id}"
        deadline = time.monotonic() + seconds
        while True:
            for name, log in self.web_logs.items():
                if marker in log.read_text(errors="replace"):
                    return name
            if time.monotonic() > deadline:
                return None
            time.sleep(0.1)

    def consumer_log_texts(self) -> list[str]:
        return [log.read_text(errors="replace") for log in self.consumer_logs]

    def stop(self) -> None:
        """Stop in reverse order of starting (nginx, consumers, web servers, Redis), each as
        systemd stops its unit (its KillSignal, to its main process or its whole group) and
        waited for before the next, then anything left of it with SIGKILL."""
        for process, unit in reversed(self.processes):
            if process.poll() is None:
                kill_signal = unit.kill_signal if unit else signal.SIGTERM
                with contextlib.suppress(ProcessLookupError):
                    if unit is not None and unit.kill_mode == "mixed":
                        process.send_signal(kill_signal)
                    else:
                        os.killpg(process.pid, kill_signal)
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # what systemd does after the timeout


def _plain_get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()
