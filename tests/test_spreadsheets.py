"""Hostile and careless spreadsheets: every upload is checked before it is parsed (archive
expansion, rows, columns, cells, CSV lines); every export is data, never a formula."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from registry import spreadsheets
from registry.models import Role
from registry.spreadsheets import SpreadsheetError, read_rows, write_xlsx

ROOT = Path(__file__).resolve().parent.parent
XLSX_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _workbook_bytes(fill) -> bytes:
    workbook = Workbook()
    fill(workbook.active)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def zip_bomb_xlsx(expanded_bytes: int) -> bytes:
    """A real .xlsx (made by openpyxl) whose sheet is replaced by one inline-string cell that
    expands to `expanded_bytes`: a few hundred kilobytes on disk."""
    template = zipfile.ZipFile(io.BytesIO(_workbook_bytes(lambda s: s.append(["Tên"]))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for item in template.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(item, template.read(item))
                continue
            with bomb.open(item.filename, "w", force_zip64=True) as sheet:
                sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://'
                            b'schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                            b'<row r="1"><c r="A1" t="inlineStr"><is><t>')
                chunk = b"A" * (4 * 1024 * 1024)
                for _ in range(expanded_bytes // len(chunk)):
                    sheet.write(chunk)
                sheet.write(b"</t></is></c></row></sheetData></worksheet>")
    return out.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """2 MB or less that opens to 1 GiB."""
    data = zip_bomb_xlsx(1024 ** 3)
    assert len(data) < 2 * 1024 * 1024
    return data


def _upload(client, url: str, data: bytes, name: str):
    """Post the file as a browser does. The body is encoded here, in memory: the test client
    would spool a large one to a temporary file that nothing closes."""
    boundary, body = encode_multipart(MultiDict({"file": FileStorage(io.BytesIO(data), name)}))
    return client.post(url, data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def _stash_count(app) -> int:
    folder = Path(app.instance_path) / "uploads"
    return len(list(folder.iterdir())) if folder.exists() else 0


@pytest.mark.parametrize("url", ["/venues/import", "/residents/import"])
def test_a_zip_bomb_is_refused_at_once_with_a_clear_message(app, client, auth, make_user, bomb,
                                                            url):
    auth.login(make_user(Role.CLERK))
    response = _upload(client, url, bomb, "nhan-khau.xlsx")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Tệp này khi mở ra lớn hơn 64 MB" in page
    assert _stash_count(app) == 0


def test_the_archive_is_checked_before_anything_is_parsed(bomb, monkeypatch):
    def no_parsing(*args, **kwargs):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(spreadsheets, "load_workbook", no_parsing)
    with pytest.raises(SpreadsheetError) as refused:
        read_rows("bomb.xlsx", bomb)
    assert refused.value.reason == "too_large"


def test_a_highly_compressed_part_is_refused_even_under_the_size_limit():
    data = zip_bomb_xlsx(16 * 1024 * 1024)  # under 32 MB, but 16 MB of one letter: ratio > 100
    with pytest.raises(SpreadsheetError) as refused:
        read_rows("x.xlsx", data)
    assert refused.value.reason == "too_large"


def test_reading_a_zip_bomb_keeps_memory_small(bomb, tmp_path):
    """Peak memory of a fresh interpreter reading the bomb (refused) stays a few hundred MB."""
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(bomb)
    script = (
        "import json, sys\n"
        # VmHWM, the peak of this process's own memory (ru_maxrss would carry over the
        # parent's peak across exec)
        "def peak():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmHWM:'):\n"
        "            return int(line.split()[1])\n"
        "from registry.spreadsheets import SpreadsheetError, read_rows\n"
        "data = open(sys.argv[1], 'rb').read()\n"
        "try:\n"
        "    read_rows('bomb.xlsx', data)\n"
        "    outcome = 'read'\n"
        "except SpreadsheetError as error:\n"
        "    outcome = error.reason\n"
        "print(json.dumps([outcome, peak()]))\n")
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          check=True)
    outcome, peak_kib = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome == "too_large"
    assert peak_kib < 300 * 1024


def test_rows_columns_and_cells_over_the_limits(client, auth, make_user):
    auth.login(make_user(Role.CLERK))
    many_rows = _workbook_bytes(lambda s: [s.append([f"Hàng {i}"]) for i in range(20002)])
    page = _upload(client, "/venues/import", many_rows, "v.xlsx").get_data(as_text=True)
    assert "Tệp có hơn 20.000 hàng" in page

    def wide(sheet):
        sheet.append(["Tên địa điểm"])
        sheet.cell(row=2, column=200, value="x")

    page = _upload(client, "/venues/import", _workbook_bytes(wide), "v.xlsx").get_data(
        as_text=True)
    assert "Hàng 2 có hơn 60 cột" in page
    long_cell = _workbook_bytes(lambda s: (s.append(["Tên địa điểm"]), s.append(["x" * 5000])))
    page = _upload(client, "/venues/import", long_cell, "v.xlsx").get_data(as_text=True)
    assert "Hàng 2 có một ô dài hơn 2.000 ký tự" in page


def test_a_sheet_declaring_every_column_is_read_at_its_real_width():
    def declared_huge(sheet):
        sheet.append(["Tên", "Địa chỉ"])
        sheet.append(["Chợ Nưa", "Thôn Đông"])

    data = _workbook_bytes(declared_huge)
    parts = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for item in parts.infolist():
            body = parts.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b'<dimension ref="A1:B2"/>',
                                    b'<dimension ref="A1:XFD1048576"/>')
                assert b"XFD1048576" in body
            copy.writestr(item, body)
    rows = read_rows("x.xlsx", out.getvalue())
    assert rows[1][:2] == ["Chợ Nưa", "Thôn Đông"]
    assert all(len(r) <= spreadsheets.MAX_COLUMNS for r in rows)


def test_csv_lines_rows_and_fields_over_the_limits(client, auth, make_user):
    auth.login(make_user(Role.CLERK))
    header = "Tên địa điểm,Loại địa điểm,Địa chỉ\n"
    long_line = (header + "a," * 7000 + "\n").encode()
    page = _upload(client, "/venues/import", long_line, "v.csv").get_data(as_text=True)
    assert "Dòng 2 của tệp dài hơn 12.000 ký tự" in page
    rows = (header + "Chợ,Chợ,Thôn\n" * 40001).encode()
    page = _upload(client, "/venues/import", rows, "v.csv").get_data(as_text=True)
    assert "Tệp có hơn 20.000 hàng" in page
    # One quoted field over many short lines: past the csv module's own field limit.
    field = "\n".join(["x" * 100] * 1500)
    page = _upload(client, "/venues/import", (header + f'"{field}",a,b\n').encode(),
                   "v.csv").get_data(as_text=True)
    assert "Không đọc được tệp này" in page
    # Encodings as before: a Windows-1258 file still reads.
    legacy = (header + "Chợ Nưa,Chợ,Thôn Đông\n").encode("utf-8")
    assert read_rows("v.csv", legacy)[1][0] == "Chợ Nưa"


def test_damaged_xml_inside_the_archive_is_a_message_not_an_error(client, auth, make_user):
    auth.login(make_user(Role.CLERK))
    good = zipfile.ZipFile(io.BytesIO(_workbook_bytes(lambda s: s.append(["Tên"]))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as damaged:
        for item in good.infolist():
            body = good.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = body[: len(body) // 2]
            damaged.writestr(item, body)
    response = _upload(client, "/venues/import", out.getvalue(), "v.xlsx")
    assert response.status_code == 200
    assert "Không đọc được tệp này" in response.get_data(as_text=True)


# --- exports are data ----------------------------------------------------------------------

FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"Bấm\")", "+84 912", "-2+3", "@SUM(A1)",
            "  =1+2", "\t=1+2"]


def test_export_cells_that_look_like_formulas_stay_text():
    data = write_xlsx("T", ["Tên"], [[text] for text in FORMULAS] + [[5], [-3]])
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml
    sheet = load_workbook(io.BytesIO(data)).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    for cell, text in zip(cells, FORMULAS):
        assert cell.data_type == "s" and cell.value == text.replace("\t", "", 0)
        assert cell.quotePrefix  # Excel shows the text and keeps it text when edited
    assert [c.value for c in cells[-2:]] == [5, -3] and not cells[-1].quotePrefix


def test_export_survives_control_characters_already_stored():
    data = write_xlsx("T", ["Tên"], [["Nguyễn\x00 Văn\x07 An\u202e"]])
    assert load_workbook(io.BytesIO(data)).active["A2"].value == "Nguyễn Văn An"
