"""Rendering per Appendix I, checked in the PDF itself: text and order, fonts, page size, fields."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest

from edoc.rendering import render_pdf
from edoc.rendering.convert import ConversionError, docx_to_pdf, soffice_path
from edoc.rendering.dates import date_line, day_str, month_str, number_str
from edoc.rendering.samples import sample_153_cv, sample_445_kh
from signing.forms import FormError, field_boxes, fill_text_fields
from tests.support.components import missing, require_tool


def _text(pdf: bytes, tmp_path: Path) -> str:
    require_tool("pdftotext", "poppler-utils")
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def _in_order(text: str, parts: list[str]) -> None:
    position = 0
    for part in parts:
        found = text.find(part, position)
        assert found >= 0, f"{part!r} missing (or out of order) after position {position}"
        position = found + len(part)


def test_dates_and_numbers_per_the_decree():
    assert date_line("Gia Lâm", date(2023, 4, 10)) == "Gia Lâm, ngày 10 tháng 4 năm 2023"
    assert date_line("Hà Nội", date(2024, 2, 5)) == "Hà Nội, ngày 05 tháng 02 năm 2024"
    assert (day_str(date(2024, 1, 9)), month_str(date(2024, 1, 9)), month_str(date(2024, 12, 9))) == ("09", "01", "12")
    assert (number_str(5), number_str(10), number_str(445)) == ("05", "10", "445")


def test_445_kh_reproduces_the_sample(tmp_path):
    rendered = render_pdf(sample_445_kh())
    text = _text(rendered.pdf, tmp_path)
    _in_order(text, ["LIÊN ĐOÀN LAO ĐỘNG", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "HUYỆN GIA LÂM", "Gia Lâm, ngày 10 tháng 4 năm 2023", "Số: 445/KH-LĐLĐ", "KẾ HOẠCH",
                     "Thực hiện Chỉ thị 15 - CT/TU", "I. MỤC ĐÍCH, YÊU CẦU", "III. TỔ CHỨC THỰC HIỆN",
                     "Nơi nhận:", "TM. BAN THƯỜNG VỤ", "CHỦ TỊCH", "Lưu: VT, VP.", "Nguyễn Văn Hùng"])
    assert rendered.pages == 4
    assert "2\n" in text  # page numbers from the second page on


def test_153_cong_van_has_vv_and_kinh_gui(tmp_path):
    text = _text(render_pdf(sample_153_cv()).pdf, tmp_path)
    _in_order(text, ["TỔNG LIÊN ĐOÀN LAO ĐỘNG", "Số: 153/LĐLĐ", "V/v thông tin, tuyên truyền",
                     "Kính gửi: - Liên đoàn Lao động các quận, huyện, thị xã;", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"])
    assert "- Như trên;" in text
    assert "CÔNG VĂN" not in text  # a công văn prints no type name


def test_fonts_are_times_metrics_and_page_is_a4(tmp_path):
    require_tool("pdffonts", "poppler-utils")
    path = tmp_path / "d.pdf"
    path.write_bytes(render_pdf(sample_445_kh()).pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Decree-Serif" in fonts and "DejaVu" not in fonts
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "595.276 x 841.89 pts (A4)" in info


def test_unissued_document_leaves_fields_then_fills_them(tmp_path):
    rendered = render_pdf(sample_445_kh(issued=False))
    assert set(rendered.fields) == {"doc_number", "doc_day", "doc_month", "doc_year", "sig_signer"}
    text = _text(rendered.pdf, tmp_path)
    assert "Số: /KH-LĐLĐ" in text.replace("  ", " ").replace("  ", " ") or "/KH-LĐLĐ" in text
    assert "445" not in text
    sig = rendered.fields["sig_signer"]
    x1, y1, x2, y2 = sig.box
    assert 140 < x2 - x1 < 170 and 70 < y2 - y1 < 90  # about 56 × 28 mm between title and name
    filled = fill_text_fields(rendered.pdf, {"doc_number": "445", "doc_day": "10", "doc_month": "4",
                                             "doc_year": "2023"})
    assert filled.startswith(rendered.pdf)  # an incremental update: the rendered bytes are untouched
    text = _text(filled, tmp_path)
    assert "445" in text and "10" in text and "2023" in text
    assert set(field_boxes(filled)) == set(rendered.fields)
    with pytest.raises(FormError):
        fill_text_fields(rendered.pdf, {"doc_number": "ấ"})
    with pytest.raises(FormError):
        fill_text_fields(rendered.pdf, {"no_such_field": "1"})


def _docx(tmp_path: Path) -> Path:
    """A real DOCX, made by LibreOffice from HTML."""
    html = tmp_path / "du-thao.html"
    html.write_text("<html><body><p>Công đoàn Gia Lâm: dự thảo kế hoạch năm 2026</p></body></html>",
                    encoding="utf-8")
    subprocess.run([soffice_path(), "--headless", "--norestore",
                    f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--convert-to",
                    "docx:MS Word 2007 XML", "--outdir", str(tmp_path), str(html)],
                   capture_output=True, check=True, timeout=120)
    return tmp_path / "du-thao.docx"


def test_docx_converts_to_pdf(tmp_path):
    if soffice_path() is None:
        missing("LibreOffice", "no soffice (Debian package libreoffice-writer-nogui)")
    pdf = docx_to_pdf(_docx(tmp_path).read_bytes())
    assert "Công đoàn Gia Lâm: dự thảo kế hoạch năm 2026" in _text(pdf, tmp_path)


def test_broken_docx_is_a_clear_error(tmp_path):
    if soffice_path() is None:
        missing("LibreOffice", "no soffice (Debian package libreoffice-writer-nogui)")
    with pytest.raises(ConversionError, match="không phải văn bản Word hợp lệ"):
        docx_to_pdf(b"PK\x03\x04 this is not a real zip")
