"""The template helpers: counts grouped as Babel groups them, in both languages."""
from __future__ import annotations

import pytest
from babel.numbers import format_decimal
from flask_babel import force_locale

from registry.formatting import number, phone_national


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_whole_numbers_are_grouped_as_babel_groups_them(app, locale):
    with app.test_request_context(), force_locale(locale):
        for value in (0, 7, 999, 1000, 1250, -1250, 12_345_678, 1_000_000_000):
            assert number(value) == format_decimal(value, locale=locale)
        assert number(12.5) == format_decimal(12.5, locale=locale)
        assert number(None) == ""
    with app.test_request_context(), force_locale("vi"):
        assert number(1250) == "1.250"


def test_phones_in_the_national_format_twice(app):
    assert phone_national("+84912345678") == "0912 345 678"
    assert phone_national("+84912345678") == "0912 345 678"  # the kept answer
    assert phone_national("not a phone") == "not a phone"
    assert phone_national(None) == ""


def test_a_url_made_once_is_the_url_for_each_id(app):
    from flask import url_for

    from registry.formatting import url_maker

    with app.test_request_context():
        for endpoint in ("venues.detail", "reminders.venue_follow_ups"):
            make = url_maker(endpoint, "venue_id")
            for venue_id in (1, 7, 42, 123456):
                assert make(venue_id) == url_for(endpoint, venue_id=venue_id)
