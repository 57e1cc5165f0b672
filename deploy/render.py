#!/usr/bin/env python3
"""Fill the @NAME@ places of a deployment file and print it:

    python3 deploy/render.py deploy/nginx/registry.conf SERVER_NAME=checkin.example.gov.vn \
        UPSTREAM_SERVERS=10.0.0.11:8000,10.0.0.12:8000 ... > /etc/nginx/sites-available/registry

Every place must be given a value and every value must have a place, so a typo fails here
rather than in nginx. UPSTREAM_SERVERS is a comma-separated list of host:port, written as one
`server` line each. Values left out take the defaults below. Only the standard library is used:
this runs before the registry is installed.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

PLACE = re.compile(r"@([A-Z][A-Z0-9_]*)@")
DEFAULTS = {
    "HTTP_LISTEN": "80",
    "HTTPS_LISTEN": "443",
    "STATIC_ROOT": "/opt/registry/registry/static",
    "TLS_CERTIFICATE": "/etc/ssl/registry/fullchain.pem",
    "TLS_CERTIFICATE_KEY": "/etc/ssl/registry/privkey.pem",
}


def _upstreams(value: str) -> str:
    servers = [s.strip() for s in value.split(",") if s.strip()]
    if not servers:
        raise ValueError("UPSTREAM_SERVERS names no server")
    return "\n".join(f"    server {server} max_fails=3 fail_timeout=10s;" for server in servers)


def render(template: str, values: dict[str, str]) -> str:
    """The template with every @NAME@ replaced; ValueError for a missing or unknown name."""
    values = {**DEFAULTS, **values}
    wanted = set(PLACE.findall(template))
    missing = sorted(wanted - set(values))
    unknown = sorted(set(values) - wanted - set(DEFAULTS))
    if missing or unknown:
        raise ValueError(f"missing values: {missing}; unknown names: {unknown}")
    if "UPSTREAM_SERVERS" in values:
        values["UPSTREAM_SERVERS"] = _upstreams(values["UPSTREAM_SERVERS"])
    return PLACE.sub(lambda match: values[match.group(1)], template)


def main(argv: list[str]) -> int:
    if len(argv) < 2 or any("=" not in arg for arg in argv[2:]):
        print(__doc__, file=sys.stderr)
        return 2
    values = dict(arg.split("=", 1) for arg in argv[2:])
    try:
        sys.stdout.write(render(Path(argv[1]).read_text(), values))
    except ValueError as error:
        print(f"{argv[1]}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
