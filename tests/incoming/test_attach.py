"""Attaching files after registration (issue 10, item 8): a page action and POST /api/v1/incoming/<id>/files,
refused for a finished or recalled document, by policy, and for a bad file with a Vietnamese message and nothing
stored."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.files.models import StoredFile
from edoc.incoming.models import IncomingAttachment, IncomingDocument
from tests.documents.conftest import api_token
from tests.incoming.conftest import scan_png
from tests.support.web import csrf_token, login


def _counts(app, doc_id: int) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(IncomingAttachment)
                                  .where(IncomingAttachment.document_id == doc_id)),
                db.session.scalar(select(func.count()).select_from(StoredFile)))


def _attach(client, doc_id: int, name: str, content: bytes):
    token = csrf_token(client, f"/incoming/{doc_id}")
    return client.post(f"/incoming/{doc_id}/attach", data={"csrf_token": token,
                                                           "attachments": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def test_the_clerk_attaches_files_on_the_page_and_bad_ones_store_nothing(app, demo, register_doc, client):
    doc_id = register_doc()
    login(client, "vanthu")
    assert 'id="attach-form"' in client.get(f"/incoming/{doc_id}").text
    assert _attach(client, doc_id, "phu-luc.png", scan_png("Phụ lục")).status_code == 302
    before = _counts(app, doc_id)
    assert before[0] == 1
    refused = _attach(client, doc_id, "setup.exe", b"MZ\x90\x00" + b"\x00" * 200)
    assert refused.status_code == 400 and "không phải PDF hay ảnh" in refused.text
    assert _counts(app, doc_id) == before
    specialist = app.test_client()
    login(specialist, "chuyenvien")  # may not even see it
    assert _attach(specialist, doc_id, "x.png", scan_png()).status_code in (403, 404)
    assert _counts(app, doc_id) == before


def test_the_api_attaches_uploaded_files_and_refuses_a_recalled_document(app, demo, register_doc, client):
    doc_id = register_doc()
    headers = api_token(app, demo["vanthu"])
    uploaded = client.post("/api/v1/files", data={"file": (io.BytesIO(scan_png("Trang bổ sung")), "bo-sung.png")},
                           headers=headers, content_type="multipart/form-data")
    assert uploaded.status_code == 201, uploaded.text
    file_id = uploaded.json["id"]
    response = client.post(f"/api/v1/incoming/{doc_id}/files", json={"file_ids": [file_id]}, headers=headers)
    assert response.status_code == 201 and len(response.json["attachment_file_ids"]) == 1
    leader = client.post(f"/api/v1/incoming/{doc_id}/files", json={"file_ids": [file_id]},
                         headers=api_token(app, demo["chutich"]))
    assert leader.status_code in (403, 404)
    with app.app_context():
        doc = db.session.get(IncomingDocument, doc_id)
        doc.status = "recalled"
        db.session.commit()
    before = _counts(app, doc_id)
    refused = client.post(f"/api/v1/incoming/{doc_id}/files", json={"file_ids": [file_id]}, headers=headers)
    assert refused.status_code == 409 and "không đính kèm thêm" in refused.json["error"]["message"]
    assert _counts(app, doc_id) == before
    with app.app_context():
        assert db.session.get(User, demo["vanthu"]) is not None
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "post" in paths["/incoming/{id}/files"]
