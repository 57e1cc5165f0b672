"""Spreadsheet imports (venues, residents): rows checked one by one, errors per row and column,
rows matching a record already registered (skipped or updated, as the clerk chooses), the
template's sample row left out; written all or nothing; the upload kept between the preview
and the confirmation, and a receipt so that one preview is never imported twice."""
from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import force_locale
from sqlalchemy import select

from registry.extensions import db
from registry.models import ImportReceipt
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
    # The record already registered that this row stands for (same venue, same resident), and
    # how the preview describes it; the confirmation skips or updates it.
    existing_id: int | None = None
    existing_label: str = ""
    # The template's own sample row: shown as such in the preview, never imported.
    is_sample: bool = False
    # Cells the preview shows composed from others (a household: number · relation).
    shown: dict = field(default_factory=dict)


@dataclass
class ImportResult:
    """The parsed rows and whether every one is valid."""

    rows: list[ImportRow]
    header_error: str | None = None

    @property
    def data_rows(self) -> list[ImportRow]:
        """The rows that stand for records: all but the template's sample row."""
        return [r for r in self.rows if not r.is_sample]

    @property
    def is_valid(self) -> bool:
        return self.header_error is None and bool(self.data_rows) and \
            all(not r.errors for r in self.data_rows)

    @property
    def error_count(self) -> int:
        return sum(len(r.errors) for r in self.data_rows)

    @property
    def new_rows(self) -> list[ImportRow]:
        """Rows that add a record."""
        return [r for r in self.data_rows if r.existing_id is None]

    @property
    def matching_rows(self) -> list[ImportRow]:
        """Rows that match a record already registered."""
        return [r for r in self.data_rows if r.existing_id is not None]

    @property
    def warning_count(self) -> int:
        return sum(len(r.warnings) for r in self.data_rows)


@dataclass
class ImportOutcome:
    """What a confirmed import did."""

    added: int = 0
    updated: int = 0
    skipped: int = 0


def is_sample_row(values: dict, marker_key: str) -> bool:
    """Whether a row is the template's sample: its first cell starts with the sample marker
    ("Ví dụ:" or "Example:", written by the template), in any case and with or without
    diacritics."""
    first = fold(values.get(marker_key, ""))
    return any(first.startswith(mark) for mark in SAMPLE_MARKS)


# The words that open the sample row of every import template, folded: "Ví dụ:", "Example:".
SAMPLE_MARKS = ("vi du:", "example:")


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
# The cells the preview read, kept beside the file under its key + this suffix.
CELLS_SUFFIX = ".cells.json"


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

    def read_cells(self) -> list[list[str]] | None:
        """The sheet's cells as the preview read them (kept beside the file, so the
        confirmation checks the rows again without decoding the spreadsheet again), or None
        when they were not kept."""
        data = storage().read_bytes(self.key + CELLS_SUFFIX)
        return None if data is None else json.loads(data)

    def delete(self) -> None:
        """Once imported (or expired), the file goes, with its cells."""
        storage().delete(self.key + CELLS_SUFFIX)
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


def stash_upload(kind: str, user_id: int, filename: str, data: bytes,
                 cells: list[list[str]] | None = None) -> str:
    """Keep a previewed file for its user (readable by the registry's user only), and the cells
    the preview read from it; returns the token the confirm form posts back."""
    delete_old_uploads()
    token = secrets.token_urlsafe(16)
    suffix = ".csv" if filename.lower().endswith(".csv") else ".xlsx"
    key = f"{UPLOADS_AREA}{kind}-{user_id}-{token}{suffix}"
    if cells is not None:
        storage().put_bytes(key + CELLS_SUFFIX, json.dumps(cells, ensure_ascii=False).encode())
    storage().put_bytes(key, data)
    return token


def stashed_upload(kind: str, user_id: int, token: str) -> StashedUpload | None:
    """The file stashed by this user under `token`, or None (expired, someone else's, forged)."""
    if not _TOKEN.match(token or ""):
        return None
    store = storage()
    matches = [info for info in store.list(f"{UPLOADS_AREA}{kind}-{user_id}-{token}.")
               if not info.key.endswith(CELLS_SUFFIX)]
    if not matches:
        return None
    if _expired(matches[0], utcnow()):
        store.delete(matches[0].key)
        return None
    return StashedUpload(matches[0].key)


# --- one import per preview -------------------------------------------------------------


def receipt_for(kind: str, token: str) -> ImportReceipt | None:
    """The receipt of the import already made from this preview, if any."""
    return db.session.scalar(select(ImportReceipt).where(ImportReceipt.kind == kind,
                                                         ImportReceipt.token == token))


def claim_preview(commune_id: int, user, kind: str, token: str) -> ImportReceipt:
    """Write the receipt of this preview's import before importing anything.

    Its token is unique: a second confirm of the same preview (a double click, a replayed
    request) is refused by the database even when both run at the same moment, and the caller
    (`retry_on_unique_clash`) runs again and finds this receipt.
    """
    receipt = ImportReceipt(commune_id=commune_id, user_id=user.id, kind=kind, token=token,
                            added=0, updated=0, skipped=0)
    db.session.add(receipt)
    db.session.flush()
    return receipt
