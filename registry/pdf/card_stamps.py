"""Resident cards printed by the thousand: a sheet of blank cards laid out once, then copied per
sheet and stamped with each card's own code and lines.

Laying out ten cards of text per A4 sheet is what made 10,000 cards take minutes (some 15 ms
of WeasyPrint a card). Every card of a commune shares its frame, agency, title and hotline, so
WeasyPrint lays out the commune's blank sheet once per process (`pdf/cards.html` with
`blank`: two anchors per card, its corner and where its own lines begin); each printed sheet is
a copy of it (`stamping.StampedCopies`) with the cards' QR codes (images of one pixel a module,
drawn without smoothing, as the laid-out card's PNG was) and their lines — name, year of birth,
village, number — set in the bundled Liberation Sans, regular and bold subsets embedded once
per document (`fonts.EmbeddedFont`), broken between words at the width of the card's text
column, at the sizes and line heights of `cards.css`.

A card whose text the font cannot show (a character outside Liberation Sans) is laid out by
WeasyPrint as before, which falls back to another font: `stampable` says which way.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from types import SimpleNamespace

from registry.pdf import STATIC_DIR, render_html_document
from registry.pdf.fonts import (EmbeddedFont, font_covers, vertical_metrics, wrap_words)
from registry.pdf.qr import PT_PER_MM, qr_pixels
from registry.pdf.stamping import StampedCopies

REGULAR = STATIC_DIR / "fonts" / "LiberationSans-Regular.ttf"
BOLD = STATIC_DIR / "fonts" / "LiberationSans-Bold.ttf"
FONT_NAMES = {REGULAR: "RegCardR", BOLD: "RegCardB"}  # in the pages' resources
# named as WeasyPrint names the same files for cards.css's "Card Sans", which the blank uses
FONT_FACES = {REGULAR: "Card-Sans", BOLD: "Card-Sans-Bold"}
PT_PER_PX = 0.75  # WeasyPrint's anchors are in CSS pixels
MM = PT_PER_MM


@dataclass(frozen=True)
class CardGeometry:
    """The card's measures (mm), as `cards.css` and `pdf/cards.py` set them."""
    width: float
    height: float
    qr_side: float
    qr_top: float
    text_left: float  # from the card's left edge
    text_right: float  # margin on the right

    @property
    def text_width_pt(self) -> float:
        return (self.width - self.text_left - self.text_right) * MM


@dataclass(frozen=True)
class TextLine:
    """One line of a card's own text: words, face, size (pt), line height (pt), space above."""
    text: str
    font: object
    size: float
    height: float
    space_before: float = 0.0


def card_lines(view: dict, labels: dict, width_pt: float, long_name: int) -> list[TextLine]:
    """A card's own lines, from the top of its block, as `cards.css` flows them: the name in
    bold (9 pt, 7.5 pt when long) with 1 mm below, the year and the village in 7.5 pt, the
    number in 9 pt bold 1.2 mm lower."""
    name_size = 7.5 if len(view["full_name"]) > long_name else 9.0
    lines = [TextLine(text, BOLD, name_size, name_size * 1.15)
             for text in wrap_words(BOLD, view["full_name"], name_size, width_pt)]
    after_name = 1.0 * MM
    born = TextLine(f"{labels['born']}: {view['birth_year']}", REGULAR, 7.5, 7.5 * 1.3,
                    after_name)
    lines.append(born)
    if view["village"]:
        lines += [TextLine(text, REGULAR, 7.5, 7.5 * 1.3)
                  for text in wrap_words(REGULAR, view["village"], 7.5, width_pt)]
    number = wrap_words(BOLD, f"{labels['number']} {view['number']}", 9.0, width_pt)
    lines += [TextLine(text, BOLD, 9.0, 9.0 * 1.15, 1.2 * MM if i == 0 else 0.0)
              for i, text in enumerate(number)]
    return lines


def stampable(views: list[dict], labels: dict) -> bool:
    """Whether every line of these cards can be set in the bundled fonts (the name and number
    in bold, the year and village in regular, as `card_lines` sets them)."""
    return all(font_covers(BOLD, f"{view['full_name']}{labels['number']}{view['number']}")
               and font_covers(REGULAR, f"{labels['born']}: {view['birth_year']}"
                                        f"{view['village']}")
               for view in views)


