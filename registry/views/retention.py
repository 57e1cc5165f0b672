"""Retention: the period, the purges run, paper sheets to destroy and those destroyed."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from registry.extensions import db
from registry.forms.retention import DestroyForm
from registry.models import AuditEvent, Commune, Role
from registry.security import roles_required
from registry.services import retention
from registry.services.paper.custody import backlog
from registry.services.tracing.cases import held_checkin_ids_query

bp = Blueprint("retention", __name__)

KEEPERS = (Role.ADMIN, Role.CLERK)


@bp.get("/retention")
@roles_required(*KEEPERS)
def index():
    """Retention: the period, the last purges, paper sheets to destroy and those destroyed."""
    commune = db.session.get(Commune, current_user.commune_id)
    purges = db.session.scalars(
        select(AuditEvent).where(AuditEvent.commune_id == commune.id,
                                 AuditEvent.action == "purge")
        .order_by(AuditEvent.at.desc()).limit(10)).all()
    held = db.session.scalar(select(func.count()).select_from(
        held_checkin_ids_query(commune.id).distinct().subquery()))
    # Printed batches (with their custody) come from the paper feature; the rows below are what
    # the purge turned into counts, by point and day.
    paper_batches = backlog(commune)["to_destroy"]
    return render_template("retention/index.html", commune=commune, purges=purges, held=held,
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
    flash(_("Purge done: %(deleted)s records deleted, %(held)s kept for open cases.",
            deleted=result.checkins_deleted, held=result.held_kept), "success")
    return redirect(url_for("retention.index"))


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
        return redirect(url_for("retention.index"))
    count = retention.record_destruction(commune, current_user, keys, form.method.data)
    flash(_("%(count)s sheets recorded as destroyed.", count=count), "success")
    return redirect(url_for("retention.index"))


def init_app(app) -> None:
    """The retention page."""
    app.register_blueprint(bp)
