"""Reading what was written on paper, as the typist keys it: times, dates, years, yes/no."""
from __future__ import annotations

import re
from datetime import date, time

from flask_babel import gettext as _

from registry.text import fold
from registry.timeutil import local_today


TIME = re.compile(r"^(\d{1,2})(?:\s*[hg:.]\s*(\d{1,2})?\s*(?:p|ph|phút)?)?$")


def parse_time(text: str | None) -> tuple[time, bool] | None:
    """A handwritten time ("8h30", "08:30", "830", "8h") as (time, minutes known); None if blank.

    Raises ValueError with a message when it is not a time of day.
    """
    value = (text or "").strip().lower()
    if not value:
        return None
    if value.isdigit() and len(value) in (3, 4):
        hour, minute, exact = int(value[:-2]), int(value[-2:]), True
    else:
        match = TIME.match(value)
        if not match:
            raise ValueError(_("Write a time like 8h30, 08:30 or 830."))
        hour = int(match.group(1))
        minute = int(match.group(2)) if match.group(2) else 0
        exact = match.group(2) is not None
    if hour > 23 or minute > 59:
        raise ValueError(_("%(value)s is not a time of day.", value=text))
    return time(hour, minute), exact


def parse_year(text: str | None, today: date | None = None) -> int | None:
    """A year of birth as 2 or 4 digits ("75" → 1975, "08" → 2008); None if blank."""
    value = (text or "").strip()
    if not value:
        return None
    today = today or local_today()
    if not value.isdigit() or len(value) not in (2, 4):
        raise ValueError(_("Write the year of birth with 2 or 4 digits, for example 75 or 1975."))
    year = int(value)
    if len(value) == 2:
        year += 2000 if 2000 + year <= today.year else 1900
    if not 1900 <= year <= today.year:
        raise ValueError(_("Enter a year of birth between 1900 and this year."))
    return year


DAY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2}|\d{4}))?$")


def parse_day(text: str | None, today: date | None = None) -> date:
    """A date as written ("20/11/2026", "20/11/26", "20/11", "2026-11-20")."""
    value = (text or "").strip()
    today = today or local_today()
    if not value:
        raise ValueError(_("Enter the date written on the sheet, for example 20/11/2026."))
    try:
        if re.match(r"^\d{4}-\d{2}-\d{2}$", value):
            return date.fromisoformat(value)
        match = DAY.match(value)
        if not match:
            raise ValueError
        day, month = int(match.group(1)), int(match.group(2))
        year = match.group(3)
        year = today.year if year is None else int(year) + (2000 if len(year) == 2 else 0)
        return date(year, month, day)
    except ValueError:
        raise ValueError(_("%(value)s is not a date. Write it as day/month/year, for example "
                           "20/11/2026.", value=text)) from None


def parse_yes_no(text: str | None) -> bool | None:
    """A yes/no box as keyed: c/có/y/1 → yes, k/không/n/0 → no, blank → None."""
    value = fold(text or "")
    if not value:
        return None
    if value in ("c", "co", "y", "yes", "1", "x"):
        return True
    if value in ("k", "khong", "n", "no", "0"):
        return False
    raise ValueError(_("Type c (yes) or k (no)."))
