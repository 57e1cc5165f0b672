"""One person, many records: the clerk confirms or rejects the records suggested as the same
person (linked for tracing, never merged)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry import signals
from registry.forms import ActionForm
from registry.models import LinkStatus, PersonLink, Role
from registry.security import get_scoped_or_404, roles_required
from registry.services.audit import record_event
from registry.services.person_links import (confirmed_count, decide_link, linked_checkin_ids,
                                            pending_links, purge_links, suggest_links)

bp = Blueprint("person_links", __name__, url_prefix="/paper/people")

REVIEWERS = (Role.ADMIN, Role.CLERK)


@bp.get("")
@roles_required(*REVIEWERS)
def index():
    """Suggested "same person" links waiting for a clerk's decision."""
    links = pending_links(current_user.commune_id)
    if links:
        record_event("view", object_type="person_links", object_id=None,
                     details={"suggestions": len(links)})
    return render_template("person_links/index.html", links=links, form=ActionForm(),
                           confirmed=confirmed_count(current_user.commune_id))


@bp.post("/suggest")
@roles_required(*REVIEWERS)
def suggest():
    """Look for new suggestions."""
    if not ActionForm().validate_on_submit():
        abort(400)
    added = suggest_links(current_user.commune_id)
    flash(_("%(count)s new suggestions.", count=added), "success")
    return redirect(url_for("person_links.index"))


@bp.post("/<int:link_id>/<any(confirm, reject):decision>")
@roles_required(*REVIEWERS)
def decide(link_id: int, decision: str):
    """Confirm (same person, linked) or reject a suggestion."""
    link = get_scoped_or_404(PersonLink, link_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if link.status != LinkStatus.SUGGESTED:
        flash(_("This suggestion has already been decided."), "info")
    else:
        decide_link(link, decision == "confirm", current_user)
        flash(_("The two records are linked as one person.") if decision == "confirm"
              else _("The suggestion was rejected."), "success")
    return redirect(url_for("person_links.index"))


def init_app(app) -> None:
    """The suggestions page; linked records for tracing, links purged with their records."""
    app.register_blueprint(bp)
    signals.linked_checkin_ids.connect(linked_checkin_ids)
    signals.purge_personal_data.connect(purge_links)
