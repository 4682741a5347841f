"""The Decree's appearances of digital signatures (Decree 30/2020, Appendix I, part II items 7-8, part III).

- ``SignerImage``: the signer's handwritten signature, a blue transparent PNG, centred between the signer's
  title and name (the renderer leaves the empty field ``sig_signer`` there); no text.
- ``SealImage``: the organisation's seal, a red transparent PNG at its real size, covering about the left third
  of the signer's signature image; only ever over a signer's signature.
- ``TextStamp``: no image, a few lines in Times New Roman 10 pt, black, at the top right of the first page: for
  an attachment in a separate file, the document's số/ký hiệu and the signing time in ISO 8601 with Vietnam's
  offset (``attachment_stamp``); for an electronic copy, the copy form, the copying organisation and the time
  (``copy_stamp``).
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from pyhanko.pdf_utils import content
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.layout import AxisAlignment, BoxConstraints, InnerScaling, Margins, SimpleBoxLayoutRule
from pyhanko.stamp import StaticStampStyle

from signing.errors import AppearanceError
from signing.fonts import TrueTypeFont, default_font_path
from signing.placement import MM, Box, Placement

SEAL_MM = 36.0
"""A common diameter of a round seal in Vietnam, used when neither the caller nor the PNG says."""
VIETNAM = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")  # no DST since 1975: a fixed offset is exact
TEXT_SIZE = 10.0
LINE_SPACING = 1.15
_AIR = 1.0

_FLOAT_OVERFLOW = re.compile(r"Content box width/height ([0-9.e+-]+) is too wide for container size ([0-9.e+-]+) ")


class _RoundingNoise(logging.Filter):
    """Drops pyHanko's "Content box … too wide" warning when the excess is float rounding: an image stretched to
    fit its field comes out 102.00000000000001 wide for a 102 pt field, which pyHanko reports (and then places
    exactly as it would have). Every seal and signature logged it, twice, drowning real warnings (and ``edoc
    demo``'s printout). A real overflow is still reported."""

    def filter(self, record: logging.LogRecord) -> bool:
        found = _FLOAT_OVERFLOW.match(record.getMessage())
        return found is None or float(found.group(1)) - float(found.group(2)) > 1e-6


logging.getLogger("pyhanko.pdf_utils.layout").addFilter(_RoundingNoise())


@lru_cache(maxsize=8)
def load_font(path: Path) -> TrueTypeFont:
    """Font metrics, parsed once per process (a stamp per attachment should not re-read the font file)."""
    return TrueTypeFont(path)


def iso_vietnam(moment: datetime) -> str:
    """``2023-04-10T09:15:02+07:00``: the signing time as the Decree writes it."""
    return moment.astimezone(VIETNAM).replace(microsecond=0).isoformat()


def _open_png(png: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(png))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise AppearanceError(f"ảnh không đọc được ({exc})") from None
    if image.width < 1 or image.height < 1:
        raise AppearanceError("ảnh rỗng")
    return image


def _image_style(image: Image.Image) -> StaticStampStyle:
    # aspect kept, scaled to fit the field, centred; nothing else drawn (no border, no text)
    layout = SimpleBoxLayoutRule(x_align=AxisAlignment.ALIGN_MID, y_align=AxisAlignment.ALIGN_MID,
                                 margins=Margins.uniform(0), inner_content_scaling=InnerScaling.STRETCH_TO_FIT)
    return StaticStampStyle(background=PdfImage(image), background_layout=layout, border_width=0,
                            background_opacity=1.0)


def image_style(png: bytes) -> StaticStampStyle:
    """A pyHanko stamp style showing only ``png``, centred in the field, aspect kept, scaled to fit."""
    return _image_style(_open_png(png))


def empty_style() -> StaticStampStyle:
    """Draws nothing: pyHanko's default would otherwise write its own text into a visible field."""
    return StaticStampStyle(background=None, border_width=0)


@dataclass(frozen=True)
class SignerImage:
    """The signer's signature image, fitted into the signature field."""

    png: bytes

    def style(self) -> StaticStampStyle:
        return image_style(self.png)


@dataclass(frozen=True)
class SealImage:
    """The organisation's seal at its real size: ``size_mm`` across (its larger side); if not given, from the
    PNG's resolution (pHYs) when it has one, else ``SEAL_MM``."""

    png: bytes
    size_mm: float | None = None

    def size_points(self) -> tuple[float, float]:
        image = _open_png(self.png)
        if self.size_mm is not None:
            if not 5 <= self.size_mm <= 80:
                raise AppearanceError(f"kích thước dấu {self.size_mm} mm không hợp lý (5-80 mm)")
            across = self.size_mm * MM
            scale = across / max(image.width, image.height)
            return image.width * scale, image.height * scale
        dpi = image.info.get("dpi")
        if dpi and dpi[0] > 1 and dpi[1] > 1:
            return image.width / float(dpi[0]) * 72, image.height / float(dpi[1]) * 72
        return SealImage(self.png, SEAL_MM).size_points()

    def style(self) -> StaticStampStyle:
        return image_style(self.png)


def seal_box(signer_image: Box, size: tuple[float, float] | float = SEAL_MM * MM) -> Box:
    """Where the seal goes: its right edge a third of the way into the signer's image, so that it covers the
    image's left third, vertically centred on the image. ``size`` is (width, height) in points, or one side."""
    width, height = (size, size) if isinstance(size, int | float) else size
    x1, y1, x2, y2 = signer_image
    right = x1 + (x2 - x1) / 3
    centre_y = (y1 + y2) / 2
    return (right - width, centre_y - height / 2, right, centre_y + height / 2)


@dataclass(frozen=True)
class TextStamp:
    """Lines of text (and, by default, the signing time as a last line), right-aligned, black."""

    lines: tuple[str, ...]
    show_time: bool = True
    font_size: float = TEXT_SIZE
    font_path: Path | None = None

    @property
    def font(self) -> TrueTypeFont:
        return load_font(self.font_path or default_font_path())

    def text_lines(self, signing_time: datetime) -> list[str]:
        return [*self.lines, iso_vietnam(signing_time)] if self.show_time else list(self.lines)

    def size(self, signing_time: datetime) -> tuple[float, float]:
        """(width, height) in points of the text block."""
        lines = self.text_lines(signing_time)
        font, size = self.font, self.font_size
        width = max(font.text_width(line, size) for line in lines)
        height = (font.ascent - font.descent) * size + (len(lines) - 1) * LINE_SPACING * size
        return width, height

    def style(self, signing_time: datetime) -> StaticStampStyle:
        block = _TextBlock(self.text_lines(signing_time), self.font, self.font_size)
        # the point of air that ``placement`` leaves on every side: without the margin the text would sit in
        # the field's top right corner, a point past the right margin line
        layout = SimpleBoxLayoutRule(x_align=AxisAlignment.ALIGN_MAX, y_align=AxisAlignment.ALIGN_MAX,
                                     margins=Margins.uniform(_AIR), inner_content_scaling=InnerScaling.NO_SCALING)
        return StaticStampStyle(background=block, background_layout=layout, border_width=0, background_opacity=1.0)

    def placement(self, page_size: tuple[float, float], signing_time: datetime, *, page: int = 0,
                  right_mm: float = 20.0, top_mm: float = 8.0) -> Placement:
        """Top right of the page: inside the right margin line (Decree: right margin 15-20 mm), in the top
        margin above the text."""
        width, height = self.size(signing_time)
        page_width, page_height = page_size
        x2, y2 = page_width - right_mm * MM, page_height - top_mm * MM
        # a point of air around the text so that no viewer clips a descender at the field's edge
        return Placement(page, (x2 - width - _AIR, y2 - height - _AIR, x2 + _AIR, y2 + _AIR))


def attachment_stamp(number: str) -> TextStamp:
    """The organisation's signature on an attachment in a separate file: số/ký hiệu, then the signing time."""
    if not number.strip():
        raise AppearanceError("cần số, ký hiệu văn bản để ký số văn bản kèm theo")
    return TextStamp((number.strip(),))


def copy_stamp(form: str, organisation: str) -> TextStamp:
    """The organisation's signature on an electronic copy (Appendix I, part II.3 of the copies section): the
    copy form (SAO Y, SAO LỤC, TRÍCH SAO), the copying organisation, then the signing time."""
    return TextStamp((form.strip(), organisation.strip()))


class _TextBlock(content.PdfContent):
    """Right-aligned lines in an embedded font subset, as a stamp background."""

    def __init__(self, lines: list[str], font: TrueTypeFont, size: float) -> None:
        self.lines, self.font, self.size = lines, font, size
        widths = [font.text_width(line, size) for line in lines]
        height = (font.ascent - font.descent) * size + (len(lines) - 1) * LINE_SPACING * size
        self._widths = widths
        super().__init__(box=BoxConstraints(width=max(widths), height=height))

    def render(self) -> bytes:
        embedded = self.font.embed(self._ensure_writer, "".join(self.lines))
        self.set_resource(content.ResourceType.FONT, pdf_name("/F1"), embedded.ref)
        width, height = self.box.width, self.box.height
        ops = [b"BT", b"0 g", b"/F1 %g Tf" % self.size]
        x_prev = y_prev = 0.0
        for index, (line, line_width) in enumerate(zip(self.lines, self._widths, strict=True)):
            x = width - line_width
            y = height - self.font.ascent * self.size - index * LINE_SPACING * self.size
            ops.append(b"%.3f %.3f Td %s Tj" % (x - x_prev, y - y_prev, embedded.encode(line)))
            x_prev, y_prev = x, y
        ops.append(b"ET")
        return b" ".join(ops)


Appearance = SignerImage | SealImage | TextStamp
