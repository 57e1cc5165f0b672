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
    ("GET", "/posters/points/<int:point_id>.pdf", {A, C, H}, {}),
    ("GET", "/posters/venues/<int:venue_id>.pdf", {A, C, H}, {}),
    ("GET", "/posters/batch.pdf", {A, C, H}, {}),
    ("POST", "/posters/points/<int:point_id>/rotate", {A, C}, {}),
    ("GET", "/c/<token>", PUBLIC, {}),
    ("POST", "/c/<token>", PUBLIC, {}),
    ("POST", "/c/<token>/again", PUBLIC, {}),
    ("POST", "/c/<token>/checkout", PUBLIC, {}),
    ("GET", "/my-venue/", {V}, {}),
    ("GET", "/admin/questions", {A}, {}),
    ("POST", "/admin/questions", {A}, {}),
    ("GET", "/admin/questions/<int:question_id>", {A}, {}),
    ("POST", "/admin/questions/<int:question_id>", {A}, {}),
    ("POST", "/admin/questions/<int:question_id>/move/<any(up, down):direction>", {A},
     {"direction": "down"}),
    ("POST", "/admin/questions/<int:question_id>/<any(retire, restore):action>", {A},
     {"action": "retire"}),
    ("GET", "/paper/", {A, C, H}, {}),
    ("GET", "/paper/batches/new", {A, C}, {}),
    ("POST", "/paper/batches/new", {A, C}, {}),
    ("GET", "/paper/batches/<int:batch_id>", {A, C, H}, {}),
    ("GET", "/paper/batches/<int:batch_id>/sheets.pdf", {A, C}, {}),
    ("POST", "/paper/batches/<int:batch_id>/<any(hand, collect, destroy):step>", {A, C},
     {"step": "hand"}),
    ("GET", "/paper/key", {A, C, D}, {}),
    ("POST", "/paper/key", {A, C, D}, {}),
    ("GET", "/paper/sheets/<int:sheet_id>/key", {A, C, D}, {}),
    ("POST", "/paper/sheets/<int:sheet_id>/key", {A, C, D}, {}),
    ("POST", "/paper/sheets/<int:sheet_id>/finish", {A, C, D}, {}),
    ("GET", "/paper/sheets/<int:sheet_id>/second", {A, C, D}, {}),
    ("POST", "/paper/sheets/<int:sheet_id>/second", {A, C, D}, {}),
    ("POST", "/paper/sheets/<int:sheet_id>/second/finish", {A, C, D}, {}),
    ("GET", "/paper/sheets/<int:sheet_id>/review", {A, C}, {}),
    ("POST", "/paper/sheets/<int:sheet_id>/review", {A, C}, {}),
    ("GET", "/paper/double-entry", {A, C, D}, {}),
    ("GET", "/paper/on-behalf", {A, C, D, V}, {}),
    ("POST", "/paper/on-behalf", {A, C, D, V}, {}),
    ("GET", "/paper/people", {A, C}, {}),
    ("POST", "/paper/people/suggest", {A, C}, {}),
    ("POST", "/paper/people/<int:link_id>/<any(confirm, reject):decision>", {A, C},
     {"decision": "reject"}),
    ("GET", "/residents/", {A, C, D, T}, {}),
    ("GET", "/residents/new", {A, C, D}, {}),
    ("POST", "/residents/new", {A, C, D}, {}),
    ("GET", "/residents/<int:resident_id>", {A, C, D, T}, {}),
    ("GET", "/residents/<int:resident_id>/edit", {A, C, D}, {}),
    ("POST", "/residents/<int:resident_id>/edit", {A, C, D}, {}),
    ("POST", "/residents/<int:resident_id>/card/<any(issue, reissue):action>", {A, C},
     {"action": "reissue"}),
    ("POST", "/residents/cards/<int:card_id>/revoke", {A, C}, {}),
    ("GET", "/residents/<int:resident_id>/card.pdf", {A, C}, {}),
    ("GET", "/residents/print", {A, C}, {}),
    ("POST", "/residents/print", {A, C}, {}),
    ("GET", "/residents/import/template.xlsx", {A, C, D}, {}),
    ("GET", "/residents/import", {A, C, D}, {}),
    ("POST", "/residents/import", {A, C, D}, {}),
    ("POST", "/residents/import/confirm", {A, C, D}, {}),
    ("GET", "/the/<token>", PUBLIC, {"token": "unknown-token-000000000000"}),
    ("GET", "/scan/", {V, A, C}, {}),
    ("GET", "/scan/<int:point_id>", {V, A, C}, {}),
    ("POST", "/scan/<int:point_id>", {V, A, C}, {}),
    ("POST", "/scan/<int:point_id>/upload", {V, A, C}, {}),
    ("POST", "/scan/<int:point_id>/household", {V, A, C}, {}),
    ("GET", "/scan/<int:point_id>/session", {V, A, C}, {}),
    ("GET", "/scan/sw.js", PUBLIC, {}),
    ("GET", "/jobs/", STAFF, {}),
    ("GET", "/jobs/<int:job_id>", STAFF, {}),
    ("GET", "/jobs/<int:job_id>/progress", STAFF, {}),
    ("GET", "/jobs/<int:job_id>/download", STAFF, {}),
    ("GET", "/dashboard/", {A, C, H}, {}),
    ("GET", "/dashboard/venues", {A, C, H}, {}),
    ("GET", "/dashboard/checkins", {A, C, H}, {}),
    ("GET", "/dashboard/export/<any(categories, figures, daily, idle):table>.xlsx", {A, C, H},
     {"table": "idle"}),
    ("GET", "/coverage/", {A, C, H}, {}),
    ("GET", "/coverage/export.xlsx", {A, C, H}, {}),
    ("GET", "/reminders/", {A, C, H}, {}),
    ("POST", "/reminders/new", {A, C}, {}),
    ("GET", "/reminders/<int:reminder_id>", {A, C, H}, {}),
    ("GET", "/reminders/<int:reminder_id>/edit", {A, C}, {}),
    ("POST", "/reminders/<int:reminder_id>/edit", {A, C}, {}),
    ("POST", "/reminders/<int:reminder_id>/venues/<int:listed_id>/delete", {A, C}, {}),
    ("POST", "/reminders/<int:reminder_id>/submit", {A, C}, {}),
    ("POST", "/reminders/<int:reminder_id>/return", {H}, {}),
    ("POST", "/reminders/<int:reminder_id>/sign", {H}, {}),
    ("GET", "/reminders/<int:reminder_id>/letter.pdf", {A, C, H}, {}),
    ("GET", "/reminders/venues/<int:venue_id>", {A, C, H}, {}),
    ("POST", "/reminders/venues/<int:venue_id>", {A, C}, {}),
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
    ("POST", "/reports/<int:report_id>/redraft", {A, C}, {}),
    ("POST", "/reports/<int:report_id>/return", {H}, {}),
    ("POST", "/reports/<int:report_id>/sign", {H}, {}),
    ("GET", "/reports/<int:report_id>/report.pdf", {A, C, H}, {}),
    ("GET", "/reports/<int:report_id>/signed.pdf", {A, C, H}, {}),
    ("POST", "/reports/<int:report_id>/signed.pdf", {A, C, H}, {}),
    ("GET", "/reports/signing", {A, H}, {}),
    ("POST", "/reports/signing", {A, H}, {}),
    ("GET", "/verify/<token>", PUBLIC, {"token": lambda ctx: _report(ctx, signed=True).verify_token}),
    ("POST", "/verify/<token>", PUBLIC, {"token": lambda ctx: _report(ctx, signed=True).verify_token}),
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
    ("POST", "/tracing/cases/<int:case_id>/notices.pdf", {T, H}, {}),
    ("POST", "/tracing/cases/<int:case_id>/notices-sms.csv", {T, H}, {}),
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
    "token": lambda ctx: ctx.venue.points[0].token,
    "question_id": lambda ctx: _first_question(ctx).id,
    "batch_id": lambda ctx: _paper_batch(ctx).id,
    "sheet_id": lambda ctx: _paper_batch(ctx).sheets[0].id,
    "link_id": lambda ctx: _person_link(ctx).id,
    "resident_id": lambda ctx: _resident(ctx).id,
    "card_id": lambda ctx: _resident_card(ctx).id,
    "job_id": lambda ctx: _job(ctx).id,
    "report_id": lambda ctx: _report(ctx).id,
    "directive_id": lambda ctx: _report(ctx).directives[0].id,
    "reminder_id": lambda ctx: _reminder(ctx).id,
    "listed_id": lambda ctx: _reminder(ctx).venues[0].id,
    "case_id": lambda ctx: _tracing_records(ctx)["case"].id,
    "contact_id": lambda ctx: _tracing_records(ctx)["contact"].id,
    "checkin_id": lambda ctx: _tracing_records(ctx)["checkin"].id,
}


