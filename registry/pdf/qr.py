"""QR codes for print: SVG data URIs from segno, never Micro QR."""
from __future__ import annotations

import segno


def qr_svg_data_uri(data: str, error: str = "q") -> str:
    """An SVG data URI of a QR code for `data`; size it in the template with CSS (mm).

    Error correction Q by default (posters get scuffed); `micro=False` so phones can read it.
    The quiet zone (4 modules) is part of the image: size the image so the code itself is big
    enough, see `qr_size_with_border`.
    """
    qr = segno.make_qr(data, error=error, boost_error=False)
    return qr.svg_data_uri(scale=1, border=4, dark="#000", light="#fff", omitsize=True)


def qr_modules(data: str, error: str = "q") -> int:
    """The number of modules on a side (without the quiet zone)."""
    return segno.make_qr(data, error=error, boost_error=False).symbol_size(border=0)[0]


def qr_size_with_border(data: str, code_mm: float, error: str = "q") -> float:
    """The image size in mm so that the code itself (without quiet zone) measures `code_mm`."""
    modules = qr_modules(data, error)
    return code_mm * (modules + 8) / modules
