"""XML signatures (XMLDSig) of whole documents: enveloped, over the document (``Reference URI=""``), exclusive
C14N, SHA-256 digests, RSA-SHA256 (ECDSA-SHA256 for an EC key), the signer's certificate and chain in KeyInfo.

Made with signxml (lxml and cryptography) from a key this library loaded (``SignerKey``); every signature made is
verified against the certificate before it is returned, as ``keys.CachedKeySigner`` does for PDFs.

Verification is in two steps, because the first holds for anyone and the second for one trust store:

- ``verify_enveloped``: exactly one ``ds:Signature`` in the document, one reference covering the whole document,
  the digest and the signature value right, with the certificate the signature carries; it returns the signed
  data only (the document as canonicalised and re-read by signxml, the signature taken out), which is what the
  caller must read, so that nothing the signature does not cover can be slipped in (signature wrapping). A
  signature that does not verify raises ``XmlSignatureInvalid``.
- ``check_trust``: that certificate against trusted roots (path, validity now, revocation as ``signing.trust``
  says), the same check a signer's certificate gets before a PDF is signed.

Parsing: ``parse`` is a non-resolving lxml parser (no DTD loaded, no entity resolved, no network) that refuses a
DTD or an entity outright; the caller bounds the size beforehand. ``huge_tree`` lifts libxml2's 10 MB limit on
one text node (a base64 attachment), nothing else, as the caller's size limit is the bound.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree
from signxml import DigestAlgorithm, SignatureMethod, XMLSigner, XMLVerifier
from signxml.exceptions import InvalidDigest, InvalidSignature, SignXMLException
from signxml.verifier import SignatureConfiguration

from signing.errors import CertificateNotUsable, SigningError
from signing.keys import SignerKey, check_validity, common_name, organisation_name, to_asn1, to_cryptography
from signing.sign import check_certificate
from signing.trust import validation_context

DS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
PLACEHOLDER_ID = "placeholder"

__all__ = ["DS", "SignedXml", "XmlSignatureInvalid", "check_trust", "parse", "placeholder", "sign_enveloped",
           "signatures_in", "verify_enveloped"]


class XmlSignatureInvalid(SigningError):
    """The XML signature does not verify: the document was changed after signing, the signature is damaged, or it
    is not one this library accepts (several signatures, a reference to part of the document). The message says
    which, in Vietnamese."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, dtd_validation=False,
                           huge_tree=True, remove_blank_text=False)


def parse(data: bytes) -> etree._Element:
    """The document, read without resolving anything; a DTD or an entity is refused (``SigningError``)."""
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise XmlSignatureInvalid(f"tài liệu XML không đọc được ({exc})") from None
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype:
        raise XmlSignatureInvalid("tài liệu XML có khai báo DTD: không được chấp nhận")
    if next(root.iter(etree.Entity), None) is not None:  # type: ignore[arg-type]
        raise XmlSignatureInvalid("tài liệu XML có thực thể (entity): không được chấp nhận")
    return root


def placeholder(parent: etree._Element) -> etree._Element:
    """Where the signature will go: an empty ``ds:Signature Id="placeholder"`` appended to ``parent``, which
    ``sign_enveloped`` replaces with the signature."""
    return etree.SubElement(parent, f"{{{DS}}}Signature", {"Id": PLACEHOLDER_ID}, nsmap={"ds": DS})


def _method(key: SignerKey) -> SignatureMethod:
    if isinstance(key.private_key, rsa.RSAPrivateKey):
        return SignatureMethod.RSA_SHA256
    if isinstance(key.private_key, ec.EllipticCurvePrivateKey):
        return SignatureMethod.ECDSA_SHA256
    raise SigningError(f"khóa {type(key.private_key).__name__} không dùng để ký XML được (cần RSA hoặc EC)")


def sign_enveloped(root: etree._Element, key: SignerKey) -> bytes:
    """``root``'s document signed (enveloped, over the whole document), the signature where ``placeholder``
    put one (else as the root's last child), serialised as UTF-8 with an XML declaration. ``root`` is not
    changed. The certificate must be within its validity period; the signature is verified before it is
    returned."""
    key.check_validity()
    signer = XMLSigner(signature_algorithm=_method(key), digest_algorithm=DigestAlgorithm.SHA256,
                       c14n_algorithm=EXC_C14N)
    # the parser signxml re-reads the document with: ours (huge_tree for base64 attachments over 10 MB). The
    # verifier takes it as ``verify(parser=...)``, which sets this same attribute; the signer has no argument
    signer._parser = _parser()
    certs = [to_cryptography(c) for c in [key.certificate, *key.chain]
             if c is key.certificate or c.dump() != key.certificate.dump()]
    try:
        signed = signer.sign(root, key=key.private_key, cert=certs)
    except SignXMLException as exc:
        raise SigningError(f"không ký được tài liệu XML: {exc}") from None
    data: bytes = etree.tostring(signed, xml_declaration=True, encoding="UTF-8")
    # the house rule for every signature made: checked against the certificate before it leaves
    try:
        verify_enveloped(parse(data))
    except XmlSignatureInvalid as exc:
        raise SigningError(f"chữ ký XML vừa tạo không kiểm tra được bằng chứng thư số, nên không được dùng: "
                           f"{exc}") from None
    return data


