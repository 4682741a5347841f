"""The JSON API of the outgoing flow, endpoint by endpoint, and bad input through it: a clear 4xx, and nothing
numbered (counters unchanged) or stored (stored_file rows and store objects unchanged)."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from sqlalchemy import func, select

from edoc.contacts.models import Contact
from edoc.core.db import db
from edoc.documents.models import OutgoingDocument
from edoc.organisations.models import Unit
from edoc.registers.models import Register
from tests.documents.conftest import (
    CONTENT_TYPES,
    DRAFT_LINES,
    RELS,
    api_token,
    get_doc,
    minimal_docx,
    numbered,
    scan_png,
    simple_pdf,
    stored,
)


@pytest.fixture
def tokens(app, demo) -> dict[str, dict[str, str]]:
    return {name: api_token(app, demo[name]) for name in ("chuyenvien", "chutich", "vanthu", "daibieu", "quantri")}


def _ids(app) -> dict[str, int]:
    with app.app_context():
        units = {f"unit:{u.abbreviation}": u.id for u in db.session.execute(select(Unit)).scalars()}
        registers = {f"register:{r.kind}": r.id for r in db.session.execute(select(Register)).scalars()}
        contact = db.session.execute(select(Contact.id).order_by(Contact.id)).scalars().first()
        return {**units, **registers, "contact": contact}


def _draft(app, demo, **overrides) -> dict[str, object]:
    ids = _ids(app)
    body: dict[str, object] = {
        "type": "KH", "summary": "Tổ chức Tháng Công nhân năm 2026", "body": "I. MỤC ĐÍCH\n\nChăm lo đoàn viên.",
        "signer_id": demo["chutich"], "signer_authority": "TM.", "signer_authority_line": "BAN THƯỜNG VỤ",
        "recipients": [{"kind": "unit", "purpose": "act", "unit_id": ids["unit:TG"]},
                       {"kind": "user", "purpose": "info", "user_id": demo["daibieu"]},
                       {"kind": "external", "purpose": "info", "contact_id": ids["contact"]}]}
    body.update(overrides)
    return body


def _post(app, path: str, headers, **kwargs):
    return app.test_client().post(f"/api/v1{path}", headers=headers, **kwargs)


def _get(app, path: str, headers):
    return app.test_client().get(f"/api/v1{path}", headers=headers)


def _documents(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(OutgoingDocument)).scalar_one()


def _approved(app, demo, tokens, **overrides) -> int:
    created = _post(app, "/documents", tokens["chuyenvien"], json=_draft(app, demo, **overrides))
    assert created.status_code == 201, created.get_json()
    doc_id = created.get_json()["id"]
    assert _post(app, f"/documents/{doc_id}/submit", tokens["chuyenvien"]).status_code == 200
    assert _post(app, f"/documents/{doc_id}/approve", tokens["chutich"]).status_code == 200
    # signed on paper: the clerk sends the scan of the signed original (nothing is issued that nobody signed)
    assert _post(app, f"/documents/{doc_id}/paper-scan", tokens["vanthu"], content_type="multipart/form-data",
                 data={"file": (io.BytesIO(scan_png()), "ban-goc.png")}).status_code == 201
    return doc_id


def test_the_whole_flow_through_every_endpoint(app, demo, tokens):
    ids = _ids(app)
    created = _post(app, "/documents", tokens["chuyenvien"], json=_draft(app, demo))
    assert created.status_code == 201
    doc = created.get_json()
    assert (doc["status"], doc["notation"], doc["reference"], doc["versions"]) == ("draft", "KH-LĐLĐ", None, 1)
    assert doc["register_id"] == ids["register:outgoing"] and doc["drafting_unit_id"] == ids["unit:TG"]
    doc_id = doc["id"]
    # a typed version, then an uploaded one
    version = _post(app, f"/documents/{doc_id}/versions", tokens["chuyenvien"],
                    json=_draft(app, demo, summary="Tổ chức Tháng Công nhân năm 2026 (sửa)"))
    assert version.status_code == 201 and version.get_json()["versions"] == 2
    upload = _post(app, f"/documents/{doc_id}/versions", tokens["chuyenvien"], content_type="multipart/form-data",
                   data={"file": (io.BytesIO(minimal_docx(DRAFT_LINES)), "ke-hoach.docx")})
    assert upload.status_code == 201 and upload.get_json()["versions"] == 3
    attached = _post(app, f"/documents/{doc_id}/attachments", tokens["chuyenvien"],
                     content_type="multipart/form-data",
                     data={"file": (io.BytesIO(simple_pdf(["Phụ lục I"])), "phu-luc.pdf"), "title": "Phụ lục I"})
    assert attached.status_code == 201 and [a["title"] for a in attached.get_json()["attachments"]] == ["Phụ lục I"]
    comment = _post(app, f"/documents/{doc_id}/comments", tokens["chuyenvien"], json={"text": "Đã sửa trích yếu"})
    assert comment.status_code == 201
    # submit, returned with a reason, submitted again, approved
    assert _post(app, f"/documents/{doc_id}/submit", tokens["chuyenvien"]).get_json()["status"] == "submitted"
    assert _get(app, "/documents?box=to_sign", tokens["chutich"]).get_json()["documents"][0]["id"] == doc_id
    no_reason = _post(app, f"/documents/{doc_id}/return", tokens["chutich"], json={})
    assert no_reason.status_code == 400 and no_reason.get_json()["error"]["field"] == "reason"
    returned = _post(app, f"/documents/{doc_id}/return", tokens["chutich"], json={"reason": "Bổ sung nơi nhận"})
    assert returned.get_json()["status"] == "returned"
    assert _post(app, f"/documents/{doc_id}/submit", tokens["chuyenvien"]).status_code == 200
    assert _post(app, f"/documents/{doc_id}/approve", tokens["chutich"]).get_json()["status"] == "approved"
    assert _get(app, "/documents?box=to_issue", tokens["vanthu"]).get_json()["documents"][0]["id"] == doc_id
    # not signed digitally: refused until the clerk uploads the scan of the paper original the leader signed
    unsigned = _post(app, f"/documents/{doc_id}/issue", tokens["vanthu"], json={})
    assert unsigned.status_code == 409 and "chưa có bản chụp bản gốc ký trên giấy" in unsigned.json["error"]["message"]
    scan = _post(app, f"/documents/{doc_id}/paper-scan", tokens["vanthu"], content_type="multipart/form-data",
                 data={"file": (io.BytesIO(scan_png()), "ban-goc.png")})
    assert scan.status_code == 201 and scan.json["signature"] == "paper" and scan.json["paper_scan_file_id"]
    issued = _post(app, f"/documents/{doc_id}/issue", tokens["vanthu"], json={})
    assert issued.status_code == 200 and issued.json["signed_on_paper"] is True
    assert (issued.get_json()["reference"], issued.get_json()["status"]) == ("01/KH-LĐLĐ", "issued")
    # the recipient's inbox, unread until opened
    inbox = _get(app, "/documents", tokens["daibieu"]).get_json()
    assert inbox["box"] == "inbox" and [(d["id"], d["unread"]) for d in inbox["documents"]] == [(doc_id, True)]
    assert _get(app, f"/documents/{doc_id}", tokens["daibieu"]).get_json()["reference"] == "01/KH-LĐLĐ"
    assert _get(app, "/documents", tokens["daibieu"]).get_json()["documents"][0]["unread"] is False
    recipients = _get(app, f"/documents/{doc_id}/recipients", tokens["vanthu"]).get_json()
    assert recipients["archive"] == "VT, TG"
    assert [(r["label"], r["delivered"], r["read"]) for r in recipients["recipients"]][:2] == [
        ("Ban Tuyên giáo", 1, 0), ("Hoàng Văn Nam, Chủ tịch CĐCS Công ty Vận tải Gia Lâm", 1, 1)]
    assert recipients["recipients"][2]["dispatch_status"] == "manual"  # no SMTP configured
    entries = _get(app, f"/registers/{ids['register:outgoing']}/entries?year={_year(app, doc_id)}",
                   tokens["vanthu"]).get_json()
    assert [e["reference"] for e in entries["entries"]] == ["01/KH-LĐLĐ"] and len(entries["columns"]) == 10
    copy = _post(app, f"/documents/{doc_id}/copies", tokens["vanthu"], json={"form": "SY"})
    assert copy.status_code == 201 and copy.get_json()["reference"] == "01/SY-LĐLĐ"
    recalled = _post(app, f"/documents/{doc_id}/recall", tokens["vanthu"], json={"reason": "Sai nơi nhận"})
    assert recalled.get_json()["status"] == "recalled"
    replacement = _post(app, f"/documents/{doc_id}/replacement", tokens["chuyenvien"])
    assert replacement.status_code == 201 and replacement.get_json()["replaces_id"] == doc_id


def _year(app, doc_id: int) -> int:
    with app.app_context():
        return get_doc(doc_id).year


def test_listing_endpoints_an_api_client_needs(app, demo, tokens):
    types = {t["code"]: t for t in _get(app, "/document-types", tokens["chuyenvien"]).get_json()["types"]}
    assert types["KH"]["abbreviation"] == "KH" and types["CV"]["kind"] == "cong_van" and types["SY"]["kind"] == "copy"
    signers = _get(app, "/signers", tokens["chuyenvien"]).get_json()["signers"]
    assert {s["full_name"] for s in signers} == {"Nguyễn Văn Hùng", "Trần Thị Lan"}
    units = {u["abbreviation"] for u in _get(app, "/units", tokens["chuyenvien"]).get_json()["units"]}
    assert units == {"VP", "TC", "TG", "CSPL", "UBKT"}
    registers = _get(app, "/registers", tokens["vanthu"]).get_json()["registers"]
    assert {r["kind"] for r in registers} == {"outgoing", "secret", "copies", "incoming", "advisory"}
    advisory = next(r for r in registers if r["kind"] == "advisory")
    assert (advisory["issuer"], advisory["issuer_name"]) == ("HĐTĐKT", "HỘI ĐỒNG THI ĐUA - KHEN THƯỞNG")
    assert _get(app, "/registers", tokens["chuyenvien"]).status_code == 403
    contacts = _get(app, "/contacts", tokens["chuyenvien"]).get_json()["contacts"]
    assert "UBND huyện Gia Lâm" in {c["short_name"] for c in contacts}
    bad_box = _get(app, "/documents?box=trash", tokens["chuyenvien"])
    assert bad_box.status_code == 400 and bad_box.get_json()["error"]["field"] == "box"


def test_every_api_route_of_the_outgoing_flow_is_in_the_openapi_description(app, tokens):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    from openapi_spec_validator import validate

    validate(spec)
    mine = ("/documents", "/registers", "/contacts", "/document-types", "/signers", "/units")
    for rule in app.url_map.iter_rules():
        path = rule.rule.removeprefix("/api/v1")
        if not rule.rule.startswith("/api/v1") or not path.startswith(mine):
            continue
        openapi_path = re.sub(r"<(?:\w+:)?\w+>", "{id}", path)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in spec["paths"].get(openapi_path, {}), (method, openapi_path)


def test_registers_and_contacts_are_configured_through_the_api(app, demo, tokens):
    made = _post(app, "/registers", tokens["quantri"], json={
        "kind": "advisory", "name": "Sổ văn bản Ban Nữ công", "issuer_abbreviation": "BNC",
        "issuer_name": "Ban Nữ công"})
    assert made.status_code == 201 and made.get_json()["issuer_name"] == "BAN NỮ CÔNG"
    assert _post(app, "/registers", tokens["vanthu"], json={"kind": "outgoing", "name": "X"}).status_code == 403
    missing = _post(app, "/registers", tokens["quantri"], json={"kind": "advisory", "name": "Sổ Tổ công tác"})
    assert missing.status_code == 400 and missing.get_json()["error"]["field"] == "issuer_abbreviation"
    patched = app.test_client().patch(f"/api/v1/registers/{made.get_json()['id']}", headers=tokens["quantri"],
                                      json={"active": False})
    assert patched.status_code == 200 and patched.get_json()["active"] is False
    contact = _post(app, "/contacts", tokens["vanthu"], json={
        "name": "Ủy ban Mặt trận Tổ quốc huyện Gia Lâm", "short_name": "UBMTTQ huyện", "organ_id": "000.00.09.H26",
        "email": "mttq@gialam.example.vn"})
    assert contact.status_code == 201
    assert _post(app, "/contacts", tokens["chuyenvien"], json={"name": "X"}).status_code == 403
    bad_email = _post(app, "/contacts", tokens["vanthu"], json={"name": "Y", "email": "không-phải-email"})
    assert bad_email.status_code == 400 and bad_email.get_json()["error"]["field"] == "email"
    off = app.test_client().patch(f"/api/v1/contacts/{contact.get_json()['id']}", headers=tokens["vanthu"],
                                  json={"active": False, "short_name": "MTTQ huyện"})
    assert off.get_json()["active"] is False and off.get_json()["short_name"] == "MTTQ huyện"
    # an inactive entry can no longer be chosen as a recipient
    refused = _post(app, "/documents", tokens["chuyenvien"], json=_draft(app, demo, recipients=[
        {"kind": "external", "purpose": "act", "contact_id": contact.get_json()["id"]}]))
    assert refused.status_code == 400 and "không có trong danh bạ" in refused.get_json()["error"]["message"]


def test_another_organisations_directory_is_refused_through_the_api(app, demo, tokens):
    from edoc.contacts.service import create_contact
    from tests.support.orgs import other_organisation

    other = other_organisation(app)
    with app.app_context():
        foreign = create_contact(None, other, "Đối tác riêng của CĐ khác", email="x@example.vn")
        db.session.commit()
        foreign_id = foreign.id
    before, documents = stored(app), _documents(app)
    response = _post(app, "/documents", tokens["chuyenvien"], json=_draft(app, demo, recipients=[
        {"kind": "external", "purpose": "act", "contact_id": foreign_id}]))
    assert response.status_code == 400
    assert response.get_json()["error"] == {"code": "invalid", "field": "recipients",
                                            "message": "Nơi nhận bên ngoài không có trong danh bạ của cơ quan."}
    assert (stored(app), _documents(app)) == (before, documents)
    assert app.test_client().patch(f"/api/v1/contacts/{foreign_id}", headers=tokens["vanthu"],
                                   json={"name": "Đổi tên"}).status_code == 404
    assert foreign_id not in {c["id"] for c in _get(app, "/contacts", tokens["vanthu"]).get_json()["contacts"]}


def _corrupt_docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", RELS)
        z.writestr("word/document.xml", "<w:document>not WordprocessingML")
    return out.getvalue()


@pytest.mark.parametrize(("case", "status", "message"), [
    ("unknown type", 400, "Loại văn bản không hợp lệ ở “type”"),
    ("copy type", 400, "Loại văn bản không hợp lệ ở “type”"),
    ("unknown register", 400, "Sổ đăng ký không tồn tại."),
    ("incoming register", 400, "Sổ này không dùng để cấp số văn bản đi."),
    ("no summary", 400, "“summary” không được để trống."),
    ("no signer", 400, "Thiếu trường “signer_id”."),
    ("not an object", 400, "Thân yêu cầu phải là một đối tượng JSON"),
    ("bad recipients", 400, "Thiếu trường “recipients[0].kind”."),
    ("secret to outside", 400, "Văn bản mật không được gửi ra ngoài"),
])
def test_bad_drafts_through_the_api_store_nothing(app, demo, tokens, case, status, message):
    ids = _ids(app)
    body = {"unknown type": _draft(app, demo, type="XX"), "copy type": _draft(app, demo, type="SY"),
            "unknown register": _draft(app, demo, register_id=999_999),
            "incoming register": _draft(app, demo, register_id=ids["register:incoming"]),
            "no summary": _draft(app, demo, summary="  "), "no signer": _draft(app, demo, signer_id=None),
            "not an object": [_draft(app, demo)], "bad recipients": _draft(app, demo, recipients=[{"x": 1}]),
            "secret to outside": _draft(app, demo, secrecy="Mật", reader_ids=[demo["vanthu"]])}[case]
    before, documents = stored(app), _documents(app)
    response = _post(app, "/documents", tokens["chuyenvien"], json=body)
    assert response.status_code == status and message in response.get_json()["error"]["message"], response.get_json()
    assert (stored(app), _documents(app)) == (before, documents)


@pytest.mark.parametrize(("name", "data", "status", "message"), [
    ("du-thao.pdf", b"<html>not a pdf</html>" * 50, 415, "không khớp với loại tệp khai báo"),
    ("du-thao.pdf", b"%PDF-1.7\n1 0 obj <</Type /Catal", 400, "không đọc được"),
    ("du-thao.docx", None, 400, "LibreOffice không mở được tệp"),
    ("du-thao.pdf", "no blanks", 400, "không tìm thấy dòng số, ký hiệu ở trang đầu"),
])
def test_bad_uploads_through_the_api_store_nothing(app, demo, tokens, make_document, name, data, status, message):
    doc_id = make_document("draft")
    if data is None:
        data = _corrupt_docx()
    elif data == "no blanks":
        data = simple_pdf(["Một tệp không có số, ký hiệu", "và không có ngày tháng"])
    before = stored(app)
    response = _post(app, f"/documents/{doc_id}/versions", tokens["chuyenvien"], content_type="multipart/form-data",
                     data={"file": (io.BytesIO(data), name)})
    assert response.status_code == status and message in response.get_json()["error"]["message"]
    assert stored(app) == before
    with app.app_context():
        assert len(get_doc(doc_id).versions) == 1


def test_issuing_twice_and_editing_an_issued_document_through_the_api(app, demo, tokens):
    doc_id = _approved(app, demo, tokens)
    assert _post(app, f"/documents/{doc_id}/issue", tokens["vanthu"]).status_code == 200
    before, counter = stored(app), numbered(app)
    again = _post(app, f"/documents/{doc_id}/issue", tokens["vanthu"])
    assert again.status_code == 409 and "đã được ban hành với số 01/KH-LĐLĐ" in again.get_json()["error"]["message"]
    edit = _post(app, f"/documents/{doc_id}/versions", tokens["chuyenvien"], json=_draft(app, demo))
    assert edit.status_code == 403 and "Văn bản đã ban hành không được sửa" in edit.get_json()["error"]["message"]
    upload = _post(app, f"/documents/{doc_id}/versions", tokens["chuyenvien"], content_type="multipart/form-data",
                   data={"file": (io.BytesIO(simple_pdf(DRAFT_LINES)), "ke-hoach.pdf")})
    assert upload.status_code == 403
    attach = _post(app, f"/documents/{doc_id}/attachments", tokens["chuyenvien"], content_type="multipart/form-data",
                   data={"file": (io.BytesIO(simple_pdf(["Phụ lục"])), "phu-luc.pdf")})
    assert attach.status_code == 403
    assert (stored(app), numbered(app)) == (before, counter)


def test_issue_refusals_number_nothing(app, demo, tokens):
    ids = _ids(app)
    doc_id = _approved(app, demo, tokens)
    before, counter = stored(app), numbered(app)
    other_register = _post(app, f"/documents/{doc_id}/issue", tokens["vanthu"],
                           json={"register_id": ids["register:advisory"]})
    assert other_register.status_code == 400 and "không đổi được sổ" in other_register.get_json()["error"]["message"]
    by_leader = _post(app, f"/documents/{doc_id}/issue", tokens["chutich"])
    assert by_leader.status_code == 403
    unknown = _post(app, "/documents/999999/issue", tokens["vanthu"])
    assert unknown.status_code == 404
    bad_body = _post(app, f"/documents/{doc_id}/issue", tokens["vanthu"], data="[1]",
                     content_type="application/json")
    assert bad_body.status_code == 400
    assert (stored(app), numbered(app)) == (before, counter)
    assert _get(app, f"/documents/{doc_id}", tokens["vanthu"]).get_json()["status"] == "approved"
