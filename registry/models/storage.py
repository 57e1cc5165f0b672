"""Files kept in the database (`FILE_STORAGE=database`), so every server of a deployment sees
the same job outputs and previewed uploads: one row per file, its bytes in chunks of at most
a megabyte, written and read one chunk at a time (never the whole file in memory)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from registry.extensions import db
from registry.timeutil import utcnow


class StoredFile(db.Model):
    """One file under its key (`jobs/12/the-kiem-soat.pdf`, `uploads/venues-3-….csv`); the
    key's first part says what it is, and the sweeps that delete it after its keep period."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    # When the file was written: the keep periods count from here (as from a file's mtime).
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<StoredFile {self.key} {self.size}>"


class StoredFileChunk(db.Model):
    """One piece of a stored file, in order; deleting the file deletes its pieces."""

    __tablename__ = "stored_file_chunks"

    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id", ondelete="CASCADE"),
                                         primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)
