"""Creating and changing accounts."""
from __future__ import annotations

from sqlalchemy import select

from registry.extensions import db
from registry.models import Role, User
from registry.services.audit import record_event
from registry.text import nfc
from registry.timeutil import utcnow


class UsernameTaken(ValueError):
    """Another account already has this username."""


def create_user(commune_id: int, *, username: str, full_name: str, role: Role | str,
                password: str, venue_id: int | None = None, locale: str = "vi",
                by=None) -> User:
    """Add an account; the password is stored hashed."""
    username = username.strip().lower()
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise UsernameTaken(username)
    role = Role(role)
    user = User(commune_id=commune_id, username=username, full_name=nfc(full_name), role=role,
                venue_id=venue_id if role == Role.VENUE else None, locale=locale)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record_event("create", user, user=by, commune_id=commune_id,
                 details={"username": [None, username], "role": [None, role.value]})
    return user


def update_user(user: User, by, *, full_name: str, role: Role | str, venue_id: int | None,
                locale: str, password: str | None = None) -> None:
    """Change an account's name, role, venue, language and (optionally) password."""
    role = Role(role)
    changes = {}
    for key, value in (("full_name", nfc(full_name)), ("role", role),
                       ("venue_id", venue_id if role == Role.VENUE else None),
                       ("locale", locale)):
        if getattr(user, key) != value:
            changes[key] = [getattr(user, key), value]
            setattr(user, key, value)
    if password:
        user.set_password(password)
        changes["password"] = ["***", "***"]
    if changes:
        db.session.flush()
        record_event("update", user, user=by, details=changes)


def set_user_active(user: User, by, active: bool) -> None:
    """Disable or re-enable an account (accounts are never deleted: the audit trail names them)."""
    if user.is_active_account != active:
        user.is_active_account = active
        db.session.flush()
        record_event("enable" if active else "disable", user, user=by)


def record_login(user: User) -> None:
    """Note a successful login in the account and the audit trail."""
    user.last_login_at = utcnow()
    record_event("login", user, user=user)


def change_own_password(user: User, password: str) -> None:
    """A user sets a new password for their own account."""
    user.set_password(password)
    record_event("password_change", user, user=user)


def set_locale(user: User, locale: str) -> None:
    """The language the account's pages are shown in."""
    user.locale = locale
