"""Contact tracing: cases, the person and venue searches run for them, F1 contacts and their
follow-up, and the F1 list printed or exported."""
from __future__ import annotations

import io
from datetime import datetime, timedelta

from flask import (Blueprint, abort, flash, redirect, render_template, request, send_file,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import SelectChoice

from registry import signals
from registry.demo.tracing import seed_tracing
from registry.extensions import db
from registry.forms import ActionForm
from registry.forms.tracing import CaseForm, ContactForm, PersonSearchForm, VenueSearchForm
from registry.models import CaseContact, CaseHold, CaseStatus, CheckinPoint, Commune, FollowUp
from registry.models import Role, TracingCase
from registry.pdf.f1_list import render_f1_list
from registry.security import get_scoped_or_404, roles_required
from registry.services.audit import record_event
from registry.services.privacy import mask_id_number
from registry.services.tracing import cases, notices, search
from registry.spreadsheets import write_xlsx
from registry.timeutil import local_to_utc, local_today
from registry.views.confirm import ask_first, confirmed

bp = Blueprint("tracing", __name__)

TRACERS = (Role.TRACER, Role.CHAIRMAN)

SEARCH_ERRORS = {
    "empty": _l("Enter a name, phone, ID number or card number."),
    "short": _l("Enter at least two letters of the name."),
    "phone": _l("This is not a phone number; check the digits."),
    "id": _l("An ID number has 12 digits (CCCD), 9 digits (CMND) or is a passport number."),
    "venue": _l("Choose a venue or a check-in point."),
    "point": _l("Choose a venue or a check-in point."),
}


def _case_or_404(case_id: int) -> TracingCase:
    return get_scoped_or_404(TracingCase, case_id)


def _reason(case: TracingCase) -> str:
    return f"#{case.id} {case.index_label}"[:255]


@bp.get("/tracing/")
@roles_required(*TRACERS)
def index():
    """The tracing cases, open ones first."""
    cases = db.session.scalars(
        select(TracingCase).where(TracingCase.commune_id == current_user.commune_id)
        .order_by(TracingCase.status.desc(), TracingCase.created_at.desc())).all()
    counts = dict(db.session.execute(
        select(CaseContact.case_id, func.count()).join(TracingCase)
        .where(TracingCase.commune_id == current_user.commune_id)
        .group_by(CaseContact.case_id)).all())
    return render_template("tracing/index.html", cases=cases, counts=counts)


@bp.route("/tracing/cases/new", methods=["GET", "POST"])
@roles_required(*TRACERS)
def case_new():
    """Open a case: every search belongs to one, which is its stated reason."""
    form = CaseForm()
    if form.validate_on_submit():
        case = cases.create_case(current_user.commune_id, current_user,
                                   index_label=form.index_label.data,
                                   index_date=form.index_date.data,
                                   index_date_kind=form.index_date_kind.data,
                                   notes=form.notes.data or None)
        record_event("case_open", case, reason=_reason(case))
        flash(_("Case opened. Search for the index case's visits now."), "success")
        return redirect(url_for("tracing.person_search", case_id=case.id))
    return render_template("tracing/case_form.html", form=form)


@bp.get("/tracing/cases/<int:case_id>")
@roles_required(*TRACERS)
def case_detail(case_id: int):
    """A case: its F1 contacts with their follow-up, and the searches run for it."""
    case = _case_or_404(case_id)
    record_event("view", case, reason=_reason(case), details={"contacts": len(case.contacts)})
    waiting = notices.unreached(case)
    return render_template("tracing/case_detail.html", case=case,
                           contact_form=ContactForm(), follow_ups=FollowUp,
                           action_form=ActionForm(), unreached_ids={c.id for c in waiting},
                           unreached_with_phone=sum(
                               1 for c in waiting if notices.sms_phone(c.phone)))


@bp.post("/tracing/cases/<int:case_id>/<any(close, reopen):action>")
@roles_required(*TRACERS)
def case_status(case_id: int, action: str):
    """Close a case (its records may then be purged) or reopen it."""
    case = _case_or_404(case_id)
    if action == "close" and case.is_open and not confirmed():
        return ask_first(
            title=_("Close this case?"), record=_reason(case),
            consequences=[
                _("The check-ins it holds are no longer kept for it: they are deleted when "
                  "their normal retention period ends."),
                _("No more searches or F1 contacts can be added until it is reopened.")],
            button=_("Close the case"),
            cancel_url=url_for("tracing.case_detail", case_id=case.id))
    cases.set_case_status(case, CaseStatus.CLOSED if action == "close" else CaseStatus.OPEN)
    record_event(f"case_{action}", case, reason=_reason(case))
    flash(_("Case closed; its records follow the normal retention period now.")
          if action == "close" else _("Case reopened."), "success")
    return redirect(url_for("tracing.case_detail", case_id=case.id))


def _require_open(case: TracingCase):
    if not case.is_open:
        flash(_("This case is closed. Reopen it to search or add contacts."), "warning")
        return redirect(url_for("tracing.case_detail", case_id=case.id))
    return None


@bp.get("/tracing/cases/<int:case_id>/person")
@roles_required(*TRACERS)
def person_search(case_id: int):
    """Trace a person: their visits and who overlapped each, for this case."""
    case = _case_or_404(case_id)
    closed = _require_open(case)
    if closed:
        return closed
    form = PersonSearchForm(request.args, meta={"csrf": False})
    if not request.args:
        form.date_to.data = local_today()
        form.date_from.data = max(case.index_date - timedelta(days=14),
                                  local_today() - timedelta(days=60))
        form.window.data = search.DEFAULT_WINDOW_MINUTES
    result = None
    if request.args and form.validate():
        try:
            result = search.person_search(current_user.commune_id, form.q.data,
                                           form.kind.data, form.date_from.data,
                                           form.date_to.data, form.window.data,
                                           all_namesakes=request.args.get("all") == "1")
        except search.SearchError as exc:
            form.q.errors.append(str(SEARCH_ERRORS[str(exc)]))
        else:
            params = {"q": form.q.data, "kind": result.kind,
                      "from": form.date_from.data.isoformat(),
                      "to": form.date_to.data.isoformat(), "window": form.window.data}
            cases.log_search(case, current_user, "person", params, len(result.visits),
                               result.contact_count, result.all_checkin_ids())
            record_event("search", case, reason=_reason(case), details={
                "kind": "person", "by": result.kind,
                "query": mask_id_number(form.q.data) if result.kind == "id"
                else form.q.data,
                "from": params["from"], "to": params["to"], "window": form.window.data,
                "visits": len(result.visits), "contacts": result.contact_count,
                "namesakes": len(result.candidates)})
    return render_template("tracing/person_search.html", case=case, form=form, result=result)


def _place_choices(form: VenueSearchForm) -> None:
    choices = [SelectChoice("", _("— choose —"))]
    last_venue = None
    for point in search.points_for(current_user.commune_id):
        if point.venue_id != last_venue:
            choices.append(SelectChoice(f"v{point.venue_id}", point.venue.name))
            last_venue = point.venue_id
        choices.append(SelectChoice(f"p{point.id}", f"{point.venue.name} — {point.name}"))
    form.place.choices = choices


@bp.get("/tracing/cases/<int:case_id>/venue")
@roles_required(*TRACERS)
def venue_search(case_id: int):
    """Everyone at a venue or check-in point during a time window, for this case."""
    case = _case_or_404(case_id)
    closed = _require_open(case)
    if closed:
        return closed
    form = VenueSearchForm(request.args, meta={"csrf": False})
    _place_choices(form)
    contacts = None
    if request.args and form.validate():
        place = form.place.data
        point_id = int(place[1:]) if place.startswith("p") else None
        if point_id is not None:
            point = db.session.get(CheckinPoint, point_id)
            venue_id = point.venue_id
        else:
            venue_id = int(place[1:])
        start = local_to_utc(datetime.combine(form.day_from.data, form.time_from.data))
        end = local_to_utc(datetime.combine(form.day_to.data, form.time_to.data))
        try:
            contacts = search.venue_search(current_user.commune_id, venue_id, point_id,
                                            start, end)
        except search.SearchError as exc:
            form.place.errors.append(str(SEARCH_ERRORS[str(exc)]))
        else:
            params = {"venue_id": venue_id, "point_id": point_id,
                      "start": start.isoformat(), "end": end.isoformat()}
            cases.log_search(case, current_user, "venue", params, 0, len(contacts),
                               {c.checkin.id for c in contacts})
            record_event("search", case, reason=_reason(case),
                         details={"kind": "venue", **params, "contacts": len(contacts)})
    return render_template("tracing/venue_search.html", case=case, form=form,
                           contacts=contacts, )


@bp.post("/tracing/cases/<int:case_id>/contacts")
@roles_required(*TRACERS)
def add_contacts(case_id: int):
    """Record the ticked people as F1 contacts (only records this case's searches found)."""
    case = _case_or_404(case_id)
    closed = _require_open(case)
    if closed:
        return closed
    wanted = {int(i) for i in request.form.getlist("checkin") if i.isdigit()}
    uncertain = {int(i) for i in request.form.getlist("uncertain") if i.isdigit()}
    seen = set(db.session.scalars(select(CaseHold.checkin_id).where(
        CaseHold.case_id == case.id, CaseHold.checkin_id.in_(wanted)))) if wanted else set()
    if not seen:
        flash(_("Tick at least one person to add."), "warning")
        return redirect(url_for("tracing.case_detail", case_id=case.id))
    added = cases.add_contacts(case, current_user, seen, uncertain & seen)
    record_event("add_contacts", case, reason=_reason(case),
                 details={"added": len(added), "checkins": sorted(c.checkin_id for c in added)})
    flash(_("%(count)s F1 contacts added.", count=len(added)), "success")
    return redirect(url_for("tracing.case_detail", case_id=case.id))


@bp.post("/tracing/cases/<int:case_id>/contacts/<int:contact_id>")
@roles_required(*TRACERS)
def contact_update(case_id: int, contact_id: int):
    """Update an F1 contact's follow-up status and note."""
    case = _case_or_404(case_id)
    contact = db.session.get(CaseContact, contact_id)
    if contact is None or contact.case_id != case.id:
        abort(404)
    form = ContactForm()
    if form.validate_on_submit():
        cases.update_follow_up(contact, current_user, FollowUp(form.follow_up.data),
                               form.notes.data, _reason(case))
        flash(_("Follow-up saved."), "success")
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
    return redirect(url_for("tracing.case_detail", case_id=case.id) + f"#contact-{contact.id}")


@bp.get("/tracing/cases/<int:case_id>/f1.xlsx")
@roles_required(*TRACERS)
def f1_xlsx(case_id: int):
    """The F1 list as a spreadsheet for the health station."""
    case = _case_or_404(case_id)
    data = write_xlsx(_("F1 list"), cases.f1_header(), cases.f1_rows(case))
    record_event("export", case, reason=_reason(case),
                 details={"format": "xlsx", "contacts": len(case.contacts)})
    return send_file(io.BytesIO(data), as_attachment=True,
                     download_name=f"danh-sach-F1-ca-{case.id}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.get("/tracing/cases/<int:case_id>/f1.pdf")
@roles_required(*TRACERS)
def f1_pdf(case_id: int):
    """The F1 list printed for the health station (A4 landscape, Vietnamese)."""
    case = _case_or_404(case_id)
    pdf = render_f1_list(case, db.session.get(Commune, case.commune_id))
    record_event("print", case, reason=_reason(case),
                 details={"format": "pdf", "contacts": len(case.contacts)})
    return send_file(io.BytesIO(pdf), mimetype="application/pdf",
                     download_name=f"danh-sach-F1-ca-{case.id}.pdf")


def init_app(app) -> None:
    """The tracing pages; the demo's case."""
    app.register_blueprint(bp)
    signals.seed_demo.connect(seed_tracing)
