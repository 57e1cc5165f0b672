"""Large benchmark databases built once and reused: a SQLite file under a cache folder, a
PostgreSQL database beside the one given (same server, name + suffix), each keyed by the schema
of the models (a changed schema or another day rebuilds them).

    sqlite_db(name, build) -> SQLite URL of the cached file
    postgres_db(name, base_url, build) -> URL of the cached database
    sqlite_copy(url) / postgres_copy(url): a scratch copy for a benchmark that changes data

`build()` runs inside an app context of the new, empty database (schema made by create_all).
The folder is $REGISTRY_BENCH_CACHE, else /tmp/registry-bench-cache.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.schema import CreateTable

from registry import create_app
from registry.extensions import db
from registry.models import tallies
from registry.timeutil import local_today

CACHE = Path(os.environ.get("REGISTRY_BENCH_CACHE", "/tmp/registry-bench-cache"))
CONFIG = {"SECRET_KEY": "bench", "TESTING": True, "WTF_CSRF_ENABLED": False,
          "RATELIMIT_ENABLED": False}


def schema_key(name: str) -> str:
    """The data set's name, today's date and a hash of the tables' DDL and the triggers (the
    indexes are brought in line on every use instead: `sync_indexes`)."""
    digest = hashlib.sha256()
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        for table in db.metadata.sorted_tables:
            digest.update(str(CreateTable(table).compile(dialect=dialect)).encode())
        for statement in tallies.trigger_statements(dialect.name):
            digest.update(statement.encode())
    return f"{name}-{local_today().isoformat()}-{digest.hexdigest()[:12]}"


def sync_indexes(url: str) -> None:
    """Create the models' indexes a cached database lacks and drop those the models no longer
    have, so an index change costs an index build, not a new data set."""
    engine = create_engine(url)
    with engine.begin() as conn:
        inspector = inspect(conn)
        for table in db.metadata.sorted_tables:
            wanted = {i.name: i for i in table.indexes}
            present = {i["name"] for i in inspector.get_indexes(table.name)}
            for name in present - set(wanted):
                if name and not name.startswith(("sqlite_", "pk_", "uq_")):
                    conn.execute(text(f'DROP INDEX "{name}"'))
            for name in set(wanted) - present:
                wanted[name].create(conn)
        if conn.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
    engine.dispose()


def app_for(url: str):
    """An app on `url` with the benchmark settings."""
    return create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": url})


def sqlite_db(name: str, build) -> str:
    """The cached SQLite database `name` (built by `build()` when missing)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{schema_key(name)}.sqlite"
    if not path.exists():
        for old in CACHE.glob(f"{name}-*.sqlite*"):
            old.unlink()
        partial = path.with_suffix(".building")
        partial.unlink(missing_ok=True)
        app = app_for(f"sqlite:///{partial}")
        with app.app_context():
            db.create_all()
            build()
            db.session.remove()
            with db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            db.engine.dispose()
        partial.rename(path)
    sync_indexes(f"sqlite:///{path}")
    return f"sqlite:///{path}"


def sqlite_copy(url: str, directory: str) -> str:
    """A scratch copy of a cached SQLite database in `directory`."""
    source = Path(make_url(url).database)
    target = Path(directory) / source.name
    shutil.copyfile(source, target)
    return f"sqlite:///{target}"


def _admin(base_url: str):
    """An autocommit engine on the server's `postgres` database (to create databases)."""
    url = make_url(base_url).set(database="postgres")
    return create_engine(url, isolation_level="AUTOCOMMIT")


def postgres_db(name: str, base_url: str, build) -> str:
    """The cached PostgreSQL database `<base database>_<name>` (rebuilt when its key differs)."""
    base = make_url(base_url)
    url = base.set(database=f"{base.database}_{name}")
    key = schema_key(name)
    admin = _admin(base_url)
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                             {"n": url.database})
    current = None
    if exists:
        engine = create_engine(url)
        with engine.connect() as conn:
            try:
                current = conn.scalar(text("SELECT key FROM bench_cache"))
            except Exception:
                current = None
        engine.dispose()
    if current != key:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}"'))
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
        app = app_for(url.render_as_string(hide_password=False))
        with app.app_context():
            db.create_all()
            build()
            db.session.remove()
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                    text("VACUUM ANALYZE"))
            with db.engine.begin() as conn:
                conn.execute(text("CREATE TABLE bench_cache (key text)"))
                conn.execute(text("INSERT INTO bench_cache VALUES (:k)"), {"k": key})
            db.engine.dispose()
    admin.dispose()
    sync_indexes(url.render_as_string(hide_password=False))
    return url.render_as_string(hide_password=False)


def postgres_copy(url: str, suffix: str = "scratch") -> str:
    """A scratch copy (CREATE DATABASE … TEMPLATE) of a cached PostgreSQL database."""
    source = make_url(url)
    target = source.set(database=f"{source.database}_{suffix}")
    admin = _admin(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}"'))
        conn.execute(text(f'CREATE DATABASE "{target.database}" TEMPLATE "{source.database}"'))
    admin.dispose()
    return target.render_as_string(hide_password=False)


def drop_postgres(url: str) -> None:
    """Drop a scratch copy."""
    admin = _admin(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}"'))
    admin.dispose()


def scratch_dir() -> tempfile.TemporaryDirectory:
    """A temporary folder beside the cache (same disk, fast copies)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(dir=CACHE)
