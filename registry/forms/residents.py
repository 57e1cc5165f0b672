"""Resident register forms: add/edit, card actions, printing a selection; the spreadsheet
import, whose rows go through the same resident form."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from registry.forms import BaseForm, choices, int_or_none
from registry.forms.imports import RowForm, empty_cells, read_table, take_form_errors
from registry.forms.fields import PhoneField
from registry.forms.validators import IdNumber, VietnamesePhone, entry_warnings
from registry.forms.venues import phone_cell_message
from registry.idnumbers import cccd_warnings
from registry.models import Sex
from registry.services.communes import villages_for
from registry.services.declarations import parse_sex
from registry.services.imports import ImportResult
from registry.services.residents.households import (HEAD_WORD, clean_household_number,
                                                    heads_by_number, household_head,
                                                    is_head_relation)
from registry.services.residents.register import (needs_capitalisation, parse_birth,
                                                  register_index, usual_capitalisation)
from registry.text import fold


class BirthField(StringField):
    """A year (1980) or a date (05/03/1980); `year` and `day` are set after validation."""

    year = None
    day = None

    def pre_validate(self, form):
        self.year = self.day = None
        if not self.data:
            return
        parsed = parse_birth(self.data)
        if parsed is None:
            raise ValidationError(_l("Enter a year (1980) or a date (05/03/1980) of birth."))
        self.year, self.day = parsed


class ResidentForm(BaseForm):
    """A resident as the clerk adds or edits them."""

    full_name = StringField(_l("Full name"), validators=[
        DataRequired(message=_l("Enter the resident's full name.")),
        Length(max=120, message=_l("At most 120 characters."))])
    birth = BirthField(_l("Year or date of birth"), validators=[
        DataRequired(message=_l("Enter the year or date of birth."))],
        description=_l("For example 1980 or 05/03/1980."))
    sex = SelectField(_l("Sex"), validators=[DataRequired(message=_l("Choose the sex."))])
    id_number = StringField(_l("ID number (CCCD)"), validators=[Optional(), IdNumber()])
    phone = PhoneField(_l("Phone"), validators=[Optional(), VietnamesePhone()])
    village_id = SelectField(_l("Village / residential group"), coerce=int_or_none,
                             validators=[DataRequired(message=_l("Choose the village."))])
    address = StringField(_l("Address"), validators=[
        Optional(), Length(max=255, message=_l("At most 255 characters."))],
        description=_l("House number, lane (optional)."))
    household_number = StringField(_l("Household number"), validators=[
        Optional(), Length(max=20, message=_l("At most 20 characters."))],
        description=_l("As in the household register; members of one household share it."))
    household_relation = StringField(_l("Relation to the head of household"), validators=[
        Optional(), Length(max=40, message=_l("At most 40 characters."))],
        description=_l("\"Chủ hộ\" for the head; otherwise Vợ, Chồng, Con, Bố, Mẹ …"))

    def validate_household_relation(self, field):
        """A relation belongs to a household: it needs the household's number."""
        if field.data and not (self.household_number.data or "").strip():
            raise ValidationError(_l("Enter the household number too."))


def check_household(form: ResidentForm, commune_id: int, resident_id: int | None) -> bool:
    """A household has one head: refuse a second one, naming the head it already has."""
    if not is_head_relation(form.household_relation.data):
        return True
    head = household_head(commune_id, clean_household_number(form.household_number.data),
                          exclude_id=resident_id)
    if head is None:
        return True
    form.household_relation.errors = list(form.household_relation.errors) + [_(
        "Household %(number)s already has a head: %(name)s.", number=head.household_number,
        name=head.full_name)]
    return False


class ResidentImportForm(BaseForm):
    """Upload a spreadsheet of residents."""

    file = FileField(_l("Spreadsheet (.xlsx or .csv)"), validators=[
        FileRequired(message=_l("Choose a file.")),
        FileAllowed(["xlsx", "csv"], message=_l("Only .xlsx or .csv files."))])


class CardActionForm(BaseForm):
    """Issue, reissue or revoke a card, with a reason."""

    reason = StringField(_l("Reason"), validators=[
        Optional(), Length(max=255, message=_l("At most 255 characters."))],
        description=_l("For example: lost, damaged."))


class PrintCardsForm(BaseForm):
    """Which cards to print on A4 sheets."""

    scope = SelectField(_l("Print"), validators=[DataRequired(message=_l("Choose what to print."))])
    village_id = SelectField(_l("Village / residential group"), coerce=int_or_none,
                             validators=[Optional()])
    numbers = TextAreaField(_l("Card numbers or ID numbers"), validators=[
        Optional(), Length(max=20000, message=_l("At most 20000 characters."))],
        description=_l("For a list: one per line, or separated by commas."))

    def validate(self, extra_validators=None) -> bool:
        """A village is needed to print a village, a number to print a list."""
        ok = super().validate(extra_validators=extra_validators)
        if self.scope.data == "village" and not self.village_id.data:
            self.village_id.errors = list(self.village_id.errors) + [
                str(_l("Choose the village."))]
            ok = False
        if self.scope.data == "list" and not (self.numbers.data or "").strip():
            self.numbers.errors = list(self.numbers.errors) + [
                str(_l("Enter at least one card number or ID number."))]
            ok = False
        return ok


