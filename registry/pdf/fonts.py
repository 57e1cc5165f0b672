"""Text written straight into a PDF page, in an embedded subset of a bundled font: for documents
laid out once by WeasyPrint and then stamped with each copy's own words (resident cards).

The subset is embedded as a Type0 font with two-byte glyph codes (Identity-H), so every glyph
of the font can be used (Vietnamese needs some 130 letters beyond Latin-1, more than a simple
font's 256 codes), with its true widths and a ToUnicode map: the stamped text prints in the
same face as the laid-out text and reads back as text (search, copy, screen readers). Widths
are the font's advance widths without kerning, as plain text is set in a PDF.
"""
from __future__ import annotations

import functools
import hashlib
import io
from pathlib import Path

from fontTools import subset as font_subset
from fontTools.ttLib import TTFont
from pypdf import PdfWriter
from pypdf.generic import (ArrayObject, DecodedStreamObject, DictionaryObject, IndirectObject,
                           NameObject, NumberObject, TextStringObject)


@functools.cache
def _font_metrics(path: Path) -> tuple[dict[int, int], float]:
    """The advance width (1/1000 em) of every character the font has, and the font's scale."""
    font = TTFont(str(path), lazy=True)
    scale = 1000 / font["head"].unitsPerEm
    hmtx = font["hmtx"]
    widths = {code: round(hmtx[glyph][0] * scale) for code, glyph in font.getBestCmap().items()}
    font.close()
    return widths, scale


@functools.cache
def vertical_metrics(path: Path) -> tuple[float, float]:
    """The font's ascent and descent (positive) in em, as Pango places a line's glyphs: the
    baseline of a line box `h` high at size `s` is (h - (ascent + descent) * s) / 2 +
    ascent * s below its top."""
    font = TTFont(str(path), lazy=True)
    hhea, em = font["hhea"], font["head"].unitsPerEm
    metrics = hhea.ascent / em, -hhea.descent / em
    font.close()
    return metrics


def font_covers(path: Path, text: str) -> bool:
    """Whether the font has a glyph for every character of `text` (else lay it out instead:
    Pango would fall back to another font, a stamp cannot)."""
    widths = _font_metrics(path)[0]
    return all(ord(ch) in widths for ch in text)


def text_width_pt(path: Path, text: str, size_pt: float) -> float:
    """How wide `text` prints at `size_pt` in the font (a character it lacks counted one em
    wide: such text is not stamped, see `font_covers`)."""
    widths = _font_metrics(path)[0]
    return sum(widths.get(ord(ch), 1000) for ch in text) * size_pt / 1000


