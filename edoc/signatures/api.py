"""JSON API for signing and validation."""

from __future__ import annotations

import math
from typing import Any

from flask import Response, jsonify, request

from edoc.api import bp, json_object
from edoc.api.openapi import add_paths, errors
from edoc.api.routes import api_user
from edoc.core.db import db
from edoc.core.errors import ValidationFailed
from edoc.documents import policy
from edoc.documents.presentation import document_json
from edoc.files import sniff
from edoc.files.service import store_upload
from edoc.signatures import service
from signing.placement import Placement


def _placement(body: dict[str, Any]) -> Placement | None:
    spot = body.get("placement")
    if spot is None:
        return None
    try:
        page, x, y = int(spot["page"]), float(spot["x"]), float(spot["y"])
    except (TypeError, KeyError, ValueError):
        raise ValidationFailed("“placement” cần page (từ 1), x, y (điểm PDF, gốc ở góc dưới trái).",
                               field="placement") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValidationFailed("Vị trí ký không hợp lệ.", field="placement")
    return service.chosen_placement(page - 1, x, y)


@bp.route("/documents/<int:doc_id>/sign", methods=["POST"])
def api_sign(doc_id: int) -> Response:
    body = json_object()
    doc = policy.viewable(api_user(), doc_id)
    service.sign_one(api_user(), doc, str(body.get("pin", "")), placement=_placement(body))
    db.session.commit()
    return jsonify(document_json(doc))


@bp.route("/signatures/validate", methods=["POST"])
def api_validate() -> Response:
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed("Thiếu phần “file” trong yêu cầu multipart.", field="file")
    row = store_upload(upload.stream, upload.filename, uploader=api_user(), allowed=frozenset({sniff.PDF}),
                       commit=False)
    report, record = service.validate_file(api_user(), row)
    db.session.commit()
    return jsonify({"file_id": row.id, "record_id": record.id, **report.to_dict()})


@bp.route("/documents/<int:doc_id>/signatures", methods=["GET"])
def api_document_signatures(doc_id: int) -> Response:
    doc = policy.viewable(api_user(), doc_id)
    return jsonify({"reports": [{"file_id": row.file_id, "context": row.context, "checked_at": row.created_at,
                                 **report} for row, report in service.reports_of(doc)]})


_ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
add_paths({
    "/documents/{id}/sign": {"post": {
        "summary": "Người ký ký số văn bản đã duyệt (mã PIN ký số; với tệp không có ô chữ ký: vị trí ký)",
        "parameters": _ID,
        "requestBody": {"content": {"application/json": {"schema": {"type": "object", "required": ["pin"],
            "properties": {"pin": {"type": "string"}, "placement": {
                "type": "object", "required": ["page", "x", "y"], "description": "tâm ô chữ ký, điểm PDF",
                "properties": {"page": {"type": "integer", "minimum": 1}, "x": {"type": "number"},
                               "y": {"type": "number"}}}}}}}},
        "responses": {"200": {"description": "Đã ký"}, **errors(400, 401, 403, 404, 429)}}},
    "/documents/{id}/signatures": {"get": {
        "summary": "Các báo cáo kiểm tra chữ ký đã lưu cùng văn bản (tệp tải lên, tệp ban hành)",
        "parameters": _ID,
        "responses": {"200": {"description": "Báo cáo theo từng tệp"}, **errors(401, 404)}}},
    "/signatures/validate": {"post": {
        "summary": "Kiểm tra các chữ ký số trong một tệp PDF; báo cáo được lưu",
        "requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object", "properties": {
            "file": {"type": "string", "format": "binary"}}}}}},
        "responses": {"200": {"description": "Báo cáo theo từng chữ ký: người ký, thời điểm, toàn vẹn, tin cậy, "
                                             "thay đổi sau khi ký, phạm vi"}, **errors(400, 401, 413, 415)}}},
})
