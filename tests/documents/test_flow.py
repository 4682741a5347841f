"""The drafter's and the clerk's day, through the pages: draft → versions → review → submit → approve or
return → issue → recall or replace. And each bad input with its clear message and nothing kept."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from sqlalchemy import func, select

from edoc.accounts.models import User
from edoc.contacts.models import Contact
from edoc.core.db import db
from edoc.core.errors import Conflict
from edoc.documents import actions
from edoc.documents.models import DocumentVersion, OutgoingDocument
from edoc.files.models import StoredFile
from edoc.organisations.models import Unit
from edoc.registers.models import Register
from tests.documents.conftest import get_doc, numbered, scan_png, simple_pdf, stored
from tests.support.web import csrf_token, login


def _form(app, demo, **overrides):
    with app.app_context():
        tg = db.session.execute(select(Unit.id).where(Unit.abbreviation == "TG")).scalar_one()
        contact = db.session.execute(select(Contact.id).order_by(Contact.id)).scalars().first()
    data = {"type_code": "KH", "summary": "Thực hiện Chỉ thị 15-CT/TU năm 2023",
            "body": "I. MỤC ĐÍCH, YÊU CẦU\n\n1. Mục đích\n\nTiếp tục thực hiện có hiệu quả Chỉ thị số 15-CT/TU.",
            "secrecy": "", "urgency": "", "drafting_unit_id": str(tg), "signer_id": str(demo["chutich"]),
            "signer_authority": "TM.", "signer_authority_line": "Ban Thường vụ", "signer_title": "",
            "kinh_gui": "", "recipients_act": [f"unit:{tg}", f"external:{contact}"],
            "recipients_info": [f"user:{demo['daibieu']}"], "copies": "3", "note": ""}
    data.update(overrides)
    return data


def _post(client, path, data, page=None):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page or path)},
                       content_type="multipart/form-data")


def _count(app, model) -> int:
    """Rows of ``model``; for files, those a document flow makes (not the demo's images and credentials)."""
    query = select(func.count()).select_from(model)
    if model is StoredFile:
        query = query.where(StoredFile.purpose.in_(["document", "document-source", "attachment", "upload"]))
    with app.app_context():
        return db.session.execute(query).scalar_one()


def test_full_flow_through_the_pages(app, demo):
    drafter, signer, clerk = app.test_client(), app.test_client(), app.test_client()
    login(drafter, "chuyenvien")
    login(signer, "chutich")
    login(clerk, "vanthu")
    response = _post(drafter, "/documents/new", _form(app, demo))
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    doc_id = int(re.search(r"/documents/(\d+)", response.headers["Location"]).group(1))
    with app.app_context():
        doc = get_doc(doc_id)
        assert doc.signer_authority_line == "BAN THƯỜNG VỤ" and doc.signer_title == "CHỦ TỊCH"
        assert [r.label for r in doc.recipients] == ["Ban Tuyên giáo", "LĐLĐ thành phố Hà Nội",
                                                  "Hoàng Văn Nam, Chủ tịch CĐCS Công ty Vận tải Gia Lâm"]
        assert doc.current_version.pdf_file_id is not None
    # a second version; the first stays as it was
    assert _post(drafter, f"/documents/{doc_id}/edit", _form(app, demo, summary="Thực hiện Chỉ thị 15 (sửa)",
                                                              note="Sửa trích yếu")).status_code == 302
    with app.app_context():
        versions = db.session.execute(select(DocumentVersion).where(DocumentVersion.document_id == doc_id)
                                      .order_by(DocumentVersion.number)).scalars().all()
        assert [v.number for v in versions] == [1, 2]
        assert "Thực hiện Chỉ thị 15-CT/TU năm 2023" in versions[0].content
        assert versions[0].pdf_file_id != versions[1].pdf_file_id
    # submit, the signer returns it with a reason, the drafter resubmits, the signer approves
    assert _post(drafter, f"/documents/{doc_id}/submit", {}, page="/").status_code == 302
    assert _post(signer, f"/documents/{doc_id}/return", {"reason": ""}, page="/").status_code == 400
    assert _post(signer, f"/documents/{doc_id}/return", {"reason": "Bổ sung nơi nhận"}, page="/").status_code == 302
    assert "Bổ sung nơi nhận" in drafter.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert _post(drafter, f"/documents/{doc_id}/comment", {"text": "Đã bổ sung"}, page="/").status_code == 302
    assert _post(drafter, f"/documents/{doc_id}/submit", {}, page="/").status_code == 302
    assert _post(signer, f"/documents/{doc_id}/approve", {}, page="/").status_code == 302
    # the leader signed the printout by hand: the clerk uploads its scan, then issues (number, date, the PDF with
    # the number filled in and the scan after it)
    page = clerk.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "Cấp số và ban hành" not in page and 'id="paper-form"' in page
    assert _post(clerk, f"/documents/{doc_id}/paper", {"scan": (io.BytesIO(scan_png()), "ban-goc.png")},
                 page="/").status_code == 302
    assert "Cấp số và ban hành" in clerk.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert _post(clerk, f"/documents/{doc_id}/issue", {}, page="/").status_code == 302
    shown = clerk.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "01/KH-LĐLĐ" in shown and "Đã ban hành" in shown
    pdf = clerk.get(f"/documents/{doc_id}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    # issuing twice gives the same number back as a conflict
    again = _post(clerk, f"/documents/{doc_id}/issue", {}, page="/")
    assert again.status_code == 409 and "01/KH-LĐLĐ" in again.get_data(as_text=True)
    # editing an issued document is refused
    edit = _post(drafter, f"/documents/{doc_id}/edit", _form(app, demo), page="/")
    assert edit.status_code == 403 and "không được sửa" in edit.get_data(as_text=True)
    # the register shows it; XLSX and PDF exports work
    with app.app_context():
        register_id = get_doc(doc_id).register_id
    register = clerk.get(f"/registers/{register_id}?year={get_year(app, doc_id)}").get_data(as_text=True)
    assert "01/KH-LĐLĐ" in register and "Kế hoạch: Thực hiện Chỉ thị 15 (sửa)" in register
    xlsx = clerk.get(f"/registers/{register_id}/export.xlsx?year={get_year(app, doc_id)}")
    assert xlsx.status_code == 200 and zipfile.ZipFile(io.BytesIO(xlsx.data)).testzip() is None
    printed = clerk.get(f"/registers/{register_id}/print.pdf?year={get_year(app, doc_id)}")
    assert printed.status_code == 200 and printed.data.startswith(b"%PDF-")
    # recall: recipients are told; the status shows everywhere
    assert _post(clerk, f"/documents/{doc_id}/recall", {"reason": "Sai nơi nhận"}, page="/").status_code == 302
    recipient = app.test_client()
    login(recipient, "daibieu")
    assert "Văn bản đã bị thu hồi: Sai nơi nhận" in recipient.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "Đã thu hồi: Sai nơi nhận" in clerk.get(f"/registers/{register_id}?year={get_year(app, doc_id)}"
                                                  ).get_data(as_text=True)
    # replacement: a new draft that references it; issuing it marks the old one replaced
    replace = _post(drafter, f"/documents/{doc_id}/replace", {}, page="/")
    assert replace.status_code == 302
    new_id = int(re.search(r"/documents/(\d+)/edit", replace.headers["Location"]).group(1))
    for client, action, data in ((drafter, "submit", {}), (signer, "approve", {}),
                                 (clerk, "paper", {"scan": (io.BytesIO(scan_png()), "ban-goc.png")}),
                                 (clerk, "issue", {})):
        assert _post(client, f"/documents/{new_id}/{action}", data, page="/").status_code == 302
    with app.app_context():
        assert get_doc(doc_id).status == "replaced" and get_doc(new_id).replaces_id == doc_id
        assert get_doc(new_id).reference == "02/KH-LĐLĐ"
    # the old one names what replaced it, and still says why it was recalled, on its page and in the register
    for client in (clerk, recipient):
        old_page = client.get(f"/documents/{doc_id}").get_data(as_text=True)
        assert "Văn bản đã bị thu hồi: Sai nơi nhận" in old_page
        assert re.search(r"Văn bản đã bị thay thế bởi văn bản (<a [^>]*>)?02/KH-LĐLĐ", old_page)
    register = clerk.get(f"/registers/{register_id}?year={get_year(app, doc_id)}").get_data(as_text=True)
    assert "Đã thu hồi: Sai nơi nhận. Đã bị thay thế bởi văn bản 02/KH-LĐLĐ" in register
    assert "Thay thế văn bản 01/KH-LĐLĐ" in register  # the new one's row


def get_year(app, doc_id: int) -> int:
    with app.app_context():
        return get_doc(doc_id).year


@pytest.mark.parametrize(
    ("overrides", "status", "message"),
    [
        ({"summary": ""}, 400, "Trích yếu nội dung không được để trống."),
        ({"signer_id": ""}, 400, "Chưa chọn người ký."),
        ({"type_code": "XX"}, 400, "Loại văn bản không hợp lệ."),
        ({"type_code": "SY"}, 400, "Loại văn bản không hợp lệ."),
        ({"secrecy": "Bí mật quốc gia"}, 400, "Độ mật không hợp lệ."),
        ({"signer_authority": "THAY"}, 400, "Thẩm quyền ký không hợp lệ"),
        ({"recipients_act": ["external:999999"]}, 400, "không có trong danh bạ"),
        ({"recipients_act": ["planet:1"]}, 400, "Nơi nhận không hợp lệ."),
        ({"recipients_act": ["unit:abc"]}, 400, "Mã định danh không hợp lệ."),
    ],
)
def test_bad_drafts_are_refused_and_nothing_is_stored(app, demo, overrides, status, message):
    client = app.test_client()
    login(client, "chuyenvien")
    response = _post(client, "/documents/new", _form(app, demo, **overrides))
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert _count(app, OutgoingDocument) == 0 and _count(app, StoredFile) == 0


def test_a_draft_edited_keeps_or_changes_its_named_readers(app, demo, make_document):
    """Saving a draft again with the same reviewers named (the usual edit: the text changes, not who reviews) is
    a new version, not a 500 from the readers' unique constraint; adding and removing reviewers works too."""
    doc_id = make_document("draft", render=False, reader_ids=[demo["thuky"]])
    client = app.test_client()
    login(client, "chuyenvien")
    form = {"type_code": "KH", "summary": "Sửa lại", "body": "Nội dung.", "signer_id": str(demo["chutich"]),
            "recipients_act": [f"user:{demo['daibieu']}"], "copies": "1"}
    for readers in ([demo["thuky"]], [demo["thuky"], demo["vanthu"]], [demo["vanthu"]], []):
        answer = client.post(f"/documents/{doc_id}/edit", data={**form, "readers": [str(r) for r in readers],
                                                                "csrf_token": csrf_token(client, "/")})
        assert answer.status_code == 302, readers
        with app.app_context():
            assert sorted(r.user_id for r in get_doc(doc_id).readers) == sorted(readers)
    with app.app_context():
        assert len(get_doc(doc_id).versions) == 5


def test_signer_must_be_a_leader_of_the_organisation(app, demo):
    client = app.test_client()
    login(client, "chuyenvien")
    response = _post(client, "/documents/new", _form(app, demo, signer_id=str(demo["vanthu"])))
    assert response.status_code == 400 and "Người ký phải là lãnh đạo" in response.get_data(as_text=True)


def test_recipient_from_another_organisations_private_list_is_refused(app, demo):
    from edoc.admin.organisations import OrganisationData, create_organisation
    from edoc.contacts.service import create_contact

    with app.app_context():
        other = create_organisation(OrganisationData(name="CĐ KHÁC", parent_name="", abbreviation="CĐK",
                                                     place_name="Huế"))
        db.session.flush()
        foreign = create_contact(None, other.id, "Đối tác riêng của CĐ khác", email="x@example.vn")
        db.session.commit()
        foreign_id = foreign.id
    client = app.test_client()
    login(client, "chuyenvien")
    response = _post(client, "/documents/new", _form(app, demo, recipients_act=[f"external:{foreign_id}"]))
    assert response.status_code == 400 and "không có trong danh bạ của cơ quan" in response.get_data(as_text=True)
    assert _count(app, OutgoingDocument) == 0


def _upload(client, app, demo, name: str, data: bytes):
    form = _form(app, demo)
    form["source"] = (io.BytesIO(data), name)
    return client.post("/documents/new", data={**form, "csrf_token": csrf_token(client, "/documents/new")},
                       content_type="multipart/form-data")


def test_a_pdf_that_is_not_a_pdf_is_refused(app, demo):
    client = app.test_client()
    login(client, "chuyenvien")
    response = _upload(client, app, demo, "du-thao.pdf", b"<html>not a pdf</html>" * 50)
    assert response.status_code == 415 and "không khớp với loại tệp khai báo" in response.get_data(as_text=True)
    assert _count(app, OutgoingDocument) == 0 and _count(app, StoredFile) == 0


def test_a_truncated_pdf_is_refused(app, demo):
    client = app.test_client()
    login(client, "chuyenvien")
    response = _upload(client, app, demo, "du-thao.pdf", b"%PDF-1.7\n1 0 obj <</Type /Catal")
    assert response.status_code == 400 and "không đọc được" in response.get_data(as_text=True)
    assert _count(app, OutgoingDocument) == 0 and _count(app, StoredFile) == 0


def test_a_docx_libreoffice_cannot_open_is_refused(app, demo, settings_env):
    """A package that passes ``check_docx`` (a Word content type, the parts a DOCX has) whose document part is
    not XML: LibreOffice itself answers "source file could not be loaded"."""
    from edoc.rendering.convert import check_docx
    from tests.documents.conftest import CONTENT_TYPES, RELS

    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", RELS)
        z.writestr("word/document.xml", "<w:document>this is not WordprocessingML")
    check_docx(broken.getvalue())  # gets past the check, to LibreOffice
    client = app.test_client()
    login(client, "chuyenvien")
    response = _upload(client, app, demo, "du-thao.docx", broken.getvalue())
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "Không mở được tệp DOCX" in text and "LibreOffice không mở được" in text
    assert _count(app, OutgoingDocument) == 0 and _count(app, StoredFile) == 0


def test_nothing_numbered_or_stored_by_failed_issues(app, demo, make_document):
    """Each refused attempt to issue, through the pages: a clear answer, the register's counter where it was, no
    file stored, the document as it was. (Refused drafts and uploads: the tests above; numbering's own refusals,
    service by service: tests/documents/test_numbering.py.)"""
    doc_id = make_document()
    clerk, signer, drafter = app.test_client(), app.test_client(), app.test_client()
    login(clerk, "vanthu")
    login(signer, "chutich")
    login(drafter, "chuyenvien")
    with app.app_context():
        secret_register = db.session.execute(select(Register.id).where(Register.kind == "secret")).scalar_one()
    before = numbered(app), stored(app)
    attempts = [
        (clerk, "/documents/999999/issue", {}, 404, "Không tìm thấy văn bản"),
        (signer, f"/documents/{doc_id}/issue", {}, 403, "Chỉ văn thư được cấp số"),
        (clerk, f"/documents/{doc_id}/issue", {"register_id": str(secret_register)}, 400,
         "không đổi được sổ khi ban hành"),
        (clerk, f"/documents/{doc_id}/issue", {"register_id": "abc"}, 400, "không hợp lệ"),
    ]
    for client, path, data, status, message in attempts:
        answer = _post(client, path, data, page="/")
        assert (answer.status_code, message in answer.get_data(as_text=True)) == (status, True), (path, data)
        assert (numbered(app), stored(app)) == before, (path, data)
    with app.app_context():
        assert get_doc(doc_id).status == "approved" and get_doc(doc_id).number is None
    # issued once; then a second issue and an edit of the issued document change nothing more
    assert _post(clerk, f"/documents/{doc_id}/issue", {}, page="/").status_code == 302
    after = numbered(app), stored(app)
    assert after[0] == before[0] + 1
    again = _post(clerk, f"/documents/{doc_id}/issue", {}, page="/")
    assert again.status_code == 409 and "đã được ban hành với số 01/KH-LĐLĐ" in again.get_data(as_text=True)
    edit = _post(drafter, f"/documents/{doc_id}/edit", _form(app, demo), page="/")
    assert edit.status_code == 403 and "không được sửa" in edit.get_data(as_text=True)
    assert (numbered(app), stored(app)) == after
    with app.app_context():
        assert len(get_doc(doc_id).versions) == 1


def test_an_approved_document_without_its_pdf_is_not_issued(app, demo, make_document):
    """The approved version has no PDF (nothing rendered or uploaded): issuing it would give recipients a number
    and nothing to read. Refused with what to do; the number taken is rolled back, nothing stored."""
    doc_id = make_document(render=False)
    before = numbered(app), stored(app)
    with pytest.raises(Conflict, match="chưa có bản PDF nên không cấp số được"), app.app_context():
        try:
            actions.issue_document(db.session.get(User, demo["vanthu"]), get_doc(doc_id))
        finally:
            db.session.rollback()
    clerk = app.test_client()
    login(clerk, "vanthu")
    answer = _post(clerk, f"/documents/{doc_id}/issue", {}, page="/")
    assert answer.status_code == 409 and "lưu lại dự thảo" in answer.get_data(as_text=True)
    assert (numbered(app), stored(app)) == before
    with app.app_context():
        assert get_doc(doc_id).status == "approved" and get_doc(doc_id).number is None


def test_attachments_are_separate_files_and_follow_the_documents_access(app, demo, make_document):
    doc_id = make_document("draft")
    drafter = app.test_client()
    login(drafter, "chuyenvien")
    pdf = simple_pdf(["Phụ lục I. Danh sách đơn vị"])
    ok = drafter.post(f"/documents/{doc_id}/attachments", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(drafter, "/"), "title": "Phụ lục I. Danh sách đơn vị",
        "file": (io.BytesIO(pdf), "phu-luc-1.pdf")})
    assert ok.status_code == 302
    page = drafter.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "Phụ lục I. Danh sách đơn vị" in page
    with app.app_context():
        file_id = get_doc(doc_id).attachments[0].file_id
    outsider = app.test_client()
    login(outsider, "daibieu")
    assert outsider.get(f"/files/{file_id}").status_code == 404
    refused = outsider.post(f"/documents/{doc_id}/attachments", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(outsider, "/"), "file": (io.BytesIO(pdf), "x.pdf")})
    assert refused.status_code == 404
    wrong_type = drafter.post(f"/documents/{doc_id}/attachments", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(drafter, "/"), "file": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"0" * 100), "a.png")})
    assert wrong_type.status_code == 415
    # a file that says it is a PDF but cannot be read (cut short in transfer): it could never be signed at issue
    truncated = drafter.post(f"/documents/{doc_id}/attachments", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(drafter, "/"), "title": "Phụ lục II",
        "file": (io.BytesIO(pdf[: len(pdf) // 2]), "phu-luc-2.pdf")})
    assert truncated.status_code == 400
    assert "Không nhận tệp PDF “phu-luc-2.pdf”" in truncated.get_data(as_text=True)
    with app.app_context():
        assert len(get_doc(doc_id).attachments) == 1
    assert _count(app, StoredFile) == 2  # the rendered draft and the one attachment, nothing else
