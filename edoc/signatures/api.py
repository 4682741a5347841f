"""JSON API for signing and validation."""

from __future__ import annotations

from flask import Response, jsonify, request

from edoc.api import bp
from edoc.api.openapi import add_paths, errors
from edoc.api.routes import api_user
from edoc.api.schema import Int, Number, Obj, Str, json_body, read_body
from edoc.core.errors import ValidationFailed
from edoc.documents import policy
from edoc.documents.presentation import document_json
from edoc.signatures import service

PLACEMENT = Obj({
    "page": Int(1, 10_000, description="trang, từ 1"),
    "x": Number(0, 14_400, description="điểm PDF từ mép trái"),
    "y": Number(0, 14_400, description="điểm PDF từ mép dưới"),
}, required=("page", "x", "y"), nullable=True, description="tâm ô chữ ký, điểm PDF; chỉ cho tệp không có ô chữ ký")
SIGN = Obj({"pin": Str(max_length=64, min_length=1, nullable=False, description="mã PIN ký số"),
            "placement": PLACEMENT}, required=("pin",))


@bp.route("/documents/<int:doc_id>/sign", methods=["POST"])
def api_sign(doc_id: int) -> Response:
    body = read_body(SIGN)
    doc = policy.viewable(api_user(), doc_id)
    spot = body["placement"]
    placement = service.chosen_placement(spot["page"] - 1, spot["x"], spot["y"]) if spot else None
    service.sign_one(api_user(), doc, body["pin"], placement=placement)
    return jsonify(document_json(doc))


@bp.route("/signatures/validate", methods=["POST"])
def api_validate() -> Response:
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed("Thiếu phần “file” trong yêu cầu multipart.", field="file")
    row, report, record = service.validate_upload(api_user(), upload.stream, upload.filename)
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
        "requestBody": json_body(SIGN),
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
