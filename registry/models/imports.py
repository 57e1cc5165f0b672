"""Receipts of confirmed spreadsheet imports: one row per previewed file that was imported, so
that a second click on "Import" or a replayed request finds the receipt and imports nothing."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.timeutil import utcnow


class ImportReceipt(db.Model):
    """One confirmed import: its kind (venues, residents), the preview's token, what it did."""

    __tablename__ = "import_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    # The token of the stashed preview: unique, so two confirms of one preview cannot both
    # commit; the second one's insert is refused and it reports the first one's receipt.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User")

    def __repr__(self) -> str:
        return f"<ImportReceipt {self.kind} +{self.added} ~{self.updated}>"
