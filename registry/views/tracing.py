"""Contact tracing, cases and F1 lists, retention, the audit log, a person's own data, backups."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from pathlib import Path

import click
from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   send_file, url_for)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import SelectChoice

from registry.extensions import db
from registry.formatting import action_label, phone_national, short_date, short_datetime
from registry.forms.tracing import (DATE_KIND_LABELS, FOLLOW_UP_LABELS, PRECISION_LABELS,
                                    SOURCE_LABELS, AuditFilterForm, CaseForm, ContactForm,
                                    CorrectionForm, DestroyForm, PersonLookupForm,
                                    PersonRequestForm, PersonSearchForm, VenueSearchForm)
from registry.models import (AuditEvent, CaseContact, CaseHold, CaseStatus, Checkin, Commune,
                             FollowUp, PersonRequest, Role, TracingCase, User)
from registry.pdf import render_pdf
from registry.security import get_scoped_or_404, roles_required
from registry.services import backup as backup_service
from registry.services import paper, person_data, retention, tracing
from registry.services.audit import record_event
from registry.services.spreadsheets import write_xlsx
from registry.timeutil import local_to_utc, local_today, utcnow

bp = Blueprint("tracing", __name__, cli_group=None)

TRACERS = (Role.TRACER, Role.CHAIRMAN)
KEEPERS = (Role.ADMIN, Role.CLERK)
AUDIT_PER_PAGE = 50

SEARCH_ERRORS = {
    "empty": _l("Enter a name, phone, ID number or card number."),
    "short": _l("Enter at least two letters of the name."),
    "phone": _l("This is not a phone number; check the digits."),
    "id": _l("An ID number has 12 digits (CCCD), 9 digits (CMND) or is a passport number."),
    "venue": _l("Choose a venue or a check-in point."),
    "point": _l("Choose a venue or a check-in point."),
}

ACTION_LABELS = {
    "view": _l("Viewed"),
    "search": _l("Searched"),
    "print": _l("Printed"),
    "export": _l("Exported"),
    "purge": _l("Purged old data"),
    "destroy_paper": _l("Recorded paper destroyed"),
    "correct": _l("Corrected at the person's request"),
    "person_access": _l("Looked up a person's data at their request"),
    "person_export": _l("Exported a person's data for them"),
    "person_correct": _l("Corrected a person's data"),
    "person_delete": _l("Deleted a person's data at their request"),
    "case_open": _l("Opened a case"),
    "case_close": _l("Closed a case"),
    "case_reopen": _l("Reopened a case"),
    "add_contacts": _l("Added F1 contacts"),
    "follow_up": _l("Updated an F1 follow-up"),
}


OBJECT_LABELS = {
    "tracing_cases": _l("Tracing case"),
    "case_contacts": _l("F1 contact"),
    "person_requests": _l("Person's request"),
    "checkins": _l("Check-in"),
    "checkin_points": _l("Check-in point"),
    "communes": _l("Commune"),
    "users": _l("Account"),
    "venues": _l("Venue"),
}


def audit_object_label(object_type: str) -> str:
    """The kind of record an audit event is about, in words."""
    label = OBJECT_LABELS.get(object_type)
    return str(label) if label is not None else object_type


def mask_id_filter(value) -> str:
    """Jinja filter `mask_id`: 038123456712 → 0381******12."""
    return person_data.mask_id_number(value)


def audit_action_label(action: str) -> str:
    """An audit action in words, the foundation's actions included."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action_label(action)


@bp.record_once
def _register_helpers(state) -> None:
    state.app.add_template_filter(mask_id_filter, "mask_id")
    state.app.jinja_env.globals.update(
        audit_action_label=audit_action_label, audit_object_label=audit_object_label,
        source_labels=SOURCE_LABELS,
        precision_labels=PRECISION_LABELS, follow_up_labels=FOLLOW_UP_LABELS)


def _case_or_404(case_id: int) -> TracingCase:
    return get_scoped_or_404(TracingCase, case_id)


