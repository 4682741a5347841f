"""Why a signing or validation request was refused.

Every refusal is a ``SigningError``: the document was not signed and the caller's bytes are unchanged. The
messages are shown to people (clerks, leaders), so they are plain Vietnamese, with no stack-trace vocabulary.
"""

from __future__ import annotations


class SigningError(Exception):
    """Base: nothing was signed; the input is unchanged."""


class BadPassword(SigningError):
    """Wrong password or PIN for a key file or token, or the file holds no usable key."""


class TokenError(SigningError):
    """The PKCS#11 module, token or key could not be found or used."""


class EncryptedPdf(SigningError):
    """The PDF is password-protected; an encrypted file cannot be signed here."""


class CorruptPdf(SigningError):
    """The file is not a readable PDF (truncated, damaged, or not a PDF at all)."""


class ExistingSignatureBroken(SigningError):
    """A signature already in the file no longer matches the bytes it covers: signing on top would hide that."""


class CertificateNotUsable(SigningError):
    """The signer's certificate cannot make a valid signature now.

    ``reason`` is a stable code for programs: ``expired``, ``not_yet_valid``, ``revoked``, ``untrusted``,
    ``key_usage`` or ``revocation_unknown``; the message is for people."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class SealBeforeSigner(SigningError):
    """The organisation's signature (the seal) is only applied over a signer's signature."""


class MissingField(SigningError):
    """No signature field with that name, and no place on the page was given for a new one."""


class FieldAlreadySigned(SigningError):
    """The signature field already holds a signature: each field is signed once."""


class PlacementNotFound(SigningError):
    """The text to place a signature by (e.g. the signer's name) was not found in the PDF."""


class AppearanceError(SigningError):
    """The visible part of a signature cannot be drawn (unreadable image, a character the font lacks)."""


class TimestampFailed(SigningError):
    """The timestamp authority did not answer, or answered with something unusable."""
