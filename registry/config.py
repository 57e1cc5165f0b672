"""Settings: defaults, the environment, and what tests pass in."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask


class Config:
    """Defaults for every environment; each can be overridden by an environment variable."""

    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Uploads (venue/resident spreadsheets) are small; anything larger is refused with 413.
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 2 * 1024 * 1024
    WTF_CSRF_TIME_LIMIT = None
    # Where the rate limits count. memory:// counts in each worker process apart (three gunicorn
    # workers would allow three times each limit): `make run` starts a Redis for the workers to
    # share (bin/serve sets REDIS_URL), and a deployment sets REDIS_URL or this.
    RATELIMIT_STORAGE_URI = "memory://"
    # If Redis goes away, count in memory meanwhile rather than refuse every request.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # No X-RateLimit-* headers: no browser reads them, and each answer paid two more trips to
    # the counts' storage for them (a third of the limits' cost on a check-in). The limits
    # themselves are unchanged; a refused request still gets its 429 page.
    RATELIMIT_HEADERS_ENABLED = False
    LOGIN_RATE_LIMIT = "10 per minute"
    # The public check-in pages: per phone (its cookie; per address without one), per address
    # with all its phones (a carrier address may carry a venue's whole queue), per poster.
    PUBLIC_RATE_LIMIT = "60 per minute"
    PUBLIC_ADDRESS_RATE_LIMIT = "600 per minute"
    PUBLIC_TOKEN_RATE_LIMIT = "600 per minute"
    # Reverse proxies in front of the site (nginx: 1). Their X-Forwarded-For/-Proto are believed
    # for that many hops, so limits and logs see the visitor's address; 0 believes none.
    TRUSTED_PROXY_HOPS = 0
    # Strict-Transport-Security max-age; 0 sends none (production: one year).
    HSTS_SECONDS = 0
    # The absolute base URL printed in QR codes (posters, cards); the site as the public sees it.
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    # Days personal data is kept (England kept 21 days); per commune it can be changed by an admin.
    RETENTION_DAYS = 21
    # A second check-in of the same person at the same point within this many minutes is merged.
    CHECKIN_MERGE_MINUTES = 30
    VENUES_PER_PAGE = 25
    HUEY_IMMEDIATE = False
    # Where job files and previewed uploads are kept between requests (registry/storage):
    # "local", the instance folder (one machine), or "database", the database every server of
    # a deployment shares (several servers behind one nginx, no sticky sessions).
    FILE_STORAGE = "local"


def _database_url(app: Flask) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Accept the common postgres:// spelling and use psycopg 3.
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://"):]
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    return "sqlite:///" + str(Path(app.instance_path) / "registry.sqlite")


def _secret_key(app: Flask) -> str:
    """The secret key from the environment, else one generated once and kept in instance/."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if os.environ.get("REGISTRY_ENV", "development") == "production":
        raise RuntimeError("SECRET_KEY must be set in production")
    path = Path(app.instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def load_config(app: Flask, overrides: dict | None) -> None:
    """Apply defaults, then the environment, then `overrides`."""
    app.config.from_object(Config)
    overrides = overrides or {}
    # Each server keeps its own instance folder (its SQLite file, secret key, local files);
    # a deployment puts it on persistent storage (/var/lib/registry).
    if os.environ.get("REGISTRY_INSTANCE_PATH"):
        app.instance_path = os.environ["REGISTRY_INSTANCE_PATH"]
    if "SQLALCHEMY_DATABASE_URI" not in overrides:
        if os.environ.get("REGISTRY_ENV") == "production" and not os.environ.get("DATABASE_URL"):
            raise RuntimeError("DATABASE_URL must be set in production")
        app.config["SQLALCHEMY_DATABASE_URI"] = _database_url(app)
    if "SECRET_KEY" not in overrides:
        app.config["SECRET_KEY"] = _secret_key(app)
    for name in ("PUBLIC_BASE_URL", "RATELIMIT_STORAGE_URI", "RETENTION_DAYS",
                 "CHECKIN_MERGE_MINUTES", "HUEY_REDIS_URL", "REDIS_URL", "TRUSTED_PROXY_HOPS",
                 "FILE_STORAGE", "HSTS_SECONDS", "LOGIN_RATE_LIMIT", "PUBLIC_RATE_LIMIT",
                 "PUBLIC_ADDRESS_RATE_LIMIT", "PUBLIC_TOKEN_RATE_LIMIT"):
        if name in os.environ:
            value = os.environ[name]
            app.config[name] = int(value) if value.isdigit() else value
    if os.environ.get("REGISTRY_ENV") == "production":
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
        if "HSTS_SECONDS" not in os.environ:
            app.config["HSTS_SECONDS"] = 365 * 24 * 3600
    # The rate limits count in Redis when there is one and no other storage was named.
    if app.config.get("REDIS_URL") and "RATELIMIT_STORAGE_URI" not in os.environ:
        app.config["RATELIMIT_STORAGE_URI"] = limits_storage_uri(app.config["REDIS_URL"])
    app.config.update(overrides)
    if app.config["FILE_STORAGE"] not in ("local", "database"):
        raise RuntimeError(f"FILE_STORAGE must be local or database, not "
                           f"{app.config['FILE_STORAGE']!r}")


def limits_storage_uri(redis_url: str) -> str:
    """The `limits` library's spelling of a Redis URL (a Unix socket is redis+unix://)."""
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://"):]
    return redis_url
