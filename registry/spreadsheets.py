"""Reading and writing spreadsheets (.xlsx with openpyxl, .csv): the rows of an upload, and the
workbook of an export."""
from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from registry.text import clean_text, nfc

# The limits of an upload, checked before anything is parsed, so a hostile file is refused at
# once and a worker's memory stays bounded (a 2 MB .xlsx can expand to gigabytes). A commune's
# real files are far smaller: 20,000 residents with a dozen columns make a sheet of about 20 MB.
MAX_ROWS = 20000
MAX_COLUMNS = 60
MAX_CELL_CHARS = 2000
# .xlsx: a zip archive of XML parts. Each part's size once uncompressed (as the archive says it;
# Python's zipfile never returns more than that and fails on a part that lies), all parts
# together, how many times a large part expands, and how many parts there are.
MAX_PART_BYTES = 32 * 1024 * 1024
MAX_ARCHIVE_BYTES = 64 * 1024 * 1024
MAX_RATIO = 100
RATIO_CHECKED_FROM = 1024 * 1024
MAX_PARTS = 500
# .csv: the longest line, in characters (the file itself is at most MAX_CONTENT_LENGTH).
MAX_LINE_CHARS = MAX_COLUMNS * 200


class SpreadsheetError(ValueError):
    """The upload is not a readable spreadsheet, or it is over a limit; `reason` says which
    ("encoding", "xlsx", "csv", "too_large", "too_many_rows", "too_many_columns",
    "cell_too_long", "line_too_long") and `line` the row, when one is to blame."""

    def __init__(self, reason: str, line: int | None = None):
        """`reason`: which check refused the file; `line`: the row to blame, if any."""
        super().__init__(reason)
        self.reason = reason
        self.line = line


def _decode_csv(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1258", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError("encoding")


def check_xlsx_archive(data: bytes) -> None:
    """Refuse an .xlsx whose parts would expand past the limits, before any XML is read."""
    try:
        parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise SpreadsheetError("xlsx") from exc
    if len(parts) > MAX_PARTS:
        raise SpreadsheetError("too_large")
    total = 0
    for part in parts:
        total += part.file_size
        if part.file_size > MAX_PART_BYTES or total > MAX_ARCHIVE_BYTES:
            raise SpreadsheetError("too_large")
        if part.file_size >= RATIO_CHECKED_FROM and \
                part.file_size > MAX_RATIO * max(part.compress_size, 1):
            raise SpreadsheetError("too_large")


def _check_csv_lines(text: str) -> None:
    """Refuse a CSV with a line over MAX_LINE_CHARS or clearly more lines than MAX_ROWS."""
    lines = 0
    for lines, line in enumerate(io.StringIO(text), start=1):
        if len(line) > MAX_LINE_CHARS:
            raise SpreadsheetError("line_too_long", line=lines)
    if lines > MAX_ROWS * 2:  # quoted line breaks aside, every line is a row
        raise SpreadsheetError("too_many_rows")


def _csv_rows(data: bytes) -> Iterable:
    """The rows of a CSV upload, after its lines were checked (encodings as before)."""
    text = _decode_csv(data)
    _check_csv_lines(text)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return csv.reader(io.StringIO(text), dialect)


def _xlsx_rows(data: bytes):
    """(the open workbook, its first sheet's rows) of an .xlsx whose archive passed."""
    check_xlsx_archive(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        # Rows at their real width, not the size the sheet declares: a sheet declaring
        # A1:XFD1048576 would otherwise pad every row to 16,384 columns and a million rows.
        sheet.reset_dimensions()
        return workbook, sheet.iter_rows(values_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise SpreadsheetError("xlsx") from exc


def read_rows(filename: str, data: bytes) -> list[list[str]]:
    """All rows of the first sheet as lists of NFC strings ('' for empty cells), within the
    limits above (SpreadsheetError otherwise)."""
    workbook = None
    if filename.lower().endswith(".csv"):
        source: Iterable = _csv_rows(data)
    else:
        workbook, source = _xlsx_rows(data)
    rows: list[list[str]] = []
    try:
        for line, row in enumerate(source, start=1):
            if line > MAX_ROWS:
                raise SpreadsheetError("too_many_rows")
            if len(row) > MAX_COLUMNS and any(row[MAX_COLUMNS:]):  # (any() runs in C)
                raise SpreadsheetError("too_many_columns", line=line)
            texts = ["" if c is None else _cell_text(c) for c in row[:MAX_COLUMNS]]
            if any(len(t) > MAX_CELL_CHARS for t in texts):
                raise SpreadsheetError("cell_too_long", line=line)
            rows.append([nfc(t) for t in texts])
    except SpreadsheetError:
        raise
    except csv.Error as exc:  # a field past the csv module's own limit, a stray quote …
        raise SpreadsheetError("csv") from exc
    except Exception as exc:  # damaged XML inside the archive
        raise SpreadsheetError("xlsx") from exc
    finally:
        if workbook is not None:
            workbook.close()
    while rows and not any(rows[-1]):
        rows.pop()
    return rows


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# What a spreadsheet program reads as the start of a formula (OWASP's CSV-injection rule): a cell
# a visitor typed as "=HYPERLINK(…)" or "@SUM(…)" must show as that text, never run.
_FORMULA_START = ("=", "+", "-", "@")


def looks_like_formula(value: str) -> bool:
    """Whether a text cell would be taken for a formula (its first non-space character)."""
    return value.lstrip(" \t\r\n").startswith(_FORMULA_START) or value.startswith(("\t", "\r"))


def export_value(value):
    """A value as an export cell holds it: numbers, dates and empty cells as they are, any other
    value as its text without control and bidirectional characters (a record stored before
    input was cleaned must not break the export)."""
    if value is None or isinstance(value, (bool, int, float, Decimal, date, datetime)):
        return value
    return clean_text(str(value))


def _as_data(cell) -> None:
    """Keep a text cell text: stored as a string (openpyxl would store "=…" as a formula) and,
    when it looks like a formula, with Excel's quote prefix, so editing the cell keeps it text."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if looks_like_formula(cell.value):
            cell.quotePrefix = True


def write_xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """A one-sheet workbook with a bold header row and sensible column widths; every text is
    data, never a formula."""
    workbook = Workbook(write_only=False)
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append([export_value(h) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        _as_data(cell)
    widths = [len(str(h)) for h in header]
    for row in rows:
        values = [export_value(v) for v in row]
        sheet.append(values)
        for cell in sheet[sheet.max_row]:
            _as_data(cell)
        for i, v in enumerate(values[: len(widths)]):
            widths[i] = max(widths[i], min(len(str(v or "")), 60))
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width + 2
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
