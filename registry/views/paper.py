"""The paper path: print forms, follow their custody, key them (twice), declare on behalf,
and link records of the same person."""
from __future__ import annotations

import io
from datetime import date

from flask import (Blueprint, abort, flash, g, redirect, render_template, request, send_file,
                   session, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms import SelectChoice

from registry.extensions import db
from registry.forms.paper import (BatchForm, CollectForm, DestroyForm, HandForm,
                                  LinkDecisionForm, OnBehalfForm, SerialForm, SettleForm,
                                  line_form)
from registry.models import (BatchStatus, Checkin, CheckinPoint, CheckinSource, DoubleEntry, FormKind,
                             LinkStatus, PaperBatch, PaperSheet, PersonLink, Role, SheetStatus,
                             TimePrecision, Venue, VenueStatus)
from registry.security import get_scoped_or_404, roles_required
from registry.services import paper as svc
from registry.services.audit import record_event
from registry.services.checkins import record_checkin
from registry.services.declarations import active_questions
from registry.services.people import decide_link, pending_links, suggest_links
from registry.services.paper_print import batch_pdf
from registry.timeutil import local_day_bounds_utc, local_to_utc, local_today, to_local

bp = Blueprint("paper", __name__, url_prefix="/paper")

A, C, D, H, V = Role.ADMIN, Role.CLERK, Role.DATA_ENTRY, Role.CHAIRMAN, Role.VENUE
CUSTODY = (A, C)
OVERVIEW = (A, C, H)
KEYERS = (A, C, D)
REVIEWERS = (A, C)


def _point_choices(venue_id: int | None = None) -> list[SelectChoice]:
    """Active check-in points of the commune (or of one venue), as "Venue — point"."""
    stmt = (select(CheckinPoint).join(Venue)
            .where(Venue.commune_id == current_user.commune_id,
                   Venue.status == VenueStatus.ACTIVE, CheckinPoint.is_active.is_(True))
            .order_by(Venue.name, CheckinPoint.id))
    if venue_id is not None:
        stmt = stmt.where(Venue.id == venue_id)
    return [SelectChoice("", _("— choose —"))] + [
        SelectChoice(p.id, f"{p.venue.name} — {p.name}") for p in db.session.scalars(stmt)]


def _scoped_point(point_id: int | None) -> CheckinPoint | None:
    point = db.session.get(CheckinPoint, point_id) if point_id else None
    if point is None or point.venue.commune_id != current_user.commune_id:
        return None
    return point


def _parse_day_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


# --- backlog and batches -----------------------------------------------------------------------

@bp.get("/")
@roles_required(*OVERVIEW)
def backlog_page():
    """What waits: collected not keyed, keyed not verified, due for destruction, missing."""
    start, end = _parse_day_arg("start"), _parse_day_arg("end")
    data = svc.backlog(current_user.commune, start, end)
    return render_template("paper/backlog.html", data=data, start=start, end=end,
                           can_edit=current_user.has_role(*CUSTODY),
                           retention=current_user.commune.retention_days)


@bp.route("/batches/new", methods=["GET", "POST"])
@roles_required(*CUSTODY)
def new_batch():
    """Print a batch of forms for a check-in point."""
    form = BatchForm()
    form.point_id.choices = _point_choices()
    if form.validate_on_submit():
        point = _scoped_point(form.point_id.data)
        if point is None:
            form.point_id.errors.append(_("Choose a check-in point."))
        else:
            batch = svc.create_batch(
                point, FormKind(form.kind.data), form.count.data, current_user,
                double_entry=DoubleEntry(form.double_entry.data),
                sample_percent=form.sample_percent.data or 0,
                ignore_diacritics=form.ignore_diacritics.data,
                skip_free_text=form.skip_free_text.data)
            db.session.commit()
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
        due=svc.destruction_due_on(batch, current_user.commune.retention_days))


