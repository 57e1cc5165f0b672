"""The commune's settings and its villages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from registry.forms import BaseForm
from registry.forms.validators import VietnamesePhone


class CommuneSettingsForm(BaseForm):
    """The commune's hotline, signers and retention settings."""

    place_name = StringField(_l("Place name on documents"), validators=[
        DataRequired(message=_l("Enter the place name.")), Length(max=120)])
    hotline = StringField(_l("Hotline"), validators=[Optional(), VietnamesePhone()])
    chairman_name = StringField(_l("Chairman"), validators=[Optional(), Length(max=120)])
    vice_chairman_name = StringField(_l("Vice-chairman"), validators=[Optional(),
                                                                      Length(max=120)])
    retention_days = IntegerField(_l("Keep personal data for (days)"), validators=[
        DataRequired(message=_l("Enter a number of days.")),
        NumberRange(min=1, max=365, message=_l("Between 1 and 365 days."))])
    checkin_merge_minutes = IntegerField(_l("Merge repeated check-ins within (minutes)"),
                                         validators=[
        DataRequired(message=_l("Enter a number of minutes.")),
        NumberRange(min=1, max=240, message=_l("Between 1 and 240 minutes."))])


class VillageForm(BaseForm):
    """A village or residential group of the commune."""

    name = StringField(_l("Name"), validators=[
        DataRequired(message=_l("Enter a name.")),
        Length(max=120, message=_l("At most 120 characters."))])