def _reason(case: TracingCase) -> str:
    return f"#{case.id} {case.index_label}"[:255]


# --- cases ------------------------------------------------------------------------------------

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
    return render_template("tracing/index.html", cases=cases, counts=counts,
                           date_kinds=DATE_KIND_LABELS)


@bp.route("/tracing/cases/new", methods=["GET", "POST"])
@roles_required(*TRACERS)
def case_new():
    """Open a case: every search belongs to one, which is its stated reason."""
    form = CaseForm()
    if form.validate_on_submit():
        case = tracing.create_case(current_user.commune_id, current_user,
                                   index_label=form.index_label.data,
                                   index_date=form.index_date.data,
                                   index_date_kind=form.index_date_kind.data,
                                   notes=form.notes.data or None)
        record_event("case_open", case, reason=_reason(case))
        db.session.commit()
        flash(_("Case opened. Search for the index case's visits now."), "success")
        return redirect(url_for("tracing.person_search", case_id=case.id))
    return render_template("tracing/case_form.html", form=form)


@bp.get("/tracing/cases/<int:case_id>")
@roles_required(*TRACERS)
def case_detail(case_id: int):
    """A case: its F1 contacts with their follow-up, and the searches run for it."""
    case = _case_or_404(case_id)
    record_event("view", case, reason=_reason(case), details={"contacts": len(case.contacts)})
    db.session.commit()
    return render_template("tracing/case_detail.html", case=case, date_kinds=DATE_KIND_LABELS,
                           contact_form=ContactForm(), follow_ups=FollowUp)


@bp.post("/tracing/cases/<int:case_id>/<any(close, reopen):action>")
@roles_required(*TRACERS)
def case_status(case_id: int, action: str):
    """Close a case (its records may then be purged) or reopen it."""
    case = _case_or_404(case_id)
    tracing.set_case_status(case, CaseStatus.CLOSED if action == "close" else CaseStatus.OPEN)
    record_event(f"case_{action}", case, reason=_reason(case))
    db.session.commit()
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
        form.window.data = tracing.DEFAULT_WINDOW_MINUTES
    result = None
    if request.args and form.validate():
        try:
            result = tracing.person_search(current_user.commune_id, form.q.data,
                                           form.kind.data, form.date_from.data,
                                           form.date_to.data, form.window.data,
                                           all_namesakes=request.args.get("all") == "1")
        except tracing.SearchError as exc:
            form.q.errors.append(str(SEARCH_ERRORS[str(exc)]))
        else:
            params = {"q": form.q.data, "kind": result.kind,
                      "from": form.date_from.data.isoformat(),
                      "to": form.date_to.data.isoformat(), "window": form.window.data}
            tracing.log_search(case, current_user, "person", params, len(result.visits),
                               result.contact_count, result.all_checkin_ids())
            record_event("search", case, reason=_reason(case), details={
                "kind": "person", "by": result.kind,
                "query": person_data.mask_id_number(form.q.data) if result.kind == "id"
                else form.q.data,
                "from": params["from"], "to": params["to"], "window": form.window.data,
                "visits": len(result.visits), "contacts": result.contact_count,
                "namesakes": len(result.candidates)})
            db.session.commit()
    return render_template("tracing/person_search.html", case=case, form=form, result=result,
                           date_kinds=DATE_KIND_LABELS)


