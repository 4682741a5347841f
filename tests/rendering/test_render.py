"""Rendering per Appendix I, checked in the PDF itself: text and its order, where each element sits and at what
size (pdftotext's word boxes), fonts, page size, page numbers, fields."""

from __future__ import annotations

import html
import re
import subprocess
import time
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pytest

from edoc.rendering import DocumentSpec, SignerBlock, render_pdf
from edoc.rendering.html import LEFT_COLUMN, MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, SIZES
from edoc.rendering.samples import sample_153_cv, sample_445_kh
from signing.forms import field_boxes, fill_text_fields
from tests.support.components import require_tool

MM = 72 / 25.4
PAGE_WIDTH, PAGE_HEIGHT = 595.276, 841.89
TEXT_LEFT, TEXT_RIGHT = MARGIN_LEFT * MM, PAGE_WIDTH - MARGIN_RIGHT * MM
TEXT_CENTRE = (TEXT_LEFT + TEXT_RIGHT) / 2
LEFT_CENTRE = TEXT_LEFT + LEFT_COLUMN * MM / 2
RIGHT_CENTRE = (TEXT_LEFT + LEFT_COLUMN * MM + TEXT_RIGHT) / 2
HEIGHT_PER_PT = 1.107
"""pdftotext's word box is the font's ascent + descent: 1.107 em for Liberation Serif / Times New Roman."""


@dataclass(frozen=True)
class Word:
    text: str
    x1: float
    y1: float  # from the top of the page, as pdftotext gives it
    x2: float
    y2: float

    @property
    def size(self) -> float:
        return (self.y2 - self.y1) / HEIGHT_PER_PT


def _pdf_path(pdf: bytes, tmp_path: Path) -> Path:
    path = tmp_path / f"doc-{abs(hash(pdf))}.pdf"
    path.write_bytes(pdf)
    return path


def _text(pdf: bytes, tmp_path: Path, *args: str) -> str:
    require_tool("pdftotext", "poppler-utils")
    return subprocess.run(["pdftotext", *args, str(_pdf_path(pdf, tmp_path)), "-"], capture_output=True,
                          text=True, check=True).stdout


def _words(pdf: bytes, tmp_path: Path) -> list[list[Word]]:
    """Words per page."""
    pages: list[list[Word]] = []
    for page in _text(pdf, tmp_path, "-bbox").split("<page ")[1:]:
        pages.append([Word(html.unescape(m[4]), float(m[0]), float(m[1]), float(m[2]), float(m[3])) for m in
                      re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>',
                                 page)])
    return pages


def _line(words: list[Word], phrase: str) -> list[Word]:
    """The run of words spelling ``phrase`` (first occurrence)."""
    parts = phrase.split()
    for i in range(len(words) - len(parts) + 1):
        if [w.text for w in words[i:i + len(parts)]] == parts:
            return words[i:i + len(parts)]
    raise AssertionError(f"{phrase!r} not found")


def _centre(run: list[Word]) -> float:
    return (run[0].x1 + run[-1].x2) / 2


def _in_order(text: str, parts: list[str]) -> None:
    """Each part found after the previous one, line breaks and runs of spaces counting as one space."""
    text = " ".join(text.split())
    position = 0
    for part in (" ".join(p.split()) for p in parts):
        found = text.find(part, position)
        assert found >= 0, f"{part!r} missing (or out of order) after position {position}"
        position = found + len(part)


@pytest.fixture(scope="module")
def kh() -> bytes:
    return render_pdf(sample_445_kh()).pdf


@pytest.fixture(scope="module")
def cv() -> bytes:
    return render_pdf(sample_153_cv()).pdf


