"""The shared backend: files in the registry's database, one `stored_files` row each and the
bytes in `stored_file_chunks` of CHUNK_SIZE, so every server of a deployment reads what any of
them wrote, with nothing to install beyond the database they already share.

Writes and deletes go through the caller's session: a previewed upload is kept when the preview
request commits, a job's part when the part's step commits, and a file deleted by an import or a
sweep comes back if that unit of work is rolled back. Streaming reads (`stream`, `fetch`) take
one chunk per query on a connection of their own and see what is committed; a slow download
holds no connection while the client reads.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import delete, insert, select, update

from registry.extensions import db
from registry.models import StoredFile, StoredFileChunk
from registry.storage.base import CHUNK_SIZE, Storage, StoredInfo, check_key
from registry.timeutil import utcnow


def _as_info(row) -> StoredInfo:
    return StoredInfo(row.key, row.size, row.created_at)


class DatabaseStorage(Storage):
    """Files in the database every server shares."""

    name = "database"

    def _write(self, key: str, chunks) -> StoredInfo:
        self.delete(check_key(key))
        now = utcnow()
        file_id = db.session.execute(insert(StoredFile).values(key=key, size=0, created_at=now)
                                     .returning(StoredFile.id)).scalar_one()
        size = 0
        for seq, chunk in enumerate(chunks):
            db.session.execute(insert(StoredFileChunk).values(file_id=file_id, seq=seq,
                                                              data=bytes(chunk)))
            size += len(chunk)
        db.session.execute(update(StoredFile).where(StoredFile.id == file_id).values(size=size))
        return StoredInfo(key, size, now)

    def put_file(self, key: str, source: Path) -> StoredInfo:
        with open(source, "rb") as handle:
            return self._write(key, iter(lambda: handle.read(CHUNK_SIZE), b""))

    def put_bytes(self, key: str, data: bytes) -> StoredInfo:
        view = memoryview(data)
        return self._write(key, (view[i:i + CHUNK_SIZE] for i in range(0, len(view), CHUNK_SIZE)))

    def info(self, key: str) -> StoredInfo | None:
        row = db.session.execute(select(StoredFile.key, StoredFile.size, StoredFile.created_at)
                                 .where(StoredFile.key == check_key(key))).first()
        return _as_info(row) if row else None

    def list(self, prefix: str) -> list[StoredInfo]:
        rows = db.session.execute(select(StoredFile.key, StoredFile.size, StoredFile.created_at)
                                  .where(StoredFile.key.startswith(prefix, autoescape=True))
                                  .order_by(StoredFile.key))
        return [_as_info(row) for row in rows]

    def read_bytes(self, key: str) -> bytes | None:
        """Through the session, so a unit of work reads a file it has just written."""
        file_id = db.session.scalar(select(StoredFile.id).where(StoredFile.key == check_key(key)))
        if file_id is None:
            return None
        return b"".join(db.session.scalars(select(StoredFileChunk.data)
                                           .where(StoredFileChunk.file_id == file_id)
                                           .order_by(StoredFileChunk.seq)))

    def stream(self, key: str) -> Iterator[bytes]:
        engine = db.engine  # taken now: the chunks may be read after the request's context
        check_key(key)

        def chunks():
            with engine.connect() as conn:
                file_id = conn.scalar(select(StoredFile.id).where(StoredFile.key == key))
            if file_id is None:
                return
            seq = 0
            while True:
                with engine.connect() as conn:
                    data = conn.scalar(select(StoredFileChunk.data).where(
                        StoredFileChunk.file_id == file_id, StoredFileChunk.seq == seq))
                if data is None:
                    return
                yield bytes(data)
                seq += 1

        return chunks()

    def delete(self, key: str) -> bool:
        # The chunks go with their file (ON DELETE CASCADE).
        result = db.session.execute(delete(StoredFile).where(StoredFile.key == check_key(key)))
        return bool(result.rowcount)

    def delete_prefix(self, prefix: str) -> int:
        result = db.session.execute(delete(StoredFile).where(
            StoredFile.key.startswith(prefix, autoescape=True)))
        return result.rowcount or 0
