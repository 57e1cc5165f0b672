"""Venue forms: create/edit, filters, import."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from registry.forms import BaseForm
from registry.forms.validators import VietnamesePhone


def _int_or_none(value):
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return None


class VenueForm(BaseForm):
    """A venue as the clerk registers or edits it."""

    name = StringField(_l("Venue name"), validators=[
        DataRequired(message=_l("Enter the venue's name.")),
        Length(max=200, message=_l("At most 200 characters."))])
    category_id = SelectField(_l("Category"), coerce=_int_or_none, validators=[
        DataRequired(message=_l("Choose a category."))])
    address = StringField(_l("Address"), validators=[
        Optional(), Length(max=255, message=_l("At most 255 characters."))])
    village_id = SelectField(_l("Village / residential group"), coerce=_int_or_none,
                             validators=[Optional()])
    manager_name = StringField(_l("Person responsible for the QR code"), validators=[
        DataRequired(message=_l("Enter the name of the person responsible.")),
        Length(max=120, message=_l("At most 120 characters."))])
    manager_phone = StringField(_l("Their phone"), validators=[
        DataRequired(message=_l("Enter the phone of the person responsible.")),
        VietnamesePhone()])
    point_lines = TextAreaField(_l("Check-in points (one per line)"), validators=[
        Optional(), Length(max=2000, message=_l("At most 2000 characters."))],
        description=_l("Entrances or areas, each with its own QR poster. Empty: one point "
                       "\"Cổng chính\"."))
    notes = TextAreaField(_l("Notes"), validators=[
        Optional(), Length(max=2000, message=_l("At most 2000 characters."))])

    def point_names(self) -> list[str]:
        """The check-in point names typed, one per line."""
        return [line for line in (self.point_lines.data or "").splitlines() if line.strip()]


class VenueStatusForm(BaseForm):
    """Suspend or reactivate, with a reason."""

    reason = StringField(_l("Reason"), validators=[
        Optional(), Length(max=255, message=_l("At most 255 characters."))])


class VenueImportForm(BaseForm):
    """Upload a spreadsheet of venues."""

    file = FileField(_l("Spreadsheet (.xlsx or .csv)"), validators=[
        FileRequired(message=_l("Choose a file.")),
        FileAllowed(["xlsx", "csv"], message=_l("Only .xlsx or .csv files."))])
