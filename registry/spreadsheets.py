"""Reading and writing spreadsheets (.xlsx with openpyxl, .csv): the rows of an upload, and the
workbook of an export."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from registry.text import nfc

MAX_ROWS = 20000


class SpreadsheetError(ValueError):
    """The upload is not a readable spreadsheet."""


def _decode_csv(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1258", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError("encoding")


def read_rows(filename: str, data: bytes) -> list[list[str]]:
    """All rows of the first sheet as lists of NFC strings ('' for empty cells)."""
    rows: list[list[str]] = []
    if filename.lower().endswith(".csv"):
        text = _decode_csv(data)
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        source: Iterable = csv.reader(io.StringIO(text), dialect)
    else:
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise SpreadsheetError("xlsx") from exc
        source = workbook.worksheets[0].iter_rows(values_only=True)
    for row in source:
        cells = ["" if c is None else nfc(_cell_text(c)) for c in row]
        rows.append(cells)
        if len(rows) > MAX_ROWS:
            raise SpreadsheetError("too_many_rows")
    while rows and not any(rows[-1]):
        rows.pop()
    return rows


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """A one-sheet workbook with a bold header row and sensible column widths."""
    workbook = Workbook(write_only=False)
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(str(h)) for h in header]
    for row in rows:
        values = list(row)
        sheet.append(values)
        for i, v in enumerate(values[: len(widths)]):
            widths[i] = max(widths[i], min(len(str(v or "")), 60))
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width + 2
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
