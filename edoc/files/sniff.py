"""What a file really is, judged by its bytes; the name's extension is only a claim to check against."""

from __future__ import annotations

import re
import zipfile
from typing import BinaryIO

import filetype

from edoc.core.errors import UnsupportedMedia

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
DOC = "application/msword"
PNG = "image/png"
JPEG = "image/jpeg"
TEXT = "text/plain"

EXTENSIONS: dict[str, str] = {
    ".pdf": PDF,
    ".docx": DOCX,
    ".xlsx": XLSX,
    ".odt": ODT,
    ".doc": DOC,
    ".png": PNG,
    ".jpg": JPEG,
    ".jpeg": JPEG,
    ".txt": TEXT,
}
HEAD_SIZE = 8192
_ZIP_MARKERS = {DOCX: "word/document.xml", XLSX: "xl/workbook.xml"}


def extension_of(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def sniff(head: bytes, stream: BinaryIO | None = None) -> str | None:
    """The media type the content shows, or None when it is none we accept.

    ``stream`` (seekable, positioned anywhere) lets zip-based formats be told apart by their parts list.
    """
    if _is_pdf(head):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return DOC
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(head, stream)
    kind = filetype.guess(head)
    # filetype calls anything starting "%PDF" a PDF; whether it is one was decided above, by a stricter rule.
    if kind is not None and kind.mime != PDF:
        return str(kind.mime)
    if _looks_like_text(head):
        return TEXT
    return None


_PDF_HEADER = re.compile(rb"%PDF-[12]\.[0-9]")
_PDF_OBJECT = re.compile(rb"[0-9]{1,10}[\x00\t\n\f\r ]+[0-9]{1,5}[\x00\t\n\f\r ]+obj(?![A-Za-z0-9])")
PDF_JUNK_LIMIT = 1024
"""How far into a file a PDF header may start: readers accept junk before it (a print job's PJL preamble, a mail
gateway's leftovers) up to 1024 bytes, as Adobe's implementation notes allow."""


def _is_pdf(head: bytes) -> bool:
    """A PDF header ``%PDF-1.x`` or ``%PDF-2.x``: at the start (after blank bytes at most), or, after junk, at
    the start of a line within the first 1024 bytes and followed by the file's first object (``1 0 obj``).

    A text that merely mentions "%PDF-" is refused; a text that quotes a PDF's first lines whole would pass,
    which is harmless (downloads are sent with ``nosniff``). The end (``%%EOF``) is not required: uploads
    streamed from the API are judged by their head alone, and a truncated PDF is refused later, with its own
    message, by what reads it (drafts, signing)."""
    if _PDF_HEADER.match(head.lstrip(b"\x00\t\n\f\r ")):
        return True
    # The header is 8 bytes: ending by this position, it starts within the first PDF_JUNK_LIMIT bytes.
    for header in _PDF_HEADER.finditer(head, 0, PDF_JUNK_LIMIT + 7):
        at_line_start = head[header.start() - 1:header.start()] in (b"\n", b"\r")
        if at_line_start and _PDF_OBJECT.search(head, header.end()):
            return True
    return False


def _sniff_zip(head: bytes, stream: BinaryIO | None) -> str | None:
    if b"mimetypeapplication/vnd.oasis.opendocument.text" in head[:200]:
        return ODT
    if stream is None:
        return None
    position = stream.tell()
    try:
        stream.seek(0)
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        stream.seek(position)
    for media_type, marker in _ZIP_MARKERS.items():
        if marker in names:
            return media_type
    return "application/zip"


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        return exc.start >= len(head) - 3
    return True


def check_claim(name: str, sniffed: str | None, allowed: frozenset[str] | None) -> str:
    """Return the media type to record, or refuse with a message the uploader understands."""
    ext = extension_of(name)
    claimed = EXTENSIONS.get(ext)
    if claimed is None:
        raise UnsupportedMedia(f"Loại tệp {ext or '(không có phần mở rộng)'} không được hỗ trợ.")
    if sniffed != claimed:
        raise UnsupportedMedia(
            f"Nội dung tệp “{name}” không khớp với loại tệp khai báo ({ext}): tệp có thể bị hỏng hoặc đổi tên."
        )
    if allowed is not None and claimed not in allowed:
        raise UnsupportedMedia(f"Ở đây không nhận tệp {ext}.")
    return claimed
