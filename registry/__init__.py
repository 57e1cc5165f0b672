"""The registry: venue check-in for a commune People's Committee, on paper and on phones."""
from __future__ import annotations

from flask import Flask

from registry.config import load_config


def create_app(config: dict | None = None) -> Flask:
    """Build the Flask application; `config` overrides settings (tests pass their own)."""
    app = Flask(__name__, instance_relative_config=True)
    load_config(app, config)
    register_extensions(app)
    register_features(app)
    register_request_hooks(app)
    register_template_helpers(app)
    register_cli(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind the unbound extension objects to this app."""
    from registry import extensions, models  # noqa: F401  (models register their tables)

    extensions.init_app(app)


def register_features(app: Flask) -> None:
    """Each feature's `init_app` (in its views module): its blueprint, and its receivers of the
    signals other features send. The order is the order of the menu, of the dashboard's extra
    rows and of the demo seeders."""
    from registry.views import (audit, auth, checkins, communes, coverage, dashboard,
                                declarations, errors, jobs, main, notices, paper, person_links,
                                posters, privacy, reminders, reports, residents, retention,
                                tracing, users, venues)

    for feature in (errors, main, auth, users, communes, venues, declarations, checkins,
                    posters, paper, person_links, residents, jobs, dashboard, coverage,
                    reminders, reports, tracing, notices, privacy, retention, audit):
        feature.init_app(app)


def register_request_hooks(app: Flask) -> None:
    """Security headers, per-request state, and one commit per request."""
    from registry import transactions
    from registry.security import init_security

    init_security(app)
    transactions.init_app(app)


def register_template_helpers(app: Flask) -> None:
    """Jinja filters for dates, numbers, phones in the user's language."""
    from registry.formatting import init_template_helpers

    init_template_helpers(app)


def register_cli(app: Flask) -> None:
    """`flask user …`, `flask seed-demo`, `flask translate …`, `flask purge`, `flask backup`."""
    from registry.cli import init_cli

    init_cli(app)
