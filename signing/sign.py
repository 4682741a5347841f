"""Signing PDFs: PAdES baseline signatures (B-B, B-T with a timestamp, B-LT with revocation data, B-LTA with a
document timestamp), always as an incremental update, so every earlier revision and signature stays as it was.

Before anything is written the input is checked (readable, not encrypted, existing signatures intact) and so
is the certificate (validity period; with a validation context, trust and revocation). A refusal raises a
``signing.errors.SigningError`` and the caller's bytes are untouched.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import BinaryIO

import aiohttp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko.sign.timestamps import TimeStamper, TimestampRequestError
from pyhanko.sign.validation import EmbeddedPdfSignature
from pyhanko.sign.validation.generic_cms import validate_sig_integrity
from pyhanko.stamp import BaseStampStyle
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator import errors as cv_errors

from signing import aio
from signing.appearance import (
    Appearance,
    SealImage,
    SignerImage,
    TextStamp,
    attachment_stamp,
    copy_stamp,
    empty_style,
    seal_box,
)
from signing.errors import (
    CertificateNotUsable,
    CorruptPdf,
    EncryptedPdf,
    ExistingSignatureBroken,
    FieldAlreadySigned,
    MissingField,
    SealBeforeSigner,
    SigningError,
)
from signing.keys import SigningCredential, common_name
from signing.placement import Box, Placement, drawn_image_box, page_size, signature_fields
from signing.timestamps import timestamp_failure

BYTES_RESERVED = 16384
"""The least ``/Contents`` reservation, in hex digits (8 KiB of DER); more when the certificates and the
timestamp token need it (``signature_bytes_reserved``)."""
# signed attributes (content type, digest, signing certificate v2, algorithm protection), SignerInfo and
# SignedData framing, with room to spare
_CMS_OVERHEAD = 3072
SIGNER_FIELD = "sig_signer"
SEAL_FIELD = "sig_seal"
ATTACHMENT_FIELD = "sig_attachment"
COPY_FIELD = "sig_copy"
PAPER_FIELD = "sig_paper"
TIMESTAMP_FIELD = "doc_timestamp"

PdfInput = bytes | bytearray | memoryview | BinaryIO
_READ_ERRORS = (PdfError, KeyError, ValueError, TypeError, IndexError, AttributeError, RecursionError,
                NotImplementedError, AssertionError)


def _as_bytes(pdf: PdfInput) -> bytes:
    if isinstance(pdf, bytes | bytearray | memoryview):
        return bytes(pdf)
    return pdf.read()


def _reader(data: PdfInput) -> PdfFileReader:
    """A reader for a PDF that must at least open and have pages; refuses encrypted files. Bytes are read from
    memory; a file object (seekable) is read in place from its start, so a large file is never held whole: pyHanko
    reads the objects it needs from the file."""
    if isinstance(data, bytes | bytearray | memoryview):
        head, stream = bytes(data[:1024]), io.BytesIO(data)
    else:
        data.seek(0)
        head, stream = data.read(1024), data
        data.seek(0)
    if b"%PDF-" not in head:
        raise CorruptPdf("tệp không phải PDF")
    try:
        reader = PdfFileReader(stream, strict=False)
        encrypted = reader.encrypted
        if not encrypted:
            int(reader.root["/Pages"]["/Count"])
            reader.find_page_for_modification(0)
    except _READ_ERRORS as exc:
        raise CorruptPdf(f"tệp PDF bị hỏng hoặc không đầy đủ ({type(exc).__name__})") from None
    if encrypted:
        raise EncryptedPdf("tệp PDF được mã hóa (có mật khẩu); hãy gỡ mật khẩu rồi ký")
    return reader


def open_pdf(pdf: PdfInput) -> PdfFileReader:
    """Read a PDF for signing: refuse encrypted, truncated or corrupt files, and files whose existing
    signatures no longer match their bytes (signing on top would make a broken file look endorsed). A file
    object is read in place (it must stay open while the reader is used), bytes from memory."""
    reader = _reader(pdf)
    try:
        embedded = reader.embedded_signatures
    except _READ_ERRORS as exc:
        raise CorruptPdf(f"không đọc được chữ ký trong tệp PDF ({type(exc).__name__})") from None
    for signature in embedded:
        if not _intact(signature):
            raise ExistingSignatureBroken(
                f"chữ ký số “{signature.field_name}” đã có trong tệp không còn nguyên vẹn (tệp đã bị sửa sau khi "
                "ký); không ký tiếp lên tệp này")
    return reader


def _intact(signature: EmbeddedPdfSignature) -> bool:
    """The signed bytes still match and the signature over them verifies: integrity only, no trust, no
    difference analysis (that is validation's job, and pyHanko would log trust failures as errors here)."""
    try:
        signed_data = signature.signed_data
        content = signed_data["encap_content_info"]
        if signature.sig_object_type == "/DocTimeStamp":
            # the token's imprint must be the digest of the document's byte ranges, and the token's own
            # signature must cover the TSTInfo it encapsulates
            tst_info = content["content"].parsed
            imprint = tst_info["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            if signature.compute_digest(algorithm) != imprint["hashed_message"].native:
                return False
            md = signature.signer_info["digest_algorithm"]["algorithm"].native
            digest = hashes.Hash(get_pyca_cryptography_hash(md))
            digest.update(bytes(content["content"]))
            actual = digest.finalize()
        else:
            actual = signature.compute_digest()
        intact, valid = validate_sig_integrity(signature.signer_info, signature.signer_cert,
                                               expected_content_type=content["content_type"].native,
                                               actual_digest=actual)
        return bool(intact and valid)
    except Exception:  # a signature pyHanko cannot even take apart is a broken one
        return False


def signed_fields(pdf: PdfInput) -> set[str]:
    """Names of the signature fields that hold a signature (or a document timestamp)."""
    return {name for name, f in signature_fields(_reader(_as_bytes(pdf))).items() if f.signed}


_REVOCATION_TEXT = "chứng thư số của {who} đã bị thu hồi"


async def _aclose(validation_context: ValidationContext | None) -> None:
    """Release the network session the context opened for itself, inside the loop that opened it (pyHanko
    keeps the context usable: the next operation opens a new one)."""
    if validation_context is not None:
        await validation_context.aclose()


async def async_check_certificate(key: SigningCredential, *, at: datetime | None = None,
                                  validation_context: ValidationContext | None = None) -> None:
    """``check_certificate`` inside a running event loop; the caller closes the context."""
    key.check_validity(at)
    if validation_context is None:
        return
    who = common_name(key.certificate)
    validator = CertificateValidator(key.certificate, intermediate_certs=key.chain,
                                     validation_context=validation_context)
    try:
        await validator.async_validate_usage({"non_repudiation"})
    except cv_errors.RevokedError:
        raise CertificateNotUsable(_REVOCATION_TEXT.format(who=who), reason="revoked") from None
    except (cv_errors.ExpiredError, cv_errors.NotYetValidError) as exc:
        raise CertificateNotUsable(f"chứng thư số của {who} không còn hiệu lực: {exc}", reason="expired") from None
    except cv_errors.InsufficientRevinfoError as exc:
        raise CertificateNotUsable(f"không kiểm tra được tình trạng thu hồi chứng thư số của {who}: {exc}",
                                   reason="revocation_unknown") from None
    except cv_errors.InvalidCertificateError as exc:
        raise CertificateNotUsable(f"chứng thư số của {who} không dùng để ký được: {exc}",
                                   reason="key_usage") from None
    except (cv_errors.PathBuildingError, cv_errors.PathValidationError) as exc:
        raise CertificateNotUsable(f"chứng thư số của {who} không thuộc tổ chức cung cấp dịch vụ tin cậy: {exc}",
                                   reason="untrusted") from None


def check_certificate(key: SigningCredential, *, at: datetime | None = None,
                      validation_context: ValidationContext | None = None) -> None:
    """Refuse a certificate that cannot make a valid signature: outside its validity period, or, when a
    validation context is given, not chained to its trust roots, revoked, or without usable revocation data
    (the context's ``revocation_mode`` decides how strict that is)."""
    key.check_validity(at)
    if validation_context is None:
        return

    async def run() -> None:
        try:
            await async_check_certificate(key, at=at, validation_context=validation_context)
        finally:
            await _aclose(validation_context)

    aio.run(run)


class _FixedTimePdfSigner(signers.PdfSigner):
    """A PdfSigner whose signing time is chosen by us, so that the time written in a text stamp is exactly
    the one in the signature (CMS signingTime and /M)."""

    def __init__(self, *args: object, signing_time: datetime, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._signing_time = signing_time

    def init_signing_session(self, pdf_out: object, existing_fields_only: bool = False) -> PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only)  # type: ignore[arg-type]
        session.system_time = self._signing_time
        return session


def _approval_signatures(reader: PdfFileReader) -> list[str]:
    return [s.field_name for s in reader.embedded_signatures if s.sig_object_type != "/DocTimeStamp"]


def seal_placement(reader: PdfFileReader, seal: SealImage, *, over: str = SIGNER_FIELD) -> Placement:
    """The seal's box: real size, over the left third of the image in the signed field ``over``."""
    existing = signature_fields(reader).get(over)
    if existing is None or not existing.signed:
        raise SealBeforeSigner("văn bản chưa có chữ ký số của người có thẩm quyền: chưa được ký số của cơ quan, "
                               "tổ chức (đóng dấu)")
    image = drawn_image_box(reader, over) or existing.placement
    if image is None:
        raise MissingField(f"chữ ký “{over}” không hiển thị trên trang; không xác định được vị trí đóng dấu")
    return Placement(image.page, seal_box(image.box, seal.size_points()))


def _style(appearance: Appearance | None, signing_time: datetime) -> BaseStampStyle:
    if appearance is None:
        return empty_style()
    if isinstance(appearance, TextStamp):
        return appearance.style(signing_time)
    return appearance.style()


def _signature_size(cert: asn1_x509.Certificate) -> int:
    """Bytes of the raw signature value the key makes (DER-encoded for ECDSA)."""
    public_key = cert.public_key
    algorithm = public_key.algorithm
    if algorithm in ("rsa", "rsassa_pss"):
        return (public_key.bit_size + 7) // 8
    if algorithm == "ec":
        return 2 * ((public_key.bit_size + 7) // 8) + 9
    if algorithm in ("ed25519", "ed448"):
        return 114
    return 8192  # post-quantum schemes: a few kilobytes


async def signature_bytes_reserved(key: SigningCredential, timestamper: TimeStamper | None = None, *,
                                   md_algorithm: str = "sha256") -> int:
    """Hex digits to reserve in ``/Contents`` for this key's signature, from what will really be in it: the
    certificates the signer embeds, the signature value and, when timestamped, a token from that TSA (the
    first call asks the TSA for a sample token, which pyHanko then keeps on the timestamper object). A fixed
    size would either waste space or, for an RSA-4096 chain with a timestamp, run out; measuring by a dry run
    would sign twice (on a USB token, two operations)."""
    signer = key.signer()
    certs = {cert.dump() for cert in signer.cert_registry}
    certs.add(key.certificate.dump())
    size = sum(len(der) for der in certs) + _signature_size(key.certificate) + _CMS_OVERHEAD
    if timestamper is not None:
        token = await timestamper.async_dummy_response(md_algorithm)
        # TSAs vary a little from one token to the next (serial number, nonce, fractions of a second)
        size += len(token.dump()) * 11 // 10 + 256
    return max(BYTES_RESERVED, 2 * size)


def _sign_args(data: bytes, key: SigningCredential, *, field: str, appearance: Appearance | None,
               image_png: bytes | None, placement: Placement | None, new_field: tuple[int, Box] | None,
               timestamper: TimeStamper | None, embed_validation_info: bool,
               validation_context: ValidationContext | None, lta: bool,
               at: datetime | None) -> tuple[PdfFileReader, datetime, Appearance | None, fields.SigFieldSpec | None]:
    """Everything that can be refused before the network or the key is touched. The reader it checked the
    file with is returned to write the signature through: parsing a PDF is a third of a signature's time."""
    reader = open_pdf(data)
    signing_time = (at or datetime.now(UTC)).replace(microsecond=0)
    key.check_validity(signing_time)
    if embed_validation_info and validation_context is None:
        raise ValueError("embed_validation_info needs a validation_context to collect revocation data with")
    if lta and (timestamper is None or not embed_validation_info):
        raise ValueError("lta (PAdES B-LTA) needs a timestamper and embed_validation_info")
    if appearance is None and image_png is not None:
        appearance = SignerImage(image_png)
    if placement is None and new_field is not None:
        placement = Placement(new_field[0], new_field[1])
    if isinstance(appearance, SealImage) and not _approval_signatures(reader):
        raise SealBeforeSigner("văn bản chưa có chữ ký số của người có thẩm quyền: chưa được ký số của cơ quan, "
                               "tổ chức (đóng dấu)")

    existing = signature_fields(reader).get(field)
    spec = None
    if existing is not None:
        if existing.signed:
            raise FieldAlreadySigned(f"ô chữ ký “{field}” đã có chữ ký; mỗi ô chỉ ký một lần")
    else:
        if placement is None and isinstance(appearance, SealImage):
            placement = seal_placement(reader, appearance)
        elif placement is None and isinstance(appearance, TextStamp):
            placement = appearance.placement(page_size(reader, 0), signing_time)
        if placement is None:
            raise MissingField(f"tệp không có ô chữ ký “{field}”; hãy chọn vị trí ký trên trang")
        if not 0 <= placement.page < int(reader.root["/Pages"]["/Count"]):
            raise MissingField(f"trang {placement.page + 1} không có trong tệp")
        spec = fields.SigFieldSpec(sig_field_name=field, on_page=placement.page,
                                   box=tuple(round(v, 3) for v in placement.box))  # type: ignore[arg-type]
    return reader, signing_time, appearance, spec


_TSA_ERRORS = (TimeoutError, TimestampRequestError, aiohttp.ClientError)


@contextmanager
def _refusals(what: str) -> Iterator[None]:
    """pyHanko's failures while writing a signature as ours: the TSA's (whether raised as they are or wrapped
    in pyHanko's SigningError) as ``TimestampFailed``, the rest as ``SigningError`` starting with ``what``."""
    try:
        yield
    except _TSA_ERRORS as exc:
        raise timestamp_failure(exc) from None
    except PyHankoSigningError as exc:
        if isinstance(exc.__cause__, _TSA_ERRORS):
            raise timestamp_failure(exc.__cause__) from None
        raise SigningError(f"{what}: {exc}") from None


async def async_sign_pdf(pdf: PdfInput, key: SigningCredential, *, field: str = SIGNER_FIELD,
                         appearance: Appearance | None = None, image_png: bytes | None = None,
                         placement: Placement | None = None, new_field: tuple[int, Box] | None = None,
                         reason: str | None = None, location: str | None = None,
                         timestamper: TimeStamper | None = None, embed_validation_info: bool = False,
                         validation_context: ValidationContext | None = None, lta: bool = False,
                         at: datetime | None = None) -> bytes:
    """``sign_pdf`` for a caller that runs its own event loop. The certificate check, the revocation data
    and the timestamps all go through this one loop; the context's network session is closed on return."""
    try:
        data = _as_bytes(pdf)
        reader, signing_time, appearance, spec = _sign_args(
            data, key, field=field, appearance=appearance, image_png=image_png, placement=placement,
            new_field=new_field, timestamper=timestamper, embed_validation_info=embed_validation_info,
            validation_context=validation_context, lta=lta, at=at)
        await async_check_certificate(key, at=signing_time, validation_context=validation_context)
        meta = signers.PdfSignatureMetadata(
            field_name=field, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES, reason=reason,
            location=location, embed_validation_info=embed_validation_info,
            validation_context=validation_context, use_pades_lta=lta)
        pdf_signer = _FixedTimePdfSigner(meta, signer=key.signer(), timestamper=timestamper,
                                         stamp_style=_style(appearance, signing_time), new_field_spec=spec,
                                         signing_time=signing_time)
        out = io.BytesIO()
        with _refusals("không ký được"):
            reserved = await signature_bytes_reserved(key, timestamper)
            await pdf_signer.async_sign_pdf(IncrementalPdfFileWriter.from_reader(reader), output=out,
                                            bytes_reserved=reserved)
        return out.getvalue()
    finally:
        await _aclose(validation_context)


def sign_pdf(pdf: PdfInput, key: SigningCredential, *, field: str = SIGNER_FIELD,
             appearance: Appearance | None = None, image_png: bytes | None = None,
             placement: Placement | None = None, new_field: tuple[int, Box] | None = None,
             reason: str | None = None, location: str | None = None, timestamper: TimeStamper | None = None,
             embed_validation_info: bool = False, validation_context: ValidationContext | None = None,
             lta: bool = False, at: datetime | None = None) -> bytes:
    """Sign ``pdf`` into the signature field ``field`` and return the signed PDF.

    The field is used if it exists (empty); otherwise it is created at ``placement`` (``new_field`` is the
    older ``(page, box)`` spelling), or where the appearance belongs: a ``SealImage`` over the signer's image,
    a ``TextStamp`` at the top right of the first page. ``image_png`` is short for ``SignerImage(image_png)``.
    ``validation_context`` (see ``signing.trust.validation_context``) vets the certificate first: trust and,
    as the context says, revocation. ``timestamper`` makes it PAdES B-T; ``embed_validation_info`` (needs
    ``validation_context``) B-LT; ``lta`` (needs both) adds a document timestamp, B-LTA. ``at`` is the
    claimed signing time (default now). Runs one event loop of its own (``signing.aio.run``): from async
    code, ``async_sign_pdf`` avoids the extra thread."""
    return aio.run(lambda: async_sign_pdf(
        pdf, key, field=field, appearance=appearance, image_png=image_png, placement=placement,
        new_field=new_field, reason=reason, location=location, timestamper=timestamper,
        embed_validation_info=embed_validation_info, validation_context=validation_context, lta=lta, at=at))


def seal_pdf(pdf: PdfInput, key: SigningCredential, *, seal_png: bytes, seal_mm: float | None = None,
             field: str = SEAL_FIELD, over: str = SIGNER_FIELD, **options: object) -> bytes:
    """The organisation's digital signature (chữ ký số của cơ quan, tổ chức), shown as its seal over the left
    third of the signer's signature image; refused (``SealBeforeSigner``) if ``over`` is not signed yet."""
    data = _as_bytes(pdf)
    seal = SealImage(seal_png, seal_mm)
    # over the usual signer's field the place is found by the reader that checks the file (one parse)
    placement = None if over == SIGNER_FIELD else seal_placement(_reader(data), seal, over=over)
    return sign_pdf(data, key, field=field, appearance=seal, placement=placement, **options)  # type: ignore[arg-type]


def sign_attachment(pdf: PdfInput, key: SigningCredential, *, number: str, field: str = ATTACHMENT_FIELD,
                    **options: object) -> bytes:
    """The organisation's signature on an attachment in a separate file: no image, the document's số/ký hiệu
    and the signing time at the top right of the first page."""
    return sign_pdf(pdf, key, field=field, appearance=attachment_stamp(number), **options)  # type: ignore[arg-type]


def sign_copy(pdf: PdfInput, key: SigningCredential, *, form: str, organisation: str, field: str = COPY_FIELD,
              **options: object) -> bytes:
    """The organisation's signature on an electronic copy (Appendix I, Part II, I.3): no image; the copy form
    (SAO Y, TRÍCH SAO, SAO LỤC), the copying organisation and the signing time at the top right of page 1."""
    return sign_pdf(pdf, key, field=field, appearance=copy_stamp(form, organisation),  # type: ignore[arg-type]
                    **options)


async def async_add_document_timestamp(pdf: PdfInput, timestamper: TimeStamper, *,
                                       validation_context: ValidationContext | None = None,
                                       field: str | None = None) -> bytes:
    """``add_document_timestamp`` for a caller that runs its own event loop."""
    try:
        data = _as_bytes(pdf)
        reader = open_pdf(data)
        names = set(signature_fields(reader))
        if field is None:
            field = TIMESTAMP_FIELD
            counter = 1
            while field in names:
                counter += 1
                field = f"{TIMESTAMP_FIELD}_{counter}"
        elif field in names:
            raise FieldAlreadySigned(f"tệp đã có ô “{field}”; chọn tên khác cho dấu thời gian")
        out = io.BytesIO()
        with _refusals("không đóng được dấu thời gian cho tài liệu"):
            # sized by pyHanko from a sample token of this TSA: a timestamp is not a signature of ours,
            # asking the TSA twice costs nothing but a request (and the sample is kept for the next time)
            await signers.PdfTimeStamper(timestamper, field_name=field).async_timestamp_pdf(
                IncrementalPdfFileWriter(io.BytesIO(data), strict=False), "sha256",
                validation_context=validation_context, output=out)
        return out.getvalue()
    finally:
        await _aclose(validation_context)


def add_document_timestamp(pdf: PdfInput, timestamper: TimeStamper, *,
                           validation_context: ValidationContext | None = None,
                           field: str | None = None) -> bytes:
    """A document timestamp over the whole file (PAdES B-LTA, or renewing one). With ``validation_context``,
    the revocation data of the timestamp authority is added to the DSS first."""
    return aio.run(lambda: async_add_document_timestamp(pdf, timestamper, validation_context=validation_context,
                                                        field=field))


__all__ = [
    "ATTACHMENT_FIELD", "BYTES_RESERVED", "SEAL_FIELD", "SIGNER_FIELD", "TIMESTAMP_FIELD",
    "add_document_timestamp", "async_add_document_timestamp", "async_check_certificate", "async_sign_pdf",
    "check_certificate", "open_pdf", "seal_pdf", "seal_placement", "sign_attachment", "sign_copy", "sign_pdf",
    "signature_bytes_reserved", "signed_fields",
]
