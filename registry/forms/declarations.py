"""The medical declaration form with the commune's current health questions, and the form an
admin writes a question in."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, IntegerField, SelectChoice, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from registry.forms import BaseForm, choices
from registry.forms.fields import FixedChoiceRadio, PhoneField
from registry.forms.validators import IdNumber, VietnamesePhone
from registry.models import Sex
from registry.services.declarations import Declaration, answers_from
from registry.timeutil import local_today

YES_NO = [SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))]


class DeclarationForm(BaseForm):
    """Who the visitor is; the health questions are added per commune by `declaration_form`."""

    class Meta:
        copy_bound_fields = True  # made on every phone's check-in (forms/__init__.py)

    full_name = StringField(_l("Full name"), validators=[
        DataRequired(message=_l("Enter the full name.")),
        Length(max=120, message=_l("At most 120 characters."))],
        render_kw={"autocomplete": "name"})
    birth_year = IntegerField(_l("Year of birth"), validators=[
        InputRequired(message=_l("Enter the year of birth, for example 1975.")),
        NumberRange(min=1900, max=local_today().year + 1,
                    message=_l("Enter a year of birth between 1900 and this year."))],
        render_kw={"inputmode": "numeric", "maxlength": 4})
    sex = FixedChoiceRadio(_l("Sex"), choices=choices(Sex.choices()),
                     validators=[InputRequired(message=_l("Choose one."))])
    id_number = StringField(_l("ID number (CCCD/CMND/passport, optional)"), validators=[
        Optional(), IdNumber()], render_kw={"inputmode": "numeric", "maxlength": 20})
    nationality = StringField(_l("Nationality"), default="Việt Nam", validators=[
        Optional(), Length(max=64, message=_l("At most 64 characters."))])
    province = StringField(_l("Province / city"), validators=[
        Optional(), Length(max=120, message=_l("At most 120 characters."))])
    ward = StringField(_l("Commune / ward"), validators=[
        Optional(), Length(max=120, message=_l("At most 120 characters."))])
    address = StringField(_l("House number, street, village"), validators=[
        Optional(), Length(max=255, message=_l("At most 255 characters."))],
        render_kw={"autocomplete": "street-address"})
    phone = PhoneField(_l("Phone"), validators=[
        DataRequired(message=_l("Enter a phone number, for example 0912 345 678.")),
        VietnamesePhone()], render_kw={"inputmode": "tel", "autocomplete": "tel"})
    email = StringField(_l("Email (optional)"), validators=[
        Optional(), Email(message=_l("Enter a valid email address.")), Length(max=120)],
        render_kw={"inputmode": "email", "autocomplete": "email"})

    questions: list = []

    def question_fields(self):
        """(question, answer field, details field or None) in order, for templates: only a
        question that asks for details has a details box."""
        for q in self.questions:
            yield q, self[f"q_{q.code}"], self._fields.get(f"q_{q.code}_details")

    def to_declaration(self) -> Declaration:
        """The cleaned declaration from valid form data."""
        given = {}
        for q, answer, details in self.question_fields():
            value = {"yes": True, "no": False}.get(answer.data)
            given[q.code] = (value, details.data if details is not None else None)
        return Declaration(
            full_name=self.full_name.data, birth_year=self.birth_year.data, sex=self.sex.data,
            id_number=self.id_number.data, nationality=self.nationality.data,
            province=self.province.data, ward=self.ward.data, address=self.address.data,
            phone=self.phone.data, email=self.email.data,
            answers=answers_from(self.questions, given)).cleaned()


# The form classes made for a list of questions, by what shapes their fields. WTForms collects
# a class's fields when it is first instantiated; making a fresh class per request paid that
# again for every visitor. Bounded: a commune has one list at a time, and the few it had.
_FORM_CLASSES: dict[tuple, type] = {}
_MAX_FORM_CLASSES = 256


def _question_key(q, locale: str) -> tuple:
    label = q.text_en if locale == "en" and q.text_en else q.text
    return q.code, label, bool(q.asks_details)


def declaration_form(questions, *, base=DeclarationForm, locale: str = "vi", **kwargs):
    """An instance of `base` with a yes/no field per health question, and a details box for
    each that asks for details."""
    questions = list(questions)
    key = (base, locale, tuple(_question_key(q, locale) for q in questions))
    bound = _FORM_CLASSES.get(key)
    if bound is None:
        class BoundDeclarationForm(base):
            """The declaration with these questions (a class of its own: fields are per
            class)."""

        for code, label, asks_details in key[2]:
            setattr(BoundDeclarationForm, f"q_{code}", FixedChoiceRadio(
                label, choices=YES_NO,
                validators=[InputRequired(message=_l("Answer yes or no."))]))
            if not asks_details:
                continue  # nothing to write in: no box, and nothing posted for it is kept
            setattr(BoundDeclarationForm, f"q_{code}_details", StringField(
                _l("If yes, give details"), validators=[
                    Optional(), Length(max=255, message=_l("At most 255 characters."))]))
        if len(_FORM_CLASSES) >= _MAX_FORM_CLASSES:
            _FORM_CLASSES.clear()
        _FORM_CLASSES[key] = bound = BoundDeclarationForm
    form = bound(**kwargs)
    # The questions themselves (their text as asked, whether a yes is a symptom) belong to the
    # request: set on the instance, never on the shared class.
    form.questions = questions
    return form


class QuestionForm(BaseForm):
    """One health question of the declaration, as the admin writes it."""

    text = TextAreaField(_l("Question (Vietnamese)"), validators=[
        DataRequired(message=_l("Enter the question.")),
        Length(max=500, message=_l("At most 500 characters."))], render_kw={"rows": 3})
    text_en = TextAreaField(_l("Question (English, optional)"), validators=[
        Optional(), Length(max=500, message=_l("At most 500 characters."))],
        render_kw={"rows": 2})
    asks_details = BooleanField(_l("A \"yes\" asks for details (which places, which signs)"))
    is_symptom = BooleanField(_l("A \"yes\" counts as a symptom in statistics and tracing"))
