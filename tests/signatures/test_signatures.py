"""Issue 4's flow in the app: the leader signs the approved document (one or a batch), the clerk issues it
(number and date filled, then the organisation's signature over the leader's and on each PDF attachment),
every signature verifies here and in pdfsig, and each bad input gets a clear message and changes nothing."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import subprocess
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from edoc.accounts.models import Role, User
from edoc.accounts.passwords import hash_password
from edoc.audit.models import AuditEntry
from edoc.core.db import db, utcnow
from edoc.documents import actions, drafting, review, sources
from edoc.documents.models import OutgoingDocument, Status
from edoc.files import sniff
from edoc.files.models import StoredFile
from edoc.files.service import read_verified, store_bytes
from edoc.registers.models import RegisterCounter
from edoc.signatures.credentials import MAX_PIN_FAILURES, active_credential, save_credential
from edoc.signatures.models import SigningCredential, TrustedRoot, ValidationRecord
from edoc.signatures.trust import add_trusted_root, trust_roots
from signing.devca import create_ca
from signing.errors import BadPassword
from signing.forms import field_boxes
from signing.keys import export_pkcs12, is_kept_key, load_kept_key
from signing.validate import validate_pdf
from tests.documents.conftest import draft_data, get_doc, stored
from tests.support.components import require_tool
from tests.support.web import csrf_token, login

MM = 72 / 25.4


@pytest.fixture
def make_document(make_document):
    """Approved documents here wait for the signer's digital signature (not signed on paper): these tests sign
    them."""
    return functools.partial(make_document, paper=False)


def _sign(client, doc_id: int, pin: str = "123456", **extra: object):
    return client.post(f"/signatures/sign/{doc_id}",
                       data={"pin": pin, "csrf_token": csrf_token(client, "/"), **extra})


def _issue(app, demo, doc_id: int) -> bytes:
    with app.app_context():
        clerk = db.session.get(User, demo["vanthu"])
        actions.issue_document(clerk, get_doc(doc_id))
        return read_verified(get_doc(doc_id).issued_file)


def _count(model: type) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _png(colour: tuple[int, int, int, int], size: tuple[int, int] = (300, 300), *, opaque: bool = False) -> bytes:
    image = Image.new("RGBA", size, (255, 255, 255, 255) if opaque else (0, 0, 0, 0))
    for x in range(40, size[0] - 40):
        for y in (60, 61, 62, size[1] // 2, size[1] // 2 + 1):
            image.putpixel((x, y), colour)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (300, 300), (210, 25, 30, 255)).save(out, "GIF")
    return out.getvalue()


def test_sign_then_issue_gives_two_valid_trusted_signatures(app, demo, make_document, tmp_path):
    doc_id = make_document("approved")
    leader = app.test_client()
    login(leader, "chutich")
    assert "Ký số" in leader.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert _sign(leader, doc_id).status_code == 302
    issued = _issue(app, demo, doc_id)
    with app.app_context():
        report = validate_pdf(issued, trust_roots=trust_roots(get_doc(doc_id).organisation_id))
        kept = db.session.execute(select(ValidationRecord).where(ValidationRecord.document_id == doc_id)).scalar_one()
        assert (kept.context, kept.all_valid, kept.file_id) == ("issued", True, get_doc(doc_id).issued_file_id)
    assert report.all_valid
    signer, seal = report.signatures
    assert (signer.field, signer.signer, signer.modification_level) == ("sig_signer", "Nguyễn Văn Hùng",
                                                                        "FORM_FILLING")
    # what was filled after the leader signed: the number and date, and the organisation's signature
    assert signer.changed_fields == ["doc_day", "doc_month", "doc_number", "doc_year", "sig_seal"]
    assert signer.modification_text == ("sau khi ký chỉ điền biểu mẫu (ô doc_day, doc_month, doc_number, doc_year) "
                                        "và thêm chữ ký (sig_seal)")
    assert (seal.field, seal.signer) == ("sig_seal", "LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM")
    require_tool("pdftotext", "poppler-utils")
    (tmp_path / "issued.pdf").write_bytes(issued)
    text = subprocess.run(["pdftotext", str(tmp_path / "issued.pdf"), "-"], capture_output=True, text=True).stdout
    assert "01" in text and "/KH-LĐLĐ" in text


def test_the_issued_report_is_validated_with_no_transaction_open(app, demo, make_document, backend, settings_env,
                                                                 monkeypatch):
    """Validation may wait on OCSP and CRL responders: while it runs, no transaction of ours is open, so on
    SQLite another writer gets the write lock at once."""
    import sqlite3

    from edoc.signatures import service as signature_service

    doc_id = make_document("approved")
    leader = app.test_client()
    login(leader, "chutich")
    assert _sign(leader, doc_id).status_code == 302
    seen: list[tuple[bool, bool | None]] = []
    real_validate = signature_service.validate_pdf

    def watched(*args, **kwargs):
        writable = None
        if backend == "sqlite":
            other = sqlite3.connect(settings_env["EDOC_DATABASE_URL"].removeprefix("sqlite:///"), timeout=0,
                                    isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                writable = True
            except sqlite3.OperationalError:
                writable = False
            finally:
                other.close()
        seen.append((db.session().in_transaction(), writable))
        return real_validate(*args, **kwargs)

    monkeypatch.setattr(signature_service, "validate_pdf", watched)
    _issue(app, demo, doc_id)
    assert seen == [(False, True if backend == "sqlite" else None)]
    with app.app_context():
        kept = db.session.execute(select(ValidationRecord).where(ValidationRecord.document_id == doc_id)).scalar_one()
        assert (kept.context, kept.all_valid) == ("issued", True)


def test_issued_files_verify_in_pdfsig_and_pyhanko_with_the_root_trusted(app, demo, make_document, tmp_path):
    import sys
    from pathlib import Path

    require_tool("pdfsig", "poppler-utils")
    require_tool("certutil", "libnss3-tools")
    doc_id = make_document("approved")
    leader = app.test_client()
    login(leader, "chutich")
    assert _sign(leader, doc_id).status_code == 302
    issued = _issue(app, demo, doc_id)
    with app.app_context():
        root_der = db.session.execute(select(TrustedRoot.der)).scalars().first()
    (tmp_path / "root.der").write_bytes(root_der)
    nss = tmp_path / "nss"
    nss.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True, capture_output=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{nss}", "-n", "edoc-dev-root", "-t", "CT,C,C", "-i",
                    str(tmp_path / "root.der")], check=True, capture_output=True)
    (tmp_path / "issued.pdf").write_bytes(issued)
    out = subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", str(tmp_path / "issued.pdf")], capture_output=True,
                         text=True).stdout
    assert out.count("Signature is Valid.") == 2 and out.count("Certificate is Trusted.") == 2, out
    subprocess.run(["openssl", "x509", "-inform", "DER", "-in", str(tmp_path / "root.der"), "-out",
                    str(tmp_path / "root.pem")], check=True)
    cli = subprocess.run([str(Path(sys.executable).parent / "pyhanko"), "sign", "validate", "--trust",
                          str(tmp_path / "root.pem"), "--pretty-print", str(tmp_path / "issued.pdf")],
                         capture_output=True, text=True)
    assert cli.returncode == 0 and cli.stdout.count("The signature is judged VALID.") == 2, cli.stdout + cli.stderr


def test_wrong_pin_and_missing_certificate_are_clear_and_change_nothing(app, demo, make_document):
    doc_id = make_document("approved")
    leader = app.test_client()
    login(leader, "chutich")
    with app.app_context():
        files_before = _count(StoredFile)
    wrong = _sign(leader, doc_id, pin="000000")
    assert wrong.status_code == 400 and "Mã PIN ký số không đúng." in wrong.get_data(as_text=True)
    with app.app_context():
        assert get_doc(doc_id).signed_file_id is None and _count(StoredFile) == files_before
        newcomer = User(organisation_id=get_doc(doc_id).organisation_id, username="lanhdaomoi",
                        full_name="Lãnh Đạo Mới", title="PHÓ CHỦ TỊCH", password_hash=hash_password("GiaLam@2023"))
        newcomer.roles = {Role.LEADER}
        db.session.add(newcomer)
        db.session.commit()
        newcomer_id = newcomer.id
    other_id = make_document("approved", signer_id=newcomer_id)
    client = app.test_client()
    login(client, "lanhdaomoi")
    missing = _sign(client, other_id)
    assert missing.status_code == 400 and "chưa có chứng thư số" in missing.get_data(as_text=True)
    # somebody else's document cannot be signed
    assert _sign(client, doc_id).status_code == 404


def test_a_signature_image_not_in_blue_ink_is_refused_at_signing(app, demo, make_document):
    """An image kept before uploads were checked for blue ink (stored here as it is): the signature is
    refused with what to do, one document or a batch, and nothing changes; a blue image signs."""
    from edoc.signatures.devca import signature_png

    doc_id = make_document("approved")
    black = _png((0, 0, 0, 255))
    with app.app_context():
        leader_row = db.session.get(User, demo["chutich"])
        leader_row.signature_file_id = store_bytes(black, "chu-ky-den.png", uploader=leader_row,
                                                   purpose="signature-image", media_type=sniff.PNG).id
        db.session.commit()
    before = stored(app)
    leader = app.test_client()
    login(leader, "chutich")
    refused = _sign(leader, doc_id)
    assert refused.status_code == 400 and "Ảnh chữ ký của bạn không phải màu xanh" in refused.get_data(as_text=True)
    batch = leader.post("/signatures/batch", headers={"Accept": "application/json"},
                        data={"ids": [str(doc_id)], "pin": "123456",
                              "csrf_token": csrf_token(leader, "/signatures/pending")})
    assert batch.status_code == 400 and "không phải màu xanh" in batch.json["error"]["message"]
    assert stored(app) == before
    with app.app_context():
        assert get_doc(doc_id).signed_file_id is None
        leader_row = db.session.get(User, demo["chutich"])
        leader_row.signature_file_id = store_bytes(signature_png(leader_row.full_name), "chu-ky.png",
                                                   uploader=leader_row, purpose="signature-image",
                                                   media_type=sniff.PNG).id
        db.session.commit()
    assert _sign(leader, doc_id).status_code == 302


def test_wrong_pins_lock_signing_for_a_while(app, demo, make_document):
    doc_id = make_document("approved")
    leader = app.test_client()
    login(leader, "chutich")
    answers = [_sign(leader, doc_id, pin="000000") for _ in range(MAX_PIN_FAILURES)]
    assert [a.status_code for a in answers] == [400] * (MAX_PIN_FAILURES - 1) + [429]
    assert "tạm khóa 15 phút" in answers[-1].get_data(as_text=True)
    # now even the right PIN waits: the lock does not tell a right PIN from a wrong one
    locked = _sign(leader, doc_id)
    assert locked.status_code == 429 and "tạm khóa đến" in locked.get_data(as_text=True)
    with app.app_context():
        credential = active_credential(get_doc(doc_id).organisation_id, demo["chutich"])
        assert credential.locked_until > utcnow() and get_doc(doc_id).signed_file_id is None
        credential.locked_until = utcnow() - timedelta(seconds=1)  # the quarter of an hour has passed
        db.session.commit()
    assert _sign(leader, doc_id).status_code == 302
    with app.app_context():
        credential = active_credential(get_doc(doc_id).organisation_id, demo["chutich"])
        assert (credential.failed_pins, credential.locked_until) == (0, None)


def test_a_credential_wrapped_with_the_bare_pin_still_opens_and_is_rewrapped(app, demo, make_document):
    """Credentials kept before PINs were combined with the server's secret."""
    doc_id = make_document("approved")
    with app.app_context():
        leader = db.session.get(User, demo["chutich"])
        credential = active_credential(leader.organisation_id, leader.id)
        old_blob = db.session.get(StoredFile, credential.p12_file_id)
        from edoc.signatures.credentials import _pin_password

        key = load_kept_key(read_verified(old_blob), _pin_password(leader.organisation_id, leader.id, "123456"))
        credential.p12_file_id = store_bytes(export_pkcs12(key, "123456"), "credential.p12", uploader=leader,
                                             purpose="credential", media_type="application/x-pkcs12").id
        db.session.commit()
        legacy_blob = credential.p12_file_id
        legacy_key = db.session.get(StoredFile, legacy_blob).key
    store = app.extensions["edoc_store"]
    client = app.test_client()
    login(client, "chutich")
    refused = _sign(client, doc_id, pin="000000")
    assert refused.status_code == 400  # a wrong PIN re-wraps nothing
    with app.app_context():
        assert active_credential(get_doc(doc_id).organisation_id, demo["chutich"]).p12_file_id == legacy_blob
    assert _sign(client, doc_id).status_code == 302
    with app.app_context():
        credential = active_credential(get_doc(doc_id).organisation_id, demo["chutich"])
        assert credential.p12_file_id != legacy_blob
        rewrapped = read_verified(db.session.get(StoredFile, credential.p12_file_id))
        # the blob wrapped with the bare PIN is gone, row and bytes: no offline PIN-guessing target is left
        assert db.session.get(StoredFile, legacy_blob) is None
        assert db.session.execute(select(func.count()).select_from(SigningCredential).where(
            SigningCredential.p12_file_id == legacy_blob)).scalar_one() == 0
        [audit] = db.session.execute(select(AuditEntry).where(AuditEntry.action == "credential.rewrap")).scalars()
        assert json.loads(audit.changes)["file_id"] == [legacy_blob, credential.p12_file_id]
    assert legacy_key not in set(store.keys("files/"))
    assert is_kept_key(rewrapped)  # kept in the current form, under the derived password only
    with pytest.raises(BadPassword):
        load_kept_key(rewrapped, "123456")


