"""Two real documents as specs, for tests, benchmarks and the demo: 445/KH-LĐLĐ (a kế hoạch of LĐLĐ huyện Gia
Lâm, 2023) and 153/LĐLĐ (a công văn of LĐLĐ thành phố Hà Nội, 2019). Public documents; their bodies are in
sample_texts/, typed the way drafters type them (paragraphs separated by blank lines)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from edoc.rendering.spec import DocumentSpec, SignerBlock

TEXTS = Path(__file__).resolve().parent / "sample_texts"


def sample_text(name: str) -> str:
    return (TEXTS / name).read_text(encoding="utf-8")


def sample_445_kh(*, issued: bool = True) -> DocumentSpec:
    """As issued; ``issued=False``: the approved draft, number and date left as fields."""
    return DocumentSpec(
        parent_body="LIÊN ĐOÀN LAO ĐỘNG THÀNH PHỐ HÀ NỘI",
        issuing_body="LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM",
        number=445 if issued else None, notation="KH-LĐLĐ", place="Gia Lâm",
        date=date(2023, 4, 10) if issued else None, type_name="KẾ HOẠCH",
        summary=("Thực hiện Chỉ thị 15 - CT/TU ngày 16/12/2016 của Ban Thường vụ Thành ủy về \"Tăng cường sự "
                 "lãnh đạo của các cấp ủy đảng đối với công tác tiếp công dân và giải quyết khiếu nại, tố cáo trên "
                 "địa bàn thành phố Hà Nội\" năm 2023"),
        body=sample_text("445-KH-LDLD.txt"),
        signer=SignerBlock(authority="TM.", authority_line="BAN THƯỜNG VỤ", title="CHỦ TỊCH",
                           full_name="Nguyễn Đức Thế"),
        # the original's last line reads "Lưu VP.": the Decree's form is "Lưu: VT, <drafting unit>."
        recipients=["- Thường trực LĐLĐ huyện;", "- UV BCH, UBKT LĐLĐ huyện;", "- CĐCS trực thuộc LĐLĐ huyện;",
                    "- Lưu: VT, VP."],
    )


def sample_153_cv(*, issued: bool = True) -> DocumentSpec:
    """The original predates the Decree (2019); its Nơi nhận is given the Decree's form for a công văn: "Như
    trên" for the addressees of the Kính gửi, then the others, then "Lưu: VT, TG.". The original does not show
    its signer: a deputy chair signing for the standing committee, name made up."""
    return DocumentSpec(
        parent_body="TỔNG LIÊN ĐOÀN LAO ĐỘNG VIỆT NAM",
        issuing_body="LIÊN ĐOÀN LAO ĐỘNG THÀNH PHỐ HÀ NỘI",
        number=153 if issued else None, notation="LĐLĐ", place="Hà Nội",
        date=date(2019, 3, 27) if issued else None, type_name=None, is_cong_van=True,
        summary=("thông tin, tuyên truyền về công tác kiểm soát thủ tục hành chính, cải cách thủ tục hành chính và "
                 "việc thực hiện cơ chế một cửa, một cửa liên thông năm 2019 trên địa bàn thành phố Hà Nội"),
        kinh_gui=["Liên đoàn Lao động các quận, huyện, thị xã", "Công đoàn ngành, công đoàn cấp trên trực tiếp cơ sở",
                  "Các công đoàn cơ sở trực thuộc LĐLĐ Thành phố"],
        body=sample_text("153-LDLD.txt"),
        signer=SignerBlock(authority="TM.", authority_line="BAN THƯỜNG VỤ", title="PHÓ CHỦ TỊCH",
                           full_name="Phạm Văn Nam"),
        recipients=["- Như trên;", "- Ban TG Tổng LĐLĐ VN;", "- Ban TG, DV Thành ủy Hà Nội;",
                    "- UBND thành phố Hà Nội;", "- Lưu: VT, TG."],
    )
