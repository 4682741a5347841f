"""Why a signing or validation request was refused. Each is caught by callers and shown to people."""

from __future__ import annotations


class SigningError(Exception):
    """Base: the document was not signed and the input is unchanged."""


class BadPassword(SigningError):
    pass


class EncryptedPdf(SigningError):
    pass


class CorruptPdf(SigningError):
    pass


class ExistingSignatureBroken(SigningError):
    pass


class CertificateNotUsable(SigningError):
    pass


class SealBeforeSigner(SigningError):
    pass


class MissingField(SigningError):
    pass
