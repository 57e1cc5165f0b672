"""Venues: list, search, register, edit, suspend, import and export."""
from __future__ import annotations

import io

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   send_file, url_for)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from registry.extensions import db
from registry.formatting import phone_national
from registry.forms import ActionForm
from registry.forms.imports import template_xlsx
from registry.forms.validators import entry_warnings
from registry.forms.venues import (CategoryForm, VenueForm, VenueImportForm, VenueStatusForm,
                                   fill_venue_choices, import_header, parse_venue_rows,
                                   preview_columns, venue_filter_from_args)
from registry.models import AuditEvent, Role, Venue, VenueStatus
from registry.security import get_scoped_or_404, roles_required
from registry.services.audit import record_event
from registry.services.imports import ImportOutcome
from registry.services.communes import villages_for
from registry.services.venues import (CategoryExists, VenueFilter, add_category, categories_for,
                                      count_venues, import_venues, register_venue,
                                      set_venue_status, update_venue, venue_query)
from registry.spreadsheets import write_xlsx
from registry.views.confirm import ask_first, confirmed
from registry.views.imports import confirm_upload, outcome_message, preview_upload

bp = Blueprint("venues", __name__)

STAFF = (Role.ADMIN, Role.CLERK, Role.CHAIRMAN)
EDITORS = (Role.ADMIN, Role.CLERK)


def _filter_from_args() -> VenueFilter:
    return venue_filter_from_args(request.args)


def _flash_warnings(form: VenueForm) -> None:
    """What the form let through but wants checked (an old phone number converted …)."""
    for warning in entry_warnings(form.manager_phone):
        flash(_("Phone of the person responsible: %(warning)s", warning=warning), "warning")


