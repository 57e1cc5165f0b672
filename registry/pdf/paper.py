"""Paper forms (the declaration slip, the visitor log sheet), printed fast: lay the form out
once, then stamp each copy's serial and QR.

WeasyPrint lays out the blank form (one page) once; pypdf copies that page N times, sharing its
fonts and content, and adds a few hundred bytes per copy: the serial in Helvetica (a standard
PDF font, nothing embedded) and the QR code drawn as filled rectangles. A thousand copies take
about a second instead of a thousand layouts.
"""
from __future__ import annotations

import io

from flask_babel import gettext as _
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import (ArrayObject, DecodedStreamObject, DictionaryObject, IndirectObject,
                           NameObject)

from registry.extensions import db
from registry.formatting import in_running_text
from registry.models import Commune, FormKind, PaperBatch
from registry.pdf import render_pdf
from registry.pdf.qr import PT_PER_MM, qr_pdf_operators
from registry.services.declarations import active_questions
from registry.services.paper.keying import LOG_ROWS

# Slips per page by paper size: two A5 halves on an A4 sheet, or one A5 sheet.
SLIPS_PER_PAGE = {"a4": 2, "a5": 1}
A4 = (210.0, 297.0)
A4_LANDSCAPE = (297.0, 210.0)
STAMP_MM = 22.0  # the box printed for the QR
QR_MM = 18.0  # the code itself; the rest of the box is its quiet zone
SERIAL_FONT = NameObject("/FRegSerial")


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


def _text_ops(serial: str, x_mm: float, top_mm: float, page_h_mm: float) -> str:
    """The serial in 9 pt Helvetica just under the QR box."""
    x = x_mm * PT_PER_MM
    y = (page_h_mm - top_mm - STAMP_MM - 7.5) * PT_PER_MM
    return f"BT {SERIAL_FONT} 9 Tf 1 0 0 1 {x:.2f} {y:.2f} Tm ({serial}) Tj ET"


def stamped_copies(blank: bytes, serials: list[str], kind: FormKind,
                   slips_per_page: int = 2) -> bytes:
    """Copy the one-page `blank` once per page of serials and stamp each copy."""
    (page_w, page_h), boxes = stamp_positions(kind, slips_per_page)
    reader = PdfReader(io.BytesIO(blank))
    writer = PdfWriter()
    template = writer.add_page(reader.pages[0])
    raw = template.raw_get("/Contents")
    items = list(raw.get_object()) if isinstance(raw.get_object(), ArrayObject) else [raw]
    # Content streams must be referenced, not inlined, to be shared by every copy.
    base_list = [item if isinstance(item, IndirectObject) else writer._add_object(item)
                 for item in items]
    font = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
        NameObject("/Encoding"): NameObject("/WinAnsiEncoding")}))
    resources = template[NameObject("/Resources")].get_object()
    fonts = resources.get(NameObject("/Font"))
    if fonts is None:
        fonts = DictionaryObject()
        resources[NameObject("/Font")] = fonts
    fonts.get_object()[SERIAL_FONT] = font
    save = writer._add_object(_stream(b"q\n"))
    per_page = len(boxes)
    groups = [serials[i:i + per_page] for i in range(0, len(serials), per_page)] or [[]]
    first = True
    for group in groups:
        if first:
            page = template
            first = False
        else:
            # A new page dictionary sharing the template's resources and content streams.
            page = PageObject(writer)
            for key, value in template.items():
                if key not in ("/Contents", "/Parent"):
                    page[NameObject(key)] = value
            page = writer.add_page(page)
        ops = ["Q"]
        for serial, (x, top) in zip(group, boxes):
            ops.append(_qr_ops(serial, x, top, page_h))
            ops.append(_text_ops(serial, x, top, page_h))
        stamp = writer._add_object(_stream("\n".join(ops).encode("ascii")))
        page[NameObject("/Contents")] = ArrayObject([save, *base_list, stamp])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _stream(data: bytes) -> DecodedStreamObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream.flate_encode() if len(data) > 64 else stream


def batch_pdf(batch: PaperBatch, slips_per_page: int = 2) -> bytes:
    """All the sheets of a batch, each with its own serial and QR."""
    blank = blank_form_pdf(batch, slips_per_page)
    return stamped_copies(blank, [s.serial for s in batch.sheets], batch.kind, slips_per_page)
