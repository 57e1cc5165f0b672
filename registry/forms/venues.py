"""Venue forms: register or edit a venue, suspend it, a category; the spreadsheet import,
whose rows go through the same venue form."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from registry.extensions import db
from registry.forms import BaseForm, choices, int_or_none
from registry.forms.communes import ClockTimeField
from registry.forms.imports import RowForm, empty_cells, read_table, take_form_errors
from registry.forms.fields import PhoneField
from registry.forms.validators import VietnamesePhone, phone_refusal
from registry.models import Commune, VenueStatus
from registry.phones import PhoneError, parse_phone
from registry.services.communes import villages_for
from registry.services.imports import ImportResult
from registry.services.venues import VenueFilter, categories_for, venue_key, venues_by_key
from registry.text import fold


class VenueForm(BaseForm):
    """A venue as the clerk registers or edits it."""

    name = StringField(_l("Venue name"), validators=[
        DataRequired(message=_l("Enter the venue's name.")),
        Length(max=200, message=_l("At most 200 characters."))])
    category_id = SelectField(_l("Category"), coerce=int_or_none, validators=[
        DataRequired(message=_l("Choose a category."))])
    address = StringField(_l("Address"), validators=[
        Optional(), Length(max=255, message=_l("At most 255 characters."))])
    village_id = SelectField(_l("Village / residential group"), coerce=int_or_none,
                             validators=[Optional()])
    manager_name = StringField(_l("Person responsible for the QR code"), validators=[
        DataRequired(message=_l("Enter the name of the person responsible.")),
        Length(max=120, message=_l("At most 120 characters."))])
    manager_phone = PhoneField(_l("Their phone"), validators=[
        DataRequired(message=_l("Enter the phone of the person responsible.")),
        VietnamesePhone()])
    point_lines = TextAreaField(_l("Check-in points (one per line)"), validators=[
        Optional(), Length(max=2000, message=_l("At most 2000 characters."))],
        description=_l("Entrances or areas, each with its own QR poster. Empty: one point "
                       "\"Cổng chính\"."))
    notes = TextAreaField(_l("Notes"), validators=[
        Optional(), Length(max=2000, message=_l("At most 2000 characters."))])
    closing_time = ClockTimeField(
        _l("Closes at"), validators=[Optional()],
        description=_l("Visits still open then are closed automatically. Empty: the commune's "
                       "default."),
        render_kw={"inputmode": "numeric", "placeholder": "22:00", "maxlength": 8})
    default_stay_minutes = IntegerField(
        _l("Usual length of a visit (minutes)"), validators=[
            Optional(), NumberRange(min=0, max=720, message=_l("Between 0 and 720 minutes."))],
        description=_l("Tracing takes a visit without an exit time to last this long."),
        render_kw={"inputmode": "numeric"})

    def point_names(self) -> list[str]:
        """The check-in point names typed, one per line."""
        return [line for line in (self.point_lines.data or "").splitlines() if line.strip()]


class VenueStatusForm(BaseForm):
    """Suspend or reactivate, with a reason."""

    reason = StringField(_l("Reason"), validators=[
        Optional(), Length(max=255, message=_l("At most 255 characters."))])


class VenueImportForm(BaseForm):
    """Upload a spreadsheet of venues."""

    file = FileField(_l("Spreadsheet (.xlsx or .csv)"), validators=[
        FileRequired(message=_l("Choose a file.")),
        FileAllowed(["xlsx", "csv"], message=_l("Only .xlsx or .csv files."))])


class CategoryForm(BaseForm):
    """A venue category of the commune's own."""

    name = StringField(_l("Name"), validators=[
        DataRequired(message=_l("Enter a name.")),
        Length(max=120, message=_l("At most 120 characters."))])


def fill_venue_choices(form: VenueForm, commune_id: int) -> None:
    """The commune's categories and villages as the form's choices; the commune's default
    closing time shown in the empty closing time."""
    default = db.session.get(Commune, commune_id).default_closing_time
    form.closing_time.render_kw = {**(form.closing_time.render_kw or {}),
                                   "placeholder": default.strftime("%H:%M")}
    form.category_id.choices = choices(((c.id, c.name) for c in categories_for(commune_id)),
                                       _("— choose —"))
    form.village_id.choices = choices(((v.id, v.name) for v in villages_for(commune_id)),
                                      _("— none —"))


# --- the spreadsheet import ------------------------------------------------------------------

