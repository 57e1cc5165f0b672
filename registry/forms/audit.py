"""The audit log's filters."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import Optional

from registry.forms import BaseForm
from registry.forms.fields import VietnameseDateField as DateField


class AuditFilterForm(BaseForm):
    """Filters of the audit log (read from the query string)."""

    user = SelectField(_l("User"), validators=[Optional()])
    action = SelectField(_l("Action"), validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
