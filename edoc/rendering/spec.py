"""What a document says, as plain data: everything Appendix I prints. The app maps its models to these."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date

from edoc.rendering.body import Block, body_blocks
from edoc.rendering.dates import number_str

AUTHORITIES = ("TM.", "KT.", "TL.", "TUQ.", "Q.")
"""Thay mặt (a collective), ký thay (a deputy for the head), thừa lệnh, thừa ủy quyền, quyền (acting head)."""
SECRECY_LEVELS = ("MẬT", "TỐI MẬT", "TUYỆT MẬT")
URGENCY_LEVELS = ("KHẨN", "THƯỢNG KHẨN", "HỎA TỐC")
_SPELLINGS = {"HOẢ TỐC": "HỎA TỐC"}  # the Decree's own text puts the tone mark the old way


def nfc(value: str | None) -> str:
    """NFC, trimmed, runs of white space inside a line made one space; line breaks are kept."""
    text = unicodedata.normalize("NFC", value or "")
    return "\n".join(" ".join(line.split()) for line in text.strip().splitlines()).strip()


def _upper(value: str | None) -> str:
    return nfc(value).upper()


def _authority(value: str | None) -> str:
    text = _upper(value).replace(" ", "")
    if not text:
        return ""
    text = text if text.endswith(".") else text + "."
    if text not in AUTHORITIES:
        raise ValueError(f"unknown signing authority {value!r}: one of {', '.join(AUTHORITIES)} or none")
    return text


def _split_authority(line: str) -> tuple[str, str]:
    """"TM. BAN THƯỜNG VỤ" → ("TM.", "BAN THƯỜNG VỤ"); a line without a prefix → ("", line)."""
    for prefix in AUTHORITIES:
        if line.startswith(prefix + " "):
            return prefix, line[len(prefix):].strip()
    return "", line


@dataclass
class SignerBlock:
    """Quyền hạn, chức vụ, họ tên người ký (Appendix I, II.7), e.g.
    ``SignerBlock(authority="TM.", authority_line="BAN THƯỜNG VỤ", title="CHỦ TỊCH", full_name="Nguyễn Đức Thế")``
    or, a deputy signing for the head, ``authority="KT.", authority_line="CHỦ TỊCH", title="PHÓ CHỦ TỊCH"``."""

    title: str = ""
    """Chức vụ of the person signing: "CHỦ TỊCH"; with KT. the deputy's own title, "PHÓ CHỦ TỊCH"."""
    full_name: str = ""
    authority: str | None = ""
    """"TM.", "KT.", "TL.", "TUQ.", "Q." or empty/None (the head signs in their own name)."""
    authority_line: str = ""
    """What the authority is exercised for: the collective after TM. ("BAN THƯỜNG VỤ"), the head's title after
    KT./TL./TUQ./Q. ("CHỦ TỊCH"). May also be given with its prefix ("TM. BAN THƯỜNG VỤ")."""
    collective: str = ""
    """A collective over a KT. line, as UBND documents print "TM. ỦY BAN NHÂN DÂN" / "KT. CHỦ TỊCH" /
    "PHÓ CHỦ TỊCH". Empty for most documents."""

    def __post_init__(self) -> None:
        self.title, self.full_name = _upper(self.title), nfc(self.full_name)
        line = _upper(self.authority_line)
        prefix, line = _split_authority(line)
        self.authority = _authority(self.authority) or prefix
        self.authority_line = line
        self.collective = _split_authority(_upper(self.collective))[1]

    def lines(self) -> list[str]:
        """The bold upper-case lines above the signature, in order."""
        lines = [f"TM. {self.collective}"] if self.collective and self.authority != "TM." else []
        if not self.authority:
            return lines + ([self.title] if self.title else [])
        if self.authority == "Q.":
            # "Q." stands before the head's title: the acting head has no other title line
            return [*lines, f"Q. {self.authority_line or self.title}"]
        if not self.authority_line:
            return [*lines, f"{self.authority} {self.title}"]
        return [*lines, f"{self.authority} {self.authority_line}"] + ([self.title] if self.title else [])


