"""Declarations typed by staff on behalf of a visitor (khai báo hộ)."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from registry.extensions import db
from registry.forms.declarations import declaration_form
from registry.forms.paper import OnBehalfForm
from registry.forms.validators import entry_warnings
from registry.models import Checkin, CheckinSource
from registry.security import roles_required
from registry.services.checkins import declare_on_behalf
from registry.services.declarations import active_questions
from registry.timeutil import local_day_bounds_utc, local_today
from registry.views.paper.blueprint import A, C, D, V, bp, point_choices, scoped_point


@bp.route("/on-behalf", methods=["GET", "POST"])
@roles_required(A, C, D, V)
def on_behalf():
    """Staff type a visitor's declaration (khai báo hộ); the record keeps who typed it."""
    venue_id = current_user.venue_id if current_user.has_role(V) else None
    questions = active_questions(current_user.commune_id)
    form = declaration_form(questions, base=OnBehalfForm, locale=current_user.locale or "vi")
    form.point_id.choices = point_choices(venue_id)
    if form.validate_on_submit():
        point = scoped_point(form.point_id.data)
        if point is None or (venue_id is not None and point.venue_id != venue_id):
            form.point_id.errors.append(_("Choose a check-in point."))
        else:
            checkin = declare_on_behalf(point, form.to_declaration(), current_user,
                                        time_in=form._time_in)
            flash(_("Declaration of %(name)s saved.", name=checkin.full_name), "success")
            for warning in entry_warnings(form.phone, checkin.id_number, checkin.birth_year,
                                          checkin.sex):
                flash(warning, "warning")
            return redirect(url_for("paper.on_behalf", point=point.id))
    if request.method == "GET" and request.args.get("point", type=int):
        form.point_id.data = request.args.get("point", type=int)
    g.no_store = True
    # What this person typed today, so they can check it before the visitor leaves.
    start, end = local_day_bounds_utc(local_today())
    recent = db.session.scalars(
        select(Checkin).where(Checkin.commune_id == current_user.commune_id,
                              Checkin.source == CheckinSource.ON_BEHALF,
                              Checkin.entered_by_id == current_user.id,
                              Checkin.created_at >= start, Checkin.created_at < end)
        .order_by(Checkin.id.desc()).limit(10)).all()
    return render_template("paper/on_behalf.html", form=form, recent=recent)
