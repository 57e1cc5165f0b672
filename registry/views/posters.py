"""QR posters for staff: download one or many, withdraw (rotate) a point's code."""
from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry import signals
from registry.extensions import db
from registry.forms.posters import RotateTokenForm
from registry.forms.venues import venue_filter_from_args
from registry.models import CheckinPoint, Role, Venue
from registry.pdf.posters import POSTERS_PER_PART, poster_job_kind, render_posters
from registry.security import get_scoped_or_404, roles_required
from registry.services.jobs import enqueue
from registry.services.posters import (DEFAULT_SIZE, POSTER_SIZES, mark_printed,
                                       points_for_batch, rotate_token)
from registry.services.venues import venue_query
from registry.views.confirm import ask_first, confirmed

bp = Blueprint("posters", __name__, url_prefix="/posters")

# Posters are for staff to print, never published (seed 002): the commune's staff only.
PRINTERS = (Role.ADMIN, Role.CLERK, Role.CHAIRMAN)
EDITORS = (Role.ADMIN, Role.CLERK)
# A batch larger than this would take minutes to lay out; the clerk prints it in parts.
MAX_BATCH = 500


def _size() -> str:
    size = (request.args.get("size") or DEFAULT_SIZE).upper()
    return size if size in POSTER_SIZES else DEFAULT_SIZE


def _ids(name: str) -> list[int]:
    return [int(v) for v in request.args.getlist(name) if v.isdigit()][:MAX_BATCH]


def _pdf_response(data: bytes, filename: str):
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                     download_name=filename, max_age=0)


def _point_or_404(point_id: int) -> CheckinPoint:
    point = db.session.get(CheckinPoint, point_id)
    if point is None or point.venue.commune_id != current_user.commune_id:
        abort(404)
    return point


@bp.get("/points/<int:point_id>.pdf")
@roles_required(*PRINTERS)
def point_poster(point_id: int):
    """The poster of one check-in point (A4 by default; ?size=A3 or A5)."""
    point = _point_or_404(point_id)
    size = _size()
    data = render_posters([point], size)
    mark_printed([point], current_user)
    return _pdf_response(data, f"ma-qr-{point.venue_id}-{point.id}-v{point.poster_version}-"
                               f"{size}.pdf")


@bp.get("/batch.pdf")
@roles_required(*PRINTERS)
def batch():
    """The posters of every chosen venue (all its points) and chosen point, in one PDF; with
    ?scope=filter, of every venue matching the venue list's filter (all pages of it)."""
    if request.args.get("scope") == "filter":
        flt = venue_filter_from_args(request.args)
        venue_ids = list(db.session.scalars(
            venue_query(current_user.commune_id, flt).with_only_columns(Venue.id)))
        points = points_for_batch(current_user.commune_id, venue_ids, [])
    else:
        points = points_for_batch(current_user.commune_id, _ids("venue"), _ids("point"))
    if not points:
        flash(_("Choose at least one venue to print its posters."), "warning")
        return redirect(url_for("venues.index"))
    size = _size()
    mark_printed(points, current_user)
    if len(points) > POSTERS_PER_PART:
        # Dozens of posters take longer than a clerk should wait on a page: a background job,
        # rendered by both worker processes, with a progress page that survives a reload.
        job = enqueue("poster_batch", {"point_ids": [p.id for p in points], "size": size},
                      current_user, _("QR posters: %(count)s check-in points", count=len(points)))
        return redirect(url_for("jobs.detail", job_id=job.id))
    data = render_posters(points, size)
    return _pdf_response(data, f"ma-qr-{len(points)}-diem-{size}.pdf")


@bp.post("/points/<int:point_id>/rotate")
@roles_required(*EDITORS)
def rotate(point_id: int):
    """Withdraw the point's QR: the old poster stops working; print the new version."""
    point = _point_or_404(point_id)
    form = RotateTokenForm()
    if not form.validate_on_submit():
        flash(_("The QR code was not withdrawn: %(error)s",
                error="; ".join(e for errors in form.errors.values() for e in errors)), "danger")
        return redirect(url_for("venues.detail", venue_id=point.venue_id))
    if not confirmed():
        return ask_first(
            title=_("Withdraw this QR code?"),
            record=_("%(venue)s — %(point)s, poster version %(version)s",
                     venue=point.venue.name, point=point.name, version=point.poster_version),
            consequences=[
                _("Poster version %(version)s stops working at once: whoever scans it is told "
                  "the code is withdrawn, and no check-in is recorded.",
                  version=point.poster_version),
                _("A new code is made (poster version %(version)s): print it and put it up in "
                  "place of the old one.", version=point.poster_version + 1),
                _("This cannot be undone: the old code never works again.")],
            button=_("Withdraw the QR code"),
            cancel_url=url_for("venues.detail", venue_id=point.venue_id))
    rotate_token(point, current_user, reason=form.reason.data or None)
    flash(_("The old QR code of \"%(point)s\" is withdrawn. Print and put up poster version "
            "%(version)s.", point=point.name, version=point.poster_version), "success")
    return redirect(url_for("venues.detail", venue_id=point.venue_id))


@bp.get("/venues/<int:venue_id>.pdf")
@roles_required(*PRINTERS)
def venue_posters(venue_id: int):
    """The posters of all check-in points of one venue."""
    venue = get_scoped_or_404(Venue, venue_id)
    points = [p for p in venue.points if p.is_active]
    if not points:
        flash(_("This venue has no active check-in point."), "warning")
        return redirect(url_for("venues.detail", venue_id=venue.id))
    size = _size()
    data = render_posters(points, size)
    mark_printed(points, current_user)
    return _pdf_response(data, f"ma-qr-{venue.id}-{size}.pdf")


def init_app(app) -> None:
    """The poster downloads and the withdrawal of a QR; large batches as a job."""
    app.register_blueprint(bp)
    signals.job_kinds.connect(poster_job_kind)