@pytest.mark.parametrize("whose", ["leader", "organisation"])
def test_a_credential_kept_as_pkcs12_is_kept_again_as_a_kept_key(app, demo, make_document, whose):
    """Credentials kept before kept keys were PKCS#12 files under the same derived password: the first use
    opens one the slow way (the key is checked), signs with it, and keeps it again in the current form, which
    the next use opens without the RSA key check; the PKCS#12 file is gone."""
    from edoc.signatures.credentials import _pin_password, _seal_password

    doc_id = make_document("approved")
    with app.app_context():
        leader = db.session.get(User, demo["chutich"])
        org_id = leader.organisation_id
        credential = active_credential(org_id, leader.id if whose == "leader" else None)
        password = _pin_password(org_id, leader.id, "123456") if whose == "leader" else _seal_password(org_id)
        key = load_kept_key(read_verified(db.session.get(StoredFile, credential.p12_file_id)), password)
        owner = leader if whose == "leader" else db.session.get(User, demo["quantri"])
        credential.p12_file_id = store_bytes(export_pkcs12(key, password), "credential.p12", uploader=owner,
                                             purpose="credential", media_type="application/x-pkcs12").id
        db.session.commit()
        as_pkcs12 = credential.p12_file_id
    leader_client = app.test_client()
    login(leader_client, "chutich")
    assert _sign(leader_client, doc_id).status_code == 302
    issued = _issue(app, demo, doc_id)  # the organisation's key opens at issue
    assert validate_pdf(issued, trust_roots=[]).signatures[1].intact
    with app.app_context():
        credential = active_credential(org_id, demo["chutich"] if whose == "leader" else None)
        assert credential.p12_file_id != as_pkcs12 and db.session.get(StoredFile, as_pkcs12) is None
        kept = read_verified(db.session.get(StoredFile, credential.p12_file_id))
        assert is_kept_key(kept) and load_kept_key(kept, password).certificate.dump() == key.certificate.dump()
        [audit] = db.session.execute(select(AuditEntry).where(AuditEntry.action == "credential.rewrap")).scalars()
        assert json.loads(audit.changes) == {"file_id": [as_pkcs12, credential.p12_file_id], "format": "kept-key"}


