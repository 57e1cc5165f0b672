"""Forms of the posters feature: withdrawing (rotating) a point's QR."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import Length, Optional

from registry.forms import BaseForm


class RotateTokenForm(BaseForm):
    """Withdraw a point's QR code, with an optional reason kept in the audit trail."""

    reason = StringField(_l("Reason (for example: the poster was posted online)"), validators=[
        Optional(), Length(max=255, message=_l("At most 255 characters."))])
