"""Signing PDFs (PAdES baseline, incremental updates that leave earlier signatures valid)."""

from __future__ import annotations

import io
from datetime import datetime

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation import validate_pdf_signature

from signing.appearance import image_style, seal_box
from signing.errors import CorruptPdf, EncryptedPdf, ExistingSignatureBroken, MissingField, SealBeforeSigner
from signing.forms import field_boxes
from signing.keys import SignerKey

BYTES_RESERVED = 16384  # fixed, so pyHanko does not sign twice to size the signature
SIGNER_FIELD = "sig_signer"
SEAL_FIELD = "sig_seal"


def open_pdf(pdf: bytes) -> PdfFileReader:
    """Read a PDF for signing; refuse encrypted, truncated or corrupt files, and broken signatures."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        if reader.encrypted:
            raise EncryptedPdf("tệp PDF được mã hóa (đặt mật khẩu); không ký được")
        _ = reader.root["/Pages"]
        signatures = reader.embedded_signatures
    except (PdfReadError, KeyError, ValueError, TypeError, IndexError) as exc:
        raise CorruptPdf(f"tệp PDF bị hỏng hoặc không đầy đủ ({type(exc).__name__})") from None
    for embedded in signatures:
        status = validate_pdf_signature(embedded, skip_diff=True)
        if not status.intact:
            raise ExistingSignatureBroken(f"chữ ký “{embedded.field_name}” đã có trong tệp không còn nguyên vẹn")
    return reader


def signed_fields(pdf: bytes) -> set[str]:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    return {s.field_name for s in reader.embedded_signatures}


def sign_pdf(pdf: bytes, key: SignerKey, *, field: str = SIGNER_FIELD, image_png: bytes | None = None,
             new_field: tuple[int, tuple[float, float, float, float]] | None = None, reason: str | None = None,
             location: str | None = None, timestamper: TimeStamper | None = None,
             at: datetime | None = None) -> bytes:
    """Sign into ``field`` (existing, or created at ``new_field`` = (page, box)); return the new PDF bytes."""
    open_pdf(pdf)
    key.check_validity(at)
    if new_field is None and field not in field_boxes(pdf):
        raise MissingField(f"tệp không có ô chữ ký “{field}”; hãy chọn vị trí ký trên trang")
    meta = signers.PdfSignatureMetadata(field_name=field, md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.PADES, reason=reason,
                                        location=location)
    spec = None
    if new_field is not None:
        page, box = new_field
        spec = fields.SigFieldSpec(sig_field_name=field, on_page=page, box=tuple(round(v, 2) for v in box))
    pdf_signer = signers.PdfSigner(meta, signer=key.signer(), timestamper=timestamper,
                                   stamp_style=image_style(image_png) if image_png else None,
                                   new_field_spec=spec)
    out = io.BytesIO()
    pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False), output=out,
                        bytes_reserved=BYTES_RESERVED)
    return out.getvalue()


def seal_pdf(pdf: bytes, key: SignerKey, *, seal_png: bytes, seal_mm: float = 36.0,
             timestamper: TimeStamper | None = None) -> bytes:
    """The organisation's signature (chữ ký số của cơ quan, tổ chức), only over the signer's signature."""
    if SIGNER_FIELD not in signed_fields(pdf):
        raise SealBeforeSigner("văn bản chưa có chữ ký số của người có thẩm quyền: chưa được ký số của cơ quan")
    signer_box = field_boxes(pdf)[SIGNER_FIELD]
    return sign_pdf(pdf, key, field=SEAL_FIELD, image_png=seal_png,
                    new_field=(signer_box.page, seal_box(signer_box.box, seal_mm=seal_mm)),
                    timestamper=timestamper)
