"""The reader's name on every page of an unsigned paper: readable text (NFC Vietnamese), on rotated pages too,
and a clear refusal for what cannot be stamped."""

from __future__ import annotations

import io
import subprocess
import unicodedata

import pikepdf
import pytest

from meetings.papers.watermark import WatermarkError, watermark, watermark_lines
from tests.documents.conftest import simple_pdf
from tests.support.components import require_tool

NAME = "Nguyễn Thị Hồng Nhung"


@pytest.fixture(scope="module")
def source() -> bytes:
    """Two portrait pages, then a page turned a quarter and a landscape page (pikepdf adds them)."""
    pdf = pikepdf.open(io.BytesIO(simple_pdf(["BÁO CÁO TỔNG KẾT", *["Nội dung báo cáo."] * 60])))
    pdf.pages[0].obj.Rotate = 90
    pdf.add_blank_page(page_size=(842, 595))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _text(pdf: bytes) -> list[str]:
    require_tool("pdftotext", "poppler-utils")
    pages = []
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        count = len(doc.pages)
    for n in range(1, count + 1):
        pages.append(subprocess.run(["pdftotext", "-raw", "-f", str(n), "-l", str(n), "-", "-"], input=pdf,
                                    capture_output=True, check=True).stdout.decode())
    return pages


def test_every_page_carries_the_name_and_the_footer(source: bytes) -> None:
    decomposed = unicodedata.normalize("NFD", NAME)  # as some keyboards type it: stamped as NFC all the same
    name, footer = watermark_lines(decomposed, ["Họp Ban Thường vụ", "14:05 03/12/2026"])
    stamped = watermark(source, name, footer)
    pages = _text(stamped)
    assert len(pages) == len(_text(source)) >= 2
    for text in pages:
        assert NAME in text and f"Tài liệu họp cấp cho {NAME} · Họp Ban Thường vụ · 14:05 03/12/2026" in text
    assert "TỔNG" in pages[0] and "KẾT" in pages[0]  # the page's own content is still there, under the stamp
    with pikepdf.open(io.BytesIO(stamped)) as doc:
        assert int(doc.pages[0].obj.Rotate) == 90  # the page is not turned; its stamp is
        fonts = {str(f.get("/BaseFont")) for p in doc.pages for x in p.Resources.XObject.values()
                 for f in x.get("/Resources", {}).get("/Font", {}).values()}
    assert any(f.startswith("/EDOCWM+Liberation") for f in fonts)  # a subset, embedded


def test_what_cannot_be_stamped_is_refused_in_vietnamese(source: bytes) -> None:
    with pytest.raises(WatermarkError, match="bị hỏng"):
        watermark(b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", NAME)
    encrypted = io.BytesIO()
    with pikepdf.open(io.BytesIO(source)) as doc:
        doc.save(encrypted, encryption=pikepdf.Encryption(user="mat-khau", owner="chu"))
    with pytest.raises(WatermarkError, match="mật khẩu"):
        watermark(encrypted.getvalue(), NAME)