@bp.get("/venues/")
@roles_required(*STAFF)
def index():
    """The venue list with filters, search and paging."""
    flt = _filter_from_args()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    per_page = current_app.config["VENUES_PER_PAGE"]
    stmt = venue_query(current_user.commune_id, flt)
    total = count_venues(current_user.commune_id, flt)
    venues = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    pages = max((total + per_page - 1) // per_page, 1)
    return render_template(
        "venues/index.html", venues=venues, flt=flt, page=page, pages=pages, total=total,
        categories=categories_for(current_user.commune_id),
        villages=villages_for(current_user.commune_id, active_only=False),
        statuses=VenueStatus, can_edit=current_user.has_role(*EDITORS))


@bp.route("/venues/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def create():
    """Register a venue."""
    form = VenueForm()
    fill_venue_choices(form, current_user.commune_id)
    if form.validate_on_submit():
        venue = register_venue(
            current_user.commune_id, current_user, point_names=form.point_names(),
            name=form.name.data, category_id=form.category_id.data, address=form.address.data,
            village_id=form.village_id.data, manager_name=form.manager_name.data,
            manager_phone=form.manager_phone.data, notes=form.notes.data,
            closing_time=form.closing_time.data,
            default_stay_minutes=form.default_stay_minutes.data)
        flash(_("Venue \"%(name)s\" registered.", name=venue.name), "success")
        _flash_warnings(form)
        return redirect(url_for("venues.detail", venue_id=venue.id))
    return render_template("venues/form.html", form=form, venue=None)


@bp.get("/venues/<int:venue_id>")
@roles_required(*STAFF)
def detail(venue_id: int):
    """One venue: its fields, check-in points and change history."""
    venue = get_scoped_or_404(Venue, venue_id)
    history = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "venues",
                                 AuditEvent.object_id == venue.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(50)).all()
    return render_template("venues/detail.html", venue=venue, history=history,
                           status_form=VenueStatusForm(), can_edit=current_user.has_role(*EDITORS))


@bp.route("/venues/<int:venue_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit(venue_id: int):
    """Edit a venue; new lines in the points box add check-in points."""
    venue = get_scoped_or_404(Venue, venue_id)
    form = VenueForm(obj=venue)
    fill_venue_choices(form, current_user.commune_id)
    if request.method == "GET":
        form.point_lines.data = "\n".join(p.name for p in venue.points)
        form.manager_phone.data = phone_national(venue.manager_phone)
    if form.validate_on_submit():
        changes = update_venue(
            venue, current_user, point_names=form.point_names(), name=form.name.data,
            category_id=form.category_id.data, address=form.address.data,
            village_id=form.village_id.data, manager_name=form.manager_name.data,
            manager_phone=form.manager_phone.data, notes=form.notes.data,
            closing_time=form.closing_time.data,
            default_stay_minutes=form.default_stay_minutes.data)
        flash(_("Changes saved.") if changes else _("Nothing was changed."), "success")
        _flash_warnings(form)
        return redirect(url_for("venues.detail", venue_id=venue.id))
    return render_template("venues/form.html", form=form, venue=venue)


@bp.post("/venues/<int:venue_id>/status/<any(suspend, reactivate):action>")
@roles_required(*EDITORS)
def change_status(venue_id: int, action: str):
    """Suspend or reactivate a venue."""
    venue = get_scoped_or_404(Venue, venue_id)
    form = VenueStatusForm()
    if not form.validate_on_submit():
        abort(400)
    status = VenueStatus.SUSPENDED if action == "suspend" else VenueStatus.ACTIVE
    if status == VenueStatus.SUSPENDED and not venue.is_suspended and not confirmed():
        return ask_first(
            title=_("Suspend this venue?"), record=venue.name,
            consequences=[
                _("Its %(count)s QR posters stop taking check-ins at once: visitors who scan "
                  "them are told the venue is suspended.", count=len(venue.points)),
                _("Posters printed from now on carry a \"suspended\" banner."),
                _("Its records are kept; reactivating the venue makes its posters work again.")],
            button=_("Suspend the venue"),
            cancel_url=url_for("venues.detail", venue_id=venue.id))
    set_venue_status(venue, current_user, status, reason=form.reason.data or None)
    flash(_("The venue is suspended.") if action == "suspend"
          else _("The venue is active again."), "success")
    return redirect(url_for("venues.detail", venue_id=venue.id))


@bp.get("/venues/export.xlsx")
@roles_required(*STAFF)
def export():
    """The filtered list as a spreadsheet."""
    flt = _filter_from_args()
    venues = db.session.scalars(venue_query(current_user.commune_id, flt)).all()
    header = [_("No."), _("Venue name"), _("Category"), _("Address"),
              _("Village / residential group"), _("Person responsible"), _("Phone"),
              _("Check-in points"), _("Status"), _("Notes")]
    rows = ((i, v.name, v.category.name, v.address or "", v.village.name if v.village else "",
             v.manager_name or "", phone_national(v.manager_phone),
             "; ".join(p.name for p in v.points),
             _("Suspended") if v.is_suspended else _("Active"), v.notes or "")
            for i, v in enumerate(venues, start=1))
    data = write_xlsx(_("Venues"), header, rows)
    # The list carries the managers' names and phones: personal data, so the export is logged.
    record_event("export", object_type="venues", details={
        "format": "xlsx", "rows": len(venues), "query": request.args.get("q") or None})
    return send_file(io.BytesIO(data), as_attachment=True, download_name="dia-diem.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.get("/venues/import/template.xlsx")
@roles_required(*EDITORS)
def import_template():
    """An empty spreadsheet with the import columns and one sample row (marked as a sample,
    never imported)."""
    example = ["Trường Tiểu học Triệu Sơn", "Trường học", "Số 1 đường Lê Lợi",
               "", "Nguyễn Văn An", "0912345678", "Cổng chính; Cổng phụ", ""]
    data = template_xlsx(_("Venues"), import_header(), example)
    return send_file(io.BytesIO(data), as_attachment=True, download_name="mau-nhap-dia-diem.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/venues/import", methods=["GET", "POST"])
@roles_required(*EDITORS)
def import_upload():
    """Upload a spreadsheet; show a preview with every error, or a button to import."""
    form = VenueImportForm()
    result, token = preview_upload(form, "venues", parse_venue_rows)
    return render_template("venues/import.html", form=form, result=result, token=token,
                           header=import_header(), columns=preview_columns())


@bp.post("/venues/import/confirm")
@roles_required(*EDITORS)
def import_confirm():
    """Import a previewed file: every row or none."""
    outcome = confirm_upload(ActionForm(), "venues", parse_venue_rows, import_venues,
                             "venues.import_upload")
    if not isinstance(outcome, ImportOutcome):
        return outcome
    flash(outcome_message(outcome, _("%(count)s venues imported", count=outcome.added)),
          "success")
    return redirect(url_for("venues.index"))


@bp.route("/admin/categories", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def categories():
    """Venue categories: the defaults plus the commune's own."""
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            add_category(current_user.commune_id, form.name.data)
        except CategoryExists:
            form.name.errors.append(_("This category already exists."))
        else:
            flash(_("Category added."), "success")
            return redirect(url_for("venues.categories"))
    return render_template("venues/categories.html", form=form,
                           categories=categories_for(current_user.commune_id))


def init_app(app) -> None:
    """The venue pages."""
    app.register_blueprint(bp)
