"""The organisation's signature on documents it makes from others: an electronic copy (bản sao y, trích sao, sao
lục) and the electronic document issued from a paper original (ký trên giấy, then digitised). Both carry it at the
top right of their first page, without an image (Decree 30, Appendix I, Part II, I.3; Art. 25.1.c).

Takes plain values (the organisation, the text to stamp, the PDF): who may ask for it, and the audit entry, are the
documents package's business, which calls here, never the reverse."""

from __future__ import annotations

from edoc.organisations.models import Organisation
from edoc.signatures.credentials import SigningRefused, organisation_key
from edoc.signatures.labels import in_vietnamese
from edoc.signatures.options import signature_options
from signing.errors import SigningError
from signing.keys import SignerKey
from signing.sign import PAPER_FIELD, sign_attachment, sign_copy

NO_CREDENTIAL = ("Cơ quan chưa có chứng thư số để ký số {what} (Nghị định 30, Phụ lục I): quản trị viên cần cài đặt ở "
                 "trang “Chữ ký số của cơ quan” trước.")


def _key(organisation: Organisation, what: str) -> SignerKey:
    key = organisation_key(organisation)
    if key is None:
        raise SigningRefused(NO_CREDENTIAL.format(what=what))
    return key


def sign_digitised(organisation: Organisation, pdf: bytes, *, reference: str) -> bytes:
    """A document signed on paper, issued electronically: its number and the signing time, top right of page 1."""
    key = _key(organisation, "bản điện tử của văn bản ký trên giấy")
    try:
        signed = sign_attachment(pdf, key, number=reference, field=PAPER_FIELD, location=organisation.place_name,
                                 **signature_options(organisation.id))
    except SigningError as exc:
        raise SigningRefused(f"Không ký số của cơ quan được: {in_vietnamese(str(exc)).rstrip('.')}.") from None
    return signed


def sign_electronic_copy(organisation: Organisation, pdf: bytes, *, form: str) -> bytes:
    """An electronic copy: the copy form (SAO Y, TRÍCH SAO, SAO LỤC), the organisation and the signing time."""
    key = _key(organisation, "bản sao điện tử")
    try:
        return sign_copy(pdf, key, form=form, organisation=organisation.name, location=organisation.place_name,
                         **signature_options(organisation.id))
    except SigningError as exc:
        raise SigningRefused(f"Không ký số bản sao được: {in_vietnamese(str(exc)).rstrip('.')}.") from None
