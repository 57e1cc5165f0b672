"""Benchmark: peak memory and time of reading an upload, hostile or not.

Run: PYTHONPATH=. $VENV/bin/python -m bench.bench_uploads [--bomb-mib 2048] [--old-mib 256]
Each case runs in a fresh interpreter, so its peak resident memory (VmHWM) is its own:
- baseline: a real 19,999-row (and header), 10-column resident sheet read by `read_rows` (the
  largest file the limits allow in rows);
- zip bomb: a real .xlsx whose one cell expands to --bomb-mib MiB (refused by the archive check);
- row bomb: a sheet of 2,000,000 empty-looking rows in a small file (refused: it expands
  more than 100 times);
- unchecked: openpyxl reading a --old-mib MiB bomb the way the registry did before the checks
  (kept small: at 2 GiB it grew a worker past 4 GB).
"""
from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CASE = """
import json, sys, time
def peak():  # VmHWM: this process's own peak (ru_maxrss carries the parent's over exec)
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            return int(line.split()[1])
from registry.spreadsheets import SpreadsheetError, read_rows
data = open(sys.argv[1], 'rb').read()
mode = sys.argv[2]
start = time.perf_counter()
if mode == 'unchecked':
    import io
    from openpyxl import load_workbook
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    outcome = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
else:
    try:
        outcome = len(read_rows('upload.xlsx', data))
    except SpreadsheetError as error:
        outcome = error.reason
elapsed = time.perf_counter() - start
print(json.dumps([outcome, peak(), elapsed]))
"""


def _sheet_bomb(head: bytes, body_chunk: bytes, repeats: int, tail: bytes) -> bytes:
    """A real .xlsx whose sheet is `head`, `repeats` times `body_chunk`, then `tail`."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Họ và tên"])
    plain = io.BytesIO()
    book.save(plain)
    template = zipfile.ZipFile(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for item in template.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(item, template.read(item))
                continue
            with bomb.open(item.filename, "w", force_zip64=True) as sheet:
                sheet.write(head)
                for _ in range(repeats):
                    sheet.write(body_chunk)
                sheet.write(tail)
    return out.getvalue()


HEAD = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats'
        b'.org/spreadsheetml/2006/main"><sheetData>')


def cell_bomb(mib: int) -> bytes:
    """One inline-string cell of `mib` MiB."""
    return _sheet_bomb(HEAD + b'<row r="1"><c r="A1" t="inlineStr"><is><t>', b"A" * 1024 * 1024,
                       mib, b"</t></is></c></row></sheetData></worksheet>")


def row_bomb(rows: int) -> bytes:
    """`rows` rows of one empty cell each."""
    chunk = b"".join(b'<row r="%d"><c r="A%d"/></row>' % (i, i) for i in range(1, 1001))
    return _sheet_bomb(HEAD, chunk, rows // 1000, b"</sheetData></worksheet>")


def residents(rows: int) -> bytes:
    """A plausible resident register: `rows` rows, 10 columns."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["Họ và tên", "Năm sinh", "Giới tính", "Thôn", "Địa chỉ", "Điện thoại",
                  "Số định danh", "Dân tộc", "Nghề nghiệp", "Ghi chú"])
    for i in range(rows):
        sheet.append([f"Nguyễn Văn Dân {i}", 1950 + i % 60, "Nam" if i % 2 else "Nữ",
                      f"Thôn {i % 10}", f"Số {i} đường Lê Lợi", f"09{i:08d}", f"0380{i:08d}",
                      "Kinh", "Nông dân", ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _run(data: bytes, mode: str, label: str) -> None:
    """Read `data` in a fresh interpreter and print its outcome, peak memory and time."""
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as file:
        file.write(data)
        file.flush()
        done = subprocess.run([sys.executable, "-c", _CASE, file.name, mode], cwd=ROOT,
                              capture_output=True, text=True, check=True,
                              env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    outcome, peak_kib, seconds = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{label:<44} {len(data) / 1024:>9.0f} KiB  peak {peak_kib / 1024:>7.0f} MiB  "
          f"{seconds:>6.2f} s  -> {outcome}")


def main() -> None:
    """Build the files and print one line per case."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bomb-mib", type=int, default=2048)
    parser.add_argument("--old-mib", type=int, default=256)
    args = parser.parse_args()
    start = time.perf_counter()
    _run(residents(19999), "checked", "baseline: 19,999 residents + header (read)")
    _run(cell_bomb(args.bomb_mib), "checked", f"zip bomb: one cell of {args.bomb_mib} MiB")
    _run(row_bomb(2_000_000), "checked", "row bomb: 2,000,000 rows")
    _run(cell_bomb(args.old_mib), "unchecked",
         f"unchecked openpyxl: one cell of {args.old_mib} MiB")
    print(f"(whole run {time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
