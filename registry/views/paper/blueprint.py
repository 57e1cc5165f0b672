"""The paper feature's blueprint, the roles of its pages, and what its pages share."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from registry.extensions import db
from registry.forms.fields import parse_vietnamese_date
from registry.models import CheckinPoint, Role, Venue, VenueStatus

bp = Blueprint("paper", __name__, url_prefix="/paper")

A, C, D, H, V = Role.ADMIN, Role.CLERK, Role.DATA_ENTRY, Role.CHAIRMAN, Role.VENUE
CUSTODY = (A, C)
OVERVIEW = (A, C, H)
KEYERS = (A, C, D)
REVIEWERS = (A, C)


def point_choices(venue_id: int | None = None) -> list[SelectChoice]:
    """Active check-in points of the commune (or of one venue), as "Venue — point"."""
    stmt = (select(CheckinPoint).join(Venue)
            .where(Venue.commune_id == current_user.commune_id,
                   Venue.status == VenueStatus.ACTIVE, CheckinPoint.is_active.is_(True))
            .order_by(Venue.name, CheckinPoint.id))
    if venue_id is not None:
        stmt = stmt.where(Venue.id == venue_id)
    return [SelectChoice("", _("— choose —"))] + [
        SelectChoice(p.id, f"{p.venue.name} — {p.name}") for p in db.session.scalars(stmt)]


def scoped_point(point_id: int | None) -> CheckinPoint | None:
    point = db.session.get(CheckinPoint, point_id) if point_id else None
    if point is None or point.venue.commune_id != current_user.commune_id:
        return None
    return point


def parse_day_arg(name: str) -> date | None:
    """A day from the query string, written dd/mm/yyyy (the filter's box) or ISO (a link)."""
    try:
        return parse_vietnamese_date(request.args.get(name, ""))
    except ValueError:
        return None
