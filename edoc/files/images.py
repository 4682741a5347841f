"""Images people upload to be drawn into signatures (the handwritten signature, the seal): checked whole."""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from edoc.core.errors import TooLarge, UnsupportedMedia, ValidationFailed


def transparent_png(data: bytes, *, what: str, field: str, max_bytes: int, min_size: tuple[int, int],
                    max_size: tuple[int, int]) -> Image.Image:
    """``data`` as RGBA if it is a real PNG (decoded whole, not just its first bytes) of a sensible size with a
    transparent background: Appendix I of the Decree draws these images over the page, where an opaque one
    would hide the lines under it. ``what`` names the image in the messages ("Ảnh chữ ký")."""
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
    return rgba
