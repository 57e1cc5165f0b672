"""The deployment files as shipped (deploy/): the nginx site renders and nginx accepts it, its
upload limit is the app's, the systemd units are valid, the env file names real settings. They
are run for real in tests/test_cluster.py."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from registry.config import Config
from tests.cluster import DEPLOY, ROOT, env_example, make_certificate, read_unit, render

SITE = DEPLOY / "nginx" / "registry.conf"
VALUES = {"SERVER_NAME": "checkin.example.gov.vn",
          "UPSTREAM_SERVERS": "10.0.0.11:8000, 10.0.0.12:8000"}


def test_the_site_renders_with_every_place_filled():
    site = render(SITE, VALUES)
    assert "@" not in site.replace("$request_id", "")
    assert re.findall(r"server (\S+) max_fails", site) == ["10.0.0.11:8000", "10.0.0.12:8000"]
    assert "ssl_certificate /etc/ssl/registry/fullchain.pem;" in site  # the TLS placeholders
    assert "listen 443 ssl http2;" in site and "return 301 https://" in site


def test_render_refuses_a_missing_or_unknown_value():
    for values in ({"SERVER_NAME": "x"}, {**VALUES, "SERVER_NAM": "y"}):
        answer = subprocess.run([sys.executable, str(DEPLOY / "render.py"), str(SITE),
                                 *[f"{k}={v}" for k, v in values.items()]],
                                capture_output=True, text=True)
        assert answer.returncode == 1 and answer.stdout == ""
    assert "UPSTREAM_SERVERS" in answer.stderr or "SERVER_NAM" in answer.stderr


def test_nginx_refuses_uploads_the_app_would_refuse_and_no_smaller_ones():
    site = render(SITE, VALUES)
    [limit] = re.findall(r"client_max_body_size (\d+)m;", site)
    assert int(limit) * 1024 * 1024 == Config.MAX_CONTENT_LENGTH


def test_long_timeouts_only_where_documents_are_sent():
    site = render(SITE, VALUES)
    blocks = re.findall(r"location ([^{]+)\{([^}]*)\}", site)
    long = [where.strip() for where, body in blocks if "proxy_read_timeout 300s" in body]
    assert long == [r"~ (\.pdf|\.xlsx|/download|/privacy/export)$"]
    assert re.search(r"\n    proxy_read_timeout 60s;", site)  # the rest of the site


def test_nginx_accepts_the_rendered_site(tmp_path):
    cert, key = make_certificate(tmp_path)
    site = render(SITE, {**VALUES, "HTTP_LISTEN": "127.0.0.1:8080",
                         "HTTPS_LISTEN": "127.0.0.1:8443", "TLS_CERTIFICATE": str(cert),
                         "TLS_CERTIFICATE_KEY": str(key),
                         "STATIC_ROOT": str(ROOT / "registry" / "static"),
                         "UPSTREAM_SERVERS": "127.0.0.1:8001,127.0.0.1:8002"})
    (tmp_path / "registry").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log; events {{}}\n"
        f"http {{ include /etc/nginx/mime.types; client_body_temp_path {tmp_path}; "
        f"proxy_temp_path {tmp_path}; include {tmp_path}/registry; }}\n")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    checked = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c",
                              str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "error.log")],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize("unit", ["registry-web.service", "registry-consumer.service"])
def test_the_systemd_units_are_valid(unit, tmp_path):
    """systemd's own check of the unit, with the checkout where /opt/registry would be."""
    text = (DEPLOY / "systemd" / unit).read_text().replace("/opt/registry", str(ROOT))
    (tmp_path / unit).write_text(text.replace(f"{ROOT}/.venv/bin/python", sys.executable))
    checked = subprocess.run(["systemd-analyze", "verify", str(tmp_path / unit)],
                             capture_output=True, text=True)
    assert checked.returncode == 0 and checked.stderr == "", checked.stderr
    started = read_unit(unit)
    assert started.argv[0] == sys.executable and started.workdir == ROOT
    assert started.environment["REGISTRY_INSTANCE_PATH"] == "/var/lib/registry"


def test_the_consumer_unit_runs_the_consumer_entry_point():
    assert read_unit("registry-consumer.service").argv[1:4] == [
        "-m", "huey.bin.huey_consumer", "registry.consumer.huey"]


def test_the_env_file_names_only_settings_that_are_read():
    read = (ROOT / "registry" / "config.py").read_text() + \
        (DEPLOY / "gunicorn.conf.py").read_text()
    for name in env_example():
        assert f'"{name}"' in read, name