def fill_resident_choices(form: ResidentForm, commune_id: int) -> None:
    """Sexes and the commune's villages as the form's choices."""
    form.sex.choices = choices(Sex.choices(), _("— choose —"))
    form.village_id.choices = choices(((v.id, v.name) for v in villages_for(commune_id)),
                                      _("— choose —"))


# --- the spreadsheet import ------------------------------------------------------------------

IMPORT_COLUMNS = (
    ("full_name", _l("Full name")),
    ("birth", _l("Year or date of birth")),
    ("sex", _l("Sex")),
    ("id_number", _l("ID number")),
    ("phone", _l("Phone")),
    ("village", _l("Village / residential group")),
    ("address", _l("Address")),
    ("household_number", _l("Household number")),
    ("household_relation", _l("Relation to the head of household")),
)
IMPORT_REQUIRED = ("full_name", "birth", "sex", "village")
# Headers people write in their own lists (folded), besides the template's.
HEADER_ALIASES = {
    "ho ten": "full_name", "ho va ten": "full_name", "name": "full_name",
    "nam sinh": "birth", "ngay sinh": "birth", "ngay thang nam sinh": "birth",
    "date of birth": "birth", "year of birth": "birth",
    "gioi": "sex", "gender": "sex",
    "cccd": "id_number", "cmnd": "id_number", "so cccd": "id_number", "cccd/cmnd": "id_number",
    "so giay to": "id_number", "so dinh danh ca nhan": "id_number",
    "so dien thoai": "phone", "sdt": "phone", "dt": "phone",
    "thon": "village", "to dan pho": "village", "thon/to": "village", "thon, to dan pho": "village",
    "village": "village",
    "so ho": "household_number", "so ho khau": "household_number", "ma ho": "household_number",
    "ma so ho": "household_number", "so so ho khau": "household_number",
    "ma ho gia dinh": "household_number", "household": "household_number",
    "quan he": "household_relation", "quan he voi chu ho": "household_relation",
    "quan he chu ho": "household_relation", "qh voi chu ho": "household_relation",
    "relation": "household_relation",
}
FIELD_COLUMNS = {"full_name": "full_name", "birth": "birth", "sex": "sex",
                 "id_number": "id_number", "phone": "phone", "village_id": "village",
                 "address": "address", "household_number": "household_number",
                 "household_relation": "household_relation"}


def import_header() -> list[str]:
    """The header row of the import template, in the user's language."""
    return [str(label) for _key, label in IMPORT_COLUMNS]


def _cell_message(column: str, value: str) -> str | None:
    if column == "birth":
        return _("\"%(value)s\" is not a year (1980) or a date (05/03/1980) of birth.",
                 value=value)
    if column == "phone":
        return phone_cell_message(value)
    return None


def offer_usual_capitalisation(field) -> bool:
    """A name typed all in lower case (or all in capitals) is offered with the usual capitals
    instead of being saved as typed: the field now holds "Nguyen Van Binh" and says so; the
    clerk checks it and saves again. True when the form must be shown again."""
    if not needs_capitalisation(field.data):
        return False
    field.data = usual_capitalisation(field.data)
    field.warnings = [_("Names are written with a capital at the start of each word: "
                        "\"%(name)s\". Check it (add any missing accents) and press Save.",
                        name=field.data)]
    return True


def resident_warnings(form: ResidentForm) -> list[str]:
    """What a saved resident's form wants checked: the phone (an old number converted, an odd
    range) and an ID number that disagrees with the year of birth or the sex."""
    return entry_warnings(form.phone, form.id_number.data, form.birth.year, form.sex.data)


