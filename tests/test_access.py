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
    # --- dashboard and reports (issue 6)
    ("GET", "/dashboard/", {A, C, H}, {}),
    ("GET", "/dashboard/venues", {A, C, H}, {}),
    ("GET", "/dashboard/checkins", {A, C, H}, {}),
    ("GET", "/dashboard/export/<any(categories, figures, daily, idle):table>.xlsx", {A, C, H},
     {"table": "idle"}),
    ("GET", "/reports/", {A, C, H}, {}),
    ("GET", "/reports/register", {A, C, H}, {}),
    ("GET", "/reports/new", {A, C}, {}),
    ("POST", "/reports/new", {A, C}, {}),
    ("GET", "/reports/<int:report_id>", {A, C, H}, {}),
    ("GET", "/reports/<int:report_id>/edit", {A, C}, {}),
    ("POST", "/reports/<int:report_id>/edit", {A, C}, {}),
    ("POST", "/reports/<int:report_id>/directives", {A, C}, {}),
    ("POST", "/reports/<int:report_id>/directives/<int:directive_id>/delete", {A, C}, {}),
    ("POST", "/reports/<int:report_id>/submit", {A, C}, {}),
    ("POST", "/reports/<int:report_id>/return", {H}, {}),
    ("POST", "/reports/<int:report_id>/sign", {H}, {}),
    ("GET", "/reports/<int:report_id>/report.pdf", {A, C, H}, {}),
    ("GET", "/reports/<int:report_id>/signed.pdf", {A, C, H}, {}),
    ("POST", "/reports/<int:report_id>/signed.pdf", {A, C, H}, {}),
    ("GET", "/reports/signing", {A, H}, {}),
    ("POST", "/reports/signing", {A, H}, {}),
    ("GET", "/verify/<token>", PUBLIC, {}),
    ("POST", "/verify/<token>", PUBLIC, {}),
]

# How to fill each URL parameter: a function of the test's records (ctx). Features add theirs.
PARAMS = {
    "venue_id": lambda ctx: ctx.venue.id,
    "user_id": lambda ctx: ctx.other_user.id,
    "village_id": lambda ctx: ctx.commune.villages[0].id,
    "point_id": lambda ctx: ctx.venue.points[0].id,
    "report_id": lambda ctx: _report(ctx).id,
    "directive_id": lambda ctx: _report(ctx).directives[0].id,
    "token": lambda ctx: _report(ctx, signed=True).verify_token,
}


def _report(ctx, signed: bool = False):
    """A draft report of the commune with one directive (issue 6), or a signed one."""
    from datetime import date

    from registry.services.reports import (add_directive, create_report, sign_off,
                                           submit_report)

    attr = "signed_report" if signed else "report"
    if getattr(ctx, attr, None) is None:
        author = ctx.make_user(Role.CLERK)
        report = create_report(ctx.commune, author, period_start=date(2026, 1, 1),
                               period_end=date(2026, 1, 31), summary="Báo cáo tháng 1",
                               recipients="Sở Thông tin và Truyền thông",
                               signer_kind="chairman")
        add_directive(report, subject="V/v mã QR", number_date="1/UBND 02/01/2026",
                      issuing_unit="UBND xã", recipients="Các thôn")
        if signed:
            submit_report(report, author)
            sign_off(report, author, today=date(2026, 2, 2))
        db.session.commit()
        setattr(ctx, attr, report)
    return getattr(ctx, attr)

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
