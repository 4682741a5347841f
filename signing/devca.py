"""A development certificate authority for demos and tests: a root, people's and organisations' signing
certificates, a timestamping certificate, revocation (CRL and OCSP answers).

It is NOT a legal CA and nothing it signs has legal value; every certificate it makes says so in its name.
``signing.devservices`` serves its CRL, OCSP responder and a timestamp authority on loopback.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from signing.errors import BadPassword
from signing.keys import SignerKey, to_asn1

CA_NAME = "edoc DEVELOPMENT CA - NOT A LEGAL CA"
NOT_LEGAL = "NOT A LEGAL CERTIFICATE"
TSA_NAME = "edoc DEVELOPMENT TSA - NOT A LEGAL TSA"
# a few minutes of slack, so a certificate made just now is already valid on a machine whose clock is behind
BACKDATE = timedelta(minutes=5)


CAKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
KEY_TYPES = ("ec", "rsa", "rsa-3072", "rsa-4096")
"""``ec`` is P-256, ``rsa`` RSA-2048."""


def _key(key_type: str) -> CAKey:
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    sizes = {"rsa": 2048, "rsa-2048": 2048, "rsa-3072": 3072, "rsa-4096": 4096}
    if key_type in sizes:
        return rsa.generate_private_key(public_exponent=65537, key_size=sizes[key_type])
    raise ValueError(f"key_type must be one of {', '.join(KEY_TYPES)}, not {key_type!r}")


def _ca_extensions(builder: x509.CertificateBuilder, public_key: object,
                   path_length: int | None) -> x509.CertificateBuilder:
    return (builder.add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key),  # type: ignore[arg-type]
                           critical=False))


@dataclass(eq=False)
class DevCA:
    key: CAKey
    certificate: x509.Certificate
    base_url: str | None = None
    """Where ``devservices`` answers (``http://127.0.0.1:PORT``); certificates issued while it is set carry
    its CRL and OCSP addresses, so validators can check revocation."""
    revoked: dict[int, datetime] = field(default_factory=dict)
    parents: list[x509.Certificate] = field(default_factory=list)
    """For a subordinate CA: the CAs above it, its issuer first, the root last."""
    folder: Path | None = None
    """Set by ``load``: revocations are then written to (``revoke``) and re-read from (``reload_revocations``)
    the CA's folder, so that ``devca revoke`` in one process is seen by ``devca serve`` in another."""

    # --- the root ---------------------------------------------------------------------------------------------

    @property
    def root(self) -> asn1_x509.Certificate:
        """The self-signed root at the top (this CA itself, unless it is a subordinate)."""
        return to_asn1(self.parents[-1] if self.parents else self.certificate)

    @property
    def chain(self) -> list[asn1_x509.Certificate]:
        """This CA's certificate and those above it: what a certificate it issues is embedded with."""
        return [to_asn1(c) for c in [self.certificate, *self.parents]]

    def subordinate(self, name: str, *, key_type: str = "ec", days: int = 1825,
                    path_length: int | None = 0) -> DevCA:
        """An intermediate CA under this one (for chains as long as real ones: national root, then a
        provider's CA). Needs this CA's own path length to allow it (``create_ca(path_length=...)``)."""
        constraints = self.certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
        if constraints.path_length is not None and constraints.path_length < 1:
            raise ValueError("this CA's path length does not allow a subordinate CA")
        key = _key(key_type)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, "edoc (development only)")])
        start = datetime.now(UTC) - BACKDATE
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(self.certificate.subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(start).not_valid_after(start + timedelta(days=days))
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                       self.key.public_key()), critical=False))  # type: ignore[arg-type]
        cert = _ca_extensions(builder, key.public_key(), path_length).sign(self.key, hashes.SHA256())
        return DevCA(key, cert, parents=[self.certificate, *self.parents])

    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    # --- issuing ----------------------------------------------------------------------------------------------

    def _builder(self, subject: x509.Name, public_key: object, start: datetime, days: int) -> x509.CertificateBuilder:
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(self.certificate.subject)
                   .public_key(public_key)  # type: ignore[arg-type]
                   .serial_number(x509.random_serial_number()).not_valid_before(start)
                   .not_valid_after(start + timedelta(days=days))
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                                  critical=False)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key),  # type: ignore[arg-type]
                                  critical=False))
        if self.base_url:
            builder = builder.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier(f"{self.base_url}/crl")], relative_name=None,
                reasons=None, crl_issuer=None)]), critical=False)
            builder = builder.add_extension(x509.AuthorityInformationAccess([
                x509.AccessDescription(AuthorityInformationAccessOID.OCSP,
                                       x509.UniformResourceIdentifier(f"{self.base_url}/ocsp")),
                x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                       x509.UniformResourceIdentifier(f"{self.base_url}/ca.crt"))]), critical=False)
        return builder

    def issue(self, common_name: str, *, organisation: str = "", email: str = "",
              valid_from: datetime | None = None, days: int = 730, key_type: str = "ec") -> SignerKey:
        """A signing certificate for a person (CN = full name, O = their organisation) or, with
        ``issue_organisation``, for an organisation: digitalSignature + nonRepudiation. ``key_type``: one of
        ``KEY_TYPES``."""
        key = _key(key_type)
        start = valid_from or datetime.now(UTC) - BACKDATE
        attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
        if organisation:
            attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, NOT_LEGAL))
        builder = (self._builder(x509.Name(attributes), key.public_key(), start, days)
                   .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                                key_encipherment=False, data_encipherment=False,
                                                key_agreement=False, key_cert_sign=False, crl_sign=False,
                                                encipher_only=False, decipher_only=False), critical=True)
                   # NSS (poppler's pdfsig) checks signers for the e-mail protection purpose
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False))
        if email:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        return SignerKey(key, to_asn1(cert), self.chain)

    def issue_person(self, full_name: str, organisation: str, **kwargs: object) -> SignerKey:
        return self.issue(full_name, organisation=organisation, **kwargs)  # type: ignore[arg-type]

    def issue_organisation(self, name: str, **kwargs: object) -> SignerKey:
        """The organisation's certificate, behind its seal: the organisation is both CN and O."""
        return self.issue(name, organisation=name, **kwargs)  # type: ignore[arg-type]

    def issue_tsa(self, name: str = TSA_NAME, *, days: int = 730, key_type: str = "rsa") -> SignerKey:
        """A timestamping certificate (critical EKU timeStamping, as RFC 3161 requires). RSA (``rsa``,
        ``rsa-3072``, ``rsa-4096``), because pyHanko's in-process timestamper, which ``devservices`` wraps,
        signs with RSA only."""
        if not key_type.startswith("rsa"):
            raise ValueError("the development TSA signs with RSA only")
        key = _key(key_type)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                             x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, NOT_LEGAL)])
        cert = (self._builder(subject, key.public_key(), datetime.now(UTC) - BACKDATE, days)
                .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                             key_encipherment=False, data_encipherment=False, key_agreement=False,
                                             key_cert_sign=False, crl_sign=False, encipher_only=False,
                                             decipher_only=False), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
                .sign(self.key, hashes.SHA256()))
        return SignerKey(key, to_asn1(cert), self.chain)

    # --- revocation -------------------------------------------------------------------------------------------

    def revoke(self, what: SignerKey | asn1_x509.Certificate | int, at: datetime | None = None) -> int:
        """Revoke a certificate (from now, or ``at``); returns its serial number."""
        if isinstance(what, SignerKey):
            serial = what.serial
        elif isinstance(what, asn1_x509.Certificate):
            serial = int(what.serial_number)
        else:
            serial = int(what)
        self.reload_revocations()
        self.revoked[serial] = (at or datetime.now(UTC)).replace(microsecond=0)
        if self.folder is not None:
            self.save_state()
        return serial

    def reload_revocations(self) -> None:
        """Re-read the revocations kept in the CA's folder (another process may have revoked since)."""
        if self.folder is None:
            return
        state_file = self.folder / "devca.json"
        try:
            state = json.loads(state_file.read_text())
        except (OSError, ValueError):  # no state yet, or caught mid-write: keep what we know
            return
        for serial, when in state.get("revoked", {}).items():
            self.revoked.setdefault(int(serial), datetime.fromisoformat(when))

    def crl(self, *, hours: int = 24) -> bytes:
        """The current CRL (DER), valid for ``hours``."""
        now = datetime.now(UTC) - BACKDATE
        builder = (x509.CertificateRevocationListBuilder().issuer_name(self.certificate.subject)
                   .last_update(now).next_update(now + BACKDATE + timedelta(hours=hours))
                   .add_extension(x509.CRLNumber(int(datetime.now(UTC).timestamp())), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                                  critical=False))
        for serial, when in sorted(self.revoked.items()):
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build())
        return builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def ocsp_response(self, request_der: bytes) -> bytes:
        """An OCSP answer (DER) for a request about one of our certificates, signed by the CA itself (RFC 6960
        allows the issuer to answer directly, no delegated responder needed)."""
        try:
            request = ocsp.load_der_ocsp_request(request_der)
        except ValueError:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(
                ocsp.OCSPResponseStatus.MALFORMED_REQUEST).public_bytes(serialization.Encoding.DER)
        ours = ocsp.OCSPRequestBuilder().add_certificate(self.certificate, self.certificate,
                                                         request.hash_algorithm).build()
        if (request.issuer_key_hash, request.issuer_name_hash) != (ours.issuer_key_hash, ours.issuer_name_hash):
            return ocsp.OCSPResponseBuilder.build_unsuccessful(
                ocsp.OCSPResponseStatus.UNAUTHORIZED).public_bytes(serialization.Encoding.DER)
        now = datetime.now(UTC).replace(microsecond=0)
        revoked_at = self.revoked.get(request.serial_number)
        builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
            issuer_name_hash=request.issuer_name_hash, issuer_key_hash=request.issuer_key_hash,
            serial_number=request.serial_number, algorithm=request.hash_algorithm,
            cert_status=ocsp.OCSPCertStatus.REVOKED if revoked_at else ocsp.OCSPCertStatus.GOOD,
            this_update=now - BACKDATE, next_update=now + timedelta(hours=1),
            revocation_time=revoked_at, revocation_reason=None,
        ).responder_id(ocsp.OCSPResponderEncoding.HASH, self.certificate).certificates([self.certificate])
        for extension in request.extensions:
            if isinstance(extension.value, x509.OCSPNonce):
                builder = builder.add_extension(extension.value, critical=False)
        return builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    # --- keeping it on disk -----------------------------------------------------------------------------------

    def to_pem(self, password: str) -> tuple[bytes, bytes]:
        """(CA key encrypted with ``password``, CA certificate), both PEM."""
        if not password:
            raise BadPassword("cần mật khẩu để mã hóa khóa của CA")
        key = self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.BestAvailableEncryption(password.encode()))
        return key, self.pem()

    @classmethod
    def from_pem(cls, key_pem: bytes, cert_pem: bytes, password: str) -> DevCA:
        try:
            key = serialization.load_pem_private_key(key_pem, password.encode() or None)
        except (ValueError, TypeError):
            raise BadPassword("sai mật khẩu khóa của CA") from None
        if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise BadPassword("khóa của CA phát triển phải là khóa EC hoặc RSA")
        return cls(key, x509.load_pem_x509_certificate(cert_pem))

    def save(self, folder: Path, password: str) -> None:
        """ca-key.pem (encrypted), ca.pem, devca.json (address, revocations) and the current crl.der; the CA
        keeps its revocations in that folder from then on."""
        folder.mkdir(parents=True, exist_ok=True)
        key_pem, cert_pem = self.to_pem(password)
        (folder / "ca-key.pem").write_bytes(key_pem)
        (folder / "ca-key.pem").chmod(0o600)
        (folder / "ca.pem").write_bytes(cert_pem)
        self.folder = folder
        self.save_state()

    def save_state(self) -> None:
        """devca.json and crl.der: what changes as the CA works (no password needed). Written to a temporary
        file and renamed, so a server reading at the same moment sees the old state or the new one."""
        if self.folder is None:
            raise ValueError("the CA has no folder: save it first")
        state = {"base_url": self.base_url,
                 "revoked": {str(serial): when.isoformat() for serial, when in sorted(self.revoked.items())}}
        for name, data in (("devca.json", json.dumps(state, indent=2).encode()), ("crl.der", self.crl())):
            temporary = self.folder / f".{name}.tmp"
            temporary.write_bytes(data)
            temporary.replace(self.folder / name)

    @classmethod
    def load(cls, folder: Path, password: str) -> DevCA:
        ca = cls.from_pem((folder / "ca-key.pem").read_bytes(), (folder / "ca.pem").read_bytes(), password)
        state_file = folder / "devca.json"
        if state_file.exists():
            ca.base_url = json.loads(state_file.read_text()).get("base_url")
        ca.folder = folder
        ca.reload_revocations()
        return ca


def create_ca(*, days: int = 3650, base_url: str | None = None, name: str = CA_NAME, key_type: str = "ec",
              path_length: int | None = 0) -> DevCA:
    """A new self-signed development root (EC P-256 unless ``key_type`` says otherwise). ``path_length`` 0:
    it issues end-entity certificates only; more for subordinate CAs under it."""
    key = _key(key_type)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "edoc (development only)")])
    now = datetime.now(UTC) - BACKDATE
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now)
               .not_valid_after(now + timedelta(days=days)))
    cert = _ca_extensions(builder, key.public_key(), path_length).sign(key, hashes.SHA256())
    return DevCA(key, cert, base_url=base_url)