def test_the_pin_and_the_pkcs12_password_are_kept_nowhere(app, demo, make_document, caplog):
    """Keys at rest: after importing a PKCS#12 through the page and signing with the PIN (one wrong PIN too),
    neither the PIN, nor the file's password, nor the password derived from the PIN is in any table (the
    audit log included), in the log or in the store in clear; the kept blob opens with neither of them."""
    import logging

    from sqlalchemy import inspect, text

    from edoc.signatures.credentials import _pin_password
    from edoc.signatures.devca import load_or_create_ca

    pin, p12_password = "Lan-PIN-864213", "Mk-p12-975319"
    with app.app_context():
        p12 = export_pkcs12(load_or_create_ca().issue("Trần Thị Lan"), p12_password)
    doc_id = make_document("approved", signer_id=demo["phochutich"])
    caplog.set_level(logging.INFO)
    leader = app.test_client()
    login(leader, "phochutich")
    imported = leader.post("/signatures/credential", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(leader, "/signatures/credential"), "p12": (io.BytesIO(p12), "lan.p12"),
        "p12_password": p12_password, "pin": pin})
    assert imported.status_code == 302
    assert _sign(leader, doc_id, pin=pin[::-1]).status_code == 400
    assert _sign(leader, doc_id, pin=pin).status_code == 302
    with app.app_context():
        lan = db.session.get(User, demo["phochutich"])
        derived = _pin_password(lan.organisation_id, lan.id, pin)
        credential = active_credential(lan.organisation_id, lan.id)
        blob = read_verified(db.session.get(StoredFile, credential.p12_file_id))
        assert get_doc(doc_id).signed_file_id is not None
        secrets = [pin, p12_password, derived]
        tables = inspect(db.session.connection()).get_table_names()  # the session holds SQLite's lock
        assert {"audit_entry", "signing_credential", "stored_file", "user_account"} <= set(tables)
        found = []
        control = "Trần Thị Lan"  # the certificate's subject is kept: the search does find what is there
        for table in tables:
            for row in db.session.execute(text(f'SELECT * FROM "{table}"')):
                for value in row:
                    data = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
                    found += [(table, secret) for secret in [*secrets, control] if secret.encode() in data]
        assert ("signing_credential", control) in found
        assert [(table, secret) for table, secret in found if secret != control] == []
        assert db.session.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "credential.add")).scalar_one() >= 1  # the audit log was there to look in
    assert not [secret for secret in secrets if secret in caplog.text]
    store = app.extensions["edoc_store"]
    for key in store.keys("files/"):
        data = store.read_bytes(key)
        assert not [secret for secret in secrets if secret.encode() in data], key
    # the blob is wrapped with the derived password only
    for wrong in (pin, p12_password):
        with pytest.raises(BadPassword):
            load_kept_key(blob, wrong)
    assert load_kept_key(blob, derived).certificate.subject.native["common_name"] == "Trần Thị Lan"


def test_a_document_signed_on_paper_is_issued_without_the_seal_image(app, demo, make_document):
    """Approved and signed on paper: no signer's signature to seal over; the organisation signs the digitised
    document (text and scan) at the top right, with the number (sig_paper), not with the seal image."""
    doc_id = make_document("approved", paper=True)
    issued = _issue(app, demo, doc_id)
    assert [s.field for s in validate_pdf(issued, trust_roots=[]).signatures] == ["sig_paper"]


def test_a_signed_document_is_not_issued_without_the_organisations_signature(app, demo, make_document):
    doc_id = make_document("approved")
    leader = app.test_client()
    login(leader, "chutich")
    assert _sign(leader, doc_id).status_code == 302
    with app.app_context():
        org_id = get_doc(doc_id).organisation_id
        active_credential(org_id, None).active = False
        db.session.commit()
        files_before, counters_before = _count(StoredFile), db.session.execute(
            select(func.coalesce(func.sum(RegisterCounter.last_number), 0))).scalar_one()
    clerk = app.test_client()
    login(clerk, "vanthu")
    refused = clerk.post(f"/documents/{doc_id}/issue", data={"csrf_token": csrf_token(clerk, f"/documents/{doc_id}")})
    assert refused.status_code == 400 and "chưa có chứng thư số của cơ quan" in refused.get_data(as_text=True)
    with app.app_context():
        doc = get_doc(doc_id)
        assert (doc.status, doc.number, doc.issued_file_id) == (Status.APPROVED.value, None, None)
        assert _count(StoredFile) == files_before
        assert db.session.execute(select(func.coalesce(func.sum(RegisterCounter.last_number), 0))).scalar_one() \
            == counters_before


def test_pdf_attachments_get_the_organisations_signature_at_issue(app, demo, make_document, tmp_path):
    from weasyprint import HTML

    doc_id = make_document("draft")
    annex = HTML(string="<p>PHỤ LỤC: Danh sách công đoàn cơ sở</p>").write_pdf()
    with app.app_context():
        drafter = db.session.get(User, demo["chuyenvien"])
        doc = get_doc(doc_id)
        sources.add_attachment(drafter, doc, io.BytesIO(annex), "phu-luc.pdf", "Phụ lục 1")
        review.submit(drafter, doc)
        review.approve(db.session.get(User, demo["chutich"]), doc)
        db.session.commit()
    leader = app.test_client()
    login(leader, "chutich")
    assert _sign(leader, doc_id).status_code == 302
    _issue(app, demo, doc_id)
    with app.app_context():
        doc = get_doc(doc_id)
        [attachment] = doc.attachments
        signed = read_verified(attachment.issued_file)
        assert read_verified(attachment.file) == annex  # the original is kept as it was
        reference = doc.reference
        [report] = validate_pdf(signed, trust_roots=trust_roots(doc.organisation_id)).signatures
    assert report.ok and report.signer == "LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM" and report.field == "sig_attachment"
    box = field_boxes(signed)["sig_attachment"]
    assert box.page == 0 and box.box[2] > 595 - 30 * MM and box.box[3] > 842 - 30 * MM  # top right of page 1
    require_tool("pdftotext", "poppler-utils")
    (tmp_path / "annex.pdf").write_bytes(signed)
    text = subprocess.run(["pdftotext", str(tmp_path / "annex.pdf"), "-"], capture_output=True, text=True).stdout
    assert reference in text and report.signing_time in text  # "2026-12-01T10:15:02+07:00"
    assert report.signing_time.endswith("+07:00")


def _uploaded_document(app, demo, pdf: bytes) -> int:
    """An approved draft whose PDF was uploaded (no signature field of the renderer)."""
    with app.app_context():
        drafter = db.session.get(User, demo["chuyenvien"])
        row = store_bytes(pdf, "bao-cao.pdf", uploader=drafter, purpose="document-source", media_type=sniff.PDF)
        doc = drafting.create_draft(drafter, draft_data(demo, type_code="BC", recipients=[]), source="pdf",
                                     source_file=row,
                                     pdf_file=row)
        review.submit(drafter, doc)
        review.approve(db.session.get(User, demo["chutich"]), doc)
        db.session.commit()
        return doc.id


def _report_pdf(signer_name: str, space_mm: float = 30) -> bytes:
    from weasyprint import HTML

    return HTML(string=f"""<html><body style="font-family: 'Liberation Serif'; font-size: 13pt">
        <p>Số: /BC-LĐLĐ</p><p>Gia Lâm, ngày tháng năm 2026</p><h3>BÁO CÁO</h3><p>Nội dung báo cáo.</p>
        <p style="margin-left: 60%; text-align: center"><b>CHỦ TỊCH</b></p>
        <p style="margin-left: 60%; margin-top: {space_mm}mm; text-align: center"><b>{signer_name}</b></p>
        </body></html>""").write_pdf()


