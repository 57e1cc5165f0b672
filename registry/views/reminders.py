"""Reminders (công văn đôn đốc): drafted from a coverage list, edited, submitted, returned or
signed off by the chairman like a report; the PDF; and the follow-ups recorded per venue."""
from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.extensions import db
from registry.forms.reminders import FollowUpForm, ReminderDraftForm, ReminderForm
from registry.forms.reports import ReturnForm
from registry.models import Reminder, ReminderVenue, ReportStatus, Role, Venue
from registry.pdf.reminders import draft_reminder_pdf, render_reminder_pdf
from registry.security import get_scoped_or_404, roles_required
from registry.services.coverage import LIST_TITLES
from registry.services.reminders import (ReminderError, draft_reminder, follow_ups_of,
                                         record_follow_up, reminders_of, remove_venue,
                                         return_reminder, sign_off_reminder, submit_reminder,
                                         update_reminder)
from registry.services.reports.drafting import ReportStateError
from registry.timeutil import local_today
from registry.transactions import retry_on_unique_clash

bp = Blueprint("reminders", __name__, url_prefix="/reminders")

VIEWERS = (Role.ADMIN, Role.CLERK, Role.CHAIRMAN)
WRITERS = (Role.ADMIN, Role.CLERK)
SIGNERS = (Role.CHAIRMAN,)


def _reminder(reminder_id: int) -> Reminder:
    """The reminder, 404 unless it is the user's commune's."""
    return get_scoped_or_404(Reminder, reminder_id)


def _back(reminder: Reminder):
    """To the reminder's page."""
    return redirect(url_for("reminders.detail", reminder_id=reminder.id))


def _state_error():
    """Tell the user the action does not fit the reminder's status."""
    flash(_("This cannot be done in the letter's present status."), "danger")


@bp.get("/")
@roles_required(*VIEWERS)
def index():
    """The commune's reminders, newest first."""
    return render_template("reminders/index.html", reminders=reminders_of(current_user.commune_id),
                           list_titles=LIST_TITLES)


@bp.post("/new")
@roles_required(*WRITERS)
def create():
    """A draft reminder to the venues ticked on a coverage list."""
    form = ReminderDraftForm()
    if not form.validate_on_submit():
        flash(_("Tick at least one venue of the list."), "danger")
        return redirect(url_for("coverage.index")), 303
    try:
        reminder = draft_reminder(current_user.commune, current_user, form.list_key.data,
                                  form.period_start.data, form.period_end.data,
                                  set(form.venue_ids.data))
    except ReminderError:
        flash(_("None of these venues is on the list any more."), "danger")
        return redirect(url_for("coverage.index", list=form.list_key.data)), 303
    flash(_("Draft letter written: read it, change what you need, then submit it."), "success")
    return _back(reminder)


@bp.get("/<int:reminder_id>")
@roles_required(*VIEWERS)
def detail(reminder_id: int, return_form: ReturnForm | None = None):
    """The reminder: its text, its venues, the actions its status allows."""
    reminder = _reminder(reminder_id)
    return render_template(
        "reminders/detail.html", reminder=reminder, list_titles=LIST_TITLES,
        return_form=return_form or ReturnForm(), can_write=current_user.has_role(*WRITERS),
        can_sign=current_user.has_role(*SIGNERS))


@bp.route("/<int:reminder_id>/edit", methods=["GET", "POST"])
@roles_required(*WRITERS)
def edit(reminder_id: int):
    """Change a draft or returned reminder's text."""
    reminder = _reminder(reminder_id)
    if not reminder.is_editable:
        _state_error()
        return _back(reminder)
    form = ReminderForm(obj=reminder, commune=reminder.commune)
    if request.method == "GET":
        form.signer_kind.data = reminder.signer_kind.value
    if form.validate_on_submit():
        changes = update_reminder(reminder, current_user, **{
            name: getattr(form, name).data for name in ("summary", "addressees", "body",
                                                        "recipients", "signer_kind")})
        flash(_("Changes saved.") if changes else _("Nothing was changed."), "success")
        return _back(reminder)
    return render_template("reminders/edit.html", form=form, reminder=reminder)


