"""Creating and changing accounts; logging in: wrong passwords, the growing lockout, and the
account's sessions."""
from __future__ import annotations

from datetime import datetime, timedelta

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
        user.new_session_token()  # a new password ends every session of the account
        changes["password"] = ["***", "***"]
    if changes:
        db.session.flush()
        record_event("update", user, user=by, details=changes)


def set_user_active(user: User, by, active: bool) -> None:
    """Disable or re-enable an account (accounts are never deleted: the audit trail names them)."""
    if user.is_active_account != active:
        user.is_active_account = active
        user.new_session_token()
        db.session.flush()
        record_event("enable" if active else "disable", user, user=by)


# Wrong passwords allowed in a row before the account waits; each further one doubles the wait
# (1, 2, 4 … minutes, at most MAX_LOCK). This is per account, beside the per-address limit of
# the login page: guessing one account's password from many addresses is slowed too, while a
# locked-out colleague waits minutes, not until an administrator comes.
FREE_ATTEMPTS = 5
FIRST_LOCK = timedelta(minutes=1)
MAX_LOCK = timedelta(minutes=30)


def locked_until(user: User, now: datetime | None = None) -> datetime | None:
    """Until when the account refuses logins after wrong passwords (None: it does not)."""
    now = now or utcnow()
    if user.locked_until is not None and user.locked_until > now:
        return user.locked_until
    return None


def record_failed_login(user: User) -> None:
    """A wrong password for `user`: count it, and make the account wait once too many came."""
    user.failed_logins = (user.failed_logins or 0) + 1
    extra = user.failed_logins - FREE_ATTEMPTS
    if extra >= 0:
        user.locked_until = utcnow() + min(FIRST_LOCK * (2 ** min(extra, 10)), MAX_LOCK)
    db.session.flush()


def record_login(user: User, address: str | None = None) -> None:
    """Note a successful login in the account and the audit trail, with the address it came
    from (the visitor's, behind the trusted proxies)."""
    user.last_login_at = utcnow()
    user.failed_logins = 0
    user.locked_until = None
    if not user.session_token:
        user.new_session_token()
    record_event("login", user, user=user, details={"address": address} if address else None)


def end_sessions(user: User) -> None:
    """Log the account out everywhere: its session and remember-me cookies stop working."""
    user.new_session_token()
    db.session.flush()


def change_own_password(user: User, password: str) -> None:
    """A user sets a new password for their own account; the account's other sessions end
    (the view logs the current one in again)."""
    user.set_password(password)
    user.new_session_token()
    record_event("password_change", user, user=user)


def set_locale(user: User, locale: str) -> None:
    """The language the account's pages are shown in."""
    user.locale = locale
