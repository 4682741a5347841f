"""Turning what the clerk scanned or received into the document's one PDF, refusing bad files before anything is
stored: a PDF as it is (never rewritten: a signed one keeps its signatures), several images as one PDF (a page
each, in the order given). Also the PDF's text layer, and whether it has one (scans without one go to OCR)."""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
import unicodedata
import warnings
from dataclasses import dataclass
from datetime import date as date_type
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from edoc.core.errors import ValidationFailed
from edoc.files import sniff
from signing.errors import CorruptPdf, EncryptedPdf, ExistingSignatureBroken
from signing.sign import open_pdf

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/tiff", "image/webp", "image/gif", "image/bmp"})
MAX_PIXELS = 60_000_000
"""An A4 page scanned at 600 dpi is 35 megapixels; more than this is not a page (and decoding it would take
gigabytes of memory)."""
MAX_PAGES = 500
MIN_TEXT_CHARS = 40
"""A text layer with fewer characters than this per document is treated as none (a scanner's stamp, page
numbers): the scan is OCR'd."""


@dataclass
class Part:
    name: str
    data: bytes


@dataclass
class Prepared:
    name: str
    pdf: bytes
    signed: bool
    """It holds signature dictionaries: validated on arrival."""
    broken: bool
    """A signature in it no longer matches its bytes (flagged, not refused: the clerk returns it)."""
    made_from_images: bool


def _kind(part: Part) -> str:
    media = sniff.sniff(part.data[: sniff.HEAD_SIZE])
    if media == sniff.PDF:
        return "pdf"
    if media in IMAGE_TYPES:
        return "image"
    raise ValidationFailed(f"Tệp “{part.name}” không phải PDF hay ảnh quét (PNG, JPEG, TIFF): không nhận.",
                           field="file")


def _check_pdf(part: Part) -> bool:
    """True if one of its signatures is broken; refuses a file that cannot be read."""
    try:
        open_pdf(part.data)
    except ExistingSignatureBroken:
        return True
    except (CorruptPdf, EncryptedPdf) as exc:
        raise ValidationFailed(f"Không đọc được tệp PDF “{part.name}”: {exc}.", field="file") from None
    return False


def _too_large(part: Part, pixels: int) -> ValidationFailed:
    return ValidationFailed(f"Ảnh “{part.name}” quá lớn ({pixels / 1e6:.0f} megapixel; tối đa "
                            f"{MAX_PIXELS // 1_000_000} megapixel). Hãy quét ở 300 dpi.", field="file")


def _image(part: Part) -> Image.Image:
    """The decoded image; its size is checked from the header before any pixel is decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(part.data))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise _too_large(part, width * height)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow refuses it at open already (above twice its own limit): the size is in its message
        found = re.search(r"\((\d+) pixels\)", str(exc))
        raise _too_large(part, int(found.group(1)) if found else MAX_PIXELS + 1) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ValidationFailed(f"Ảnh quét “{part.name}” bị hỏng, không đọc được.", field="file") from None
    return image.convert("RGB") if image.mode not in {"RGB", "L"} else image


def images_to_pdf(parts: list[Part]) -> bytes:
    pages = [_image(p) for p in parts]
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=300.0)
    return out.getvalue()


def prepare(parts: list[Part]) -> Prepared:
    """One PDF from one PDF or from several images. Everything is checked here, before anything is stored."""
    parts = [p for p in parts if p.data]
    if not parts:
        raise ValidationFailed("Chọn tệp văn bản (PDF hoặc ảnh quét).", field="file")
    if len(parts) > MAX_PAGES:
        raise ValidationFailed(f"Nhiều nhất {MAX_PAGES} ảnh cho một văn bản.", field="file")
    kinds = [_kind(p) for p in parts]
    if "pdf" in kinds:
        if len(parts) > 1:
            raise ValidationFailed("Văn bản là một tệp PDF, hoặc nhiều ảnh quét (mỗi ảnh một trang); không trộn "
                                   "nhiều tệp PDF hay PDF với ảnh. Phụ lục tải lên ở mục Phụ lục.", field="file")
        part = parts[0]
        broken = _check_pdf(part)
        return Prepared(part.name, part.data, b"/ByteRange" in part.data, broken, False)
    stem = Path(parts[0].name).stem or "van-ban-quet"
    return Prepared(f"{stem}.pdf", images_to_pdf(parts), False, False, True)


def prepare_attachment(part: Part) -> Prepared:
    """A phụ lục as received: a PDF or one image, kept as it is (an image is not converted)."""
    if _kind(part) == "pdf":
        return Prepared(part.name, part.data, b"/ByteRange" in part.data, _check_pdf(part), False)
    _image(part)
    return Prepared(part.name, part.data, False, False, False)


def pdf_text(pdf: bytes) -> str:
    """The PDF's text layer (poppler's pdftotext), empty when it has none or cannot be read."""
    with tempfile.TemporaryDirectory(prefix="edoc-text-") as tmp:
        source = Path(tmp) / "in.pdf"
        source.write_bytes(pdf)
        try:
            done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(source), "-"], capture_output=True,
                                  timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return ""
    if done.returncode != 0:
        return ""
    return done.stdout.decode("utf-8", errors="replace")


def has_text(text: str) -> bool:
    return len("".join(text.split())) >= MIN_TEXT_CHARS


_NUMBER = re.compile(r"Số\s*:\s*([0-9]{1,6}\s*/\s*[0-9A-Za-zĐđ\-.]+(?:-[0-9A-Za-zĐđ]+)*)")
_DATE = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)


@dataclass
class Suggested:
    """Fields read from a received PDF, to fill those the clerk left blank."""

    reference: str = ""
    date: date_type | None = None
    signer: str = ""


def suggest_fields(text: str, signers: list[str]) -> Suggested:
    """Số, ký hiệu from the "Số: 89/KH-LĐLĐ" line, the date from the place-and-date line (the first "ngày … tháng …
    năm …"), the signer from the first person's digital signature (an organisation's signature names the body)."""
    found = Suggested()
    text = unicodedata.normalize("NFC", text or "")
    number = _NUMBER.search(text)
    if number:
        found.reference = re.sub(r"\s+", "", number.group(1))
    when = _DATE.search(text)
    if when:
        try:
            found.date = date_type(int(when.group(3)), int(when.group(2)), int(when.group(1)))
        except ValueError:
            found.date = None
    people = [s for s in signers if s and not s.isupper()]
    found.signer = people[0] if people else ""
    return found
