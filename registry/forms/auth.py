"""Login and password forms, and the password policy every password field applies."""
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, StopValidation

from registry.forms import BaseForm
from registry.passwords import password_problem


class PasswordPolicy:
    """Refuse a password that is too short, only spaces or easy to guess (registry.passwords).

    `inputs(form)` gives the account's own words (username, name), which the password must not
    be made of. With `optional`, an empty field passes (an edit that keeps the password); a
    field of spaces never does.
    """

    def __init__(self, inputs=None, optional: bool = False):
        """`inputs(form)`: the account's own words; `optional`: an empty field passes."""
        self.inputs = inputs or (lambda form: [])
        self.optional = optional

    def __call__(self, form, field):
        """WTForms: stop with the policy's message when the password is refused."""
        if self.optional and field.data in (None, ""):
            raise StopValidation()
        problem = password_problem(field.data, self.inputs(form))
        if problem:
            raise StopValidation(str(problem))


def _own_words(_form) -> list[str]:
    """The logged-in user's username and name."""
    if current_user and getattr(current_user, "is_authenticated", False):
        return [current_user.username, current_user.full_name]
    return []


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
    new = PasswordField(_l("New password"), validators=[PasswordPolicy(_own_words)])
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        EqualTo("new", message=_l("The two passwords differ."))])
