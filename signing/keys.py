"""Signing keys held in software: loaded once, kept as key objects, encrypted whenever they are at rest.

pyHanko's ``SimpleSigner`` keeps the key as DER and re-parses it for every signature (cryptography's RSA key
check alone costs ~70 ms). ``SignerKey.signer()`` returns one ``CachedKeySigner`` per key that signs with the
already-loaded key object, so a batch pays for the parse once.

At rest, a key this library has loaded (and so checked) once can be kept as a "kept key"
(``export_kept_key``/``load_kept_key``): AES-256-GCM under a PBKDF2 key, reopened without repeating the RSA key
check, which is most of what opening a PKCS#12 file costs. Every signature is verified against the certificate
before it leaves ``CachedKeySigner``, which is the defence that check stands for (a faulty RSA key or a fault
while signing makes signatures that give the key away).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signing.errors import BadPassword, CertificateNotUsable, SigningError

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


def to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    """cryptography's certificate → asn1crypto's, the type pyHanko works with."""
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def to_cryptography(cert: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())


_asn1 = to_asn1  # the name older callers used


def common_name(cert: asn1_x509.Certificate) -> str:
    return str(cert.subject.native.get("common_name", ""))


def organisation_name(cert: asn1_x509.Certificate) -> str:
    return str(cert.subject.native.get("organization_name", ""))


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
        return organisation_name(self.certificate)

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
        self._public = to_cryptography(key.certificate).public_key()

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        return self.sign_raw(data, digest_algorithm)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        algo = mechanism.signature_algo
        key, public = self._key, self._public
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        # Each signature is checked against the certificate before it is used (a fraction of a millisecond): a
        # signature made by a damaged key, or damaged while being made, would give an RSA key away. This is
        # what lets a kept key be reopened without cryptography's slow RSA key check (``load_kept_key``).
        try:
            if isinstance(key, rsa.RSAPrivateKey) and algo in {"rsassa_pkcs1v15", "rsassa_pss"}:
                pad: padding.AsymmetricPadding = padding.PKCS1v15() if algo == "rsassa_pkcs1v15" else \
                    padding.PSS(mgf=padding.MGF1(hash_algo), salt_length=hash_algo.digest_size)
                signature = key.sign(data, pad, hash_algo)
                public.verify(signature, data, pad, hash_algo)  # type: ignore[call-arg, union-attr]
            elif isinstance(key, ec.EllipticCurvePrivateKey) and algo == "ecdsa":
                signature = key.sign(data, ec.ECDSA(hash_algo))
                public.verify(signature, data, ec.ECDSA(hash_algo))  # type: ignore[call-arg, union-attr]
            elif isinstance(key, ed25519.Ed25519PrivateKey) and algo == "ed25519":
                signature = key.sign(data)
                public.verify(signature, data)  # type: ignore[call-arg, union-attr]
            else:
                raise ValueError(f"signature mechanism {algo} does not fit a {type(key).__name__}")
        except InvalidSignature:
            raise SigningError("khóa bí mật không khớp với chứng thư số hoặc bị hỏng: chữ ký tạo ra không kiểm "
                               "tra được bằng chứng thư số, nên không được dùng") from None
        return signature


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


KEPT_KEY_MAGIC = b"edoc-kept-key/1\n"
KEPT_KEY_ITERATIONS = 600_000
"""PBKDF2-HMAC-SHA256 rounds for a password people choose (OWASP's 2023 figure). A caller whose password is
itself a secret of full strength (a key derived from a server secret) may ask for fewer."""
_KEPT_HEADER = struct.Struct(">I16s12s")  # rounds, salt, nonce


def _kept_cipher(password: str, rounds: int, salt: bytes) -> AESGCM:
    if not password:
        raise BadPassword("cần mật khẩu để mã hóa khóa bí mật")
    return AESGCM(PBKDF2HMAC(hashes.SHA256(), 32, salt, rounds).derive(password.encode()))


def export_kept_key(key: SignerKey, password: str, *, rounds: int = KEPT_KEY_ITERATIONS) -> bytes:
    """The key, its certificate and chain, encrypted to be kept at rest: AES-256-GCM (so any change to the file
    is caught, not decrypted into a damaged key) under a key derived from ``password`` by PBKDF2-HMAC-SHA256.
    Only for a key this library has loaded, and so checked, already: ``load_kept_key`` does not check it again.
    A format of this library's own; to hand a key to another program, use ``export_encrypted_pkcs12``."""
    if not 1_000 <= rounds <= 10_000_000:
        raise ValueError("rounds must be between 1,000 and 10,000,000")
    salt, nonce = os.urandom(16), os.urandom(12)
    header = KEPT_KEY_MAGIC + _KEPT_HEADER.pack(rounds, salt, nonce)
    plain = key.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()) + b"".join(
        to_cryptography(c).public_bytes(serialization.Encoding.PEM) for c in [key.certificate, *key.chain])
    return header + _kept_cipher(password, rounds, salt).encrypt(nonce, plain, header)


def is_kept_key(data: bytes) -> bool:
    return data.startswith(KEPT_KEY_MAGIC)


def load_kept_key(data: bytes, password: str) -> SignerKey:
    """A key kept by ``export_kept_key``. The RSA key check cryptography would run (~30 ms for RSA-2048, most
    of the time opening a PKCS#12 file takes) is skipped: the file is authenticated, so it holds exactly the
    key that was checked when it was first loaded, and ``CachedKeySigner`` verifies every signature it makes.
    The private key must still match the certificate."""
    if not is_kept_key(data) or len(data) < len(KEPT_KEY_MAGIC) + _KEPT_HEADER.size + 16:
        raise BadPassword("tệp không phải khóa bí mật edoc lưu giữ")
    header_end = len(KEPT_KEY_MAGIC) + _KEPT_HEADER.size
    rounds, salt, nonce = _KEPT_HEADER.unpack(data[len(KEPT_KEY_MAGIC):header_end])
    if not 1_000 <= rounds <= 10_000_000:  # a forged header must not buy a denial of service
        raise BadPassword("tệp khóa bí mật không hợp lệ")
    try:
        plain = _kept_cipher(password, rounds, salt).decrypt(nonce, data[header_end:], data[:header_end])
    except InvalidTag:
        raise BadPassword("sai mật khẩu khóa bí mật, hoặc tệp đã bị thay đổi") from None
    try:
        private_key = serialization.load_pem_private_key(plain, None, unsafe_skip_rsa_key_validation=True)
        certs = x509.load_pem_x509_certificates(plain)
    except ValueError:
        raise BadPassword("tệp khóa bí mật không hợp lệ") from None
    return _checked(private_key, certs[0] if certs else None, certs[1:])


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
