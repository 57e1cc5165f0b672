"""The commune's accounts, kept by its administrator."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from registry.extensions import db
from registry.forms import ActionForm
from registry.forms.users import UserForm
from registry.models import Role, User, Venue
from registry.security import get_scoped_or_404, keep_this_session, roles_required
from registry.services.users import UsernameTaken, create_user, set_user_active, update_user

bp = Blueprint("users", __name__, url_prefix="/admin")


def _venue_choices(form: UserForm) -> None:
    venues = db.session.scalars(select(Venue).where(Venue.commune_id == current_user.commune_id)
                                .order_by(Venue.search_name)).all()
    form.venue_id.choices = [SelectChoice("", _("— none —"))] + [
        SelectChoice(v.id, v.name) for v in venues]


@bp.get("/users")
@roles_required(Role.ADMIN)
def index():
    """All accounts of the commune."""
    rows = db.session.scalars(select(User).where(User.commune_id == current_user.commune_id)
                              .order_by(User.role, User.username)).all()
    return render_template("users/index.html", users=rows, toggle_form=ActionForm())


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new():
    """Create an account."""
    form = UserForm()
    _venue_choices(form)
    if form.validate_on_submit():
        if not form.password.data:
            form.password.errors.append(_("Enter a password for the new account."))
        else:
            try:
                create_user(current_user.commune_id, username=form.username.data,
                            full_name=form.full_name.data, role=form.role.data,
                            password=form.password.data, venue_id=form.venue_id.data,
                            locale=form.locale.data, by=current_user)
            except UsernameTaken:
                form.username.errors.append(_("This username is taken."))
            else:
                flash(_("Account created."), "success")
                return redirect(url_for("users.index"))
    return render_template("users/form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit(user_id: int):
    """Edit an account; leave the password empty to keep it."""
    user = get_scoped_or_404(User, user_id)
    form = UserForm(obj=user)
    _venue_choices(form)
    if not form.is_submitted():
        form.role.data = user.role.value
    form.username.data = user.username  # usernames are fixed once created
    if form.validate_on_submit():
        if user.id == current_user.id and form.role.data != Role.ADMIN.value:
            form.role.errors.append(_("You cannot remove your own administrator role."))
        else:
            update_user(user, current_user, full_name=form.full_name.data, role=form.role.data,
                        venue_id=form.venue_id.data, locale=form.locale.data,
                        password=form.password.data or None)
            if form.password.data and user.id == current_user.id:
                keep_this_session(user)  # a new password ends the other sessions, not this one
            flash(_("Changes saved."), "success")
            return redirect(url_for("users.index"))
    return render_template("users/form.html", form=form, user=user)


@bp.post("/users/<int:user_id>/<any(enable, disable):action>")
@roles_required(Role.ADMIN)
def toggle(user_id: int, action: str):
    """Disable or re-enable an account."""
    user = get_scoped_or_404(User, user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if user.id == current_user.id:
        flash(_("You cannot disable your own account."), "warning")
    else:
        set_user_active(user, current_user, action == "enable")
        flash(_("Changes saved."), "success")
    return redirect(url_for("users.index"))


def init_app(app) -> None:
    """The accounts pages."""
    app.register_blueprint(bp)
