"""Reading PDFs back as a person would: text, fonts, sizes, and QR codes from a raster."""
from __future__ import annotations

import io

import pdfplumber
import pypdfium2
import zxingcpp

MM_PER_PT = 25.4 / 72


def page_texts(pdf: bytes) -> list[str]:
    """The extracted text of every page."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [page.extract_text() or "" for page in doc.pages]


def font_names(pdf: bytes) -> set[str]:
    """The font names used by the characters (subset prefix removed)."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return {c["fontname"].split("+", 1)[-1] for page in doc.pages for c in page.chars}


def page_sizes_mm(pdf: bytes) -> list[tuple[float, float]]:
    """(width, height) of every page in millimetres."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [(round(p.width * MM_PER_PT, 1), round(p.height * MM_PER_PT, 1)) for p in doc.pages]


def decode_qr(pdf: bytes, page: int = 0, dpi: int = 150) -> list[dict]:
    """QR codes on a rasterised page: text and the code's width/height in mm."""
    doc = pypdfium2.PdfDocument(pdf)
    try:
        bitmap = doc[page].render(scale=dpi / 72)
        image = bitmap.to_pil()
    finally:
        doc.close()
    found = []
    for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
        pos = result.position
        xs = [pos.top_left.x, pos.top_right.x, pos.bottom_left.x, pos.bottom_right.x]
        ys = [pos.top_left.y, pos.top_right.y, pos.bottom_left.y, pos.bottom_right.y]
        px_to_mm = 25.4 / dpi
        found.append({"text": result.text,
                      "width_mm": (max(xs) - min(xs)) * px_to_mm,
                      "height_mm": (max(ys) - min(ys)) * px_to_mm})
    return found
