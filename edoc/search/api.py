"""GET /api/v1/search: the same search as the page, as JSON."""

from __future__ import annotations

from flask import Response, jsonify, request

from edoc.api import bp
from edoc.api.openapi import add_paths, errors
from edoc.api.routes import api_user
from edoc.search.forms import read_filters
from edoc.search.service import PAGE_SIZE, search


@bp.route("/search", methods=["GET"])
def api_search() -> Response:
    query, filters, page = read_filters(request.args)
    results = search(api_user(), query, filters, page=page)
    return jsonify({"q": query, "page": results.page, "page_size": PAGE_SIZE, "total": results.total,
                    "more_than": results.more_than, "message": results.message or None,
                    "results": [hit.to_json() for hit in results.hits]})


def _param(name: str, kind: str, description: str, fmt: str | None = None) -> dict[str, object]:
    schema: dict[str, object] = {"type": kind}
    if fmt:
        schema["format"] = fmt
    return {"name": name, "in": "query", "schema": schema, "description": description}


add_paths({"/search": {"get": {
    "summary": "Tìm kiếm trong mọi văn bản người dùng được xem (không cần dấu; số như 445/KH hay 445)",
    "parameters": [
        _param("q", "string", "Từ khóa (tối đa 500 ký tự)"),
        _param("kind", "string", "outgoing (văn bản đi), incoming (văn bản đến), ..."),
        _param("year", "integer", "Năm"), _param("type", "string", "Loại văn bản (KH, CV, QĐ...)"),
        _param("unit", "integer", "Đơn vị"), _param("signer", "integer", "Người ký"),
        _param("status", "string", "Trạng thái"), _param("urgency", "string", "Khẩn, Thượng khẩn, Hỏa tốc"),
        _param("from", "string", "Từ ngày", "date"), _param("to", "string", "Đến ngày", "date"),
        _param("page", "integer", "Trang (20 kết quả mỗi trang)")],
    "responses": {"200": {"description": "Kết quả, tốt nhất trước; đoạn khớp có <mark> (đã thoát HTML)",
                          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchResults"}}}},
                  **errors(400, 401)}}}},
    schemas={"SearchResults": {"type": "object", "properties": {
        "q": {"type": "string"}, "page": {"type": "integer"}, "page_size": {"type": "integer"},
        "total": {"type": "integer"}, "more_than": {"type": "boolean"}, "message": {"type": ["string", "null"]},
        "results": {"type": "array", "items": {"type": "object", "properties": {
            "kind": {"type": "string"}, "id": {"type": "integer"}, "url": {"type": "string"},
            "reference": {"type": "string"}, "title": {"type": "string"}, "passage": {"type": "string"},
            "type": {"type": "string"}, "status": {"type": "string"}, "status_label": {"type": "string"},
            "urgency": {"type": ["string", "null"]}, "secret": {"type": "boolean"},
            "date": {"type": ["string", "null"], "format": "date"}, "rank": {"type": "number"}}}}}}})
