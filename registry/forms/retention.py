"""Retention: recording that paper was destroyed."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from registry.forms import BaseForm


class DestroyForm(BaseForm):
    """How the paper was destroyed."""

    method = StringField(_l("How and in whose presence"), validators=[
        DataRequired(message=_l("Say how the paper was destroyed.")),
        Length(max=200, message=_l("At most 200 characters."))],
        description=_l("For example: shredded at the commune office, witnessed by …"))
