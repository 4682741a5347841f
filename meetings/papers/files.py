"""Reading an uploaded paper before anything is written: a PDF, or a DOCX converted to PDF by edoc's conversion
(LibreOffice, bounded). What is not a document is refused with the reason: another type behind a .pdf name, a
damaged or password-protected PDF, a PDF carrying active content (JavaScript, launch actions...), a DOCX that
is not a Word package or is a zip bomb."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import BinaryIO

import pikepdf
from flask import current_app

from edoc.core.db import end_read_transaction
from edoc.core.errors import TooLarge, ValidationFailed
from edoc.files import sniff
from edoc.files.active import active_content
from edoc.files.conversion import docx_to_pdf  # on the job queue (issue 9)
from edoc.files.service import validate_filename
from edoc.rendering.convert import ConversionError

ACCEPTED = frozenset({sniff.PDF, sniff.DOCX})
FIELD = "file"


@dataclass(frozen=True)
class PaperFile:
    name: str
    media_type: str
    data: bytes
    """What was uploaded (the DOCX, or the PDF itself)."""
    pdf: bytes
    signed: bool
    pages: int

    @property
    def pdf_name(self) -> str:
        stem = self.name.rsplit(".", 1)[0] if "." in self.name else self.name
        return f"{stem}.pdf"


def read_upload(stream: BinaryIO, filename: str | None) -> PaperFile:
    """Read and check an upload; nothing is stored here, so a refused file leaves nothing behind."""
    name = validate_filename(filename)
    limit = int(current_app.config["MAX_CONTENT_LENGTH"])
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"Tệp “{name}” vượt quá dung lượng cho phép ({limit // (1024 * 1024)} MB).")
    if not data:
        raise ValidationFailed(f"Tệp “{name}” rỗng.", field=FIELD)
    media_type = sniff.check_claim(name, sniff.sniff(data[:sniff.HEAD_SIZE], io.BytesIO(data)), ACCEPTED)
    if media_type == sniff.DOCX:
        end_read_transaction()
        try:
            pdf = docx_to_pdf(data)
        except ConversionError as exc:
            raise ValidationFailed(f"Không chuyển được tệp DOCX “{name}” sang PDF: {exc}.", field=FIELD) from None
    else:
        pdf = data
    signed, pages = inspect_pdf(pdf, name)
    return PaperFile(name, media_type, data, pdf, signed, pages)


def inspect_pdf(pdf: bytes, name: str) -> tuple[bool, int]:
    """Whether the PDF is digitally signed, and its page count; refuses what cannot be shown or stamped."""
    try:
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            pages = len(doc.pages)
            signed = _has_signature(doc)
    except pikepdf.PasswordError:
        raise ValidationFailed(f"Tệp PDF “{name}” có đặt mật khẩu: hãy gỡ mật khẩu rồi tải lại.",
                               field=FIELD) from None
    except (pikepdf.PdfError, ValueError, KeyError, TypeError, AttributeError):
        raise ValidationFailed(f"Tệp “{name}” không phải tệp PDF đọc được (tệp bị hỏng hoặc không đầy đủ).",
                               field=FIELD) from None
    if pages == 0:
        raise ValidationFailed(f"Tệp PDF “{name}” không có trang nào.", field=FIELD)
    try:
        found = active_content(io.BytesIO(pdf))
    except Exception:  # pyHanko's strict reader raises many kinds where pikepdf (QPDF) repaired the file
        found = _active_content_of_repaired(pdf, name)
    if found:
        raise ValidationFailed(f"Không nhận tệp PDF “{name}”: tệp chứa nội dung tự chạy hoặc ẩn bên trong "
                               f"({'; '.join(found)}). Hãy xuất lại PDF không có các thành phần này.", field=FIELD)
    return signed, pages


def _active_content_of_repaired(pdf: bytes, name: str) -> list[str]:
    """A PDF whose cross-reference table is broken (what a hand-made or hostile file often has) is read for
    active content as QPDF repairs it, as viewers do: what would run in a viewer must be found here too."""
    try:
        repaired = io.BytesIO()
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            doc.save(repaired)
        repaired.seek(0)
        return active_content(repaired)
    except Exception:
        raise ValidationFailed(f"Tệp “{name}” không đọc được cấu trúc PDF.", field=FIELD) from None


def _has_signature(doc: pikepdf.Pdf) -> bool:
    """A signature field holding a value: the PDF is signed (whatever the validity: it is not ours to rewrite)."""
    form = doc.Root.get("/AcroForm")
    if not isinstance(form, pikepdf.Dictionary):
        return False
    todo = list(form.get("/Fields", pikepdf.Array()))
    seen = 0
    while todo and seen < 10_000:
        field = todo.pop()
        seen += 1
        if not isinstance(field, pikepdf.Dictionary):
            continue
        if field.get("/FT") == pikepdf.Name.Sig and "/V" in field:
            return True
        todo.extend(field.get("/Kids", pikepdf.Array()))
    return False


def pdf_facts(pdf: bytes) -> tuple[bool, int]:
    """Signed and page count of a PDF edoc already holds (a linked document's file); lenient: it was checked
    when it entered."""
    try:
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            return _has_signature(doc), len(doc.pages)
    except (pikepdf.PdfError, ValueError):
        return True, 0  # unreadable here: never stamp it, deliver it as it is