@bp.get("/batches/<int:batch_id>/sheets.pdf")
@roles_required(*CUSTODY)
def batch_sheets_pdf(batch_id: int):
    """The batch's sheets, each with its serial and QR, ready to print."""
    batch = get_scoped_or_404(PaperBatch, batch_id)
    if batch.status == BatchStatus.DESTROYED:
        abort(404)
    size = request.args.get("paper") or session.get(f"paper_batch_paper_{batch.id}", "a4")
    per_page = svc.SLIPS_PER_PAGE.get(size, 2)
    data = batch_pdf(batch, per_page)
    record_event("print", batch, details={"sheets": batch.sheet_count})
    db.session.commit()
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
                svc.hand_batch(batch, current_user, form.on.data, form.to_whom.data)
            elif step == "collect":
                svc.collect_batch(batch, current_user, form.on.data, form.collected_by.data,
                                  form.returned.data)
            else:
                svc.destroy_batch(batch, current_user, form.on.data)
        except svc.PaperError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("paper.batch_detail", batch_id=batch.id))
    forms = {"hand_form": HandForm(formdata=None), "collect_form": CollectForm(formdata=None),
             "destroy_form": DestroyForm(formdata=None)}
    forms[f"{step}_form"] = form
    return render_template("paper/batch.html", batch=batch, can_edit=True,
                           due=svc.destruction_due_on(batch, current_user.commune.retention_days),
                           **forms), 400


# --- transcription -------------------------------------------------------------------------------

@bp.route("/key", methods=["GET", "POST"])
@roles_required(*KEYERS)
def key_start():
    """Scan the sheet's QR (the scanner types the serial and Enter) or type the serial."""
    form = SerialForm()
    if form.validate_on_submit():
        try:
            sheet = svc.find_sheet(current_user.commune_id, form.serial.data)
        except svc.PaperError as exc:
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


def _keyable_sheet(sheet_id: int) -> PaperSheet:
    sheet = get_scoped_or_404(PaperSheet, sheet_id)
    if sheet.batch.status == BatchStatus.DESTROYED:
        abort(404)
    return sheet


def _sheet_form(sheet: PaperSheet, **kwargs):
    printed_on = to_local(sheet.batch.printed_at).date()
    return line_form(active_questions(sheet.commune_id), is_slip=sheet.batch.kind == FormKind.SLIP,
                     max_lines=svc.line_count(sheet), printed_on=printed_on, **kwargs)


def _fill_from(form, values: dict) -> None:
    """Put stored values back into the form, as a keyer would type them."""
    form.day.data = date.fromisoformat(values["day"]).strftime("%d/%m/%Y")
    form.time_in.data = values.get("time_in") or ""
    form.time_out.data = values.get("time_out") or ""
    form.full_name.data = values.get("full_name") or ""
    form.birth_year.data = str(values["birth_year"]) if values.get("birth_year") else ""
    form.phone.data = values.get("phone") or ""
    form.id_number.data = values.get("id_number") or ""
    form.address.data = values.get("address") or ""
    symptoms = values.get("symptoms")
    form.symptoms.data = "" if symptoms is None else ("c" if symptoms else "k")
    if form.is_slip:
        form.sex.data = {"male": "nam", "female": "nu", "other": "khac"}.get(values.get("sex"), "")
        form.province.data = values.get("province") or ""
        form.ward.data = values.get("ward") or ""
        for code, (answer, details) in (values.get("answers") or {}).items():
            if f"q_{code}" in form:
                form[f"q_{code}"].data = "" if answer is None else ("c" if answer else "k")
                form[f"q_{code}_details"].data = details or ""


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
    """Run `save(sheet)` and commit. If another request saved the same line in between, the
    unique (sheet, line) key refuses our insert: roll back and save again, which now updates
    that line. Returns what `save` returned, or None after putting the refusal on the form."""
    for attempt in range(2):
        sheet = _keyable_sheet(sheet_id)
        try:
            result = save(sheet)
            db.session.commit()
            return result
        except IntegrityError:
            db.session.rollback()
            if attempt:
                raise
        except svc.PaperError as exc:
            db.session.rollback()
            form.line_no.errors.append(str(exc))
            return None
    return None


