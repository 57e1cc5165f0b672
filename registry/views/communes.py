"""The commune's own settings and its list of villages."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.extensions import db
from registry.forms import ActionForm
from registry.forms.communes import CommuneSettingsForm, VillageForm
from registry.models import Commune, Role, Village
from registry.security import get_scoped_or_404, roles_required
from registry.services.communes import (SETTINGS, VillageExists, register_village, toggle_village,
                                        update_settings, villages_for)

bp = Blueprint("communes", __name__, url_prefix="/commune")


@bp.route("/settings", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.CLERK)
def settings():
    """Hotline, signers, place name, retention; shown on posters and reports."""
    commune = db.session.get(Commune, current_user.commune_id)
    form = CommuneSettingsForm(obj=commune)
    if form.validate_on_submit():
        update_settings(commune, current_user,
                        **{name: getattr(form, name).data for name in SETTINGS})
        flash(_("Changes saved."), "success")
        return redirect(url_for("communes.settings"))
    return render_template("communes/settings.html", form=form, commune=commune)


@bp.route("/villages", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.CLERK)
def villages():
    """The villages and residential groups of the commune."""
    form = VillageForm()
    if form.validate_on_submit():
        try:
            register_village(db.session.get(Commune, current_user.commune_id), current_user,
                             form.name.data)
        except VillageExists:
            form.name.errors.append(_("This village is already on the list."))
        else:
            flash(_("Village added."), "success")
            return redirect(url_for("communes.villages"))
    return render_template("communes/villages.html", form=form,
                           villages=villages_for(current_user.commune_id, active_only=False),
                           toggle_form=ActionForm())


@bp.post("/villages/<int:village_id>/toggle")
@roles_required(Role.ADMIN, Role.CLERK)
def village_toggle(village_id: int):
    """Retire a village from the choice lists, or bring it back (records keep their village)."""
    village = get_scoped_or_404(Village, village_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    toggle_village(village, current_user)
    flash(_("Changes saved."), "success")
    return redirect(url_for("communes.villages"))


def init_app(app) -> None:
    """The settings and villages pages."""
    app.register_blueprint(bp)