def _place_choices(form: VenueSearchForm) -> None:
    choices = [SelectChoice("", _("— choose —"))]
    last_venue = None
    for point in tracing.points_for(current_user.commune_id):
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
            point = db.session.get(tracing.CheckinPoint, point_id)
            venue_id = point.venue_id
        else:
            venue_id = int(place[1:])
        start = local_to_utc(datetime.combine(form.day_from.data, form.time_from.data))
        end = local_to_utc(datetime.combine(form.day_to.data, form.time_to.data))
        try:
            contacts = tracing.venue_search(current_user.commune_id, venue_id, point_id,
                                            start, end)
        except tracing.SearchError as exc:
            form.place.errors.append(str(SEARCH_ERRORS[str(exc)]))
        else:
            params = {"venue_id": venue_id, "point_id": point_id,
                      "start": start.isoformat(), "end": end.isoformat()}
            tracing.log_search(case, current_user, "venue", params, 0, len(contacts),
                               {c.checkin.id for c in contacts})
            record_event("search", case, reason=_reason(case),
                         details={"kind": "venue", **params, "contacts": len(contacts)})
            db.session.commit()
    return render_template("tracing/venue_search.html", case=case, form=form,
                           contacts=contacts, date_kinds=DATE_KIND_LABELS)


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
    added = tracing.add_contacts(case, current_user, seen, uncertain & seen)
    record_event("add_contacts", case, reason=_reason(case),
                 details={"added": len(added), "checkins": sorted(c.checkin_id for c in added)})
    db.session.commit()
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
        old = contact.follow_up.value
        contact.follow_up = FollowUp(form.follow_up.data)
        contact.notes = form.notes.data or None
        record_event("follow_up", contact, commune_id=case.commune_id, reason=_reason(case),
                     details={"follow_up": [old, contact.follow_up.value]})
        db.session.commit()
        flash(_("Follow-up saved."), "success")
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
    return redirect(url_for("tracing.case_detail", case_id=case.id) + f"#contact-{contact.id}")


def _visit_time(contact: CaseContact) -> str:
    """The time of contact as precisely as it is known."""
    if contact.time_precision == "date_only":
        return _("%(day)s (date only)", day=short_date(contact.visited_at))
    if contact.time_precision == "approximate":
        return _("about %(time)s", time=short_datetime(contact.visited_at))
    return short_datetime(contact.visited_at)


def _f1_rows(case: TracingCase):
    """The F1 list's rows, as printed and exported."""
    for n, c in enumerate(case.contacts, start=1):
        yield [n, c.full_name, c.birth_year or "",
               {"male": "Nam", "female": "Nữ", "other": "Khác"}.get(c.sex or "", ""),
               c.id_number or "", phone_national(c.phone), c.address or "",
               f"{c.venue_name} — {c.point_name}", _visit_time(c),
               str(SOURCE_LABELS.get(c.source, c.source)),
               str(_("Yes") if c.is_certain else _("Less certain")),
               str(FOLLOW_UP_LABELS[c.follow_up.value]), c.notes or ""]


