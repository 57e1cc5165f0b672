"""The single-machine backend: files under the instance folder, `instance/<key>`, folders 0700
and files 0600 whatever the umask (as backups are), written under a temporary name and renamed,
so a reader never sees half a file."""
from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from registry.storage.base import CHUNK_SIZE, Storage, StoredInfo, check_key, private_file

PRIVATE_DIR = 0o700
# Files being written are named so; they are never listed (a key cannot start with a dot).
_TEMPORARY = ".part-"


def _split_prefix(prefix: str) -> tuple[str, str]:
    """A prefix as its folder (checked as a key) and the start of the names in it."""
    folder, _slash, start = prefix.rpartition("/")
    if folder:
        check_key(folder)
    if start:
        check_key(start)
    return folder, start


class LocalStorage(Storage):
    """Files in a folder of this machine (the instance folder)."""

    name = "local"

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def _private_parents(self, path: Path) -> None:
        """Create the folders between the root and `path`, each 0700."""
        folder = path.parent
        missing = []
        while folder != self.root and not folder.is_dir():
            missing.append(folder)
            folder = folder.parent
        self.root.mkdir(parents=True, exist_ok=True)
        for folder in reversed(missing):
            folder.mkdir(mode=PRIVATE_DIR, exist_ok=True)
            folder.chmod(PRIVATE_DIR)  # mkdir's mode is cut by the umask

    def _info(self, key: str, path: Path) -> StoredInfo | None:
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        if not path.is_file():
            return None
        written = datetime.fromtimestamp(stat.st_mtime, timezone.utc).replace(tzinfo=None)
        return StoredInfo(key, stat.st_size, written)

    def _write(self, key: str, chunks) -> StoredInfo:
        target = self._path(key)
        self._private_parents(target)
        temporary = target.with_name(_TEMPORARY + secrets.token_hex(8))
        try:
            with private_file(temporary) as out:
                for chunk in chunks:
                    out.write(chunk)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        return self._info(key, target)

    def put_file(self, key: str, source: Path) -> StoredInfo:
        """Copy `source` in; a file already in its place (a job writing in the folder itself)
        is only made private."""
        target = self._path(key)
        if Path(source).resolve() == target.resolve():
            os.chmod(target, 0o600)
            return self._info(key, target)
        with open(source, "rb") as handle:
            return self._write(key, iter(lambda: handle.read(CHUNK_SIZE), b""))

    def put_bytes(self, key: str, data: bytes) -> StoredInfo:
        return self._write(key, [data])

    def info(self, key: str) -> StoredInfo | None:
        return self._info(key, self._path(key))

    def list(self, prefix: str) -> list[StoredInfo]:
        folder_key, start = _split_prefix(prefix)
        folder = self.root / folder_key if folder_key else self.root
        if not folder.is_dir():
            return []
        found = []
        for path in sorted(folder.rglob("*")):
            key = path.relative_to(self.root).as_posix()
            if not key.startswith(prefix) or path.name.startswith("."):
                continue
            info = self._info(key, path)
            if info is not None:
                found.append(info)
        return found

    def stream(self, key: str) -> Iterator[bytes]:
        path = self._path(key)

        def chunks():
            with open(path, "rb") as handle:
                while chunk := handle.read(CHUNK_SIZE):
                    yield chunk

        return chunks()

    def delete(self, key: str) -> bool:
        path = self._path(key)
        existed = path.is_file()
        path.unlink(missing_ok=True)
        return existed

    def delete_prefix(self, prefix: str) -> int:
        """A folder prefix (`jobs/12/`) goes with its folder, whatever is left in it."""
        found = self.list(prefix)
        folder_key, start = _split_prefix(prefix)
        if folder_key and not start:
            shutil.rmtree(self.root / folder_key, ignore_errors=True)
        else:
            for info in found:
                self.delete(info.key)
        return len(found)

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None
