"""Vietnamese phone numbers: parse what people type, store E.164, warn on odd ranges, convert
the old 11-digit mobile numbers, refuse what cannot be a number here."""
from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

# The 2018 conversion of 11-digit mobile numbers to 10 digits (Ministry of Information and
# Communications, 15/09–15/11/2018): the old prefix after the 0 → the new one.
OLD_MOBILE_PREFIXES = {
    # Viettel
    "162": "32", "163": "33", "164": "34", "165": "35", "166": "36", "167": "37",
    "168": "38", "169": "39",
    # MobiFone
    "120": "70", "121": "79", "122": "77", "126": "76", "128": "78",
    # VinaPhone
    "123": "83", "124": "84", "125": "85", "127": "81", "129": "82",
    # Vietnamobile
    "186": "56", "188": "58",
    # Gmobile
    "199": "59",
}
# A Vietnamese mobile as written at home: 0, then 3, 5, 7, 8 or 9, then eight digits.
_NATIONAL_MOBILE = re.compile(r"0[35789][0-9]{8}")
# Free and paid service numbers (1800 …, 1900 …) have 8 or 10 digits.
_SERVICE_PREFIXES = ("1800", "1900")


class PhoneError(ValueError):
    """The text cannot be a phone number. `reason` says why, for the message: "not_a_number",
    "too_short" or "too_long" (a Vietnamese number with digits missing or too many)."""

    def __init__(self, text: str, reason: str = "not_a_number"):
        super().__init__(text)
        self.text = text
        self.reason = reason


@dataclass(frozen=True)
class ParsedPhone:
    """A phone as stored (E.164) and what is known about it: whether the library thinks it is a
    valid number today, whether it is a Vietnamese mobile, and the old 11-digit number it was
    converted from (national format "0162…"), if it was one."""

    e164: str
    is_valid: bool
    is_vietnamese_mobile: bool
    converted_from: str | None = None


def _vietnamese_length_problem(nsn: str) -> str | None:
    """Why a Vietnamese national number (without its 0) cannot be one, or None.

    Mobiles have 9 digits after the 0, landlines (02…) 10, service numbers 8 or 10.
    """
    if nsn.startswith(_SERVICE_PREFIXES) and len(nsn) in (8, 10):
        return None
    if len(nsn) == 9:
        return None
    if len(nsn) == 10 and nsn.startswith("2"):
        return None
    return "too_short" if len(nsn) < 9 else "too_long"


def parse_phone(text: str) -> ParsedPhone:
    """Read a phone as typed ("0912 345 678", "+84912345678", "84-912-345-678").

    An old 11-digit mobile (0162 345 6789) becomes its 10-digit number (032 345 6789) and says
    so in `converted_from`. "Not valid" from phonenumbers is only a warning (number ranges
    change); text that cannot be a number here ("0912 34 56": digits missing) raises PhoneError.
    """
    cleaned = "".join(ch for ch in text or "" if ch.isdigit() or ch == "+")
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    if cleaned.startswith("84") and len(cleaned) in (11, 12):
        cleaned = "+" + cleaned
    digits = cleaned.lstrip("+")
    if not digits or "+" in cleaned[1:]:
        raise PhoneError(text)
    if len(digits) < 8:
        # A few digits lost in other text ("12ab") are no number at all; six or seven are a
        # Vietnamese number with digits missing.
        foreign = cleaned.startswith("+") and not cleaned.startswith("+84")
        raise PhoneError(text, "not_a_number" if foreign or len(digits) < 6 else "too_short")
    if len(digits) > 15:
        raise PhoneError(text, "too_long")
    if _NATIONAL_MOBILE.fullmatch(cleaned):
        # What most people type, "0912 345 678": its number is plain (84, the digits after
        # the 0), so the library's parsing of the text is skipped; it still says whether the
        # number is valid. The same answer as the general way below (tests/test_phones.py).
        number = phonenumbers.PhoneNumber(country_code=84, national_number=int(cleaned[1:]))
        return ParsedPhone(e164="+84" + cleaned[1:],
                           is_valid=phonenumbers.is_valid_number(number),
                           is_vietnamese_mobile=True)
    return _parsed_by_the_library(text, cleaned)


def _parsed_by_the_library(text: str, cleaned: str) -> ParsedPhone:
    """`parse_phone` of any number: `cleaned` is its digits, with a "+" in front if typed."""
    try:
        parsed = phonenumbers.parse(cleaned, "VN")
    except phonenumbers.NumberParseException as exc:
        raise PhoneError(text) from exc
    converted_from = None
    if parsed.country_code == 84:
        nsn = phonenumbers.national_significant_number(parsed)
        new_prefix = OLD_MOBILE_PREFIXES.get(nsn[:3]) if len(nsn) == 10 else None
        if new_prefix:
            converted_from = f"0{nsn[:3]} {nsn[3:6]} {nsn[6:]}"
            nsn = new_prefix + nsn[3:]
            parsed = phonenumbers.parse("+84" + nsn, "VN")
        problem = _vietnamese_length_problem(nsn)
        if problem:
            raise PhoneError(text, problem)
    elif not phonenumbers.is_possible_number(parsed):
        raise PhoneError(text)
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    national = phonenumbers.national_significant_number(parsed)
    is_mobile = parsed.country_code == 84 and len(national) == 9 and national[0] in "35789"
    return ParsedPhone(e164=e164, is_valid=phonenumbers.is_valid_number(parsed),
                       is_vietnamese_mobile=is_mobile, converted_from=converted_from)
