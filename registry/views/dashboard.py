"""The dashboard: figures of a period per venue category, idle venues, a chart, exports."""
from __future__ import annotations

import io
from datetime import date

from flask import Blueprint, abort, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from registry.extensions import db
from registry.formatting import phone_national
from registry.forms.dashboard import PeriodForm, read_period
from registry.models import CheckinSource, Role, VenueCategory
from registry.security import roles_required
from registry.services.audit import record_event
from registry.services.coverage import LIST_KEYS, LIST_TITLES, compute_coverage
from registry.services.dashboard import (SOURCE_COLOURS, chart_geometry, checkins_behind,
                                         compute_dashboard, idle_venues, purged_count,
                                         venues_behind)
from registry.services.figures import (NO_SMARTPHONE, NOT_DIGITAL, PRESET_LABELS,
                                       SOURCE_GROUPS, SOURCES, THROUGH_QR, figure_definitions,
                                       period_presets)
from registry.spreadsheets import write_xlsx

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

VIEWERS = (Role.ADMIN, Role.CLERK, Role.CHAIRMAN)
CHECKINS_PER_PAGE = 50


def source_labels() -> dict[str, str]:
    """The four sources in words, and the drill-downs of the reported groups of them."""
    return {**{s.value: s.label for s in CheckinSource},
            NOT_DIGITAL: _("Not digital (paper, on behalf)"),
            THROUGH_QR: _("Through QR (self-scan, card scan)"),
            NO_SMARTPHONE: _("Without a smartphone (card scan, paper, on behalf)")}


def _period() -> tuple[PeriodForm, date, date, int]:
    """The period from the query string; the last 30 days when absent or invalid."""
    form = PeriodForm(request.args)
    start, end, days = read_period(form, request.args)
    return form, start, end, days


def _category_id() -> int | None:
    """The category filter of the query string, 404 if another commune's."""
    value = request.args.get("category", "")
    if not value.isdigit():
        return None
    category = db.session.get(VenueCategory, int(value))
    if category is None or category.commune_id != current_user.commune_id:
        abort(404)
    return category.id


@bp.get("/")
@roles_required(*VIEWERS)
def index():
    """The figures of the period, the idle-venue list and the chart."""
    form, start, end, days = _period()
    board = compute_dashboard(current_user.commune_id, start, end)
    idle = idle_venues(current_user.commune_id, days)
    if idle:
        # The list names the person responsible and their phone: personal data shown.
        record_event("view", object_type="dashboard_idle_venues", details={
            "days": days, "venues": len(idle)})
    coverage = compute_coverage(current_user.commune_id, start, end, counts=board.by_venue)
    return render_template(
        "dashboard/index.html", form=form, board=board, idle=idle, days=days,
        chart=chart_geometry(board.daily), colours=SOURCE_COLOURS, sources=SOURCES,
        labels=source_labels(), period={"start": start.isoformat(), "end": end.isoformat()},
        figures=board.figures, definitions=figure_definitions(), lists=LIST_KEYS,
        list_titles=LIST_TITLES, list_counts=coverage.counts, presets=period_presets(),
        preset_labels=PRESET_LABELS)


@bp.get("/venues")
@roles_required(*VIEWERS)
def venues():
    """The venues behind a figure of the dashboard."""
    form, start, end, _days = _period()
    kind = request.args.get("kind", "registered")
    if kind not in ("registered", "poster", "active"):
        abort(404)
    category_id = _category_id()
    rows = venues_behind(current_user.commune_id, kind, start, end, category_id)
    # The list names each venue's person responsible and their phone: personal data shown.
    record_event("view", object_type="dashboard_venues", details={
        "kind": kind, "category_id": category_id, "shown": len(rows)})
    titles = {"registered": _("Venues registered"),
              "poster": _("Venues with a poster printed"),
              "active": _("Venues with check-ins in the period")}
    return render_template("dashboard/venues.html", venues=rows, title=titles[kind],
                           category=db.session.get(VenueCategory, category_id)
                           if category_id else None, start=start, end=end)


