"""Formatting for people: Vietnamese dates and numbers, local times, phones."""
from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

import phonenumbers
from babel.numbers import get_group_symbol
from flask import Flask, url_for
from flask_babel import format_decimal, get_locale

from registry.navigation import nav_groups, nav_items
from registry.timeutil import to_local


def long_date(value: date | datetime | None) -> str:
    """A date in words: "ngày 10 tháng 11 năm 2021" (vi) or "10 November 2021" (en).

    Decree 30 pads the day below 10 and the months January and February with a zero
    ("ngày 05 tháng 01", "tháng 02"), so that nothing can be written in front of them later;
    the other months are not padded ("tháng 6")."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    if str(get_locale()) == "vi":
        month = f"{value.month:02d}" if value.month <= 2 else str(value.month)
        return f"ngày {value.day:02d} tháng {month} năm {value.year}"
    return value.strftime("%-d %B %Y")


# The words an administrative unit's name starts with; inside a sentence they are written in
# lower case ("Ủy ban nhân dân xã Triệu Sơn", "UBND tỉnh Thanh Hóa"), as a heading capitalises.
UNIT_WORDS = ("Xã", "Phường", "Thị trấn", "Đặc khu", "Tỉnh", "Thành phố", "Huyện", "Quận",
              "Thị xã")


def in_running_text(name: str | None) -> str:
    """An administrative unit's name as running text writes it: "Xã Triệu Sơn" → "xã Triệu
    Sơn", "Tỉnh Thanh Hóa" → "tỉnh Thanh Hóa"; any other name is left as it is."""
    if not name:
        return ""
    for word in UNIT_WORDS:
        if name.startswith(word + " "):
            return word.lower() + name[len(word):]
    return name


def short_datetime(value: datetime | None) -> str:
    """A stored UTC time as local "dd/mm/yyyy HH:MM"."""
    if value is None:
        return ""
    return to_local(value).strftime("%d/%m/%Y %H:%M")


def short_time(value: datetime | None) -> str:
    """A stored UTC time as the local hour and minute, "HH:MM"."""
    if value is None:
        return ""
    return to_local(value).strftime("%H:%M")


def short_date(value: date | datetime | None) -> str:
    """dd/mm/yyyy."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    return value.strftime("%d/%m/%Y")


@lru_cache(maxsize=32)
def _group_symbol(locale: str) -> str:
    """The locale's thousands separator ("." in Vietnamese, "," in English)."""
    return get_group_symbol(locale)


def number(value) -> str:
    """A number with the locale's grouping: 1.250 in Vietnamese, 1,250 in English.

    A whole number takes the locale's separator directly (a page of 500 venues shows thousands
    of counts; Babel parses its pattern on every call); a fraction goes through Babel."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        grouped = f"{value:,}"
        return grouped if value > -1000 and value < 1000 else grouped.replace(
            ",", _group_symbol(str(get_locale())))
    return format_decimal(value)


@lru_cache(maxsize=4096)
def phone_national(value: str | None) -> str:
    """An E.164 phone shown in the national format (0912 345 678); the answer is kept, as a
    list shows the same few numbers many times."""
    if not value:
        return ""
    try:
        parsed = phonenumbers.parse(value, "VN")
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


# An id no record reaches: the place of the id in a URL built once by `url_maker`.
_ID_MARK = 2_147_483_647


def url_maker(endpoint: str, key: str, **values):
    """A function id → url_for(endpoint, key=id, **values) that builds the URL once and puts
    each id in its place (a list of 500 venues builds two links a row: url_for costs more than
    the rest of the row). Only for a route whose `key` is an integer."""
    built = url_for(endpoint, **{key: _ID_MARK}, **values)
    head, mark, tail = built.rpartition(str(_ID_MARK))
    if not mark:  # the id is not written as such: build each URL
        return lambda record_id: url_for(endpoint, **{key: record_id}, **values)
    return lambda record_id: f"{head}{int(record_id)}{tail}"


def init_template_helpers(app: Flask) -> None:
    """Register the filters and globals for templates."""
    app.jinja_env.globals.update(nav_items=nav_items, nav_groups=nav_groups, url_maker=url_maker,
                                 current_locale=lambda: str(get_locale()))
    app.jinja_env.filters.update(
        long_date=long_date,
        in_text=in_running_text,
        short_datetime=short_datetime,
        short_time=short_time,
        short_date=short_date,
        number=number,
        phone=phone_national,
    )
