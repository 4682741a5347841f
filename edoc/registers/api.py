"""JSON API for registers: list and configure them (admins), read the outgoing register (Appendix IV)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from edoc.accounts.policy import require_admin_of
from edoc.api import bp, json_object
from edoc.api.openapi import add_paths, errors
from edoc.api.routes import api_user
from edoc.core.db import db
from edoc.core.errors import NotAllowed, ValidationFailed
from edoc.core.forms import parse_int, parse_year
from edoc.registers.service import (
    COLUMNS,
    REGISTERS_ARE_FOR,
    can_read_registers,
    create_register,
    get_register_in,
    outgoing_entries,
    readable_register,
    register_json,
    registers_of,
    update_register,
)


@bp.route("/registers", methods=["GET"])
def api_registers() -> Response:
    user = api_user()
    if not can_read_registers(user):
        raise NotAllowed(REGISTERS_ARE_FOR)
    return jsonify({"registers": [register_json(r) for r in registers_of(user.organisation_id)]})


@bp.route("/registers", methods=["POST"])
def api_create_register() -> tuple[Response, int]:
    user = api_user()
    body = json_object()
    register = create_register(user, user.organisation, str(body.get("kind") or ""), str(body.get("name") or ""),
                               issuer_abbreviation=str(body.get("issuer_abbreviation") or ""),
                               issuer_name=str(body.get("issuer_name") or ""))
    db.session.commit()
    return jsonify(register_json(register)), 201


@bp.route("/registers/<int:register_id>", methods=["PATCH"])
def api_update_register(register_id: int) -> Response:
    user = api_user()
    require_admin_of(user, user.organisation)
    register = get_register_in(user.organisation_id, register_id)
    body = json_object()
    active = body.get("active", register.active)
    if not isinstance(active, bool):
        raise ValidationFailed("“active” phải là true hoặc false.", field="active")
    update_register(user, register, name=str(body.get("name", register.name) or ""), active=active,
                    issuer_abbreviation=str(body.get("issuer_abbreviation", register.issuer_abbreviation) or ""),
                    issuer_name=str(body.get("issuer_name", register.issuer_name) or ""))
    db.session.commit()
    return jsonify(register_json(register))


def entry_json(e: Any) -> dict[str, Any]:
    return {"reference": e.reference, "number": e.number, "issued_on": e.issued_on.isoformat(),
            "type_and_summary": e.type_and_summary, "signer": e.signer, "recipients": e.recipients,
            "archive": e.archive, "copies": e.copies, "sent_on": e.sent_on.isoformat() if e.sent_on else None,
            "receipt": e.receipt, "note": e.note, "document_id": e.document_id, "masked": e.masked}


@bp.route("/registers/<int:register_id>/entries", methods=["GET"])
def api_register_entries(register_id: int) -> Response:
    user = api_user()
    register = readable_register(user, register_id)
    if "year" not in request.args:
        raise ValidationFailed("Tham số year (năm) là bắt buộc, ví dụ ?year=2026.", field="year")
    year = parse_year(request.args.get("year"))
    month = parse_int(request.args.get("month"), field="month", minimum=1, maximum=12,
                      message="Tháng không hợp lệ (1-12).") if request.args.get("month") else None
    query = request.args.get("q", "").strip()[:200]
    entries = outgoing_entries(register, year, query=query, month=month, viewer=user)
    return jsonify({"register_id": register.id, "year": year, "month": month, "q": query or None,
                    "columns": COLUMNS, "entries": [entry_json(e) for e in entries]})


_register = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Register"}}}}
_register_body = {"content": {"application/json": {"schema": {"type": "object", "properties": {
    "kind": {"type": "string", "enum": ["outgoing", "secret", "advisory", "copies", "incoming"]},
    "name": {"type": "string"}, "issuer_abbreviation": {"type": "string"}, "issuer_name": {"type": "string"},
    "active": {"type": "boolean"}}}}}}
_rid = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
add_paths({
    "/registers": {
        "get": {"summary": "Các sổ đăng ký của cơ quan", "responses": {"200": {"description": "OK"},
                                                                     **errors(401, 403)}},
        "post": {"summary": "Thêm sổ (quản trị viên): văn bản đi, mật, Hội đồng/Ban/Tổ, bản sao, văn bản đến",
                 "requestBody": _register_body,
                 "responses": {"201": {"description": "Đã tạo", **_register}, **errors(400, 401, 403)}}},
    "/registers/{id}": {"patch": {"summary": "Sửa tên, ngừng dùng, chữ viết tắt của Hội đồng/Ban/Tổ (quản trị viên)",
                                  "parameters": _rid, "requestBody": _register_body,
                                  "responses": {"200": {"description": "OK", **_register},
                                                **errors(400, 401, 403, 404)}}},
    "/registers/{id}/entries": {"get": {"summary": "Sổ đăng ký văn bản đi theo năm (10 cột, Phụ lục IV)",
                                        "parameters": [*_rid, *[
                                            {"name": n, "in": "query", "required": n == "year",
                                             "schema": {"type": t}} for n, t in
                                            (("year", "integer"), ("month", "integer"), ("q", "string"))]],
                                        "responses": {"200": {"description": "Các dòng của sổ"},
                                                      **errors(400, 401, 403, 404)}}},
}, schemas={"Register": {"type": "object", "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"}, "kind": {"type": "string"},
    "kind_label": {"type": "string"}, "active": {"type": "boolean"},
    "issuer_abbreviation": {"type": ["string", "null"]}, "issuer_name": {"type": ["string", "null"]},
    "issuer": {"type": "string"}}}})
