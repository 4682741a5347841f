"""Signing and validation, checked by us, by poppler's pdfsig and by pyHanko's own command line."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pyhanko.pdf_utils.crypt import StandardSecurityHandler
from pyhanko.pdf_utils.writer import copy_into_new_writer

from signing.devca import create_ca
from signing.errors import (
    BadPassword,
    CertificateNotUsable,
    CorruptPdf,
    EncryptedPdf,
    ExistingSignatureBroken,
    MissingField,
    SealBeforeSigner,
    SigningError,
)
from signing.forms import fill_text_fields
from signing.keys import export_pkcs12, load_pkcs12
from signing.sign import seal_pdf, sign_pdf
from signing.validate import validate_pdf
from tests.support.components import require_tool

ROOT = Path(__file__).resolve().parents[2]
NUMBER = {"doc_number": "445", "doc_day": "10", "doc_month": "4", "doc_year": "2023"}


@pytest.fixture(scope="module")
def issued(unsigned_pdf, leader, organisation_key, signature_png, seal_png) -> bytes:
    """Signed by the leader, numbered by the clerk, sealed by the organisation: the Decree's order."""
    signed = sign_pdf(unsigned_pdf, leader, image_png=signature_png)
    return seal_pdf(fill_text_fields(signed, NUMBER), organisation_key, seal_png=seal_png)


def test_signer_then_number_then_seal_all_valid(issued, root):
    report = validate_pdf(issued, trust_roots=[root])
    assert report.all_valid
    signer, seal = report.signatures
    assert (signer.field, signer.signer) == ("sig_signer", "Nguyễn Văn Hùng")
    assert signer.modification_level == "FORM_FILLING"  # numbering and the seal came after it, nothing else
    assert (seal.field, seal.signer, seal.modification_level) == ("sig_seal", "LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM",
                                                                  "NONE")
    # leaf first: the person's certificate, then the development root that issued it
    assert "NOT A LEGAL CERTIFICATE" in signer.chain[0] and "NOT A LEGAL CA" in signer.chain[-1]
    assert len(signer.chain) == 2
    for s in (signer, seal):
        assert s.ok and s.intact and s.valid and s.trusted and not s.revoked and s.trust_problem == ""
        assert s.pades_level == "B-B" and s.timestamp is None and s.judged_by == "now"
        assert s.signing_time is not None and s.signing_time.endswith("+07:00")
    assert signer.coverage == "ENTIRE_REVISION" and seal.coverage == "ENTIRE_FILE"
    assert signer.organisation == "Liên đoàn Lao động huyện Gia Lâm"


def test_the_signature_carries_each_certificate_once(issued, leader):
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    signer = PdfFileReader(io.BytesIO(issued)).embedded_signatures[0]
    embedded = [c.chosen.dump() for c in signer.signed_data["certificates"]]
    assert sorted(embedded) == sorted([leader.certificate.dump(), leader.chain[0].dump()])


def test_untrusted_root_is_reported(issued, ca):
    report = validate_pdf(issued, trust_roots=[])
    assert not report.all_valid and report.verdict == "invalid"
    assert all(s.intact and s.valid and not s.trusted for s in report.signatures)
    assert {s.verdict for s in report.signatures} == {"untrusted"}
    assert {s.trust_problem for s in report.signatures} == {"chứng thư số không thuộc chứng thư gốc tin cậy nào"}
    # another root than the issuer's is no better than none
    other = create_ca().root
    assert {s.verdict for s in validate_pdf(issued, trust_roots=[other]).signatures} == {"untrusted"}


def _nss_db(tmp_path: Path, ca) -> str:
    require_tool("certutil", "libnss3-tools")
    db = tmp_path / "nss"
    db.mkdir()
    (tmp_path / "root.pem").write_bytes(ca.pem())
    subprocess.run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"], check=True, capture_output=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{db}", "-n", "edoc-dev-root", "-t", "CT,C,C",
                    "-i", str(tmp_path / "root.pem")], check=True, capture_output=True)
    return f"sql:{db}"


def test_pdfsig_says_valid_and_trusted(issued, tmp_path, ca):
    require_tool("pdfsig", "poppler-utils")
    path = tmp_path / "issued.pdf"
    path.write_bytes(issued)
    out = subprocess.run(["pdfsig", "-nssdir", _nss_db(tmp_path, ca), str(path)], capture_output=True,
                         text=True).stdout
    assert out.count("Signature is Valid.") == 2
    assert out.count("Certificate is Trusted.") == 2


