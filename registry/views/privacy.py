"""A person's own data: found for their request, exported, corrected or deleted, and each
request kept."""
from __future__ import annotations

import io
from datetime import datetime, timedelta

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from registry.formatting import phone_national, short_datetime
from registry.extensions import db
from registry.forms.privacy import CorrectionForm, PersonLookupForm, PersonRequestForm
from registry.models import CaseContact, Checkin, PersonRequest, Role
from registry.security import get_scoped_or_404, roles_required
from registry.services import privacy as service
from registry.services.audit import record_event
from registry.services.tracing import search
from registry.services.tracing.cases import held_checkin_ids_query
from registry.spreadsheets import write_xlsx
from registry.timeutil import utcnow
from registry.views.confirm import ask_first, confirmed
from registry.views.tracing import SEARCH_ERRORS

bp = Blueprint("privacy", __name__)

KEEPERS = (Role.ADMIN, Role.CLERK)


def _lookup(form) -> tuple[list[Checkin], list[CaseContact], str] | None:
    """Run a person lookup from a validated form; None (and a field error) when it cannot."""
    try:
        kind, value = search.classify_query(form.q.data, form.kind.data)
        if kind == "name":
            # Namesakes' data must not be shown to, exported for or deleted by someone else.
            ids = search.matching_checkin_ids(current_user.commune_id, kind, value)
            people = search.name_candidates(ids, datetime(2000, 1, 1),
                                             utcnow() + timedelta(days=1))
            if len(people) > 1:
                form.q.errors.append(_("%(count)s people have this name: search by the "
                                       "person's ID number or phone.", count=len(people)))
                return None
        checkins = search.find_person_checkins(current_user.commune_id, value, kind)
        contacts = search.find_person_contacts(current_user.commune_id, value, kind)
    except search.SearchError as exc:
        form.q.errors.append(str(SEARCH_ERRORS[str(exc)]))
        return None
    return checkins, contacts, service.masked_subject(kind, value)


class _LookupRequestForm(PersonLookupForm, PersonRequestForm):
    """Lookup plus the request it answers."""


@bp.get("/privacy")
@roles_required(*KEEPERS)
def index():
    """Everything held about a person, found for their request."""
    form = _LookupRequestForm(request.args, meta={"csrf": False})
    found = None
    if request.args and form.validate():
        found = _lookup(form)
        if found is not None:
            checkins, contacts, subject = found
            service.record_request(current_user.commune_id, current_user, "access",
                                       subject, form.reference.data,
                                       len(checkins) + len(contacts))
    requests = db.session.scalars(
        select(PersonRequest).where(PersonRequest.commune_id == current_user.commune_id)
        .order_by(PersonRequest.handled_at.desc()).limit(20)).all()
    held = set(db.session.scalars(held_checkin_ids_query(current_user.commune_id))) \
        if found else set()
    return render_template("privacy/index.html", form=form, found=found, held=held,
                           requests=requests)


@bp.post("/privacy/export")
@roles_required(*KEEPERS)
def export():
    """The person's records as a spreadsheet to hand to them."""
    form = _LookupRequestForm()
    if not form.validate_on_submit() or (found := _lookup(form)) is None:
        flash(_("The search must be repeated before exporting."), "error")
        return redirect(url_for("privacy.index"))
    checkins, contacts, subject = found
    rows = [[short_datetime(c.checked_in_at), c.venue.name, c.point.name,
             c.source.label, c.full_name, c.birth_year or "", c.sex or "",
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
    service.record_request(current_user.commune_id, current_user, "export", subject,
                               form.reference.data, len(rows))
    return send_file(io.BytesIO(data), as_attachment=True, download_name="du-lieu-ca-nhan.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.post("/privacy/delete")
@roles_required(*KEEPERS)
def delete():
    """Delete the ticked records at the person's request; records held by an open case stay."""
    form = _LookupRequestForm()
    if not form.validate_on_submit() or (found := _lookup(form)) is None:
        flash(_("The search must be repeated before deleting."), "error")
        return redirect(url_for("privacy.index"))
    checkins, _contacts, subject = found
    ticked = {int(i) for i in request.form.getlist("checkin") if i.isdigit()}
    ids = {c.id for c in checkins} & ticked
    if not ids:
        flash(_("Tick the records to delete."), "warning")
        return redirect(url_for("privacy.index", q=form.q.data, kind=form.kind.data,
                                reference=form.reference.data))
    if not confirmed():
        return ask_first(
            title=_("Delete this person's data?"),
            record=_("%(count)s records of %(subject)s", count=len(ids), subject=subject),
            consequences=[
                _("The ticked records are deleted for good: they cannot be brought back, and "
                  "are no longer found by tracing."),
                _("Records an open tracing case needs are kept until the case is closed."),
                _("The day's figures stay as they were; the request is recorded.")],
            button=_("Delete the records"),
            cancel_url=url_for("privacy.index", q=form.q.data, kind=form.kind.data,
                               reference=form.reference.data))
    deleted, held = service.delete_checkins(current_user.commune_id, ids)
    service.record_request(current_user.commune_id, current_user, "delete", subject,
                               form.reference.data, deleted)
    flash(_("%(count)s records deleted.", count=deleted), "success")
    if held:
        flash(_("%(count)s records are kept while an open tracing case needs them.",
                count=held), "warning")
    return redirect(url_for("privacy.index"))


@bp.route("/privacy/checkins/<int:checkin_id>", methods=["GET", "POST"])
@roles_required(*KEEPERS)
def correct(checkin_id: int):
    """Correct one record at the person's request."""
    checkin = get_scoped_or_404(Checkin, checkin_id)
    form = CorrectionForm(obj=checkin)
    if request.method == "GET":
        form.phone.data = phone_national(checkin.phone)
        form.sex.data = checkin.sex or ""
        record_event("view", checkin, reason=_("Correction at the person's request"))
    if form.validate_on_submit():
        values = {name: getattr(form, name).data or None for name in service.CORRECTABLE}
        values["full_name"] = form.full_name.data
        changes = service.correct_checkin(checkin, current_user, values,
                                              form.reference.data)
        if changes:
            service.record_request(current_user.commune_id, current_user, "correct",
                                       service.masked_subject("name", checkin.full_name),
                                       form.reference.data, 1)
        flash(_("Changes saved.") if changes else _("Nothing was changed."), "success")
        return redirect(url_for("privacy.index"))
    return render_template("privacy/correct.html", form=form, checkin=checkin)


def init_app(app) -> None:
    """The pages of a person's requests."""
    app.register_blueprint(bp)