@bp.get("/checkins")
@roles_required(*VIEWERS)
def checkins():
    """The check-ins behind a figure (personal data: the view is logged)."""
    form, start, end, _days = _period()
    source = request.args.get("source") or None
    if source is not None and source not in {s.value for s in CheckinSource} | set(SOURCE_GROUPS):
        abort(404)
    category_id = _category_id()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    stmt = checkins_behind(current_user.commune_id, start, end, category_id, source)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.scalars(stmt.limit(CHECKINS_PER_PAGE)
                              .offset((page - 1) * CHECKINS_PER_PAGE)).all()
    record_event("view", object_type="checkins", details={
        "start": start.isoformat(), "end": end.isoformat(), "category_id": category_id,
        "source": source, "page": page, "shown": len(rows)})
    return render_template(
        "dashboard/checkins.html", checkins=rows, total=total, page=page,
        pages=max((total + CHECKINS_PER_PAGE - 1) // CHECKINS_PER_PAGE, 1),
        purged=purged_count(current_user.commune_id, start, end, category_id, source),
        labels=source_labels(), source=source, start=start, end=end,
        category=db.session.get(VenueCategory, category_id) if category_id else None)


def _blank(value):
    """A share for a spreadsheet cell: empty when there is nothing to divide."""
    return "" if value is None else value


def dashboard_tables(table: str, start: date, end: date, days: int):
    """(sheet title, header, rows) of one dashboard table for the .xlsx export."""
    labels = source_labels()
    if table == "categories":
        board = compute_dashboard(current_user.commune_id, start, end)
        header = [_("Category"), _("Venues registered"), _("Check-in points"),
                  _("Points with a poster printed"), _("Venues with check-ins")]
        header += [labels[s.value] for s in SOURCES] + [
            _("Check-ins"), _("Through QR"), _("QR share (%)"), _("Not through a smartphone"),
            _("Not through a smartphone (%)")]
        rows = []
        for row in board.rows + [board.total]:
            f = row.figures
            rows.append([row.name or _("Total"), row.venues, row.points, row.posters, row.active]
                        + [row.by_source[s.value] for s in SOURCES]
                        + [row.checkins, f["through_qr"], _blank(f["qr_share"]),
                           f["without_smartphone"], _blank(f["without_smartphone_share"])])
        return _("By category"), header, rows
    if table == "figures":
        board = compute_dashboard(current_user.commune_id, start, end)
        f = board.figures
        rows = [[_("Check-ins"), f["total"]],
                [_("Through QR"), f["through_qr"]],
                [_("QR share (%)"), _blank(f["qr_share"])],
                [_("Not through a smartphone"), f["without_smartphone"]],
                [_("Not through a smartphone (%)"), _blank(f["without_smartphone_share"])],
                [labels["paper"], f["paper"]], [labels["on_behalf"], f["on_behalf"]]]
        rows += [[r["label"], r["value"]] for r in board.extra]
        return _("Figures"), [_("Figure"), _("Value")], rows
    if table == "daily":
        board = compute_dashboard(current_user.commune_id, start, end, with_extra=False)
        header = [_("Day")] + [labels[s.value] for s in SOURCES] + [_("Total")]
        rows = [[d.strftime("%d/%m/%Y")] + [c[s.value] for s in SOURCES] + [sum(c.values())]
                for d, c in board.daily]
        return _("By day"), header, rows
    idle = idle_venues(current_user.commune_id, days)
    header = [_("Venue name"), _("Category"), _("Address"), _("Person responsible"),
              _("Phone"), _("Last check-in")]
    rows = [[i.venue.name, i.venue.category.name, i.venue.address or "",
             i.venue.manager_name or "", phone_national(i.venue.manager_phone),
             i.last_checkin_day.strftime("%d/%m/%Y") if i.last_checkin_day else _("Never")]
            for i in idle]
    return _("No check-in"), header, rows


@bp.get("/export/<any(categories, figures, daily, idle):table>.xlsx")
@roles_required(*VIEWERS)
def export(table: str):
    """One dashboard table as .xlsx (the export is logged)."""
    _form, start, end, days = _period()
    title, header, rows = dashboard_tables(table, start, end, days)
    data = write_xlsx(title, header, rows)
    record_event("export", object_type="dashboard", details={
        "table": table, "start": start.isoformat(), "end": end.isoformat(), "rows": len(rows)})
    name = f"dashboard-{table}-{start.isoformat()}-{end.isoformat()}.xlsx"
    return send_file(io.BytesIO(data), as_attachment=True, download_name=name,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def init_app(app) -> None:
    """The dashboard pages."""
    app.register_blueprint(bp)
