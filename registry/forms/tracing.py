"""Forms of tracing: a case, the person and venue searches, an F1 contact's follow-up."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.validators import ValidationError

from registry.forms import BaseForm, choices
from registry.forms.fields import VietnameseDateField as DateField
from registry.forms.fields import VietnameseTimeField as TimeField
from registry.models import FollowUp, IndexDateKind
from registry.timeutil import local_today

QUERY_KINDS = (
    ("auto", _l("Recognise automatically")),
    ("name", _l("Full name")),
    ("phone", _l("Phone")),
    ("id", _l("ID number")),
    ("card", _l("Resident card number")),
)



class CaseForm(BaseForm):
    """Open a tracing case."""

    index_label = StringField(_l("Index case (F0) identifier"), validators=[
        DataRequired(message=_l("Enter how the index case is identified.")),
        Length(max=120, message=_l("At most 120 characters."))],
        description=_l("For example the patient code (BN 12345) or the person's name."))
    index_date = DateField(_l("Date"), validators=[
        InputRequired(message=_l("Enter the date of onset or of the positive test."))])
    index_date_kind = SelectField(_l("The date is the"), choices=choices(IndexDateKind.choices()))
    notes = TextAreaField(_l("Notes"), validators=[
        Optional(), Length(max=2000, message=_l("At most 2000 characters."))])

    def validate_index_date(self, field):
        """A date of onset or test cannot be in the future."""
        if field.data and field.data > local_today():
            raise ValidationError(_l("The date cannot be in the future."))


class PersonSearchForm(BaseForm):
    """Who to trace and over which days (read from the query string)."""

    q = StringField(_l("Name, phone, ID number or card number"), validators=[
        DataRequired(message=_l("Enter a name, phone, ID number or card number.")),
        Length(max=120, message=_l("At most 120 characters."))])
    kind = SelectField(_l("Search by"), choices=choices(QUERY_KINDS), default="auto")
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

    follow_up = SelectField(_l("Follow-up"), choices=choices(FollowUp.choices()))
    notes = StringField(_l("Notes"), validators=[
        Optional(), Length(max=500, message=_l("At most 500 characters."))])
