"""Signing keys held in software: loaded once, kept as key objects, encrypted whenever they are at rest.

pyHanko's ``SimpleSigner`` keeps the key as DER and re-parses it for every signature (cryptography's RSA key
check alone costs ~70 ms). ``SignerKey.signer()`` returns one ``CachedKeySigner`` per key that signs with the
already-loaded key object, so a batch pays for the parse once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signing.errors import BadPassword, CertificateNotUsable

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


def to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    """cryptography's certificate → asn1crypto's, the type pyHanko works with."""
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def to_cryptography(cert: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())


_asn1 = to_asn1  # the name older callers used


def common_name(cert: asn1_x509.Certificate) -> str:
    return str(cert.subject.native.get("common_name", ""))


def check_validity(cert: asn1_x509.Certificate, at: datetime | None = None) -> None:
    """Refuse a certificate outside its validity period at ``at`` (default: now)."""
    moment = at or datetime.now(UTC)
    validity = cert["tbs_certificate"]["validity"]
    not_before, not_after = validity["not_before"].native, validity["not_after"].native
    who = common_name(cert)
    if moment < not_before:
        raise CertificateNotUsable(f"chứng thư số của {who} chưa có hiệu lực (từ ngày {not_before:%d/%m/%Y})",
                                   reason="not_yet_valid")
    if moment > not_after:
        raise CertificateNotUsable(f"chứng thư số của {who} đã hết hạn ngày {not_after:%d/%m/%Y}",
                                   reason="expired")


class SigningCredential(Protocol):
    """What ``signing.sign`` needs from a key, in software (``SignerKey``) or on a token (``TokenKey``)."""

    @property
    def certificate(self) -> asn1_x509.Certificate: ...

    @property
    def chain(self) -> list[asn1_x509.Certificate]: ...

    def signer(self) -> Signer: ...

    def check_validity(self, at: datetime | None = None) -> None: ...


@dataclass(eq=False)
class SignerKey:
    """A private key with its certificate and the CA certificates above it (issuer first)."""

    private_key: PrivateKey
    certificate: asn1_x509.Certificate
    chain: list[asn1_x509.Certificate] = field(default_factory=list)
    _signer: CachedKeySigner | None = field(default=None, init=False, repr=False)

    @property
    def subject(self) -> str:
        return common_name(self.certificate)

    @property
    def organisation(self) -> str:
        return str(self.certificate.subject.native.get("organization_name", ""))

    @property
    def serial(self) -> int:
        return int(self.certificate.serial_number)

    def check_validity(self, at: datetime | None = None) -> None:
        check_validity(self.certificate, at)

    def signer(self) -> CachedKeySigner:
        """The pyHanko signer for this key; the same object every time, so it can be reused across a batch."""
        if self._signer is None:
            self._signer = CachedKeySigner(self)
        return self._signer


class CachedKeySigner(Signer):
    """A pyHanko ``Signer`` that signs with an already-loaded cryptography key object."""

    def __init__(self, key: SignerKey, *, prefer_pss: bool = False) -> None:
        # the chain only: pyHanko adds the signer's own certificate, and a registry holding it too would put
        # it in the signature twice
        super().__init__(prefer_pss=prefer_pss, embed_roots=True, signing_cert=key.certificate,
                         cert_registry=SimpleCertificateStore.from_certs(
                             [c for c in key.chain if c.dump() != key.certificate.dump()]))
        self._key = key.private_key

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        return self.sign_raw(data, digest_algorithm)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        algo = mechanism.signature_algo
        key = self._key
        if isinstance(key, rsa.RSAPrivateKey) and algo == "rsassa_pkcs1v15":
            return key.sign(data, padding.PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
        if isinstance(key, rsa.RSAPrivateKey) and algo == "rsassa_pss":
            hash_algo = get_pyca_cryptography_hash(digest_algorithm)
            pss = padding.PSS(mgf=padding.MGF1(hash_algo), salt_length=hash_algo.digest_size)
            return key.sign(data, pss, hash_algo)
        if isinstance(key, ec.EllipticCurvePrivateKey) and algo == "ecdsa":
            return key.sign(data, ec.ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
        if isinstance(key, ed25519.Ed25519PrivateKey) and algo == "ed25519":
            return key.sign(data)
        raise ValueError(f"signature mechanism {algo} does not fit a {type(key).__name__}")


# --- loading and storing --------------------------------------------------------------------------------------

def _secret(password: str | bytes | None) -> bytes | None:
    if password is None or password == "" or password == b"":
        return None
    return password.encode() if isinstance(password, str) else password


def _checked(key: object, cert: x509.Certificate | None, extra: list[x509.Certificate]) -> SignerKey:
    if cert is None or not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
                                      | ed25519.Ed25519PrivateKey):
        raise BadPassword("tệp không chứa khóa bí mật và chứng thư số dùng để ký")
    if key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) \
            != cert.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo):
        raise BadPassword("khóa bí mật không khớp với chứng thư số trong tệp")
    # issuer first, whatever order the file had them in
    chain = sorted(extra, key=lambda c: 0 if c.subject == cert.issuer else 1)
    return SignerKey(key, to_asn1(cert), [to_asn1(c) for c in chain])


def load_pkcs12(data: bytes, password: str | bytes | None) -> SignerKey:
    """A key, its certificate and chain from a PKCS#12 (.p12/.pfx) file."""
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, _secret(password))
    except ValueError:
        raise BadPassword("sai mật khẩu tệp chứng thư số (PKCS#12), hoặc tệp không phải PKCS#12") from None
    return _checked(key, cert, list(extra or []))


