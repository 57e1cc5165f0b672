"""Forms of tracing, cases, retention, the audit log and a person's own data."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (DateField, IntegerField, SelectChoice, SelectField, StringField,
                     TextAreaField, TimeField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.validators import ValidationError

from registry.forms import BaseForm
from registry.forms.validators import IdNumber, VietnamesePhone

QUERY_KINDS = (
    ("auto", _l("Recognise automatically")),
    ("name", _l("Full name")),
    ("phone", _l("Phone")),
    ("id", _l("ID number")),
    ("card", _l("Resident card number")),
)

FOLLOW_UP_LABELS = {
    "pending": _l("Not yet contacted"),
    "contacted": _l("Contacted"),
    "isolating": _l("Isolating at home"),
    "tested_negative": _l("Tested negative"),
    "tested_positive": _l("Tested positive"),
    "released": _l("Follow-up ended"),
}

DATE_KIND_LABELS = {"onset": _l("Date of onset"), "test": _l("Date of positive test")}

SOURCE_LABELS = {
    "self_scan": _l("Self-scan"),
    "card_scan": _l("Card scan"),
    "paper": _l("Paper"),
    "on_behalf": _l("On behalf"),
}

PRECISION_LABELS = {
    "exact": _l("Exact time"),
    "approximate": _l("Approximate time"),
    "date_only": _l("Date only"),
}


def _choices(pairs):
    return [SelectChoice(k, v) for k, v in (pairs.items() if isinstance(pairs, dict) else pairs)]


class CaseForm(BaseForm):
    """Open a tracing case."""

    index_label = StringField(_l("Index case (F0) identifier"), validators=[
        DataRequired(message=_l("Enter how the index case is identified.")),
        Length(max=120, message=_l("At most 120 characters."))],
        description=_l("For example the patient code (BN 12345) or the person's name."))
    index_date = DateField(_l("Date"), validators=[
        InputRequired(message=_l("Enter the date of onset or of the positive test."))])
    index_date_kind = SelectField(_l("The date is the"), choices=_choices(DATE_KIND_LABELS))
    notes = TextAreaField(_l("Notes"), validators=[
        Optional(), Length(max=2000, message=_l("At most 2000 characters."))])

    def validate_index_date(self, field):
        """A date of onset or test cannot be in the future."""
        from registry.timeutil import local_today

        if field.data and field.data > local_today():
            raise ValidationError(_l("The date cannot be in the future."))


class PersonSearchForm(BaseForm):
    """Who to trace and over which days (read from the query string)."""

    q = StringField(_l("Name, phone, ID number or card number"), validators=[
        DataRequired(message=_l("Enter a name, phone, ID number or card number.")),
        Length(max=120, message=_l("At most 120 characters."))])
    kind = SelectField(_l("Search by"), choices=_choices(QUERY_KINDS), default="auto")
    date_from = DateField(_l("From"), validators=[
        InputRequired(message=_l("Enter the first day."))])
    date_to = DateField(_l("To"), validators=[InputRequired(message=_l("Enter the last day."))])
    window = IntegerField(_l("Overlap window (minutes each side)"), default=30, validators=[
        InputRequired(message=_l("Enter a number of minutes.")),
        NumberRange(min=0, max=240, message=_l("Between 0 and 240 minutes."))])

    def validate_date_to(self, field):
        """The range runs forwards and at most 60 days."""
        if self.date_from.data and field.data:
            if field.data < self.date_from.data:
                raise ValidationError(_l("The last day is before the first day."))
            if (field.data - self.date_from.data).days > 60:
                raise ValidationError(_l("Search at most 60 days at a time."))


class VenueSearchForm(BaseForm):
    """A venue or one of its check-in points, and a time window (local time)."""

    place = SelectField(_l("Venue or check-in point"), validators=[
        DataRequired(message=_l("Choose a venue or a check-in point."))])
    day_from = DateField(_l("From day"), validators=[
        InputRequired(message=_l("Enter the first day."))])
    time_from = TimeField(_l("From time"), validators=[
        InputRequired(message=_l("Enter a time, for example 08:30."))])
    day_to = DateField(_l("To day"), validators=[
        InputRequired(message=_l("Enter the last day."))])
    time_to = TimeField(_l("To time"), validators=[
        InputRequired(message=_l("Enter a time, for example 08:30."))])

    def validate_time_to(self, field):
        """The window ends after it starts and lasts at most 7 days."""
        from datetime import datetime

        if None in (self.day_from.data, self.time_from.data, self.day_to.data, field.data):
            return
        start = datetime.combine(self.day_from.data, self.time_from.data)
        end = datetime.combine(self.day_to.data, field.data)
        if end <= start:
            raise ValidationError(_l("The end must be after the start."))
        if (end - start).days > 7:
            raise ValidationError(_l("Search at most 7 days at a time."))


class ContactForm(BaseForm):
    """An F1 contact's follow-up."""

    follow_up = SelectField(_l("Follow-up"), choices=_choices(FOLLOW_UP_LABELS))
    notes = StringField(_l("Notes"), validators=[
        Optional(), Length(max=500, message=_l("At most 500 characters."))])