@bp.route("/sheets/<int:sheet_id>/key", methods=["GET", "POST"])
@roles_required(*KEYERS)
def key_sheet(sheet_id: int):
    """Key a sheet line by line (first keying); a partly keyed sheet resumes where it stopped."""
    sheet = _keyable_sheet(sheet_id)
    batch = sheet.batch
    if batch.status in (BatchStatus.PRINTED, BatchStatus.HANDED):
        flash(_("Batch %(id)s has not been collected yet; its collection must be recorded "
                "before keying.", id=batch.id), "warning")
        return redirect(url_for("paper.key_start"))
    locked = sheet.status in (SheetStatus.KEYED, SheetStatus.VERIFIED)
    form = _sheet_form(sheet)
    count = svc.line_count(sheet)
    if request.method == "POST" and locked:
        flash(_("This sheet is already finished; it can no longer be changed here."), "warning")
        return redirect(url_for("paper.key_sheet", sheet_id=sheet.id))
    if form.validate_on_submit():
        line_no = form.line_no.data
        existing = svc.get_line(sheet, line_no)
        editing = request.form.get("editing", type=int)
        if (existing is not None and existing.first_values is not None and editing != line_no
                and existing.first_values != form.values.as_json()):
            form.line_no.errors.append(_(
                "Line %(line)s is already saved (%(name)s). Open it from the list to correct "
                "it, or type the number of a new line.", line=line_no,
                name=existing.first_values.get("full_name")))
        else:
            saved = _save_once_or_update(
                lambda s: svc.save_line(s, line_no, form.values, current_user), sheet_id, form)
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
        db.session.commit()
        edit_line = svc.get_line(sheet, edit_no) if edit_no else None
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
                           lines=svc.sheet_lines_view(sheet), count=count, locked=locked,
                           editing=edit_no if request.method == "GET" else
                           request.form.get("editing", type=int), second=False,
                           finish_form=SettleForm())


@bp.post("/sheets/<int:sheet_id>/finish")
@roles_required(*KEYERS)
def finish_sheet(sheet_id: int):
    """Every line of the sheet is keyed."""
    sheet = _keyable_sheet(sheet_id)
    if not SettleForm().validate_on_submit():
        abort(400)
    if sheet.status not in (SheetStatus.BLANK, SheetStatus.KEYING):
        flash(_("This sheet is already finished."), "info")
        return redirect(url_for("paper.key_start"))
    try:
        svc.finish_sheet(sheet, current_user)
    except svc.PaperError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("paper.key_sheet", sheet_id=sheet.id))
    db.session.commit()
    flash(_("Sheet %(serial)s finished.", serial=sheet.serial), "success")
    return redirect(url_for("paper.key_start"))


@bp.route("/sheets/<int:sheet_id>/second", methods=["GET", "POST"])
@roles_required(*KEYERS)
def second_key(sheet_id: int):
    """The second, blind keying of a sheet by another person."""
    sheet = _keyable_sheet(sheet_id)
    refusal = svc.can_second_key(sheet, current_user)
    if refusal:
        flash(refusal, "warning")
        return redirect(url_for("paper.key_start"))
    form = _sheet_form(sheet)
    count = svc.line_count(sheet)
    if form.validate_on_submit():
        saved = _save_once_or_update(
            lambda s: svc.save_second_line(s, form.line_no.data, form.values, current_user),
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
                           second=True, finish_form=SettleForm())


