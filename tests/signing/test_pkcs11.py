"""Keys on a PKCS#11 token: a real SoftHSM2 token in a temporary folder (``token`` in conftest: RSA and EC
keys with certificates from the online development CA, and a stray key of another CA), signatures checked by
our validator (by pdfsig and pyHanko's CLI in test_interop)."""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from signing.errors import BadPassword, TokenError
from signing.sign import sign_pdf
from signing.tokens import open_token
from signing.validate import validate_pdf

BOX = (0, (330.0, 120.0, 500.0, 190.0))


def _embedded_certs(pdf: bytes) -> list[str]:
    [signature] = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    return sorted(c.chosen.subject.human_friendly for c in signature.signed_data["certificates"])


@pytest.mark.parametrize(("kind", "label"), [("rsa", "tuan"), ("ec", "ha")])
def test_sign_with_a_key_on_the_token(softhsm, token, live_ca, plain_pdf, kind, label):
    with open_token(softhsm.module, pin=softhsm.pin, token_label=softhsm.label, key_label=label) as key:
        assert key.certificate.dump() == token[kind].certificate.dump()
        assert [c.dump() for c in key.chain] == [live_ca.root.dump()]  # found on the token, issuer first
        signed = sign_pdf(plain_pdf, key, new_field=BOX)
    [report] = validate_pdf(signed, trust_roots=[live_ca.root], revocation="hard", fetch=True).signatures
    assert report.ok and report.signer == token[kind].subject and not report.revoked
    # exactly the signer and its issuer: not the colleague on the same token, not the other CA
    assert _embedded_certs(signed) == sorted([token[kind].certificate.subject.human_friendly,
                                              live_ca.root.subject.human_friendly])


def test_a_token_key_signs_a_batch_in_one_session(softhsm, token, live_ca, plain_pdf):
    with open_token(softhsm.module, pin=softhsm.pin, token_label=softhsm.label, key_label="ha") as key:
        batch = [sign_pdf(plain_pdf, key, new_field=BOX) for _ in range(3)]
    assert len({pdf for pdf in batch}) == 3
    assert all(validate_pdf(pdf, trust_roots=[live_ca.root]).all_valid for pdf in batch)


def test_wrong_pin(softhsm, token):
    with pytest.raises(BadPassword, match="mã PIN"):
        open_token(softhsm.module, pin="000000", token_label=softhsm.label, key_label="tuan")


def test_unknown_token_key_or_module(softhsm, token, tmp_path):
    with pytest.raises(TokenError, match="không tìm thấy thiết bị ký số"):
        open_token(softhsm.module, pin=softhsm.pin, token_label="không-có-token-này", key_label="tuan")
    with pytest.raises(TokenError, match="không tìm thấy chứng thư số"):
        open_token(softhsm.module, pin=softhsm.pin, token_label=softhsm.label, key_label="không-có-khóa")
    with pytest.raises(TokenError, match="có 3 khóa bí mật"):  # three keys: which one is not guessed
        open_token(softhsm.module, pin=softhsm.pin, token_label=softhsm.label)
    with pytest.raises(TokenError, match="không mở được thư viện PKCS#11"):
        open_token(str(tmp_path / "no-such-pkcs11.so"), pin=softhsm.pin, token_label=softhsm.label,
                   key_label="tuan")
    not_a_library = tmp_path / "fake.so"
    not_a_library.write_bytes(b"this is not a shared library")
    with pytest.raises(TokenError, match="không mở được thư viện PKCS#11"):
        open_token(str(not_a_library), pin=softhsm.pin, token_label=softhsm.label, key_label="tuan")


def test_a_key_id_finds_the_key_too(softhsm, token, live_ca, plain_pdf):
    with open_token(softhsm.module, pin=softhsm.pin, token_label=softhsm.label, key_id=b"\x01") as key:
        assert key.subject == "Phạm Minh Tuấn"
        signed = sign_pdf(plain_pdf, key, new_field=BOX)
    assert validate_pdf(signed, trust_roots=[live_ca.root]).all_valid
