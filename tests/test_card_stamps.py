"""Cards stamped onto copies of a blank sheet laid out once (issue 14): each card's lines where
WeasyPrint's own layout of the same card puts them, typed text printed as text, a name wrapped
inside its column, a character the bundled font lacks laid out by WeasyPrint instead, and the
code still 50 mm and decodable."""
from __future__ import annotations

import io

import pdfplumber
import pypdfium2
from flask_babel import force_locale

from registry.extensions import db
from registry.models import Commune
from registry.pdf.card_stamps import stampable
from registry.pdf.cards import (GEOMETRY, LONG_NAME, _card_view, balanced_lines,
                                laid_out_cards_pdf, render_cards_pdf)
from registry.pdf.qr import PT_PER_MM
from registry.services.residents.cards import card_url, issue_card
from tests.pdfcheck import decode_qr, font_names, page_texts
from tests.scenes import village_named
from tests.test_print import _embedded_fonts

LABELS = {"born": "Năm sinh", "number": "Số thẻ"}


def _cards(commune, make_resident, names):
    cards = [issue_card(make_resident(full_name=name, birth_year=1950 + i,
                                      village_id=village_named(commune, "Thôn Tây").id),
                        make_resident.clerk) for i, name in enumerate(names)]
    db.session.commit()
    return cards


def _both_ways(app, commune, cards):
    commune = db.session.get(Commune, commune.id)
    with app.test_request_context():
        stamped = render_cards_pdf(commune, cards)
        with force_locale("vi"):
            laid_out = laid_out_cards_pdf(commune, [_card_view(c) for c in cards], single=False,
                                          title_lines=balanced_lines("THẺ KIỂM SOÁT DỊCH BỆNH"))
    return stamped, laid_out


def _words(pdf: bytes) -> list[tuple[str, float, float]]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return sorted((w["text"], round(w["x0"], 1), round(w["top"], 1))
                      for w in doc.pages[0].extract_words())


def _images(pdf: bytes) -> list[tuple[float, ...]]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return sorted(tuple(round(i[k], 1) for k in ("x0", "top", "x1", "bottom"))
                      for i in doc.pages[0].images)


def test_stamped_lines_stand_where_the_laid_out_card_puts_them(app, commune, make_resident):
    names = ["Nguyễn Thị Thanh Hương", "Lê Văn Tám", "Tôn Nữ Thị Hoàng Oanh Phương Thảo"]
    cards = _cards(commune, make_resident, names)
    stamped, laid_out = _both_ways(app, commune, cards)
    ours, theirs = _words(stamped), _words(laid_out)
    assert [w[0] for w in ours] == [w[0] for w in theirs]  # the same words, the same lines
    for (text, x, top), (_t, x2, top2) in zip(ours, theirs):
        assert abs(x - x2) <= 0.6 and abs(top - top2) <= 0.8, (text, x, top, x2, top2)
    assert len(_images(stamped)) == 3
    for ours_box, theirs_box in zip(_images(stamped), _images(laid_out)):
        assert all(abs(a - b) <= 0.3 for a, b in zip(ours_box, theirs_box))
    # The stamped text is in the bundled face, embedded, and reads back as typed.
    assert font_names(stamped) == {"Card-Sans", "Card-Sans-Bold"}
    assert all(_embedded_fonts(stamped).values())
    assert "Tôn Nữ Thị Hoàng\nOanh Phương Thảo" in page_texts(stamped)[0]
    codes = decode_qr(stamped, dpi=200)
    assert {c["text"] for c in codes} == {card_url(c) for c in cards}
    assert all(c["width_mm"] >= 50 for c in codes)


def test_typed_text_is_printed_as_text(app, commune, make_resident):
    name = "Trần (Bé) \\ <b>&amp; Tj"
    (card,) = _cards(commune, make_resident, [name])
    with app.test_request_context():
        pdf = render_cards_pdf(db.session.get(Commune, commune.id), [card], single=True)
    # Set glyph by glyph (codes, not a PDF string): brackets and backslashes cannot end it.
    assert name in " ".join(line.strip() for line in page_texts(pdf)[0].splitlines())


def test_a_long_name_wraps_inside_its_column_at_the_smaller_size(app, commune, make_resident):
    name = "Công Tôn Nữ Thị Hoàng Oanh Phương Thảo Nguyên"
    assert len(name) > LONG_NAME
    (card,) = _cards(commune, make_resident, [name])
    with app.test_request_context():
        pdf = render_cards_pdf(db.session.get(Commune, commune.id), [card], single=True)
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[0]
        right = page.width - GEOMETRY.text_right * PT_PER_MM
        name_chars = [c for c in page.chars if c["fontname"].endswith("Card-Sans-Bold")
                      and c["text"] in "ôơ"]
        assert name_chars and all(abs(c["size"] - 7.5) < 0.05 for c in name_chars)
        assert all(c["x1"] <= right + 0.5 for c in page.chars)
        name_lines = {round(c["top"]) for c in page.chars if abs(c["size"] - 7.5) < 0.05
                      and c["fontname"].endswith("Card-Sans-Bold") and c["text"] != " "}
    assert len(name_lines) >= 3  # title lines aside, the name takes two lines or more
    assert name in " ".join(line.strip() for line in page_texts(pdf)[0].splitlines())


def test_a_character_the_font_lacks_is_laid_out_by_weasyprint(app, commune, make_resident):
    cards = _cards(commune, make_resident, ["Lý 李 Minh", "Hà Văn Bình"])
    views = [_card_view(c) for c in cards]
    assert not stampable(views, LABELS)
    assert stampable(views[1:], LABELS)
    with app.test_request_context():
        pdf = render_cards_pdf(db.session.get(Commune, commune.id), cards)
    # PDFium's reading (pdfminer gives up on the bold face whose subset holds a missing glyph)
    document = pypdfium2.PdfDocument(pdf)
    text = document[0].get_textpage().get_text_range()
    document.close()
    assert "李" in text and "Hà Văn Bình" in text
    assert all(_embedded_fonts(pdf).values())
    assert {c["text"] for c in decode_qr(pdf, dpi=200)} == {card_url(c) for c in cards}
