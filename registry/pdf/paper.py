"""Paper forms (the declaration slip, the visitor log sheet), printed fast: lay the form out
once, then stamp each copy's serial and QR.

WeasyPrint lays out the blank form (one page) once; `stamping.StampedCopies` copies that page
N times, sharing its fonts and content, and adds a few hundred bytes per copy: the serial and
the QR code drawn as filled rectangles. The serial is set in the bundled Liberation Sans
Bold, embedded once per batch as a subset of the few glyphs a serial uses (capital letters and
digits), with its true widths, so it prints and reads back as one word ("S00000240") like
every other text of the form. A thousand copies take about a second instead of a thousand layouts.
"""
from __future__ import annotations

import functools

from flask_babel import gettext as _

from registry.extensions import db
from registry.formatting import in_running_text
from registry.models import Commune, FormKind, PaperBatch
from registry.pdf import STATIC_DIR, render_pdf
from registry.pdf.fonts import EmbeddedFont, text_width_pt
from registry.pdf.qr import PT_PER_MM, qr_pdf_operators
from registry.pdf.stamping import StampedCopies
from registry.services.declarations import active_questions
from registry.services.paper.keying import LOG_ROWS

# Slips per page by paper size: two A5 halves on an A4 sheet, or one A5 sheet.
SLIPS_PER_PAGE = {"a4": 2, "a5": 1}
A4 = (210.0, 297.0)
A4_LANDSCAPE = (297.0, 210.0)
STAMP_MM = 22.0  # the box printed for the QR
QR_MM = 18.0  # the code itself; the rest of the box is its quiet zone
SERIAL_FONT = "FRegSerial"  # the serial's font in the pages' resources
SERIAL_PT = 11.0  # the serial's size: read by the typist, typed when the scanner fails
# The glyphs a serial can use (a letter for the form, digits); the subset holds only these.
SERIAL_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
SERIAL_FONT_FILE = STATIC_DIR / "fonts" / "LiberationSans-Bold.ttf"


def privacy_notice(commune_name: str, retention_days: int) -> str:
    """The notice printed on every form: purpose, keeper, retention, privacy, honesty."""
    return _("Your data is collected by the People's Committee of %(commune)s only for epidemic "
             "control (Law 91/2025/QH15 on personal data protection). It is kept for "
             "%(days)s days, then destroyed. Staff keep the sheets; visitors must not read each "
             "other's entries. A false declaration is a violation of the law.",
             commune=commune_name, days=retention_days)


def stamp_positions(kind: FormKind, slips_per_page: int) -> tuple[tuple[float, float],
                                                                    list[tuple[float, float]]]:
    """Page size (mm) and the top-left corner (mm from the page's top-left) of each QR box."""
    if kind == FormKind.LOG:
        return A4_LANDSCAPE, [(A4_LANDSCAPE[0] - 10 - STAMP_MM, 6.0)]
    if slips_per_page == 1:
        return (148.0, 210.0), [(148.0 - 10 - STAMP_MM, 6.0)]
    return A4, [(A4[0] - 10 - STAMP_MM, 6.0 + i * 148.5) for i in range(slips_per_page)]


def serial_anchor(kind: FormKind, x_mm: float, top_mm: float) -> tuple[float, float, str]:
    """Where the serial of the QR box at (x, top) is written: (x, baseline from the page's top,
    "right" or "left" aligned at x). On a visitor log the serial stands left of the box, in the
    sheet's header band, clear of the table below (under the box it would cross the "Chữ ký"
    header cell); on a slip it stands under the box, where the form leaves a margin."""
    if kind == FormKind.LOG:
        return x_mm - 2.5, top_mm + 16.0, "right"
    return x_mm, top_mm + STAMP_MM + 8.0, "left"


@functools.cache
def _serial_font() -> EmbeddedFont:
    """The subset of Liberation Sans Bold a serial needs (capital letters and digits), built
    once per process and embedded once per batch."""
    return EmbeddedFont(SERIAL_FONT_FILE, SERIAL_CHARS, name="Liberation-Sans-Bold", tag="REGSER")


def serial_width_mm(serial: str, size_pt: float = SERIAL_PT) -> float:
    """How wide the serial prints, from the embedded font's widths."""
    return text_width_pt(SERIAL_FONT_FILE, serial, size_pt) / PT_PER_MM


def blank_form_pdf(batch: PaperBatch, slips_per_page: int = 2) -> bytes:
    """The blank form of the batch's kind for its venue and point (laid out once)."""
    venue = batch.venue
    commune = db.session.get(Commune, venue.commune_id)
    context = {"commune_name": commune.name, "venue_name": venue.name,
               "point_name": batch.point.name,
               "notice": privacy_notice(in_running_text(commune.name), commune.retention_days)}
    if batch.kind == FormKind.LOG:
        return render_pdf("pdf/paper_log.html", ("base.css", "paper.css"), rows=LOG_ROWS, **context)
    sheets = ["base.css", "paper.css"]
    if slips_per_page == 1:
        sheets.append("paper_a5.css")
    return render_pdf("pdf/paper_slip.html", tuple(sheets), per_page=slips_per_page,
                      questions=active_questions(commune.id), **context)


def _qr_ops(serial: str, x_mm: float, top_mm: float, page_h_mm: float) -> str:
    """The QR of `serial`, centred in the stamp box whose top-left corner is at (x, top)."""
    offset = (STAMP_MM - QR_MM) / 2
    return qr_pdf_operators(serial, x_mm + offset, top_mm + offset, QR_MM, page_h_mm)


def _text_ops(serial: str, kind: FormKind, x_mm: float, top_mm: float, page_h_mm: float) -> str:
    """The serial in the embedded bold sans, at its anchor beside or under the QR box."""
    x_anchor, baseline, align = serial_anchor(kind, x_mm, top_mm)
    x = x_anchor - serial_width_mm(serial) if align == "right" else x_anchor
    y = page_h_mm - baseline
    return (f"BT /{SERIAL_FONT} {SERIAL_PT:g} Tf 1 0 0 1 {x * PT_PER_MM:.2f} {y * PT_PER_MM:.2f} "
            f"Tm {_serial_font().encode(serial)} Tj ET")


def stamped_copies(blank: bytes, serials: list[str], kind: FormKind,
                   slips_per_page: int = 2) -> bytes:
    """Copy the one-page `blank` once per page of serials and stamp each copy."""
    (_page_w, page_h), boxes = stamp_positions(kind, slips_per_page)
    copies = StampedCopies(blank)
    copies.add_font(SERIAL_FONT, _serial_font().add_to(copies.writer))
    per_page = len(boxes)
    groups = [serials[i:i + per_page] for i in range(0, len(serials), per_page)] or [[]]
    for group in groups:
        ops = []
        for serial, (x, top) in zip(group, boxes):
            ops.append(_qr_ops(serial, x, top, page_h))
            ops.append(_text_ops(serial, kind, x, top, page_h))
        copies.add_copy("\n".join(ops))
    return copies.write()


def batch_pdf(batch: PaperBatch, slips_per_page: int = 2) -> bytes:
    """All the sheets of a batch, each with its own serial and QR."""
    blank = blank_form_pdf(batch, slips_per_page)
    return stamped_copies(blank, [s.serial for s in batch.sheets], batch.kind, slips_per_page)