@bp.post("/<int:reminder_id>/venues/<int:listed_id>/delete")
@roles_required(*WRITERS)
def remove(reminder_id: int, listed_id: int):
    """Take a venue off a draft's list."""
    reminder = _reminder(reminder_id)
    listed = db.session.get(ReminderVenue, listed_id)
    if listed is None or listed.reminder_id != reminder.id:
        abort(404)
    try:
        remove_venue(reminder, listed)
    except ReportStateError:
        _state_error()
        return _back(reminder)
    flash(_("Venue taken off the list."), "success")
    return _back(reminder)


@bp.post("/<int:reminder_id>/submit")
@roles_required(*WRITERS)
def submit(reminder_id: int):
    """The clerk submits the reminder to the chairman."""
    reminder = _reminder(reminder_id)
    try:
        submit_reminder(reminder, current_user)
    except ReportStateError:
        _state_error()
    except ReminderError:
        flash(_("The letter needs its text, an addressee and at least one venue."), "danger")
    else:
        flash(_("Letter submitted to the chairman."), "success")
    return _back(reminder)


@bp.post("/<int:reminder_id>/return")
@roles_required(*SIGNERS)
def return_view(reminder_id: int):
    """The chairman returns the reminder with a comment."""
    reminder = _reminder(reminder_id)
    form = ReturnForm()
    if reminder.status != ReportStatus.SUBMITTED:
        _state_error()
        return _back(reminder)
    if not form.validate_on_submit():
        return detail(reminder_id, return_form=form), 400
    return_reminder(reminder, current_user, form.comment.data)
    flash(_("Letter returned to the clerk."), "success")
    return _back(reminder)


@bp.post("/<int:reminder_id>/sign")
@roles_required(*SIGNERS)
def sign(reminder_id: int):
    """The chairman signs the reminder off: number from the register, frozen PDF."""
    try:
        # As for a report: a number taken a moment earlier by another sign-off is refused by
        # the register's unique key, and the sign-off runs again with the next one.
        reminder = retry_on_unique_clash(
            lambda: sign_off_reminder(_reminder(reminder_id), current_user,
                                      render_reminder_pdf))
    except ReportStateError:
        _state_error()
        return redirect(url_for("reminders.detail", reminder_id=reminder_id))
    flash(_("Letter signed off as No. %(number)s/%(symbol)s.", number=reminder.number_text,
            symbol=reminder.symbol), "success")
    return _back(reminder)


@bp.get("/<int:reminder_id>/letter.pdf")
@roles_required(*VIEWERS)
def pdf(reminder_id: int):
    """The PDF: a draft rendered now (DỰ THẢO), a signed letter exactly as stored."""
    reminder = _reminder(reminder_id)
    if reminder.is_signed:
        data, name = reminder.pdf, f"CV-{reminder.number_text}-{reminder.issued_on.year}.pdf"
    else:
        data, name = draft_reminder_pdf(reminder), f"du-thao-cong-van-{reminder.id}.pdf"
    response = send_file(io.BytesIO(data), mimetype="application/pdf", download_name=name)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/venues/<int:venue_id>", methods=["GET", "POST"])
@roles_required(*VIEWERS)
def venue_follow_ups(venue_id: int):
    """What was done at a venue (reminders, calls, inspections), and a form to add to it."""
    venue = get_scoped_or_404(Venue, venue_id)
    can_write = current_user.has_role(*WRITERS)
    form = FollowUpForm()
    if request.method == "GET":
        form.done_on.data, form.done_by.data = local_today(), current_user.full_name
    elif not can_write:
        abort(403)
    elif form.validate_on_submit():
        record_follow_up(venue, current_user, kind=form.kind.data, done_on=form.done_on.data,
                         done_by=form.done_by.data, result=form.result.data)
        flash(_("Recorded."), "success")
        return redirect(url_for("reminders.venue_follow_ups", venue_id=venue.id))
    status = 400 if form.errors else 200
    return render_template("reminders/follow_ups.html", venue=venue, form=form,
                           follow_ups=follow_ups_of(venue), can_write=can_write), status


def init_app(app) -> None:
    """The reminder pages."""
    app.register_blueprint(bp)
