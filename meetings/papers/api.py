"""JSON API of a meeting's agenda and papers (/api/v1/meetings/<id>/agenda, .../papers, .../reminders), in the
OpenAPI description. Files come as uploads made first (POST /files), named by id, as the incoming API does."""

from __future__ import annotations

import io
from typing import Any

from flask import Response, jsonify

from edoc.api import bp, json_object
from edoc.api.openapi import add_paths, errors
from edoc.api.routes import api_user
from edoc.core.db import db
from edoc.core.errors import ValidationFailed
from edoc.core.forms import parse_id
from edoc.files.models import StoredFile
from edoc.files.service import read_verified
from edoc.files.views import send_stored
from meetings.agenda import service
from meetings.agenda.models import AgendaItem
from meetings.meeting.models import Meeting
from meetings.meeting.policy import get_meeting_for
from meetings.papers import files, policy, reminders
from meetings.papers import service as papers
from meetings.papers.models import Paper, PaperComment
from storage.base import content_disposition


def item_json(item: AgendaItem, label: str) -> dict[str, Any]:
    return {"id": item.id, "number": label, "parent_id": item.parent_id, "position": item.position,
            "title": item.title, "kind": item.kind, "presenter_user_id": item.presenter_user_id,
            "planned_minutes": item.planned_minutes}


def paper_json(p: Paper) -> dict[str, Any]:
    current = p.current
    return {"id": p.id, "agenda_item_id": p.agenda_item_id, "title": p.title, "source": p.source,
            "outgoing_document_id": p.outgoing_document_id, "incoming_document_id": p.incoming_document_id,
            "draft": p.draft, "restricted": p.restricted,
            "version": current.number if current else None, "signed": current.signed if current else False,
            "pages": current.pages if current else 0}


def comment_json(c: PaperComment) -> dict[str, Any]:
    return {"id": c.id, "version": c.version.number, "version_id": c.version_id, "page": c.page,
            "author_id": c.author_id, "author": c.author.full_name, "body": c.body,
            "created_at": c.created_at.isoformat()}


def _agenda(meeting: Meeting) -> dict[str, Any]:
    user = api_user()
    items = service.items_of(meeting)
    labels = service.numbering(items)
    release = policy.release_of(meeting)
    return {"meeting_id": meeting.id, "items": [item_json(i, labels[i.id]) for i in items],
            "papers": [paper_json(p) for p in papers.papers_of(meeting) if policy.can_read_paper(user, p, meeting)],
            "release_at": release.release_at.isoformat() if release else None,
            "released": policy.released(meeting),
            "warning": papers.release_warning(meeting) if policy.can_edit_agenda(user, meeting) else None}


@bp.route("/meetings/<int:meeting_id>/agenda", methods=["GET"])
def api_agenda(meeting_id: int) -> Response:
    return jsonify(_agenda(get_meeting_for(api_user(), meeting_id)))


@bp.route("/meetings/<int:meeting_id>/agenda/items", methods=["POST"])
def api_agenda_add(meeting_id: int) -> tuple[Response, int]:
    meeting = get_meeting_for(api_user(), meeting_id)
    item = service.create_item(api_user(), meeting, service.parse_item(json_object()))
    return jsonify(item_json(item, service.numbering(service.items_of(meeting))[item.id])), 201


@bp.route("/meetings/<int:meeting_id>/agenda/items/<int:item>", methods=["PUT"])
def api_agenda_edit(meeting_id: int, item: int) -> Response:
    meeting = get_meeting_for(api_user(), meeting_id)
    edited = service.update_item(api_user(), meeting, service.get_item(meeting, item),
                                 service.parse_item(json_object()))
    return jsonify(item_json(edited, service.numbering(service.items_of(meeting))[edited.id]))


@bp.route("/meetings/<int:meeting_id>/agenda/items/<int:item>", methods=["DELETE"])
def api_agenda_delete(meeting_id: int, item: int) -> tuple[str, int]:
    meeting = get_meeting_for(api_user(), meeting_id)
    service.delete_item(api_user(), meeting, service.get_item(meeting, item))
    return "", 204


@bp.route("/meetings/<int:meeting_id>/agenda/order", methods=["PUT"])
def api_agenda_reorder(meeting_id: int) -> Response:
    meeting = get_meeting_for(api_user(), meeting_id)
    body = json_object()
    order = body.get("order")
    if not isinstance(order, list):
        raise ValidationFailed("“order” là mảng mã các mục cùng cấp theo thứ tự mới.", field="order")
    parent = body.get("parent_id")
    service.reorder(api_user(), meeting, None if parent is None else parse_id(parent, field="parent_id"),
                    [parse_id(i, field="order") for i in order])
    return jsonify(_agenda(meeting))


def _own_upload(raw: object) -> files.PaperFile:
    row = db.session.get(StoredFile, parse_id(raw, field="file_id"))
    if row is None or row.uploaded_by_id != api_user().id or row.purpose != "upload":
        raise ValidationFailed("Không tìm thấy tệp đã tải lên (POST /files) của bạn.", field="file_id")
    return files.read_upload(io.BytesIO(read_verified(row)), row.original_name)


