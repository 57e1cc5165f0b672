"""Security plumbing: the user loader, role checks, commune scoping, safe redirects, input
without control characters, and response headers."""
from __future__ import annotations

import hmac
import re
from functools import wraps
from urllib.parse import unquote, urlsplit

from flask import Flask, abort, current_app, g, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user
from werkzeug.middleware.proxy_fix import ProxyFix

from registry.extensions import db, login_manager
from registry.models import Role, User
from registry.text import strip_controls

# Only the site's own files; inline styles are allowed for the SVG charts and data: images for QR.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Flask-Login: the user of the session (or remember-me cookie), while the session token it
    carries is still the account's (see User.session_token)."""
    user_id, _sep, token = (session_id or "").partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.session_token or not user.is_active:
        return None
    if not hmac.compare_digest(user.session_token.encode(), token.encode()):
        return None
    return user


login_manager.login_message = _l("Please log in to continue.")


def keep_this_session(user: User) -> None:
    """Log the current browser in again after the account's session token changed (its own new
    password), keeping its remember-me choice; every other session of the account stays ended."""
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in \
        request.cookies
    login_user(user, remember=remembered)


def roles_required(*roles: Role):
    """Allow the view only to logged-in users holding one of `roles`; others get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def get_scoped_or_404(model, object_id: int, commune_attr: str = "commune_id"):
    """Load `model` by id, 404 unless it belongs to the current user's commune."""
    obj = db.session.get(model, object_id)
    if obj is None or getattr(obj, commune_attr) != current_user.commune_id:
        abort(404)
    return obj


def _set_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Permissions-Policy", "geolocation=(), microphone=()")
    if g.get("no_store"):
        response.headers["Cache-Control"] = "no-store"
    hsts = current_app.config.get("HSTS_SECONDS") or 0
    if hsts:
        response.headers.setdefault("Strict-Transport-Security",
                                    f"max-age={int(hsts)}; includeSubDomains")
    return response


# --- redirects that stay on the site ------------------------------------------------------

# Any character a browser drops or reads as a separator before it parses a URL (controls and
# spaces), or reads as a slash ("\\" in most browsers).
_UNSAFE_IN_PATH = re.compile(r"[\x00-\x20\x7f\\]")


def safe_next(target: str | None, default: str | None = None) -> str:
    """`target` if it is a path on this site ("/venues/?q=a"), else `default` (the home page).

    Only a relative path is followed: no scheme, no host, not "//host" or "/\\host", and no
    control character, space or backslash, also once percent-decoded (a browser strips a tab
    from "/%09/evil.com" and goes to //evil.com; a line break in a Location header is an error).
    """
    fallback = default or url_for("main.index")
    if not target or len(target) > 2000:
        return fallback
    for text in (target, unquote(target)):
        if _UNSAFE_IN_PATH.search(text) or not text.startswith("/") or text.startswith("//"):
            return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target


# --- input ---------------------------------------------------------------------------------

def _without_controls(values):
    """A copy of a request's MultiDict with control characters removed from every value, or
    None when none had any (the common case costs one scan)."""
    pairs = list(values.items(multi=True))
    if all(strip_controls(v) == v for _k, v in pairs):
        return None
    return type(values)([(k, strip_controls(v)) for k, v in pairs])


def _clean_request_input() -> None:
    """Strip control characters (C0 except tab and line breaks, DEL) from the query string and
    the posted fields before any view reads them.

    Forms strip them too (the base form); this also covers what views read directly (search
    boxes, ticked ids, a scanned code), so a NUL can neither reach PostgreSQL, which refuses
    it with an error, nor a stored record that every export would then choke on.
    """
    args = _without_controls(request.args)
    if args is not None:
        request.args = args
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        form = _without_controls(request.form)
        if form is not None:
            request.form = form


def _fresh_request_state() -> None:
    """Forget the locale, user and CSRF token cached on `g` by an earlier request in the same
    app context.

    In production every request has its own app context; tests (and CLI code that calls views)
    may share one, and must not see the previous request's user or language.
    """
    g.pop("_flask_babel", None)
    g.pop("_login_user", None)
    # Flask-WTF's signed CSRF token of this session, kept for the request.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXY_HOPS reverse proxies, take the visitor's address and scheme from
    the X-Forwarded-For/-Proto headers those proxies add (Werkzeug's ProxyFix reads only that
    many hops from the right, so a visitor cannot forge an address by sending the header)."""
    hops = int(app.config.get("TRUSTED_PROXY_HOPS") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def init_security(app: Flask) -> None:
    """Trust the configured proxies; clean the input; attach the response headers."""
    trust_proxies(app)
    app.before_request(_fresh_request_state)
    app.before_request(_clean_request_input)
    app.after_request(_set_security_headers)
