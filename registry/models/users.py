"""Accounts and their roles."""
from __future__ import annotations

import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from registry.extensions import db
from registry.models.base import LabelledEnum, enum_type
from registry.timeutil import utcnow


class Role(LabelledEnum):
    """The roles of the commune's staff; the value is what is stored."""

    ADMIN = "admin", _l("Administrator")
    CLERK = "clerk", _l("Culture-information officer")
    DATA_ENTRY = "data_entry", _l("Data entry")
    CHAIRMAN = "chairman", _l("Chairman / vice-chairman")
    TRACER = "tracer", _l("Health station (tracing)")
    VENUE = "venue", _l("Venue QR manager")


class User(UserMixin, db.Model):
    """A person who logs in; belongs to one commune, a venue user also to one venue."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        enum_type(Role)
    )
    # use_alter: users and venues refer to each other (created_by / a venue user's venue).
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id", use_alter=True),
                                                 index=True)
    locale: Mapped[str] = mapped_column(String(8), default="vi")
    is_active_account: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # The account's sessions: part of the id Flask-Login keeps in the session and the
    # remember-me cookie ("12:<token>"). Logging out, a new password and disabling the account
    # draw a new token, so every cookie carrying the old one stops working at once.
    session_token: Mapped[str | None] = mapped_column(String(64))
    # Wrong passwords in a row, and until when the account refuses logins because of them.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None]

    commune = relationship("Commune")
    venue = relationship("Venue", foreign_keys=[venue_id])

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.is_active_account

    def get_id(self) -> str:
        """Flask-Login's id of the account's sessions: the user id and the session token."""
        if not self.session_token:
            self.new_session_token()
        return f"{self.id}:{self.session_token}"

    def new_session_token(self) -> None:
        """End every session of the account (cookies carrying the old token stop working)."""
        self.session_token = secrets.token_urlsafe(24)

    def set_password(self, password: str) -> None:
        """Store a salted hash of `password`, never the password."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Whether `password` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def has_role(self, *roles: Role) -> bool:
        """Whether the user holds one of `roles`."""
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role.value}>"
