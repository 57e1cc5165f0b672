"""The audit log of the commune, read-only, for its administrator."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import SelectChoice

from registry.extensions import db
from registry.forms.audit import AuditFilterForm
from registry.models import AuditEvent, Role, User
from registry.security import roles_required
from registry.services.audit import action_label, describe_details, object_label
from registry.services.privacy import mask_id_number
from registry.timeutil import local_to_utc

bp = Blueprint("audit", __name__)

AUDIT_PER_PAGE = 50


@bp.get("/audit")
@roles_required(Role.ADMIN)
def index():
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
        SelectChoice(a, action_label(a)) for a in actions]
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
    return render_template("audit/index.html", form=form, events=events, page=page,
                           pages=pages, total=total, mask=mask_id_number)


def init_app(app) -> None:
    """The audit log; the words of actions and records, and masked ID numbers, for every
    page that shows audit events."""
    app.register_blueprint(bp)
    app.add_template_filter(mask_id_number, "mask_id")
    app.jinja_env.globals.update(
        action_label=action_label, object_label=object_label,
        audit_details=lambda event, masked=False: describe_details(
            event, mask=mask_id_number if masked else None))
