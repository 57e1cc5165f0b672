"""Identity numbers: the one pattern of a CCCD, CMND or passport number, and what a CCCD says
about its holder (birth century, sex and year)."""
from __future__ import annotations

import re

from flask_babel import gettext as _

# A CCCD (12 digits), an old CMND (9 digits) or a passport number (a letter and 7–8 digits).
ID_NUMBER = re.compile(r"^(\d{9}|\d{12}|[A-Z]\d{7,8})$")
_SEPARATORS = re.compile(r"[\s.-]")


def normalise_id_number(text: str | None) -> str | None:
    """The number as stored: without spaces, dots and dashes, letters in upper case; None when
    it is not a CCCD, CMND or passport number."""
    value = _SEPARATORS.sub("", text or "").upper()
    return value if ID_NUMBER.match(value) else None


# The century/sex digit: 0/1 = 1900s male/female, 2/3 = 2000s, 4/5 = 2100s, 6/7 = 2200s,
# 8/9 = 1800s.
_CENTURY = {0: 1900, 1: 1900, 2: 2000, 3: 2000, 4: 2100, 5: 2100, 6: 2200, 7: 2200,
            8: 1800, 9: 1800}


def cccd_birth(id_number: str) -> tuple[int, str] | None:
    """(birth year, "male"/"female") encoded in a 12-digit CCCD, or None for other numbers."""
    if not id_number or len(id_number) != 12 or not id_number.isdigit():
        return None
    digit = int(id_number[3])
    year = _CENTURY[digit] + int(id_number[4:6])
    return year, "male" if digit % 2 == 0 else "female"


def cccd_warnings(id_number: str | None, birth_year: int | None, sex: str | None) -> list[str]:
    """Warnings (never refusals) when a CCCD disagrees with the declared birth year or sex."""
    decoded = cccd_birth(id_number or "")
    if decoded is None:
        return []
    year, cccd_sex = decoded
    warnings = []
    if birth_year and birth_year != year:
        warnings.append(_("The ID number says born in %(year)s, but the year of birth given is "
                          "%(given)s. Please check.", year=year, given=birth_year))
    if sex in ("male", "female") and sex != cccd_sex:
        warnings.append(_("The ID number does not match the sex given. Please check."))
    return warnings
