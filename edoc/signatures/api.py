"""JSON API for signing and validation."""

from __future__ import annotations

from flask import Response, jsonify, request

from edoc.api import bp
from edoc.api.openapi import add_paths, errors
from edoc.api.routes import api_user
from edoc.core.db import db
from edoc.core.errors import ValidationFailed
from edoc.documents import policy
from edoc.documents.api import document_json
from edoc.files import sniff
from edoc.files.service import read_verified, store_upload
from edoc.signatures import service


@bp.route("/documents/<int:doc_id>/sign", methods=["POST"])
def api_sign(doc_id: int) -> Response:
    body = request.get_json(silent=True) or {}
    doc = policy.viewable(api_user(), doc_id)
    service.sign_document(api_user(), doc, service.user_key(api_user(), str(body.get("pin", ""))))
    db.session.commit()
    return jsonify(document_json(doc))


@bp.route("/signatures/validate", methods=["POST"])
def api_validate() -> Response:
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed("Thiếu phần “file” trong yêu cầu multipart.", field="file")
    row = store_upload(upload.stream, upload.filename, uploader=api_user(), allowed=frozenset({sniff.PDF}),
                       commit=False)
    report, record = service.validate_file(api_user(), row.id, read_verified(row))
    db.session.commit()
    return jsonify({"file_id": row.id, "record_id": record.id, **report.to_dict()})


add_paths({
    "/documents/{id}/sign": {"post": {
        "summary": "Người ký ký số văn bản đã duyệt (mã PIN ký số)",
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "requestBody": {"content": {"application/json": {"schema": {"type": "object", "required": ["pin"],
                                                                     "properties": {"pin": {"type": "string"}}}}}},
        "responses": {"200": {"description": "Đã ký"}, **errors(400, 401, 403, 404)}}},
    "/signatures/validate": {"post": {
        "summary": "Kiểm tra các chữ ký số trong một tệp PDF; báo cáo được lưu",
        "requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object", "properties": {
            "file": {"type": "string", "format": "binary"}}}}}},
        "responses": {"200": {"description": "Báo cáo theo từng chữ ký: người ký, thời điểm, toàn vẹn, tin cậy, "
                                             "thay đổi sau khi ký, phạm vi"}, **errors(400, 401, 413, 415)}}},
})
