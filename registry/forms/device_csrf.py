"""CSRF tokens of the public check-in pages, bound to the phone's device cookie instead of the
session (the signed double-submit cookie pattern).

Why: a phone's first page was the only reason a visitor got a session at all. Flask-WTF keeps
the token's random half in the signed session cookie and signs the token from it, so every
poster scanned paid for two signatures, a session cookie written and read back: the largest
share of that page after the rate limit (docs/architecture.md, "Where the time goes"). The
phone gets its long-lived device cookie with that same page anyway (views/checkins.py): the
token is the time plus an HMAC of that cookie, and nothing else is stored.

What stays as Flask-WTF does it: a form without a valid token is refused with the same
messages, signed with WTF_CSRF_SECRET_KEY (else SECRET_KEY), and WTF_CSRF_ENABLED off turns the
check off. A token is valid for WTF_CSRF_TIME_LIMIT seconds; where that is None (the registry's
setting: a session token lives as long as the browser session), for `TOKEN_HOURS`, since the
device cookie lives for a year and its token must not. A page open longer is shown again with
what was typed and a fresh token (views/checkins.py). A token
only works with the cookie it was made for: another site cannot read the phone's cookie (it is
HttpOnly and never shown), so it cannot make a token that goes with it, and a token copied from
one phone's page does not work on another phone.
"""
from __future__ import annotations

import hashlib
import logging

from flask import current_app, g, request
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, SignatureExpired, TimestampSigner
from wtforms.csrf.core import CSRF
from wtforms.validators import ValidationError

log = logging.getLogger(__name__)
DEVICE_COOKIE = "registry_device"
_SALT = "registry-device-csrf"
TOKEN_HOURS = 12
# One signer per secret: itsdangerous derives its key from the secret on every use otherwise.
_SIGNERS: dict[str, TimestampSigner] = {}


def _signer() -> TimestampSigner:
    secret = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    signer = _SIGNERS.get(secret)
    if signer is None:
        if len(_SIGNERS) > 8:  # a test suite makes many apps; production has one secret
            _SIGNERS.clear()
        signer = _SIGNERS[secret] = _CachedKeySigner(secret, salt=_SALT,
                                                     digest_method=hashlib.sha256)
    return signer


class _CachedKeySigner(TimestampSigner):
    """A TimestampSigner that derives its key from the secret once, not on every token."""

    def derive_key(self, secret_key=None):
        if secret_key is not None:
            return super().derive_key(secret_key)
        key = getattr(self, "_derived", None)
        if key is None:
            key = self._derived = super().derive_key()
        return key


def _bound_value(cookie: str) -> bytes:
    # The cookie's digest, not the cookie: the token is on the page, the cookie must stay
    # secret (it lets the phone check in again with its owner's declaration).
    return hashlib.sha256(cookie.encode()).hexdigest().encode()


def token_for(cookie: str) -> str:
    """The token of a page answered to the phone with `cookie` ("<time>.<signature>")."""
    signed = _signer().sign(_bound_value(cookie))
    return signed.decode().split(".", 1)[1]


def answered_cookie() -> str | None:
    """The device cookie the answer to this request carries: the one the view gave out
    (`g.device_cookie`, a new phone's first), else the one the phone sent."""
    return g.get("device_cookie") or request.cookies.get(DEVICE_COOKIE)


class DeviceBoundCSRF(CSRF):
    """WTForms CSRF: the token of a form goes with the phone's device cookie."""

    def setup_form(self, form):
        self.meta = form.meta
        return super().setup_form(form)

    def generate_csrf_token(self, csrf_token_field):
        return _TokenWhenShown()

    def validate_csrf_token(self, form, field):
        validate_token(field.data)


class _TokenWhenShown:
    """The token of a form's page, signed only if the page is shown: a valid check-in is
    answered with a redirect, and signing a token for it was wasted."""

    __slots__ = ("_token",)

    def __init__(self):
        self._token = None

    def __str__(self) -> str:
        if self._token is None:
            cookie = answered_cookie()
            self._token = token_for(cookie) if cookie else ""
        return self._token

    def __html__(self) -> str:
        return str(self)  # letters, digits, "-", "_" and "." only: nothing to escape


def validate_token(token: str | None) -> None:
    """Raise ValidationError unless `token` was made for the device cookie this request sent,
    within the time limit."""
    cookie = request.cookies.get(DEVICE_COOKIE)
    if not token:
        raise ValidationError(_l("The CSRF token is missing."))
    if not cookie:
        # A phone that dropped its cookie since the page was served (or refuses cookies).
        raise ValidationError(_l("The CSRF token is invalid."))
    limit = current_app.config.get("WTF_CSRF_TIME_LIMIT") or TOKEN_HOURS * 3600
    try:
        _signer().unsign(_bound_value(cookie) + b"." + token.encode(), max_age=limit)
    except SignatureExpired:
        log.info("The CSRF token has expired.")
        raise ValidationError(_l("The CSRF token has expired.")) from None
    except (BadData, UnicodeError):
        log.info("The CSRF token is invalid.")
        raise ValidationError(_l("The CSRF token is invalid.")) from None


# The meta of every form of the public check-in pages (passed as `meta=` when made).
PUBLIC_FORM_META = {"csrf_class": DeviceBoundCSRF}
