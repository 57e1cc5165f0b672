"""Fields that show what people typed the way they typed it: a phone stays "0912 345 678" when
a form comes back with an error (its validator stored "+84…"), and dates and times are text
boxes in Vietnamese order (dd/mm/yyyy, 24-hour clock) whatever the browser's language: a
type=date box follows the browser's locale, mm/dd/yyyy in an English one."""
from __future__ import annotations

import re
from datetime import date, datetime, time

from flask_babel import gettext as _
from wtforms import RadioField, StringField
from wtforms.validators import ValidationError
from wtforms.widgets import TextInput

from registry.formatting import phone_national


def N_(message: str) -> str:
    """Marks a message for the catalog; it is translated where it is shown."""
    return message


class PhoneField(StringField):
    """A phone box: the stored E.164 is shown in the national format, and a form shown again
    after an error keeps the digits exactly as typed."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return phone_national(self.data) if self.data else ""


class FixedChoiceRadio(RadioField):
    """Radio buttons whose choices are given once (in the form class): a posted answer is
    compared with the choices' values, worked out when the field is built, instead of each
    choice being built again with its label to compare it (a fifth of validating a phone's
    declaration, which has six). The same answers and messages as RadioField; choices set
    later (by a view) are checked as RadioField checks them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._given_choices = self.choices
        self._given_values = (None if self._choices_callable is not None else tuple(
            self.coerce(choice.value)
            for choice in self._choices_from_input(self.choices) or []))

    def pre_validate(self, form):
        if self._given_values is None or self.choices is not self._given_choices:
            return super().pre_validate(form)
        if self.process_errors or not self.validate_choice:
            return
        if self.data not in self._given_values:
            raise ValidationError(self.invalid_choice_message
                                  or self.gettext("Not a valid choice."))


class _TextBox(TextInput):
    """A text input whatever `type` a template passes: templates written for type=date keep
    working, and the box reads dd/mm/yyyy in every browser."""

    def __init__(self, placeholder: str, inputmode: str, pattern: str):
        super().__init__()
        self.placeholder, self.inputmode, self.pattern = placeholder, inputmode, pattern

    def __call__(self, field, **kwargs):
        kwargs["type"] = "text"
        kwargs.setdefault("placeholder", self.placeholder)
        kwargs.setdefault("inputmode", self.inputmode)
        kwargs.setdefault("autocomplete", "off")
        kwargs.setdefault("size", 10)
        kwargs.setdefault("data-format", self.pattern)
        return super().__call__(field, **kwargs)


_DATE = re.compile(r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})\s*$")
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_TIME = re.compile(r"^\s*(\d{1,2})\s*(?:[:h.]\s*(\d{2})?)?\s*$", re.IGNORECASE)


def parse_vietnamese_date(text: str) -> date:
    """A date written day first: 05/03/2026, 5/3/2026, 05-03-26, 05.03.2026; also the ISO
    2026-03-05 a bookmark or an old link may carry. ValueError if it is none of these."""
    match = _DATE.match(text or "")
    if match:
        day, month, year = (int(g) for g in match.groups())
        if year < 100:
            year += 2000
    else:
        iso = _ISO_DATE.match(text or "")
        if not iso:
            raise ValueError(text)
        year, month, day = (int(g) for g in iso.groups())
    return date(year, month, day)


def parse_24h_time(text: str) -> time:
    """A time on the 24-hour clock: 08:30, 8h30, 8:30, 14h, 14.30. ValueError if not."""
    match = _TIME.match(text or "")
    if not match:
        raise ValueError(text)
    return time(int(match.group(1)), int(match.group(2) or 0))


class _ReadTextField(StringField):
    """A text box whose text is read into a value (`read`) and shown back (`shown_as`, for a
    value of one of `kinds`); text that cannot be read stays as typed, next to the message
    `not_read` (its sentences, translated when the message is shown)."""

    read = staticmethod(str)
    kinds: tuple[type, ...] = ()
    shown_as = ""
    not_read: tuple[str, ...] = ()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.pop("format", None)
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if isinstance(self.data, self.kinds):
            return self.data.strftime(self.shown_as)
        return self.raw_data[0] if self.raw_data else ""

    def process_formdata(self, valuelist):
        if not valuelist or not (valuelist[0] or "").strip():
            self.data = None
            return
        try:
            self.data = self.read(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError(" ".join(_(sentence) for sentence in self.not_read)) from None


class VietnameseDateField(_ReadTextField):
    """A date typed as dd/mm/yyyy (shown the same way, whether it was typed another way or came
    as an ISO date in a link); `data` is a `date`.

    Drop-in for WTForms' DateField: same validators (InputRequired, Optional), same `data`.
    """

    widget = _TextBox("dd/mm/yyyy", "numeric", "dd/mm/yyyy")
    read = staticmethod(parse_vietnamese_date)
    kinds = (date,)
    shown_as = "%d/%m/%Y"
    not_read = (N_("Not a valid date value."),
                N_("Write the date as day/month/year, for example 05/03/2026."))

    def pre_validate(self, form):
        # A box left empty is for InputRequired / Optional to judge, like WTForms' DateField.
        return None


class VietnameseTimeField(_ReadTextField):
    """A time typed on the 24-hour clock (08:30, 8h30); `data` is a `time`. Drop-in for
    WTForms' TimeField, whose type=time box shows AM/PM in an English browser."""

    widget = _TextBox("hh:mm", "numeric", "hh:mm")
    read = staticmethod(parse_24h_time)
    kinds = (time, datetime)
    shown_as = "%H:%M"
    not_read = (N_("Not a valid time value."),
                N_("Write the time on the 24-hour clock, for example 08:30 or 14:15."))