def _draft(body: dict[str, Any]) -> bool | None:
    value = body.get("draft")
    if value is not None and not isinstance(value, bool):
        raise ValidationFailed("“draft” là true hoặc false.", field="draft")
    return value


@bp.route("/meetings/<int:meeting_id>/papers", methods=["POST"])
def api_paper_add(meeting_id: int) -> tuple[Response, int]:
    user = api_user()
    meeting = get_meeting_for(user, meeting_id)
    body = json_object()
    policy.require_edit(user, meeting)
    item_id = parse_id(body.get("agenda_item_id"), field="agenda_item_id")
    document = body.get("document")
    if document is not None:
        if not isinstance(document, dict):
            raise ValidationFailed("“document” là {\"kind\": \"outgoing\"|\"incoming\", \"id\": ...}.",
                                   field="document")
        paper = papers.link_document(user, meeting, item_id, str(document.get("kind") or ""),
                                     parse_id(document.get("id"), field="document"), title=body.get("title"),
                                     draft=_draft(body))
    else:
        paper = papers.add_upload(user, meeting, item_id, _own_upload(body.get("file_id")), title=body.get("title"),
                                  draft=bool(_draft(body)))
    return jsonify(paper_json(paper)), 201


@bp.route("/meetings/<int:meeting_id>/papers/<int:paper>", methods=["DELETE"])
def api_paper_delete(meeting_id: int, paper: int) -> tuple[str, int]:
    meeting = get_meeting_for(api_user(), meeting_id)
    papers.remove_paper(api_user(), meeting, papers.get_paper(meeting, paper))
    return "", 204


@bp.route("/meetings/<int:meeting_id>/papers/<int:paper>/readers", methods=["PUT"])
def api_paper_readers(meeting_id: int, paper: int) -> Response:
    meeting = get_meeting_for(api_user(), meeting_id)
    body = json_object()
    ids = body.get("participant_ids")
    if ids is not None and not isinstance(ids, list):
        raise ValidationFailed("“participant_ids” là mảng mã đại biểu, hoặc null để bỏ giới hạn.",
                               field="participant_ids")
    found = papers.get_paper(meeting, paper)
    papers.set_readers(api_user(), meeting, found,
                       None if ids is None else [parse_id(i, field="participant_ids") for i in ids])
    return jsonify(paper_json(found))


@bp.route("/meetings/<int:meeting_id>/papers/<int:paper>/file", methods=["GET"])
def api_paper_file(meeting_id: int, paper: int) -> Response:
    meeting = get_meeting_for(api_user(), meeting_id)
    found = policy.readable_paper(api_user(), meeting, paper)
    delivered = papers.deliver(api_user(), meeting, found)
    if delivered.data is None:
        return send_stored(delivered.version.file)
    response = Response(delivered.data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = content_disposition(delivered.filename, "attachment")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/meetings/<int:meeting_id>/papers/<int:paper>/comments", methods=["GET"])
def api_paper_comments(meeting_id: int, paper: int) -> Response:
    meeting = get_meeting_for(api_user(), meeting_id)
    found = policy.readable_paper(api_user(), meeting, paper)
    return jsonify({"comments": [comment_json(c) for c in papers.comments_for(api_user(), meeting, found)]})


@bp.route("/meetings/<int:meeting_id>/papers/<int:paper>/comments", methods=["POST"])
def api_paper_comment(meeting_id: int, paper: int) -> tuple[Response, int]:
    meeting = get_meeting_for(api_user(), meeting_id)
    found = policy.readable_paper(api_user(), meeting, paper)
    body = json_object()
    current = found.current
    version_id = body.get("version_id", current.id if current else None)
    page = body.get("page")
    if isinstance(page, bool) or not isinstance(page, int):
        raise ValidationFailed("“page” là số trang (số nguyên).", field="page")
    comment = papers.add_comment(api_user(), meeting, found, parse_id(version_id, field="version_id"), page,
                                 body.get("body"))
    return jsonify(comment_json(comment)), 201


@bp.route("/meetings/<int:meeting_id>/papers/release", methods=["PUT"])
def api_paper_release(meeting_id: int) -> Response:
    meeting = get_meeting_for(api_user(), meeting_id)
    papers.set_release(api_user(), meeting, papers.parse_local_time(json_object().get("release_at")))
    return jsonify(_agenda(meeting))


@bp.route("/meetings/<int:meeting_id>/reminders", methods=["PUT"])
def api_reminders(meeting_id: int) -> Response:
    meeting = get_meeting_for(api_user(), meeting_id)
    values = json_object().get("minutes_before")
    if not isinstance(values, list) or any(isinstance(v, bool) for v in values):
        raise ValidationFailed("“minutes_before” là mảng số phút trước giờ họp.", field="minutes_before")
    rows = reminders.set_reminders(api_user(), meeting, reminders.parse_minutes(values))
    return jsonify({"minutes_before": [r.minutes_before for r in rows]})


_mid = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
_item = {"name": "item", "in": "path", "required": True, "schema": {"type": "integer"}}
_paper = {"name": "paper", "in": "path", "required": True, "schema": {"type": "integer"}}


def _body(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "properties": props, "required": required or []}}}}


