"""Signing keys: loaded once and kept as key objects, so each signature costs the signing operation, not a
key parse (pyHanko's SimpleSigner re-parses the key for every signature: ~70 ms for RSA-2048)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signing.errors import BadPassword, CertificateNotUsable

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def _asn1(cert: object) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))  # type: ignore[attr-defined]


@dataclass
class SignerKey:
    private_key: PrivateKey
    certificate: asn1_x509.Certificate
    chain: list[asn1_x509.Certificate] = field(default_factory=list)

    @property
    def subject(self) -> str:
        return str(self.certificate.subject.native.get("common_name", ""))

    def check_validity(self, at: datetime | None = None) -> None:
        moment = at or datetime.now(UTC)
        validity = self.certificate["tbs_certificate"]["validity"]
        not_before, not_after = validity["not_before"].native, validity["not_after"].native
        if moment < not_before:
            raise CertificateNotUsable(f"chứng thư số của {self.subject} chưa có hiệu lực (từ {not_before:%d/%m/%Y})")
        if moment > not_after:
            raise CertificateNotUsable(f"chứng thư số của {self.subject} đã hết hạn ngày {not_after:%d/%m/%Y}")

    def signer(self) -> CachedKeySigner:
        return CachedKeySigner(self)


class CachedKeySigner(SimpleSigner):
    """A SimpleSigner that signs with the already-loaded key object."""

    def __init__(self, key: SignerKey) -> None:
        registry = SimpleCertificateStore.from_certs([key.certificate, *key.chain])
        der = key.private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption())
        super().__init__(signing_cert=key.certificate, signing_key=asn1_keys.PrivateKeyInfo.load(der),
                         cert_registry=registry)
        self._key = key.private_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        if isinstance(self._key, rsa.RSAPrivateKey):
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
            if mechanism != "rsassa_pkcs1v15":
                return super().sign_raw(data, digest_algorithm)
            return self._key.sign(data, PKCS1v15(), hash_algo)
        return self._key.sign(data, ec.ECDSA(hash_algo))


def load_pkcs12(data: bytes, password: str | bytes | None) -> SignerKey:
    secret = password.encode() if isinstance(password, str) else password
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, secret)
    except ValueError:
        raise BadPassword("sai mật khẩu tệp PKCS#12, hoặc tệp không phải PKCS#12") from None
    if key is None or cert is None or not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise BadPassword("tệp PKCS#12 không chứa khóa bí mật và chứng thư số")
    return SignerKey(key, _asn1(cert), [_asn1(c) for c in extra or []])


def export_pkcs12(key: SignerKey, password: str, *, name: str = "edoc") -> bytes:
    """The key and its chain, encrypted with the password (the form keys are kept in at rest)."""
    from cryptography import x509

    cert = x509.load_der_x509_certificate(key.certificate.dump())
    chain = [x509.load_der_x509_certificate(c.dump()) for c in key.chain]
    return pkcs12.serialize_key_and_certificates(
        name.encode(), key.private_key, cert, chain or None,
        serialization.BestAvailableEncryption(password.encode()))
