"""Where files live between requests: job outputs and their parts, previewed uploads.

One interface, two backends, chosen by `FILE_STORAGE`:

- `local` (the default, one machine): files under the instance folder, `instance/<key>`,
  folders 0700 and files 0600, only the registry's own user can read them.
- `database` (several servers): files in the registry's own database (`stored_files`, the
  bytes in chunks of `CHUNK_SIZE`), so a file written on one server is read on any other, with
  no component beyond the database every server already shares. Only the registry's database
  role can read them.

Keys are relative paths of plain names (`jobs/12/part-00003.pdf`, `uploads/venues-3-….csv`).
Files are written and read a chunk at a time (`put_file`, `stream`, `fetch`): a download never
holds the whole file in memory. The keep periods count from `StoredInfo.created_at` (the file's
mtime on disk), for both backends alike; the sweeps that delete old files are in
`services/jobs.py` and `services/imports.py`.

Writes and deletes of the database backend go with the caller's unit of work (the request, or
the job step, commits them); the local backend writes and deletes at once, as files do.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from registry.storage.base import (CHUNK_SIZE, Storage, StorageError, StoredInfo, check_key,
                                   private_file)
from registry.storage.database import DatabaseStorage
from registry.storage.local import LocalStorage

BACKENDS = ("local", "database")
__all__ = ["BACKENDS", "CHUNK_SIZE", "DatabaseStorage", "LocalStorage", "Storage",
           "StorageError", "StoredInfo", "check_key", "private_file", "storage"]


def storage(app: Flask | None = None) -> Storage:
    """The backend the app is configured with (`FILE_STORAGE`), on its instance folder or its
    database."""
    app = app or current_app
    name = app.config.get("FILE_STORAGE", "local")
    if name == "local":
        return LocalStorage(Path(app.instance_path))
    if name == "database":
        return DatabaseStorage()
    raise StorageError(f"FILE_STORAGE must be one of {', '.join(BACKENDS)}, not {name!r}")
