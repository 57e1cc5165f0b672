"""The storage interface every backend offers, its keys and what it says about a file."""
from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

# Bytes per piece when files are copied or streamed (and per row of the database backend).
CHUNK_SIZE = 1024 * 1024
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$")


class StorageError(ValueError):
    """A key that is not a plain relative path, or an unknown backend."""


@dataclass(frozen=True)
class StoredInfo:
    """What the storage knows about one file: its key, size and when it was written (UTC)."""

    key: str
    size: int
    created_at: datetime


def check_key(key: str) -> str:
    """The key itself if it is a relative path of plain names (no `..`, no leading slash)."""
    parts = key.split("/")
    if not key or len(key) > 255 or not all(_NAME.match(part) for part in parts):
        raise StorageError(f"not a storage key: {key!r}")
    return key


class Storage(ABC):
    """The operations every backend offers."""

    name: str

    @abstractmethod
    def put_file(self, key: str, source: Path) -> StoredInfo:
        """Copy a local file in under `key` (replacing what was there), a chunk at a time."""

    @abstractmethod
    def put_bytes(self, key: str, data: bytes) -> StoredInfo:
        """Keep `data` under `key` (small files: a previewed upload)."""

    @abstractmethod
    def info(self, key: str) -> StoredInfo | None:
        """The file's size and age, or None when there is none."""

    @abstractmethod
    def list(self, prefix: str) -> list[StoredInfo]:
        """Every file whose key starts with `prefix` (`jobs/`, `uploads/venues-3-`)."""

    @abstractmethod
    def stream(self, key: str) -> Iterator[bytes]:
        """The file's bytes, chunk by chunk; nothing is opened until the first chunk is asked
        for, and what was opened is closed when the iterator is closed or exhausted."""

    @abstractmethod
    def delete(self, key: str) -> bool:
        """Remove one file; whether there was one."""

    @abstractmethod
    def delete_prefix(self, prefix: str) -> int:
        """Remove every file under `prefix` (a job's folder: `jobs/12/`); how many went."""

    def read_bytes(self, key: str) -> bytes | None:
        """A small file whole (a previewed upload the parser needs at once), or None."""
        if self.info(key) is None:
            return None
        return b"".join(self.stream(key))

    def fetch(self, key: str, target: Path) -> Path:
        """The file as a local path for a program that needs one (pypdf joining the parts):
        copied into `target`, a chunk at a time, readable by the registry's user only."""
        with private_file(target) as out:
            for chunk in self.stream(key):
                out.write(chunk)
        return target

    def local_path(self, key: str) -> Path | None:
        """Where the file is on this machine's disk, when the backend keeps it there."""
        return None


def private_file(path: Path):
    """Open `path` for writing, created 0600 whatever the umask."""
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(descriptor, "wb")
