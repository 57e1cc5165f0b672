"""The admin's form of an account."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from registry.forms import BaseForm, choices, int_or_none
from registry.forms.auth import PasswordPolicy
from registry.models import Role


class UserForm(BaseForm):
    """Create or edit an account."""

    username = StringField(_l("Username"), validators=[
        DataRequired(message=_l("Enter a username.")),
        Length(min=3, max=64, message=_l("Between 3 and 64 characters.")),
        Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Only letters without accents, digits, "
                                                 "dot, dash and underscore."))])
    full_name = StringField(_l("Full name"), validators=[
        DataRequired(message=_l("Enter the full name.")), Length(max=120)])
    role = SelectField(_l("Role"), choices=choices(Role.choices()),
                       validators=[DataRequired(message=_l("Choose a role."))])
    venue_id = SelectField(_l("Venue (for a venue QR manager)"), coerce=int_or_none,
                           validators=[Optional()])
    locale = SelectField(_l("Language"), choices=[SelectChoice("vi", "Tiếng Việt"),
                                                   SelectChoice("en", "English")])
    # Empty keeps an account's password when editing; the view requires one for a new account.
    password = PasswordField(_l("Password"), validators=[PasswordPolicy(
        lambda form: [form.username.data, form.full_name.data], optional=True)])

    def validate_venue_id(self, field):
        """A venue user must be tied to a venue."""
        if self.role.data == "venue" and not field.data:
            raise ValidationError(_l("Choose the venue this user manages."))
