"""A phone's first page of a check-in point, kept per point and language, and the device
cookie every answer to a phone carries (views/checkins.py serves the page).

Why a module of its own: the first page is most of the public GETs (a poster scanned once), and
it is answered here before the point is even resolved; what it may skip, and why that stays
right, is told in one place.
"""
from __future__ import annotations

import secrets

from flask import current_app, g, make_response, render_template, request, session
from flask_babel import get_locale

from registry.caching import SnapshotCache
from registry.extensions import db
from registry.forms.declarations import declaration_form
from registry.forms.device_csrf import DEVICE_COOKIE, PUBLIC_FORM_META, token_for
from registry.services.checkins import device_hash

DEVICE_COOKIE_DAYS = 365


def with_device_cookie(response, value: str):
    """Keep (or refresh) the long-lived cookie that lets this phone check in with one tap."""
    response.set_cookie(DEVICE_COOKIE, value, max_age=DEVICE_COOKIE_DAYS * 24 * 3600,
                        httponly=True, samesite="Lax",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response


# The first page of a phone without a cookie is the same for every phone at a point (the
# empty form, the venue's province and commune filled in) but for its CSRF token: it is
# rendered once per point and language and kept like the point itself (registry/caching.py),
# with the token put in per request.
FIRST_PAGES = SnapshotCache("first_pages", ("checkin_points", "venues", "communes",
                                            "declaration_questions", "retired_point_tokens"))
_TOKEN_SLOT = "\x00csrf-token\x00"


def _new_phone(dev_hash: str | None) -> bool:
    """A phone's very first GET: no device cookie (or none of ours), nothing flashed for it."""
    return dev_hash is None and "_flashes" not in session


def kept_first_page(token: str):
    """A new phone's first page of this point straight from the snapshot, or None.

    Most GETs are a new phone's first page (a poster scanned once): when this process has the
    point's page in its snapshot, it is answered without resolving the point again (its ORM
    copies merged into the session) or reading its questions. The snapshot is emptied by any
    change to the point, its venue, its commune, its questions or a retired token (another
    process within SNAPSHOT_SECONDS), as the point's own snapshot is: a suspended venue or a
    withdrawn code answers as `views/checkins._load` says once the snapshot knows.
    """
    if not _new_phone(device_hash(request.cookies.get(DEVICE_COOKIE))):
        return None
    html = FIRST_PAGES.get(db.session, (token, str(get_locale())), lambda: None)
    if html is None:
        return None
    g.no_store = True  # as `views/checkins._load` says for every page of a point
    cookie = g.device_cookie = secrets.token_urlsafe(32)
    return with_device_cookie(_with_csrf_token(html), cookie)


def _with_csrf_token(html: str):
    """The kept page with this visitor's own CSRF token in its form (the token goes with the
    device cookie the answer carries, forms/device_csrf.py)."""
    if _TOKEN_SLOT in html:
        html = html.replace(_TOKEN_SLOT, token_for(g.device_cookie))
    return make_response(html)


def first_page(token: str, point, venue, commune, questions, locale: str,
                dev_hash: str | None):
    """The answer for a phone's very first GET (no device cookie, nothing flashed for it), or
    None for any other visit. Kept per point token and language (the snapshot is emptied when
    the questions change, so they need not be in its key)."""
    if not _new_phone(dev_hash):
        return None

    def render():
        form = declaration_form(questions, locale=locale, meta=PUBLIC_FORM_META)
        form.province.data = commune.province_name
        form.ward.data = commune.name
        html = render_template("checkins/form.html", point=point, venue=venue,
                               commune=commune, form=form, previous=None, household=[],
                               expired=False)
        csrf_field = getattr(form, "csrf_token", None)
        token = str(csrf_field.current_token) if csrf_field is not None else None
        return html.replace(token, _TOKEN_SLOT) if token else html

    return _with_csrf_token(FIRST_PAGES.get(db.session, (token, locale), render))
