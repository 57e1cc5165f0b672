"""Forms of the reminders: drafting one from a coverage list, editing its text, and recording
what was done at a venue."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from registry.forms import BaseForm, choices
from registry.forms.fields import VietnameseDateField as DateField
from registry.forms.reports import MultilineForm, signer_choices
from registry.models import FollowUpKind
from registry.timeutil import local_today


class ReminderDraftForm(BaseForm):
    """The coverage list's venues ticked for a reminder, with the list and its period."""

    list_key = StringField(validators=[DataRequired(), Length(max=24)])
    period_start = DateField(validators=[InputRequired()])
    period_end = DateField(validators=[InputRequired()])
    venue_ids = SelectMultipleField(coerce=int, validate_choice=False, validators=[
        DataRequired(message=_l("Tick at least one venue."))])


class ReminderForm(MultilineForm):
    """The letter as the clerk edits it before submission."""

    summary = StringField(_l("Summary (trích yếu)"), validators=[
        DataRequired(message=_l("Enter the summary of the letter.")),
        Length(max=300, message=_l("At most %(max)d characters."))])
    addressees = TextAreaField(_l("Addressed to (Kính gửi), one a line"), validators=[
        DataRequired(message=_l("Enter at least one addressee.")),
        Length(max=2000, message=_l("At most %(max)d characters."))])
    body = TextAreaField(_l("Text of the letter, one paragraph a line"), validators=[
        DataRequired(message=_l("Write the text of the letter.")),
        Length(max=8000, message=_l("At most %(max)d characters."))],
        description=_l("The table of venues is printed after the first paragraph."))
    recipients = TextAreaField(_l("Recipients (Nơi nhận), one a line"), validators=[
        DataRequired(message=_l("Enter at least one recipient.")),
        Length(max=2000, message=_l("At most %(max)d characters."))])
    signer_kind = SelectField(_l("Signer"), validators=[
        DataRequired(message=_l("Choose who signs."))])

    def __init__(self, *args, commune=None, **kwargs):
        """Name the signers from the commune settings."""
        super().__init__(*args, **kwargs)
        self.signer_kind.choices = signer_choices(commune)


class FollowUpForm(BaseForm):
    """One thing done at a venue: what, when, by whom, and what came of it."""

    kind = SelectField(_l("What was done"), validators=[
        DataRequired(message=_l("Choose what was done."))])
    done_on = DateField(_l("Date"), validators=[
        InputRequired(message=_l("Enter the date."))])
    done_by = StringField(_l("By whom"), validators=[
        DataRequired(message=_l("Enter who did it.")),
        Length(max=120, message=_l("At most %(max)d characters."))])
    result = StringField(_l("Result"), validators=[
        Optional(), Length(max=500, message=_l("At most %(max)d characters."))])

    def __init__(self, *args, **kwargs):
        """The kinds of follow-up."""
        super().__init__(*args, **kwargs)
        self.kind.choices = choices(FollowUpKind.choices(), _l("— choose —"))

    def validate_done_on(self, field):
        """Something done cannot lie in the future."""
        if field.data and field.data > local_today():
            raise ValidationError(_l("The date cannot be in the future."))