_item_fields = {"title": {"type": "string"}, "kind": {"type": "string", "enum": list(service.KINDS)},
                "presenter_user_id": {"type": ["integer", "null"]}, "planned_minutes": {"type": ["integer", "null"]},
                "parent_id": {"type": ["integer", "null"]}}
_ok = {"200": {"description": "OK"}}

add_paths({
    "/meetings/{id}/agenda": {"get": {
        "summary": "Chương trình họp: các mục (có mục con), tài liệu người gọi được đọc, thời điểm phát hành",
        "parameters": [_mid], "responses": {**_ok, **errors(401, 404)}}},
    "/meetings/{id}/agenda/items": {"post": {
        "summary": "Thêm mục chương trình (chủ trì, thư ký, văn phòng)", "parameters": [_mid],
        "requestBody": _body(_item_fields, ["title"]),
        "responses": {"201": {"description": "Đã thêm"}, **errors(400, 401, 403, 404)}}},
    "/meetings/{id}/agenda/items/{item}": {
        "put": {"summary": "Sửa mục chương trình", "parameters": [_mid, _item],
                "requestBody": _body(_item_fields, ["title"]), "responses": {**_ok, **errors(400, 401, 403, 404)}},
        "delete": {"summary": "Xóa mục chương trình (không còn mục con, tài liệu)", "parameters": [_mid, _item],
                   "responses": {"204": {"description": "Đã xóa"}, **errors(400, 401, 403, 404)}}},
    "/meetings/{id}/agenda/order": {"put": {
        "summary": "Sắp xếp lại các mục cùng cấp", "parameters": [_mid],
        "requestBody": _body({"parent_id": {"type": ["integer", "null"]},
                              "order": {"type": "array", "items": {"type": "integer"}}}, ["order"]),
        "responses": {**_ok, **errors(400, 401, 403, 404)}}},
    "/meetings/{id}/papers": {"post": {
        "summary": "Thêm tài liệu vào một mục: tệp đã tải lên (file_id, PDF hoặc DOCX) hoặc văn bản trong hệ "
                   "thống (document)", "parameters": [_mid],
        "requestBody": _body({"agenda_item_id": {"type": "integer"}, "file_id": {"type": "integer"},
                              "document": {"type": "object", "properties": {
                                  "kind": {"type": "string", "enum": ["outgoing", "incoming"]},
                                  "id": {"type": "integer"}}},
                              "title": {"type": "string"}, "draft": {"type": "boolean"}}, ["agenda_item_id"]),
        "responses": {"201": {"description": "Đã thêm"}, **errors(400, 401, 403, 404, 413, 415)}}},
    "/meetings/{id}/papers/{paper}": {"delete": {
        "summary": "Gỡ tài liệu", "parameters": [_mid, _paper],
        "responses": {"204": {"description": "Đã gỡ"}, **errors(401, 403, 404)}}},
    "/meetings/{id}/papers/{paper}/readers": {"put": {
        "summary": "Giới hạn người đọc tài liệu (mã đại biểu), null để bỏ giới hạn", "parameters": [_mid, _paper],
        "requestBody": _body({"participant_ids": {"type": ["array", "null"], "items": {"type": "integer"}}}),
        "responses": {**_ok, **errors(400, 401, 403, 404)}}},
    "/meetings/{id}/papers/{paper}/file": {"get": {
        "summary": "Tải tài liệu: bản chưa ký mang tên người đọc; bản đã ký số nguyên vẹn, lần tải được ghi lại",
        "parameters": [_mid, _paper],
        "responses": {"200": {"description": "PDF", "content": {"application/pdf": {}}}, **errors(400, 401, 404)}}},
    "/meetings/{id}/papers/{paper}/comments": {
        "get": {"summary": "Góp ý trên dự thảo (thư ký, người trình bày thấy tất cả; đại biểu thấy của mình)",
                "parameters": [_mid, _paper], "responses": {**_ok, **errors(401, 404)}},
        "post": {"summary": "Góp ý trên một trang của một phiên bản dự thảo", "parameters": [_mid, _paper],
                 "requestBody": _body({"version_id": {"type": "integer"}, "page": {"type": "integer"},
                                       "body": {"type": "string"}}, ["page", "body"]),
                 "responses": {"201": {"description": "Đã ghi"}, **errors(400, 401, 404)}}},
    "/meetings/{id}/papers/release": {"put": {
        "summary": "Đặt thời điểm phát hành tài liệu (trước giờ họp)", "parameters": [_mid],
        "requestBody": _body({"release_at": {"type": "string", "format": "date-time"}}, ["release_at"]),
        "responses": {**_ok, **errors(400, 401, 403, 404)}}},
    "/meetings/{id}/reminders": {"put": {
        "summary": "Đặt lịch nhắc họp (số phút trước giờ họp), gửi thư và thông báo", "parameters": [_mid],
        "requestBody": _body({"minutes_before": {"type": "array", "items": {"type": "integer"}}},
                             ["minutes_before"]),
        "responses": {**_ok, **errors(400, 401, 403, 404)}}},
})