def test_445_kh_text_in_order(kh, tmp_path):
    text = _text(kh, tmp_path)
    _in_order(text, ["LIÊN ĐOÀN LAO ĐỘNG THÀNH PHỐ HÀ NỘI", "LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM",
                     "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Số: 445/KH-LĐLĐ", "Gia Lâm, ngày 10 tháng 4 năm 2023",
                     "Độc lập - Tự do - Hạnh phúc", "KẾ HOẠCH", "Thực hiện Chỉ thị 15 - CT/TU",
                     "Thực hiện Kế hoạch số 89/KH-LĐLĐ", "I. MỤC ĐÍCH, YÊU CẦU", "1. Mục đích", "II. NỘI DUNG",
                     "III. TỔ CHỨC THỰC HIỆN", "2. Công đoàn cơ sở", "để xem xét, giải quyết./.", "Nơi nhận:",
                     "- Thường trực LĐLĐ huyện;", "- Lưu: VT, VP.", "TM. BAN THƯỜNG VỤ", "CHỦ TỊCH",
                     "Nguyễn Đức Thế"])
    assert "CÔNG VĂN" not in text and "V/v" not in text


def test_153_cong_van_text_in_order(cv, tmp_path):
    text = _text(cv, tmp_path)
    _in_order(text, ["TỔNG LIÊN ĐOÀN LAO ĐỘNG VIỆT NAM", "LIÊN ĐOÀN LAO ĐỘNG THÀNH PHỐ HÀ NỘI", "Số: 153/LĐLĐ",
                     "Hà Nội, ngày 27 tháng 3 năm 2019", "V/v thông tin, tuyên truyền về công tác kiểm soát thủ tục "
                     "hành chính, cải cách thủ tục hành chính và việc thực hiện cơ chế một cửa, một cửa liên thông "
                     "năm 2019 trên địa bàn thành phố Hà Nội", "Kính gửi:",
                     "- Liên đoàn Lao động các quận, huyện, thị xã;",
                     "- Các công đoàn cơ sở trực thuộc LĐLĐ Thành phố.",
                     "Thực hiện Kế hoạch số 33/KH-UBND", "(qua Ban Tuyên giáo)./.", "Nơi nhận:", "- Như trên;",
                     "- Lưu: VT, TG.", "TM. BAN THƯỜNG VỤ", "PHÓ CHỦ TỊCH", "Phạm Văn Nam"])
    assert "CÔNG VĂN" not in text  # a công văn prints no type name


def test_header_positions_and_sizes(kh, tmp_path):
    first = _words(kh, tmp_path)[0]
    national, motto = _line(first, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), _line(first, "Độc lập - Tự do - Hạnh phúc")
    date_run, number = _line(first, "Gia Lâm, ngày 10 tháng 4 năm 2023"), _line(first, "Số: 445/KH-LĐLĐ")
    org, parent = _line(first, "HUYỆN GIA LÂM"), _line(first, "LIÊN ĐOÀN LAO ĐỘNG")
    # ô 1 and ô 4 centred on the right column, ô 2 and ô 3 on the left one
    for run in (national, motto, date_run):
        assert abs(_centre(run) - RIGHT_CENTRE) < 1.5, run
    for run in (org, parent, number):
        assert abs(_centre(run) - LEFT_CENTRE) < 1.5, run
    assert national[0].x1 > TEXT_LEFT + LEFT_COLUMN * MM and org[-1].x2 < TEXT_LEFT + LEFT_COLUMN * MM
    # the national title on top; the number and the date on one line
    assert abs(national[0].y1 - parent[0].y1) < 0.5 and national[0].y1 < MARGIN_TOP * MM + 3
    assert abs(number[0].y2 - date_run[0].y2) < 0.5
    sizes = {"national": national, "motto": motto, "date": date_run, "number": number, "org": org,
             "parent": parent}
    for name, run in sizes.items():
        assert abs(run[0].size - SIZES[name]) < 0.3, (name, run[0].size)
    # ô 5a centred on the page's text width, under the header; the body starts with a 1.27 cm indent
    title = _line(first, "KẾ HOẠCH")
    assert abs(_centre(title) - TEXT_CENTRE) < 1.5 and title[0].y1 > number[0].y2
    assert abs(title[0].size - SIZES["type"]) < 0.3
    body = _line(first, "Thực hiện Kế hoạch số")
    assert abs(body[0].x1 - (TEXT_LEFT + 1.27 / 2.54 * 72)) < 0.5 and abs(body[0].size - SIZES["body"]) < 0.3
    # justified: the first body line ends at the right margin
    line_words = [w for w in first if abs(w.y1 - body[0].y1) < 0.5]
    assert abs(line_words[-1].x2 - TEXT_RIGHT) < 1.0


