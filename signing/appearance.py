"""The Decree's appearances of digital signatures (Appendix I, II.7-8).

- the signer's: their blue, transparent handwritten-signature image, centred in the field between title and name;
- the organisation's (the seal): the red seal image at its real size, covering about the left third of the
  signer's image.
"""

from __future__ import annotations

import io

from PIL import Image
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.layout import AxisAlignment, InnerScaling, SimpleBoxLayoutRule
from pyhanko.stamp import StaticStampStyle

Box = tuple[float, float, float, float]
MM = 72 / 25.4
SEAL_MM = 36.0


def image_style(png: bytes) -> StaticStampStyle:
    """The image alone, aspect kept, shrunk to fit and centred; no border, no text."""
    image = Image.open(io.BytesIO(png))
    image.load()
    layout = SimpleBoxLayoutRule(x_align=AxisAlignment.ALIGN_MID, y_align=AxisAlignment.ALIGN_MID,
                                 inner_content_scaling=InnerScaling.SHRINK_TO_FIT)
    return StaticStampStyle(background=PdfImage(image), background_layout=layout, border_width=0,
                            background_opacity=1.0)


def seal_box(signer_box: Box, *, seal_mm: float = SEAL_MM) -> Box:
    """Where the seal goes: its real size, its right third over the left third of the signer's field,
    vertically centred on it."""
    x1, y1, x2, y2 = signer_box
    size = seal_mm * MM
    centre_y = (y1 + y2) / 2
    right = x1 + (x2 - x1) / 3
    return (right - size, centre_y - size / 2, right, centre_y + size / 2)
