"""XML signatures of whole documents (``signing.xmlsig``): made with a loaded key (RSA and EC), verified intact,
the signed data returned; every bad input raises ``XmlSignatureInvalid`` with the reason, and a certificate's trust
is judged apart (``check_trust``), so an intact signature with an expired or foreign certificate is reported, not
taken for a broken one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from lxml import etree
from signxml import DigestAlgorithm, SignatureMethod, XMLSigner

from signing import xmlsig
from signing.devca import create_ca
from signing.errors import CertificateNotUsable, SigningError
from signing.keys import SignerKey, to_cryptography

DOC = "<a xmlns='urn:x'><h><m>Kế hoạch số 445</m></h><b>QUJD</b></a>".encode()


def _signed(key, doc: bytes = DOC) -> bytes:
    root = xmlsig.parse(doc)
    xmlsig.placeholder(root[0])
    return xmlsig.sign_enveloped(root, key)


@pytest.mark.parametrize("key_type, method", [("rsa", "rsa-sha256"), ("ec", "ecdsa-sha256")])
def test_a_signed_document_verifies_and_gives_back_only_what_was_signed(ca, key_type, method):
    key = ca.issue("CƠ QUAN A", organisation="CƠ QUAN A", key_type=key_type)
    data = _signed(key)
    root = xmlsig.parse(data)
    [signature] = xmlsig.signatures_in(root)
    assert signature.getparent().tag == "{urn:x}h"  # where the placeholder was
    verified = xmlsig.verify_enveloped(root)
    assert verified.signature_method.endswith(method) and verified.c14n_method == xmlsig.EXC_C14N
    assert verified.signer == "CƠ QUAN A" and verified.certificate.dump() == key.certificate.dump()
    assert xmlsig.signatures_in(verified.signed) == []  # the signature is not part of what it signs
    assert verified.signed.findtext("{urn:x}h/{urn:x}m") == "Kế hoạch số 445"
    assert xmlsig.check_trust(verified.certificate, verified.others, [ca.root], revocation="off") == ""


def test_a_changed_document_a_changed_signature_and_tricks_are_refused(ca):
    data = _signed(ca.issue("CƠ QUAN A", key_type="rsa"))
    changed = data.replace("số 445".encode(), "số 446".encode())
    with pytest.raises(xmlsig.XmlSignatureInvalid, match="đã bị thay đổi sau khi ký"):
        xmlsig.verify_enveloped(xmlsig.parse(changed))
    root = xmlsig.parse(data)
    value = root.find(f".//{{{xmlsig.DS}}}SignatureValue")
    value.text = ("A" if value.text[0] != "A" else "B") + value.text[1:]
    with pytest.raises(xmlsig.XmlSignatureInvalid, match="giá trị chữ ký không khớp"):
        xmlsig.verify_enveloped(root)
    # a second signature (the same one copied): which would be read? neither
    twice = xmlsig.parse(data)
    twice.append(etree.fromstring(etree.tostring(xmlsig.signatures_in(twice)[0])))
    with pytest.raises(xmlsig.XmlSignatureInvalid, match="2 chữ ký"):
        xmlsig.verify_enveloped(twice)
    # a reference to part of the document only leaves the rest unsigned
    with pytest.raises(xmlsig.XmlSignatureInvalid, match="toàn bộ tài liệu"):
        xmlsig.verify_enveloped(xmlsig.parse(data.replace(b'URI=""', b'URI="#m"')))
    with pytest.raises(xmlsig.XmlSignatureInvalid, match="không có chữ ký"):
        xmlsig.verify_enveloped(xmlsig.parse(DOC))
    with pytest.raises(xmlsig.XmlSignatureInvalid, match="DTD"):
        xmlsig.parse(b'<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>')


def test_trust_is_judged_apart_from_integrity(ca):
    stranger = create_ca(name="Một CA không được tin cậy")
    verified = xmlsig.verify_enveloped(xmlsig.parse(_signed(stranger.issue("CƠ QUAN LẠ", key_type="rsa"))))
    assert "không thuộc tổ chức cung cấp dịch vụ tin cậy" in xmlsig.check_trust(
        verified.certificate, verified.others, [ca.root], revocation="off")
    # a certificate expired since signing: the signature is intact (signxml's own date check is not applied),
    # the certificate is reported; made here with signxml directly, as sign_enveloped refuses an expired one
    expired = ca.issue("CƠ QUAN CŨ", key_type="rsa", valid_from=datetime.now(UTC) - timedelta(days=30), days=2)
    with pytest.raises(CertificateNotUsable):
        _signed(expired)
    root = xmlsig.parse(DOC)
    xmlsig.placeholder(root[0])
    old = XMLSigner(signature_algorithm=SignatureMethod.RSA_SHA256, digest_algorithm=DigestAlgorithm.SHA256,
                    c14n_algorithm=xmlsig.EXC_C14N).sign(root, key=expired.private_key,
                                                         cert=[to_cryptography(expired.certificate)])
    verified = xmlsig.verify_enveloped(xmlsig.parse(etree.tostring(old)))
    assert verified.signer == "CƠ QUAN CŨ"
    assert "hết hạn" in xmlsig.check_trust(verified.certificate, verified.others, [ca.root], revocation="off")


def test_a_key_that_cannot_sign_xml_is_refused(ca):
    # Ed25519: no XMLDSig 1.1 method signxml offers; refused before anything is signed
    key = SignerKey(ed25519.Ed25519PrivateKey.generate(), ca.issue("CƠ QUAN A").certificate)
    root = xmlsig.parse(DOC)
    with pytest.raises(SigningError, match="RSA hoặc EC"):
        xmlsig.sign_enveloped(root, key)
