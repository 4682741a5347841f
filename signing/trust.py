"""The validation context: which roots are trusted, how strictly revocation is checked, and whether OCSP/CRL
may be fetched over the network. One helper builds it for both sides, the check before signing and the
validation afterwards, so that the app's settings (``EDOC_SIGNING_REVOCATION = off | soft | hard``) mean
the same thing in both places.

- ``off``: revocation is not checked at all (trust and validity period still are).
- ``soft``: revocation is checked when data is at hand (embedded in the file, or fetched); a responder
  that does not answer is not held against the certificate, a "revoked" answer is.
- ``hard``: a certificate that names a CRL or OCSP responder must be checked against it; no answer, no trust.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from pyhanko_certvalidator import ValidationContext

Revocation = Literal["off", "soft", "hard"]
REVOCATION_MODES: dict[str, str] = {"off": "none", "soft": "soft-fail", "hard": "hard-fail"}
"""Our setting → pyHanko's ``revocation_mode``."""
_PYHANKO_MODES = frozenset({"none", "soft-fail", "hard-fail", "require"})

__all__ = ["REVOCATION_MODES", "Revocation", "revocation_mode", "validation_context"]


def revocation_mode(revocation: str) -> str:
    """pyHanko's name for ``revocation`` (``off``/``soft``/``hard``; pyHanko's own names pass through, so
    older callers that said ``soft-fail`` keep working)."""
    value = revocation.strip().lower()
    if value in REVOCATION_MODES:
        return REVOCATION_MODES[value]
    if value in _PYHANKO_MODES:
        return value
    raise ValueError(f"revocation must be off, soft or hard, not {revocation!r}")


def validation_context(trust_roots: Iterable[asn1_x509.Certificate], *, revocation: str = "soft",
                       fetch: bool = True, moment: datetime | None = None,
                       other_certs: Iterable[asn1_x509.Certificate] = (),
                       ocsps: Iterable[bytes | asn1_ocsp.OCSPResponse] = (),
                       crls: Iterable[bytes | asn1_crl.CertificateList] = (),
                       retroactive_revinfo: bool = False) -> ValidationContext:
    """A pyHanko ``ValidationContext`` trusting exactly ``trust_roots`` (never the operating system's TLS
    roots: an empty list trusts nothing).

    ``fetch`` allows OCSP/CRL requests over the network (to the addresses in the certificates); without it
    only ``ocsps``/``crls`` (DER or parsed, e.g. from a document's DSS) are used. ``moment`` validates at a
    past time (e.g. a trusted timestamp's) instead of now; ``retroactive_revinfo`` then also accepts
    revocation data issued after that moment (an answer fetched today about a time in the past).

    The context is meant for one operation: ``signing.sign`` and ``signing.validate`` release its network
    session at the end of each call, so it can be reused, but not shared between threads."""
    mode = revocation_mode(revocation)
    return ValidationContext(
        trust_roots=list(trust_roots), other_certs=list(other_certs), moment=moment,
        allow_fetching=bool(fetch) and mode != "none",
        # lists, never None: pyHanko refuses "hard" without fetching unless it is told which data it has
        ocsps=list(ocsps), crls=list(crls),  # type: ignore[arg-type]
        revocation_mode=mode, retroactive_revinfo=retroactive_revinfo)
