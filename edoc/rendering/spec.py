"""What a document says, as plain data: everything Appendix I prints."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value or "").strip()


@dataclass
class SignerBlock:
    """Quyền hạn, chức vụ và họ tên người ký: "TM. BAN THƯỜNG VỤ" / "CHỦ TỊCH" / "Nguyễn Văn Hùng"."""

    title: str
    full_name: str
    authority: str = ""
    """TM., KT., TL., TUQ., Q. or empty."""
    authority_line: str = ""
    """What the authority is exercised for: "BAN THƯỜNG VỤ" (TM.), "CHỦ TỊCH" (KT.)."""

    def lines(self) -> list[str]:
        """The bold upper-case lines above the signature."""
        title = _nfc(self.title).upper()
        if not self.authority:
            return [title]
        head = f"{self.authority} {_nfc(self.authority_line).upper()}".strip()
        return [head, title] if title else [head]


@dataclass
class DocumentSpec:
    issuing_body: str
    """Tên cơ quan, tổ chức ban hành: "LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM"."""
    notation: str
    """Ký hiệu without the number: "KH-LĐLĐ"; a công văn "LĐLĐ"."""
    place: str
    summary: str
    """Trích yếu; for a công văn the text after "V/v"."""
    signer: SignerBlock
    parent_body: str = ""
    number: int | None = None
    """None until issued: a fillable field is left."""
    date: date | None = None
    """None until issued: fillable day, month and year fields are left."""
    type_name: str = ""
    """"KẾ HOẠCH"; empty for a công văn."""
    kinh_gui: list[str] = field(default_factory=list)
    body: str = ""
    """One paragraph per line. "I. ..." and "1. ..." lines are headings; "- " and "+ " lines are items;
    *italic* and **bold** inline."""
    recipients: list[str] = field(default_factory=list)
    """Nơi nhận lines as printed, the last one "- Lưu: VT, TG."."""
    secrecy: str = ""
    urgency: str = ""

    def __post_init__(self) -> None:
        for name in ("issuing_body", "parent_body", "notation", "place", "summary", "type_name", "body",
                     "secrecy", "urgency"):
            setattr(self, name, _nfc(getattr(self, name)))
        self.issuing_body, self.parent_body = self.issuing_body.upper(), self.parent_body.upper()
        self.kinh_gui = [_nfc(x) for x in self.kinh_gui if _nfc(x)]
        self.recipients = [_nfc(x) for x in self.recipients if _nfc(x)]

    @property
    def is_cong_van(self) -> bool:
        return not self.type_name