def test_closing_positions_sizes_and_signature_field(tmp_path):
    rendered = render_pdf(sample_445_kh(issued=False))
    last = _words(rendered.pdf, tmp_path)[-1]
    label, authority = _line(last, "Nơi nhận:"), _line(last, "TM. BAN THƯỜNG VỤ")
    title, name = _line(last, "CHỦ TỊCH"), _line(last, "Nguyễn Đức Thế")
    storage = _line(last, "- Lưu: VT, VP.")
    # ô 9b at the left margin, level with the signer's first line (ô 7a) on the right half
    assert abs(label[0].x1 - TEXT_LEFT) < 0.5 and abs(storage[0].x1 - TEXT_LEFT) < 0.5
    assert abs(label[0].y2 - authority[0].y2) < 1.5
    assert authority[0].x1 > TEXT_CENTRE - 20 and abs(_centre(authority) - _centre(name)) < 1.0
    assert (round(label[0].size), round(storage[0].size), round(authority[0].size), round(name[0].size)) == \
        (SIZES["recipients_label"], SIZES["recipients"], SIZES["signer"], SIZES["signer"])
    # the signature field: between the title and the name, centred over the name, ~56 × 28 mm
    page, (x1, y1, x2, y2) = rendered.fields["sig_signer"]
    assert page == rendered.pages - 1
    assert 50 * MM <= x2 - x1 <= 60 * MM and 25 * MM <= y2 - y1 <= 30 * MM
    assert abs((x1 + x2) / 2 - _centre(name)) < 1.0
    assert PAGE_HEIGHT - y2 >= title[0].y2 - 0.5 and PAGE_HEIGHT - y1 <= name[0].y1 + 0.5


def test_page_numbers_from_the_second_page_centred_in_the_top_margin(kh, tmp_path):
    pages = _words(kh, tmp_path)
    assert len(pages) == 4
    assert all(w.y2 > MARGIN_TOP * MM for w in pages[0])  # nothing printed above the text on page 1
    for index, words in enumerate(pages[1:], start=2):
        top = [w for w in words if w.y2 < MARGIN_TOP * MM]
        assert [w.text for w in top] == [str(index)]
        assert abs(_centre(top) - TEXT_CENTRE) < 1.0 and abs(top[0].size - SIZES["page_number"]) < 0.3


def test_fonts_are_embedded_times_metrics_and_the_page_is_a4(kh, tmp_path):
    require_tool("pdffonts", "poppler-utils")
    path = _pdf_path(kh, tmp_path)
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    names = {line.split()[0].split("+")[-1] for line in lines}
    assert names <= {"Liberation-Serif", "Liberation-Serif-Bold", "Liberation-Serif-Italic",
                     "Liberation-Serif-Bold-Italic", "TimesNewRomanPSMT", "TimesNewRomanPS-BoldMT",
                     "TimesNewRomanPS-ItalicMT", "TimesNewRomanPS-BoldItalicMT"}, names
    assert {"Liberation-Serif", "Liberation-Serif-Bold", "Liberation-Serif-Italic"} <= names or \
        "TimesNewRomanPSMT" in names
    assert all(line.split()[-5] == "yes" for line in lines)  # embedded
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+595\.27\d? x 841\.89 pts \(A4\)", info)


