"""The admin's list of health questions on the declaration: add, edit, reorder, retire."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.forms import ActionForm
from registry.forms.declarations import QuestionForm
from registry.models import DeclarationQuestion, Role
from registry.security import get_scoped_or_404, roles_required
from registry.services.declarations import (add_question, all_questions, move_question,
                                            set_question_active, update_question)

bp = Blueprint("declarations", __name__, url_prefix="/admin/questions")


@bp.route("", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def index():
    """The questions in asking order, the retired ones, and a form to add one."""
    form = QuestionForm()
    if form.validate_on_submit():
        add_question(current_user.commune_id, current_user, text=form.text.data,
                     text_en=form.text_en.data, asks_details=form.asks_details.data,
                     is_symptom=form.is_symptom.data)
        flash(_("Question added. It is asked on every new declaration."), "success")
        return redirect(url_for("declarations.index"))
    questions = all_questions(current_user.commune_id)
    return render_template("declarations/index.html", form=form, action_form=ActionForm(),
                           active=[q for q in questions if q.is_active],
                           retired=[q for q in questions if not q.is_active])


@bp.route("/<int:question_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit(question_id: int):
    """Change a question's wording; declarations already given keep the text they answered."""
    question = get_scoped_or_404(DeclarationQuestion, question_id)
    form = QuestionForm(obj=question)
    if form.validate_on_submit():
        changes = update_question(question, current_user, text=form.text.data,
                                  text_en=form.text_en.data,
                                  asks_details=form.asks_details.data,
                                  is_symptom=form.is_symptom.data)
        flash(_("Changes saved.") if changes else _("Nothing was changed."), "success")
        return redirect(url_for("declarations.index"))
    return render_template("declarations/edit.html", form=form, question=question)


@bp.post("/<int:question_id>/move/<any(up, down):direction>")
@roles_required(Role.ADMIN)
def move(question_id: int, direction: str):
    """Move a question one place up or down."""
    question = get_scoped_or_404(DeclarationQuestion, question_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    move_question(question, current_user, direction)
    return redirect(url_for("declarations.index"))


@bp.post("/<int:question_id>/<any(retire, restore):action>")
@roles_required(Role.ADMIN)
def toggle(question_id: int, action: str):
    """Stop asking a question (its answers stay readable), or ask it again."""
    question = get_scoped_or_404(DeclarationQuestion, question_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    set_question_active(question, current_user, action == "restore")
    flash(_("The question is no longer asked; answers already given are kept.")
          if action == "retire" else _("The question is asked again."), "success")
    return redirect(url_for("declarations.index"))


def init_app(app) -> None:
    """The question list of the declaration."""
    app.register_blueprint(bp)