def test_an_uploaded_pdf_is_signed_above_the_signers_name(app, demo):
    doc_id = _uploaded_document(app, demo, _report_pdf("Nguyễn Văn Hùng"))
    leader = app.test_client()
    login(leader, "chutich")
    assert _sign(leader, doc_id).status_code == 302
    with app.app_context():
        signed = read_verified(get_doc(doc_id).signed_file)
    box = field_boxes(signed)["sig_signer"]
    assert box.page == 0 and box.box[0] > 595 * 0.5  # in the signer's column, right half of the page
    [report] = validate_pdf(signed, trust_roots=[]).signatures
    assert report.intact and report.signer == "Nguyễn Văn Hùng"


def test_an_uploaded_pdf_with_the_title_close_above_the_name(app, demo):
    """The box shrinks to fit between title and name; with no room at all, the signer is asked for a place."""
    cramped = _uploaded_document(app, demo, _report_pdf("Nguyễn Văn Hùng", space_mm=16))
    no_room = _uploaded_document(app, demo, _report_pdf("Nguyễn Văn Hùng", space_mm=0))
    leader = app.test_client()
    login(leader, "chutich")
    assert _sign(leader, cramped).status_code == 302
    with app.app_context():
        box = field_boxes(read_verified(get_doc(cramped).signed_file))["sig_signer"]
    assert 8 * MM <= box.box[3] - box.box[1] < 22 * MM
    refused = _sign(leader, no_room)
    assert refused.status_code == 400
    assert ("Tệp không có ô chữ ký và không đủ chỗ giữa chức danh và họ tên “Nguyễn Văn Hùng” để đặt chữ ký; hãy "
            "chọn vị trí ký trên trang.") in refused.get_data(as_text=True)
    with app.app_context():
        assert get_doc(no_room).signed_file_id is None


def test_an_uploaded_pdf_without_the_name_is_signed_where_the_signer_clicks(app, demo):
    doc_id = _uploaded_document(app, demo, _report_pdf("Người Khác"))
    leader = app.test_client()
    login(leader, "chutich")
    refused = _sign(leader, doc_id)
    assert refused.status_code == 400 and "hãy chọn vị trí ký trên trang" in refused.get_data(as_text=True)
    with app.app_context():
        assert get_doc(doc_id).signed_file_id is None
    page = leader.get(f"/signatures/place/{doc_id}")
    assert page.status_code == 200 and "Chọn vị trí chữ ký" in page.get_data(as_text=True)
    image = leader.get(f"/signatures/page/{doc_id}/1.png")
    assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    assert leader.get(f"/signatures/page/{doc_id}/9.png").status_code == 400  # the PDF has one page
    assert _sign(leader, doc_id, page="1", x="nan", y="200").status_code == 400
    assert _sign(leader, doc_id, page="1", x="420", y="300").status_code == 302
    with app.app_context():
        box = field_boxes(read_verified(get_doc(doc_id).signed_file))["sig_signer"]
    x1, y1, x2, y2 = box.box
    assert box.page == 0 and abs((x1 + x2) / 2 - 420) < 1 and abs((y1 + y2) / 2 - 300) < 1
    assert abs((x2 - x1) - 56 * MM) < 1
    # only the signer sees the pages to choose from
    other = app.test_client()
    login(other, "phochutich")
    assert other.get(f"/signatures/page/{doc_id}/1.png").status_code == 404
    assert other.get(f"/signatures/place/{doc_id}").status_code == 404


def test_batch_signing_reports_progress_per_document(app, demo, make_document):
    ids = [make_document("approved") for _ in range(3)]
    foreign = make_document("approved", signer_id=demo["phochutich"])
    leader = app.test_client()
    login(leader, "chutich")
    socket = app.extensions["socketio"].test_client(app, flask_test_client=leader)
    socket.get_received()
    response = leader.post("/signatures/batch", headers={"Accept": "application/json"},
                           data={"ids": [str(i) for i in [*ids, foreign]], "pin": "123456",
                                 "csrf_token": csrf_token(leader, "/signatures/pending")})
    assert response.status_code == 200 and response.json["signed"] == 3 and len(response.json["errors"]) == 1
    events = [m["args"][0] for m in socket.get_received() if m["name"] == "signing.progress"]
    assert [e["done"] for e in events] == [1, 2, 3, 4] and all(e["total"] == 4 for e in events)
    assert [e["error"] is None for e in events] == [True, True, True, False]
    # the answer repeats each outcome, so the page ends right even when an event comes after it
    assert [(r["document_id"], r["error"] is None) for r in response.json["results"]] == \
        [(ids[0], True), (ids[1], True), (ids[2], True), (foreign, False)]
    with app.app_context():
        assert all(get_doc(i).signed_file_id for i in ids) and get_doc(foreign).signed_file_id is None
    bad_pin = leader.post("/signatures/batch", headers={"Accept": "application/json"},
                          data={"ids": [str(foreign)], "pin": "999999",
                                "csrf_token": csrf_token(leader, "/signatures/pending")})
    assert bad_pin.status_code == 400 and bad_pin.json["error"]["message"] == "Mã PIN ký số không đúng."
    nothing = leader.post("/signatures/batch", headers={"Accept": "application/json"},
                          data={"pin": "123456", "csrf_token": csrf_token(leader, "/signatures/pending")})
    assert nothing.status_code == 400 and "Chọn ít nhất một văn bản" in nothing.json["error"]["message"]


def test_an_unexpected_failure_on_one_document_does_not_stop_the_batch(app, demo, make_document, monkeypatch,
                                                                     caplog):
    """Storage failing for the second of three documents (after its signed bytes were put): that document is
    rolled back with its bytes, the other two are signed, and the page gets every outcome (200), not a 500."""
    import logging

    from edoc.documents import batch_signing, signing

    ids = [make_document("approved") for _ in range(3)]
    real_store_bytes = signing.store_bytes

    def failing_store_bytes(data: bytes, filename: str, **kwargs: object):
        row = real_store_bytes(data, filename, **kwargs)  # the object is in the store when the failure comes
        if filename == f"da-ky-{ids[1]}.pdf":
            raise OSError("injected: the object store went away")
        return row

    monkeypatch.setattr(signing, "store_bytes", failing_store_bytes)
    before = stored(app)
    leader = app.test_client()
    login(leader, "chutich")
    caplog.set_level(logging.ERROR, logger="edoc.documents.batch_signing")
    response = leader.post("/signatures/batch", headers={"Accept": "application/json"},
                           data={"ids": [str(i) for i in ids], "pin": "123456",
                                 "csrf_token": csrf_token(leader, "/signatures/pending")})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert (response.json["signed"], response.json["total"]) == (2, 3)
    assert response.json["errors"] == [f"#{ids[1]}: {batch_signing.BATCH_FAILURE}"]
    assert [(r["document_id"], r["error"]) for r in response.json["results"]] == [
        (ids[0], None), (ids[1], batch_signing.BATCH_FAILURE), (ids[2], None)]
    assert "Lỗi hệ thống" in batch_signing.BATCH_FAILURE and "injected" not in response.get_data(as_text=True)
    with app.app_context():
        assert get_doc(ids[0]).signed_file_id and get_doc(ids[2]).signed_file_id
        assert get_doc(ids[1]).signed_file_id is None and get_doc(ids[1]).status == Status.APPROVED.value
    # two signed files kept (rows and objects); the failed document's object was deleted with its rollback
    assert stored(app) == (before[0] + 2, before[1] + 2)
    [logged] = [r for r in caplog.records if r.name == "edoc.documents.batch_signing"]
    assert str(ids[1]) in logged.getMessage() and logged.exc_info and "injected" in str(logged.exc_info[1])
    # the failed one is signed once the store is back
    monkeypatch.setattr(signing, "store_bytes", real_store_bytes)
    again = leader.post("/signatures/batch", headers={"Accept": "application/json"},
                        data={"ids": [str(ids[1])], "pin": "123456",
                              "csrf_token": csrf_token(leader, "/signatures/pending")})
    assert again.status_code == 200 and again.json["signed"] == 1


