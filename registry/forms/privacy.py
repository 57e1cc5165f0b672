"""A person's own data: finding it for their request, and correcting one record."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from registry.forms import BaseForm, choices
from registry.forms.tracing import QUERY_KINDS
from registry.forms.validators import IdNumber, VietnamesePhone
from registry.models import Sex


class PersonLookupForm(BaseForm):
    """Find a person's data (read from the query string)."""

    q = StringField(_l("Name, phone or ID number"), validators=[
        DataRequired(message=_l("Enter a name, phone or ID number.")),
        Length(max=120, message=_l("At most 120 characters."))])
    kind = SelectField(_l("Search by"), default="auto",
                       choices=choices(QUERY_KINDS[:4]))


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
    sex = SelectField(_l("Sex"), choices=choices(Sex.choices(), "—"))
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
