"""Timestamps and long-term signatures against real services on loopback (``signing.devservices``): the TSA,
the OCSP responder and the CRL of a development CA whose certificates name them.

B-T (a timestamp), B-LT (revocation data in the DSS, validated offline), B-LTA (a document timestamp),
certificates refused at signing (revoked, untrusted), and long-term validation: a signature made before its
certificate was revoked, or before it expired, stays valid when a trusted timestamp says so.
"""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime, timedelta

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import DocumentSecurityStore

from signing.devca import create_ca
from signing.devservices import DevServices
from signing.errors import CertificateNotUsable, TimestampFailed
from signing.keys import CachedKeySigner, SignerKey
from signing.sign import BYTES_RESERVED, add_document_timestamp, sign_pdf
from signing.timestamps import forget_samples, http_timestamper
from signing.trust import validation_context
from signing.validate import validate_pdf

BOX = (0, (330.0, 120.0, 500.0, 190.0))


def _context(services, revocation: str = "hard"):
    return validation_context([services.ca.root], revocation=revocation, fetch=True)


def _dss(pdf: bytes) -> tuple[int, int]:
    dss = DocumentSecurityStore.read_dss(PdfFileReader(io.BytesIO(pdf)))
    return len(dss.ocsps), len(dss.crls)


@pytest.fixture(scope="module")
def b_lt(services, live_person, plain_pdf) -> bytes:
    return sign_pdf(plain_pdf, live_person, new_field=BOX, timestamper=http_timestamper(services.tsa_url),
                    embed_validation_info=True, validation_context=_context(services))


@pytest.fixture(scope="module")
def b_lta(services, live_person, plain_pdf) -> bytes:
    return sign_pdf(plain_pdf, live_person, new_field=BOX, timestamper=http_timestamper(services.tsa_url),
                    embed_validation_info=True, validation_context=_context(services), lta=True)


def test_b_t_carries_a_trusted_timestamp_and_is_judged_at_it(services, live_person, plain_pdf):
    forget_samples()
    before = services.hits["/tsa"]
    started = datetime.now(UTC).replace(microsecond=0)
    signed = sign_pdf(plain_pdf, live_person, new_field=BOX, timestamper=http_timestamper(services.tsa_url))
    # a sample token to size the signature, then the real one; the sample is kept for the next signature,
    # even with a new timestamper object, as the app makes one per signature
    assert services.hits["/tsa"] - before == 2
    sign_pdf(plain_pdf, live_person, new_field=BOX, timestamper=http_timestamper(services.tsa_url))
    assert services.hits["/tsa"] - before == 3
    [report] = validate_pdf(signed, trust_roots=[services.ca.root]).signatures
    assert report.ok and report.pades_level == "B-T"
    assert report.timestamp is not None and report.timestamp_valid is True
    stamped = datetime.fromisoformat(report.timestamp)
    assert started <= stamped <= datetime.now(UTC) + timedelta(seconds=1)
    assert report.timestamp.endswith("+07:00")
    assert (report.judged_by, report.judged_at) == ("signature_timestamp", report.timestamp)
    # without a timestamp, the judgement is now
    [untimed] = validate_pdf(sign_pdf(plain_pdf, live_person, new_field=BOX),
                             trust_roots=[services.ca.root]).signatures
    assert untimed.ok and untimed.timestamp is None and untimed.timestamp_valid is None
    assert untimed.judged_by == "now" and untimed.pades_level == "B-B"


def test_a_timestamp_from_an_untrusted_tsa_is_not_relied_on(services, live_person, plain_pdf, root):
    signed = sign_pdf(plain_pdf, live_person, new_field=BOX, timestamper=http_timestamper(services.tsa_url))
    # trusting only another root: neither the signer nor the TSA is trusted; the time is then not used
    [report] = validate_pdf(signed, trust_roots=[root]).signatures
    assert report.timestamp_valid is False and not report.trusted and report.judged_by == "now"


