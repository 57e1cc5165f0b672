"""The WSGI app the load benchmark serves with gunicorn: the registry, plus a bare endpoint.

The database URL comes from BENCH_DATABASE_URL. The rate limit is off (one client address
sends every request); CSRF stays on, as in production.
"""
from __future__ import annotations

import os

from registry import create_app

app = create_app({
    "SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URL"],
    "SECRET_KEY": "bench-secret",
    "RATELIMIT_ENABLED": False,
    "PUBLIC_BASE_URL": "http://127.0.0.1",
})


@app.get("/bench/bare")
def bare():
    """The baseline: a Flask view that does nothing, through the same app and headers."""
    return "ok"