def test_validation_page_reports_and_stores(app, demo, make_document):
    doc_id = make_document("approved")
    leader = app.test_client()
    login(leader, "chutich")
    _sign(leader, doc_id)
    issued = _issue(app, demo, doc_id)
    checker = app.test_client()
    login(checker, "daibieu")

    def check(data: bytes, name: str = "kiem-tra.pdf"):
        return checker.post("/signatures/validate", content_type="multipart/form-data", data={
            "csrf_token": csrf_token(checker, "/signatures/validate"), "file": (io.BytesIO(data), name)})

    good = check(issued).get_data(as_text=True)
    assert "Tất cả chữ ký hợp lệ" in good and "Nguyễn Văn Hùng" in good and "chỉ điền biểu mẫu" in good
    middle = len(issued) // 4
    tampered = issued[:middle] + bytes([issued[middle] ^ 1]) + issued[middle + 1:]
    assert "ĐÃ BỊ THAY ĐỔI" in check(tampered).get_data(as_text=True)
    assert check(b"not a pdf at all").status_code == 415
    with app.app_context():
        rows = db.session.execute(select(ValidationRecord).where(ValidationRecord.context == "upload")
                                  .order_by(ValidationRecord.id)).scalars().all()
        assert [r.all_valid for r in rows] == [True, False]
        assert json.loads(rows[0].report)["signatures"][1]["field"] == "sig_seal"


def _encrypted(pdf: bytes) -> bytes:
    from pyhanko.pdf_utils.crypt import StandardSecurityHandler
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.writer import copy_into_new_writer

    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(pdf)))
    writer._assign_security_handler(StandardSecurityHandler.build_from_pw("owner", "user"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _broken_signature(pdf: bytes) -> bytes:
    """``pdf`` signed elsewhere (by a CA we do not know), then one signed byte changed: the binary comment on
    the second line, so the file still reads and its text is the same, but the signature no longer matches."""
    from signing.placement import Placement
    from signing.sign import sign_pdf

    signed = sign_pdf(pdf, create_ca(name="CA nơi khác").issue("Trần Văn Khách"), field="sig_khac",
                      placement=Placement(0, (40.0, 40.0, 160.0, 80.0)))
    assert signed[9:10] == b"%" and signed[10] > 127
    tampered = signed[:10] + bytes([signed[10] ^ 1]) + signed[11:]
    [report] = validate_pdf(tampered, trust_roots=[]).signatures
    assert report.verdict == "broken" and not report.intact
    return tampered


def test_encrypted_pdfs_and_broken_signatures_are_refused_on_the_way_in(app, demo, make_document):
    """As a draft (page and API), as an attachment, or to be checked: an encrypted PDF, and a PDF whose
    existing signature no longer matches its bytes, get a clear 4xx and nothing is stored."""
    from tests.documents.conftest import DRAFT_LINES, api_token, simple_pdf
    from tests.documents.test_uploads import _form

    draft = simple_pdf(DRAFT_LINES)
    encrypted, broken = _encrypted(draft), _broken_signature(draft)
    # (file, what a draft upload says, what an attachment upload says): the draft's own check says "được mã
    # hóa (đặt mật khẩu)" and refuses any signed PDF (its number and date fields would come after a signature);
    # the attachment's is the signing library's, which the organisation's signature at issue would meet
    cases = [(encrypted, "được mã hóa", "được mã hóa (có mật khẩu)"),
             (broken, "tệp PDF đã được ký số", "chữ ký số “sig_khac” đã có trong tệp không còn nguyên vẹn")]
    doc_id = make_document("draft")
    client = app.test_client()
    login(client, "chuyenvien")
    headers = api_token(app, demo["chuyenvien"])
    with app.app_context():
        documents_before = _count(OutgoingDocument)
        versions_before = len(get_doc(doc_id).versions)
    before = stored(app)
    for pdf, as_draft, as_attachment in cases:
        new = client.post("/documents/new", content_type="multipart/form-data", data={
            **_form(app, demo), "source": (io.BytesIO(pdf), "du-thao.pdf"),
            "csrf_token": csrf_token(client, "/documents/new")})
        assert new.status_code == 400 and as_draft in new.get_data(as_text=True), as_draft
        version = app.test_client().post(f"/api/v1/documents/{doc_id}/versions", headers=headers,
                                         content_type="multipart/form-data",
                                         data={"file": (io.BytesIO(pdf), "du-thao.pdf"), "note": "Bản PDF"})
        assert version.status_code == 400 and as_draft in version.json["error"]["message"], version.json
        attached = client.post(f"/documents/{doc_id}/attachments", content_type="multipart/form-data", data={
            "csrf_token": csrf_token(client, f"/documents/{doc_id}"), "file": (io.BytesIO(pdf), "phu-luc.pdf"),
            "title": "Phụ lục"})
        page = attached.get_data(as_text=True)
        assert attached.status_code == 400 and as_attachment in page and "“phu-luc.pdf”" in page, as_attachment
    checked = client.post("/signatures/validate", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, "/signatures/validate"),
        "file": (io.BytesIO(encrypted), "kiem-tra.pdf")})
    assert checked.status_code == 400 and "được mã hóa" in checked.get_data(as_text=True)
    assert stored(app) == before
    with app.app_context():
        assert _count(OutgoingDocument) == documents_before
        assert len(get_doc(doc_id).versions) == versions_before and get_doc(doc_id).attachments == []
        assert _count(ValidationRecord) == 0
    # a tampered file can still be checked: that is what the check is for, and its report is kept
    report = client.post("/signatures/validate", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, "/signatures/validate"),
        "file": (io.BytesIO(broken), "kiem-tra.pdf")})
    assert report.status_code == 200 and "ĐÃ BỊ THAY ĐỔI" in report.get_data(as_text=True)


def test_signing_a_stored_pdf_that_is_encrypted_or_has_a_broken_signature_is_refused(app, demo):
    """Files that were let in before these checks (stored as they are here): signing refuses them with the
    reason, and the document and the store are unchanged."""
    from tests.documents.conftest import DRAFT_LINES, simple_pdf

    draft = simple_pdf(DRAFT_LINES)
    leader = app.test_client()
    login(leader, "chutich")
    for message, pdf in (("được mã hóa", _encrypted(draft)),
                         ("không còn nguyên vẹn", _broken_signature(_report_pdf("Nguyễn Văn Hùng")))):
        doc_id = _uploaded_document(app, demo, pdf)
        before = stored(app)
        refused = _sign(leader, doc_id)
        assert refused.status_code == 400 and message in refused.get_data(as_text=True), message
        assert stored(app) == before
        with app.app_context():
            doc = get_doc(doc_id)
            assert (doc.status, doc.signed_file_id, read_verified(doc.current_version.pdf_file)) == (
                Status.APPROVED.value, None, pdf)


