"""The registry: venue check-in for a commune People's Committee, on paper and on phones."""
from __future__ import annotations

import importlib

from flask import Flask

from registry.config import load_config

# Blueprint modules under registry.views; each exposes `bp`. Listed here (not imported at the top)
# so that imports run one way: views depend on everything else, nothing depends on views.
BLUEPRINT_MODULES = (
    "registry.views.main",
    "registry.views.auth",
    "registry.views.venues",
    "registry.views.admin",
    "registry.views.commune",
    "registry.views.posters",
    "registry.views.checkin",
    "registry.views.venue_checkins",
    "registry.views.questions",
    "registry.views.paper",
    "registry.views.residents",
    "registry.views.jobs",
    "registry.views.dashboard",
    "registry.views.reports",
    "registry.views.tracing",
)


def create_app(config: dict | None = None) -> Flask:
    """Build the Flask application; `config` overrides settings (tests pass their own)."""
    app = Flask(__name__, instance_relative_config=True)
    load_config(app, config)
    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_cli(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind the unbound extension objects to this app."""
    from registry import extensions, models  # noqa: F401  (models register their tables)

    extensions.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Import each feature's blueprint and mount it."""
    for name in BLUEPRINT_MODULES:
        module = importlib.import_module(name)
        app.register_blueprint(module.bp)


def register_request_hooks(app: Flask) -> None:
    """Security headers and per-request context."""
    from registry.security import init_security

    init_security(app)


def register_errorhandlers(app: Flask) -> None:
    """Friendly Vietnamese error pages instead of Werkzeug's English ones."""
    from registry.views.errors import init_errorhandlers

    init_errorhandlers(app)


def register_template_helpers(app: Flask) -> None:
    """Jinja filters for dates, numbers, phones in the user's language."""
    from registry.formatting import init_template_helpers

    init_template_helpers(app)


def register_cli(app: Flask) -> None:
    """`flask user …`, `flask seed-demo`, `flask translate …`."""
    from registry.cli import init_cli

    init_cli(app)
