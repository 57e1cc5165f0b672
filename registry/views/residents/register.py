"""The resident register: search, add, edit, and one resident's page."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from registry.extensions import db
from registry.formatting import phone_national
from registry.forms.residents import (CardActionForm, ResidentForm, check_household,
                                      fill_resident_choices, offer_usual_capitalisation,
                                      resident_warnings)
from registry.models import AuditEvent, Resident
from registry.security import get_scoped_or_404, roles_required
from registry.services.audit import record_event
from registry.services.communes import villages_for
from registry.services.residents.households import household_members
from registry.services.residents.register import (add_resident, count_residents, resident_query,
                                                  update_resident)
from registry.views.residents.blueprint import (CARD_STAFF, EDITORS, VIEWERS, bp,
                                                filter_from_args, no_store)

PER_PAGE = 50


def _flash_warnings(form: ResidentForm) -> None:
    """The record is saved; what it wants checked is said on the next page."""
    for warning in resident_warnings(form):
        flash(warning, "warning")


@bp.get("/residents/")
@roles_required(*VIEWERS)
def index():
    """The register: search without diacritics, filter by village and card status, page."""
    no_store()
    flt = filter_from_args()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    total = count_residents(current_user.commune_id, flt)
    residents = db.session.scalars(resident_query(current_user.commune_id, flt)
                                   .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    # Looking through the register is looking at personal data: logged with what was asked.
    record_event("view_list", object_type="residents",
                 details={"q": flt.query, "village": flt.village_id, "card": flt.card,
                          "page": page, "shown": len(residents)})
    return render_template(
        "residents/index.html", residents=residents, flt=flt, page=page, pages=pages,
        total=total, villages=villages_for(current_user.commune_id, active_only=False),
        can_edit=current_user.has_role(*EDITORS), can_cards=current_user.has_role(*CARD_STAFF))


@bp.route("/residents/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def create():
    """Add a resident."""
    form = ResidentForm()
    fill_resident_choices(form, current_user.commune_id)
    if form.validate_on_submit() and check_household(form, current_user.commune_id, None) \
            and not offer_usual_capitalisation(form.full_name):
        resident = add_resident(
            current_user.commune_id, current_user, full_name=form.full_name.data,
            birth_year=form.birth.year, birth_date=form.birth.day, sex=form.sex.data,
            id_number=form.id_number.data or None, phone=form.phone.data or None,
            village_id=form.village_id.data, address=form.address.data or None,
            household_number=form.household_number.data,
            household_relation=form.household_relation.data)
        flash(_("%(name)s added to the register.", name=resident.full_name), "success")
        _flash_warnings(form)
        return redirect(url_for("residents.detail", resident_id=resident.id))
    return render_template("residents/form.html", form=form, resident=None)


@bp.get("/residents/<int:resident_id>")
@roles_required(*VIEWERS)
def detail(resident_id: int):
    """One resident: fields, cards (valid and revoked, who issued them), history."""
    no_store()
    resident = get_scoped_or_404(Resident, resident_id)
    record_event("view", resident)
    history = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "residents",
                                 AuditEvent.object_id == resident.id,
                                 AuditEvent.action != "view")
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(50)).all()
    return render_template("residents/detail.html", resident=resident, history=history,
                           household=household_members(resident), action_form=CardActionForm(),
                           can_edit=current_user.has_role(*EDITORS),
                           can_cards=current_user.has_role(*CARD_STAFF))


@bp.route("/residents/<int:resident_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit(resident_id: int):
    """Edit a resident."""
    resident = get_scoped_or_404(Resident, resident_id)
    form = ResidentForm(obj=resident)
    fill_resident_choices(form, current_user.commune_id)
    if request.method == "GET":
        form.birth.data = (resident.birth_date.strftime("%d/%m/%Y") if resident.birth_date
                           else str(resident.birth_year))
        form.phone.data = phone_national(resident.phone) if resident.phone else ""
    if form.validate_on_submit() and check_household(form, current_user.commune_id,
                                                     resident.id) \
            and not offer_usual_capitalisation(form.full_name):
        changes = update_resident(
            resident, current_user, full_name=form.full_name.data, birth_year=form.birth.year,
            birth_date=form.birth.day, sex=form.sex.data, id_number=form.id_number.data or None,
            phone=form.phone.data or None, village_id=form.village_id.data,
            address=form.address.data or None, household_number=form.household_number.data,
            household_relation=form.household_relation.data)
        flash(_("Changes saved.") if changes else _("Nothing was changed."), "success")
        _flash_warnings(form)
        return redirect(url_for("residents.detail", resident_id=resident.id))
    return render_template("residents/form.html", form=form, resident=resident)
