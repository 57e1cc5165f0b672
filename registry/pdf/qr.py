"""The one QR helper of every document: segno codes (never Micro QR) as an SVG or PNG data URI
for a template, or as PDF drawing operators stamped onto a copied page; and, for the thousands
of codes of a card-printing job, the same codes encoded by zxing-cpp's C++ encoder as pixels.

Why two encoders: segno is pure Python and takes 7–10 ms for a card's code (version 21, level
H) even with a fixed mask, 70–100 s of CPU for 10,000 cards, more than the whole job may take;
zxing-cpp (the reader the tests already decode every printed code with) writes the same code
in 0.2 ms with a fixed mask. Posters, forms and single documents keep segno.
"""
from __future__ import annotations

import base64
import io

import segno
import zxingcpp

PT_PER_MM = 72 / 25.4
QUIET_ZONE = 4  # modules of white around the code, as the standard asks


def make_qr(data: str, error: str = "q", *, mask: int | None = None,
            version: int | None = None) -> segno.QRCode:
    """A QR code (`micro=False` through make_qr: phones cannot read Micro QR). Error correction
    Q by default, for posters that get scuffed. A fixed `mask` skips segno's evaluation of all
    eight (pure Python, ~2 ms a code): any mask gives a valid code. A `version` (1–40) asks for
    at least that many modules (a card's code: small modules, so that its quiet zone of four
    modules fits the card)."""
    return segno.make_qr(data, error=error, boost_error=False, mask=mask, version=version)


def qr_svg_data_uri(data: str, error: str = "q") -> str:
    """An SVG data URI of a QR code for `data`, its quiet zone included; size it in the template
    with CSS (mm), see `qr_size_with_border`."""
    return make_qr(data, error).svg_data_uri(scale=1, border=QUIET_ZONE, dark="#000",
                                             light="#fff", omitsize=True)


def qr_png_data_uri(data: str, error: str = "m", border: int = 0,
                    version: int | None = None) -> str:
    """A PNG data URI of a QR code, one pixel per module, with `border` modules of quiet zone:
    drawn without smoothing (CSS image-rendering: pixelated) it is as sharp as an SVG and much
    faster for WeasyPrint."""
    out = io.BytesIO()
    make_qr(data, error, mask=0, version=version).save(out, kind="png", scale=1, border=border)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def qr_modules(data: str, error: str = "q") -> int:
    """The number of modules on a side (without the quiet zone)."""
    return make_qr(data, error).symbol_size(border=0)[0]


def qr_size_with_border(data: str, code_mm: float, error: str = "q") -> float:
    """The image size in mm so that the code itself (without quiet zone) measures `code_mm`."""
    modules = qr_modules(data, error)
    return code_mm * (modules + 2 * QUIET_ZONE) / modules


def qr_pdf_operators(data: str, x_mm: float, top_mm: float, size_mm: float, page_height_mm: float,
                     error: str = "m") -> str:
    """PDF operators that draw the code of `data` as filled rectangles, `size_mm` wide with its
    top-left corner at (x_mm, top_mm) from the page's top-left; for stamping copies of a page
    laid out once."""
    matrix = make_qr(data, error).matrix
    n = len(matrix)
    module = size_mm / n * PT_PER_MM
    x0 = x_mm * PT_PER_MM
    y_top = (page_height_mm - top_mm) * PT_PER_MM
    ops = ["q 0 g"]
    for r, row in enumerate(matrix):
        c = 0
        while c < n:
            if row[c] & 1:
                start = c
                while c < n and row[c] & 1:
                    c += 1
                # one rectangle per run of dark modules keeps the stream small
                ops.append(f"{x0 + start * module:.2f} {y_top - (r + 1) * module:.2f} "
                           f"{(c - start) * module:.2f} {module:.2f} re")
            else:
                c += 1
    ops.append("f Q")
    return "\n".join(ops)


def qr_svg_sized(data: str, code_mm: float, error: str = "q") -> tuple[str, float]:
    """`qr_svg_data_uri` and `qr_size_with_border` of one code, encoded once (the encoding, with
    its choice of the best of eight masks, is a poster's costliest step before layout)."""
    code = make_qr(data, error)
    modules = code.symbol_size(border=0)[0]
    uri = code.svg_data_uri(scale=1, border=QUIET_ZONE, dark="#000", light="#fff",
                            omitsize=True)
    return uri, code_mm * (modules + 2 * QUIET_ZONE) / modules


def qr_pixels(data: str, error: str, version: int, mask: int = 0) -> tuple[bytes, int]:
    """A QR code as grey pixels, one byte a module (0 dark, 255 light), rows from the top, its
    quiet zone of four modules included; and the side in pixels. A fixed `mask` (any mask
    gives a valid code) skips the evaluation of all eight; never Micro QR."""
    code = zxingcpp.create_barcode(
        data, zxingcpp.BarcodeFormat.QRCode,
        options=f"ecLevel={error.upper()},version={version},dataMask={mask}")
    image = code.to_image(scale=1, add_quiet_zones=True)
    return bytes(image), image.shape[0]
