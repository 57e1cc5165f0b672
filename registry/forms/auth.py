"""Login and password forms."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from registry.forms import BaseForm


class LoginForm(BaseForm):
    """Username and password."""

    username = StringField(_l("Username"), validators=[
        DataRequired(message=_l("Enter your username.")), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(message=_l("Enter your password.")), Length(max=200)])
    remember = BooleanField(_l("Keep me logged in"))


class PasswordChangeForm(BaseForm):
    """A user changes their own password."""

    current = PasswordField(_l("Current password"), validators=[
        DataRequired(message=_l("Enter your current password."))])
    new = PasswordField(_l("New password"), validators=[
        DataRequired(message=_l("Enter a new password.")),
        Length(min=8, max=200, message=_l("The password must have at least 8 characters."))])
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        EqualTo("new", message=_l("The two passwords differ."))])
