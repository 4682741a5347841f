"""Document types (tên loại văn bản) and their abbreviations, Appendix III of Decree 30/2020/ND-CP."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class TypeKind(enum.StrEnum):
    ADMINISTRATIVE = "administrative"
    CONG_VAN = "cong_van"
    """Công văn: no type name printed and no type abbreviation; its trích yếu follows "V/v"."""
    COPY = "copy"
    """Bản sao y, trích sao, sao lục: numbered in the copies register."""


@dataclass(frozen=True)
class DocumentType:
    code: str
    name: str
    abbreviation: str | None
    kind: TypeKind = TypeKind.ADMINISTRATIVE

    @property
    def title(self) -> str:
        """The type name as printed above the trích yếu (upper case), empty for a công văn."""
        return "" if self.kind is TypeKind.CONG_VAN else self.name.upper()


_ROWS: list[tuple[str, str]] = [
    ("Nghị quyết", "NQ"), ("Quyết định", "QĐ"), ("Chỉ thị", "CT"), ("Quy chế", "QC"), ("Quy định", "QyĐ"),
    ("Thông cáo", "TC"), ("Thông báo", "TB"), ("Hướng dẫn", "HD"), ("Chương trình", "CTr"), ("Kế hoạch", "KH"),
    ("Phương án", "PA"), ("Đề án", "ĐA"), ("Dự án", "DA"), ("Báo cáo", "BC"), ("Biên bản", "BB"),
    ("Tờ trình", "TTr"), ("Hợp đồng", "HĐ"), ("Công điện", "CĐ"), ("Bản ghi nhớ", "BGN"),
    ("Bản thỏa thuận", "BTT"), ("Giấy ủy quyền", "GUQ"), ("Giấy mời", "GM"), ("Giấy giới thiệu", "GGT"),
    ("Giấy nghỉ phép", "GNP"), ("Phiếu gửi", "PG"), ("Phiếu chuyển", "PC"), ("Phiếu báo", "PB"),
]

DOCUMENT_TYPES: dict[str, DocumentType] = {abbr: DocumentType(abbr, name, abbr) for name, abbr in _ROWS}
DOCUMENT_TYPES["CV"] = DocumentType("CV", "Công văn", None, TypeKind.CONG_VAN)
for _name, _abbr in (("Bản sao y", "SY"), ("Bản trích sao", "TrS"), ("Bản sao lục", "SL")):
    DOCUMENT_TYPES[_abbr] = DocumentType(_abbr, _name, _abbr, TypeKind.COPY)


def get_type(code: str) -> DocumentType | None:
    return DOCUMENT_TYPES.get(code)


def build_notation(doc_type: DocumentType, issuer_abbreviation: str, unit_abbreviation: str | None = None) -> str:
    """Ký hiệu without the number: ``KH-LĐLĐ``; a công văn ``LĐLĐ`` or ``BNV-VP`` (Article 15, Appendix I).

    ``issuer_abbreviation`` is the organisation's, or an advisory body's for its own register.
    """
    parts = [doc_type.abbreviation] if doc_type.abbreviation else []
    parts.append(issuer_abbreviation)
    if unit_abbreviation:
        parts.append(unit_abbreviation)
    return "-".join(parts)


def number_text(number: int) -> str:
    """Numbers under 10 get a leading zero: 05, 10, 445."""
    return f"{number:02d}"