@dataclass
class DocumentSpec:
    """One document as Appendix I prints it. Text is NFC-normalised on the way in."""

    issuing_body: str
    """Tên cơ quan, tổ chức ban hành: "LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM" (a line break in it is kept)."""
    notation: str
    """Ký hiệu without the number: "KH-LĐLĐ"; a công văn "LĐLĐ" or "BNV-VP"."""
    place: str
    """Địa danh: "Gia Lâm"."""
    summary: str
    """Trích yếu; for a công văn the words after "V/v"."""
    signer: SignerBlock
    parent_body: str = ""
    """Tên cơ quan chủ quản trực tiếp: "LIÊN ĐOÀN LAO ĐỘNG THÀNH PHỐ HÀ NỘI"; empty if none."""
    number: str | int | None = None
    """None until issued: a fillable field ``doc_number`` is left. An int (or a string of digits) is printed
    with the Decree's leading zero under 10."""
    date: date | None = None
    """None until issued: fillable fields ``doc_day``, ``doc_month``, ``doc_year`` are left."""
    type_name: str | None = ""
    """"KẾ HOẠCH", "QUYẾT ĐỊNH"; empty or None for a công văn."""
    is_cong_van: bool | None = None
    """A công văn: "V/v <summary>" under the number and no type name. None: a công văn when there is no type
    name."""
    kinh_gui: list[str] = field(default_factory=list)
    """Kính gửi lines (công văn, tờ trình, báo cáo), without the dash and the closing ; or . (added)."""
    body: str | list[Block] = ""
    """Blocks, or the plain text drafters type (see ``edoc.rendering.body``)."""
    recipients: list[str] = field(default_factory=list)
    """Nơi nhận lines, the last one "- Lưu: VT, TG."; the dash and the closing ; or . are added if missing."""
    secrecy: str | None = None
    """None, "MẬT", "TỐI MẬT" or "TUYỆT MẬT"."""
    urgency: str | None = None
    """None, "KHẨN", "THƯỢNG KHẨN" or "HỎA TỐC"."""
    drafter_initials: str = ""
    """Ký hiệu người soạn thảo (Appendix I, III.3), printed with the copies as "PL.(300)"."""
    copies: int | None = None
    """Số lượng bản phát hành."""
    cosigner: SignerBlock | None = None
    """A second signer printed left of the signer, level with it, with its own signature field ``sig_cosigner``:
    the secretary of a Biên bản (Decree 30, Appendix III, form 1.9: THƯ KÝ left, CHỦ TỌA right). Nơi nhận then
    goes under the two blocks."""
    number_digits: int = 3
    """Room the number field leaves (unissued documents): three digits, more for a register already near 1000."""
    blocks: list[Block] = field(init=False, default_factory=list)
    """The body as blocks, whichever way it was given."""

    def __post_init__(self) -> None:
        self.issuing_body, self.parent_body = _upper(self.issuing_body), _upper(self.parent_body)
        self.notation, self.place = nfc(self.notation).replace(" ", ""), nfc(self.place)
        self.type_name = _upper(self.type_name)
        self.summary = " ".join(nfc(self.summary).split())
        self.is_cong_van = bool(self.is_cong_van) or not self.type_name
        if self.is_cong_van and self.summary[:4].lower() == "v/v ":
            self.summary = self.summary[4:].lstrip()
        self.number = _number(self.number)
        self.kinh_gui = [_bare(line) for line in self.kinh_gui if _bare(line)]
        self.recipients = _listed([_bare(line) for line in self.recipients if _bare(line)])
        self.secrecy = _level(self.secrecy, SECRECY_LEVELS, "secrecy")
        self.urgency = _level(self.urgency, URGENCY_LEVELS, "urgency")
        self.drafter_initials = _upper(self.drafter_initials)
        if self.copies is not None and self.copies < 1:
            raise ValueError(f"copies must be at least 1 (got {self.copies})")
        self.blocks = body_blocks(self.body)

    @property
    def kinh_gui_lines(self) -> list[str]:
        """As printed: one addressee on the Kính gửi line, or several each "- ...;" and the last "- ... ."."""
        if len(self.kinh_gui) == 1:
            return [self.kinh_gui[0] + "."]
        return _listed(self.kinh_gui)

    @property
    def drafter_mark(self) -> str:
        """"PL.(300)": the drafter's initials and the number of copies (either may be absent)."""
        copies = f"({self.copies})" if self.copies is not None else ""
        if self.drafter_initials:
            return f"{self.drafter_initials}.{copies}"
        return copies


def _number(value: str | int | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, int):
        return number_str(value)
    text = nfc(value).replace(" ", "")
    if not text:
        return None
    return number_str(int(text)) if text.isascii() and text.isdigit() else text  # "²".isdigit() is True


def _bare(line: str) -> str:
    """A list line without its leading dash and closing punctuation, which the layout adds back."""
    text = " ".join(nfc(line).split())
    if text[:2] in ("- ", "+ ", "– "):
        text = text[2:]
    elif text[:1] in ("-", "–") and text[1:2] != "-":
        text = text[1:]
    return text.strip().rstrip(";.").rstrip()


def _listed(lines: list[str]) -> list[str]:
    return [f"- {line}{'.' if i == len(lines) - 1 else ';'}" for i, line in enumerate(lines)]


def _level(value: str | None, allowed: tuple[str, ...], what: str) -> str | None:
    text = _upper(value)
    if not text:
        return None
    text = _SPELLINGS.get(text, text)
    if text not in allowed:
        raise ValueError(f"unknown {what} {value!r}: one of {', '.join(allowed)} or none")
    return text