def test_pyhanko_cli_validates(issued, tmp_path, ca):
    path = tmp_path / "issued.pdf"
    path.write_bytes(issued)
    (tmp_path / "root.pem").write_bytes(ca.pem())
    result = subprocess.run([str(Path(sys.executable).parent / "pyhanko"), "sign", "validate", "--trust",
                             str(tmp_path / "root.pem"), "--pretty-print", str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("The signature is judged VALID.") == 2
    assert "Field 1: sig_signer" in result.stdout and "Field 2: sig_seal" in result.stdout


def _flip(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1:]


def test_a_changed_byte_breaks_the_signature(issued, unsigned_pdf, tmp_path, root):
    require_tool("pdfsig", "poppler-utils")
    tampered = _flip(issued, len(unsigned_pdf) // 2)  # inside the first revision, covered by both signatures
    report = validate_pdf(tampered, trust_roots=[root])
    assert not any(s.intact for s in report.signatures)
    path = tmp_path / "tampered.pdf"
    path.write_bytes(tampered)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert "Signature is Valid." not in out and "Digest Mismatch" in out


def test_seal_before_signer_is_refused(unsigned_pdf, organisation_key, seal_png):
    before = bytes(unsigned_pdf)
    with pytest.raises(SealBeforeSigner, match="chưa có chữ ký số của người có thẩm quyền"):
        seal_pdf(unsigned_pdf, organisation_key, seal_png=seal_png)
    assert unsigned_pdf == before


def test_wrong_pkcs12_password(leader):
    data = export_pkcs12(leader, "dung-mat-khau")
    assert load_pkcs12(data, "dung-mat-khau").subject == "Nguyễn Văn Hùng"
    with pytest.raises(BadPassword):
        load_pkcs12(data, "sai-mat-khau")
    with pytest.raises(BadPassword):
        load_pkcs12(b"not a pkcs12 file", "x")


@pytest.mark.parametrize("key_type", ["ec", "rsa"])
def test_a_kept_key_opens_with_its_password_only_and_signs(ca, unsigned_pdf, key_type):
    """The form keys are kept in at rest: authenticated, so a wrong password and a changed byte alike are a
    refusal, never a damaged key; it opens without cryptography's RSA key check and signs as the original."""
    from signing.keys import KEPT_KEY_MAGIC, export_kept_key, is_kept_key, load_kept_key

    key = ca.issue("Nguyễn Văn Hùng", key_type=key_type)
    kept = export_kept_key(key, "mật-khẩu-dài", rounds=1_000)
    assert is_kept_key(kept) and not is_kept_key(export_pkcs12(key, "x"))
    assert b"BEGIN" not in kept and b"Nguy" not in kept  # nothing in clear, not even the certificate
    opened = load_kept_key(kept, "mật-khẩu-dài")
    assert opened.certificate.dump() == key.certificate.dump()
    assert [c.dump() for c in opened.chain] == [c.dump() for c in key.chain]
    [report] = validate_pdf(sign_pdf(unsigned_pdf, opened), trust_roots=[ca.root]).signatures
    assert report.ok and report.signer == "Nguyễn Văn Hùng"
    with pytest.raises(BadPassword, match="sai mật khẩu"):
        load_kept_key(kept, "mật-khẩu-khác")
    for at in (len(KEPT_KEY_MAGIC) + 20, len(kept) // 2, len(kept) - 1):  # salt, key material, GCM tag
        changed = kept[:at] + bytes([kept[at] ^ 1]) + kept[at + 1:]
        with pytest.raises(BadPassword):
            load_kept_key(changed, "mật-khẩu-dài")
    huge = kept[:len(KEPT_KEY_MAGIC)] + (2**31).to_bytes(4, "big") + kept[len(KEPT_KEY_MAGIC) + 4:]
    with pytest.raises(BadPassword, match="không hợp lệ"):  # a forged round count buys no hour of PBKDF2
        load_kept_key(huge, "mật-khẩu-dài")
    with pytest.raises(BadPassword):
        load_kept_key(b"not a kept key", "x")
    with pytest.raises(ValueError, match="rounds"):
        export_kept_key(key, "x", rounds=10)


def test_a_signature_that_does_not_verify_is_never_used(ca, unsigned_pdf):
    """Each signature is checked against the certificate before it goes into the file (the defence against a
    damaged key, which a kept key's fast opening relies on): a key that does not belong to the certificate
    signs nothing."""
    from signing.keys import SignerKey

    key, stranger = ca.issue("Nguyễn Văn Hùng", key_type="rsa"), ca.issue("Người Lạ", key_type="rsa")
    mismatched = SignerKey(stranger.private_key, key.certificate, key.chain)  # as a damaged file could give
    before = bytes(unsigned_pdf)
    with pytest.raises(SigningError, match="không kiểm tra được bằng chứng thư số"):
        sign_pdf(unsigned_pdf, mismatched)
    assert unsigned_pdf == before


def test_expired_and_not_yet_valid_certificates(ca, unsigned_pdf):
    original = bytearray(unsigned_pdf)
    expired = ca.issue("Người hết hạn", valid_from=datetime.now(UTC) - timedelta(days=400), days=30)
    with pytest.raises(CertificateNotUsable, match="đã hết hạn") as refused:
        sign_pdf(original, expired)
    assert refused.value.reason == "expired"
    future = ca.issue("Người chưa tới hạn", valid_from=datetime.now(UTC) + timedelta(days=3))
    with pytest.raises(CertificateNotUsable, match="chưa có hiệu lực") as refused:
        sign_pdf(original, future)
    assert refused.value.reason == "not_yet_valid"
    assert bytes(original) == unsigned_pdf


def test_encrypted_truncated_and_broken_pdfs(unsigned_pdf, leader, issued):
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(unsigned_pdf)))
    writer._assign_security_handler(StandardSecurityHandler.build_from_pw("owner", "user"))
    encrypted = io.BytesIO()
    writer.write(encrypted)
    with pytest.raises(EncryptedPdf):
        sign_pdf(encrypted.getvalue(), leader)
    with pytest.raises(CorruptPdf):
        sign_pdf(unsigned_pdf[: len(unsigned_pdf) // 3], leader)
    with pytest.raises(CorruptPdf):
        sign_pdf(b"this is not a pdf", leader)
    with pytest.raises(ExistingSignatureBroken):
        sign_pdf(_flip(issued, len(unsigned_pdf) // 2), leader, field="sig_extra", new_field=(0, (0, 0, 10, 10)))


def test_pdf_without_a_signature_field(leader, tmp_path):
    from weasyprint import HTML  # a plain PDF, as uploaded: no fields

    plain = HTML(string="<p>Báo cáo</p>").write_pdf()
    with pytest.raises(MissingField, match="chọn vị trí ký"):
        sign_pdf(plain, leader)
    signed = sign_pdf(plain, leader, new_field=(0, (300, 500, 450, 580)))  # the place the user picked
    [report] = validate_pdf(signed, trust_roots=[leader.chain[-1]]).signatures
    assert report.ok and report.field == "sig_signer" and report.coverage == "ENTIRE_FILE"
    assert signed.startswith(plain)  # an incremental update
    with pytest.raises(MissingField, match="trang 3 không có"):
        sign_pdf(plain, leader, new_field=(2, (300, 500, 450, 580)))


def test_command_line(tmp_path, ca, unsigned_pdf, signature_png, capsys):
    """The command line's own code, run here (test_cli runs the program itself)."""
    from signing.cli import main

    (tmp_path / "in.pdf").write_bytes(unsigned_pdf)
    (tmp_path / "sig.png").write_bytes(signature_png)

    def run(*args: object) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    assert run("devca", "init", tmp_path / "ca", "--password", "ca-pass")[0] == 0
    assert run("devca", "init", tmp_path / "ca", "--password", "ca-pass")[0] == 2  # never overwritten
    assert run("devca", "issue", tmp_path / "ca", "--password", "ca-pass", "--name", "Trần Thị Lan",
               "--output", tmp_path / "lan.p12", "--p12-password", "p12")[0] == 0
    code, _, err = run("sign", tmp_path / "in.pdf", tmp_path / "out.pdf", "--pkcs12", tmp_path / "lan.p12",
                       "--password", "p12", "--image", tmp_path / "sig.png")
    assert code == 0, err
    code, out, _ = run("validate", tmp_path / "out.pdf", "--trust", tmp_path / "ca" / "ca.pem", "--json")
    assert code == 0 and '"all_valid": true' in out
    code, out, _ = run("validate", tmp_path / "out.pdf")
    assert code == 1 and "CHƯA ĐƯỢC TIN CẬY" in out
    code, _, err = run("sign", tmp_path / "in.pdf", tmp_path / "x.pdf", "--pkcs12", tmp_path / "lan.p12",
                       "--password", "nope")
    assert code == 2 and "sai mật khẩu" in err and not (tmp_path / "x.pdf").exists()