@pytest.mark.parametrize("sample_known", [True, False])
def test_tsa_down_fails_and_leaves_the_input_alone(services, live_person, plain_pdf, sample_known):
    if sample_known:
        sign_pdf(plain_pdf, live_person, new_field=BOX, timestamper=http_timestamper(services.tsa_url))
    else:
        forget_samples()
    original = bytearray(plain_pdf)
    services.tsa_down = True
    try:
        with pytest.raises(TimestampFailed, match="dấu thời gian"):
            sign_pdf(original, live_person, new_field=BOX, timestamper=http_timestamper(services.tsa_url))
        with pytest.raises(TimestampFailed, match="dấu thời gian"):
            add_document_timestamp(sign_pdf(plain_pdf, live_person, new_field=BOX),
                                   http_timestamper(services.tsa_url))
    finally:
        services.tsa_down = False
    assert bytes(original) == plain_pdf


def test_b_lt_embeds_revocation_data_and_validates_offline(services, b_lt):
    ocsps, crls = _dss(b_lt)
    assert ocsps >= 2  # the signer's certificate and the TSA's
    hits = services.hits.copy()
    services.ocsp_down = True  # would fail any fetch; none may happen
    try:
        report = validate_pdf(b_lt, trust_roots=[services.ca.root], revocation="hard", fetch=False)
    finally:
        services.ocsp_down = False
    assert services.hits["/ocsp"] == hits["/ocsp"] and services.hits["/crl"] == hits["/crl"]
    [signature] = report.signatures
    assert report.all_valid, report.to_json()
    assert signature.pades_level == "B-LT" and signature.timestamp_valid
    assert signature.judged_by == "signature_timestamp"
    assert report.timestamps == []
    # the contrast: the same B-T signature without the DSS cannot be checked offline under "hard"
    [plain_bt] = validate_pdf(b_lt[:_first_revision_end(b_lt)], trust_roots=[services.ca.root], revocation="hard",
                              fetch=False).signatures
    assert plain_bt.pades_level == "B-T" and not plain_bt.trusted


def test_with_ocsp_down_the_crl_is_fetched_and_embedded(services, live_ca, plain_pdf):
    """Revocation "hard" and the OCSP responder down: the certificates also name their CRL, which is fetched
    instead and embedded in the DSS, so the signature is still B-LT and validates offline from the CRL."""
    person = live_ca.issue("Lý Thị Hoa", organisation="UBND huyện Gia Lâm")
    hits = services.hits.copy()
    services.ocsp_down = True
    try:
        signed = sign_pdf(plain_pdf, person, new_field=BOX, timestamper=http_timestamper(services.tsa_url),
                          embed_validation_info=True, validation_context=_context(services, "hard"))
        asked = {path: services.hits[path] - hits[path] for path in ("/ocsp", "/crl")}
        # offline, with both responders unusable: the CRL in the file is all there is to go on
        services.crl_down = True
        report = validate_pdf(signed, trust_roots=[services.ca.root], revocation="hard", fetch=False)
    finally:
        services.ocsp_down = services.crl_down = False
    assert asked["/ocsp"] >= 1 and asked["/crl"] >= 1  # OCSP was tried first, then the CRL fetched
    ocsps, crls = _dss(signed)
    assert (ocsps, crls) == (0, 1)  # one CRL of the CA covers the signer and the TSA; no OCSP answer
    [signature] = report.signatures
    assert report.all_valid, report.to_json()
    assert signature.pades_level == "B-LT" and signature.trusted and not signature.revoked
    assert signature.modification_level == "LTA_UPDATES" and signature.timestamp_valid


def test_with_ocsp_and_crl_down_hard_revocation_refuses_to_sign(services, live_ca, plain_pdf):
    """The contrast: no responder answers, so under "hard" the certificate cannot be cleared and nothing is
    signed; under "soft" the silence is not held against it."""
    person = live_ca.issue("Lý Văn Minh", organisation="UBND huyện Gia Lâm")
    original = bytearray(plain_pdf)
    services.ocsp_down = services.crl_down = True
    try:
        with pytest.raises(CertificateNotUsable, match="thu hồi") as refused:
            sign_pdf(original, person, new_field=BOX, validation_context=_context(services, "hard"))
        soft = sign_pdf(plain_pdf, person, new_field=BOX, validation_context=_context(services, "soft"))
    finally:
        services.ocsp_down = services.crl_down = False
    assert refused.value.reason == "revocation_unknown" and bytes(original) == plain_pdf
    assert validate_pdf(soft, trust_roots=[services.ca.root], revocation="off").all_valid


