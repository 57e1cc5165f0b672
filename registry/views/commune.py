"""The commune's own settings and its list of villages."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from registry.extensions import db
from registry.forms.admin import CommuneSettingsForm, NameForm
from registry.forms.venue import VenueStatusForm
from registry.models import Commune, Role, Village
from registry.security import get_scoped_or_404, roles_required
from registry.services.audit import record_event
from registry.services.communes import add_village
from registry.text import fold

bp = Blueprint("commune", __name__, url_prefix="/commune")


@bp.route("/settings", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.CLERK)
def settings():
    """Hotline, signers, place name, retention; shown on posters and reports."""
    commune = db.session.get(Commune, current_user.commune_id)
    form = CommuneSettingsForm(obj=commune)
    if form.validate_on_submit():
        changes = {}
        for name in ("place_name", "hotline", "chairman_name", "vice_chairman_name",
                     "retention_days", "checkin_merge_minutes"):
            new = getattr(form, name).data or (None if name != "place_name" else "")
            if getattr(commune, name) != new:
                changes[name] = [getattr(commune, name), new]
                setattr(commune, name, new)
        if changes:
            record_event("update", commune, details=changes)
        db.session.commit()
        flash(_("Changes saved."), "success")
        return redirect(url_for("commune.settings"))
    return render_template("communes/settings.html", form=form, commune=commune)


@bp.route("/villages", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.CLERK)
def villages():
    """The villages and residential groups of the commune."""
    form = NameForm()
    rows = db.session.scalars(select(Village).where(Village.commune_id == current_user.commune_id)
                              .order_by(Village.name)).all()
    if form.validate_on_submit():
        if any(fold(v.name) == fold(form.name.data) for v in rows):
            form.name.errors.append(_("This village is already on the list."))
        else:
            commune = db.session.get(Commune, current_user.commune_id)
            village = add_village(commune, form.name.data)
            record_event("create", village, commune_id=commune.id)
            db.session.commit()
            flash(_("Village added."), "success")
            return redirect(url_for("commune.villages"))
    return render_template("communes/villages.html", form=form, villages=rows,
                           toggle_form=VenueStatusForm())


@bp.post("/villages/<int:village_id>/toggle")
@roles_required(Role.ADMIN, Role.CLERK)
def village_toggle(village_id: int):
    """Retire a village from the choice lists, or bring it back (records keep their village)."""
    village = get_scoped_or_404(Village, village_id)
    if not VenueStatusForm().validate_on_submit():
        abort(400)
    village.is_active = not village.is_active
    record_event("update", village, commune_id=village.commune_id,
                 details={"is_active": [not village.is_active, village.is_active]})
    db.session.commit()
    flash(_("Changes saved."), "success")
    return redirect(url_for("commune.villages"))
