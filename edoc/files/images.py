"""Images people upload to be drawn into signatures (the handwritten signature, the seal): checked whole,
and for the ink the Decree gives them (Appendix I: the signer's signature blue, the seal red)."""

from __future__ import annotations

import colorsys
import io
from typing import Literal

from PIL import Image, UnidentifiedImageError

from edoc.core.errors import TooLarge, UnsupportedMedia, ValidationFailed

Ink = Literal["blue", "red"]
INK_SHARE = 0.6
"""Share of the inked pixels that must be of the ink's colour: tolerant of anti-aliased edges, a scanner's
grey specks or a few strokes of another pen, not of a black or red signature."""
_INK_NAME = {"blue": "màu xanh", "red": "màu đỏ"}


def _blue(r: int, g: int, b: int) -> bool:
    # hue from cyan-blue to blue-violet (180°-265°), clearly coloured (not grey or black) and not too dark to
    # tell: navy ballpoint ink (25, 35, 80) is blue, black (0, 0, 0) and dark grey are not, purple is not
    hue, saturation, value = colorsys.rgb_to_hsv(r / 255, g / 255, b / 255)
    return 180 / 360 <= hue <= 265 / 360 and saturation >= 0.25 and value >= 0.2


def _red(r: int, g: int, b: int) -> bool:
    return r > 120 and r > g * 1.4 and r > b * 1.4


def ink_share(image: Image.Image, ink: Ink) -> float | None:
    """Share of the image's inked pixels (alpha over half) that are of ``ink``'s colour; None if nothing is
    inked. Counted on a thumbnail: the verdict does not need every pixel of a 3000-pixel scan."""
    small = image.convert("RGBA")
    small.thumbnail((256, 256), Image.Resampling.NEAREST)  # nearest: thin strokes keep their colour and alpha
    raw = small.tobytes()  # RGBA, 4 bytes a pixel
    inked = [(raw[i], raw[i + 1], raw[i + 2]) for i in range(0, len(raw), 4) if raw[i + 3] > 128]
    if not inked:
        return None
    matches = _blue if ink == "blue" else _red
    return sum(1 for pixel in inked if matches(*pixel)) / len(inked)


def check_ink(image: Image.Image, ink: Ink, *, what: str, field: str) -> None:
    """Refuse an image that is not mostly of ``ink``'s colour, or has nothing drawn at all."""
    share = ink_share(image, ink)
    if share is None:
        raise ValidationFailed(f"{what} không có nét nào (toàn bộ trong suốt).", field=field)
    if share < INK_SHARE:
        raise ValidationFailed(f"{what} phải {_INK_NAME[ink]} (Phụ lục I, Nghị định 30/2020/NĐ-CP); ảnh này chỉ "
                               f"có {share:.0%} nét {_INK_NAME[ink]}.", field=field)


def transparent_png(data: bytes, *, what: str, field: str, max_bytes: int, min_size: tuple[int, int],
                    max_size: tuple[int, int], ink: Ink | None = None) -> Image.Image:
    """``data`` as RGBA if it is a real PNG (decoded whole, not just its first bytes) of a sensible size with a
    transparent background: Appendix I of the Decree draws these images over the page, where an opaque one
    would hide the lines under it. ``what`` names the image in the messages ("Ảnh chữ ký"); ``ink``, the
    colour it must mostly be drawn in (``check_ink``)."""
    if len(data) > max_bytes:
        raise TooLarge(f"{what} vượt quá {max_bytes // 1024} KB.", field=field)
    bounds = f"cần từ {min_size[0]}×{min_size[1]} đến {max_size[0]}×{max_size[1]}"
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format != "PNG":
                raise UnsupportedMedia(f"{what} phải là tệp PNG.", field=field)
            width, height = probe.size
            # Checked before decoding: a few KB of PNG can claim a gigapixel image.
            if not (min_size[0] <= width <= max_size[0] and min_size[1] <= height <= max_size[1]):
                raise ValidationFailed(f"{what} {width}×{height} điểm ảnh: {bounds}.", field=field)
            probe.verify()  # chunk checksums
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # every pixel: a truncated or corrupt stream fails here
            has_alpha = image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info
            rgba = image.convert("RGBA")
    except Image.DecompressionBombError:  # Pillow refuses to even open one claiming this many pixels
        raise ValidationFailed(f"{what} quá nhiều điểm ảnh: {bounds}.", field=field) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise UnsupportedMedia("Tệp không phải ảnh PNG hợp lệ (hỏng hoặc không đọc được).", field=field) from None
    if not has_alpha or rgba.getchannel("A").getextrema()[0] == 255:
        raise ValidationFailed(f"{what} phải có nền trong suốt (PNG có kênh alpha), không phải nền trắng.",
                               field=field)
    if ink is not None:
        check_ink(rgba, ink, what=what, field=field)
    return rgba