class DestroyForm(BaseForm):
    """How the paper was destroyed."""

    method = StringField(_l("How and in whose presence"), validators=[
        DataRequired(message=_l("Say how the paper was destroyed.")),
        Length(max=200, message=_l("At most 200 characters."))],
        description=_l("For example: shredded at the commune office, witnessed by …"))


class PersonLookupForm(BaseForm):
    """Find a person's data (read from the query string)."""

    q = StringField(_l("Name, phone or ID number"), validators=[
        DataRequired(message=_l("Enter a name, phone or ID number.")),
        Length(max=120, message=_l("At most 120 characters."))])
    kind = SelectField(_l("Search by"), choices=_choices(QUERY_KINDS[:4]), default="auto")


class PersonRequestForm(BaseForm):
    """The request a person made (export or delete)."""

    reference = StringField(_l("Request (form, date, how the person was identified)"),
                            validators=[
        DataRequired(message=_l("Describe the request, for example: application of 12/03, "
                                "CCCD checked.")),
        Length(max=255, message=_l("At most 255 characters."))])


class CorrectionForm(PersonRequestForm):
    """Correct one record at the person's request."""

    full_name = StringField(_l("Full name"), validators=[
        DataRequired(message=_l("Enter the full name.")),
        Length(max=120, message=_l("At most 120 characters."))])
    birth_year = IntegerField(_l("Year of birth"), validators=[
        Optional(), NumberRange(min=1900, max=2100, message=_l("Enter a year such as 1985."))])
    sex = SelectField(_l("Sex"), choices=[SelectChoice("", "—"), SelectChoice("male", _l("Male")),
                                          SelectChoice("female", _l("Female")),
                                          SelectChoice("other", _l("Other"))])
    id_number = StringField(_l("ID number"), validators=[Optional(), IdNumber()])
    phone = StringField(_l("Phone"), validators=[Optional(), VietnamesePhone()])
    email = StringField(_l("Email"), validators=[
        Optional(), Length(max=120, message=_l("At most 120 characters."))])
    province = StringField(_l("Province"), validators=[
        Optional(), Length(max=120, message=_l("At most 120 characters."))])
    ward = StringField(_l("Commune / ward"), validators=[
        Optional(), Length(max=120, message=_l("At most 120 characters."))])
    address = StringField(_l("Address"), validators=[
        Optional(), Length(max=255, message=_l("At most 255 characters."))])


class AuditFilterForm(BaseForm):
    """Filters of the audit log (read from the query string)."""

    user = SelectField(_l("User"), validators=[Optional()])
    action = SelectField(_l("Action"), validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
