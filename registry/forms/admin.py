"""Admin forms: users, commune settings, villages, categories."""
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from registry.forms import BaseForm
from registry.forms.validators import VietnamesePhone
from registry.forms.venue import _int_or_none

ROLE_LABELS = {
    "admin": _l("Administrator"),
    "clerk": _l("Culture-information officer"),
    "data_entry": _l("Data entry"),
    "chairman": _l("Chairman / vice-chairman"),
    "tracer": _l("Health station (tracing)"),
    "venue": _l("Venue QR manager"),
}


class UserForm(BaseForm):
    """Create or edit an account."""

    username = StringField(_l("Username"), validators=[
        DataRequired(message=_l("Enter a username.")),
        Length(min=3, max=64, message=_l("Between 3 and 64 characters.")),
        Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Only letters without accents, digits, "
                                                 "dot, dash and underscore."))])
    full_name = StringField(_l("Full name"), validators=[
        DataRequired(message=_l("Enter the full name.")), Length(max=120)])
    role = SelectField(_l("Role"), choices=[SelectChoice(k, v) for k, v in ROLE_LABELS.items()],
                       validators=[DataRequired(message=_l("Choose a role."))])
    venue_id = SelectField(_l("Venue (for a venue QR manager)"), coerce=_int_or_none,
                           validators=[Optional()])
    locale = SelectField(_l("Language"), choices=[SelectChoice("vi", "Tiếng Việt"),
                                                   SelectChoice("en", "English")])
    password = PasswordField(_l("Password"), validators=[
        Optional(), Length(min=8, max=200, message=_l("The password must have at least 8 "
                                                       "characters."))])

    def validate_venue_id(self, field):
        """A venue user must be tied to a venue."""
        from wtforms.validators import ValidationError

        if self.role.data == "venue" and not field.data:
            raise ValidationError(_l("Choose the venue this user manages."))


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


class NameForm(BaseForm):
    """A single name: a village or a venue category."""

    name = StringField(_l("Name"), validators=[
        DataRequired(message=_l("Enter a name.")),
        Length(max=120, message=_l("At most 120 characters."))])
