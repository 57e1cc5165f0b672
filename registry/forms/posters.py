"""Forms of the posters feature: rotating a QR, the public check-in actions, the question list."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from registry.forms import BaseForm


class RotateTokenForm(BaseForm):
    """Withdraw a point's QR code, with an optional reason kept in the audit trail."""

    reason = StringField(_l("Reason (for example: the poster was posted online)"), validators=[
        Optional(), Length(max=255, message=_l("At most 255 characters."))])


class CheckinActionForm(BaseForm):
    """The one-tap check-in and the check-out buttons: only the CSRF token."""


class QuestionForm(BaseForm):
    """One health question of the declaration, as the admin writes it."""

    text = TextAreaField(_l("Question (Vietnamese)"), validators=[
        DataRequired(message=_l("Enter the question.")),
        Length(max=500, message=_l("At most 500 characters."))], render_kw={"rows": 3})
    text_en = TextAreaField(_l("Question (English, optional)"), validators=[
        Optional(), Length(max=500, message=_l("At most 500 characters."))],
        render_kw={"rows": 2})
    asks_details = BooleanField(_l("A \"yes\" asks for details (which places, which signs)"))
    is_symptom = BooleanField(_l("A \"yes\" counts as a symptom in statistics and tracing"))
