"""Exposure notices of a tracing case: the letters printed for each village's head to deliver,
and the list for the carrier's bulk-SMS portal; each notice issued is recorded on the contact."""
from __future__ import annotations

import io

from flask import Blueprint, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.extensions import db
from registry.forms import ActionForm
from registry.models import Commune, Role, TracingCase
from registry.pdf.notices import render_notices
from registry.security import get_scoped_or_404, roles_required
from registry.services.tracing.notices import (issue_letters, issue_sms, notice_groups,
                                               sms_csv, sms_rows, unreached)
from registry.timeutil import local_today

bp = Blueprint("notices", __name__)

TRACERS = (Role.TRACER, Role.CHAIRMAN)


def _contacts(case: TracingCase):
    """The contacts asked for: those not reached yet (the default), or all of them."""
    return list(case.contacts) if request.form.get("scope") == "all" else unreached(case)


def _back(case: TracingCase):
    """Back to the case's F1 list, at its notices."""
    return redirect(url_for("tracing.case_detail", case_id=case.id) + "#notices")


@bp.post("/tracing/cases/<int:case_id>/notices.pdf")
@roles_required(*TRACERS)
def letters(case_id: int):
    """The notice letters, grouped by village with a cover sheet each; recorded as issued."""
    case = get_scoped_or_404(TracingCase, case_id)
    if not ActionForm().validate_on_submit():
        flash(_("The page was open too long. Please press the button again."), "warning")
        return _back(case)
    contacts = _contacts(case)
    if not contacts:
        flash(_("Everyone on the F1 list has been told already."), "warning")
        return _back(case)
    groups = notice_groups(case, contacts)
    pdf = render_notices(case, db.session.get(Commune, case.commune_id), groups, local_today())
    issue_letters(case, groups, current_user)
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"giay-thong-bao-ca-{case.id}.pdf")


@bp.post("/tracing/cases/<int:case_id>/notices-sms.csv")
@roles_required(*TRACERS)
def sms_list(case_id: int):
    """The bulk-SMS portal's list: one message per person with a mobile phone; recorded."""
    case = get_scoped_or_404(TracingCase, case_id)
    if not ActionForm().validate_on_submit():
        flash(_("The page was open too long. Please press the button again."), "warning")
        return _back(case)
    rows = sms_rows(_contacts(case), db.session.get(Commune, case.commune_id))
    if not rows:
        flash(_("Nobody among them has a mobile phone: print the letters instead."), "warning")
        return _back(case)
    issue_sms(case, rows, current_user)
    return send_file(io.BytesIO(sms_csv(rows)), mimetype="text/csv", as_attachment=True,
                     download_name=f"sms-thong-bao-ca-{case.id}.csv")


def init_app(app) -> None:
    """The exposure notices of tracing cases."""
    app.register_blueprint(bp)
