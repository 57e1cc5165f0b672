"""A person's requests about their own data (see, export, correct, delete), as handled."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.timeutil import utcnow


class PersonRequest(db.Model):
    """A person's request about their own data (see, export, correct, delete), as handled."""

    __tablename__ = "person_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # access / export / correct / delete
    # Who asked, as a masked identifier: the request is kept, the person's data is not.
    subject: Mapped[str] = mapped_column(String(120))
    reference: Mapped[str] = mapped_column(String(255))  # the application form, its date …
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    handled_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    handled_by = relationship("User")
