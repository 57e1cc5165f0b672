"""Reading and writing spreadsheets (.xlsx with openpyxl, .csv) for imports and exports."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from registry.text import fold, nfc

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


# --- imports: every row checked, errors per row and column, all or nothing ------------------

@dataclass
class ImportRow:
    """One spreadsheet row, parsed, with its errors per column."""

    line: int
    values: dict
    errors: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ImportResult:
    """The parsed rows and whether every one is valid."""

    rows: list[ImportRow]
    header_error: str | None = None

    @property
    def is_valid(self) -> bool:
        return self.header_error is None and bool(self.rows) and \
            all(not r.errors for r in self.rows)

    @property
    def error_count(self) -> int:
        return sum(len(r.errors) for r in self.rows)


def header_index(header: list[str], columns, required, aliases: dict | None = None
                 ) -> dict[str, int] | None:
    """Which column holds each key, from a header row in Vietnamese or English, in any order,
    ignoring case and diacritics; None when a required column is missing.

    `columns` is a sequence of (key, lazy label); `aliases` maps other folded headers to keys.
    """
    from flask_babel import force_locale

    known: dict[str, str] = {}
    for key, label in columns:
        for locale in ("vi", "en"):
            with force_locale(locale):
                known[fold(str(label))] = key
        known[key] = key
    known.update(aliases or {})
    index: dict[str, int] = {}
    for i, text in enumerate(header):
        key = known.get(fold(text))
        if key and key not in index:
            index[key] = i
    if not all(k in index for k in required):
        return None
    return index
