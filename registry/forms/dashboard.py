"""The dashboard's period."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from registry.forms import BaseForm
from registry.forms.fields import VietnameseDateField as DateField

MAX_PERIOD_DAYS = 366


class PeriodForm(BaseForm):
    """The dashboard's period (GET, no CSRF) and the idle-venue window."""

    class Meta:
        """Form options."""
        csrf = False

    start = DateField(_l("From"), validators=[
        InputRequired(message=_l("Enter the first day of the period."))])
    end = DateField(_l("To"), validators=[
        InputRequired(message=_l("Enter the last day of the period."))])
    days = IntegerField(_l("No check-in for (days)"), default=7, validators=[
        Optional(), NumberRange(min=1, max=365, message=_l("Between 1 and 365 days."))])

    def validate_end(self, field):
        """The period runs forward and covers at most a year."""
        if self.start.data and field.data:
            if field.data < self.start.data:
                raise ValidationError(_l("The last day must not be before the first day."))
            if field.data - self.start.data > timedelta(days=MAX_PERIOD_DAYS - 1):
                raise ValidationError(_l("A period covers at most 366 days."))