def _first_question(ctx):
    from registry.services.declarations import active_questions

    return active_questions(ctx.commune.id)[0]


def _paper_batch(ctx):
    """A collected batch of two log sheets at the test venue (made once per test)."""
    if getattr(ctx, "paper_batch", None) is None:
        from datetime import date

        from registry.models import FormKind
        from registry.services.paper.custody import collect_batch, create_batch

        batch = create_batch(ctx.venue.points[0], FormKind.LOG, 2, None)
        collect_batch(batch, ctx.other_user, date.today(), "Anh Tuấn", 2)
        db.session.commit()
        ctx.paper_batch = batch
    return db.session.get(type(ctx.paper_batch), ctx.paper_batch.id)


def _person_link(ctx):
    """A suggested same-person link between two check-ins at the test venue."""
    from registry.models import CheckinSource, PersonLink
    from registry.services.checkins import record_checkin
    from registry.services.declarations import Declaration

    a, b = (record_checkin(ctx.venue.points[0], CheckinSource.PAPER,
                           Declaration(full_name="Nguyễn Văn An", birth_year=1975))
            for _ in range(2))
    link = PersonLink(commune_id=ctx.commune.id, checkin_a_id=a.id, checkin_b_id=b.id,
                      reason="name_year_phone")
    db.session.add(link)
    db.session.commit()
    return link


