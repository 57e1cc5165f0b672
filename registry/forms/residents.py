"""Resident register forms: add/edit, import, card actions, printing a selection."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from registry.forms import BaseForm
from registry.forms.validators import IdNumber, VietnamesePhone
from registry.services.residents import parse_birth


def _int_or_none(value):
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return None


class BirthField(StringField):
    """A year (1980) or a date (05/03/1980); `year` and `day` are set after validation."""

    year = None
    day = None

    def pre_validate(self, form):
        if not self.data:
            return
        parsed = parse_birth(self.data)
        if parsed is None:
            raise ValidationError(_l("Enter a year (1980) or a date (05/03/1980) of birth."))
        self.year, self.day = parsed


class ResidentForm(BaseForm):
    """A resident as the clerk adds or edits them."""

    full_name = StringField(_l("Full name"), validators=[
        DataRequired(message=_l("Enter the resident's full name.")),
        Length(max=120, message=_l("At most 120 characters."))])
    birth = BirthField(_l("Year or date of birth"), validators=[
        DataRequired(message=_l("Enter the year or date of birth."))],
        description=_l("For example 1980 or 05/03/1980."))
    sex = SelectField(_l("Sex"), validators=[DataRequired(message=_l("Choose the sex."))])
    id_number = StringField(_l("ID number (CCCD)"), validators=[Optional(), IdNumber()])
    phone = StringField(_l("Phone"), validators=[Optional(), VietnamesePhone()])
    village_id = SelectField(_l("Village / residential group"), coerce=_int_or_none,
                             validators=[DataRequired(message=_l("Choose the village."))])
    address = StringField(_l("Address"), validators=[
        Optional(), Length(max=255, message=_l("At most 255 characters."))],
        description=_l("House number, lane (optional)."))


class ResidentImportForm(BaseForm):
    """Upload a spreadsheet of residents."""

    file = FileField(_l("Spreadsheet (.xlsx or .csv)"), validators=[
        FileRequired(message=_l("Choose a file.")),
        FileAllowed(["xlsx", "csv"], message=_l("Only .xlsx or .csv files."))])


class CardActionForm(BaseForm):
    """Issue, reissue or revoke a card, with a reason."""

    reason = StringField(_l("Reason"), validators=[
        Optional(), Length(max=255, message=_l("At most 255 characters."))],
        description=_l("For example: lost, damaged."))


class PrintCardsForm(BaseForm):
    """Which cards to print on A4 sheets."""

    scope = SelectField(_l("Print"), validators=[DataRequired(message=_l("Choose what to print."))])
    village_id = SelectField(_l("Village / residential group"), coerce=_int_or_none,
                             validators=[Optional()])
    numbers = TextAreaField(_l("Card numbers or ID numbers"), validators=[
        Optional(), Length(max=20000, message=_l("At most 20000 characters."))],
        description=_l("For a list: one per line, or separated by commas."))

    def validate(self, extra_validators=None) -> bool:
        """A village is needed to print a village, a number to print a list."""
        ok = super().validate(extra_validators=extra_validators)
        if self.scope.data == "village" and not self.village_id.data:
            self.village_id.errors = list(self.village_id.errors) + [
                str(_l("Choose the village."))]
            ok = False
        if self.scope.data == "list" and not (self.numbers.data or "").strip():
            self.numbers.errors = list(self.numbers.errors) + [
                str(_l("Enter at least one card number or ID number."))]
            ok = False
        return ok
