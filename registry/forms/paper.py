"""Paper forms: printing a batch, custody steps, the serial box, keying a line, people links."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, IntegerField, RadioField, SelectChoice,
                     SelectField, StringField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.validators import ValidationError

from registry.forms import BaseForm, choices, int_or_none
from registry.forms.declarations import DeclarationForm
from registry.forms.fields import PhoneField, VietnameseDateField
from registry.forms.validators import IdNumber, VietnamesePhone, entry_warnings, phone_refusal
from registry.idnumbers import normalise_id_number
from registry.phones import PhoneError, parse_phone
from registry.text import nfc
from registry.models import DoubleEntry
from registry.services.declarations import parse_sex
from registry.services.paper.custody import MAX_SHEETS_PER_BATCH
from registry.services.paper.handwriting import parse_day, parse_time, parse_year, parse_yes_no
from registry.services.paper.keying import LineValues
from registry.timeutil import local_today


class BatchForm(BaseForm):
    """Print N sheets of a form for one check-in point."""

    point_id = SelectField(_l("Venue and check-in point"), coerce=int_or_none,
                           validators=[DataRequired(message=_l("Choose a check-in point."))])
    kind = RadioField(_l("Form"), choices=[
        SelectChoice("log", _l("Visitor log sheet (A4 landscape, 15 rows)")),
        SelectChoice("slip", _l("Declaration slip"))], default="log",
        validators=[InputRequired(message=_l("Choose a form."))])
    paper = RadioField(_l("Slips per page"), choices=[
        SelectChoice("a4", _l("Two slips per A4 page")),
        SelectChoice("a5", _l("One slip per A5 page"))], default="a4",
        validators=[InputRequired(message=_l("Choose a paper size."))])
    count = IntegerField(_l("Number of sheets"), default=20, validators=[
        InputRequired(message=_l("Enter the number of sheets.")),
        NumberRange(min=1, max=MAX_SHEETS_PER_BATCH,
                    message=_l("Between 1 and %(max)s sheets.", max=MAX_SHEETS_PER_BATCH))])
    double_entry = RadioField(_l("Double entry"), choices=choices(DoubleEntry.choices()),
        default="none",
        validators=[InputRequired(message=_l("Choose one."))])
    sample_percent = IntegerField(_l("Share re-keyed (%)"), default=10, validators=[
        Optional(), NumberRange(min=1, max=100, message=_l("Between 1 and 100 per cent."))])
    ignore_diacritics = BooleanField(_l("Compare names and addresses without diacritics and "
                                        "case"), default=True)
    skip_free_text = BooleanField(_l("Do not compare free text (address)"), default=False)

    def validate_sample_percent(self, field):
        """A sample needs its share."""
        if self.double_entry.data == "sample" and not field.data:
            raise ValidationError(_l("Enter the share of sheets to re-key."))


class HandForm(BaseForm):
    """The printed sheets are handed to the venue."""

    on = VietnameseDateField(_l("Date handed over"), default=local_today, validators=[
        InputRequired(message=_l("Enter a date."))])
    to_whom = StringField(_l("Handed to"), validators=[
        DataRequired(message=_l("Enter who received the sheets.")),
        Length(max=120, message=_l("At most 120 characters."))])

    def validate_on(self, field):
        """Not in the future."""
        if field.data and field.data > local_today():
            raise ValidationError(_l("The date cannot be in the future."))


class CollectForm(BaseForm):
    """The filled sheets come back."""

    on = VietnameseDateField(_l("Date collected"), default=local_today, validators=[
        InputRequired(message=_l("Enter a date."))])
    collected_by = StringField(_l("Collected by"), validators=[
        DataRequired(message=_l("Enter who collected the sheets.")),
        Length(max=120, message=_l("At most 120 characters."))])
    returned = IntegerField(_l("Sheets that came back"), validators=[
        InputRequired(message=_l("Enter the number of sheets that came back.")),
        NumberRange(min=0, max=MAX_SHEETS_PER_BATCH, message=_l("Enter a number of sheets."))])

    def validate_on(self, field):
        """Not in the future."""
        if field.data and field.data > local_today():
            raise ValidationError(_l("The date cannot be in the future."))


class DestroyForm(BaseForm):
    """The sheets were destroyed."""

    on = VietnameseDateField(_l("Date destroyed"), default=local_today, validators=[
        InputRequired(message=_l("Enter a date."))])

    def validate_on(self, field):
        """Not in the future."""
        if field.data and field.data > local_today():
            raise ValidationError(_l("The date cannot be in the future."))


class SerialForm(BaseForm):
    """The serial of the sheet to key: scanned (the scanner types it and Enter) or typed."""

    serial = StringField(_l("Sheet serial"), validators=[
        DataRequired(message=_l("Scan the QR code on the sheet or type its serial.")),
        Length(max=40, message=_l("This is not a sheet serial number. Check the characters and "
                                  "type it again, for example L00001230."))],
        render_kw={"autocomplete": "off", "autofocus": True})


def _parse_into(field, parser, *args):
    try:
        return parser(field.data, *args)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


class LineForm(BaseForm):
    """One line of a sheet as keyed: Tab from box to box, Enter saves.

    Values are kept as typed ("8h30", "75") and parsed in the validators; the parsed line is
    `form.values` after validation, and `form.warnings` lists odd values that do not block.
    """

    line_no = IntegerField(_l("Line"), validators=[
        InputRequired(message=_l("Enter the line number.")),
        NumberRange(min=1, max=99, message=_l("Enter the line number on the sheet."))])
    day = StringField(_l("Date"), validators=[Length(max=20)])
    time_in = StringField(_l("Time in"), validators=[Length(max=10)])
    time_out = StringField(_l("Time out"), validators=[Length(max=10)])
    full_name = StringField(_l("Full name"), validators=[
        Length(max=120, message=_l("At most 120 characters."))])
    birth_year = StringField(_l("Year of birth"), validators=[Length(max=4, message=_l(
        "Write the year of birth with 2 or 4 digits, for example 75 or 1975."))])
    phone = PhoneField(_l("Phone"), validators=[Optional(), VietnamesePhone(message=_l(
        "This is not a phone number; type it as written, for example 0912 345 678."))])
    id_number = StringField(_l("ID number"), validators=[Optional(), IdNumber()])
    address = StringField(_l("Village / address"), validators=[
        Length(max=255, message=_l("At most 255 characters."))])
    symptoms = StringField(_l("Symptoms (c/k)"), validators=[Length(max=6)])

    max_lines = 15
    sheet_printed_on = None
    questions: list = []
    is_slip = False

    def validate_line_no(self, field):
        """Within the sheet."""
        if field.data and field.data > self.max_lines:
            raise ValidationError(_l("This sheet has lines 1 to %(count)s.",
                                     count=self.max_lines))

    def validate_day(self, field):
        """A real date, not in the future, not before the sheet was printed."""
        self._day = _parse_into(field, parse_day)
        if self._day > local_today():
            raise ValidationError(_l("The date cannot be in the future."))
        if self.sheet_printed_on and self._day < self.sheet_printed_on:
            raise ValidationError(_l("This date is before the sheet was printed (%(day)s).",
                                     day=self.sheet_printed_on.strftime("%d/%m/%Y")))

    def validate_time_in(self, field):
        """8h30, 08:30, 830 or blank (date only)."""
        self._time_in = _parse_into(field, parse_time)

    def validate_time_out(self, field):
        """Like the time in, and not before it."""
        self._time_out = _parse_into(field, parse_time)

    def validate_birth_year(self, field):
        """2 or 4 digits."""
        self._birth_year = _parse_into(field, parse_year)

    def validate_symptoms(self, field):
        """c / k."""
        self._symptoms = _parse_into(field, parse_yes_no)

    def _typed(self, name: str):
        """The data of a field of this sheet's layout (None for a box it does not have)."""
        return self[name].data if name in self else None

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then the checks across fields: an empty row, time out before time in."""
        self._time_out = self._symptoms = None  # boxes a slip does not have
        ok = super().validate(extra_validators=extra_validators)
        self.warnings = []
        if not ok:
            return False
        if not self.full_name.data:
            message = (_l("This row is empty: type at least the full name.")
                       if not any(self._typed(n) for n in ("phone", "birth_year", "address",
                                                           "id_number"))
                       else _l("Enter the full name."))
            self.full_name.errors.append(str(message))
            return False
        if self._time_in and self._time_out and self._time_out[0] < self._time_in[0]:
            self.time_out.errors.append(str(_l("The time out is before the time in.")))
            return False
        if self._time_out and not self._time_in:
            self.time_in.errors.append(str(_l("Enter the time in as well.")))
            return False
        answers = None
        sex = None
        if self.is_slip:
            answers = {}
            for q in self.questions:
                field = self[f"q_{q.code}"]
                try:
                    answers[q.code] = (parse_yes_no(field.data),
                                       self[f"q_{q.code}_details"].data or None)
                except ValueError as exc:
                    field.errors.append(str(exc))
                    return False
            try:
                sex = parse_sex(self.sex.data)
            except ValueError as exc:
                self.sex.errors.append(str(exc))
                return False
        self.values = LineValues(
            day=self._day, time_in=self._time_in[0] if self._time_in else None,
            time_in_exact=self._time_in[1] if self._time_in else False,
            time_out=self._time_out[0] if self._time_out else None,
            full_name=self.full_name.data, birth_year=self._birth_year, sex=sex,
            id_number=self._typed("id_number"), phone=self.phone.data,
            province=self.province.data if self.is_slip else None,
            ward=self.ward.data if self.is_slip else None,
            address=self.address.data or None, symptoms=self._symptoms, answers=answers)
        self.warnings = entry_warnings(self.phone, self._typed("id_number"), self._birth_year,
                                       sex)
        return True

    def layout(self) -> list:
        """The boxes of one line in the order of the printed form's columns: a visitor log has
        No., time in, time out, full name, year of birth, phone, village, symptoms (its date is
        written once, above the table); a slip reads date, time, name, year, sex, ID number,
        phone, province, commune, address, then its questions."""
        names = (("day", "time_in", "full_name", "birth_year", "sex", "id_number", "phone",
                  "province", "ward", "address") if self.is_slip else
                 ("line_no", "time_in", "time_out", "full_name", "birth_year", "phone",
                  "address", "symptoms"))
        return [self[name] for name in names]

    def first_error_field(self) -> str | None:
        """The box the cursor goes back to after a refusal: the first one with an error, in
        the order they are typed (the sheet's date, the line's boxes, then a slip's
        questions)."""
        order = ["day"] + [f.name for f in self.layout()]
        for q in self.questions if self.is_slip else []:
            order += [f"q_{q.code}", f"q_{q.code}_details"]
        return next((name for name in order if name in self and self[name].errors), None)


def line_form(questions, *, is_slip: bool, max_lines: int, printed_on, **kwargs) -> LineForm:
    """The line form for a sheet, with the boxes its printed form has: a slip adds sex,
    province, ward and the health questions and has no time out or symptom column; a visitor
    log has no ID number column."""

    class SheetLineForm(LineForm):
        """A line of this sheet (a fresh class: the fields depend on the sheet's kind)."""

    if is_slip:
        SheetLineForm.time_out = None
        SheetLineForm.symptoms = None
        SheetLineForm.sex = StringField(_l("Sex (nam/nu/khac)"), validators=[Length(max=6)])
        SheetLineForm.province = StringField(_l("Province / city"), validators=[
            Length(max=120, message=_l("At most 120 characters."))])
        SheetLineForm.ward = StringField(_l("Commune / ward"), validators=[
            Length(max=120, message=_l("At most 120 characters."))])
        for q in questions:
            setattr(SheetLineForm, f"q_{q.code}", StringField(q.text, validators=[Length(max=6)]))
            setattr(SheetLineForm, f"q_{q.code}_details", StringField(
                _l("If yes, give details"), validators=[
                    Length(max=255, message=_l("At most 255 characters."))]))
    else:
        SheetLineForm.id_number = None
    SheetLineForm.questions = list(questions)
    SheetLineForm.is_slip = is_slip
    SheetLineForm.max_lines = max_lines
    SheetLineForm.sheet_printed_on = printed_on
    return SheetLineForm(**kwargs)


class OnBehalfForm(DeclarationForm):
    """A declaration typed by staff for a visitor: where and when, then the usual fields."""

    point_id = SelectField(_l("Venue and check-in point"), coerce=int_or_none,
                           validators=[DataRequired(message=_l("Choose a check-in point."))])
    time_in = StringField(_l("Time of the visit (blank: now)"), validators=[Length(max=10)],
                          render_kw={"placeholder": "8h30"})

    def validate_time_in(self, field):
        """8h30, 08:30, 830 or blank."""
        self._time_in = _parse_into(field, parse_time)


def parse_typed_value(name: str, text: str):
    """A value the reviewer typed for a disagreeing field, in the stored form of that field
    ("20/11" → "2026-11-20", "8h30" → "08:30", "0912 345 678" → "+84912345678", "c" → True).
    Raises ValueError with the words to show."""
    text = nfc(text) or ""
    if name == "day":
        return parse_day(text).isoformat()
    if name in ("time_in", "time_out"):
        parsed = parse_time(text)
        return parsed[0].strftime("%H:%M") if parsed else None
    if name == "birth_year":
        return parse_year(text)
    if name == "sex":
        return parse_sex(text)
    if name == "symptoms" or name.startswith("q:"):
        return parse_yes_no(text)
    if name == "phone":
        if not text:
            return None
        try:
            return parse_phone(text).e164
        except PhoneError as exc:
            raise ValueError(phone_refusal(exc, _l(
                "This is not a phone number; type it as written, for example 0912 345 678."))
            ) from None
    if name == "id_number":
        if not text:
            return None
        value = normalise_id_number(text)
        if value is None:
            raise ValueError(str(_l("An ID number has 12 digits (CCCD), 9 digits (CMND) or is "
                                    "a passport number.")))
        return value
    if name == "full_name" and not text:
        raise ValueError(str(_l("Enter the full name.")))
    return text or None
