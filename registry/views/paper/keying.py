"""Keying paper: find the sheet by its serial, key it line by line, finish it; the blind second
keying of double entry."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from registry.extensions import db
from registry.formatting import phone_national
from registry.forms import ActionForm
from registry.forms.paper import SerialForm, line_form
from registry.models import BatchStatus, FormKind, PaperSheet, SheetStatus
from registry.security import get_scoped_or_404, roles_required
from registry.services.audit import record_event
from registry.services.declarations import active_questions
from registry.services.paper import PaperError, double_entry, keying
from registry.services.paper.serials import find_sheet
from registry.timeutil import to_local
from registry.transactions import retry_on_unique_clash
from registry.views.paper.blueprint import KEYERS, bp


@bp.route("/key", methods=["GET", "POST"])
@roles_required(*KEYERS)
def key_start():
    """Scan the sheet's QR (the scanner types the serial and Enter) or type the serial."""
    form = SerialForm()
    if form.validate_on_submit():
        try:
            sheet = find_sheet(current_user.commune_id, form.serial.data)
        except PaperError as exc:
            form.serial.errors.append(str(exc))
        else:
            if (sheet.status == SheetStatus.KEYED and sheet.needs_second_entry
                    and sheet.keyed_by_id != current_user.id):
                return redirect(url_for("paper.second_key", sheet_id=sheet.id))
            return redirect(url_for("paper.key_sheet", sheet_id=sheet.id))
    in_progress = db.session.scalars(
        select(PaperSheet).where(PaperSheet.commune_id == current_user.commune_id,
                                 PaperSheet.status == SheetStatus.KEYING)
        .order_by(PaperSheet.id).limit(50)).all()
    waiting_second = db.session.scalars(
        select(PaperSheet).where(PaperSheet.commune_id == current_user.commune_id,
                                 PaperSheet.status == SheetStatus.KEYED,
                                 PaperSheet.needs_second_entry.is_(True),
                                 PaperSheet.second_keyed_at.is_(None))
        .order_by(PaperSheet.id).limit(50)).all()
    return render_template("paper/key_start.html", form=form, in_progress=in_progress,
                           waiting_second=waiting_second)


def keyable_sheet(sheet_id: int) -> PaperSheet:
    sheet = get_scoped_or_404(PaperSheet, sheet_id)
    if sheet.batch.status == BatchStatus.DESTROYED:
        abort(404)
    return sheet


def _sheet_form(sheet: PaperSheet, **kwargs):
    printed_on = to_local(sheet.batch.printed_at).date()
    return line_form(active_questions(sheet.commune_id), is_slip=sheet.batch.kind == FormKind.SLIP,
                     max_lines=keying.line_count(sheet), printed_on=printed_on, **kwargs)


def _yes_no(value) -> str:
    return "" if value is None else ("c" if value else "k")


def typed_values(values: dict) -> dict:
    """Stored line values as a keyer types them, by box name: 20/11/2026, 08:30, 75, 0912 345
    678, c/k, nam/nu/khac (a line opened for correction; the line above for fill-down)."""
    typed = {
        "day": date.fromisoformat(values["day"]).strftime("%d/%m/%Y"),
        "time_in": values.get("time_in") or "", "time_out": values.get("time_out") or "",
        "full_name": values.get("full_name") or "",
        "birth_year": str(values["birth_year"]) if values.get("birth_year") else "",
        "phone": phone_national(values.get("phone")) if values.get("phone") else "",
        "id_number": values.get("id_number") or "", "address": values.get("address") or "",
        "symptoms": _yes_no(values.get("symptoms")),
        "sex": {"male": "nam", "female": "nu", "other": "khac"}.get(values.get("sex"), ""),
        "province": values.get("province") or "", "ward": values.get("ward") or ""}
    for code, (answer, details) in (values.get("answers") or {}).items():
        typed[f"q_{code}"] = _yes_no(answer)
        typed[f"q_{code}_details"] = details or ""
    return typed