def _first_revision_end(pdf: bytes) -> int:
    """End of the revision the first signature covers (the DSS update comes after it)."""
    [signature] = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    byte_range = signature.byte_range
    return int(byte_range[2]) + int(byte_range[3])


def test_b_lta_adds_a_document_timestamp(services, b_lta):
    report = validate_pdf(b_lta, trust_roots=[services.ca.root], revocation="hard", fetch=False)
    assert report.all_valid, report.to_json()
    [signature] = report.signatures
    [stamp] = report.timestamps
    assert signature.pades_level == "B-LTA"
    assert stamp.kind == "document_timestamp" and stamp.ok and stamp.timestamp_valid
    assert stamp.signer.startswith("edoc DEVELOPMENT TSA") and stamp.modification_level in ("NONE", "LTA_UPDATES")
    assert stamp.timestamp >= signature.timestamp


def test_document_timestamp_on_an_already_signed_file(services, live_person, plain_pdf):
    signed = sign_pdf(plain_pdf, live_person, new_field=BOX)
    stamped = add_document_timestamp(signed, http_timestamper(services.tsa_url),
                                     validation_context=_context(services, "soft"))
    assert stamped.startswith(signed)  # an incremental update
    report = validate_pdf(stamped, trust_roots=[services.ca.root])
    assert report.all_valid, report.to_json()
    [signature] = report.signatures
    [stamp] = report.timestamps
    assert stamp.field == "doc_timestamp" and stamp.ok
    assert signature.modification_level == "LTA_UPDATES" and signature.judged_by == "document_timestamp"
    assert signature.judged_at == stamp.timestamp
    again = add_document_timestamp(stamped, http_timestamper(services.tsa_url))  # renewing: a second one
    assert [t.field for t in validate_pdf(again, trust_roots=[services.ca.root]).timestamps] == [
        "doc_timestamp", "doc_timestamp_2"]


def test_revoked_certificate_is_refused_at_signing(services, live_ca, plain_pdf):
    revoked = live_ca.issue("Người đã bị thu hồi", organisation="UBND huyện Gia Lâm")
    live_ca.revoke(revoked)
    original = bytearray(plain_pdf)
    for revocation in ("soft", "hard"):
        with pytest.raises(CertificateNotUsable, match="thu hồi") as refused:
            sign_pdf(original, revoked, new_field=BOX, validation_context=_context(services, revocation))
        assert refused.value.reason == "revoked"
    assert bytes(original) == plain_pdf
    # with revocation checking off, only trust is vetted: the same certificate goes through
    sign_pdf(plain_pdf, revoked, new_field=BOX, validation_context=_context(services, "off"))


def test_untrusted_certificate_is_refused_at_signing(live_person, plain_pdf, root):
    with pytest.raises(CertificateNotUsable, match="không thuộc tổ chức cung cấp dịch vụ tin cậy") as refused:
        sign_pdf(plain_pdf, live_person, new_field=BOX,
                 validation_context=validation_context([root], revocation="off", fetch=False))
    assert refused.value.reason == "untrusted"


def test_revoked_after_signing_long_term_signatures_stay_valid(services, live_ca, plain_pdf):
    person = live_ca.issue("Hoàng Văn Nam", organisation="UBND huyện Gia Lâm")
    timestamper = http_timestamper(services.tsa_url)
    b_b = sign_pdf(plain_pdf, person, new_field=BOX)
    b_t = sign_pdf(plain_pdf, person, new_field=BOX, timestamper=timestamper)
    b_lt = sign_pdf(plain_pdf, person, new_field=BOX, timestamper=timestamper, embed_validation_info=True,
                    validation_context=_context(services))
    b_lta = sign_pdf(plain_pdf, person, new_field=BOX, timestamper=timestamper, embed_validation_info=True,
                     validation_context=_context(services), lta=True)
    signed_by = datetime.now(UTC)
    time.sleep(1.1)  # revocation times have whole seconds: make it fall clearly after the timestamps
    live_ca.revoke(person)
    roots = [services.ca.root]

    [untimed] = validate_pdf(b_b, trust_roots=roots, fetch=True).signatures
    assert untimed.revoked and not untimed.trusted and not untimed.ok and untimed.judged_by == "now"
    assert "thu hồi" in untimed.trust_problem
    for pdf, level in ((b_t, "B-T"), (b_lt, "B-LT"), (b_lta, "B-LTA")):
        # today's OCSP answer says "revoked since a moment ago": at the timestamp the certificate was good
        report = validate_pdf(pdf, trust_roots=roots, revocation="hard", fetch=True)
        [signature] = report.signatures
        assert report.all_valid, (level, report.to_json())
        assert signature.pades_level == level and not signature.revoked
        assert signature.judged_by == "signature_timestamp" and signature.judged_at == signature.timestamp
    for pdf in (b_lt, b_lta):  # and offline, from the DSS alone
        assert validate_pdf(pdf, trust_roots=roots, revocation="hard", fetch=False).all_valid
    # the caller may ask about a moment: before the revocation, today's answer clears even the B-B signature
    [then] = validate_pdf(b_b, trust_roots=roots, revocation="hard", fetch=True, moment=signed_by).signatures
    assert then.ok and then.judged_by == "requested" and not then.revoked
    # judged now on purpose (the caller's moment), the revocation shows
    [now] = validate_pdf(b_lt, trust_roots=roots, revocation="hard", fetch=True,
                         moment=datetime.now(UTC)).signatures
    assert now.revoked and not now.ok and now.judged_by == "requested"


