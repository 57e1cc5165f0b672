"""Messages raised by WTForms and Flask-WTF themselves, marked here so they get translated."""
from flask_babel import lazy_gettext as _l

BUILTIN_MESSAGES = (
    _l("This field is required."),
    _l("Not a valid choice."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
    _l("Not a valid date value."),
    _l("Not a valid datetime value."),
    _l("Not a valid time value."),
    _l("Invalid email address."),
    _l("Invalid input."),
    _l("The CSRF token is missing."),
    _l("The CSRF token is invalid."),
    _l("The CSRF token has expired."),
    _l("The CSRF tokens do not match."),
    _l("The CSRF session token is missing."),
    _l("The referrer header is missing."),
    _l("The referrer does not match the host."),
    _l("Invalid value, must be one of: %(values)s."),
    _l("Field must be at least %(min)d character long."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Number must be at least %(min)s."),
    _l("Number must be between %(min)s and %(max)s."),
)
