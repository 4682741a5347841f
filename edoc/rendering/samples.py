"""Two real documents, reproduced as specs: 445/KH-LĐLĐ (a kế hoạch of LĐLĐ huyện Gia Lâm, 2023) and
153/LĐLĐ (a công văn of LĐLĐ thành phố Hà Nội, 2019). Public documents; their texts are in sample_texts/.
The samples omit the signers' names; those here are placeholders."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from edoc.rendering.spec import DocumentSpec, SignerBlock

TEXTS = Path(__file__).resolve().parent / "sample_texts"


def sample_445_kh(*, issued: bool = True) -> DocumentSpec:
    return DocumentSpec(
        parent_body="LIÊN ĐOÀN LAO ĐỘNG THÀNH PHỐ HÀ NỘI",
        issuing_body="LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM",
        number=445 if issued else None, notation="KH-LĐLĐ", place="Gia Lâm",
        date=date(2023, 4, 10) if issued else None, type_name="KẾ HOẠCH",
        summary=("Thực hiện Chỉ thị 15 - CT/TU ngày 16/12/2016 của Ban Thường vụ Thành ủy về \"Tăng cường sự "
                 "lãnh đạo của các cấp ủy đảng đối với công tác tiếp công dân và giải quyết khiếu nại, tố cáo trên "
                 "địa bàn thành phố Hà Nội\" năm 2023"),
        body=(TEXTS / "445-KH-LDLD.txt").read_text(encoding="utf-8"),
        signer=SignerBlock(authority="TM.", authority_line="BAN THƯỜNG VỤ", title="CHỦ TỊCH",
                           full_name="Nguyễn Văn Hùng"),
        recipients=["- Thường trực LĐLĐ huyện;", "- UV BCH, UBKT LĐLĐ huyện;", "- CĐCS trực thuộc LĐLĐ huyện;",
                    "- Lưu: VT, VP."],
    )


def sample_153_cv(*, issued: bool = True) -> DocumentSpec:
    return DocumentSpec(
        parent_body="TỔNG LIÊN ĐOÀN LAO ĐỘNG VIỆT NAM",
        issuing_body="LIÊN ĐOÀN LAO ĐỘNG THÀNH PHỐ HÀ NỘI",
        number=153 if issued else None, notation="LĐLĐ", place="Hà Nội",
        date=date(2019, 3, 27) if issued else None, type_name="",
        summary=("thông tin, tuyên truyền về công tác kiểm soát thủ tục hành chính, cải cách thủ tục hành chính và "
                 "việc thực hiện cơ chế một cửa, một cửa liên thông năm 2019 trên địa bàn thành phố Hà Nội"),
        kinh_gui=["Liên đoàn Lao động các quận, huyện, thị xã", "Công đoàn ngành, công đoàn cấp trên trực tiếp cơ sở",
                  "Các công đoàn cơ sở trực thuộc LĐLĐ Thành phố"],
        body=(TEXTS / "153-LDLD.txt").read_text(encoding="utf-8"),
        signer=SignerBlock(authority="KT.", authority_line="CHỦ TỊCH", title="PHÓ CHỦ TỊCH",
                           full_name="Nguyễn Văn A"),
        recipients=["- Như trên;", "- Ban TG Tổng LĐLĐ VN;", "- Ban TG, DV Thành ủy Hà Nội;",
                    "- UBND thành phố Hà Nội;", "- Lưu: VT, TG."],
    )
