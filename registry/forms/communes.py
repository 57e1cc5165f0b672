"""The commune's settings and its villages; the field a closing time is typed in."""
from __future__ import annotations

import re
from datetime import time

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from registry.forms import BaseForm
from registry.forms.validators import VietnamesePhone


_CLOCK = re.compile(r"^(\d{1,2})(?:\s*(?::|h|g|giờ|\.)\s*(\d{2})?)?$", re.IGNORECASE)


def parse_clock(text: str | None) -> time | None:
    """A time of day as people write it: "22:00", "22h", "22h30", "22 giờ", "7.30"; None when
    it is not one."""
    match = _CLOCK.match((text or "").strip())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


class ClockTimeField(StringField):
    """A time of day in the 24-hour clock, typed as text (a browser's time picker follows the
    browser's language: 12-hour with AM/PM in English); `data` is a `time` once valid."""

    def _value(self):
        """The time as shown in the box: 22:00, or what was typed when it is not a time."""
        if isinstance(self.data, time):
            return self.data.strftime("%H:%M")
        return self.data or ""

    def pre_validate(self, form):
        """Read the typed time; a clear message when it is not one."""
        if not self.data or isinstance(self.data, time):
            self.data = self.data or None
            return
        parsed = parse_clock(self.data)
        if parsed is None:
            raise ValidationError(_l("Enter a time of day, for example 21:30."))
        self.data = parsed


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
    default_closing_time = ClockTimeField(
        _l("Venues close at (default)"),
        validators=[DataRequired(message=_l("Enter a time of day, for example 21:30."))],
        description=_l("Visits nobody checked out of are closed at this time, unless the venue "
                       "has its own closing time."),
        render_kw={"inputmode": "numeric", "placeholder": "22:00", "maxlength": 8})


class VillageForm(BaseForm):
    """A village or residential group of the commune."""

    name = StringField(_l("Name"), validators=[
        DataRequired(message=_l("Enter a name.")),
        Length(max=120, message=_l("At most 120 characters."))])
