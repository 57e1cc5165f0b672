"""The medical declaration: who declares (their sex, as declared) and the health questions,
editable by an admin per commune."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from registry.extensions import db
from registry.models.base import LabelledEnum
from registry.timeutil import utcnow


class Sex(LabelledEnum):
    """The sex a person declares (stored as its value in a plain text column)."""

    MALE = "male", _l("Male")
    FEMALE = "female", _l("Female")
    OTHER = "other", _l("Other")


class DeclarationQuestion(db.Model):
    """One yes/no question (optionally with a text for "yes") asked on every declaration.

    Answers are stored on the check-in with a copy of the question's text, so editing or retiring
    a question never makes old answers unreadable.
    """

    __tablename__ = "declaration_questions"
    __table_args__ = (UniqueConstraint("commune_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(String(500))  # Vietnamese, as printed and shown
    text_en: Mapped[str | None] = mapped_column(String(500))
    # Whether a "yes" asks for details (which places, which symptoms).
    asks_details: Mapped[bool] = mapped_column(default=False)
    # Whether a "yes" counts as a symptom in the statistics and tracing.
    is_symptom: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(Integer, default=100)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<DeclarationQuestion {self.code}>"
