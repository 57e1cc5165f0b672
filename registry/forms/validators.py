"""Field validators with Vietnamese messages for phones, ID numbers and years."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from registry.idnumbers import normalise_id_number
from registry.phones import PhoneError, parse_phone


class VietnamesePhone:
    """Accept a phone as typed; replace the field's data with E.164. Odd ranges pass (warning)."""

    def __init__(self, message=None):
        self.message = message or _l("Enter a phone number, for example 0912 345 678.")

    def __call__(self, form, field):
        field.warnings = []  # a form object is reused for every row of an import
        if not field.data:
            field.data = None
            return
        try:
            parsed = parse_phone(field.data)
        except PhoneError:
            raise ValidationError(self.message) from None
        field.data = parsed.e164
        if not parsed.is_valid:
            field.warnings = [_l("This number does not look like a current Vietnamese number; "
                                 "please check it.")]


class IdNumber:
    """CCCD (12 digits), old CMND (9 digits) or a passport number (letter + 7–8 digits)."""

    def __init__(self, message=None):
        self.message = message or _l("An ID number has 12 digits (CCCD), 9 digits (CMND) or is a "
                                     "passport number.")

    def __call__(self, form, field):
        if not field.data:
            field.data = None
            return
        value = normalise_id_number(field.data)
        if value is None:
            raise ValidationError(self.message)
        field.data = value