def test_an_expired_or_untrusted_certificate_is_refused_at_signing(app, demo, make_document):
    """Certificates pass their checks at import; one that has expired since, or whose root the admin has
    removed from the trust store since, is refused when signing (one document or a batch), the documents
    unchanged."""
    from datetime import UTC, datetime

    from edoc.signatures.devca import load_or_create_ca

    ids = [make_document("approved") for _ in range(2)]
    leader = app.test_client()
    login(leader, "chutich")

    def refused_everywhere(message: str) -> None:
        before = stored(app)
        one = _sign(leader, ids[0])
        assert one.status_code == 400 and message in one.get_data(as_text=True), one.get_data(as_text=True)[:800]
        batch = leader.post("/signatures/batch", headers={"Accept": "application/json"},
                            data={"ids": [str(i) for i in ids], "pin": "123456",
                                  "csrf_token": csrf_token(leader, "/signatures/pending")})
        assert batch.status_code == 200 and batch.json["signed"] == 0
        assert [message in (r["error"] or "") for r in batch.json["results"]] == [True, True], batch.json
        assert stored(app) == before
        with app.app_context():
            assert all(get_doc(i).signed_file_id is None and get_doc(i).status == Status.APPROVED.value
                       for i in ids)

    # the demo's root leaves the trust store (the admin's page): the credential no longer chains to a root
    admin = app.test_client()
    login(admin, "quantri")
    with app.app_context():
        [root_id] = db.session.execute(select(TrustedRoot.id)).scalars()
    assert admin.post(f"/signatures/trust/{root_id}/delete",
                      data={"csrf_token": csrf_token(admin, "/signatures/trust")}).status_code == 302
    refused_everywhere("không thuộc tổ chức cung cấp dịch vụ tin cậy")
    assert "cần thêm chứng thư gốc" in _sign(leader, ids[0]).get_data(as_text=True)

    # trusted again, but the leader's certificate has expired since it was kept (kept through the service,
    # as import would refuse it today)
    with app.app_context():
        ca = load_or_create_ca()
        leader_row = db.session.get(User, demo["chutich"])
        add_trusted_root(None, leader_row.organisation, ca.der(), "edoc DEVELOPMENT CA")
        expired = ca.issue(leader_row.full_name, valid_from=datetime.now(UTC) - timedelta(days=400), days=30)
        save_credential(None, leader_row.organisation, expired, user=leader_row, pin="123456", source="devca")
        db.session.commit()
    refused_everywhere("đã hết hạn")
    # with a valid certificate again, the same documents sign
    with app.app_context():
        leader_row = db.session.get(User, demo["chutich"])
        save_credential(None, leader_row.organisation, load_or_create_ca().issue(leader_row.full_name),
                        user=leader_row, pin="123456", source="devca")
        db.session.commit()
    assert _sign(leader, ids[0]).status_code == 302


def test_keys_are_never_downloadable_and_the_organisations_page_is_admin_only(app, demo):
    with app.app_context():
        credential = db.session.execute(select(SigningCredential).where(
            SigningCredential.user_id == demo["chutich"])).scalar_one()
        blob = db.session.get(StoredFile, credential.p12_file_id)
        assert blob.purpose == "credential"
    for person in ("chutich", "quantri"):
        client = app.test_client()
        login(client, person)
        assert client.get(f"/files/{blob.id}").status_code == 404
    clerk = app.test_client()
    login(clerk, "vanthu")
    assert clerk.get("/signatures/trust").status_code == 403
    for path in ("/signatures/trust", "/signatures/organisation/seal", "/signatures/organisation/credential",
                 "/signatures/trust/1/delete"):
        assert clerk.post(path, data={"csrf_token": csrf_token(clerk, "/")}).status_code == 403


def test_admin_adds_and_removes_trusted_roots(app, demo):
    admin = app.test_client()
    login(admin, "quantri")
    page = admin.get("/signatures/trust").get_data(as_text=True)
    assert "edoc DEVELOPMENT CA" in page and "Chứng thư số của cơ quan" in page

    def add(data: bytes, name: str = "root.pem"):
        return admin.post("/signatures/trust", content_type="multipart/form-data", data={
            "csrf_token": csrf_token(admin, "/signatures/trust"), "file": (io.BytesIO(data), name),
            "name": "Gốc thử"})

    with app.app_context():
        before = _count(TrustedRoot)
    bad = add(b"not a certificate")
    assert bad.status_code == 400 and "không phải chứng thư số" in bad.get_data(as_text=True)
    assert add(b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n").status_code == 400
    other_ca = create_ca(name="Gốc thử nghiệm khác")
    assert add(other_ca.pem()).status_code == 302
    assert add(other_ca.pem()).status_code == 302  # the same root twice is kept once
    with app.app_context():
        assert _count(TrustedRoot) == before + 1
        root_id = db.session.execute(select(TrustedRoot.id).where(TrustedRoot.name == "Gốc thử")).scalar_one()
    removed = admin.post(f"/signatures/trust/{root_id}/delete", data={"csrf_token": csrf_token(admin, "/")})
    assert removed.status_code == 302
    assert admin.post(f"/signatures/trust/{root_id}/delete",
                      data={"csrf_token": csrf_token(admin, "/")}).status_code == 404
    with app.app_context():
        assert _count(TrustedRoot) == before


def test_admin_adds_a_bundle_of_roots_and_no_certificate_that_is_not_a_ca(app, demo):
    """National root CA files often hold several certificates (the root and the CAs under it): each is added,
    and the page says how many. A person's certificate (basicConstraints cA false) is no root: a file holding
    one is refused whole, as is a PEM with anything but certificates in it."""
    from asn1crypto import pem

    admin = app.test_client()
    login(admin, "quantri")

    def add(data: bytes, name: str = "Gốc quốc gia"):
        return admin.post("/signatures/trust", content_type="multipart/form-data", follow_redirects=True, data={
            "csrf_token": csrf_token(admin, "/signatures/trust"), "file": (io.BytesIO(data), "bundle.pem"),
            "name": name})

    def roots() -> set[str]:
        with app.app_context():
            return set(db.session.execute(select(TrustedRoot.fingerprint)).scalars())

    national = create_ca(name="Root CA thử nghiệm quốc gia", path_length=1)
    provider = national.subordinate("CA thử nghiệm của nhà cung cấp")
    other = create_ca(name="Root CA thử nghiệm khác")
    person = provider.issue("Nguyễn Văn Hùng")
    person_pem = pem.armor("CERTIFICATE", person.certificate.dump())
    before = roots()

    refused = add(other.pem() + person_pem)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "không phải chứng thư của tổ chức cấp chứng thư (CA)" in page
    assert "Nguyễn Văn Hùng" in page and "không chứng thư nào trong tệp được thêm" in page
    key_block = pem.armor("PRIVATE KEY", b"\x30\x03\x02\x01\x00")
    with_key = add(other.pem() + key_block)
    assert with_key.status_code == 400 and "khối “PRIVATE KEY”" in with_key.get_data(as_text=True)
    lone_person = add(person_pem)
    assert lone_person.status_code == 400 and "(CA)" in lone_person.get_data(as_text=True)
    assert roots() == before

    bundle = b"# Chung thu goc quoc gia\n" + national.pem() + b"\n" + provider.pem() + other.pem()
    answer = add(bundle)
    assert answer.status_code == 200 and "Đã thêm 3 chứng thư gốc tin cậy." in answer.get_data(as_text=True)
    added = roots() - before
    assert added == {hashlib.sha256(ca.der()).hexdigest() for ca in (national, provider, other)}
    with app.app_context():
        names = set(db.session.execute(select(TrustedRoot.name).where(TrustedRoot.fingerprint.in_(added))).scalars())
        assert names == {"Gốc quốc gia: Root CA thử nghiệm quốc gia", "Gốc quốc gia: CA thử nghiệm của nhà cung cấp",
                         "Gốc quốc gia: Root CA thử nghiệm khác"}
        assert db.session.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "trust.add")).scalar_one() >= 3
    again = add(national.pem() + create_ca(name="Root CA mới").pem())
    assert "Đã thêm 1 chứng thư gốc tin cậy; 1 chứng thư khác đã có trong danh sách." in again.get_data(as_text=True)
    same = add(provider.pem())
    assert "Không thêm chứng thư nào: 1 chứng thư trong tệp đã có" in same.get_data(as_text=True)
    assert len(roots() - before) == 4
    # a person signing with a certificate from the provider's CA is now trusted up to the national root
    with app.app_context():
        org_id = db.session.get(User, demo["quantri"]).organisation_id
        from edoc.signatures.trust import check_certificate

        check_certificate(org_id, person)


