"""Importing venues from a spreadsheet: check every row, write all or nothing."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from registry.phones import PhoneError, parse_phone
from registry.services.spreadsheets import ImportResult, ImportRow, header_index
from registry.services.venues import categories_for, register_venue, villages_for
from registry.text import fold

# Columns of the template, in order: (key, header as printed in the template).
COLUMNS = (
    ("name", _l("Venue name")),
    ("category", _l("Category")),
    ("address", _l("Address")),
    ("village", _l("Village / residential group")),
    ("manager_name", _l("Person responsible")),
    ("manager_phone", _l("Phone")),
    ("points", _l("Check-in points (separated by ;)")),
    ("notes", _l("Notes")),
)
REQUIRED = ("name", "category", "manager_name", "manager_phone")


def template_header() -> list[str]:
    """The header row of the import template, in the user's language."""
    return [str(label) for _key, label in COLUMNS]


def parse_venue_rows(commune_id: int, rows: list[list[str]]) -> ImportResult:
    """Check every row against the commune's categories and villages; nothing is written."""
    if not rows:
        return ImportResult(rows=[], header_error=_("The file is empty."))
    index = header_index(rows[0], COLUMNS, REQUIRED)
    if index is None:
        return ImportResult(rows=[], header_error=_(
            "The first row must hold the column names of the template (at least: venue name, "
            "category, person responsible, phone). Download the template and copy your data "
            "into it."))
    categories = {}
    for c in categories_for(commune_id):
        categories[fold(c.name)] = c
        categories[fold(c.code)] = c
    villages = {fold(v.name): v for v in villages_for(commune_id)}
    labels = dict(COLUMNS)
    seen_names: dict[str, int] = {}
    parsed = []
    for number, raw in enumerate(rows[1:], start=2):
        if not any(raw):
            continue
        values = {key: (raw[i] if i < len(raw) else "") for key, i in index.items()}
        row = ImportRow(line=number, values=values)
        for key in REQUIRED:
            if not values.get(key):
                row.errors.append((str(labels[key]), _("This cell is empty.")))
        if len(values.get("name", "")) > 200:
            row.errors.append((str(labels["name"]), _("At most 200 characters.")))
        category = categories.get(fold(values.get("category", "")))
        if values.get("category") and category is None:
            row.errors.append((str(labels["category"]), _(
                "Unknown category \"%(value)s\".", value=values["category"])))
        village = None
        if values.get("village"):
            village = villages.get(fold(values["village"]))
            if village is None:
                row.errors.append((str(labels["village"]), _(
                    "Unknown village \"%(value)s\": add it to the commune's list first.",
                    value=values["village"])))
        phone = None
        if values.get("manager_phone"):
            try:
                phone = parse_phone(values["manager_phone"]).e164
            except PhoneError:
                row.errors.append((str(labels["manager_phone"]), _(
                    "\"%(value)s\" is not a phone number.", value=values["manager_phone"])))
        key = fold(values.get("name", "")) + "|" + fold(values.get("address", ""))
        if values.get("name") and key in seen_names:
            row.errors.append((str(labels["name"]), _(
                "The same venue is already on row %(line)s.", line=seen_names[key])))
        seen_names.setdefault(key, number)
        row.values.update(category_id=category.id if category else None,
                          village_id=village.id if village else None, phone_e164=phone)
        parsed.append(row)
    if not parsed:
        return ImportResult(rows=[], header_error=_("The file has no venue rows."))
    return ImportResult(rows=parsed)


def import_venues(commune_id: int, user, result: ImportResult) -> int:
    """Register every row of a valid import; the caller commits or rolls back as one."""
    if not result.is_valid:
        raise ValueError("import has errors")
    for row in result.rows:
        v = row.values
        register_venue(
            commune_id, user,
            point_names=[p for p in (v.get("points") or "").split(";")],
            name=v["name"], category_id=v["category_id"], address=v.get("address") or None,
            village_id=v["village_id"], manager_name=v["manager_name"],
            manager_phone=v["phone_e164"], notes=v.get("notes") or None,
        )
    return len(result.rows)
