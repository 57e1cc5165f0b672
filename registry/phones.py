"""Vietnamese phone numbers: parse what people type, store E.164, warn on odd ranges."""
from __future__ import annotations

from dataclasses import dataclass

import phonenumbers


class PhoneError(ValueError):
    """The text cannot be read as a phone number at all."""


@dataclass(frozen=True)
class ParsedPhone:
    """A phone as stored (E.164) and whether the library thinks it is a valid number today."""

    e164: str
    is_valid: bool
    is_vietnamese_mobile: bool


def parse_phone(text: str) -> ParsedPhone:
    """Read a phone as typed ("0912 345 678", "+84912345678", "84-912-345-678").

    "Not valid" from phonenumbers is only a warning (number ranges change); text that is not a
    phone number at all raises PhoneError.
    """
    cleaned = "".join(ch for ch in text if ch.isdigit() or ch == "+")
    if cleaned.startswith("84") and len(cleaned) == 11:
        cleaned = "+" + cleaned
    if len(cleaned.lstrip("+")) < 8 or len(cleaned.lstrip("+")) > 15:
        raise PhoneError(text)
    try:
        parsed = phonenumbers.parse(cleaned, "VN")
    except phonenumbers.NumberParseException as exc:
        raise PhoneError(text) from exc
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    national = phonenumbers.national_significant_number(parsed)
    is_mobile = parsed.country_code == 84 and len(national) == 9 and national[0] in "35789"
    return ParsedPhone(e164=e164, is_valid=phonenumbers.is_valid_number(parsed),
                       is_vietnamese_mobile=is_mobile)
