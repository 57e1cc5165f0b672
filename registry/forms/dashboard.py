"""The period of the dashboard and of the coverage page, and the coverage page's filters."""
from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from registry.forms import BaseForm, choices, int_or_none
from registry.forms.fields import VietnameseDateField as DateField
from registry.models import VenueStatus
from registry.services.figures import default_period

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


def read_period(form: PeriodForm, args) -> tuple[date, date, int]:
    """(start, end, idle days) of a period form bound to the query string; without a period
    (or with a wrong one, whose message the form shows) the last 30 days, today included."""
    if "start" not in args and "end" not in args:
        form.start.data, form.end.data = default_period()
        form.days.data = form.days.data or 7
        return form.start.data, form.end.data, form.days.data
    if form.validate():
        return form.start.data, form.end.data, form.days.data or 7
    start, end = default_period()
    return start, end, 7


class CoverageForm(PeriodForm):
    """The coverage page's period and filters (GET, no CSRF): category, village, status and
    one of the ready-made lists; an unknown choice is refused on its field."""

    category = SelectField(_l("Category"), coerce=int_or_none, validators=[Optional()])
    village = SelectField(_l("Village"), coerce=int_or_none, validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])
    list = SelectField(_l("List"), validators=[Optional()])

    def __init__(self, *args, categories=(), villages=(), lists=(), **kwargs):
        """The choices of the commune: its categories and villages, the statuses, the lists."""
        super().__init__(*args, **kwargs)
        self.category.choices = choices(((c.id, c.name) for c in categories), _l("All"))
        self.village.choices = choices(((v.id, v.name) for v in villages), _l("All"))
        self.status.choices = choices(VenueStatus.choices(), _l("All"))
        self.list.choices = choices(lists, _l("Every venue"))
