"""The pieces under the renderer: the Decree's number and date forms, the body format drafters type, and the
normalisation a DocumentSpec does on the way in."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from edoc.rendering.body import Block, BlockKind, inline_html, parse_body
from edoc.rendering.dates import date_line, day_str, month_str, number_str, year_str
from edoc.rendering.metrics import UNIT_WORDS, balanced_lines, text_width
from edoc.rendering.samples import sample_153_cv, sample_445_kh
from edoc.rendering.spec import DocumentSpec, SignerBlock


def test_dates_and_numbers_per_the_decree():
    assert date_line("Gia Lâm", date(2023, 4, 10)) == "Gia Lâm, ngày 10 tháng 4 năm 2023"
    assert date_line("Hà Nội", date(2024, 2, 5)) == "Hà Nội, ngày 05 tháng 02 năm 2024"
    assert date_line("Hà Nội", date(2020, 1, 5)) == "Hà Nội, ngày 05 tháng 01 năm 2020"  # Appendix I's example
    assert date_line("Thành phố Hồ Chí Minh", date(2019, 6, 29)) == "Thành phố Hồ Chí Minh, ngày 29 tháng 6 năm 2019"
    assert [month_str(m) for m in (1, 2, 3, 9, 10, 12)] == ["01", "02", "3", "9", "10", "12"]
    assert (day_str(date(2024, 1, 9)), day_str(10), year_str(date(2024, 1, 9))) == ("09", "10", "2024")
    assert (number_str(1), number_str(5), number_str(10), number_str(445)) == ("01", "05", "10", "445")
    with pytest.raises(ValueError):
        number_str(0)


def test_body_blocks_from_blank_line_separated_text():
    text = ("Thực hiện Kế hoạch số 89/KH-LĐLĐ ..., Liên đoàn Lao động huyện Gia Lâm xây dựng Kế hoạch như sau:\n\n"
            "I. MỤC ĐÍCH, YÊU CẦU\n\n1. Mục đích\n\nTiếp tục thực hiện có hiệu quả Chỉ thị số 15-CT/TU.\n\n"
            "1. Thông tin, tuyên truyền về vai trò của công tác kiểm soát thủ tục hành chính.\n\n"
            "- Triển khai công tác thông tin;\n+ Đối tượng tham dự cuộc thi;\n\na) Đối với cán bộ;\n\n"
            "1.1. Tiểu mục\n\n\\2. Không phải tiêu đề\n\nĐiều 1. Phạm vi điều chỉnh\n\n"
            "Chương II\n\nQUY ĐỊNH CHUNG\n\nQUYẾT ĐỊNH:\n\n2023 là năm bản lề")
    assert [(b.kind, b.text[:12]) for b in parse_body(text)] == [
        (BlockKind.PARAGRAPH, "Thực hiện Kế"), (BlockKind.SECTION, "I. MỤC ĐÍCH,"),
        (BlockKind.CLAUSE_TITLE, "1. Mục đích"), (BlockKind.PARAGRAPH, "Tiếp tục thự"),
        (BlockKind.PARAGRAPH, "1. Thông tin"), (BlockKind.ITEM, "- Triển khai"), (BlockKind.ITEM, "+ Đối tượng "),
        (BlockKind.ITEM, "a) Đối với c"), (BlockKind.CLAUSE_TITLE, "1.1. Tiểu mụ"),
        (BlockKind.PARAGRAPH, "2. Không phả"), (BlockKind.ARTICLE, "Điều 1. Phạm"), (BlockKind.PART, "Chương II"),
        (BlockKind.PART_TITLE, "QUY ĐỊNH CHU"), (BlockKind.CENTRED, "QUYẾT ĐỊNH:"),
        (BlockKind.PARAGRAPH, "2023 là năm "),
    ]
    # one paragraph per line, without blank lines, reads the same
    assert parse_body(text.replace("\n\n", "\n")) == parse_body(text)


def test_legal_bases_at_the_start_are_italic_blocks():
    blocks = parse_body("Căn cứ Luật Công đoàn năm 2012;\nCăn cứ Điều lệ Công đoàn Việt Nam;\n"
                        "Theo đề nghị của Ban Tổ chức.\nCăn cứ vào đây thì không phải căn cứ ban hành.")
    assert [b.kind for b in blocks] == [BlockKind.BASIS, BlockKind.BASIS, BlockKind.PARAGRAPH, BlockKind.PARAGRAPH]


def test_inline_markup_and_escaping():
    assert inline_html("cuộc thi “*Tìm kiếm sáng kiến*” và **quan trọng**") == \
        "cuộc thi “<i>Tìm kiếm sáng kiến</i>” và <b>quan trọng</b>"
    assert inline_html("<script>alert(1)</script> & 5 * 3 * 2") == \
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 5 * 3 * 2"
    assert inline_html("**đậm *và nghiêng* đậm**") == "<b>đậm <i>và nghiêng</i> đậm</b>"


def test_text_is_nfc_on_the_way_in():
    nfd = unicodedata.normalize("NFD", "Liên đoàn Lao động huyện Gia Lâm")
    spec = DocumentSpec(issuing_body=nfd, notation=unicodedata.normalize("NFD", "KH-LĐLĐ"), place=nfd,
                        summary=nfd, signer=SignerBlock(title=nfd, full_name=nfd), body=f"{nfd}\n\n- {nfd}")
    assert spec.issuing_body == "LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM"
    assert spec.notation == "KH-LĐLĐ" and spec.place == "Liên đoàn Lao động huyện Gia Lâm"
    assert spec.signer.full_name == "Liên đoàn Lao động huyện Gia Lâm"
    assert all(unicodedata.is_normalized("NFC", b.text) for b in spec.blocks)
    blocks = DocumentSpec(issuing_body="A", notation="B", place="C", summary="D", signer=SignerBlock(),
                          body=[Block(BlockKind.SECTION, unicodedata.normalize("NFD", "I. NỘI DUNG"))]).blocks
    assert blocks == [Block(BlockKind.SECTION, "I. NỘI DUNG")]


def _spec(**changes: object) -> DocumentSpec:
    base: dict[str, object] = {"issuing_body": "Liên đoàn Lao động huyện Gia Lâm", "notation": "KH-LĐLĐ",
                               "place": "Gia Lâm", "summary": "Về việc thử", "type_name": "Kế hoạch",
                               "signer": SignerBlock(title="Chủ tịch", full_name="Nguyễn Văn A")}
    return DocumentSpec(**{**base, **changes})  # type: ignore[arg-type]


def test_spec_normalises_numbers_lists_and_levels():
    assert (_spec(number=5).number, _spec(number="7").number, _spec(number=445).number) == ("05", "07", "445")
    assert _spec(number=None).number is None and _spec(number=" ").number is None
    assert _spec().type_name == "KẾ HOẠCH" and not _spec().is_cong_van
    cong_van = _spec(type_name=None, summary="V/v nâng bậc lương năm 2019")
    assert cong_van.is_cong_van and cong_van.summary == "nâng bậc lương năm 2019"
    assert _spec(is_cong_van=True).is_cong_van
    spec = _spec(kinh_gui=["- Bộ Nội vụ;", "Bộ Tài chính."], recipients=["Như trên", "- Lưu: VT, TCCB"])
    assert spec.kinh_gui_lines == ["- Bộ Nội vụ;", "- Bộ Tài chính."]
    assert spec.recipients == ["- Như trên;", "- Lưu: VT, TCCB."]
    assert _spec(kinh_gui=["Bộ Nội vụ"]).kinh_gui_lines == ["Bộ Nội vụ."]
    assert (_spec(secrecy="mật").secrecy, _spec(urgency="Hoả tốc").urgency) == ("MẬT", "HỎA TỐC")
    assert _spec(secrecy="", urgency=None).secrecy is None
    with pytest.raises(ValueError, match="secrecy"):
        _spec(secrecy="BÍ MẬT")
    with pytest.raises(ValueError, match="urgency"):
        _spec(urgency="GẤP")
    assert _spec(drafter_initials="pl", copies=300).drafter_mark == "PL.(300)"
    assert _spec(copies=12).drafter_mark == "(12)" and _spec().drafter_mark == ""


def test_signer_lines_for_each_authority():
    def lines(**kw: str) -> list[str]:
        return SignerBlock(full_name="Nguyễn Văn A", **kw).lines()

    assert lines(authority="TM.", authority_line="Ban Thường vụ", title="Chủ tịch") == ["TM. BAN THƯỜNG VỤ",
                                                                                        "CHỦ TỊCH"]
    assert lines(authority_line="TM. BAN THƯỜNG VỤ", title="CHỦ TỊCH") == ["TM. BAN THƯỜNG VỤ", "CHỦ TỊCH"]
    assert lines(authority="KT", authority_line="BỘ TRƯỞNG", title="THỨ TRƯỞNG") == ["KT. BỘ TRƯỞNG", "THỨ TRƯỞNG"]
    assert lines(authority="TL.", authority_line="BỘ TRƯỞNG", title="CHÁNH VĂN PHÒNG") == [
        "TL. BỘ TRƯỞNG", "CHÁNH VĂN PHÒNG"]
    assert lines(authority="TUQ.", authority_line="GIÁM ĐỐC", title="TRƯỞNG PHÒNG") == ["TUQ. GIÁM ĐỐC",
                                                                                      "TRƯỞNG PHÒNG"]
    assert lines(authority="Q.", authority_line="CHỦ TỊCH") == ["Q. CHỦ TỊCH"]
    assert lines(authority="Q.", title="GIÁM ĐỐC") == ["Q. GIÁM ĐỐC"]
    assert lines(title="CHỦ TỊCH") == ["CHỦ TỊCH"]
    assert lines(collective="ỦY BAN NHÂN DÂN", authority="KT.", authority_line="CHỦ TỊCH",
                 title="PHÓ CHỦ TỊCH") == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    with pytest.raises(ValueError, match="authority"):
        SignerBlock(authority="XYZ.")


def test_header_lines_break_where_a_clerk_would():
    mm = 72 / 25.4
    width = 61 * mm

    def broken(text: str) -> list[str]:
        return balanced_lines(text, 12, width, bold=True, prefer_breaks_before=UNIT_WORDS)

    assert broken("LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM") == ["LIÊN ĐOÀN LAO ĐỘNG", "HUYỆN GIA LÂM"]
    assert broken("LIÊN ĐOÀN LAO ĐỘNG THÀNH PHỐ HÀ NỘI") == ["LIÊN ĐOÀN LAO ĐỘNG", "THÀNH PHỐ HÀ NỘI"]
    assert broken("ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI") == ["ỦY BAN NHÂN DÂN", "TỈNH ĐỒNG NAI"]
    assert broken("BỘ NỘI VỤ") == ["BỘ NỘI VỤ"]
    assert broken("LIÊN ĐOÀN LAO ĐỘNG\nHUYỆN") == ["LIÊN ĐOÀN LAO ĐỘNG", "HUYỆN"]  # the caller's break stays
    for line in broken("SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI TỈNH ĐỒNG NAI"):
        assert text_width(line, 12, bold=True) <= width
        assert not line.startswith("-") and not line.startswith("HỘI")


def test_samples_are_the_real_documents():
    kh, cv = sample_445_kh(), sample_153_cv()
    assert (kh.number, kh.notation, kh.date, kh.type_name) == ("445", "KH-LĐLĐ", date(2023, 4, 10), "KẾ HOẠCH")
    assert kh.blocks[1] == Block(BlockKind.SECTION, "I. MỤC ĐÍCH, YÊU CẦU")
    assert kh.blocks[-1].text.endswith("để xem xét, giải quyết./.")
    assert kh.recipients[-1] == "- Lưu: VT, VP." and kh.signer.lines() == ["TM. BAN THƯỜNG VỤ", "CHỦ TỊCH"]
    assert cv.is_cong_van and cv.number == "153" and cv.notation == "LĐLĐ" and len(cv.kinh_gui) == 3
    assert "*Tìm kiếm sáng kiến" in cv.blocks[7].text  # the original's italics
    unissued = sample_445_kh(issued=False)
    assert unissued.number is None and unissued.date is None
