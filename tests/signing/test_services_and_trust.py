"""The development services on loopback (answers to bad requests, revocations kept in the CA's folder), the
validation context helper shared by signing and validation, and the clean-up of network sessions."""

from __future__ import annotations

import base64
import gc
import logging
import urllib.error
import urllib.request
import warnings

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from signing.devca import DevCA, create_ca
from signing.devservices import DevServices
from signing.keys import to_cryptography
from signing.sign import sign_pdf
from signing.timestamps import http_timestamper
from signing.trust import REVOCATION_MODES, revocation_mode, validation_context
from signing.validate import validate_pdf

BOX = (0, (330.0, 120.0, 500.0, 190.0))


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _ocsp_request(cert: x509.Certificate, issuer: x509.Certificate) -> bytes:
    return ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA256()).build().public_bytes(
        serialization.Encoding.DER)


def test_ocsp_get_with_bad_base64_is_a_400_and_the_server_lives_on(services, live_person):
    status, body = _get(f"{services.ocsp_url}/%%%not-base64%%%")
    assert (status, body) == (400, b"not a base64 OCSP request")
    request = _ocsp_request(to_cryptography(live_person.certificate), services.ca.certificate)
    status, body = _get(f"{services.ocsp_url}/{base64.b64encode(request).decode()}")
    assert status == 200
    answer = ocsp.load_der_ocsp_response(body)
    assert answer.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert answer.certificate_status == ocsp.OCSPCertStatus.GOOD
    status, body = _get(f"{services.ocsp_url}/{base64.b64encode(b'garbage').decode()}")
    assert status == 200 and ocsp.load_der_ocsp_response(body).response_status == (
        ocsp.OCSPResponseStatus.MALFORMED_REQUEST)


def test_revocations_live_in_the_ca_folder(tmp_path):
    folder = tmp_path / "ca"
    create_ca().save(folder, "mật-khẩu")
    serving = DevCA.load(folder, "mật-khẩu")  # as ``devca serve`` holds it
    other = DevCA.load(folder, "mật-khẩu")  # as ``devca revoke`` in another process
    with DevServices(serving) as services:
        person = serving.issue("Ngô Thị Hoa")
        request = _ocsp_request(to_cryptography(person.certificate), serving.certificate)
        url = f"{services.ocsp_url}/{base64.b64encode(request).decode()}"
        assert ocsp.load_der_ocsp_response(_get(url)[1]).certificate_status == ocsp.OCSPCertStatus.GOOD
        other.revoke(person)
        assert person.serial not in serving.revoked  # nothing shared but the folder
        assert ocsp.load_der_ocsp_response(_get(url)[1]).certificate_status == ocsp.OCSPCertStatus.REVOKED
        crl = x509.load_der_x509_crl(_get(services.crl_url)[1])
        assert crl.get_revoked_certificate_by_serial_number(person.serial) is not None
    assert DevCA.load(folder, "mật-khẩu").revoked.keys() == {person.serial}
    assert x509.load_der_x509_crl((folder / "crl.der").read_bytes()).get_revoked_certificate_by_serial_number(
        person.serial) is not None


def test_revocation_modes_and_fetching(live_ca):
    assert REVOCATION_MODES == {"off": "none", "soft": "soft-fail", "hard": "hard-fail"}
    assert revocation_mode("Hard") == "hard-fail" and revocation_mode("soft-fail") == "soft-fail"
    with pytest.raises(ValueError, match="off, soft or hard"):
        revocation_mode("strict")
    assert validation_context([live_ca.root], revocation="soft").fetching_allowed
    assert not validation_context([live_ca.root], revocation="soft", fetch=False).fetching_allowed
    assert not validation_context([live_ca.root], revocation="off").fetching_allowed  # nothing to fetch for
    # "hard" without the network is allowed: it then relies on the data given, and fails without it
    hard = validation_context([live_ca.root], revocation="hard", fetch=False)
    assert hard.revinfo_policy.revocation_checking_policy.essential


def test_an_empty_trust_list_trusts_nothing(live_person, plain_pdf):
    signed = sign_pdf(plain_pdf, live_person, new_field=BOX)
    [report] = validate_pdf(signed, trust_roots=[]).signatures
    assert report.intact and report.valid and not report.trusted and report.verdict == "untrusted"
    assert report.trust_problem == "chứng thư số không thuộc chứng thư gốc tin cậy nào"


def test_bytes_like_inputs_are_validated(live_person, plain_pdf, services):
    signed = sign_pdf(memoryview(plain_pdf), live_person, new_field=BOX)
    for form in (signed, bytearray(signed), memoryview(signed)):
        assert validate_pdf(form, trust_roots=[services.ca.root]).all_valid


def _sign_and_validate_twice(services, live_person, plain_pdf) -> None:
    context = validation_context([services.ca.root], revocation="hard")
    for _ in range(2):  # the same context twice: it must survive the closing of its session
        signed = sign_pdf(plain_pdf, live_person, new_field=BOX, timestamper=http_timestamper(services.tsa_url),
                          embed_validation_info=True, validation_context=context, lta=True)
        assert validate_pdf(signed, trust_roots=[services.ca.root], revocation="hard", fetch=True).all_valid


def test_network_sessions_are_closed(services, live_person, plain_pdf, caplog):
    """B-LTA signing and validation with fetching: every aiohttp session is closed in the loop that opened it
    (one left open warns when it is collected, here once the context is gone)."""
    caplog.set_level(logging.ERROR, logger="asyncio")
    gc.collect()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _sign_and_validate_twice(services, live_person, plain_pdf)
        gc.collect()
    unclosed = [str(w.message) for w in caught if "nclosed" in str(w.message)]
    assert not unclosed, unclosed
    assert not [r for r in caplog.records if "nclosed" in r.getMessage()]
