"""Keys on a PKCS#11 token (USB token, smart card, HSM; SoftHSM2 in tests), through python-pkcs11 and
pyHanko's ``PKCS11Signer``. The private key never leaves the token; the session stays open for a batch.

    with open_token("/usr/lib/softhsm/libsofthsm2.so", token_label="edoc", pin="1234", key_label="signer") as key:
        signed = sign_pdf(pdf, key, image_png=png)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from signing.errors import BadPassword, TokenError
from signing.keys import SignerKey, check_validity

try:  # python-pkcs11 is an optional dependency (pyproject extra "pkcs11")
    import pkcs11
    from pkcs11 import Attribute, ObjectClass
    from pkcs11 import exceptions as p11_errors
    from pkcs11.util.ec import decode_ec_private_key
    from pkcs11.util.rsa import decode_rsa_private_key
    from pkcs11.util.x509 import decode_x509_certificate
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import PKCS11Signer, find_token
except ImportError:  # pragma: no cover - reported when a token is actually used
    pkcs11 = None

_PIN_ERRORS: tuple[type[BaseException], ...] = (
    (p11_errors.PinIncorrect, p11_errors.PinInvalid, p11_errors.PinLenRange) if pkcs11 is not None else ())
SOFTHSM_MODULES = ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                   "/usr/local/lib/softhsm/libsofthsm2.so")


def _require_pkcs11() -> None:
    if pkcs11 is None:
        raise TokenError("thiếu thư viện python-pkcs11 (pip install python-pkcs11) để dùng USB token")


def _token(module: str, token_label: str | None, slot: int | None) -> Any:
    """The token: by label, by slot index, or the only one the module has."""
    _require_pkcs11()
    criteria = TokenCriteria(label=token_label) if token_label else None
    who = f"“{token_label}”" if token_label else (f"ở khe {slot}" if slot is not None else "")
    try:
        lib = pkcs11.lib(module)
    except (OSError, RuntimeError, p11_errors.PKCS11Error) as exc:
        raise TokenError(f"không mở được thư viện PKCS#11 của thiết bị ký số “{module}”: {exc}") from None
    try:
        token = find_token(lib.get_slots(), slot_no=slot, token_criteria=criteria)
    except p11_errors.PKCS11Error as exc:  # pyHanko's own errors (several slots, slot out of range) too
        raise TokenError(f"không chọn được thiết bị ký số (token) {who}: {exc}") from None
    if token is None:
        raise TokenError(f"không tìm thấy thiết bị ký số (token) {who}; hãy kiểm tra thiết bị đã cắm và nhãn")
    return token


def _session(module: str, token_label: str | None, slot: int | None, pin: str, *, rw: bool = False) -> Any:
    token = _token(module, token_label, slot)
    try:
        return token.open(rw=rw, user_pin=pin)
    except _PIN_ERRORS:
        raise BadPassword("mã PIN của thiết bị ký số (token) không đúng") from None
    except p11_errors.PinLocked:
        raise BadPassword("thiết bị ký số (token) đã bị khóa do nhập sai mã PIN nhiều lần") from None
    except p11_errors.PKCS11Error as exc:
        raise TokenError(f"không mở được thiết bị ký số (token) “{token_label or slot}”: {exc}") from None


@dataclass(eq=False)
class TokenKey:
    """A signing key on a token, with its certificate (read from the token) and chain."""

    session: Any
    pkcs11_signer: Any
    certificate: asn1_x509.Certificate
    chain: list[asn1_x509.Certificate] = field(default_factory=list)

    @property
    def subject(self) -> str:
        return str(self.certificate.subject.native.get("common_name", ""))

    def signer(self) -> Any:
        return self.pkcs11_signer

    def check_validity(self, at: datetime | None = None) -> None:
        check_validity(self.certificate, at)

    def close(self) -> None:
        try:
            self.session.close()
        except Exception:  # closing a session the token already dropped is not an error
            pass

    def __enter__(self) -> TokenKey:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _token_certificates(session: Any) -> list[tuple[str, bytes | None, asn1_x509.Certificate]]:
    """(label, id, certificate) of every X.509 certificate object on the token."""
    found = []
    for obj in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}):
        try:
            cert = asn1_x509.Certificate.load(obj[Attribute.VALUE])
            cert.native  # noqa: B018 - parse now: a malformed object on the token must not break signing later
        except (ValueError, TypeError):
            continue
        try:
            label = obj[Attribute.LABEL]
        except p11_errors.AttributeTypeInvalid:
            label = ""
        try:
            ident = obj[Attribute.ID]
        except p11_errors.AttributeTypeInvalid:
            ident = None
        found.append((label, ident, cert))
    return found


def _issued_by(cert: asn1_x509.Certificate, issuer: asn1_x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    # names can repeat across CA generations: the key identifiers tell them apart when both are there
    aki, ski = cert.authority_key_identifier, issuer.key_identifier
    return aki is None or ski is None or aki == ski


def issuer_chain(cert: asn1_x509.Certificate, pool: list[asn1_x509.Certificate]) -> list[asn1_x509.Certificate]:
    """The certificates of ``pool`` that issued ``cert``, its issuer first, up to a self-signed root or as far
    as the pool goes. Whatever else the pool holds (other people's certificates, old CAs) is left out."""
    chain: list[asn1_x509.Certificate] = []
    current = cert
    while not current.self_issued and len(chain) < 10:
        issuer = next((c for c in pool if _issued_by(current, c) and c.dump() != current.dump()
                       and all(c.dump() != x.dump() for x in chain)), None)
        if issuer is None:
            break
        chain.append(issuer)
        current = issuer
    return chain


def open_token(module: str, *, pin: str, token_label: str | None = None, slot: int | None = None,
               key_label: str | None = None, key_id: bytes | None = None,
               chain: list[asn1_x509.Certificate] | None = None) -> TokenKey:
    """Log in to a token and find the signing key and its certificate (by label or id; with neither, the
    token's only key). The signature embeds the certificate and its issuers only: those from ``chain`` and
    those stored on the token; other certificates on the token (a colleague's, an old CA) stay out."""
    session = _session(module, token_label, slot, pin)
    try:
        if key_label is None and key_id is None:
            keys = list(session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY}))
            if len(keys) != 1:
                raise TokenError(f"thiết bị ký số có {len(keys)} khóa bí mật; hãy chỉ rõ nhãn (label) của khóa")
            key_label = keys[0].label
        on_token = _token_certificates(session)
        mine = [cert for label, ident, cert in on_token
                if (key_label is None or label == key_label) and (key_id is None or ident == key_id)]
        if len(mine) != 1:
            what = f"nhãn “{key_label}”" if key_label is not None else f"mã số {key_id.hex() if key_id else ''}"
            raise TokenError(f"không tìm thấy chứng thư số ({what}) trên thiết bị ký số" if not mine else
                             f"thiết bị ký số có {len(mine)} chứng thư số cùng {what}")
        certificate = mine[0]
        pool = [*(chain or []), *(cert for _label, _ident, cert in on_token)]
        ca_chain = issuer_chain(certificate, pool)
        # the certificate by label/id rather than ``signing_cert=``: given that way, pyHanko would also put it
        # among the chain and the signature would carry it twice
        signer = PKCS11Signer(session, key_label=key_label, key_id=key_id, cert_label=key_label, cert_id=key_id,
                              other_certs_to_pull=(), ca_chain=ca_chain,
                              # SoftHSM (and some tokens) have no combined hash-and-sign ECDSA mechanism:
                              # hash here, sign raw there
                              use_raw_mechanism=certificate.public_key.algorithm == "ec")
        # look for the key now, so that a wrong key label is refused here and not in the middle of signing
        query: dict[Any, Any] = {Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.SIGN: True}
        if key_label is not None:
            query[Attribute.LABEL] = key_label
        if key_id is not None:
            query[Attribute.ID] = key_id
        found = len(list(session.get_objects(query)))
        if found != 1:
            raise TokenError(f"không tìm thấy khóa bí mật “{key_label or key_id}” trên thiết bị ký số" if not found
                             else f"thiết bị ký số có {found} khóa bí mật “{key_label or key_id}”")
    except TokenError:
        session.close()
        raise
    except Exception as exc:
        session.close()
        raise TokenError(f"không đọc được khóa hoặc chứng thư số trên thiết bị ký số: {exc}") from None
    return TokenKey(session, signer, certificate, ca_chain)


