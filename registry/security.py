"""Security plumbing: the user loader, role checks, commune scoping and response headers."""
from __future__ import annotations

from functools import wraps

from flask import Flask, abort, g
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from registry.extensions import db, login_manager
from registry.models import Role, User

# Only the site's own files; inline styles are allowed for the SVG charts and data: images for QR.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Flask-Login: the user stored in the session, if still active."""
    if not user_id.isdigit():
        return None
    return db.session.get(User, int(user_id))


login_manager.login_message = _l("Please log in to continue.")


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
    return response


def _fresh_request_state() -> None:
    """Forget the locale and user cached on `g` by an earlier request in the same app context.

    In production every request has its own app context; tests (and CLI code that calls views)
    may share one, and must not see the previous request's user or language.
    """
    g.pop("_flask_babel", None)
    g.pop("_login_user", None)


def init_security(app: Flask) -> None:
    """Attach the response headers to every answer."""
    app.before_request(_fresh_request_state)
    app.after_request(_set_security_headers)
