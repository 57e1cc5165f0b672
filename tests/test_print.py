"""The printed documents read back from the PDF: the visitor log's serial in an embedded font,
clear of the table; slips filling their half page in readable type; cards whose text never
breaks inside a number or leaves a word alone, with a 50 mm code and its four-module quiet zone
inside the card; a poster naming each place once."""
from __future__ import annotations

import io
import re

import pdfplumber
import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from registry.extensions import db
from registry.formatting import in_running_text
from registry.models import Commune, FormKind
from registry.pdf.cards import render_cards_pdf
from registry.pdf.paper import batch_pdf, privacy_notice
from registry.pdf.posters import render_posters
from registry.services.paper import custody
from registry.services.residents.cards import issue_card
from tests.pdfcheck import MM_PER_PT, decode_qr, page_texts
from tests.scenes import village_named


def _embedded_fonts(pdf: bytes) -> dict[str, bool]:
    """Every font the pages use, and whether its program is embedded."""
    fonts = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            fonts[str(font["/BaseFont"])] = any(
                key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
    return fonts


def _batch(venue, kind, count=2):
    batch = custody.create_batch(venue.points[0], kind, count, None)
    db.session.commit()
    return batch


def _serial_box(page, serial: str) -> tuple[float, float, float, float]:
    """(x0, top, x1, bottom) in points of the serial as printed: one word."""
    words = [w for w in page.extract_words() if w["text"] == serial]
    assert len(words) == 1, [w["text"] for w in page.extract_words()][:30]
    w = words[0]
    return w["x0"], w["top"], w["x1"], w["bottom"]


def _crosses(box, x0, top, x1, bottom) -> bool:
    return not (x1 <= box[0] or x0 >= box[2] or bottom <= box[1] or top >= box[3])


def test_log_sheet_serial_is_embedded_one_word_and_clear_of_the_table(app, commune,
                                                                      make_venue):
    batch = _batch(make_venue(name="Chợ Nưa"), FormKind.LOG)
    with app.test_request_context():
        pdf = batch_pdf(batch)
    fonts = _embedded_fonts(pdf)
    assert fonts and all(fonts.values()), fonts  # no font left to the printer (no Helvetica)
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for page, sheet in zip(doc.pages, batch.sheets):
            box = _serial_box(page, sheet.serial)
            assert {c["fontname"].split("+")[-1] for c in page.chars
                    if _crosses(box, c["x0"], c["top"], c["x1"], c["bottom"])} == {
                "Liberation-Sans-Bold"}
            assert min(c["size"] for c in page.chars
                       if _crosses(box, c["x0"], c["top"], c["x1"], c["bottom"])) >= 10
            # No other text and no line of the table anywhere near it.
            others = [c for c in page.chars if c["text"].strip()
                      and _crosses(box, c["x0"], c["top"], c["x1"], c["bottom"])
                      and not c["fontname"].startswith("REGSER")]
            assert others == []
            header = next(w for w in page.extract_words() if w["text"] == "Chữ")
            assert box[3] + 8 < header["top"]  # above the table's header row, with room
            for edge in page.edges:
                assert not _crosses(box, edge["x0"] - 0.5, edge["top"] - 0.5, edge["x1"] + 0.5,
                                    edge["bottom"] + 0.5), edge
    assert [c["text"] for c in decode_qr(pdf, 1)] == [batch.sheets[1].serial]


@pytest.mark.parametrize("paper, per_page, half_mm", [("a4", 2, 148.5), ("a5", 1, 210.0)])
def test_slips_use_their_page_in_readable_type(app, commune, make_venue, paper, per_page,
                                               half_mm):
    batch = _batch(make_venue(), FormKind.SLIP, count=per_page)
    with app.test_request_context():
        pdf = batch_pdf(batch, per_page)
    assert all(_embedded_fonts(pdf).values())
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        assert len(doc.pages) == 1
        page = doc.pages[0]
        sizes = [c["size"] for c in page.chars if c["text"].strip()]
        assert min(sizes) >= 7.99  # the privacy notice; nothing smaller
        # Only the privacy notice and the serial's label are small (8 pt); the form's own
        # words, which people read and write beside, are 10 pt or more.
        small = "".join(c["text"] for c in page.chars if c["size"] < 9.99).replace(" ", "")
        with app.test_request_context():
            notice = privacy_notice(in_running_text(commune.name), commune.retention_days)
        assert sorted(small) == sorted(("Sốsê-ri" + notice.replace(" ", "")) * per_page)
        for n, sheet in enumerate(batch.sheets):
            top_mm, bottom_mm = n * half_mm, (n + 1) * half_mm
            chars = [c for c in page.chars if top_mm <= c["top"] * MM_PER_PT < bottom_mm]
            used = (max(c["bottom"] for c in chars) - min(c["top"] for c in chars)) * MM_PER_PT
            assert used > 0.85 * (half_mm - 12), used  # the half is filled, not two thirds
            assert max(c["bottom"] for c in chars) * MM_PER_PT < bottom_mm - 3  # nothing cut
            box = _serial_box(page, sheet.serial)
            assert [c for c in page.chars if c["text"].strip()
                    and not c["fontname"].startswith("REGSER")
                    and _crosses(box, c["x0"], c["top"], c["x1"], c["bottom"])] == []
        assert "Chữ ký người khai" in page_texts(pdf)[0]


def _card(app, commune, make_resident, **fields):
    resident = make_resident(**fields)
    card = issue_card(resident, make_resident.clerk)
    db.session.commit()
    with app.test_request_context():
        return render_cards_pdf(db.session.get(Commune, commune.id), [card], single=True)


def test_card_text_never_breaks_a_number_or_strands_a_word(app, commune, make_resident):
    pdf = _card(app, commune, make_resident, full_name="Nguyễn Thị Thanh Hương",
                village_id=village_named(commune, "Thôn Tây").id)
    lines = [line.strip() for line in page_texts(pdf)[0].splitlines()]
    assert "0237 3868 123" in lines  # the hotline's number on a line of its own
    assert "THẺ KIỂM SOÁT" in lines and "DỊCH BỆNH" in lines  # the title in two even lines
    assert not any(re.fullmatch(r"[A-ZĐÀ-Ỹ]+", line) for line in lines)  # no word alone
    assert any(line.startswith("Số thẻ 0000") for line in lines)
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[0]
        (image,) = page.images
        for c in page.chars:  # text right of the code, inside the card
            assert c["x0"] >= image["x1"] and c["x1"] <= page.width - 2 and c["bottom"] <= \
                page.height - 1.5, c["text"]


def test_card_code_is_50_mm_with_a_four_module_quiet_zone(app, commune, make_resident):
    pdf = _card(app, commune, make_resident)
    (code,) = decode_qr(pdf, dpi=200)
    assert code["width_mm"] >= 50 and code["height_mm"] >= 50
    # The rasterised card: the four modules around the code are white, inside the card.
    dpi = 400
    doc = pypdfium2.PdfDocument(pdf)
    image = doc[0].render(scale=dpi / 72).to_pil().convert("L")
    doc.close()
    (found,) = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    pos = found.position
    left, top = min(pos.top_left.x, pos.bottom_left.x), min(pos.top_left.y, pos.top_right.y)
    right = max(pos.top_right.x, pos.bottom_right.x)
    bottom = max(pos.bottom_left.y, pos.bottom_right.y)
    assert found.extra["ECLevel"] == "H"  # a worn card still reads
    modules = int(found.extra["Version"]) * 4 + 17
    module_px = (right - left) / modules
    quiet = 4 * module_px
    assert left - quiet >= -1 and top - quiet >= -1 and bottom + quiet <= image.height + 1
    pixels = image.load()
    band = [(x, y) for x in range(max(0, int(left - quiet)), int(left) - 1)
            for y in range(int(top), int(bottom), 3)]
    band += [(x, y) for y in range(max(0, int(top - quiet)), int(top) - 1)
             for x in range(int(left), int(right), 3)]
    band += [(x, y) for y in range(int(bottom) + 2, min(image.height, int(bottom + quiet)))
             for x in range(int(left), int(right), 3)]
    assert band and all(pixels[x, y] > 200 for x, y in band)


def test_the_poster_names_each_place_once(app, commune, make_venue):
    venue = make_venue(name="Chợ Nưa", address="Thôn Đông, Xã Triệu Sơn",
                       village_id=village_named(commune, "Thôn Đông").id)
    with app.test_request_context():
        text = page_texts(render_posters([venue.points[0]]))[0]
    line = next(line for line in text.splitlines() if "Thôn Đông" in line)
    assert line.strip() == "Thôn Đông, Xã Triệu Sơn, Thanh Hóa"
    other = make_venue(name="Trường Mầm non", address="Số 2",
                       village_id=village_named(commune, "Thôn Tây").id)
    with app.test_request_context():
        text = page_texts(render_posters([other.points[0]]))[0]
    assert "Số 2, Thôn Tây, Xã Triệu Sơn, Thanh Hóa" in text