def test_admin_sets_the_seal_image_and_bad_images_are_refused(app, demo):
    admin = app.test_client()
    login(admin, "quantri")

    def send(data: bytes, mm: str = "38"):
        return admin.post("/signatures/organisation/seal", content_type="multipart/form-data", data={
            "csrf_token": csrf_token(admin, "/signatures/trust"), "seal": (io.BytesIO(data), "con-dau.png"),
            "seal_mm": mm})

    with app.app_context():
        files_before = _count(StoredFile)
    red = _png((210, 25, 30, 255))
    # (message, status): not a PNG at all is an unsupported type, like any upload of the wrong kind
    cases = {
        ("Ảnh con dấu phải là tệp PNG", 415): send(_gif()),
        ("không phải ảnh PNG hợp lệ", 415): send(b"GIF89a not an image at all"),
        ("hỏng hoặc không đọc được", 415): send(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40),
        ("nền trong suốt", 400): send(_png((210, 25, 30, 255), opaque=True)),
        ("màu đỏ", 400): send(_png((20, 40, 180, 255))),
        ("Đường kính con dấu", 400): send(red, mm="400"),
        ("Nhập đường kính", 400): send(red, mm="ba mươi"),
    }
    for (expected, status), answer in cases.items():
        assert answer.status_code == status and expected in answer.get_data(as_text=True), expected
    with app.app_context():
        assert _count(StoredFile) == files_before
    assert send(red, mm="38,5").status_code == 302
    with app.app_context():
        org = db.session.get(User, demo["quantri"]).organisation
        assert org.seal_mm == 38.5 and read_verified(db.session.get(StoredFile, org.seal_file_id)) == red


def test_import_pkcs12_checks_password_pin_validity_and_trust(app, demo):
    from datetime import UTC, datetime

    from edoc.signatures.devca import load_or_create_ca

    with app.app_context():
        demo_ca = load_or_create_ca()
    good = export_pkcs12(demo_ca.issue("Phạm Quốc Bảo"), "p12-pass")
    expired = export_pkcs12(demo_ca.issue("Phạm Quốc Bảo", valid_from=datetime.now(UTC) - timedelta(days=400),
                                          days=30), "p12-pass")
    stranger = export_pkcs12(create_ca(name="CA lạ").issue("Phạm Quốc Bảo"), "p12-pass")
    client = app.test_client()
    login(client, "chuyenvien")

    def send(p12: bytes, password: str, pin: str):
        return client.post("/signatures/credential", content_type="multipart/form-data", data={
            "csrf_token": csrf_token(client, "/signatures/credential"), "p12": (io.BytesIO(p12), "cts.p12"),
            "p12_password": password, "pin": pin})

    with app.app_context():
        files_before = _count(StoredFile)
    cases = {
        "sai mật khẩu": send(good, "wrong", "123456"),
        "ít nhất 6 ký tự": send(good, "p12-pass", "12"),
        "đã hết hạn": send(expired, "p12-pass", "123456"),
        "chứng thư gốc": send(stranger, "p12-pass", "123456"),
        "không phải PKCS#12": send(b"not a pkcs12 file", "x", "123456"),
    }
    for expected, answer in cases.items():
        assert answer.status_code == 400 and expected in answer.get_data(as_text=True), (expected, answer.data[:300])
    with app.app_context():
        assert _count(StoredFile) == files_before
        assert active_credential(db.session.get(User, demo["chuyenvien"]).organisation_id,
                                 demo["chuyenvien"]) is None
    assert send(good, "p12-pass", "654321").status_code == 302
    with app.app_context():
        assert db.session.execute(select(SigningCredential.subject).where(
            SigningCredential.user_id == demo["chuyenvien"])).scalar_one() == "Phạm Quốc Bảo"
    assert "Phạm Quốc Bảo" in client.get("/signatures/credential").get_data(as_text=True)


def test_signing_and_validation_through_the_api(app, demo, make_document):
    from edoc.accounts.service import create_api_token

    doc_id = make_document("approved")
    with app.app_context():
        token = create_api_token(db.session.get(User, demo["chutich"]), "ký số")[1]
    api = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    assert api.post(f"/api/v1/documents/{doc_id}/sign", json={"pin": "000000"}, headers=auth).status_code == 400
    assert api.post(f"/api/v1/documents/{doc_id}/sign", json=["123456"], headers=auth).status_code == 400
    assert api.post(f"/api/v1/documents/{doc_id}/sign", json={"pin": "123456", "placement": {"page": "x"}},
                    headers=auth).status_code == 400
    assert api.post(f"/api/v1/documents/{doc_id}/sign", json={"pin": "123456"}, headers=auth).status_code == 200
    again = api.post(f"/api/v1/documents/{doc_id}/sign", json={"pin": "123456"}, headers=auth)
    assert again.status_code == 403  # already signed: nothing to do twice
    issued = _issue(app, demo, doc_id)
    report = api.post("/api/v1/signatures/validate", headers=auth, content_type="multipart/form-data",
                      data={"file": (io.BytesIO(issued), "van-ban.pdf")})
    assert report.status_code == 200 and report.json["all_valid"] is True
    assert [s["field"] for s in report.json["signatures"]] == ["sig_signer", "sig_seal"]
    kept = api.get(f"/api/v1/documents/{doc_id}/signatures", headers=auth)
    assert kept.status_code == 200 and [r["context"] for r in kept.json["reports"]] == ["issued"]
    assert kept.json["reports"][0]["all_valid"] is True


# --- timestamps, revocation and tokens, against real services on loopback ------------------------------------
# These scenarios exercise the signing setup, not the database: they run on SQLite only.

sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def services():
    """A development CA whose certificates name its CRL and OCSP responder, and a TSA, all on loopback."""
    from signing.devservices import DevServices

    ca = create_ca(name="edoc TEST CA - NOT A LEGAL CA")
    with DevServices(ca) as running:
        yield running


def _use_ca(app, demo, ca) -> None:
    """The organisation trusts ``ca`` only; the leader and the organisation get certificates from it."""
    with app.app_context():
        leader = db.session.get(User, demo["chutich"])
        org = leader.organisation
        db.session.execute(TrustedRoot.__table__.delete())
        add_trusted_root(None, org, ca.der(), "test CA")
        save_credential(None, org, ca.issue(leader.full_name, organisation=org.name), user=leader, pin="123456",
                        source="pkcs12")
        admin = db.session.get(User, demo["quantri"])
        save_credential(admin, org, ca.issue(org.name, organisation=org.name), user=None, pin=None, source="pkcs12")
        db.session.commit()


def _app_trusting(ca, settings_env, demo_free_app_factory, **env: str):
    """An app with the demo organisation, built with extra settings, trusting ``ca`` only (see ``_use_ca``)."""
    from edoc.demo import load_demo

    app = demo_free_app_factory({**settings_env, **env})
    with app.app_context():
        demo = {u.username: u.id for u in load_demo().users}
    _use_ca(app, demo, ca)
    return app, demo


def _approved_in(app, demo) -> int:
    with app.app_context():
        drafter = db.session.get(User, demo["chuyenvien"])
        doc = drafting.create_draft(drafter, draft_data(demo, recipients=[]))
        sources.render_version(doc)
        review.submit(drafter, doc)
        review.approve(db.session.get(User, demo["chutich"]), doc)
        db.session.commit()
        return doc.id