@functools.lru_cache(maxsize=16)
def _blank(commune: tuple, single: bool, counts: tuple[int, ...], title_lines: tuple[str, ...],
           geometry: CardGeometry) -> tuple[bytes, list[list[tuple[tuple, tuple]]]]:
    """The blank sheets (one page per count of cards) of a commune, laid out once per process,
    and on each page the anchors of every card: (corner, start of its lines) in points."""
    province_name, name, hotline = commune
    document = render_html_document(
        "pdf/cards.html", ("base.css", "cards.css"), blank=True, single=single,
        sheets=[list(range(count)) for count in counts],
        commune=SimpleNamespace(province_name=province_name, name=name, hotline=hotline),
        title_lines=list(title_lines), qr_mm=geometry.qr_side, qr_top_mm=geometry.qr_top)
    anchors = []
    for sheet_no, (page, count) in enumerate(zip(document.pages, counts, strict=True)):
        spots = []
        for i in range(count):
            corner = page.anchors[f"card-{sheet_no}-{i}"]
            own = page.anchors[f"own-{sheet_no}-{i}"]
            spots.append(((corner[0] * PT_PER_PX, corner[1] * PT_PER_PX),
                          (own[0] * PT_PER_PX, own[1] * PT_PER_PX)))
        anchors.append(spots)
    return document.write_pdf(), anchors


def warm_up_cards(title_lines: list[str], geometry: CardGeometry) -> None:
    """Lay out a made-up commune's blank sheet and throw it away: the cards' fonts are loaded
    into Pango then (the job consumer does it before forking its workers, which then share
    them). Needs an app context; writes nothing."""
    _blank.__wrapped__(("Tỉnh Mẫu", "Xã Mẫu", "+842373868123"), False, (10,),
                       tuple(title_lines), geometry)


def _card_stamp(view: dict, lines: list[TextLine], spot: tuple, page_height: float,
                image_name: str, geometry: CardGeometry, fonts: dict) -> str:
    """The operators of one card: clipped to the card, its code, then its lines."""
    (left, top), (text_x, text_top) = spot
    bottom = page_height - top - geometry.height * MM
    side = geometry.qr_side * MM
    qr_bottom = page_height - top - (geometry.qr_top + geometry.qr_side) * MM
    ops = [f"q {left:.2f} {bottom:.2f} {geometry.width * MM:.2f} {geometry.height * MM:.2f} "
           f"re W n",
           f"q {side:.3f} 0 0 {side:.3f} {left:.3f} {qr_bottom:.3f} cm /{image_name} Do Q",
           "0 g BT"]
    y = text_top
    for line in lines:
        ascent, descent = vertical_metrics(line.font)
        y += line.space_before
        baseline = y + (line.height - (ascent + descent) * line.size) / 2 + ascent * line.size
        font = fonts[line.font]
        ops.append(f"/{FONT_NAMES[line.font]} {line.size:g} Tf 1 0 0 1 {text_x:.2f} "
                   f"{page_height - baseline:.2f} Tm {font.encode(line.text)} Tj")
        y += line.height
    ops.append("ET Q")
    return "\n".join(ops)


def stamp_cards(commune, views: list[dict], *, single: bool, per_sheet: int, labels: dict,
                title_lines: list[str], geometry: CardGeometry, long_name: int,
                qr_error: str, qr_version: int) -> bytes:
    """The cards of `views` (name, year, village, number, url) on copies of the commune's blank
    sheet: full sheets, then one sheet of the rest."""
    size = 1 if single else per_sheet
    sheets = [views[i:i + size] for i in range(0, len(views), size)]
    counts = sorted({len(sheet) for sheet in sheets}, reverse=True)
    blank, anchors = _blank((commune.province_name, commune.name, commune.hotline), single,
                            tuple(counts), tuple(title_lines), geometry)
    width = geometry.text_width_pt
    laid = [card_lines(view, labels, width, long_name) for view in views]
    copies = StampedCopies(blank)
    fonts = {}
    for path in (REGULAR, BOLD):
        text = "".join(line.text for lines in laid for line in lines if line.font == path)
        fonts[path] = EmbeddedFont(path, text, FONT_FACES[path])
        copies.add_font(FONT_NAMES[path], fonts[path].add_to(copies.writer))
    page_height = copies.page_height(0)
    start = 0
    for sheet in sheets:
        template = counts.index(len(sheet))
        images, stamps = {}, []
        for slot, view in enumerate(sheet):
            pixels, pixels_side = qr_pixels(view["url"], qr_error, qr_version)
            image_name = f"RegQR{slot}"
            images[image_name] = copies.add_bilevel_image(pixels, pixels_side, pixels_side)
            stamps.append(_card_stamp(view, laid[start + slot], anchors[template][slot],
                                      page_height, image_name, geometry, fonts))
        copies.add_copy("\n".join(stamps), template=template, images=images)
        start += len(sheet)
    return copies.write()