@bp.post("/sheets/<int:sheet_id>/second/finish")
@roles_required(*KEYERS)
def finish_second(sheet_id: int):
    """Compare both keyings; agreeing sheets are verified, others go to a reviewer."""
    sheet = _keyable_sheet(sheet_id)
    if not SettleForm().validate_on_submit():
        abort(400)
    refusal = svc.can_second_key(sheet, current_user)
    if refusal:
        flash(refusal, "warning")
        return redirect(url_for("paper.key_start"))
    if not any(l.second_values for l in sheet.lines):
        flash(_("Key at least one line before finishing the sheet."), "danger")
        return redirect(url_for("paper.second_key", sheet_id=sheet.id))
    open_lines = svc.finish_second_keying(sheet, current_user)
    db.session.commit()
    if open_lines:
        flash(_("%(count)s lines differ between the two keyings; a reviewer will settle them.",
                count=open_lines), "warning")
    else:
        flash(_("Both keyings agree: sheet %(serial)s is verified.", serial=sheet.serial),
              "success")
    return redirect(url_for("paper.key_start"))


@bp.route("/sheets/<int:sheet_id>/review", methods=["GET", "POST"])
@roles_required(*REVIEWERS)
def review_sheet(sheet_id: int):
    """Settle each disagreement between the two keyings, field by field."""
    sheet = _keyable_sheet(sheet_id)
    form = SettleForm()
    if form.validate_on_submit():
        line_id = request.form.get("line_id", type=int)
        line = next((l for l in svc.unsettled_lines(sheet) if l.id == line_id), None)
        if line is None:
            flash(_("This line has already been settled."), "info")
        else:
            choice = {name: request.form.get(f"pick_{name}", "first")
                      for name in line.disagreements}
            svc.settle_line(line, choice, current_user)
            db.session.commit()
            flash(_("Line %(line)s settled.", line=line.line_no), "success")
        return redirect(url_for("paper.review_sheet", sheet_id=sheet.id))
    record_event("view", sheet, details={"serial": sheet.serial, "review": True})
    db.session.commit()
    return render_template("paper/review.html", sheet=sheet, form=form,
                           lines=svc.unsettled_lines(sheet), labels=svc.FIELD_LABELS,
                           questions={q.code: q.text for q in active_questions(sheet.commune_id)},
                           sexes={"male": _("Male"), "female": _("Female"), "other": _("Other")})


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


# --- on-behalf declarations ---------------------------------------------------------------------

@bp.route("/on-behalf", methods=["GET", "POST"])
@roles_required(A, C, D, V)
def on_behalf():
    """Staff type a visitor's declaration (khai báo hộ); the record keeps who typed it."""
    from registry.forms.declaration import declaration_form

    venue_id = current_user.venue_id if current_user.has_role(V) else None
    questions = active_questions(current_user.commune_id)
    form = declaration_form(questions, base=OnBehalfForm, locale=current_user.locale or "vi")
    form.point_id.choices = _point_choices(venue_id)
    if form.validate_on_submit():
        point = _scoped_point(form.point_id.data)
        if point is None or (venue_id is not None and point.venue_id != venue_id):
            form.point_id.errors.append(_("Choose a check-in point."))
        else:
            at, precision = None, TimePrecision.EXACT
            if form._time_in:
                from datetime import datetime

                at = local_to_utc(datetime.combine(local_today(), form._time_in[0]))
                precision = (TimePrecision.EXACT if form._time_in[1]
                             else TimePrecision.APPROXIMATE)
            checkin = record_checkin(point, CheckinSource.ON_BEHALF, form.to_declaration(),
                                     at=at, precision=precision, entered_by=current_user)
            record_event("create", checkin, details={"source": "on_behalf",
                                                     "point": point.name})
            db.session.commit()
            flash(_("Declaration of %(name)s saved.", name=checkin.full_name), "success")
            for warning in getattr(form.phone, "warnings", []):
                flash(str(warning), "warning")
            from registry.services.identity import cccd_warnings

            for warning in cccd_warnings(checkin.id_number, checkin.birth_year, checkin.sex):
                flash(warning, "warning")
            return redirect(url_for("paper.on_behalf", point=point.id))
    if request.method == "GET" and request.args.get("point", type=int):
        form.point_id.data = request.args.get("point", type=int)
    g.no_store = True
    # What this person typed today, so they can check it before the visitor leaves.
    start, end = local_day_bounds_utc(local_today())
    recent = db.session.scalars(
        select(Checkin).where(Checkin.commune_id == current_user.commune_id,
                              Checkin.source == CheckinSource.ON_BEHALF,
                              Checkin.entered_by_id == current_user.id,
                              Checkin.created_at >= start, Checkin.created_at < end)
        .order_by(Checkin.id.desc()).limit(10)).all()
    return render_template("paper/on_behalf.html", form=form, recent=recent)


