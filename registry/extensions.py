"""The unbound Flask extensions, created once and bound to the app in `init_app`."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, g, has_request_context, request, session
from babel import Locale
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# A naming convention makes constraint names predictable, so Alembic can drop and alter them on
# SQLite (batch mode) as well as on PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base carrying the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite: write-ahead log for concurrent readers, and enforce foreign keys."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# Parsed once: Flask-Babel parses the chosen code on every request, which looks for the
# language's data file on disk each time; a Locale given to it is used as it is.
_LOCALES: dict[str, Locale] = {}


def _locale(code: str) -> Locale:
    if code not in _LOCALES:
        _LOCALES[code] = Locale.parse(code)
    return _LOCALES[code]


def _may_be_signed_in(app, req, sess) -> bool:
    """Whether the request carries a sign-in (a session of a user, a remember-me cookie) or has
    loaded its user already. Asking Flask-Login for the user of a request that carries none (a
    phone at a poster: most requests) still runs its loaders and makes an anonymous user."""
    remember = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    return "_login_user" in g or "_user_id" in sess or remember in req.cookies


def select_locale() -> Locale:
    """The user's chosen language, else a ?lang= choice kept in the session, else Vietnamese."""
    # Every page asks this once: each proxy (current_app, request, session) is looked up once.
    app = current_app._get_current_object()
    languages = app.config["LANGUAGES"]
    if not has_request_context():
        return _locale(app.config["BABEL_DEFAULT_LOCALE"])
    req, sess = request._get_current_object(), session._get_current_object()
    chosen = req.args.get("lang")
    if chosen in languages:
        sess["lang"] = chosen
    if _may_be_signed_in(app, req, sess):
        user = current_user._get_current_object()
        if user and user.is_authenticated and user.locale in languages:
            return _locale(user.locale)
    if sess.get("lang") in languages:
        return _locale(sess["lang"])
    return _locale(app.config["BABEL_DEFAULT_LOCALE"])


def init_app(app: Flask) -> None:
    """Bind every extension to `app`."""
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.config.get("MIGRATIONS_DIR", _migrations_dir())))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "warning"
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(_translations_dir()))
    limiter.init_app(app)


def _project_root():
    return Path(__file__).resolve().parent.parent


def _migrations_dir():
    return _project_root() / "migrations"


def _translations_dir():
    return _project_root() / "translations"
