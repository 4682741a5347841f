"""JSON API for incoming documents (/api/v1/incoming...): register with files uploaded first to /files, present,
direct and assign, report progress, pass on, finish (answer or close), file, return, list, and the registers."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from edoc.api import bp, json_object
from edoc.api.openapi import add_paths, errors
from edoc.api.routes import api_user
from edoc.core.db import db
from edoc.core.errors import ValidationFailed
from edoc.core.forms import parse_id, parse_int, parse_year
from edoc.files.models import StoredFile
from edoc.files.service import read_verified
from edoc.incoming import forms, policy, service
from edoc.incoming import registers as registers_mod
from edoc.incoming.intake import Part
from edoc.incoming.models import IncomingDocument
from edoc.tasks.models import Task
from edoc.tasks.service import get_task, tasks_of_subject


def task_json(t: Task) -> dict[str, Any]:
    return {"id": t.id, "role": t.role, "user_id": t.user_id, "unit_id": t.unit_id, "assignee": t.assignee_label,
            "instructions": t.instructions, "deadline": t.deadline.isoformat() if t.deadline else None,
            "parent_id": t.parent_id, "status": t.status, "progress": t.progress, "result": t.result}


def incoming_json(d: IncomingDocument, *, full: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": d.id, "status": d.status, "status_label": d.status_label, "channel": d.channel, "year": d.year,
        "number": d.number, "received_at": d.received_at.isoformat(), "sender_name": d.sender_name,
        "original_reference": d.original_reference,
        "original_date": d.original_date.isoformat() if d.original_date else None, "type_code": d.type_code,
        "summary": d.summary, "secrecy": d.secrecy, "urgency": d.urgency, "signature_verdict": d.signature_verdict,
        "deadline": d.deadline.isoformat() if d.deadline else None, "presented_to_id": d.presented_to_id,
        "presented_late": d.presented_late, "reply_document_id": d.reply_document_id}
    if full:
        body.update({"signer_name": d.signer_name, "pages": d.pages, "direction": d.direction, "result": d.result,
                     "return_reason": d.return_reason, "file_id": d.file_id,
                     "attachment_file_ids": [a.file_id for a in d.attachments], "ocr_status": d.ocr_status,
                     "validation_id": d.validation_id,
                     "tasks": [task_json(t) for t in tasks_of_subject(service.SUBJECT, d.id)]})
    return body


def _own_upload(user_id: int, raw: object) -> Part:
    file_id = parse_id(raw, field="file_ids")
    row = db.session.get(StoredFile, file_id)
    if row is None or row.uploaded_by_id != user_id or row.purpose != "upload":
        raise ValidationFailed("Không tìm thấy tệp đã tải lên (POST /files) của bạn.", field="file_ids")
    return Part(row.original_name, read_verified(row))


def _ids(body: dict[str, Any], name: str) -> list[object]:
    value = body.get(name) or []
    if not isinstance(value, list):
        raise ValidationFailed(f"“{name}” là một mảng mã tệp.", field=name)
    return value


@bp.route("/incoming", methods=["GET"])
def api_incoming_list() -> Response:
    user = api_user()
    box = request.args.get("box", "all")
    if box not in service.BOXES:
        raise ValidationFailed(f"box là một trong: {', '.join(service.BOXES)}.", field="box")
    return jsonify({"box": box, "documents": [incoming_json(d) for d in service.list_documents(user, box)]})


@bp.route("/incoming", methods=["POST"])
def api_incoming_register() -> tuple[Response, int]:
    user = api_user()
    body = json_object()
    allow = body.get("allow_duplicate", False)
    if not isinstance(allow, bool):
        raise ValidationFailed("“allow_duplicate” là true hoặc false.", field="allow_duplicate")
    data = service.precheck(user, forms.incoming_data(body, _ids(body, "reader_ids")), allow_duplicate=allow)
    files = [_own_upload(user.id, i) for i in _ids(body, "file_ids")]
    attachments = [_own_upload(user.id, i) for i in _ids(body, "attachment_ids")]
    arrival = service.check_files(user.organisation_id, files, attachments, validate=False)
    doc = service.register_arrival(user, data, arrival, channel=str(body.get("channel") or "upload"),
                                   allow_duplicate=allow)
    return jsonify(incoming_json(doc, full=True)), 201


@bp.route("/incoming/<int:doc_id>", methods=["GET"])
def api_incoming_show(doc_id: int) -> Response:
    return jsonify(incoming_json(policy.viewable(api_user(), doc_id), full=True))


def _done(doc: IncomingDocument) -> Response:
    """The document after the service function that changed it (and committed)."""
    return jsonify(incoming_json(doc, full=True))


@bp.route("/incoming/<int:doc_id>/register", methods=["POST"])
def api_incoming_register_received(doc_id: int) -> Response:
    user = api_user()
    body = json_object()
    doc = policy.viewable(user, doc_id)
    service.register_received(user, doc, forms.incoming_data(body, _ids(body, "reader_ids")),
                              allow_duplicate=body.get("allow_duplicate") is True)
    return _done(doc)


@bp.route("/incoming/<int:doc_id>/present", methods=["POST"])
def api_incoming_present(doc_id: int) -> Response:
    user = api_user()
    body = json_object()
    doc = policy.viewable(user, doc_id)
    service.present(user, doc, parse_id(body.get("leader_id"), field="leader_id"))
    return _done(doc)


@bp.route("/incoming/<int:doc_id>/direct", methods=["POST"])
def api_incoming_direct(doc_id: int) -> Response:
    user = api_user()
    body = json_object()
    doc = policy.viewable(user, doc_id)
    service.direct(user, doc, str(body.get("direction") or ""), forms.assignees_from_json(body.get("assignees")),
                   deadline=forms.parse_date(body.get("deadline"), field="deadline", label="Hạn giải quyết"))
    return _done(doc)


@bp.route("/incoming/<int:doc_id>/tasks/<int:task>/report", methods=["POST"])
def api_incoming_report(doc_id: int, task: int) -> Response:
    user = api_user()
    body = json_object()
    doc = policy.viewable(user, doc_id)
    done = body.get("done", False)
    if not isinstance(done, bool):
        raise ValidationFailed("“done” là true hoặc false.", field="done")
    service.report(user, doc, get_task(user, task), progress=forms.progress(body.get("progress")),
                   note=str(body.get("note") or ""), done=done)
    return _done(doc)


@bp.route("/incoming/<int:doc_id>/tasks/<int:task>/pass-on", methods=["POST"])
def api_incoming_pass_on(doc_id: int, task: int) -> Response:
    user = api_user()
    body = json_object()
    doc = policy.viewable(user, doc_id)
    service.pass_on(user, doc, get_task(user, task), parse_id(body.get("user_id"), field="user_id"),
                    str(body.get("instructions") or ""),
                    forms.parse_date(body.get("deadline"), field="deadline", label="Hạn giải quyết"))
    return _done(doc)


@bp.route("/incoming/<int:doc_id>/finish", methods=["POST"])
def api_incoming_finish(doc_id: int) -> Response:
    user = api_user()
    body = json_object()
    doc = policy.viewable(user, doc_id)
    reply = body.get("reply_document_id")
    service.finish(user, doc, result=str(body.get("result") or ""),
                   reply_document_id=parse_id(reply, field="reply_document_id") if reply is not None else None)
    return _done(doc)


@bp.route("/incoming/<int:doc_id>/file", methods=["POST"])
def api_incoming_file(doc_id: int) -> Response:
    user = api_user()
    doc = policy.viewable(user, doc_id)
    service.file_document(user, doc)
    return _done(doc)


@bp.route("/incoming/<int:doc_id>/return", methods=["POST"])
def api_incoming_return(doc_id: int) -> Response:
    user = api_user()
    body = json_object()
    doc = policy.viewable(user, doc_id)
    service.return_to_sender(user, doc, str(body.get("reason") or ""))
    return _done(doc)


@bp.route("/incoming/<int:doc_id>/files", methods=["POST"])
def api_incoming_attach(doc_id: int) -> tuple[Response, int]:
    user = api_user()
    body = json_object()
    doc = policy.viewable(user, doc_id)
    parts = [_own_upload(user.id, i) for i in _ids(body, "file_ids")]
    service.attach_files(user, doc, parts)
    return jsonify(incoming_json(doc, full=True)), 201


@bp.route("/incoming/registers/<kind>", methods=["GET"])
def api_incoming_registers(kind: str) -> Response:
    user = api_user()
    policy.require(policy.can_read_register(user), "Sổ văn bản đến dành cho văn thư và lãnh đạo.")
    if kind not in {"register", "tracker"}:
        raise ValidationFailed("Sổ: register (đăng ký) hoặc tracker (theo dõi giải quyết).", field="kind")
    if "year" not in request.args:
        raise ValidationFailed("Tham số year (năm) là bắt buộc, ví dụ ?year=2026.", field="year")
    year = parse_year(request.args.get("year"))
    month = parse_int(request.args.get("month"), field="month", minimum=1, maximum=12,
                      message="Tháng không hợp lệ (1-12).") if request.args.get("month") else None
    query = request.args.get("q", "").strip()[:200]
    rows = (registers_mod.register_rows(user, year, month=month, query=query) if kind == "register"
            else registers_mod.tracker_rows(user, year, month=month, query=query))
    columns = registers_mod.REGISTER_COLUMNS if kind == "register" else registers_mod.TRACKER_COLUMNS
    return jsonify({"kind": kind, "year": year, "columns": columns, "rows": [
        {"document_id": r.document_id, "masked": r.masked,
         "cells": [registers_mod.cell_text(c) for c in r.cells]} for r in rows]})


_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
_task = {"name": "task", "in": "path", "required": True, "schema": {"type": "integer"}}
_doc = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Incoming"}}}}


def _body(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return {"content": {"application/json": {"schema": schema}}}


_fields = {n: {"type": "string"} for n in ("summary", "sender_name", "original_reference", "type_code",
                                           "signer_name", "secrecy", "urgency", "attachments_note")}
_fields.update({"sender_contact_id": {"type": "integer"}, "original_date": {"type": "string", "format": "date"},
                "pages": {"type": "integer"}, "reader_ids": {"type": "array", "items": {"type": "integer"}},
                "allow_duplicate": {"type": "boolean"}})


def _action(summary: str, body: dict[str, Any] | None, *params: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "parameters": [_id, *params],
                          "responses": {"200": {"description": "OK", **_doc}, **errors(400, 401, 403, 404, 409)}}
    if body is not None:
        op["requestBody"] = body
    return {"post": op}


add_paths({
    "/incoming": {
        "get": {"summary": "Danh sách văn bản đến theo hộp (box)",
                "parameters": [{"name": "box", "in": "query", "schema": {"type": "string",
                                                                          "enum": list(service.BOXES)}}],
                "responses": {"200": {"description": "OK"}, **errors(400, 401)}},
        "post": {"summary": "Vào sổ văn bản đến (văn thư): trường thông tin và tệp đã tải lên (file_ids: một PDF "
                            "hoặc nhiều ảnh), lấy số đến; trùng văn bản đã vào sổ → 409 duplicate_arrival",
                 "requestBody": _body({**_fields, "channel": {"type": "string", "enum": ["paper", "upload"]},
                                       "file_ids": {"type": "array", "items": {"type": "integer"}},
                                       "attachment_ids": {"type": "array", "items": {"type": "integer"}}},
                                      ["summary", "file_ids"]),
                 "responses": {"201": {"description": "Đã vào sổ", **_doc}, **errors(400, 401, 403, 409, 415)}}},
    "/incoming/{id}": {"get": {"summary": "Một văn bản đến, với việc được giao", "parameters": [_id],
                               "responses": {"200": {"description": "OK", **_doc}, **errors(401, 404)}}},
    "/incoming/{id}/register": _action("Vào sổ văn bản đang chờ (thư điện tử, trên hệ thống)", _body(_fields)),
    "/incoming/{id}/present": _action("Trình lãnh đạo", _body({"leader_id": {"type": "integer"}}, ["leader_id"])),
    "/incoming/{id}/direct": _action(
        "Ý kiến chỉ đạo và giao việc: chủ trì, phối hợp, để biết, hạn giải quyết",
        _body({"direction": {"type": "string"}, "deadline": {"type": "string", "format": "date"},
               "assignees": {"type": "array", "items": {"type": "object", "properties": {
                   "role": {"type": "string", "enum": ["lead", "cooperate", "inform"]},
                   "user_id": {"type": "integer"}, "unit_id": {"type": "integer"},
                   "instructions": {"type": "string"}, "deadline": {"type": "string", "format": "date"}}}}},
              ["direction", "assignees"])),
    "/incoming/{id}/tasks/{task}/report": _action(
        "Báo cáo tiến độ hoặc kết quả của việc được giao",
        _body({"progress": {"type": "integer"}, "note": {"type": "string"}, "done": {"type": "boolean"}},
              ["progress", "note"]), _task),
    "/incoming/{id}/tasks/{task}/pass-on": _action(
        "Lãnh đạo đơn vị giao tiếp cho chuyên viên",
        _body({"user_id": {"type": "integer"}, "instructions": {"type": "string"},
               "deadline": {"type": "string", "format": "date"}}, ["user_id"]), _task),
    "/incoming/{id}/finish": _action("Kết thúc xử lý: trả lời bằng văn bản đi đã ban hành, hoặc ghi kết quả",
                                     _body({"result": {"type": "string"}, "reply_document_id": {"type": "integer"}})),
    "/incoming/{id}/file": _action("Lưu hồ sơ (văn thư)", None),
    "/incoming/{id}/files": {"post": {
        "summary": "Đính kèm thêm tệp sau khi vào sổ (văn thư): tệp đã tải lên (POST /files), mỗi tệp một PDF hoặc "
                   "ảnh; không nhận khi văn bản đã giải quyết xong, lưu hồ sơ, trả lại hoặc bị thu hồi (409)",
        "parameters": [_id],
        "requestBody": _body({"file_ids": {"type": "array", "items": {"type": "integer"}}}, ["file_ids"]),
        "responses": {"201": {"description": "Đã đính kèm", **_doc}, **errors(400, 401, 403, 404, 409)}}},
    "/incoming/{id}/return": _action("Trả lại nơi gửi, có lý do", _body({"reason": {"type": "string"}},
                                                                         ["reason"])),
    "/incoming/registers/{kind}": {"get": {
        "summary": "Sổ đăng ký văn bản đến (register, 10 cột) hoặc Sổ theo dõi giải quyết (tracker, 7 cột)",
        "parameters": [{"name": "kind", "in": "path", "required": True,
                        "schema": {"type": "string", "enum": ["register", "tracker"]}},
                       *[{"name": n, "in": "query", "required": n == "year", "schema": {"type": t}} for n, t in
                         (("year", "integer"), ("month", "integer"), ("q", "string"))]],
        "responses": {"200": {"description": "Các dòng của sổ"}, **errors(400, 401, 403)}}},
}, schemas={"Incoming": {"type": "object", "properties": {
    "id": {"type": "integer"}, "status": {"type": "string"}, "number": {"type": ["integer", "null"]},
    "year": {"type": ["integer", "null"]}, "sender_name": {"type": "string"},
    "original_reference": {"type": "string"}, "summary": {"type": "string"},
    "signature_verdict": {"type": "string"}, "deadline": {"type": ["string", "null"]},
    "tasks": {"type": "array", "items": {"type": "object"}}}}})