# --- one person, many records -------------------------------------------------------------------

@bp.get("/people")
@roles_required(*REVIEWERS)
def people():
    """Suggested "same person" links waiting for a clerk's decision."""
    links = pending_links(current_user.commune_id)
    if links:
        record_event("view", object_type="person_links", object_id=None,
                     details={"suggestions": len(links)})
        db.session.commit()
    confirmed = db.session.scalar(
        select(db.func.count()).select_from(PersonLink)
        .where(PersonLink.commune_id == current_user.commune_id,
               PersonLink.status == LinkStatus.CONFIRMED))
    return render_template("paper/people.html", links=links, form=LinkDecisionForm(),
                           confirmed=confirmed)


@bp.post("/people/suggest")
@roles_required(*REVIEWERS)
def people_suggest():
    """Look for new suggestions."""
    if not LinkDecisionForm().validate_on_submit():
        abort(400)
    added = suggest_links(current_user.commune_id)
    db.session.commit()
    flash(_("%(count)s new suggestions.", count=added), "success")
    return redirect(url_for("paper.people"))


@bp.post("/people/<int:link_id>/<any(confirm, reject):decision>")
@roles_required(*REVIEWERS)
def people_decide(link_id: int, decision: str):
    """Confirm (same person, linked) or reject a suggestion."""
    link = get_scoped_or_404(PersonLink, link_id)
    if not LinkDecisionForm().validate_on_submit():
        abort(400)
    if link.status != LinkStatus.SUGGESTED:
        flash(_("This suggestion has already been decided."), "info")
    else:
        decide_link(link, decision == "confirm", current_user)
        db.session.commit()
        flash(_("The two records are linked as one person.") if decision == "confirm"
              else _("The suggestion was rejected."), "success")
    return redirect(url_for("paper.people"))


# --- labels for templates --------------------------------------------------------------------

BATCH_STATUS_LABELS = {
    "printed": _l("Printed"), "handed": _l("At the venue"), "collected": _l("Collected"),
    "keyed": _l("Keyed"), "verified": _l("Verified"), "destroyed": _l("Destroyed")}
SHEET_STATUS_LABELS = {"blank": _l("Not keyed"), "keying": _l("Being keyed"),
                       "keyed": _l("Keyed, waiting for the second keying or review"),
                       "verified": _l("Verified")}
FORM_KIND_LABELS = {"log": _l("Visitor log sheet"), "slip": _l("Declaration slip")}
SOURCE_LABELS = {"self_scan": _l("Self-scan"), "card_scan": _l("Card scan"),
                 "paper": _l("Paper"), "on_behalf": _l("On behalf")}
LINK_REASON_LABELS = {"name_year_phone": _l("Same name, year of birth and phone"),
                      "name_year_id": _l("Same name, year of birth and ID number")}


@bp.app_context_processor
def _paper_labels():
    def double_entry_label(batch):
        if batch.double_entry == DoubleEntry.FULL:
            return _("every sheet keyed twice")
        if batch.double_entry == DoubleEntry.SAMPLE:
            return _("%(percent)s%% of sheets keyed twice", percent=batch.sample_percent)
        return _("keyed once")

    return {
        "batch_status_label": lambda s: str(BATCH_STATUS_LABELS[s.value]),
        "sheet_status_label": lambda s: str(SHEET_STATUS_LABELS[s.value]),
        "form_kind_label": lambda k: str(FORM_KIND_LABELS[k.value]),
        "source_label": lambda s: str(SOURCE_LABELS.get(s.value, s.value)),
        "link_reason_label": lambda r: str(LINK_REASON_LABELS.get(r, r)),
        "double_entry_label": double_entry_label,
    }
