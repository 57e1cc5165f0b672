"""Paper forms: the backlog, printing a batch, and its custody (handed, collected, destroyed)."""
from __future__ import annotations

import io

from flask import abort, flash, g, redirect, render_template, request, send_file, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.forms.paper import BatchForm, CollectForm, DestroyForm, HandForm
from registry.models import BatchStatus, DoubleEntry, FormKind, PaperBatch
from registry.pdf.paper import SLIPS_PER_PAGE, batch_pdf
from registry.security import get_scoped_or_404, roles_required
from registry.services.audit import record_event
from registry.services.paper import PaperError, custody
from registry.views.paper.blueprint import (CUSTODY, OVERVIEW, bp, parse_day_arg, point_choices,
                                            scoped_point)


@bp.get("/")
@roles_required(*OVERVIEW)
def backlog_page():
    """What waits: collected not keyed, keyed not verified, due for destruction, missing."""
    start, end = parse_day_arg("start"), parse_day_arg("end")
    data = custody.backlog(current_user.commune, start, end)
    return render_template("paper/backlog.html", data=data, start=start, end=end,
                           can_edit=current_user.has_role(*CUSTODY),
                           retention=current_user.commune.retention_days)


@bp.route("/batches/new", methods=["GET", "POST"])
@roles_required(*CUSTODY)
def new_batch():
    """Print a batch of forms for a check-in point."""
    form = BatchForm()
    form.point_id.choices = point_choices()
    if form.validate_on_submit():
        point = scoped_point(form.point_id.data)
        if point is None:
            form.point_id.errors.append(_("Choose a check-in point."))
        else:
            batch = custody.create_batch(
                point, FormKind(form.kind.data), form.count.data, current_user,
                double_entry=DoubleEntry(form.double_entry.data),
                sample_percent=form.sample_percent.data or 0,
                ignore_diacritics=form.ignore_diacritics.data,
                skip_free_text=form.skip_free_text.data)
            session[f"paper_batch_paper_{batch.id}"] = form.paper.data
            flash(_("Batch of %(count)s sheets created. Download and print it.",
                    count=batch.sheet_count), "success")
            return redirect(url_for("paper.batch_detail", batch_id=batch.id))
    return render_template("paper/batch_new.html", form=form)


@bp.get("/batches/<int:batch_id>")
@roles_required(*OVERVIEW)
def batch_detail(batch_id: int):
    """A batch: custody steps, its sheets and their keying state."""
    batch = get_scoped_or_404(PaperBatch, batch_id)
    return render_template(
        "paper/batch.html", batch=batch, hand_form=HandForm(), collect_form=CollectForm(),
        destroy_form=DestroyForm(), can_edit=current_user.has_role(*CUSTODY),
        due=custody.destruction_due_on(batch, current_user.commune.retention_days))


@bp.get("/batches/<int:batch_id>/sheets.pdf")
@roles_required(*CUSTODY)
def batch_sheets_pdf(batch_id: int):
    """The batch's sheets, each with its serial and QR, ready to print."""
    batch = get_scoped_or_404(PaperBatch, batch_id)
    if batch.status == BatchStatus.DESTROYED:
        abort(404)
    size = request.args.get("paper") or session.get(f"paper_batch_paper_{batch.id}", "a4")
    per_page = SLIPS_PER_PAGE.get(size, 2)
    data = batch_pdf(batch, per_page)
    record_event("print", batch, details={"sheets": batch.sheet_count})
    g.no_store = True
    prefix = "so-ra-vao" if batch.kind == FormKind.LOG else "to-khai"
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                     download_name=f"{prefix}-lo-{batch.id}.pdf")


@bp.post("/batches/<int:batch_id>/<any(hand, collect, destroy):step>")
@roles_required(*CUSTODY)
def custody_step(batch_id: int, step: str):
    """Record a custody step: handed to the venue, collected, destroyed."""
    batch = get_scoped_or_404(PaperBatch, batch_id)
    form = {"hand": HandForm, "collect": CollectForm, "destroy": DestroyForm}[step]()
    if form.validate_on_submit():
        try:
            if step == "hand":
                custody.hand_batch(batch, current_user, form.on.data, form.to_whom.data)
            elif step == "collect":
                custody.collect_batch(batch, current_user, form.on.data, form.collected_by.data,
                                  form.returned.data)
            else:
                custody.destroy_batch(batch, current_user, form.on.data)
        except PaperError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("paper.batch_detail", batch_id=batch.id))
    forms = {"hand_form": HandForm(formdata=None), "collect_form": CollectForm(formdata=None),
             "destroy_form": DestroyForm(formdata=None)}
    forms[f"{step}_form"] = form
    return render_template("paper/batch.html", batch=batch, can_edit=True,
                           due=custody.destruction_due_on(batch,
                                                          current_user.commune.retention_days),
                           **forms), 400
