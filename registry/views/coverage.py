"""The coverage page: every venue's posters, check-ins, paper and follow-up for a period, the
ready-made lists of venues to chase, and its .xlsx export."""
from __future__ import annotations

import io

from flask import Blueprint, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from registry.extensions import db
from registry.formatting import phone_national, short_date, short_datetime
from registry.forms.dashboard import CoverageForm, read_period
from registry.models import CheckinSource, Role, VenueCategory, Village
from registry.security import roles_required
from registry.services.audit import record_event
from registry.services.coverage import LIST_KEYS, LIST_TITLES, PAPER_NOT_KEYED, compute_coverage
from registry.services.figures import PRESET_LABELS, SOURCES, default_period, period_presets
from registry.spreadsheets import write_xlsx

bp = Blueprint("coverage", __name__, url_prefix="/coverage")

VIEWERS = (Role.ADMIN, Role.CLERK, Role.CHAIRMAN)
WRITERS = (Role.ADMIN, Role.CLERK)
# The lists whose venues a reminder is sent to; paper returned but not keyed waits on the
# commune's own keyers, so it links to the paper backlog instead.
REMINDER_LISTS = tuple(k for k in LIST_KEYS if k != PAPER_NOT_KEYED)


def _coverage():
    """The form, the coverage it asks for, and the query of its period and filters."""
    commune_id = current_user.commune_id
    categories = db.session.scalars(
        select(VenueCategory).where(VenueCategory.commune_id == commune_id)
        .order_by(VenueCategory.position, VenueCategory.name)).all()
    villages = db.session.scalars(select(Village).where(Village.commune_id == commune_id)
                                  .order_by(Village.name)).all()
    args = request.args.copy()
    if "start" not in args and "end" not in args:
        # The default period, as if chosen: the filters are then checked like any other.
        first, last = default_period()
        args["start"], args["end"] = first.isoformat(), last.isoformat()
    form = CoverageForm(args, categories=categories, villages=villages,
                        lists=[(k, LIST_TITLES[k]) for k in LIST_KEYS])
    start, end, _days = read_period(form, args)
    # The filters are used only when every field is right (a wrong one shows its message).
    valid = not form.errors
    category_id = form.category.data if valid else None
    village_id = form.village.data if valid else None
    status = (form.status.data or None) if valid else None
    list_key = (form.list.data or None) if valid else None
    coverage = compute_coverage(commune_id, start, end, category_id=category_id,
                                village_id=village_id, status=status, list_key=list_key)
    query = {"start": start.isoformat(), "end": end.isoformat()}
    for key, value in (("category", category_id), ("village", village_id), ("status", status)):
        if value:
            query[key] = value
    return form, coverage, query


@bp.get("/")
@roles_required(*VIEWERS)
def index():
    """Every venue's coverage for the period, or one ready-made list."""
    form, coverage, query = _coverage()
    shown = coverage.shown
    # The rows name each venue's person responsible and their phone: personal data shown.
    record_event("view", object_type="coverage", details={
        "start": query["start"], "end": query["end"], "list": coverage.list_key,
        "shown": len(shown)})
    return render_template(
        "coverage/index.html", form=form, coverage=coverage, shown=shown, query=query,
        sources=SOURCES, source_labels={s.value: s.label for s in CheckinSource},
        lists=LIST_KEYS, list_titles=LIST_TITLES, presets=period_presets(),
        preset_labels=PRESET_LABELS, reminder_lists=REMINDER_LISTS,
        can_remind=current_user.has_role(*WRITERS))


def coverage_table(coverage) -> tuple[list[str], list[list]]:
    """The header and rows of the coverage export: the same figures as the page."""
    labels = {s.value: s.label for s in CheckinSource}
    header = [_("Venue name"), _("Category"), _("Village"), _("Status"), _("Person responsible"),
              _("Phone"), _("Check-in points"), _("Posters printed"), _("Latest poster version"),
              _("Latest poster printed")]
    header += [labels[s.value] for s in SOURCES]
    header += [_("Check-ins"), _("Through QR"), _("Not through a smartphone"), _("Previous period"),
               _("Change (%)"), _("Paper sheets handed out"), _("Paper sheets returned"),
               _("Paper sheets keyed"), _("Sheets not returned"), _("Sheets returned, not keyed"),
               _("Last check-in"), _("Last reminder"), _("Check-ins since the reminder"),
               _("Lists")]
    rows = []
    for row in coverage.shown:
        venue, figures, reminder = row.venue, row.figures, row.last_reminder
        last = ""
        if row.last_day:
            last = (short_datetime(row.last_checkin_at) if row.last_is_exact
                    else short_date(row.last_day))
        rows.append([
            venue.name, venue.category.name, venue.village.name if venue.village else "",
            venue.status.label, venue.manager_name or "", phone_national(venue.manager_phone),
            row.points, row.posters, row.poster_version or "",
            short_date(row.poster_printed_at) if row.poster_printed_at else "",
            *[row.by_source[s.value] for s in SOURCES],
            row.total, figures["through_qr"], figures["without_smartphone"], row.previous_total,
            row.change if row.change is not None else "", row.paper_handed, row.paper_returned,
            row.paper_keyed, row.paper_out, row.paper_waiting, last,
            f"{reminder['number']}/{reminder['symbol']} {short_date(reminder['issued_on'])}"
            if reminder else "", row.since_reminder if reminder else "",
            "; ".join(str(LIST_TITLES[k]) for k in LIST_KEYS if k in row.lists)])
    return header, rows


@bp.get("/export.xlsx")
@roles_required(*VIEWERS)
def export():
    """The coverage page as .xlsx (the export is logged: it holds names and phones)."""
    _form, coverage, query = _coverage()
    header, rows = coverage_table(coverage)
    data = write_xlsx(_("Coverage"), header, rows)
    record_event("export", object_type="coverage", details={
        "start": query["start"], "end": query["end"], "list": coverage.list_key,
        "rows": len(rows)})
    name = f"coverage-{query['start']}-{query['end']}.xlsx"
    return send_file(io.BytesIO(data), as_attachment=True, download_name=name,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def init_app(app) -> None:
    """The coverage page."""
    app.register_blueprint(bp)
