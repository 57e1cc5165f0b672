"""The WSGI app the load benchmark serves with gunicorn: the registry, plus its two baselines.

- `/bench/bare`: a Flask view that does nothing (the app's floor: WSGI, routing, headers).
- `/bench/ceiling`: the ceiling of a durable check-in in this stack: one parse of the same form
  body, its CSRF token checked as the check-in page checks it (bound to the phone's cookie),
  and one committed INSERT into a plain table (`bench_ceiling`) of the same database, through
  the same app, hooks and one-commit-per-request as a check-in.

The database URL comes from BENCH_DATABASE_URL. CSRF stays on, as in production; the rate
limits stay on too (their cost is part of a check-in) but with budgets no benchmark reaches,
since one client address sends every request.
"""
from __future__ import annotations

import os

from flask import abort, redirect, request
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, insert
from wtforms.validators import ValidationError

from registry import create_app
from registry.extensions import csrf, db
from registry.forms.device_csrf import validate_token
from registry.timeutil import utcnow

CEILING = Table(
    "bench_ceiling", MetaData(),
    Column("id", Integer, primary_key=True),
    Column("full_name", String(120)),
    Column("phone", String(20)),
    Column("created_at", DateTime),
)

UNREACHABLE_LIMIT = "100000000 per minute"


def make_app(url: str):
    """The registry on `url`, with the bare and ceiling endpoints."""
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "bench-secret",
        "PUBLIC_BASE_URL": "http://127.0.0.1",
        "PUBLIC_RATE_LIMIT": UNREACHABLE_LIMIT,
        "PUBLIC_ADDRESS_RATE_LIMIT": UNREACHABLE_LIMIT,
        "PUBLIC_TOKEN_RATE_LIMIT": UNREACHABLE_LIMIT,
    })

    @app.get("/bench/bare")
    def bare():
        """The floor: a Flask view that does nothing, through the same app and headers."""
        return "ok"

    @app.post("/bench/ceiling")
    @csrf.exempt
    def ceiling():
        """The ceiling: parse the posted form, check its CSRF token as the check-in page does
        (bound to the phone's cookie), insert one row; the request's end commits it, as it
        commits a check-in; answered with a redirect, as a check-in is."""
        form = request.form
        try:
            validate_token(form.get("csrf_token"))
        except ValidationError:
            abort(400)
        db.session.execute(insert(CEILING).values(
            full_name=form.get("full_name"), phone=form.get("phone"), created_at=utcnow()))
        return redirect("/bench/bare")

    return app


def create_ceiling_table(engine) -> None:
    """The plain table of the ceiling endpoint (made by the benchmark before serving)."""
    CEILING.metadata.create_all(engine)


app = make_app(os.environ["BENCH_DATABASE_URL"]) if "BENCH_DATABASE_URL" in os.environ else None
