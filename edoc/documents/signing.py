"""The signer's digital signature on the approved version of an outgoing document: where it goes (the renderer's
field between title and name, above the signer's name in an uploaded PDF, or the spot they pick on a page image)
and signing one document. A batch is ``edoc.documents.batch_signing``; the organisation's signature at issue is
``edoc.documents.sealing``. Keys, trust and signing's refusals come from ``edoc.signatures``, which knows nothing
of documents."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.core.db import commit, db, utcnow
from edoc.core.errors import ValidationFailed
from edoc.documents import policy
from edoc.documents.models import OutgoingDocument
from edoc.files import sniff
from edoc.files.images import check_ink
from edoc.files.models import StoredFile
from edoc.files.service import read_verified, store_bytes
from edoc.signatures.credentials import SigningRefused, personal_key
from edoc.signatures.options import refusal, signature_options
from signing.errors import MissingField, PlacementNotFound, SigningError
from signing.keys import SigningCredential as SigningKey
from signing.placement import MM, Placement, box_above_name
from signing.placement import page_sizes as signing_page_sizes
from signing.sign import sign_pdf

SIGNATURE_BOX_MM = (56.0, 28.0)
"""The signer's spot when the user picks it on the page: the size the renderer leaves between title and name."""

NOT_THE_SIGNER = "Chỉ người ký được ký số văn bản đã duyệt và chưa ký."


class PlacementNeeded(SigningRefused):
    code = "placement_needed"


# --- where the signer's signature goes -----------------------------------------------------------------

def source_pdf(doc: OutgoingDocument) -> bytes:
    """The approved version's PDF, which the signer signs."""
    version = doc.current_version
    if version is None or version.pdf_file is None:
        raise SigningRefused("Văn bản chưa có bản PDF để ký.")
    return read_verified(version.pdf_file)


def chosen_placement(page: int, x: float, y: float) -> Placement:
    """The spot a user clicked (its centre, PDF points from the page's lower left)."""
    width, height = SIGNATURE_BOX_MM[0] * MM, SIGNATURE_BOX_MM[1] * MM
    if page < 0 or x < 0 or y < 0:
        raise ValidationFailed("Vị trí ký không hợp lệ.", field="page")
    return Placement(page, (x - width / 2, y - height / 2, x + width / 2, y + height / 2))


def _place_by_name(pdf: bytes, signer_name: str) -> Placement:
    try:
        return box_above_name(pdf, signer_name)
    except PlacementNotFound as exc:  # the name is not there, or there is no room above it
        raise PlacementNeeded(f"Tệp không có ô chữ ký và {exc}.") from None
    except SigningError as exc:
        raise refusal(exc, "Không xác định được vị trí ký") from None


def page_image(actor: User, doc: OutgoingDocument, page: int, *, dpi: int = 90) -> bytes:
    """One page of the document to sign as PNG, for choosing the signature's place in the browser."""
    policy.require(policy.can_sign(actor, doc), "Chỉ người ký được xem trang để chọn vị trí ký.")
    tool = shutil.which("pdftoppm")
    if tool is None:
        raise SigningRefused("Máy chủ thiếu công cụ pdftoppm (gói poppler-utils) để hiển thị trang.")
    with tempfile.TemporaryDirectory(prefix="edoc-page-") as tmp:
        source = Path(tmp) / "doc.pdf"
        source.write_bytes(source_pdf(doc))
        result = subprocess.run([tool, "-png", "-r", str(dpi), "-f", str(page + 1), "-l", str(page + 1),
                                 "-singlefile", str(source), str(Path(tmp) / "page")],
                                capture_output=True, timeout=60, check=False)
        image = Path(tmp) / "page.png"
        if result.returncode != 0 or not image.exists():
            raise ValidationFailed("Trang không tồn tại trong văn bản.", field="page")
        return image.read_bytes()


def page_sizes(doc: OutgoingDocument) -> list[tuple[float, float]]:
    """Width and height of each page in points (for mapping a click on the page image to PDF coordinates)."""
    try:
        return signing_page_sizes(source_pdf(doc))
    except SigningError as exc:
        raise refusal(exc, "Không đọc được các trang của văn bản") from None


# --- the signer's signature ----------------------------------------------------------------------------