# Columns of the template, in order: (key, header as printed in the template).
IMPORT_COLUMNS = (
    ("name", _l("Venue name")),
    ("category", _l("Category")),
    ("address", _l("Address")),
    ("village", _l("Village / residential group")),
    ("manager_name", _l("Person responsible")),
    ("manager_phone", _l("Phone")),
    ("points", _l("Check-in points (separated by ;)")),
    ("notes", _l("Notes")),
)
IMPORT_REQUIRED = ("name", "category", "manager_name", "manager_phone")
# The venue form's field behind each column.
FIELD_COLUMNS = {"name": "name", "category_id": "category", "address": "address",
                 "village_id": "village", "manager_name": "manager_name",
                 "manager_phone": "manager_phone", "point_lines": "points", "notes": "notes"}


def import_header() -> list[str]:
    """The header row of the import template, in the user's language."""
    return [str(label) for _key, label in IMPORT_COLUMNS]


def preview_columns() -> list[tuple[str, str]]:
    """The columns the import preview shows, with their headers."""
    return [(key, str(label)) for key, label in IMPORT_COLUMNS
            if key in ("name", "category", "address", "village", "manager_name",
                       "manager_phone")]


def phone_cell_message(value: str) -> str:
    """A refused phone cell in words that name the cell's value."""
    try:
        parse_phone(value)
    except PhoneError as exc:
        if exc.reason != "not_a_number":
            return _("\"%(value)s\": %(message)s", value=value,
                     message=phone_refusal(exc, ""))
    return _("\"%(value)s\" is not a phone number.", value=value)


def _cell_message(column: str, value: str) -> str | None:
    if column == "manager_phone":
        return phone_cell_message(value)
    return None


def parse_venue_rows(commune_id: int, rows: list[list[str]]) -> ImportResult:
    """Check every row with the venue form and against the commune's categories and villages;
    nothing is written."""
    table, data = read_table(rows, IMPORT_COLUMNS, IMPORT_REQUIRED, header_help=_(
        "The first row must hold the column names of the template (at least: venue name, "
        "category, person responsible, phone). Download the template and copy your data "
        "into it."), empty_help=_("The file has no venue rows."))
    if data is None:
        return table
    categories = {}
    for c in categories_for(commune_id):
        categories[fold(c.name)] = c
        categories[fold(c.code)] = c
    villages = {fold(v.name): v for v in villages_for(commune_id)}
    labels = {key: str(label) for key, label in IMPORT_COLUMNS}
    form = VenueForm(formdata=None, meta={"csrf": False})
    fill_venue_choices(form, commune_id)
    checker = RowForm(form)
    registered = venues_by_key(commune_id)
    seen: dict[str, int] = {}
    for row in data:
        if row.is_sample:
            continue
        values = row.values
        skip = empty_cells(row, IMPORT_REQUIRED, labels)
        category = categories.get(fold(values.get("category", "")))
        if values.get("category") and category is None:
            row.errors.append((labels["category"], _(
                "Unknown category \"%(value)s\".", value=values["category"])))
            skip.add("category")
        village = villages.get(fold(values["village"])) if values.get("village") else None
        if values.get("village") and village is None:
            row.errors.append((labels["village"], _(
                "Unknown village \"%(value)s\": add it to the commune's list first.",
                value=values["village"])))
            skip.add("village")
        checker.check({
            "name": values.get("name", ""), "category_id": str(category.id) if category else "",
            "address": values.get("address", ""), "village_id": str(village.id) if village else "",
            "manager_name": values.get("manager_name", ""),
            "manager_phone": values.get("manager_phone", ""),
            "point_lines": "\n".join((values.get("points") or "").split(";")),
            "notes": values.get("notes", "")})
        take_form_errors(row, checker, FIELD_COLUMNS, labels, skip, _cell_message)
        key = venue_key(values.get("name", ""), values.get("address", ""))
        if values.get("name") and key in seen:
            row.errors.append((labels["name"], _(
                "The same venue is already on row %(line)s.", line=seen[key])))
        seen.setdefault(key, row.line)
        match = registered.get(key) if values.get("name") else None
        if match is not None:
            row.existing_id = match.id
            row.existing_label = _("Already registered: %(venue)s", venue=match.name + (
                f", {match.address}" if match.address else ""))
        row.cleaned = {
            "name": form.name.data, "category_id": form.category_id.data,
            "address": form.address.data or None, "village_id": form.village_id.data,
            "manager_name": form.manager_name.data, "manager_phone": form.manager_phone.data,
            "notes": form.notes.data or None, "point_names": form.point_names()}
    return ImportResult(rows=data)


def venue_filter_from_args(args) -> VenueFilter:
    """The venue list's filter from a query string (?q=&category=&village=&status=): the list
    itself, its export, and the poster batch of "every venue matching the filter"."""
    def as_int(name):
        value = args.get(name, "")
        return int(value) if value.isdigit() else None

    status = args.get("status")
    return VenueFilter(
        query=(args.get("q") or "")[:100],
        category_id=as_int("category"),
        village_id=as_int("village"),
        status=VenueStatus(status) if status in {s.value for s in VenueStatus} else None,
    )