@sqlite_only
def test_with_a_timestamp_authority_the_issued_file_is_long_term(settings_env, demo_free_app_factory, services):
    """B-T signatures with revocation data embedded (B-LT), closed by a document timestamp (B-LTA); the
    report comes out the same offline."""
    app, demo = _app_trusting(services.ca, settings_env, demo_free_app_factory, EDOC_TSA_URL=services.tsa_url,
                              EDOC_SIGNING_REVOCATION="hard")
    doc_id = _approved_in(app, demo)
    leader = app.test_client()
    login(leader, "chutich")
    assert _sign(leader, doc_id).status_code == 302
    issued = _issue(app, demo, doc_id)
    report = validate_pdf(issued, trust_roots=[services.ca.root], allow_fetching=False)
    assert report.all_valid, report.to_json()
    assert [s.pades_level for s in report.signatures] == ["B-LTA", "B-LTA"]
    assert all(s.timestamp and s.timestamp_valid for s in report.signatures)
    assert len(report.timestamps) == 1 and report.timestamps[0].ok


@sqlite_only
def test_tsa_down_and_revoked_certificate_refuse_signing_and_store_nothing(settings_env, demo_free_app_factory,
                                                                          services):
    app, demo = _app_trusting(services.ca, settings_env, demo_free_app_factory, EDOC_TSA_URL=services.tsa_url)
    doc_id = _approved_in(app, demo)
    with app.app_context():
        files_before = _count(StoredFile)
    leader = app.test_client()
    login(leader, "chutich")
    services.tsa_down = True
    try:
        down = _sign(leader, doc_id)
    finally:
        services.tsa_down = False
    assert down.status_code == 400 and "dấu thời gian" in down.get_data(as_text=True)
    with app.app_context():
        credential = active_credential(db.session.get(User, demo["chutich"]).organisation_id, demo["chutich"])
        services.ca.revoke(int(credential.serial))
    revoked = _sign(leader, doc_id)
    assert revoked.status_code == 400 and "thu hồi" in revoked.get_data(as_text=True)
    with app.app_context():
        assert get_doc(doc_id).signed_file_id is None and _count(StoredFile) == files_before


@pytest.fixture(scope="module")
def softhsm(tmp_path_factory):
    """A SoftHSM2 token, standing for the HSM or token on the server."""
    from tests.support.softhsm import softhsm_token

    return softhsm_token(tmp_path_factory, "edoc-app", pin="246810")


@sqlite_only
def test_a_leader_signs_with_a_key_on_the_servers_token(settings_env, demo_free_app_factory, softhsm, services):
    from signing.tokens import import_to_token

    app, demo = _app_trusting(services.ca, settings_env, demo_free_app_factory, EDOC_PKCS11_MODULE=softhsm)
    import_to_token(softhsm, services.ca.issue("Nguyễn Văn Hùng", key_type="rsa"), pin="246810",
                    label="chu-tich", token_label="edoc-app")
    leader = app.test_client()
    login(leader, "chutich")
    page = leader.get("/signatures/credential").get_data(as_text=True)
    assert "PKCS#11" in page

    def register(pin: str, token: str = "edoc-app"):
        return leader.post("/signatures/credential/token", data={
            "csrf_token": csrf_token(leader, "/signatures/credential"), "token_label": token,
            "key_label": "chu-tich", "pin": pin})

    assert register("000000").status_code == 400
    missing_token = register("246810", token="khong-co")
    assert missing_token.status_code == 400 and "khong-co" in missing_token.get_data(as_text=True), \
        missing_token.get_data(as_text=True)
    assert register("246810").status_code == 302
    with app.app_context():
        credential = active_credential(db.session.get(User, demo["chutich"]).organisation_id, demo["chutich"])
        assert (credential.source, credential.p12_file_id, credential.token_label) == ("pkcs11", None, "edoc-app")
    doc_id = _approved_in(app, demo)
    wrong = _sign(leader, doc_id, pin="111111")
    assert wrong.status_code == 400 and "Mã PIN ký số không đúng" in wrong.get_data(as_text=True)
    assert _sign(leader, doc_id, pin="246810").status_code == 302
    issued = _issue(app, demo, doc_id)
    report = validate_pdf(issued, trust_roots=[services.ca.root])
    assert report.all_valid and report.signatures[0].signer == "Nguyễn Văn Hùng"
    with app.app_context():
        assert db.session.get(OutgoingDocument, doc_id).status == Status.ISSUED.value


def test_a_signed_pdf_entering_with_a_document_is_checked_and_the_report_shown(app, demo, make_document):
    """A signed PDF attached to a draft (here signed by a CA the organisation does not trust): its report is
    kept with the document and shown on its page; an unsigned attachment gets none."""
    from weasyprint import HTML

    from signing.sign import sign_pdf

    stranger = create_ca(name="CA của cơ quan khác")
    plain = HTML(string="<p>Công văn của Ủy ban nhân dân huyện</p>").write_pdf()
    signed = sign_pdf(plain, stranger.issue("Trần Văn Khách"), placement=chosen(0, 300, 700))
    doc_id = make_document("draft")
    with app.app_context():
        drafter = db.session.get(User, demo["chuyenvien"])
        sources.add_attachment(drafter, get_doc(doc_id), io.BytesIO(signed), "cong-van-den.pdf", "Văn bản liên quan")
        sources.add_attachment(drafter, get_doc(doc_id), io.BytesIO(plain), "ghi-chu.pdf", "Ghi chú")
        db.session.commit()
        [kept] = db.session.execute(select(ValidationRecord).where(ValidationRecord.document_id == doc_id)).scalars()
        assert (kept.context, kept.all_valid) == ("attachment", False)
        [signature] = json.loads(kept.report)["signatures"]
        assert (signature["signer"], signature["intact"], signature["trusted"]) == ("Trần Văn Khách", True, False)
    client = app.test_client()
    login(client, "chuyenvien")
    page = client.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "Kiểm tra chữ ký số" in page and "Trần Văn Khách" in page and "chưa được tin cậy" in page


def chosen(page: int, x: float, y: float):
    from signing.placement import Placement

    return Placement(page, (x - 60, y - 20, x + 60, y + 20))


def test_a_document_issued_without_digital_signatures_keeps_no_report(app, demo, make_document):
    doc_id = make_document("approved", paper=True)
    _issue(app, demo, doc_id)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(ValidationRecord).where(
            ValidationRecord.document_id == doc_id)).scalar_one() == 0
    clerk = app.test_client()
    login(clerk, "vanthu")
    assert "Kiểm tra chữ ký số" not in clerk.get(f"/documents/{doc_id}").get_data(as_text=True)


def test_edoc_ca_issues_a_development_certificate_unlocked_by_the_chosen_pin(app, demo):
    from edoc.signatures.credentials import personal_key

    runner = app.test_cli_runner()
    made = runner.invoke(args=["ca", "init"])
    assert made.exit_code == 0 and "KHÔNG có giá trị pháp lý" in made.output
    unknown = runner.invoke(args=["ca", "issue", "khongco", "--pin", "654321"])
    assert unknown.exit_code == 1 and "Không có người dùng khongco" in unknown.output
    issued = runner.invoke(args=["ca", "issue", "chuyenvien", "--pin", "654321"])
    assert issued.exit_code == 0, issued.output
    with app.app_context():
        specialist = db.session.get(User, demo["chuyenvien"])
        credential = active_credential(specialist.organisation_id, specialist.id)
        assert (credential.source, credential.subject) == ("devca", "Phạm Quốc Bảo")
        with personal_key(specialist, "654321") as key:
            assert "NOT A LEGAL" in key.certificate.subject.human_friendly


def test_the_batch_job_keeps_the_name_queued_rows_store():
    """Batch signing moved from signatures to documents; a part queued before the move (its row and Huey's
    message hold the job's name) must still find its handler."""
    from edoc.documents import batch_signing
    from edoc.jobs.registry import get

    registered = get("signatures.sign")
    assert batch_signing.SIGN_JOB == "signatures.sign"
    assert registered is not None and registered.run is batch_signing._sign_part
