"""Large PDFs made on disk without holding them in memory, for tests and benchmarks of large uploads."""

from __future__ import annotations

import os
from pathlib import Path


def pdf_with_image(path: Path, image_bytes: int) -> None:
    """One page showing one uncompressed RGB image of about ``image_bytes`` of noise."""
    side = int((image_bytes / 3) ** 0.5)
    content = b"q 100 0 0 100 50 600 cm /Im1 Do Q"
    with path.open("wb") as out:
        offsets = []

        def obj(number: int, body: bytes) -> None:
            offsets.append(out.tell())
            out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")

        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        obj(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
        obj(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /XObject << /Im1 5 0 R >> >> >>")
        obj(4, b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
        offsets.append(out.tell())
        out.write(b"5 0 obj\n<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
                  b"/BitsPerComponent 8 /Length %d >>\nstream\n" % (side, side, side * side * 3))
        left = side * side * 3
        while left:
            chunk = os.urandom(min(left, 1 << 20))
            out.write(chunk)
            left -= len(chunk)
        out.write(b"\nendstream\nendobj\n")
        xref = out.tell()
        out.write(b"xref\n0 6\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets))
        out.write(b"trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref)
