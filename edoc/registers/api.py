"""JSON API for registers: list and configure them (admins), read the outgoing register (Appendix IV)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from edoc.api import bp
from edoc.api.openapi import add_paths, errors
from edoc.api.routes import api_user
from edoc.api.schema import Bool, Obj, Str, json_body, read_body
from edoc.core.errors import ValidationFailed
from edoc.core.forms import YEAR_MAX, YEAR_MIN, parse_int, parse_year
from edoc.registers import policy
from edoc.registers.entries import COLUMNS, outgoing_entries
from edoc.registers.models import RegisterKind
from edoc.registers.service import add_register, register_json, registers_of, update_register


@bp.route("/registers", methods=["GET"])
def api_registers() -> Response:
    user = api_user()
    policy.require_reader(user)
    return jsonify({"registers": [register_json(r) for r in registers_of(user.organisation_id)]})


REGISTER_FIELDS = {
    "name": Str(max_length=255, min_length=1, nullable=False),
    "issuer_abbreviation": Str(max_length=32, description="chữ viết tắt của Hội đồng/Ban/Tổ (sổ advisory)"),
    "issuer_name": Str(max_length=255, description="tên Hội đồng/Ban/Tổ (sổ advisory)"),
}
NEW_REGISTER = Obj({"kind": Str(max_length=16, enum=tuple(k.value for k in RegisterKind), nullable=False),
                    **REGISTER_FIELDS}, required=("kind", "name"))
REGISTER_CHANGES = Obj({**REGISTER_FIELDS, "active": Bool()}, partial=True)


@bp.route("/registers", methods=["POST"])
def api_create_register() -> tuple[Response, int]:
    user = api_user()
    body = read_body(NEW_REGISTER)
    register = add_register(user, user.organisation, body["kind"], body["name"],
                            issuer_abbreviation=body["issuer_abbreviation"], issuer_name=body["issuer_name"])
    return jsonify(register_json(register)), 201


@bp.route("/registers/<int:register_id>", methods=["PATCH"])
def api_update_register(register_id: int) -> Response:
    """Only the fields sent change."""
    user = api_user()
    register = policy.managed_register(user, register_id)
    body = read_body(REGISTER_CHANGES)
    update_register(user, register, name=body.get("name", register.name), active=body.get("active", register.active),
                    issuer_abbreviation=body.get("issuer_abbreviation", register.issuer_abbreviation or ""),
                    issuer_name=body.get("issuer_name", register.issuer_name or ""))
    return jsonify(register_json(register))


def entry_json(e: Any) -> dict[str, Any]:
    return {"reference": e.reference, "number": e.number, "issued_on": e.issued_on.isoformat(),
            "type_and_summary": e.type_and_summary, "signer": e.signer, "recipients": e.recipients,
            "archive": e.archive, "copies": e.copies, "sent_on": e.sent_on.isoformat() if e.sent_on else None,
            "receipt": e.receipt, "note": e.note, "document_id": e.document_id, "masked": e.masked}


@bp.route("/registers/<int:register_id>/entries", methods=["GET"])
def api_register_entries(register_id: int) -> Response:
    user = api_user()
    register = policy.readable_register(user, register_id)
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
_rid = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
add_paths({
    "/registers": {
        "get": {"summary": "Các sổ đăng ký của cơ quan", "responses": {"200": {"description": "OK"},
                                                                     **errors(401, 403)}},
        "post": {"summary": "Thêm sổ (quản trị viên): văn bản đi, mật, Hội đồng/Ban/Tổ, bản sao, văn bản đến",
                 "requestBody": json_body(NEW_REGISTER),
                 "responses": {"201": {"description": "Đã tạo", **_register}, **errors(400, 401, 403)}}},
    "/registers/{id}": {"patch": {"summary": "Sửa tên, ngừng dùng, chữ viết tắt của Hội đồng/Ban/Tổ (quản trị viên)",
                                  "parameters": _rid, "requestBody": json_body(REGISTER_CHANGES),
                                  "responses": {"200": {"description": "OK", **_register},
                                                **errors(400, 401, 403, 404)}}},
    "/registers/{id}/entries": {"get": {"summary": "Sổ đăng ký văn bản đi theo năm (10 cột, Phụ lục IV)",
                                        "parameters": [*_rid, *[
                                            {"name": n, "in": "query", "required": n == "year", "schema": t}
                                            for n, t in (
                                                ("year", {"type": "integer", "minimum": YEAR_MIN,
                                                          "maximum": YEAR_MAX}),
                                                ("month", {"type": "integer", "minimum": 1, "maximum": 12}),
                                                ("q", {"type": "string", "description": "tìm trong sổ; chỉ 200 "
                                                                                        "ký tự đầu được dùng"}))]],
                                        "responses": {"200": {"description": "Các dòng của sổ"},
                                                      **errors(400, 401, 403, 404)}}},
}, schemas={"Register": {"type": "object", "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"}, "kind": {"type": "string"},
    "kind_label": {"type": "string"}, "active": {"type": "boolean"},
    "issuer_abbreviation": {"type": ["string", "null"]}, "issuer_name": {"type": ["string", "null"]},
    "issuer": {"type": "string"}}}})