@dataclass
class SignedXml:
    """A signature that verified: the signed data, and the certificate (and the others KeyInfo carried)."""

    signed: etree._Element
    """The document as signed, signature taken out: read this, never the tree that was verified."""
    certificate: asn1_x509.Certificate
    others: list[asn1_x509.Certificate] = field(default_factory=list)
    signature_method: str = ""
    c14n_method: str = ""

    @property
    def signer(self) -> str:
        return common_name(self.certificate)

    @property
    def organisation(self) -> str:
        return organisation_name(self.certificate)

    @property
    def serial(self) -> str:
        return str(self.certificate.serial_number)


def signatures_in(root: etree._Element) -> list[etree._Element]:
    return list(root.iter(f"{{{DS}}}Signature"))


def _certificates(signature: etree._Element) -> list[x509.Certificate]:
    certs = []
    for node in signature.findall(f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate"):
        try:
            certs.append(x509.load_der_x509_certificate(base64.b64decode("".join((node.text or "").split()),
                                                                         validate=True)))
        except ValueError:
            raise XmlSignatureInvalid("chứng thư số trong chữ ký (X509Certificate) không đọc được") from None
    if not certs:
        raise XmlSignatureInvalid("chữ ký không mang chứng thư số của người ký (KeyInfo/X509Certificate)")
    return certs


def _leaf(certs: list[x509.Certificate]) -> x509.Certificate:
    """The signer's certificate: the one that issued none of the others (KeyInfo may hold its chain too)."""
    leaves = [c for c in certs if not any(o is not c and o.issuer == c.subject for o in certs)]
    return leaves[0] if leaves else certs[0]


def verify_enveloped(root: etree._Element) -> SignedXml:
    """The document's one enveloped signature verified with the certificate it carries (not yet trusted:
    ``check_trust``). Raises ``XmlSignatureInvalid`` saying why it does not verify."""
    found = signatures_in(root)
    if not found:
        raise XmlSignatureInvalid("tài liệu không có chữ ký XML (ds:Signature)")
    if len(found) > 1:
        raise XmlSignatureInvalid(f"tài liệu có {len(found)} chữ ký XML (ds:Signature); chỉ chấp nhận đúng một")
    signature = found[0]
    references = signature.findall(f"{{{DS}}}SignedInfo/{{{DS}}}Reference")
    if len(references) != 1 or references[0].get("URI") != "":
        raise XmlSignatureInvalid("chữ ký XML phải có đúng một tham chiếu tới toàn bộ tài liệu (Reference URI=\"\"),"
                                  " không phải tới một phần của nó")
    certs = _certificates(signature)
    leaf = _leaf(certs)
    verifier = _Verifier()
    try:
        result = verifier.verify(root, x509_cert=leaf, parser=_parser(),
                                 expect_config=SignatureConfiguration(expect_references=1))
    except InvalidDigest:
        raise XmlSignatureInvalid("nội dung đã bị thay đổi sau khi ký (mã băm của phần được ký không khớp)") from None
    except InvalidSignature:
        raise XmlSignatureInvalid("giá trị chữ ký không khớp với chứng thư số (chữ ký hỏng hoặc đã bị sửa)") from None
    except (SignXMLException, etree.LxmlError, ValueError) as exc:
        raise XmlSignatureInvalid(f"chữ ký XML không đúng chuẩn, không kiểm tra được ({exc})") from None
    signed = result.signed_xml  # type: ignore[union-attr]
    if signed is None or signed.tag != root.tag:
        raise XmlSignatureInvalid("phần được ký không phải toàn bộ tài liệu")
    info = signature.find(f"{{{DS}}}SignedInfo")
    assert info is not None
    method = info.find(f"{{{DS}}}SignatureMethod")
    c14n = info.find(f"{{{DS}}}CanonicalizationMethod")
    return SignedXml(signed=signed, certificate=to_asn1(leaf),
                     others=[to_asn1(c) for c in certs if c is not leaf],
                     signature_method=method.get("Algorithm", "") if method is not None else "",
                     c14n_method=c14n.get("Algorithm", "") if c14n is not None else "")


class _Verifier(XMLVerifier):  # type: ignore[misc]
    """signxml's verifier without its own validity-period check of the certificate: a signature made with a
    certificate expired since is intact, and ``check_trust`` judges the certificate (validity, path,
    revocation) as PDF signatures' are, with a reason people can read."""

    def _check_cert_validity(self, cert: x509.Certificate, cert_source: str) -> None:
        return None


@dataclass
class _Presented:
    """A certificate presented in a signature, in the shape ``signing.sign.check_certificate`` takes."""

    certificate: asn1_x509.Certificate
    chain: list[asn1_x509.Certificate]

    def check_validity(self, at: datetime | None = None) -> None:
        check_validity(self.certificate, at)


def check_trust(certificate: asn1_x509.Certificate, others: list[asn1_x509.Certificate],
                trust_roots: list[asn1_x509.Certificate], *, revocation: str = "soft", fetch: bool = True) -> str:
    """Why the signer's ``certificate`` (``SignedXml.certificate``; ``others``: the rest KeyInfo carried) is not
    trusted now, in Vietnamese, or "" when it is: within its validity period, chained to one of ``trust_roots``,
    not revoked (as ``revocation`` asks), fit for signing."""
    context = validation_context(trust_roots, revocation=revocation, fetch=fetch)
    try:
        check_certificate(_Presented(certificate, others), validation_context=context)
    except CertificateNotUsable as exc:
        return str(exc)
    return ""