def parse_resident_rows(commune_id: int, rows: list[list[str]]) -> ImportResult:
    """Check every row with the resident form and against the commune's villages and register;
    nothing is written."""
    table, data = read_table(rows, IMPORT_COLUMNS, IMPORT_REQUIRED, aliases=HEADER_ALIASES,
                             header_help=_(
        "The first row must hold the column names of the template (at least: full name, "
        "year or date of birth, sex, village). Download the template and copy your data "
        "into it."), empty_help=_("The file has no resident rows."))
    if data is None:
        return table
    villages = {fold(v.name): v for v in villages_for(commune_id)}
    labels = {key: str(label) for key, label in IMPORT_COLUMNS}
    register = register_index(commune_id)
    form = ResidentForm(formdata=None, meta={"csrf": False})
    fill_resident_choices(form, commune_id)
    checker = RowForm(form)
    seen_ids: dict[str, int] = {}
    seen_people: dict[tuple, int] = {}
    heads = heads_by_number(commune_id)
    heads_in_file: dict[str, int] = {}
    for row in data:
        if row.is_sample:
            continue
        values = row.values
        skip = empty_cells(row, IMPORT_REQUIRED, labels)
        # The preview shows the household as one cell: "HK00123 · Vợ".
        row.shown = {"household": " · ".join(v for v in (values.get("household_number"),
                                                           values.get("household_relation"))
                                             if v)}
        try:
            sex = parse_sex(values.get("sex"))
        except ValueError:
            sex = None
            row.errors.append((labels["sex"], _(
                "Write Nam, Nữ or Khác, not \"%(value)s\".", value=values["sex"])))
            skip.add("sex")
        village = villages.get(fold(values["village"])) if values.get("village") else None
        if values.get("village") and village is None:
            row.errors.append((labels["village"], _(
                "Unknown village \"%(value)s\": add it to the commune's list first.",
                value=values["village"])))
            skip.add("village")
        checker.check({
            "full_name": values.get("full_name", ""), "birth": values.get("birth", ""),
            "sex": sex or "", "id_number": values.get("id_number", ""),
            "phone": values.get("phone", ""), "village_id": str(village.id) if village else "",
            "address": values.get("address", ""),
            "household_number": values.get("household_number", ""),
            "household_relation": values.get("household_relation", "")})
        take_form_errors(row, checker, FIELD_COLUMNS, labels, skip, _cell_message)
        id_number = form.id_number.data if "id_number" not in checker.errors() else None
        full_name = form.full_name.data
        if needs_capitalisation(full_name):
            full_name = usual_capitalisation(full_name)
            row.warnings.append((labels["full_name"], _(
                "Written with the usual capitals: \"%(name)s\".", name=full_name)))
        if not checker.errors().get("birth"):
            row.warnings.extend((labels["id_number"], w) for w in cccd_warnings(
                id_number, form.birth.year, form.sex.data))
        person = (fold(full_name), form.birth.year, form.village_id.data)
        if id_number in seen_ids:
            row.errors.append((labels["id_number"], _(
                "The same ID number is already on row %(line)s.", line=seen_ids[id_number])))
        elif not id_number and full_name and person in seen_people:
            row.errors.append((labels["full_name"], _(
                "The same person (name, year of birth, village) is already on row %(line)s.",
                line=seen_people[person])))
        if id_number:
            seen_ids.setdefault(id_number, row.line)
        seen_people.setdefault(person, row.line)
        match = register.match(id_number, full_name, form.birth.year, form.village_id.data) \
            if full_name else None
        if match is not None:
            row.existing_id = match.id
            person_text = _("%(name)s, born %(year)s, %(village)s", name=match.full_name,
                            year=match.birth_year,
                            village=match.village.name if match.village else "—")
            if id_number and match.id_number == id_number:
                row.existing_label = _("A resident with this ID number is already in the "
                                       "register.") + " " + person_text
                if match.search_name != fold(full_name) or match.birth_year != form.birth.year:
                    row.warnings.append((labels["id_number"], _(
                        "The register has this ID number for someone with another name or "
                        "year of birth: check the row before updating.")))
            else:
                row.existing_label = _("Already in the register: %(person)s",
                                       person=person_text)
        # After the match: the head already registered may be this very row, imported again.
        _check_head(row, values, labels, heads, heads_in_file)
        row.cleaned = {
            "full_name": full_name, "birth_year": form.birth.year,
            "birth_date": form.birth.day, "sex": form.sex.data, "id_number": id_number,
            "phone": form.phone.data or None, "village_id": form.village_id.data,
            "address": form.address.data or None,
            "household_number": form.household_number.data or None,
            "household_relation": form.household_relation.data or None}
    return ImportResult(rows=data)


def preview_columns() -> list[tuple[str, str]]:
    """The columns the import preview shows, with their headers; the household's number and
    relation in one column."""
    return [(key, str(label)) for key, label in IMPORT_COLUMNS
            if key not in ("address", "household_number", "household_relation")] + [
        ("household", _("Household"))]


def _check_head(row, values: dict, labels: dict, heads: dict, heads_in_file: dict) -> None:
    """One head per household: not a second one in the file, nor one the register has (unless
    the row is that head, imported again)."""
    if not is_head_relation(values.get("household_relation")):
        return
    number = clean_household_number(values.get("household_number"))
    if not number:
        return
    label = labels["household_relation"]
    if number in heads and heads[number].id != row.existing_id:
        row.errors.append((label, _("Household %(number)s already has a head: %(name)s.",
                                    number=number, name=heads[number].full_name)))
    elif number in heads_in_file:
        row.errors.append((label, _(
            "Household %(number)s has another head (\"%(word)s\") on row %(line)s.",
            number=number, word=HEAD_WORD, line=heads_in_file[number])))
    else:
        heads_in_file[number] = row.line
