"""What every signature edoc applies takes from the organisation's trust settings, and how signing's refusals
read on a page: shared by the signer's signature (``edoc.documents.signing``), the organisation's at issue
(``edoc.documents.sealing``) and on copies and digitised originals (``edoc.signatures.digitised``)."""

from __future__ import annotations

from edoc.signatures.credentials import SigningRefused
from edoc.signatures.labels import in_vietnamese
from edoc.signatures.trust import revocation_mode, timestamper, validation_context
from signing.errors import CertificateNotUsable, SigningError

UNTRUSTED_HINT = " Quản trị viên cần thêm chứng thư gốc của tổ chức cấp chứng thư tại trang “Chữ ký số của cơ quan”."


def signature_options(organisation_id: int) -> dict[str, object]:
    """Trust and revocation checked before signing; with a timestamp authority, PAdES B-T, and B-LT (the
    revocation data embedded) unless revocation checking is off."""
    stamper = timestamper()
    return {"validation_context": validation_context(organisation_id), "timestamper": stamper,
            "embed_validation_info": stamper is not None and revocation_mode() != "off"}


def refusal(exc: SigningError, what: str) -> SigningRefused:
    """A signing library error as the person reads it: ``what`` failed, why, in Vietnamese (the library names
    its fields, “sig_signer”: not for people), and what the admin can do when the certificate is not trusted."""
    text = in_vietnamese(str(exc)).rstrip(".")
    hint = UNTRUSTED_HINT if isinstance(exc, CertificateNotUsable) and exc.reason == "untrusted" else ""
    return SigningRefused(f"{what}: {text}.{hint}")