def test_unissued_document_has_fields_where_the_number_and_date_go(tmp_path):
    rendered = render_pdf(sample_445_kh(issued=False))
    assert set(rendered.fields) == {"doc_number", "doc_day", "doc_month", "doc_year", "sig_signer"}
    assert field_boxes(rendered.pdf) == rendered.fields
    first = _words(rendered.pdf, tmp_path)[0]
    text = _text(rendered.pdf, tmp_path)
    assert re.search(r"Số:\s+/KH-LĐLĐ", text) and re.search(r"Gia Lâm, ngày\s+tháng\s+năm\n", text)

    def top(name: str) -> tuple[float, float, float, float]:  # the field box, from the top as pdftotext counts
        page, (x1, y1, x2, y2) = rendered.fields[name]
        assert page == 0
        return x1, PAGE_HEIGHT - y2, x2, PAGE_HEIGHT - y1

    so, notation = _line(first, "Số:")[0], _line(first, "/KH-LĐLĐ")[0]
    x1, y1, x2, y2 = top("doc_number")
    assert so.x2 <= x1 + 0.01 and abs(x2 - notation.x1) < 0.5  # "Số:[    ]/KH-LĐLĐ", the space inside the field
    assert abs(y2 - so.y2) < 1 and so.y1 < y1 < so.y2  # in the line, from just under the baseline up
    day, month, year = top("doc_day"), top("doc_month"), top("doc_year")
    ngay, thang, nam = (_line(first, w)[0] for w in ("ngày", "tháng", "năm"))
    assert ngay.x2 < day[0] < day[2] < thang.x1 < thang.x2 < month[0] < month[2] < nam.x1 < nam.x2 < year[0]
    # filled in the order of the office (number and date at issue): the text reads as if printed
    filled = fill_text_fields(rendered.pdf, {"doc_number": "05", "doc_day": "05", "doc_month": "02",
                                             "doc_year": "2024"})
    text = _text(filled, tmp_path)
    assert re.search(r"Số:\s*05\s*/KH-LĐLĐ", text) and "Gia Lâm, ngày 05 tháng 02 năm 2024" in text
    digits = _line(_words(filled, tmp_path)[0], "05")[0]
    assert abs(digits.y2 - so.y2) < 0.3  # on the line's baseline
    assert abs(digits.x2 - notation.x1) < 1.5  # closed up to the notation


def test_a_document_with_every_optional_element(tmp_path):
    spec = DocumentSpec(
        parent_body="Ủy ban nhân dân tỉnh Đồng Nai", issuing_body="Sở Lao động - Thương binh và Xã hội",
        number=7, notation="QĐ-SLĐTBXH", place="Đồng Nai", date=date(2016, 2, 29), type_name="Quyết định",
        summary="Về việc ban hành Quy chế làm việc", secrecy="Mật", urgency="Hỏa tốc",
        body=("Căn cứ Luật Tổ chức chính quyền địa phương;\n\nCăn cứ Nghị định số 30/2020/NĐ-CP;\n\n"
              "QUYẾT ĐỊNH:\n\nĐiều 1. Ban hành kèm theo Quyết định này Quy chế làm việc.\n\n"
              "Điều 2. Quyết định này có hiệu lực kể từ ngày ký./.\n\n<script>x</script> **đậm**"),
        signer=SignerBlock(collective="ỦY BAN NHÂN DÂN", authority="KT.", authority_line="GIÁM ĐỐC",
                           title="PHÓ GIÁM ĐỐC", full_name="Trần Văn B"),
        recipients=["Như Điều 2", "Lưu: VT, VP"], drafter_initials="PL", copies=30)
    rendered = render_pdf(spec)
    text = _text(rendered.pdf, tmp_path)
    _in_order(text, ["ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI", "SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI", "Số: 07/QĐ-SLĐTBXH",
                     "Đồng Nai, ngày 29 tháng 02 năm 2016", "MẬT", "HỎA TỐC", "QUYẾT ĐỊNH",
                     "Về việc ban hành Quy chế làm việc",
                     "Căn cứ Luật Tổ chức", "QUYẾT ĐỊNH:", "Điều 1.", "<script>x</script> đậm", "Nơi nhận:",
                     "- Như Điều 2;", "- Lưu: VT, VP.", "PL.(30)", "TM. ỦY BAN NHÂN DÂN", "KT. GIÁM ĐỐC",
                     "PHÓ GIÁM ĐỐC", "Trần Văn B"])
    first = _words(rendered.pdf, tmp_path)[0]
    mat = _line(first, "MẬT")[0]
    assert abs((mat.x1 + mat.x2) / 2 - LEFT_CENTRE) < 1.5  # ô 10a, under the number
    assert set(rendered.fields) == {"sig_signer"}


