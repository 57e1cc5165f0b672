"""Double entry: settling the differences between two keyings, and the overview of sheets
waiting for a second keying or a review."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from registry.extensions import db
from registry.forms import ActionForm
from registry.forms.paper import parse_typed_value
from registry.models import PaperSheet, Sex, SheetStatus
from registry.security import roles_required
from registry.services.audit import record_event
from registry.services.declarations import active_questions
from registry.services.paper import double_entry as svc
from registry.views.paper.blueprint import KEYERS, REVIEWERS, bp
from registry.views.paper.keying import keyable_sheet


def _read_decisions(lines) -> tuple[dict, dict, dict]:
    """The reviewer's choices for every disagreement of the sheet, from one form: for each
    line, {field: "first" | "second" | "typed"} and the typed values parsed; and the refusals
    ({(line id, field): message}): a field left unchosen, a typed value that is not one."""
    choices, typed, problems = {}, {}, {}
    for line in lines:
        choices[line.id], typed[line.id] = {}, {}
        for name in line.disagreements:
            key = f"{line.id}_{name}"
            picked = request.form.get(f"pick_{key}", "")
            text = request.form.get(f"typed_{key}", "")
            if not picked and text.strip() and name != "line":
                picked = "typed"  # a value typed without ticking its box
            if picked not in (("first", "second") if name == "line" else
                              ("first", "second", "typed")):
                problems[(line.id, name)] = _("Choose the first keying, the second, or type "
                                              "the value on the paper.")
                continue
            if picked == "typed":
                try:
                    typed[line.id][name] = parse_typed_value(name, text)
                except ValueError as exc:
                    problems[(line.id, name)] = str(exc)
                    continue
            choices[line.id][name] = picked
    return choices, typed, problems


@bp.route("/sheets/<int:sheet_id>/review", methods=["GET", "POST"])
@roles_required(*REVIEWERS)
def review_sheet(sheet_id: int):
    """Settle every disagreement of the sheet on one page: nothing is chosen in advance; for
    each field the reviewer takes the first keying, the second, or types what the paper says.
    A page with a field left open settles nothing and says which."""
    sheet = keyable_sheet(sheet_id)
    form = ActionForm()
    lines = svc.unsettled_lines(sheet)
    problems: dict = {}
    if form.validate_on_submit():
        if not lines:
            flash(_("This sheet has already been settled."), "info")
            return redirect(url_for("paper.double_entry"))
        choices, typed, problems = _read_decisions(lines)
        if not problems:
            for line in lines:
                svc.settle_line(line, choices[line.id], current_user, typed=typed[line.id])
            flash(_("%(count)s lines settled: sheet %(serial)s is verified.", count=len(lines),
                    serial=sheet.serial), "success")
            return redirect(url_for("paper.double_entry"))
    else:
        record_event("view", sheet, details={"serial": sheet.serial, "review": True})
    keyers = {row["user"].id: row for row in svc.agreement_by_keyer(sheet.commune_id)}
    return render_template("paper/review.html", sheet=sheet, form=form, lines=lines,
                           labels=svc.FIELD_LABELS, problems=problems,
                           questions={q.code: q.text for q in active_questions(sheet.commune_id)},
                           sexes=dict(Sex.choices()), keyers=keyers), 200 if not problems else 400


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
                           by_field=svc.agreement_by_field(commune_id), labels=svc.FIELD_LABELS,
                           questions={q.code: q.text for q in active_questions(commune_id)},
                           can_review=current_user.has_role(*REVIEWERS))