def test_expired_after_signing_long_term_signature_stays_valid(services, live_ca, plain_pdf):
    # a certificate that expires two seconds from now: signed (B-LT) before, validated after
    person = live_ca.issue("Đỗ Thị Mai", organisation="UBND huyện Gia Lâm",
                           valid_from=datetime.now(UTC) - timedelta(days=1) + timedelta(seconds=2), days=1)
    signed = sign_pdf(plain_pdf, person, new_field=BOX, timestamper=http_timestamper(services.tsa_url),
                      embed_validation_info=True, validation_context=_context(services))
    untimed = sign_pdf(plain_pdf, person, new_field=BOX)
    expiry = person.certificate["tbs_certificate"]["validity"]["not_after"].native
    time.sleep(max(0.0, (expiry - datetime.now(UTC)).total_seconds()) + 1.1)
    roots = [services.ca.root]
    assert validate_pdf(signed, trust_roots=roots, revocation="hard", fetch=False).all_valid
    [expired] = validate_pdf(untimed, trust_roots=roots).signatures
    assert not expired.trusted and expired.intact and "hết hạn" in expired.trust_problem


class _CountingSigner(CachedKeySigner):
    calls = 0

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        type(self).calls += 1
        return super().sign_raw(data, digest_algorithm)


class _CountingKey(SignerKey):
    def signer(self) -> CachedKeySigner:
        if self._signer is None:
            self._signer = _CountingSigner(self)
        return self._signer


def test_rsa_4096_chain_with_timestamp_is_sized_from_the_material_and_signed_once(plain_pdf):
    root = create_ca(name="edoc TEST RSA-4096 ROOT - NOT A LEGAL CA", key_type="rsa-4096", path_length=1)
    issuing = root.subordinate("edoc TEST RSA-4096 ISSUING CA - NOT A LEGAL CA", key_type="rsa-4096")
    person = issuing.issue("Vũ Quốc Khánh", organisation="Sở Nội vụ", key_type="rsa-4096")
    key = _CountingKey(person.private_key, person.certificate, person.chain)
    assert len(key.chain) == 2
    with DevServices(root, tsa=issuing.issue_tsa(key_type="rsa-4096")) as services:
        timestamper = http_timestamper(services.tsa_url)
        _CountingSigner.calls = 0
        signed = sign_pdf(plain_pdf, key, new_field=BOX, timestamper=timestamper)
        assert _CountingSigner.calls == 1  # no dry run to measure the signature
        report = validate_pdf(signed, trust_roots=[root.root], revocation="off")
    assert report.all_valid, report.to_json()
    [signature] = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    cms_size = len(signature.pkcs7_content)
    reserved = len(signature.sig_object["/Contents"].original_bytes) * 2
    assert cms_size * 2 > BYTES_RESERVED  # the old fixed reservation would not have held it
    assert cms_size * 2 <= reserved <= cms_size * 2 + 12_000  # room to spare, not a blind constant
    [report_signature] = report.signatures
    assert len(report_signature.chain) == 3 and report_signature.timestamp_valid