def test_a_long_document_keeps_the_signer_block_whole(tmp_path):
    base = sample_445_kh()
    for extra in range(0, 12, 3):
        spec = replace(base, body=base.body + "\n\nĐoạn thêm để đẩy khối chữ ký xuống cuối trang." * extra)
        rendered = render_pdf(spec)
        last = _words(rendered.pdf, tmp_path)[-1]
        _line(last, "Nơi nhận:"), _line(last, "TM. BAN THƯỜNG VỤ"), _line(last, "Nguyễn Đức Thế")
        assert rendered.fields["sig_signer"].page == rendered.pages - 1


def test_render_time(capsys):
    render_pdf(sample_153_cv())  # the first render pays for fonts and imports
    timings = []
    for spec in (sample_445_kh(), sample_445_kh(issued=False), sample_153_cv()):
        start = time.perf_counter()
        rendered = render_pdf(spec)
        timings.append((spec.notation, rendered.pages, time.perf_counter() - start))
    with capsys.disabled():
        print("\nrender_pdf:", ", ".join(f"{n} ({p} pages) {t * 1000:.0f} ms" for n, p, t in timings))


@pytest.mark.parametrize(("sample", "values"), [
    (sample_445_kh, {"doc_number": "445", "doc_day": "10", "doc_month": "4", "doc_year": "2023"}),
    (sample_153_cv, {"doc_number": "153", "doc_day": "27", "doc_month": "3", "doc_year": "2019"}),
])
def test_filled_number_and_date_read_like_the_printed_line(tmp_path, sample, values):
    """Issued by filling the fields, the number line and the date line are spaced as when the renderer prints
    them directly: the fields are as wide as their digits (the number's room includes the space after "Số:").
    Only a one-digit month keeps a quarter em of slack each side (the field holds 10-12 and 01-02 too)."""
    filled = _words(fill_text_fields(render_pdf(sample(issued=False)).pdf, values), tmp_path)[0]
    printed = _words(render_pdf(sample()).pdf, tmp_path)[0]

    def gaps(words: list[Word], phrase: str) -> list[float]:
        run = _line(words, phrase)
        return [round(b.x1 - a.x2, 1) for a, b in zip(run, run[1:], strict=False)]

    number = values["doc_number"]
    size = 13.0
    # pdftotext reads a filled field as its own word: "Số:" "445" "/KH-LĐLĐ"
    so, digits = _line(filled, "Số:")[0], _line(filled, number)[0]
    slash = next(w for w in filled if w.text.startswith("/") and w.x1 > digits.x1)
    assert abs((digits.x1 - so.x2) - 0.25 * size) < 1.0  # one space after "Số:"
    assert -0.5 < slash.x1 - digits.x2 < 1.5  # closed up to "/KH-LĐLĐ"
    day, month, year = values["doc_day"], values["doc_month"], values["doc_year"]
    filled_gaps = gaps(filled, f"ngày {day} tháng {month} năm {year}")
    printed_gaps = gaps(printed, f"ngày {day} tháng {month} năm {year}")
    slack = [0.6, 0.6, 0.25 * size + 0.6, 0.25 * size + 0.6, 0.6]  # a quarter em each side of "4"
    for got, want, allowed in zip(filled_gaps, printed_gaps, slack, strict=True):
        assert abs(got - want) <= allowed, (filled_gaps, printed_gaps)
