"""Field validators with Vietnamese messages for phones, ID numbers and years."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from registry.formatting import phone_national
from registry.idnumbers import cccd_warnings, normalise_id_number
from registry.phones import PhoneError, parse_phone


PHONE_TOO_SHORT = _l("This number is too short: a Vietnamese mobile number has 10 digits, "
                     "for example 0912 345 678.")
PHONE_TOO_LONG = _l("This number is too long: a Vietnamese mobile number has 10 digits "
                    "(0912 345 678), a landline 11 (0237 3868 123).")


def phone_refusal(error: PhoneError, not_a_number) -> str:
    """The words for a refused phone: digits missing, too many, or not a number at all."""
    if error.reason == "too_short":
        return str(PHONE_TOO_SHORT)
    if error.reason == "too_long":
        return str(PHONE_TOO_LONG)
    return str(not_a_number)


def phone_warnings(parsed) -> list:
    """Warnings on a phone that is kept: an old 11-digit number converted, an odd range."""
    if not parsed.e164.startswith("+84"):
        return [_l("This is not a Vietnamese phone number; please check.")]
    if parsed.converted_from:
        return [_l("%(old)s is an old 11-digit number: it was saved as the new number "
                   "%(new)s. Please check it.", old=parsed.converted_from,
                   new=phone_national(parsed.e164))]
    if not parsed.is_valid:
        return [_l("This number does not look like a current Vietnamese number; please check "
                   "it.")]
    return []


def entry_warnings(phone_field=None, id_number: str | None = None,
                   birth_year: int | None = None, sex: str | None = None) -> list[str]:
    """The warnings of every path where a person's phone or ID number is entered (web forms,
    imports, the public page, paper keying, on behalf), worded alike: the phone's, then an ID
    number disagreeing with the year of birth or the sex. Warnings never refuse a record."""
    warnings = [str(w) for w in getattr(phone_field, "warnings", None) or []]
    return warnings + cccd_warnings(id_number, birth_year, sex)


class VietnamesePhone:
    """Accept a phone as typed; replace the field's data with E.164. Odd ranges and converted
    old numbers pass with a warning (`field.warnings`); a number with digits missing or too
    many is refused."""

    def __init__(self, message=None):
        self.message = message or _l("Enter a phone number, for example 0912 345 678.")

    def __call__(self, form, field):
        field.warnings = []  # a form object is reused for every row of an import
        if not field.data:
            field.data = None
            return
        try:
            parsed = parse_phone(field.data)
        except PhoneError as exc:
            raise ValidationError(phone_refusal(exc, self.message)) from None
        field.data = parsed.e164
        field.warnings = phone_warnings(parsed)


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
