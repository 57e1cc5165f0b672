"""The scan station at a venue's door: a USB scanner types the card's code, the answer shows at
once (JSON for the station's script, a page without it); the household members who came along;
scans stored while offline, sent later; the service worker that opens the page offline."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from flask import abort, g, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from registry.extensions import db
from registry.models import CheckinPoint, Commune, Role, Venue, VenueStatus
from registry.security import roles_required
from registry.services.residents.offline import (parse_station_scan, receive_batch,
                                                 receive_scan)
from registry.services.residents.scan import record_household, scan_card
from registry.transactions import retry_on_unique_clash
from registry.views.residents.blueprint import SCANNERS, bp

SERVICE_WORKER = Path(__file__).resolve().parent.parent.parent / "static" / "js" / "scan-sw.js"


def _point_for_scanner(point_id: int) -> CheckinPoint:
    """The point, if the current user may scan there (a venue user: only their venue)."""
    point = db.session.get(CheckinPoint, point_id)
    if point is None or point.venue.commune_id != current_user.commune_id:
        abort(404)
    if current_user.role == Role.VENUE and point.venue_id != current_user.venue_id:
        abort(404)
    return point


def _suspended(point: CheckinPoint) -> dict | None:
    """The answer for a point that takes no scans now, else None."""
    if point.venue.status == VenueStatus.ACTIVE and point.is_active:
        return None
    return {"status": "suspended", "ok": False, "kind": "bad", "name": None,
            "card_number": None, "at": None, "household": [],
            "message": _("This check-in point is not active.")}


def _server_clock() -> int:
    """The server's time in milliseconds since 1970 (the station compares its own clock)."""
    return int(datetime.now(timezone.utc).timestamp() * 1000)


def _station_page(point: CheckinPoint, direction: str, **context):
    """The station page (with a result and the household to tick, after a post without JS)."""
    merge = db.session.get(Commune, current_user.commune_id).checkin_merge_minutes
    return render_template("residents/scan.html", point=point, direction=direction,
                           merge_minutes=merge, **context)


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
    """The station page for a USB scanner: the input keeps focus, results appear at once; the
    service worker keeps a copy so the page opens without a network."""
    point = _point_for_scanner(point_id)
    direction = "exit" if request.args.get("direction") == "exit" else "entry"
    return _station_page(point, direction)


@bp.post("/scan/<int:point_id>")
@roles_required(*SCANNERS)
def scan_record(point_id: int):
    """Record one scan; JSON for the station's script (with the scan's id and time: recorded
    once however often it is sent), a page for a browser without JS."""
    point = _point_for_scanner(point_id)
    payload = request.get_json(silent=True) if request.is_json else None
    source = payload if isinstance(payload, dict) else request.form
    code = str(source.get("code") or "")[:300]
    direction = "exit" if source.get("direction") == "exit" else "entry"
    refusal = _suspended(point)
    if refusal is not None:
        result_dict = refusal
    elif payload is not None and payload.get("id"):
        scan = parse_station_scan(payload)
        if scan is None:
            abort(400)
        result_dict = retry_on_unique_clash(
            lambda: receive_scan(point, scan, user=current_user))
    else:
        result_dict = scan_card(point, code, direction=direction, user=current_user).as_dict()
    if payload is not None:
        return jsonify(result_dict)
    return _station_page(point, direction, result=result_dict)


@bp.post("/scan/<int:point_id>/upload")
@roles_required(*SCANNERS)
def scan_upload(point_id: int):
    """The scans a station stored while offline, in the order taken: each recorded once (a
    retried upload gets the first answers again), late ones at their own time."""
    point = _point_for_scanner(point_id)
    payload = request.get_json(silent=True)
    items = payload.get("scans") if isinstance(payload, dict) else None
    if not isinstance(items, list):
        abort(400)
    refusal = _suspended(point)
    if refusal is not None:
        answers = [{**refusal, "id": str(i.get("id", ""))[:36] if isinstance(i, dict) else ""}
                   for i in items]
    else:
        answers = retry_on_unique_clash(
            lambda: receive_batch(point, items, user=current_user))
    return jsonify({"results": answers, "server_clock": _server_clock()})


@bp.post("/scan/<int:point_id>/household")
@roles_required(*SCANNERS)
def scan_household(point_id: int):
    """The ticked household members who came along with the card holder just scanned."""
    point = _point_for_scanner(point_id)
    payload = request.get_json(silent=True) if request.is_json else None
    if payload is not None:
        checkin_id, members = payload.get("checkin_id"), payload.get("members") or []
    else:
        checkin_id, members = request.form.get("checkin_id"), request.form.getlist("member")
    try:
        checkin_id = int(checkin_id)
        member_ids = [int(m) for m in members][:20]
    except (TypeError, ValueError):
        abort(400)
    results = record_household(point, checkin_id, member_ids, user=current_user)
    if results is None:
        message = _("This visit can no longer take household members: scan the card again.")
        if payload is not None:
            return jsonify({"ok": False, "message": message, "results": []}), 409
        return _station_page(point, "entry", result={"ok": False, "kind": "bad", "name": None,
                                                     "message": message, "household": []}), 409
    answers = [r.as_dict() for r in results]
    message = _("%(count)s household members recorded.", count=len(answers))
    if payload is not None:
        return jsonify({"ok": True, "message": message, "results": answers})
    return _station_page(point, "entry", companions=answers, result={
        "ok": True, "kind": "ok", "name": None, "message": message, "household": []})


@bp.get("/scan/<int:point_id>/session")
@roles_required(*SCANNERS)
def scan_session(point_id: int):
    """A fresh CSRF token and the server's clock, for a station whose page came from the cache
    (asked before sending what it stored offline)."""
    _point_for_scanner(point_id)
    g.no_store = True
    return jsonify({"csrf_token": generate_csrf(), "server_clock": _server_clock()})


@bp.get("/scan/sw.js")
def scan_service_worker():
    """The service worker of the scan stations (its scope is /scan/, hence served from here):
    it keeps the station page and its own files to open them without a network."""
    response = make_response(SERVICE_WORKER.read_text(encoding="utf-8"))
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    # Always checked against the server, so a new version reaches the stations at once.
    response.headers["Cache-Control"] = "no-cache"
    return response