def _fill_from(form, values: dict) -> None:
    """Put stored values back into the form, as a keyer would type them."""
    for name, text in typed_values(values).items():
        if name in form:
            form[name].data = text


def _lines_as_typed(lines, attr: str) -> dict:
    """Each saved line's values as typed, by line number, for the fill-down key (Ctrl+D)."""
    return {str(l.line_no): typed_values(getattr(l, attr)) for l in lines
            if getattr(l, attr)}


def _focus(form) -> str:
    """Where the cursor starts: the first box with an error; else the sheet's date while it
    is empty, then the time in of the next line."""
    return form.first_error_field() or ("day" if not form.day.data else "time_in")


def _next_line(taken: set[int], count: int) -> int:
    for n in range(1, count + 1):
        if n not in taken:
            return n
    return count


def _carry_over(form, last: dict | None) -> None:
    """Date and village repeat from one line to the next."""
    if last:
        form.day.data = date.fromisoformat(last["day"]).strftime("%d/%m/%Y")
        form.address.data = last.get("address") or ""


def _save_once_or_update(save, sheet_id: int, form):
    """Run `save(sheet)`. If another request saved the same line a moment earlier, the unique
    (sheet, line) key refuses our insert: save again, which now updates that line. Returns what
    `save` returned, or None after putting the refusal on the form."""
    try:
        return retry_on_unique_clash(lambda: save(keyable_sheet(sheet_id)))
    except PaperError as exc:
        form.line_no.errors.append(str(exc))
        return None


@bp.route("/sheets/<int:sheet_id>/key", methods=["GET", "POST"])
@roles_required(*KEYERS)
def key_sheet(sheet_id: int):
    """Key a sheet line by line (first keying); a partly keyed sheet resumes where it stopped."""
    sheet = keyable_sheet(sheet_id)
    batch = sheet.batch
    if batch.status in (BatchStatus.PRINTED, BatchStatus.HANDED):
        flash(_("Batch %(id)s has not been collected yet; its collection must be recorded "
                "before keying.", id=batch.id), "warning")
        return redirect(url_for("paper.key_start"))
    locked = sheet.status in (SheetStatus.KEYED, SheetStatus.VERIFIED)
    form = _sheet_form(sheet)
    count = keying.line_count(sheet)
    if request.method == "POST" and locked:
        flash(_("This sheet is already finished; it can no longer be changed here."), "warning")
        return redirect(url_for("paper.key_sheet", sheet_id=sheet.id))
    if form.validate_on_submit():
        line_no = form.line_no.data
        existing = keying.get_line(sheet, line_no)
        editing = request.form.get("editing", type=int)
        if (existing is not None and existing.first_values is not None and editing != line_no
                and existing.first_values != form.values.as_json()):
            form.line_no.errors.append(_(
                "Line %(line)s is already saved (%(name)s). Open it from the list to correct "
                "it, or type the number of a new line.", line=line_no,
                name=existing.first_values.get("full_name")))
        else:
            saved = _save_once_or_update(
                lambda s: keying.save_line(s, line_no, form.values, current_user), sheet_id, form)
            if saved is not None:
                line, created = saved
                flash(_("Line %(line)s saved.", line=line_no) if created
                      else _("Line %(line)s updated.", line=line_no), "success")
                for warning in form.warnings:
                    flash(_("Line %(line)s: %(warning)s", line=line_no, warning=warning),
                          "warning")
                return redirect(url_for("paper.key_sheet", sheet_id=sheet.id))
    lines = sheet.lines
    taken = {l.line_no for l in lines if l.checkin_id}
    edit_no = request.args.get("line", type=int)
    if request.method == "GET":
        record_event("view", sheet, details={"serial": sheet.serial})
        edit_line = keying.get_line(sheet, edit_no) if edit_no else None
        if edit_line is not None and edit_line.first_values:
            _fill_from(form, edit_line.first_values)
            form.line_no.data = edit_no
        else:
            edit_no = None
            last = max((l for l in lines if l.first_values), key=lambda l: l.updated_at,
                       default=None)
            _carry_over(form, last.first_values if last else None)
            form.line_no.data = _next_line(taken, count)
            if form.day.data is None:
                form.day.data = ""
    g.no_store = True
    return render_template("paper/key_sheet.html", sheet=sheet, batch=batch, form=form,
                           lines=keying.sheet_lines_view(sheet), count=count, locked=locked,
                           editing=edit_no if request.method == "GET" else
                           request.form.get("editing", type=int), second=False,
                           finish_form=ActionForm(), focus=_focus(form),
                           typed=_lines_as_typed(lines, "first_values"))


