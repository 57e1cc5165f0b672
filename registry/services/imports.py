"""Spreadsheet imports (venues, residents): rows checked one by one, errors per row and column,
written all or nothing; the upload kept between the preview and the confirmation."""
from __future__ import annotations

import os
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from flask import current_app
from flask_babel import force_locale

from registry.text import fold

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass
class ImportRow:
    """One spreadsheet row: the cells as read (`values`, by column key), the row's data as the
    form cleaned it (`cleaned`, by field name), its errors and warnings per column label."""

    line: int
    values: dict
    errors: list[tuple[str, str]] = field(default_factory=list)
    cleaned: dict = field(default_factory=dict)
    warnings: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ImportResult:
    """The parsed rows and whether every one is valid."""

    rows: list[ImportRow]
    header_error: str | None = None

    @property
    def is_valid(self) -> bool:
        return self.header_error is None and bool(self.rows) and \
            all(not r.errors for r in self.rows)

    @property
    def error_count(self) -> int:
        return sum(len(r.errors) for r in self.rows)


def header_index(header: list[str], columns, required, aliases: dict | None = None
                 ) -> dict[str, int] | None:
    """Which column holds each key, from a header row in Vietnamese or English, in any order,
    ignoring case and diacritics; None when a required column is missing.

    `columns` is a sequence of (key, lazy label); `aliases` maps other folded headers to keys.
    """
    known: dict[str, str] = {}
    for key, label in columns:
        for locale in ("vi", "en"):
            with force_locale(locale):
                known[fold(str(label))] = key
        known[key] = key
    known.update(aliases or {})
    index: dict[str, int] = {}
    for i, text in enumerate(header):
        key = known.get(fold(text))
        if key and key not in index:
            index[key] = i
    if not all(k in index for k in required):
        return None
    return index


# --- the upload between preview and confirmation ---------------------------------------


# A previewed file waits this long for its confirmation; then it is deleted (it holds personal
# data: residents' names, managers' phones).
STASH_KEEP = timedelta(hours=2)


def _upload_dir() -> Path:
    """instance/uploads, a folder only the registry's own user can open."""
    path = Path(current_app.instance_path) / "uploads"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & 0o777 != 0o700:
        path.chmod(0o700)
    return path


def _expired(path: Path, now: float) -> bool:
    """Whether a stashed file is older than STASH_KEEP (or gone)."""
    try:
        return path.stat().st_mtime < now - STASH_KEEP.total_seconds()
    except FileNotFoundError:
        return True


def delete_old_uploads(now: float | None = None) -> int:
    """Delete previewed files older than STASH_KEEP; returns how many."""
    now = time.time() if now is None else now
    deleted = 0
    for path in _upload_dir().iterdir():
        if path.is_file() and _expired(path, now):
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


def stash_upload(kind: str, user_id: int, filename: str, data: bytes) -> str:
    """Keep a previewed file for its user (readable by the registry's user only); returns the
    token the confirm form posts back."""
    delete_old_uploads()
    token = secrets.token_urlsafe(16)
    suffix = ".csv" if filename.lower().endswith(".csv") else ".xlsx"
    path = _upload_dir() / f"{kind}-{user_id}-{token}{suffix}"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
    return token


def stashed_upload(kind: str, user_id: int, token: str) -> Path | None:
    """The file stashed by this user under `token`, or None (expired, someone else's, forged)."""
    if not _TOKEN.match(token or ""):
        return None
    matches = sorted(_upload_dir().glob(f"{kind}-{user_id}-{token}.*"))
    if not matches:
        return None
    if _expired(matches[0], time.time()):
        matches[0].unlink(missing_ok=True)
        return None
    return matches[0]
