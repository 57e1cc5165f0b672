"""Venue staff: today's check-ins at their own venue and the counts per day."""
from __future__ import annotations

from flask import Blueprint, abort, g, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from registry.extensions import db
from registry.models import Role, Venue
from registry.security import roles_required
from registry.services.audit import record_event
from registry.services.selfscan import daily_counts, todays_checkins
from registry.timeutil import local_today

bp = Blueprint("venue_checkins", __name__, url_prefix="/my-venue")

SOURCE_LABELS = {"self_scan": _l("Self-scan"), "card_scan": _l("Card scan"),
                 "paper": _l("Paper"), "on_behalf": _l("On behalf")}


def source_label(value: str) -> str:
    """How a check-in was recorded, in words."""
    return str(SOURCE_LABELS.get(value, value))


@bp.get("/")
@roles_required(Role.VENUE)
def today():
    """Today's visitors of the user's own venue (audited: it shows personal data)."""
    venue = db.session.get(Venue, current_user.venue_id) if current_user.venue_id else None
    if venue is None or venue.commune_id != current_user.commune_id:
        abort(404)
    g.no_store = True
    checkins = todays_checkins(venue)
    record_event("view", venue, details={"list": "today_checkins", "day": str(local_today()),
                                         "rows": len(checkins)})
    db.session.commit()
    return render_template("venue_checkins/today.html", venue=venue, checkins=checkins,
                           counts=daily_counts(venue), today=local_today(),
                           source_label=source_label)