def export_encrypted_pkcs12(key: SignerKey, password: str, *, name: str = "edoc") -> bytes:
    """The key and its chain as PKCS#12 encrypted with ``password`` (AES-256, PBKDF2): the form a key is kept
    in at rest. The password is the caller's to keep (or, better, not to keep)."""
    if not password:
        raise BadPassword("cần mật khẩu để mã hóa khóa bí mật")
    chain = [to_cryptography(c) for c in key.chain]
    return pkcs12.serialize_key_and_certificates(
        name.encode(), key.private_key, to_cryptography(key.certificate), chain or None,
        serialization.BestAvailableEncryption(password.encode()))


export_pkcs12 = export_encrypted_pkcs12


def export_encrypted_pem(key: SignerKey, password: str) -> tuple[bytes, bytes]:
    """(encrypted PKCS#8 private key, certificate and chain) as PEM."""
    if not password:
        raise BadPassword("cần mật khẩu để mã hóa khóa bí mật")
    key_pem = key.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.BestAvailableEncryption(password.encode()))
    certs = b"".join(to_cryptography(c).public_bytes(serialization.Encoding.PEM)
                     for c in [key.certificate, *key.chain])
    return key_pem, certs


def load_pem(key_pem: bytes, certs_pem: bytes, password: str | bytes | None) -> SignerKey:
    """A key from PEM; ``certs_pem`` holds the signer's certificate first, then its chain."""
    try:
        key = serialization.load_pem_private_key(key_pem, _secret(password))
    except (ValueError, TypeError):
        raise BadPassword("sai mật khẩu khóa bí mật, hoặc tệp không phải khóa PEM") from None
    try:
        certs = x509.load_pem_x509_certificates(certs_pem)
    except ValueError:
        raise BadPassword("tệp chứng thư số không đọc được (cần PEM)") from None
    if not certs:
        raise BadPassword("tệp chứng thư số trống")
    return _checked(key, certs[0], certs[1:])


def fingerprint(cert: asn1_x509.Certificate) -> str:
    """SHA-256 of the certificate, hex: how people compare certificates over the phone."""
    digest = hashes.Hash(hashes.SHA256())
    digest.update(cert.dump())
    return digest.finalize().hex()
