"""JSON API for validation of a signed PDF (signing a document is ``edoc.documents.api``)."""

from __future__ import annotations

from flask import Response, jsonify, request

from edoc.api import bp
from edoc.api.openapi import add_paths, errors
from edoc.api.routes import api_user
from edoc.core.errors import ValidationFailed
from edoc.signatures import service


@bp.route("/signatures/validate", methods=["POST"])
def api_validate() -> Response:
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed("Thiếu phần “file” trong yêu cầu multipart.", field="file")
    row, report, record = service.validate_upload(api_user(), upload.stream, upload.filename)
    return jsonify({"file_id": row.id, "record_id": record.id, **report.to_dict()})


add_paths({
    "/signatures/validate": {"post": {
        "summary": "Kiểm tra các chữ ký số trong một tệp PDF; báo cáo được lưu",
        "requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object", "properties": {
            "file": {"type": "string", "format": "binary"}}}}}},
        "responses": {"200": {"description": "Báo cáo theo từng chữ ký: người ký, thời điểm, toàn vẹn, tin cậy, "
                                             "thay đổi sau khi ký, phạm vi"}, **errors(400, 401, 413, 415)}}},
})