@bp.post("/sheets/<int:sheet_id>/finish")
@roles_required(*KEYERS)
def finish_sheet(sheet_id: int):
    """Every line of the sheet is keyed."""
    sheet = keyable_sheet(sheet_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if sheet.status not in (SheetStatus.BLANK, SheetStatus.KEYING):
        flash(_("This sheet is already finished."), "info")
        return redirect(url_for("paper.key_start"))
    try:
        keying.finish_sheet(sheet, current_user)
    except PaperError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("paper.key_sheet", sheet_id=sheet.id))
    flash(_("Sheet %(serial)s finished.", serial=sheet.serial), "success")
    return redirect(url_for("paper.key_start"))


@bp.route("/sheets/<int:sheet_id>/second", methods=["GET", "POST"])
@roles_required(*KEYERS)
def second_key(sheet_id: int):
    """The second, blind keying of a sheet by another person."""
    sheet = keyable_sheet(sheet_id)
    refusal = double_entry.can_second_key(sheet, current_user)
    if refusal:
        flash(refusal, "warning")
        return redirect(url_for("paper.key_start"))
    form = _sheet_form(sheet)
    count = keying.line_count(sheet)
    if form.validate_on_submit():
        saved = _save_once_or_update(
            lambda s: double_entry.save_second_line(s, form.line_no.data, form.values,
                                                    current_user),
            sheet_id, form)
        if saved is not None:
            flash(_("Line %(line)s saved.", line=form.line_no.data), "success")
            return redirect(url_for("paper.second_key", sheet_id=sheet.id))
    mine = [l for l in sheet.lines if l.second_values is not None]
    if request.method == "GET":
        last = max(mine, key=lambda l: l.updated_at, default=None)
        _carry_over(form, last.second_values if last else None)
        form.line_no.data = _next_line({l.line_no for l in mine}, count)
        if form.day.data is None:
            form.day.data = ""
    g.no_store = True
    return render_template("paper/key_sheet.html", sheet=sheet, batch=sheet.batch, form=form,
                           lines=[], mine=mine, count=count, locked=False, editing=None,
                           second=True, finish_form=ActionForm(), focus=_focus(form),
                           typed=_lines_as_typed(mine, "second_values"))


@bp.post("/sheets/<int:sheet_id>/second/finish")
@roles_required(*KEYERS)
def finish_second(sheet_id: int):
    """Compare both keyings; agreeing sheets are verified, others go to a reviewer."""
    sheet = keyable_sheet(sheet_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    refusal = double_entry.can_second_key(sheet, current_user)
    if refusal:
        flash(refusal, "warning")
        return redirect(url_for("paper.key_start"))
    if not any(l.second_values for l in sheet.lines):
        flash(_("Key at least one line before finishing the sheet."), "danger")
        return redirect(url_for("paper.second_key", sheet_id=sheet.id))
    open_lines = double_entry.finish_second_keying(sheet, current_user)
    if open_lines:
        flash(_("%(count)s lines differ between the two keyings; a reviewer will settle them.",
                count=open_lines), "warning")
    else:
        flash(_("Both keyings agree: sheet %(serial)s is verified.", serial=sheet.serial),
              "success")
    return redirect(url_for("paper.key_start"))