def import_to_token(module: str, key: SignerKey, *, pin: str, label: str, key_id: bytes = b"\x01",
                    token_label: str | None = None, slot: int | None = None) -> None:
    """Store a software key and its certificate (and chain) on a token, the key non-extractable. For
    development and tests (SoftHSM2): real tokens generate their keys on board."""
    session = _session(module, token_label, slot, pin, rw=True)  # storing objects needs a read-write session
    with session:
        private = key.private_key
        if isinstance(private, ec.EllipticCurvePrivateKey):
            attributes = decode_ec_private_key(private.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption()))
        elif isinstance(private, rsa.RSAPrivateKey):
            attributes = decode_rsa_private_key(private.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption()))
        else:
            raise TokenError("chỉ đưa được khóa RSA hoặc EC lên thiết bị ký số")
        attributes.update({Attribute.TOKEN: True, Attribute.PRIVATE: True, Attribute.SENSITIVE: True,
                           Attribute.EXTRACTABLE: False, Attribute.SIGN: True, Attribute.LABEL: label,
                           Attribute.ID: key_id})
        session.create_object(attributes)
        for index, cert in enumerate([key.certificate, *key.chain]):
            template = decode_x509_certificate(cert.dump())
            template.update({Attribute.TOKEN: True, Attribute.LABEL: label if index == 0 else f"{label}-ca{index}",
                             Attribute.ID: key_id if index == 0 else key_id + bytes([index])})
            session.create_object(template)


def find_softhsm_module() -> str | None:
    import os

    for path in (os.environ.get("SOFTHSM2_MODULE"), *SOFTHSM_MODULES):
        if path and os.path.exists(path):
            return path
    return None