@dataclass
class SignerSetup:
    """What every signature of one signer needs, read once for a whole batch: their image, the trust and
    revocation context (which caches the certificate path it validated) and the timestamp settings."""

    image_png: bytes
    location: str
    options: dict[str, object]

    @classmethod
    def of(cls, actor: User) -> SignerSetup:
        if actor.signature_file_id is None:
            raise SigningRefused("Bạn chưa có ảnh chữ ký (PNG). Hãy tải ảnh chữ ký ở trang tài khoản.")
        image = db.session.get(StoredFile, actor.signature_file_id)
        assert image is not None
        png = read_verified(image)
        _require_blue(png)
        return cls(png, actor.organisation.place_name, signature_options(actor.organisation_id))


def _require_blue(png: bytes) -> None:
    """The signer's image is blue (Decree 30, Appendix I). Uploads are checked for it; an image kept before
    that check, in another ink, is refused here rather than drawn into a document."""
    try:
        with Image.open(io.BytesIO(png)) as image:
            check_ink(image, "blue", what="Ảnh chữ ký", field="image")
    except (OSError, ValueError, Image.DecompressionBombError):
        return  # an unreadable image is refused by the appearance, with its own message
    except ValidationFailed:  # not mostly blue, or nothing drawn at all: the same refusal, saying what to do
        raise SigningRefused("Ảnh chữ ký của bạn không phải màu xanh (Phụ lục I, Nghị định 30/2020/NĐ-CP): hãy "
                             "tải ảnh chữ ký mực xanh, nền trong suốt, rồi ký lại.") from None


def signed_bytes(setup: SignerSetup, pdf: bytes, key: SigningKey, placement: Placement | None,
                 signer_name: str) -> bytes:
    """The signature itself: CPU work (and the timestamp authority, revocation responders), no database."""
    options = {"image_png": setup.image_png, "location": setup.location, **setup.options}
    try:
        try:
            # the renderer's field between title and name, if the PDF has it (the usual case: no second parse)
            return sign_pdf(pdf, key, placement=placement, **options)  # type: ignore[arg-type]
        except MissingField:
            return sign_pdf(pdf, key, placement=_place_by_name(pdf, signer_name), **options)  # type: ignore[arg-type]
    except SigningError as exc:
        raise refusal(exc, "Không ký được") from None


def keep_signature(setup: SignerSetup, actor: User, doc: OutgoingDocument, key: SigningKey, signed: bytes) -> None:
    """The signed PDF kept as the document's signed file, with its audit entry (in the caller's transaction)."""
    doc.signed_file_id = store_bytes(signed, f"da-ky-{doc.id}.pdf", uploader=actor, purpose="document",
                                     media_type=sniff.PDF).id
    doc.signed_at = utcnow()
    record("document.sign", doc, actor=actor, changes={"certificate": key.certificate.subject.human_friendly[:200],
                                                       "serial": str(key.certificate.serial_number),
                                                       "timestamped": setup.options["timestamper"] is not None})


def sign_document(actor: User, doc: OutgoingDocument, key: SigningKey, *,
                  placement: Placement | None = None) -> None:
    """The signer's digital signature on the approved version: their image between title and name (the
    renderer's field), above their name in an uploaded PDF, or where they chose (in the caller's transaction)."""
    setup = SignerSetup.of(actor)
    policy.require(policy.can_sign(actor, doc), NOT_THE_SIGNER)
    signed = signed_bytes(setup, source_pdf(doc), key, placement, actor.full_name)
    keep_signature(setup, actor, doc, key, signed)


def sign_with_pin(actor: User, doc: OutgoingDocument, pin: str, *, placement: Placement | None = None) -> None:
    """The signer's signature, their PIN unlocking the key, in the caller's transaction (the minutes' chair
    signs inside the meeting's change); a wrong PIN is counted and committed by ``personal_key``."""
    with personal_key(actor, pin) as key:
        sign_document(actor, doc, key, placement=placement)


def sign_one(actor: User, doc: OutgoingDocument, pin: str, *, placement: Placement | None = None) -> None:
    """The signer signs one document from its page or the API: ``sign_with_pin``, committed."""
    sign_with_pin(actor, doc, pin, placement=placement)
    commit()
