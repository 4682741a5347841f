"""The reader's name stamped over every page of an unsigned paper they download.

Why: a copy that leaks carries the name of the person it was given to. Only unsigned papers: a stamp on a signed
PDF would break its signature (a signed paper is delivered intact and its download recorded instead).

How, without a PDF generator: each page gets a Form XObject placed over its content (pikepdf wraps the page's
own content in q/Q first, and undoes the page's /Rotate so the text reads upright on screen). The text is set in
Liberation Sans (``fonts-liberation2``, which covers Vietnamese), embedded once as a subset holding only the
glyphs used: a Type0 font with Identity-H encoding and a ToUnicode map, so the name can be searched and copied.
Text is NFC: Vietnamese letters are then single code points, each one glyph, so no shaping is needed.
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import pikepdf
from fontTools.ttLib import TTFont
from pikepdf import Array, Dictionary, Name, Rectangle

from signing.fonts import subset_font, to_unicode_cmap

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
)
OPACITY = 0.2
"""Light enough to read the page through, dark enough to survive a photocopy."""
FOOTER_SIZE = 8.0


class WatermarkError(Exception):
    """The PDF cannot be stamped (damaged, encrypted, no font): the message is Vietnamese, for the reader."""


def font_path() -> Path:
    for candidate in FONT_CANDIDATES:
        if candidate.exists():
            return candidate
    raise WatermarkError("máy chủ thiếu phông chữ để đóng dấu tên người đọc (cài gói fonts-liberation2)")


class _Font:
    """A subset of a TrueType font embedded in ``pdf``, and how to measure and encode text in it."""

    def __init__(self, pdf: pikepdf.Pdf, text: str, path: Path) -> None:
        chars = sorted(set(text) | {" "})
        font = TTFont(str(path))
        cmap = font.getBestCmap()
        missing = [c for c in chars if ord(c) not in cmap]
        if missing:
            # a name in a script the font lacks: stamp what it has rather than refusing the reader their copy
            chars = [c for c in chars if c not in missing]
        units = font["head"].unitsPerEm
        advance = {c: font["hmtx"].metrics[cmap[ord(c)]][0] * 1000 / units for c in chars}
        _subset, program, self.gids = subset_font(path, chars)
        self.advance = advance
        name = Name("/EDOCWM+" + str(font["name"].getDebugName(6) or "Font").replace(" ", ""))
        file_stream = pikepdf.Stream(pdf, program)
        file_stream[Name.Length1] = len(program)
        descriptor = pdf.make_indirect(Dictionary(
            Type=Name.FontDescriptor, FontName=name, Flags=32,
            FontBBox=Array([round(v * 1000 / units) for v in (font["head"].xMin, font["head"].yMin,
                                                                font["head"].xMax, font["head"].yMax)]),
            ItalicAngle=0, Ascent=round(font["hhea"].ascent * 1000 / units),
            Descent=round(font["hhea"].descent * 1000 / units), CapHeight=700, StemV=80,
            FontFile2=pdf.make_indirect(file_stream)))
        widths = Array()
        for c in chars:
            widths.extend([self.gids[c], Array([round(advance[c])])])
        cid_font = pdf.make_indirect(Dictionary(
            Type=Name.Font, Subtype=Name.CIDFontType2, BaseFont=name,
            CIDSystemInfo=Dictionary(Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("Identity"),
                                     Supplement=0),
            FontDescriptor=descriptor, DW=0, W=widths, CIDToGIDMap=Name.Identity))
        to_unicode = pikepdf.Stream(pdf, to_unicode_cmap(self.gids))
        self.ref = pdf.make_indirect(Dictionary(
            Type=Name.Font, Subtype=Name.Type0, BaseFont=name, Encoding=Name("/Identity-H"),
            DescendantFonts=Array([cid_font]), ToUnicode=pdf.make_indirect(to_unicode)))

    def width(self, text: str, size: float) -> float:
        return sum(self.advance.get(c, 0) for c in text) * size / 1000

    def encode(self, text: str) -> bytes:
        return b"<" + "".join(f"{self.gids[c]:04X}" for c in text if c in self.gids).encode() + b">"


def _stamp(pdf: pikepdf.Pdf, font: _Font, gstate: pikepdf.Object, width: float, height: float,
           name: str, footer: str) -> pikepdf.Object:
    """A Form XObject of ``width`` × ``height`` points: the name across the diagonal, the footer at the foot."""
    diagonal = math.hypot(width, height)
    size = min(72.0, max(12.0, 0.7 * diagonal / max(font.width(name, 1.0), 1.0)))
    angle = math.atan2(height, width)
    cos, sin = math.cos(angle), math.sin(angle)
    half = font.width(name, size) / 2
    # start so that the text's middle sits at the page's centre, its baseline lowered by a third of the size
    x = width / 2 - cos * half + sin * size / 3
    y = height / 2 - sin * half - cos * size / 3
    parts = [b"q /WM gs 0.35 0.35 0.35 rg BT /F1 %.2f Tf %.5f %.5f %.5f %.5f %.2f %.2f Tm " % (
        size, cos, sin, -sin, cos, x, y) + font.encode(name) + b" Tj ET Q"]
    if footer:
        fsize = min(FOOTER_SIZE, 0.9 * width / max(font.width(footer, 1.0), 1.0))
        fx = (width - font.width(footer, fsize)) / 2
        parts.append(b"q 0.3 0.3 0.3 rg BT /F1 %.2f Tf %.2f %.2f Td " % (fsize, fx, 10.0)
                     + font.encode(footer) + b" Tj ET Q")
    form = pikepdf.Stream(pdf, b"\n".join(parts))
    form[Name.Type] = Name.XObject
    form[Name.Subtype] = Name.Form
    form[Name.BBox] = Array([0, 0, width, height])
    form[Name.Resources] = Dictionary(Font=Dictionary(F1=font.ref), ExtGState=Dictionary(WM=gstate))
    return pdf.make_indirect(form)


def watermark(source: bytes, name: str, footer: str = "") -> bytes:
    """``source`` (a PDF) with ``name`` across every page and ``footer`` under it, as new PDF bytes.

    Raises WatermarkError for a PDF that cannot be opened (damaged, or encrypted with a user password)."""
    name = unicodedata.normalize("NFC", " ".join(name.split()))
    footer = unicodedata.normalize("NFC", " ".join(footer.split()))
    try:
        pdf = pikepdf.open(io.BytesIO(source))
    except pikepdf.PasswordError:
        raise WatermarkError("tệp PDF có đặt mật khẩu, không đóng được tên người đọc") from None
    except pikepdf.PdfError:
        raise WatermarkError("tệp PDF bị hỏng, không đóng được tên người đọc") from None
    with pdf:
        font = _Font(pdf, name + footer, font_path())
        gstate = pdf.make_indirect(Dictionary(Type=Name.ExtGState, ca=OPACITY, CA=OPACITY))
        forms: dict[tuple[float, float], pikepdf.Object] = {}
        for page in pdf.pages:
            box = Rectangle(page.trimbox)
            width, height = abs(box.width), abs(box.height)
            if int(page.obj.get(Name.Rotate, 0)) % 180:
                width, height = height, width  # the stamp is drawn for the page as it is seen, then turned
            key = (round(width, 1), round(height, 1))
            if key not in forms:
                forms[key] = _stamp(pdf, font, gstate, width, height, name, footer)
            page.add_overlay(forms[key], box)
        out = io.BytesIO()
        pdf.save(out, compress_streams=True)
    return out.getvalue()


def watermark_lines(reader: str, context: Sequence[str]) -> tuple[str, str]:
    """The name and the footer for ``reader``: "Nguyễn Văn A" and "Cấp cho Nguyễn Văn A · <context...>"."""
    reader = unicodedata.normalize("NFC", reader.strip())
    return reader, " · ".join([f"Tài liệu họp cấp cho {reader}", *context])
