"""Spreadsheet rows checked by the same form classes as the web pages: each row is put into the
feature's form as if it had been typed there, so an import and a form can never disagree on what
is valid. What only a spreadsheet can get wrong (a missing column, an empty cell, a name that is
not on a list, the same row twice) is checked here, with the cell's value in the message."""
from __future__ import annotations

import io
from collections.abc import Callable, Iterable

from flask_babel import gettext as _
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from werkzeug.datastructures import MultiDict

from registry.services.imports import ImportResult, ImportRow, header_index, is_sample_row
from registry.spreadsheets import write_xlsx


class RowForm:
    """One form object reused for every row (building a form per row would cost more than the
    checks themselves on a 10,000-row file)."""

    def __init__(self, form):
        self.form = form

    def check(self, data: dict) -> bool:
        """Fill the form with one row's cells (field name → text) and validate it."""
        form = self.form
        form.process(MultiDict(data))
        for field in form:
            field.warnings = []
        return form.validate()

    def errors(self) -> dict[str, list[str]]:
        """The form's messages by field name, after `check`."""
        return {name: [str(e) for e in errors] for name, errors in self.form.errors.items()}

    def warnings(self) -> dict[str, list[str]]:
        """Warnings that do not refuse the row (an odd phone range), by field name."""
        return {field.name: [str(w) for w in field.warnings]
                for field in self.form if getattr(field, "warnings", None)}


def read_table(rows: list[list[str]], columns, required, *, header_help: str,
               empty_help: str, aliases: dict | None = None):
    """(column index by key, data rows with their line numbers) from a sheet's rows, or an
    ImportResult carrying the header error when the sheet cannot be read as the template."""
    if not rows:
        return ImportResult(rows=[], header_error=_("The file is empty.")), None
    index = header_index(rows[0], columns, required, aliases)
    if index is None:
        return ImportResult(rows=[], header_error=header_help), None
    data = []
    first_key = columns[0][0]
    for number, raw in enumerate(rows[1:], start=2):
        if not any(raw):
            continue
        row = ImportRow(line=number, values={key: (raw[i] if i < len(raw) else "")
                                             for key, i in index.items()})
        row.is_sample = is_sample_row(row.values, first_key)
        data.append(row)
    if not any(not r.is_sample for r in data):
        return ImportResult(rows=[], header_error=empty_help), None
    return index, data


def sample_marker() -> str:
    """The words that open the template's sample row, in the user's language ("Ví dụ:")."""
    return _("Example:")


def template_xlsx(title: str, header: list[str], sample: list[str]) -> bytes:
    """An import template: the header and one sample row, marked as a sample three ways (its
    first cell opens with "Ví dụ:", grey italic type on a yellow fill, a note on the cell), so
    nobody takes it for data; the import leaves it out even when it is kept."""
    row = [f"{sample_marker()} {sample[0]}", *sample[1:]]
    workbook = load_workbook(io.BytesIO(write_xlsx(title, header, [row])))
    sheet = workbook.active
    for cell in sheet[2]:
        cell.font = Font(italic=True, color="808080")
        cell.fill = PatternFill("solid", fgColor="FFF6D5")
    sheet["A2"].comment = Comment(_("Sample row: it is never imported. Write your data from "
                                    "the next row, or over this one."), "registry")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def empty_cells(row: ImportRow, required: Iterable[str], labels: dict) -> set[str]:
    """Note each required cell left empty; returns their keys."""
    empty = {key for key in required if not row.values.get(key)}
    for key in required:
        if key in empty:
            row.errors.append((labels[key], _("This cell is empty.")))
    return empty


def take_form_errors(row: ImportRow, checker: RowForm, field_columns: dict, labels: dict,
                     skip: set[str], cell_message: Callable[[str, str], str | None]) -> None:
    """Copy the form's refusals and warnings onto the row, by column; columns in `skip` already
    have a message. `cell_message(column, value)` may word a refusal for a spreadsheet (naming
    the value in the cell) instead of the form's own words."""
    for field_name, messages in checker.errors().items():
        column = field_columns.get(field_name)
        if column is None or column in skip:
            continue
        worded = cell_message(column, row.values.get(column, ""))
        for message in ([worded] if worded else messages):
            row.errors.append((labels[column], message))
    for field_name, messages in checker.warnings().items():
        column = field_columns.get(field_name)
        if column is not None:
            row.warnings.extend((labels[column], m) for m in messages)
