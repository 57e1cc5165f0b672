"""Spreadsheet imports (venues, residents): rows checked one by one, errors per row and column,
written all or nothing; the upload kept between the preview and the confirmation."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
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


def _upload_dir() -> Path:
    path = Path(current_app.instance_path) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def stash_upload(kind: str, user_id: int, filename: str, data: bytes) -> str:
    """Keep a previewed file for its user; returns the token the confirm form posts back."""
    token = secrets.token_urlsafe(16)
    suffix = ".csv" if filename.lower().endswith(".csv") else ".xlsx"
    (_upload_dir() / f"{kind}-{user_id}-{token}{suffix}").write_bytes(data)
    return token


def stashed_upload(kind: str, user_id: int, token: str) -> Path | None:
    """The file stashed by this user under `token`, or None (expired, someone else's, forged)."""
    if not _TOKEN.match(token or ""):
        return None
    matches = sorted(_upload_dir().glob(f"{kind}-{user_id}-{token}.*"))
    return matches[0] if matches else None
