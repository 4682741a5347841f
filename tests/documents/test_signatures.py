"""Issue 4's flow in the app: the leader signs the approved document, the clerk issues it (number and date
filled, then the organisation's signature), and every signature verifies, here and in pdfsig."""

from __future__ import annotations

import io
import json
import subprocess

from sqlalchemy import select

from edoc.accounts.models import Role, User
from edoc.accounts.passwords import hash_password
from edoc.core.db import db
from edoc.documents import service as documents
from edoc.documents import sources
from edoc.files.models import StoredFile
from edoc.files.service import read_verified
from edoc.signatures.models import SigningCredential, ValidationRecord
from edoc.signatures.service import trust_roots
from signing.validate import validate_pdf
from tests.documents.conftest import get_doc
from tests.support.components import require_tool
from tests.support.web import csrf_token, login


def _sign(client, doc_id: int, pin: str = "123456"):
    return client.post(f"/signatures/sign/{doc_id}", data={"pin": pin, "csrf_token": csrf_token(client, "/")})


def _issue(app, demo, doc_id: int) -> bytes:
    with app.app_context():
        clerk = db.session.get(User, demo["vanthu"])
        doc = documents.issue(clerk, get_doc(doc_id))
        sources.finalise_issued(clerk, doc)
        db.session.commit()
        return read_verified(get_doc(doc_id).issued_file)


def test_sign_then_issue_gives_two_valid_trusted_signatures(app, demo, make_document, tmp_path):
    doc_id = make_document("approved")
    leader = app.test_client()
    login(leader, "chutich")
    assert "Ký số" in leader.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert _sign(leader, doc_id).status_code == 302
    issued = _issue(app, demo, doc_id)
    with app.app_context():
        report = validate_pdf(issued, trust_roots=trust_roots(get_doc(doc_id).organisation_id))
    assert report.all_valid
    signer, seal = report.signatures
    assert (signer.field, signer.signer, signer.modification_level) == ("sig_signer", "Nguyễn Văn Hùng",
                                                                        "FORM_FILLING")
    assert (seal.field, seal.signer) == ("sig_seal", "LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM")
    require_tool("pdfsig", "poppler-utils")
    (tmp_path / "issued.pdf").write_bytes(issued)
    out = subprocess.run(["pdfsig", str(tmp_path / "issued.pdf")], capture_output=True, text=True).stdout
    assert out.count("Signature is Valid.") == 2
    require_tool("pdftotext", "poppler-utils")
    text = subprocess.run(["pdftotext", str(tmp_path / "issued.pdf"), "-"], capture_output=True, text=True).stdout
    assert "01" in text and "/KH-LĐLĐ" in text


def test_wrong_pin_and_missing_certificate_are_clear_and_change_nothing(app, demo, make_document):
    doc_id = make_document("approved")
    leader = app.test_client()
    login(leader, "chutich")
    wrong = _sign(leader, doc_id, pin="000000")
    assert wrong.status_code == 400 and "Mã PIN ký số không đúng." in wrong.get_data(as_text=True)
    with app.app_context():
        assert get_doc(doc_id).signed_file_id is None
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


def test_unsigned_document_is_issued_without_a_seal(app, demo, make_document):
    doc_id = make_document("approved")
    issued = _issue(app, demo, doc_id)
    assert validate_pdf(issued, trust_roots=[]).signatures == []  # no organisation signature without a signer's


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
    with app.app_context():
        assert all(get_doc(i).signed_file_id for i in ids) and get_doc(foreign).signed_file_id is None
    bad_pin = leader.post("/signatures/batch", headers={"Accept": "application/json"},
                          data={"ids": [str(foreign)], "pin": "999999",
                                "csrf_token": csrf_token(leader, "/signatures/pending")})
    assert bad_pin.status_code == 400 and bad_pin.json["error"]["message"] == "Mã PIN ký số không đúng."


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
        rows = db.session.execute(select(ValidationRecord).order_by(ValidationRecord.id)).scalars().all()
        assert [r.all_valid for r in rows] == [True, False]
        assert json.loads(rows[0].report)["signatures"][1]["field"] == "sig_seal"


def test_keys_are_never_downloadable_and_trust_store_is_admin_only(app, demo):
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
    admin = app.test_client()
    login(admin, "quantri")
    assert "edoc DEVELOPMENT CA" in admin.get("/signatures/trust").get_data(as_text=True)
    bad = admin.post("/signatures/trust", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(admin, "/signatures/trust"), "file": (io.BytesIO(b"not a certificate"), "x.cer")})
    assert bad.status_code == 400 and "không phải chứng thư số" in bad.get_data(as_text=True)


def test_import_pkcs12_with_wrong_password_and_short_pin(app, demo):
    from signing.devca import create_ca
    from signing.keys import export_pkcs12

    p12 = export_pkcs12(create_ca().issue("Phạm Quốc Bảo"), "p12-pass")
    client = app.test_client()
    login(client, "chuyenvien")

    def send(password: str, pin: str):
        return client.post("/signatures/credential", content_type="multipart/form-data", data={
            "csrf_token": csrf_token(client, "/profile"), "p12": (io.BytesIO(p12), "cts.p12"),
            "p12_password": password, "pin": pin})

    assert send("wrong", "123456").status_code == 400
    assert send("p12-pass", "12").status_code == 400
    assert send("p12-pass", "654321").status_code == 302
    with app.app_context():
        assert db.session.execute(select(SigningCredential.subject).where(
            SigningCredential.user_id == demo["chuyenvien"])).scalar_one() == "Phạm Quốc Bảo"


def test_signing_and_validation_through_the_api(app, demo, make_document):
    from edoc.accounts.service import create_api_token

    doc_id = make_document("approved")
    with app.app_context():
        token = create_api_token(db.session.get(User, demo["chutich"]), "ký số")[1]
    api = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    assert api.post(f"/api/v1/documents/{doc_id}/sign", json={"pin": "000000"}, headers=auth).status_code == 400
    assert api.post(f"/api/v1/documents/{doc_id}/sign", json={"pin": "123456"}, headers=auth).status_code == 200
    again = api.post(f"/api/v1/documents/{doc_id}/sign", json={"pin": "123456"}, headers=auth)
    assert again.status_code == 403  # already signed: nothing to do twice
    issued = _issue(app, demo, doc_id)
    report = api.post("/api/v1/signatures/validate", headers=auth, content_type="multipart/form-data",
                      data={"file": (io.BytesIO(issued), "van-ban.pdf")})
    assert report.status_code == 200 and report.json["all_valid"] is True
    assert [s["field"] for s in report.json["signatures"]] == ["sig_signer", "sig_seal"]
