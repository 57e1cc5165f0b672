"""Spreadsheet imports (venues, residents): rows checked one by one, errors per row and column,
written all or nothing; the upload kept between the preview and the confirmation."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import force_locale

from registry.storage import StoredInfo, storage
from registry.text import fold
from registry.timeutil import utcnow

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
# The storage keys of previewed files: uploads/<kind>-<user id>-<token>.<csv|xlsx>, kept in the
# storage all servers share, so the confirmation may reach another server than the preview.
UPLOADS_AREA = "uploads/"


@dataclass(frozen=True)
class StashedUpload:
    """A previewed file waiting for its confirmation, wherever the storage keeps it."""

    key: str

    @property
    def name(self) -> str:
        """The file's name, whose suffix says how to read it (.csv or .xlsx)."""
        return self.key.rsplit("/", 1)[1]

    def read_bytes(self) -> bytes:
        """The file's bytes (a spreadsheet is parsed whole)."""
        data = storage().read_bytes(self.key)
        if data is None:
            raise FileNotFoundError(self.key)
        return data

    def delete(self) -> None:
        """Once imported (or expired), the file goes."""
        storage().delete(self.key)


def _expired(info: StoredInfo, now: datetime) -> bool:
    """Whether a stashed file is older than STASH_KEEP."""
    return info.created_at < now - STASH_KEEP


def delete_old_uploads(now: datetime | None = None) -> int:
    """Delete previewed files older than STASH_KEEP; returns how many."""
    now = now or utcnow()
    store = storage()
    deleted = 0
    for info in store.list(UPLOADS_AREA):
        if _expired(info, now):
            store.delete(info.key)
            deleted += 1
    return deleted


def stash_upload(kind: str, user_id: int, filename: str, data: bytes) -> str:
    """Keep a previewed file for its user (readable by the registry's user only); returns the
    token the confirm form posts back."""
    delete_old_uploads()
    token = secrets.token_urlsafe(16)
    suffix = ".csv" if filename.lower().endswith(".csv") else ".xlsx"
    storage().put_bytes(f"{UPLOADS_AREA}{kind}-{user_id}-{token}{suffix}", data)
    return token


def stashed_upload(kind: str, user_id: int, token: str) -> StashedUpload | None:
    """The file stashed by this user under `token`, or None (expired, someone else's, forged)."""
    if not _TOKEN.match(token or ""):
        return None
    store = storage()
    matches = store.list(f"{UPLOADS_AREA}{kind}-{user_id}-{token}.")
    if not matches:
        return None
    if _expired(matches[0], utcnow()):
        store.delete(matches[0].key)
        return None
    return StashedUpload(matches[0].key)
