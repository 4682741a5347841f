"""Uploaded drafts (DOCX converted by LibreOffice, or PDF) get the renderer's number and date fields where the
first page leaves "Số:      /KH-LĐLĐ" and "ngày    tháng    năm" blank, so the issued PDF carries its number and
date; a file without those blanks is refused with what it must contain, and nothing is stored."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.core.errors import Conflict
from edoc.documents import actions, review
from edoc.documents.models import DocumentVersion, OutgoingDocument
from edoc.files.service import read_verified
from edoc.organisations.models import Unit
from signing.forms import field_boxes
from tests.documents.conftest import (
    DRAFT_LINES,
    api_token,
    get_doc,
    minimal_docx,
    numbered,
    signed_on_paper,
    simple_pdf,
    stored,
)
from tests.support.components import require_tool
from tests.support.web import csrf_token, login

AT = datetime(2026, 4, 10, 2, 15, tzinfo=UTC)
FIELDS = {"doc_number", "doc_day", "doc_month", "doc_year"}


def _lines(**replace: str) -> list[str]:
    return [replace.get(str(i), line) for i, line in enumerate(DRAFT_LINES)]


def _form(app, demo) -> dict[str, object]:
    with app.app_context():
        tg = db.session.execute(select(Unit.id).where(Unit.abbreviation == "TG")).scalar_one()
    return {"type_code": "KH", "summary": "Tổ chức Tháng Công nhân năm 2026", "body": "", "secrecy": "",
            "urgency": "", "drafting_unit_id": str(tg), "register_id": "", "signer_id": str(demo["chutich"]),
            "signer_authority": "TM.", "signer_authority_line": "BAN THƯỜNG VỤ", "signer_title": "",
            "kinh_gui": "", "recipients_act": [f"unit:{tg}"], "copies": "1", "note": ""}


def _upload_page(app, demo, name: str, data: bytes):
    client = app.test_client()
    login(client, "chuyenvien")
    form = {**_form(app, demo), "source": (io.BytesIO(data), name),
            "csrf_token": csrf_token(client, "/documents/new")}
    return client.post("/documents/new", data=form, content_type="multipart/form-data")


def _approve_and_issue(app, demo, doc_id: int) -> bytes:
    with app.app_context():
        drafter, signer = db.session.get(User, demo["chuyenvien"]), db.session.get(User, demo["chutich"])
        clerk = db.session.get(User, demo["vanthu"])
        review.submit(drafter, get_doc(doc_id))
        review.approve(signer, get_doc(doc_id))
        signed_on_paper(get_doc(doc_id))
        db.session.commit()
        actions.issue_document(clerk, get_doc(doc_id), at=AT)
        return read_verified(get_doc(doc_id).issued_file)


def _text(pdf: bytes, tmp_path) -> str:
    require_tool("pdftotext", "poppler-utils")
    path = tmp_path / "issued.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-l", "1", str(path), "-"], capture_output=True, text=True).stdout
    return re.sub(r"\s+/", "/", " ".join(text.split()))


def test_docx_upload_gets_fields_and_is_issued_with_number_and_date(app, demo, tmp_path):
    before = stored(app)
    response = _upload_page(app, demo, "ke-hoach.docx", minimal_docx(DRAFT_LINES))
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    doc_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        version = get_doc(doc_id).current_version
        assert version.source == "docx" and version.source_file.original_name == "ke-hoach.docx"
        assert FIELDS <= set(field_boxes(read_verified(version.pdf_file)))
    assert stored(app)[0] == before[0] + 2  # the DOCX and its PDF with fields
    text = _text(_approve_and_issue(app, demo, doc_id), tmp_path)
    assert "Số: 01/KH-LĐLĐ" in text and "Gia Lâm, ngày 10 tháng 4 năm 2026" in text


def test_pdf_upload_through_the_api_gets_fields_and_is_issued(app, demo, make_document, tmp_path):
    doc_id = make_document("draft")
    headers = api_token(app, demo["chuyenvien"])
    response = app.test_client().post(f"/api/v1/documents/{doc_id}/versions", headers=headers,
                                      content_type="multipart/form-data",
                                      data={"file": (io.BytesIO(simple_pdf(DRAFT_LINES)), "ke-hoach.pdf"),
                                            "note": "Bản PDF"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["versions"] == 2
    with app.app_context():
        version = get_doc(doc_id).current_version
        assert version.source == "pdf" and version.note == "Bản PDF"
        assert get_doc(doc_id).drafting_unit.abbreviation == "TG"  # the unit is kept by a version (M)
    text = _text(_approve_and_issue(app, demo, doc_id), tmp_path)
    assert "Số: 01/KH-LĐLĐ" in text and "Gia Lâm, ngày 10 tháng 4 năm 2026" in text


@pytest.mark.parametrize(("replace", "message"), [
    ({"1": "Số:/KH-LĐLĐ"}, "phải để trống chỗ để văn thư điền số"),
    ({"1": "Số: 12/KH-LĐLĐ"}, "đã ghi sẵn số"),
    ({"1": "Số: ....../KH-LĐLĐ"}, "dấu chấm"),
    ({"1": "KẾ HOẠCH SỐ"}, "không tìm thấy dòng số, ký hiệu ở trang đầu"),
    ({"2": "Gia Lâm, ngày 10 tháng 4 năm 2026"}, "đã ghi sẵn ngày tháng"),
    ({"2": "Gia Lâm, tháng 4"}, "không tìm thấy dòng địa danh, ngày tháng năm"),
    ({"1": "Số:          /QĐ-LĐLĐ"}, "(“/QĐ-LĐLĐ”) khác ký hiệu theo loại văn bản và sổ đã chọn (“/KH-LĐLĐ”)"),
])
def test_uploads_without_the_blanks_are_refused_and_nothing_is_stored(app, demo, replace, message):
    before = stored(app)
    response = _upload_page(app, demo, "du-thao.pdf", simple_pdf(_lines(**replace)))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    if "/QĐ-" not in message:  # the drafter is shown what the first page must contain
        assert "“Số:      /KH-LĐLĐ” và “Gia Lâm, ngày    tháng    năm      ”" in page
    assert stored(app) == before
    with app.app_context():
        assert db.session.execute(select(OutgoingDocument)).first() is None


def test_a_printed_year_is_kept_and_checked_at_issue(app, demo, tmp_path):
    lines = _lines(**{"2": "Gia Lâm, ngày      tháng      năm 2025"})
    response = _upload_page(app, demo, "du-thao.pdf", simple_pdf(lines))
    assert response.status_code == 302
    doc_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        assert set(field_boxes(read_verified(get_doc(doc_id).current_version.pdf_file))) == FIELDS - {"doc_year"}
    with pytest.raises(Conflict, match="in sẵn “năm 2025” nhưng văn bản ban hành năm 2026"):
        _approve_and_issue(app, demo, doc_id)
    assert numbered(app) == 0
    with app.app_context():
        assert get_doc(doc_id).status == "approved" and get_doc(doc_id).number is None


def test_a_version_keeps_the_drafting_unit_when_the_api_omits_it(app, demo, make_document):
    with app.app_context():
        vp = db.session.execute(select(Unit.id).where(Unit.abbreviation == "VP")).scalar_one()
    doc_id = make_document("draft", drafting_unit_id=vp)  # not the drafter's own unit (TG)
    body = {"type": "KH", "summary": "Sửa trích yếu", "signer_id": demo["chutich"],
            "signer_authority": "TM.", "signer_authority_line": "BAN THƯỜNG VỤ"}
    response = app.test_client().post(f"/api/v1/documents/{doc_id}/versions", json=body,
                                      headers=api_token(app, demo["chuyenvien"]))
    assert response.status_code == 201
    with app.app_context():
        doc = get_doc(doc_id)
        assert doc.drafting_unit.abbreviation == "VP" and doc.summary == "Sửa trích yếu"
        versions = db.session.execute(select(DocumentVersion).where(DocumentVersion.document_id == doc_id)).all()
        assert len(versions) == 2
    clerk_view = spec_lines(app, doc_id)
    assert clerk_view[-1] == "- Lưu: VT, VP."


def spec_lines(app, doc_id: int) -> list[str]:
    from edoc.documents.spec import spec_for

    with app.app_context():
        return spec_for(get_doc(doc_id)).recipients


def test_a_docx_is_converted_outside_any_transaction(app, demo, monkeypatch):
    """LibreOffice takes up to a minute; on SQLite every transaction holds the write lock, so the request's read
    transaction is ended before converting (nothing was written yet, so nothing is lost)."""
    from edoc.documents import sources
    from edoc.rendering import convert

    seen: list[bool] = []
    real = convert.docx_to_pdf

    def watched(data, **kwargs):
        seen.append(db.session().in_transaction())
        return real(data, **kwargs)

    monkeypatch.setattr(sources, "docx_to_pdf", watched)  # sources imports the function itself (271fbcd)
    with app.app_context():
        drafter = db.session.get(User, demo["chuyenvien"])  # the request has read: a transaction is open
        assert db.session().in_transaction()
        upload = sources.read_upload(io.BytesIO(minimal_docx(DRAFT_LINES)), "ke-hoach.docx")
        assert seen == [False] and upload.layout.notation == "KH-LĐLĐ"
        assert drafter.username == "chuyenvien"  # still usable afterwards