@bp.get("/tracing/cases/<int:case_id>/f1.xlsx")
@roles_required(*TRACERS)
def f1_xlsx(case_id: int):
    """The F1 list as a spreadsheet for the health station."""
    case = _case_or_404(case_id)
    header = [_("No."), _("Full name"), _("Year of birth"), _("Sex"), _("ID number"),
              _("Phone"), _("Address"), _("Place of contact"), _("Time"), _("Source"),
              _("Certain"), _("Follow-up"), _("Notes")]
    data = write_xlsx(_("F1 list"), header, _f1_rows(case))
    record_event("export", case, reason=_reason(case),
                 details={"format": "xlsx", "contacts": len(case.contacts)})
    db.session.commit()
    return send_file(io.BytesIO(data), as_attachment=True,
                     download_name=f"danh-sach-F1-ca-{case.id}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.get("/tracing/cases/<int:case_id>/f1.pdf")
@roles_required(*TRACERS)
def f1_pdf(case_id: int):
    """The F1 list printed for the health station (A4 landscape, Vietnamese)."""
    case = _case_or_404(case_id)
    commune = db.session.get(Commune, case.commune_id)
    # The health station's document is in Vietnamese whatever the user's screen language.
    with force_locale("vi"):
        pdf = render_pdf("pdf/f1_list.html", stylesheets=("base.css", "tracing.css"),
                         case=case, commune=commune, rows=list(_f1_rows(case)),
                         printed_at=utcnow())
    record_event("print", case, reason=_reason(case),
                 details={"format": "pdf", "contacts": len(case.contacts)})
    db.session.commit()
    return send_file(io.BytesIO(pdf), mimetype="application/pdf",
                     download_name=f"danh-sach-F1-ca-{case.id}.pdf")


# --- audit log --------------------------------------------------------------------------------

@bp.get("/audit")
@roles_required(Role.ADMIN)
def audit_log():
    """The audit log of the commune, newest first, filtered; read-only."""
    commune_id = current_user.commune_id
    form = AuditFilterForm(request.args, meta={"csrf": False})
    users = db.session.scalars(select(User).where(User.commune_id == commune_id)
                               .order_by(User.username)).all()
    form.user.choices = [SelectChoice("", _("All"))] + [
        SelectChoice(str(u.id), f"{u.username} ({u.full_name})") for u in users]
    actions = sorted(set(db.session.scalars(select(AuditEvent.action).distinct().where(
        AuditEvent.commune_id == commune_id))))
    form.action.choices = [SelectChoice("", _("All"))] + [
        SelectChoice(a, audit_action_label(a)) for a in actions]
    stmt = select(AuditEvent).where(AuditEvent.commune_id == commune_id)
    if request.args and form.validate():
        if form.user.data:
            stmt = stmt.where(AuditEvent.user_id == int(form.user.data))
        if form.action.data:
            stmt = stmt.where(AuditEvent.action == form.action.data)
        if form.date_from.data:
            stmt = stmt.where(AuditEvent.at >= local_to_utc(
                datetime.combine(form.date_from.data, datetime.min.time())))
        if form.date_to.data:
            stmt = stmt.where(AuditEvent.at < local_to_utc(
                datetime.combine(form.date_to.data + timedelta(days=1), datetime.min.time())))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    events = db.session.scalars(stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                                .limit(AUDIT_PER_PAGE).offset((page - 1) * AUDIT_PER_PAGE)).all()
    pages = max((total + AUDIT_PER_PAGE - 1) // AUDIT_PER_PAGE, 1)
    return render_template("tracing/audit.html", form=form, events=events, page=page,
                           pages=pages, total=total, mask=person_data.mask_id_number)


# --- retention --------------------------------------------------------------------------------

@bp.get("/retention")
@roles_required(*KEEPERS)
def retention_page():
    """Retention: the period, the last purges, paper sheets to destroy and those destroyed."""
    commune = db.session.get(Commune, current_user.commune_id)
    purges = db.session.scalars(
        select(AuditEvent).where(AuditEvent.commune_id == commune.id,
                                 AuditEvent.action == "purge")
        .order_by(AuditEvent.at.desc()).limit(10)).all()
    held = db.session.scalar(select(func.count()).select_from(
        tracing.held_checkin_ids_query(commune.id).distinct().subquery()))
    # Printed batches (with their custody) come from the paper feature; the rows below are what
    # the purge turned into counts, by point and day.
    paper_batches = paper.backlog(commune)["to_destroy"]
    return render_template("tracing/retention.html", commune=commune, purges=purges, held=held,
                           paper_batches=paper_batches,
                           sheets=retention.sheets_to_destroy(commune),
                           destroyed=retention.destruction_log(commune.id),
                           form=DestroyForm())


@bp.post("/retention/purge")
@roles_required(Role.ADMIN)
def purge_now():
    """Run the purge for this commune now (it also runs every night)."""
    commune = db.session.get(Commune, current_user.commune_id)
    result = retention.purge_commune(commune)
    db.session.commit()
    flash(_("Purge done: %(deleted)s records deleted, %(held)s kept for open cases.",
            deleted=result.checkins_deleted, held=result.held_kept), "success")
    return redirect(url_for("tracing.retention_page"))


@bp.post("/retention/destroy")
@roles_required(*KEEPERS)
def destroy_sheets():
    """Record that the ticked paper sheets were destroyed."""
    commune = db.session.get(Commune, current_user.commune_id)
    form = DestroyForm()
    keys = []
    for value in request.form.getlist("sheet"):
        point, _sep, day = value.partition(":")
        try:
            keys.append((int(point), date.fromisoformat(day)))
        except ValueError:
            continue
    if not form.validate_on_submit() or not keys:
        if not keys:
            flash(_("Tick the sheets that were destroyed."), "warning")
        for error in form.method.errors:
            flash(error, "error")
        return redirect(url_for("tracing.retention_page"))
    count = retention.record_destruction(commune, current_user, keys, form.method.data)
    db.session.commit()
    flash(_("%(count)s sheets recorded as destroyed.", count=count), "success")
    return redirect(url_for("tracing.retention_page"))


# --- a person's own data ----------------------------------------------------------------------

def _lookup(form) -> tuple[list[Checkin], list[CaseContact], str] | None:
    """Run a person lookup from a validated form; None (and a field error) when it cannot."""
    try:
        kind, value = tracing.classify_query(form.q.data, form.kind.data)
        if kind == "name":
            # Namesakes' data must not be shown to, exported for or deleted by someone else.
            ids = tracing.matching_checkin_ids(current_user.commune_id, kind, value)
            people = tracing.name_candidates(ids, datetime(2000, 1, 1),
                                             utcnow() + timedelta(days=1))
            if len(people) > 1:
                form.q.errors.append(_("%(count)s people have this name: search by the "
                                       "person's ID number or phone.", count=len(people)))
                return None
        checkins = tracing.find_person_checkins(current_user.commune_id, value, kind)
        contacts = tracing.find_person_contacts(current_user.commune_id, value, kind)
    except tracing.SearchError as exc:
        form.q.errors.append(str(SEARCH_ERRORS[str(exc)]))
        return None
    return checkins, contacts, person_data.masked_subject(kind, value)


class _LookupRequestForm(PersonLookupForm, PersonRequestForm):
    """Lookup plus the request it answers."""


@bp.get("/privacy")
@roles_required(*KEEPERS)
def privacy():
    """Everything held about a person, found for their request."""
    form = _LookupRequestForm(request.args, meta={"csrf": False})
    found = None
    if request.args and form.validate():
        found = _lookup(form)
        if found is not None:
            checkins, contacts, subject = found
            person_data.record_request(current_user.commune_id, current_user, "access",
                                       subject, form.reference.data,
                                       len(checkins) + len(contacts))
            db.session.commit()
    requests = db.session.scalars(
        select(PersonRequest).where(PersonRequest.commune_id == current_user.commune_id)
        .order_by(PersonRequest.handled_at.desc()).limit(20)).all()
    held = set(db.session.scalars(tracing.held_checkin_ids_query(current_user.commune_id))) \
        if found else set()
    return render_template("tracing/privacy.html", form=form, found=found, held=held,
                           requests=requests)


@bp.post("/privacy/export")
@roles_required(*KEEPERS)
def privacy_export():
    """The person's records as a spreadsheet to hand to them."""
    form = _LookupRequestForm()
    if not form.validate_on_submit() or (found := _lookup(form)) is None:
        flash(_("The search must be repeated before exporting."), "error")
        return redirect(url_for("tracing.privacy"))
    checkins, contacts, subject = found
    rows = [[short_datetime(c.checked_in_at), c.venue.name, c.point.name,
             str(SOURCE_LABELS[c.source.value]), c.full_name, c.birth_year or "", c.sex or "",
             c.id_number or "", phone_national(c.phone), c.email or "",
             ", ".join(p for p in (c.address, c.ward, c.province) if p),
             "; ".join(f"{a.get('question', k)}: {_('Yes') if a.get('answer') else _('No')}"
                       for k, a in (c.answers or {}).items())] for c in checkins]
    rows += [[short_datetime(c.visited_at), c.venue_name, c.point_name,
              str(_("F1 list of case %(case)s", case=c.case_id)), c.full_name,
              c.birth_year or "", c.sex or "", c.id_number or "", phone_national(c.phone), "",
              c.address or "", ""] for c in contacts]
    header = [_("Time"), _("Venue"), _("Check-in point"), _("Source"), _("Full name"),
              _("Year of birth"), _("Sex"), _("ID number"), _("Phone"), _("Email"),
              _("Address"), _("Answers")]
    data = write_xlsx(_("Personal data"), header, rows)
    person_data.record_request(current_user.commune_id, current_user, "export", subject,
                               form.reference.data, len(rows))
    db.session.commit()
    return send_file(io.BytesIO(data), as_attachment=True, download_name="du-lieu-ca-nhan.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.post("/privacy/delete")
@roles_required(*KEEPERS)
def privacy_delete():
    """Delete the ticked records at the person's request; records held by an open case stay."""
    form = _LookupRequestForm()
    if not form.validate_on_submit() or (found := _lookup(form)) is None:
        flash(_("The search must be repeated before deleting."), "error")
        return redirect(url_for("tracing.privacy"))
    checkins, _contacts, subject = found
    ticked = {int(i) for i in request.form.getlist("checkin") if i.isdigit()}
    ids = {c.id for c in checkins} & ticked
    if not ids:
        flash(_("Tick the records to delete."), "warning")
        return redirect(url_for("tracing.privacy", q=form.q.data, kind=form.kind.data,
                                reference=form.reference.data))
    deleted, held = person_data.delete_checkins(current_user.commune_id, ids)
    person_data.record_request(current_user.commune_id, current_user, "delete", subject,
                               form.reference.data, deleted)
    db.session.commit()
    flash(_("%(count)s records deleted.", count=deleted), "success")
    if held:
        flash(_("%(count)s records are kept while an open tracing case needs them.",
                count=held), "warning")
    return redirect(url_for("tracing.privacy"))


@bp.route("/privacy/checkins/<int:checkin_id>", methods=["GET", "POST"])
@roles_required(*KEEPERS)
def privacy_correct(checkin_id: int):
    """Correct one record at the person's request."""
    checkin = get_scoped_or_404(Checkin, checkin_id)
    form = CorrectionForm(obj=checkin)
    if request.method == "GET":
        form.phone.data = phone_national(checkin.phone)
        form.sex.data = checkin.sex or ""
        record_event("view", checkin, reason=_("Correction at the person's request"))
        db.session.commit()
    if form.validate_on_submit():
        values = {name: getattr(form, name).data or None for name in person_data.CORRECTABLE}
        values["full_name"] = form.full_name.data
        changes = person_data.correct_checkin(checkin, current_user, values,
                                              form.reference.data)
        if changes:
            person_data.record_request(current_user.commune_id, current_user, "correct",
                                       person_data.masked_subject("name", checkin.full_name),
                                       form.reference.data, 1)
        db.session.commit()
        flash(_("Changes saved.") if changes else _("Nothing was changed."), "success")
        return redirect(url_for("tracing.privacy"))
    return render_template("tracing/correct.html", form=form, checkin=checkin)


# --- commands ---------------------------------------------------------------------------------

@bp.cli.command("purge")
def purge_command():
    """Delete personal data past each commune's retention period (open cases excepted)."""
    for result in retention.purge_all():
        click.echo(f"commune {result.commune_id}: cutoff {result.cutoff:%Y-%m-%d %H:%M} UTC, "
                   f"{result.checkins_deleted} check-ins deleted, {result.held_kept} held, "
                   f"{result.contacts_deleted} F1 records of closed cases deleted")
    db.session.commit()


@bp.cli.command("backup")
@click.argument("target", required=False, type=click.Path(dir_okay=False, path_type=Path))
def backup_command(target):
    """Write a consistent copy of the database (safe while the site runs)."""
    if target is None:
        target = backup_service.default_backup_path(Path(current_app.instance_path) / "backups")
    try:
        path = backup_service.backup(target)
    except backup_service.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backup written to {path} ({path.stat().st_size} bytes).")


@bp.cli.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(source, yes):
    """Replace the database with a backup (stop the site first)."""
    if not yes:
        click.confirm(f"Replace every record of the database with {source}?", abort=True)
    try:
        backup_service.restore(source)
    except backup_service.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Database restored from {source}.")