def wrap_words(path: Path, text: str, size_pt: float, width_pt: float) -> list[str]:
    """`text` in lines no wider than `width_pt`, broken between words as a browser breaks
    running text (a word longer than the line stays whole on its own line)."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width_pt(path, f"{lines[-1]} {word}", size_pt) <= width_pt:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


class EmbeddedFont:
    """A subset of one bundled TrueType font holding the characters of `text`, ready to be
    embedded once in a PDF and used by any number of pages; `name` as the PDF names it (the
    font's PostScript name by default), after `tag` (six capitals; made from the characters
    by default)."""

    def __init__(self, path: Path, text: str, name: str | None = None, tag: str | None = None):
        self.path = path
        chars = sorted(set(text) | {" "})
        options = font_subset.Options()
        options.name_IDs = ["*"]
        options.notdef_outline = True
        options.layout_features = []  # no shaping: stamped text is set glyph by glyph
        # nor its tables (reading GSUB and GPOS was most of the subsetting time)
        options.drop_tables += ["FFTM", "GSUB", "GPOS", "GDEF", "kern"]
        font = TTFont(str(path), lazy=True)
        subsetter = font_subset.Subsetter(options)
        subsetter.populate(text="".join(chars))
        subsetter.subset(font)
        cmap = font.getBestCmap()
        self._gids = {ch: font.getGlyphID(cmap[ord(ch)]) for ch in chars if ord(ch) in cmap}
        scale = 1000 / font["head"].unitsPerEm
        hmtx = font["hmtx"]
        self._widths = {gid: round(hmtx[font.getGlyphName(gid)][0] * scale)
                        for gid in range(len(font.getGlyphOrder()))}
        head, os2 = font["head"], font["OS/2"]
        self._metrics = {
            "bbox": [round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)],
            "ascent": round(os2.sTypoAscender * scale),
            "descent": round(os2.sTypoDescender * scale),
            "cap_height": round(getattr(os2, "sCapHeight", 0) * scale) or 700,
            "bold": bool(head.macStyle & 1),
        }
        family = name or font["name"].getDebugName(6) or path.stem
        # A subset's name starts with a tag of six capitals of its own (PDF 9.6.4).
        digest = hashlib.sha1("".join(chars).encode()).digest()
        tag = tag or "".join(chr(65 + b % 26) for b in digest[:6])
        self.base_name = f"{tag}+{family}"
        out = io.BytesIO()
        font.save(out)
        self._program = out.getvalue()

    def encode(self, text: str) -> str:
        """`text` as a PDF string of glyph codes, ready for `Tj`."""
        return "<" + "".join(f"{self._gids[ch]:04X}" for ch in text) + ">"

    def add_to(self, writer: PdfWriter) -> IndirectObject:
        """The font's objects written into `writer`; returns the font to name in resources."""
        program = DecodedStreamObject()
        program.set_data(self._program)
        program[NameObject("/Length1")] = NumberObject(len(self._program))
        name = NameObject("/" + self.base_name)
        m = self._metrics
        descriptor = writer._add_object(DictionaryObject({
            NameObject("/Type"): NameObject("/FontDescriptor"), NameObject("/FontName"): name,
            NameObject("/Flags"): NumberObject(32),
            NameObject("/FontBBox"): ArrayObject(NumberObject(v) for v in m["bbox"]),
            NameObject("/ItalicAngle"): NumberObject(0),
            NameObject("/Ascent"): NumberObject(m["ascent"]),
            NameObject("/Descent"): NumberObject(m["descent"]),
            NameObject("/CapHeight"): NumberObject(m["cap_height"]),
            NameObject("/StemV"): NumberObject(140 if m["bold"] else 80),
            NameObject("/FontFile2"): writer._add_object(program.flate_encode())}))
        widths = ArrayObject()
        for gid in sorted(self._widths):
            widths.append(NumberObject(gid))
            widths.append(ArrayObject([NumberObject(self._widths[gid])]))
        cid_font = writer._add_object(DictionaryObject({
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/CIDFontType2"), NameObject("/BaseFont"): name,
            NameObject("/CIDSystemInfo"): DictionaryObject({
                NameObject("/Registry"): TextStringObject("Adobe"),
                NameObject("/Ordering"): TextStringObject("Identity"),
                NameObject("/Supplement"): NumberObject(0)}),
            NameObject("/FontDescriptor"): descriptor, NameObject("/W"): widths,
            NameObject("/CIDToGIDMap"): NameObject("/Identity")}))
        to_unicode = DecodedStreamObject()
        to_unicode.set_data(self._to_unicode_cmap())
        return writer._add_object(DictionaryObject({
            NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type0"),
            NameObject("/BaseFont"): name, NameObject("/Encoding"): NameObject("/Identity-H"),
            NameObject("/DescendantFonts"): ArrayObject([cid_font]),
            NameObject("/ToUnicode"): writer._add_object(to_unicode.flate_encode())}))

    def _to_unicode_cmap(self) -> bytes:
        """The map from glyph codes back to characters (PDF 9.10.3), in blocks of at most 100
        entries as the format asks."""
        pairs = sorted((gid, ch) for ch, gid in self._gids.items())
        blocks = []
        for i in range(0, len(pairs), 100):
            chunk = pairs[i:i + 100]
            entries = "\n".join(f"<{gid:04X}> <{ch.encode('utf-16-be').hex().upper()}>"
                                for gid, ch in chunk)
            blocks.append(f"{len(chunk)} beginbfchar\n{entries}\nendbfchar")
        return ("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
                "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
                "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
                "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
                + "\n".join(blocks) + "\nendcmap\nCMapName currentdict /CMap defineresource pop\n"
                "end\nend\n").encode("ascii")
