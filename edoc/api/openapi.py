"""The OpenAPI 3.1 description of /api/v1. Each feature adds its paths through ``add_paths``."""

from __future__ import annotations

from typing import Any

_ERROR = {"$ref": "#/components/schemas/Error"}
_paths: dict[str, dict[str, Any]] = {}
_schemas: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "properties": {"error": {"type": "object", "properties": {
            "code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"}}}},
    },
    "File": {
        "type": "object",
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "size": {"type": "integer"},
                       "sha256": {"type": "string"}, "media_type": {"type": "string"},
                       "created_at": {"type": "string", "format": "date-time"}},
    },
    "Me": {"type": "object", "properties": {
        "id": {"type": "integer"}, "username": {"type": "string"}, "full_name": {"type": "string"},
        "title": {"type": "string"}, "roles": {"type": "array", "items": {"type": "string"}}}},
}


def errors(*codes: int) -> dict[str, Any]:
    text = {400: "Dữ liệu không hợp lệ", 401: "Thiếu hoặc sai mã truy cập", 403: "Không có quyền",
            404: "Không tìm thấy", 409: "Xung đột trạng thái", 413: "Quá lớn", 415: "Sai loại tệp"}
    return {str(c): {"description": text.get(c, ""), "content": {"application/json": {"schema": _ERROR}}}
            for c in codes}


def add_paths(paths: dict[str, dict[str, Any]], schemas: dict[str, dict[str, Any]] | None = None) -> None:
    for path, ops in paths.items():
        _paths.setdefault(path, {}).update(ops)
    _schemas.update(schemas or {})


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "edoc API", "version": "1",
                 "description": "Văn bản điện tử và phòng họp không giấy. Xác thực bằng mã truy cập cá nhân."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": _schemas},
        "paths": {path: _with_405(ops) for path, ops in sorted(_paths.items())},
    }


_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _with_405(operations: dict[str, Any]) -> dict[str, Any]:
    """Every operation may answer 405 to a method its path does not take, with ``Allow`` naming those it does
    (edoc.core.http keeps Werkzeug's header on its error page)."""
    answer = {"description": "Phương thức không được hỗ trợ ở đường dẫn này",
              "headers": {"Allow": {"description": "các phương thức đường dẫn nhận",
                                    "schema": {"type": "string"}}},
              "content": {"application/json": {"schema": _ERROR}}}
    return {method: {**op, "responses": {**op["responses"], "405": answer}} if method in _METHODS else op
            for method, op in operations.items()}


_file_ok = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/File"}}}}
add_paths({
    "/me": {"get": {"summary": "Người dùng của mã truy cập", "responses": {
        "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Me"}}}},
        **errors(401)}}},
    "/files": {"post": {"summary": "Tải lên một tệp (multipart, phần “file”)",
                        "requestBody": {"content": {"multipart/form-data": {"schema": {
                            "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}}},
                        "responses": {"201": {"description": "Đã lưu", **_file_ok}, **errors(400, 401, 413, 415)}}},
    "/uploads/{name}": {"post": {"summary": "Tải lên một tệp: thân yêu cầu là nội dung tệp, tên ở đường dẫn",
                              "parameters": [{"name": "name", "in": "path", "required": True,
                                              "schema": {"type": "string"}}],
                              "requestBody": {"content": {"application/octet-stream": {
                                  "schema": {"type": "string", "format": "binary"}}}},
                              "responses": {"201": {"description": "Đã lưu", **_file_ok},
                                            **errors(400, 401, 413, 415)}}},
    "/files/{id}": {"get": {"summary": "Thông tin tệp", "parameters": [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "OK", **_file_ok}, **errors(401, 404)}}},
    "/files/{id}/content": {"get": {"summary": "Nội dung tệp (kiểm tra SHA-256 khi đọc)", "parameters": [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "Nội dung tệp"}, **errors(401, 404)}}},
})