def _resident(ctx):
    """A resident of the test commune (made once per test)."""
    if getattr(ctx, "resident", None) is None:
        from registry.services.residents.register import add_resident

        ctx.resident = add_resident(ctx.commune.id, ctx.other_user, full_name="Nguyễn Văn Bình",
                                    birth_year=1980, sex="male",
                                    village_id=ctx.commune.villages[0].id)
        db.session.commit()
    return ctx.resident


def _resident_card(ctx):
    """A fresh valid card of that resident (revoking it must find it valid)."""
    from registry.services.residents.cards import issue_card

    card = issue_card(_resident(ctx), ctx.other_user)
    db.session.commit()
    return card


def _job(ctx):
    """A finished job of the logged-in user, with its file."""
    from registry.models import Job, JobStatus
    from registry.services.jobs import jobs_dir

    owner = getattr(ctx, "user", None) or ctx.other_user
    job = Job(commune_id=ctx.commune.id, user_id=owner.id, kind="resident_cards", title="Thẻ",
              status=JobStatus.DONE, result_path=f"test-{owner.id}.pdf", result_name="the.pdf")
    db.session.add(job)
    db.session.commit()
    (jobs_dir(ctx.app) / job.result_path).write_bytes(b"%PDF-1.4 test")
    return job


def _report(ctx, signed: bool = False):
    """A draft report of the commune with one directive (issue 6), or a signed one."""
    from datetime import date

    from registry.pdf.reports import render_report_pdf
    from registry.services.reports.drafting import (
        add_directive,
        create_report,
        submit_report,
    )
    from registry.services.reports.sign_off import sign_off

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
            sign_off(report, author, render_report_pdf, today=date(2026, 2, 2))
        db.session.commit()
        setattr(ctx, attr, report)
    return getattr(ctx, attr)


def _reminder(ctx):
    """A draft reminder (issue 12) to a venue of its own, which has no QR poster printed."""
    if getattr(ctx, "reminder", None) is None:
        from datetime import timedelta

        from registry.services.coverage import NO_QR
        from registry.services.reminders import draft_reminder
        from registry.timeutil import local_today

        today = local_today()
        venue = ctx.make_venue(name="Tạp hóa Cô Lan", category="household_business")
        ctx.reminder = draft_reminder(ctx.commune, ctx.other_user, NO_QR,
                                      today - timedelta(days=29), today, {venue.id})
        db.session.commit()
    return db.session.get(type(ctx.reminder), ctx.reminder.id)


def _tracing_records(ctx) -> dict:
    """A tracing case with one F1 contact from one check-in at ctx.venue (made once per ctx)."""
    if not hasattr(ctx, "tracing"):
        from registry.models import CheckinSource
        from registry.services.checkins import record_checkin
        from registry.services.declarations import Declaration
        from registry.services.tracing import cases as tracing
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
            value = fixed[name]
            return str(value(ctx) if callable(value) else value)
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
