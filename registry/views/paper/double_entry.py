"""Double entry: settling the differences between two keyings, and the overview of sheets
waiting for a second keying or a review."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from registry.extensions import db
from registry.forms import ActionForm
from registry.models import PaperSheet, Sex, SheetStatus
from registry.security import roles_required
from registry.services.audit import record_event
from registry.services.declarations import active_questions
from registry.services.paper import double_entry as svc
from registry.views.paper.blueprint import KEYERS, REVIEWERS, bp
from registry.views.paper.keying import keyable_sheet


@bp.route("/sheets/<int:sheet_id>/review", methods=["GET", "POST"])
@roles_required(*REVIEWERS)
def review_sheet(sheet_id: int):
    """Settle each disagreement between the two keyings, field by field."""
    sheet = keyable_sheet(sheet_id)
    form = ActionForm()
    if form.validate_on_submit():
        line_id = request.form.get("line_id", type=int)
        line = next((l for l in svc.unsettled_lines(sheet) if l.id == line_id), None)
        if line is None:
            flash(_("This line has already been settled."), "info")
        else:
            choice = {name: request.form.get(f"pick_{name}", "first")
                      for name in line.disagreements}
            svc.settle_line(line, choice, current_user)
            flash(_("Line %(line)s settled.", line=line.line_no), "success")
        return redirect(url_for("paper.review_sheet", sheet_id=sheet.id))
    record_event("view", sheet, details={"serial": sheet.serial, "review": True})
    return render_template("paper/review.html", sheet=sheet, form=form,
                           lines=svc.unsettled_lines(sheet), labels=svc.FIELD_LABELS,
                           questions={q.code: q.text for q in active_questions(sheet.commune_id)},
                           sexes=dict(Sex.choices()))


@bp.get("/double-entry")
@roles_required(*KEYERS)
def double_entry():
    """Sheets waiting for a second keying or a review, and agreement per keyer."""
    commune_id = current_user.commune_id
    to_review = [s for s in db.session.scalars(
        select(PaperSheet).where(PaperSheet.commune_id == commune_id,
                                 PaperSheet.status == SheetStatus.KEYED,
                                 PaperSheet.second_keyed_at.is_not(None))
        .order_by(PaperSheet.id).limit(100))]
    waiting = db.session.scalars(
        select(PaperSheet).where(PaperSheet.commune_id == commune_id,
                                 PaperSheet.status == SheetStatus.KEYED,
                                 PaperSheet.second_keyed_at.is_(None))
        .order_by(PaperSheet.id).limit(100)).all()
    return render_template("paper/double_entry.html", to_review=to_review, waiting=waiting,
                           agreement=svc.agreement_by_keyer(commune_id),
                           can_review=current_user.has_role(*REVIEWERS))
