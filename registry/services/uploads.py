"""Uploaded spreadsheets kept between the preview and the confirmation of an import."""
from __future__ import annotations

import re
import secrets
from pathlib import Path

from flask import current_app

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


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
