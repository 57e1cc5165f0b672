"""Backups while the site runs: SQLite's online backup API, pg_dump for PostgreSQL."""
from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from registry.extensions import db
from registry.timeutil import utcnow

PG_DUMP = "/usr/bin/pg_dump"
PG_RESTORE = "/usr/bin/pg_restore"


class BackupError(RuntimeError):
    """A backup or restore failed (message says why)."""


def _url():
    return make_url(str(db.engine.url.render_as_string(hide_password=False)))


def _sqlite_path(url) -> str:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return url.database


def _pg_env(url) -> tuple[list[str], dict]:
    """Connection arguments for the PostgreSQL tools (password passed in the environment)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    args = ["-h", url.host or "localhost", "-p", str(url.port or 5432),
            "-U", url.username or "postgres", "-d", url.database]
    return args, env


def default_backup_path(directory: Path) -> Path:
    """instance/backups/registry-YYYYmmdd-HHMMSS.(sqlite|dump)."""
    suffix = "sqlite" if _url().get_backend_name() == "sqlite" else "dump"
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"registry-{utcnow():%Y%m%d-%H%M%S}.{suffix}"


def backup(target: Path) -> Path:
    """Write a consistent copy of the database to `target` while it is in use."""
    url = _url()
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        dest = sqlite3.connect(str(target))
        try:
            # The online backup copies a consistent snapshot even while others write.
            source.backup(dest, pages=1024)
        finally:
            dest.close()
            source.close()
    else:
        args, env = _pg_env(url)
        # One transaction snapshot (pg_dump's default): consistent while the site writes.
        done = subprocess.run([PG_DUMP, "--format=custom", "--no-owner", "--no-privileges",
                               "-f", str(target), *args], env=env, capture_output=True,
                              text=True)
        if done.returncode:
            raise BackupError(done.stderr.strip())
    target.chmod(0o600)  # a backup holds personal data
    return target


def restore(source: Path) -> None:
    """Replace the database's contents with a backup written by `backup`."""
    url = _url()
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        try:
            src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            src.execute("PRAGMA schema_version").fetchone()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is not a SQLite backup") from exc
        dest = sqlite3.connect(_sqlite_path(url))
        try:
            src.backup(dest)
        finally:
            dest.close()
            src.close()
    else:
        args, env = _pg_env(url)
        done = subprocess.run([PG_RESTORE, "--clean", "--if-exists", "--no-owner",
                               "--no-privileges", "--single-transaction", *args, str(source)],
                              env=env, capture_output=True, text=True)
        if done.returncode:
            raise BackupError(done.stderr.strip())
    db.engine.dispose()
