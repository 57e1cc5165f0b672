"""The scan station at a venue's door: a USB scanner types the card's code, the answer shows at
once (JSON for the station's script, a page without it)."""
from __future__ import annotations

from flask import abort, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from registry.extensions import db
from registry.models import CheckinPoint, Commune, Role, Venue, VenueStatus
from registry.security import roles_required
from registry.services.residents.scan import scan_card
from registry.views.residents.blueprint import SCANNERS, bp


def _point_for_scanner(point_id: int) -> CheckinPoint:
    """The point, if the current user may scan there (a venue user: only their venue)."""
    point = db.session.get(CheckinPoint, point_id)
    if point is None or point.venue.commune_id != current_user.commune_id:
        abort(404)
    if current_user.role == Role.VENUE and point.venue_id != current_user.venue_id:
        abort(404)
    return point


@bp.get("/scan/")
@roles_required(*SCANNERS)
def scan_home():
    """Choose the check-in point this device scans at."""
    stmt = (select(CheckinPoint).join(Venue)
            .where(Venue.commune_id == current_user.commune_id,
                   Venue.status == VenueStatus.ACTIVE, CheckinPoint.is_active.is_(True))
            .order_by(Venue.name, CheckinPoint.id))
    if current_user.role == Role.VENUE:
        stmt = stmt.where(Venue.id == current_user.venue_id)
    points = db.session.scalars(stmt).all()
    return render_template("residents/scan_home.html", points=points)


@bp.get("/scan/<int:point_id>")
@roles_required(*SCANNERS)
def scan_station(point_id: int):
    """The station page for a USB scanner: the input keeps focus, results appear at once."""
    point = _point_for_scanner(point_id)
    direction = "exit" if request.args.get("direction") == "exit" else "entry"
    return render_template("residents/scan.html", point=point, direction=direction,
                           merge_minutes=db.session.get(Commune, current_user.commune_id)
                           .checkin_merge_minutes)


@bp.post("/scan/<int:point_id>")
@roles_required(*SCANNERS)
def scan_record(point_id: int):
    """Record one scan; JSON for the station's script, a page for a browser without JS."""
    point = _point_for_scanner(point_id)
    payload = request.get_json(silent=True) if request.is_json else None
    source = payload if isinstance(payload, dict) else request.form
    code = str(source.get("code") or "")[:300]
    direction = "exit" if source.get("direction") == "exit" else "entry"
    if point.venue.status != VenueStatus.ACTIVE or not point.is_active:
        result_dict = {"status": "suspended", "ok": False, "name": None, "card_number": None,
                       "at": None, "message": _("This check-in point is not active.")}
    else:
        result_dict = scan_card(point, code, direction=direction, user=current_user).as_dict()
    if payload is not None:
        return jsonify(result_dict)
    return render_template("residents/scan.html", point=point, direction=direction,
                           result=result_dict, merge_minutes=db.session.get(
                               Commune, current_user.commune_id).checkin_merge_minutes)
