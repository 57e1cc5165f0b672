"""Every route, every role: the answer must match the access table."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from registry.extensions import db
from registry.models import Role

A, C, D, H, T, V = "admin", "clerk", "data_entry", "chairman", "tracer", "venue"
STAFF = {A, C, D, H, T, V}
PUBLIC = STAFF | {None}  # None: not logged in

# (method, Flask rule exactly as registered, roles allowed, fixed URL values). Anyone else gets
# 403; an anonymous visitor is sent to the login page, unless the page is public.
ACCESS_TABLE = [
    ("GET", "/", STAFF, {}),
    ("GET", "/healthz", PUBLIC, {}),
    ("GET", "/me", STAFF, {}),
    ("GET", "/auth/login", PUBLIC, {}),
    ("POST", "/auth/login", PUBLIC, {}),
    ("GET", "/auth/account", STAFF, {}),
    ("POST", "/auth/account", STAFF, {}),
    ("POST", "/auth/logout", STAFF, {}),
    ("POST", "/language", PUBLIC, {}),
    ("GET", "/venues/", {A, C, H}, {}),
    ("GET", "/venues/new", {A, C}, {}),
    ("POST", "/venues/new", {A, C}, {}),
    ("GET", "/venues/<int:venue_id>", {A, C, H}, {}),
    ("GET", "/venues/<int:venue_id>/edit", {A, C}, {}),
    ("POST", "/venues/<int:venue_id>/edit", {A, C}, {}),
    ("POST", "/venues/<int:venue_id>/status/<any(suspend, reactivate):action>", {A, C},
     {"action": "suspend"}),
    ("GET", "/venues/export.xlsx", {A, C, H}, {}),
    ("GET", "/venues/import/template.xlsx", {A, C}, {}),
    ("GET", "/venues/import", {A, C}, {}),
    ("POST", "/venues/import", {A, C}, {}),
    ("POST", "/venues/import/confirm", {A, C}, {}),
    ("GET", "/admin/users", {A}, {}),
    ("GET", "/admin/users/new", {A}, {}),
    ("POST", "/admin/users/new", {A}, {}),
    ("GET", "/admin/users/<int:user_id>", {A}, {}),
    ("POST", "/admin/users/<int:user_id>", {A}, {}),
    ("POST", "/admin/users/<int:user_id>/<any(enable, disable):action>", {A},
     {"action": "disable"}),
    ("GET", "/admin/categories", {A}, {}),
    ("POST", "/admin/categories", {A}, {}),
    ("GET", "/commune/settings", {A, C}, {}),
    ("POST", "/commune/settings", {A, C}, {}),
    ("GET", "/commune/villages", {A, C}, {}),
    ("POST", "/commune/villages", {A, C}, {}),
    ("POST", "/commune/villages/<int:village_id>/toggle", {A, C}, {}),
    # tracing, retention, audit, a person's own data
    ("GET", "/tracing/", {T, H}, {}),
    ("GET", "/tracing/cases/new", {T, H}, {}),
    ("POST", "/tracing/cases/new", {T, H}, {}),
    ("GET", "/tracing/cases/<int:case_id>", {T, H}, {}),
    ("GET", "/tracing/cases/<int:case_id>/person", {T, H}, {}),
    ("GET", "/tracing/cases/<int:case_id>/venue", {T, H}, {}),
    ("POST", "/tracing/cases/<int:case_id>/contacts", {T, H}, {}),
    ("POST", "/tracing/cases/<int:case_id>/contacts/<int:contact_id>", {T, H}, {}),
    ("GET", "/tracing/cases/<int:case_id>/f1.xlsx", {T, H}, {}),
    ("GET", "/tracing/cases/<int:case_id>/f1.pdf", {T, H}, {}),
    ("POST", "/tracing/cases/<int:case_id>/<any(close, reopen):action>", {T, H},
     {"action": "close"}),
    ("GET", "/audit", {A}, {}),
    ("GET", "/retention", {A, C}, {}),
    ("POST", "/retention/purge", {A}, {}),
    ("POST", "/retention/destroy", {A, C}, {}),
    ("GET", "/privacy", {A, C}, {}),
    ("POST", "/privacy/export", {A, C}, {}),
    ("POST", "/privacy/delete", {A, C}, {}),
    ("GET", "/privacy/checkins/<int:checkin_id>", {A, C}, {}),
    ("POST", "/privacy/checkins/<int:checkin_id>", {A, C}, {}),
]

# How to fill each URL parameter: a function of the test's records (ctx). Features add theirs.
PARAMS = {
    "venue_id": lambda ctx: ctx.venue.id,
    "user_id": lambda ctx: ctx.other_user.id,
    "village_id": lambda ctx: ctx.commune.villages[0].id,
    "point_id": lambda ctx: ctx.venue.points[0].id,
    "case_id": lambda ctx: _tracing_records(ctx)["case"].id,
    "contact_id": lambda ctx: _tracing_records(ctx)["contact"].id,
    "checkin_id": lambda ctx: _tracing_records(ctx)["checkin"].id,
}


def _tracing_records(ctx) -> dict:
    """A tracing case with one F1 contact from one check-in at ctx.venue (made once per ctx)."""
    if not hasattr(ctx, "tracing"):
        from registry.models import CheckinSource
        from registry.services import tracing
        from registry.services.checkins import record_checkin
        from registry.services.declarations import Declaration
        from registry.timeutil import local_today

        checkin = record_checkin(ctx.venue.points[0], CheckinSource.SELF_SCAN,
                                 Declaration(full_name="Nguyễn Văn An"))
        case = tracing.create_case(ctx.commune.id, None, index_label="BN 1",
                                   index_date=local_today(), index_date_kind="onset", notes=None)
        tracing.hold_checkins(case, {checkin.id})
        contact = tracing.add_contacts(case, None, {checkin.id})[0]
        db.session.commit()
        ctx.tracing = {"case": case, "contact": contact, "checkin": checkin}
    return ctx.tracing

PARAM = re.compile(r"<(?:[^:<>]+(?:\([^)]*\))?:)?([a-z_]+)>")


def _url(rule: str, ctx, fixed: dict) -> str:
    def value(match):
        name = match.group(1)
        if name in fixed:
            return str(fixed[name])
        return str(PARAMS[name](ctx))

    return PARAM.sub(value, rule)


def test_every_route_is_in_the_access_table(app):
    """A new route must be added to the table, and so be checked for every role."""
    listed = {(method, rule) for method, rule, _roles, _fixed in ACCESS_TABLE}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (method, rule.rule) not in listed:
                missing.append((method, rule.rule))
    assert not missing, f"routes missing from ACCESS_TABLE: {missing}"
    for method, rule, _roles, fixed in ACCESS_TABLE:
        for name in PARAM.findall(rule):
            assert name in fixed or name in PARAMS, f"no value for <{name}> in {rule}"


@pytest.mark.parametrize("role", [None] + list(Role), ids=lambda r: r.value if r else "anon")
def test_access_table(app, client, auth, commune, make_user, make_venue, role):
    venue = make_venue()
    ctx = SimpleNamespace(app=app, commune=commune, venue=venue, make_user=make_user,
                          make_venue=make_venue, other_user=make_user(Role.CLERK))
    if role is not None:
        user = make_user(role, venue=venue if role == Role.VENUE else None)
        ctx.user = user
        assert auth.login(user).status_code == 302
    name = role.value if role else None
    for method, rule, allowed, fixed in ACCESS_TABLE:
        if method == "POST" and rule == "/auth/logout":
            continue  # would end the session mid-walk; covered in test_auth
        url = _url(rule, ctx, fixed)
        response = client.open(url, method=method)
        db.session.rollback()
        status = response.status_code
        if name in allowed:
            assert status < 500 and status not in (401, 403, 404), (method, url, name, status)
            if status == 302:
                assert "/auth/login" not in response.headers["Location"], (method, url, name)
        elif role is None:
            assert status == 302 and "/auth/login" in response.headers["Location"], (
                method, url, status)
        else:
            assert status == 403, (method, url, name, status)


def test_other_commune_records_are_not_found(app, client, auth, commune, other_commune,
                                             make_user, make_venue):
    """A user of commune A who types the id of commune B's venue gets 404."""
    theirs = make_venue(commune_id=other_commune.id, name="Chợ Hàng Da")
    clerk = make_user(Role.CLERK)
    auth.login(clerk)
    assert client.get(f"/venues/{theirs.id}").status_code == 404
    assert client.get(f"/venues/{theirs.id}/edit").status_code == 404
    assert client.post(f"/venues/{theirs.id}/status/suspend").status_code == 404
    listing = client.get("/venues/?q=hang da").get_data(as_text=True)
    assert "Chợ Hàng Da" not in listing
