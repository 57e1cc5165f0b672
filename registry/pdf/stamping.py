"""Copies of pages laid out once, each stamped with its own marks: the way documents printed by
the thousand (paper forms, resident cards) avoid laying out every copy.

WeasyPrint lays out a blank (the form, a sheet of empty cards) once; `StampedCopies` copies one
of its pages per printed page, sharing the page's fonts, images and content streams, and adds a
content stream of its own to each copy: a few hundred bytes of drawing operators and text
(QR codes, serials, names) instead of a layout per copy.
"""
from __future__ import annotations

import io

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import (ArrayObject, BooleanObject, DecodedStreamObject, DictionaryObject,
                           IndirectObject, NameObject, NumberObject)


# Grey pixels to the bits of a one-bit image: dark (below half) 0, light 1.
_BLACK_WHITE = bytes.maketrans(bytes(range(256)), b"0" * 128 + b"1" * 128)


class StampedCopies:
    """A PDF being made of copies of the pages of `blank`, each with its own stamp."""

    def __init__(self, blank: bytes):
        self.writer = PdfWriter()
        reader = PdfReader(io.BytesIO(blank))
        self._templates = []
        for source in reader.pages:
            page = self.writer.add_page(source)
            raw = page.raw_get("/Contents")
            items = list(raw.get_object()) if isinstance(raw.get_object(), ArrayObject) else [raw]
            # Content streams must be referenced, not inlined, to be shared by every copy.
            contents = [item if isinstance(item, IndirectObject) else self.writer._add_object(item)
                        for item in items]
            raw = page.raw_get("/Resources")
            # Referenced, so that copies without images of their own share one dictionary.
            ref = raw if isinstance(raw, IndirectObject) else self.writer._add_object(raw)
            self._templates.append({"page": page, "contents": contents,
                                    "resources": ref.get_object(), "resources_ref": ref,
                                    "used": False})
        self._save = self.writer._add_object(_stream(b"q\n"))

    def page_height(self, template: int = 0) -> float:
        """The height (pt) of the blank's page `template`: stamps measure from the bottom."""
        return float(self._templates[template]["page"].mediabox.height)

    def add_font(self, name: str, font: IndirectObject) -> None:
        """Make `font` usable as /`name` on every copy (the blank's pages share one font
        dictionary per page: the font is added to each)."""
        for template in self._templates:
            resources = template["resources"]
            fonts = resources.get(NameObject("/Font"))
            if fonts is None:
                fonts = DictionaryObject()
                resources[NameObject("/Font")] = fonts
            fonts.get_object()[NameObject("/" + name)] = font

    def add_copy(self, stamp: str, template: int = 0,
                 images: dict[str, IndirectObject] | None = None) -> None:
        """A copy of the blank's page `template` with `stamp` (PDF operators, drawn over the
        page in its own coordinates) and `images` (named XObjects the stamp draws)."""
        source = self._templates[template]
        if not source["used"]:
            page = source["page"]  # the first copy is the blank's page itself
        else:
            page = PageObject(self.writer)
            for key, value in source["page"].items():
                if key not in ("/Contents", "/Parent"):
                    page[NameObject(key)] = value
            page = self.writer.add_page(page)
        page[NameObject("/Resources")] = (self._resources_with(source["resources"], images)
                                          if images else source["resources_ref"])
        source["used"] = True
        stamp_stream = self.writer._add_object(_stream(("Q\n" + stamp).encode("ascii")))
        page[NameObject("/Contents")] = ArrayObject([self._save, *source["contents"],
                                                     stamp_stream])

    @staticmethod
    def _resources_with(resources: DictionaryObject,
                        images: dict[str, IndirectObject]) -> DictionaryObject:
        """The blank page's resources with this copy's own images beside its XObjects (a
        copy's images stay out of every other copy's resources)."""
        own = DictionaryObject(resources)
        shared = resources.get(NameObject("/XObject"))
        xobjects = DictionaryObject(shared.get_object() if shared is not None else {})
        for name, image in images.items():
            xobjects[NameObject("/" + name)] = image
        own[NameObject("/XObject")] = xobjects
        return own

    def add_bilevel_image(self, pixels: bytes, width: int, height: int) -> IndirectObject:
        """A black-and-white image from grey pixels (one byte a pixel, 0 black, 255 white,
        rows from the top), stored one bit a pixel and drawn without smoothing: a QR code of
        one pixel a module stays sharp at any size, in some 1.3 kB."""
        bits = pixels.translate(_BLACK_WHITE)
        pad = b"1" * (-width % 8)
        row_bytes = (width + 7) // 8
        packed = b"".join(int(bits[i:i + width] + pad, 2).to_bytes(row_bytes, "big")
                          for i in range(0, width * height, width))
        raw = DecodedStreamObject()
        raw.set_data(packed)
        image = raw.flate_encode(level=6)
        image.update({NameObject("/Type"): NameObject("/XObject"),
                      NameObject("/Subtype"): NameObject("/Image"),
                      NameObject("/Width"): NumberObject(width),
                      NameObject("/Height"): NumberObject(height),
                      NameObject("/ColorSpace"): NameObject("/DeviceGray"),
                      NameObject("/BitsPerComponent"): NumberObject(1),
                      NameObject("/Interpolate"): BooleanObject(False)})
        return self.writer._add_object(image)

    def write(self) -> bytes:
        """The finished PDF (a page of the blank that no copy used is left out)."""
        for template in self._templates:
            if not template["used"]:
                self.writer.remove_page(template["page"])
                template["used"] = True
        out = io.BytesIO()
        self.writer.write(out)
        return out.getvalue()


def _stream(data: bytes) -> DecodedStreamObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream.flate_encode() if len(data) > 64 else stream
