"""JSON API for the outgoing flow: the same service functions as the pages, bearer tokens only."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from sqlalchemy import select

from edoc.api import bp
from edoc.api.openapi import add_paths, errors
from edoc.api.routes import api_user
from edoc.api.schema import Id, Int, List, Number, Obj, Str, json_body, optional_json_body, read_body
from edoc.core.db import db
from edoc.core.errors import ValidationFailed
from edoc.documents import (
    actions,
    boxes,
    drafting,
    paper,
    policy,
    presentation,
    recall,
    signature_reports,
    signing,
    sources,
)
from edoc.documents.models import Authority, RecipientKind, RecipientPurpose, Secrecy, Status, Urgency
from edoc.documents.spec import archive_line
from edoc.organisations.models import Unit
from edoc.registers.types import DOCUMENT_TYPES, TypeKind
from edoc.rendering.copies import FORMS
from edoc.search import service as search_service

# --- the bodies' shapes: checked at the door (edoc.api.schema) and described in openapi.json from here ---------

TYPE_CODES = tuple(t.code for t in DOCUMENT_TYPES.values() if t.kind is not TypeKind.COPY)
RECIPIENT = Obj({
    "kind": Str(max_length=16, enum=tuple(k.value for k in RecipientKind), nullable=False),
    "purpose": Str(max_length=16, enum=tuple(p.value for p in RecipientPurpose), default="act"),
    "unit_id": Id(description="kind = unit"), "user_id": Id(description="kind = user"),
    "contact_id": Id(description="kind = external: một nơi nhận trong danh bạ"),
    "label": Str(max_length=255, description="tên in ở Nơi nhận; mặc định tên đơn vị, người, nơi nhận"),
}, required=("kind",))
RECIPIENTS = List(RECIPIENT, max_items=500)
DRAFT = Obj({
    "type": Str(max_length=8, enum=TYPE_CODES, nullable=False,
                description="Mã loại: KH, QĐ, CV (công văn), ... (Phụ lục III)",
                enum_message="Loại văn bản không hợp lệ ở {label}: dùng một mã của GET /document-types (KH, QĐ, CV, "
                             "...; không dùng mã bản sao)."),
    "summary": Str(max_length=1000, min_length=1, multiline=True, nullable=False, description="Trích yếu"),
    "body": Str(max_length=200_000, multiline=True, description="Nội dung, mỗi đoạn một dòng"),
    "secrecy": Str(max_length=16, enum=tuple(s.value for s in Secrecy)),
    "urgency": Str(max_length=16, enum=tuple(u.value for u in Urgency)),
    "drafting_unit_id": Id(description="mặc định đơn vị của người soạn"),
    "register_id": Id(description="Sổ lấy số (quyết định tên cơ quan ban hành và ký hiệu); mặc định sổ văn bản đi, "
                                  "hoặc sổ mật khi có độ mật"),
    "signer_id": Id(nullable=False, description="lãnh đạo đang hoạt động của cơ quan"),
    "signer_authority": Str(max_length=8, enum=tuple(a.value for a in Authority)),
    "signer_authority_line": Str(max_length=255), "signer_title": Str(max_length=255),
    "kinh_gui": Str(max_length=5000, multiline=True), "copies": Int(1, 1000, default=1),
    "recipients": RECIPIENTS,
    "reader_ids": List(Id(nullable=False), max_items=500, description="người xem và góp ý dự thảo"),
    "note": Str(max_length=500, description="ghi chú phiên bản"),
}, required=("type", "summary", "signer_id"))
REASON = Obj({"reason": Str(max_length=2000, multiline=True)})
COMMENT = Obj({"text": Str(max_length=5000, min_length=1, multiline=True, nullable=False)}, required=("text",))
ISSUE = Obj({"register_id": Id(description="sổ lấy số; mặc định sổ đã chọn khi soạn")})
NOTHING = Obj({})
COPY = Obj({"form": Str(max_length=8, enum=tuple(FORMS), default="SY"), "signer_id": Id(),
            "copies": Int(1, 1000, default=1), "recipients": RECIPIENTS})
PLACEMENT = Obj({
    "page": Int(1, 10_000, description="trang, từ 1"),
    "x": Number(0, 14_400, description="điểm PDF từ mép trái"),
    "y": Number(0, 14_400, description="điểm PDF từ mép dưới"),
}, required=("page", "x", "y"), nullable=True, description="tâm ô chữ ký, điểm PDF; chỉ cho tệp không có ô chữ ký")
SIGN = Obj({"pin": Str(max_length=64, min_length=1, nullable=False, description="mã PIN ký số"),
            "placement": PLACEMENT}, required=("pin",))
ACTION_BODIES = {"submit": NOTHING, "approve": NOTHING, "return": REASON, "issue": ISSUE, "recall": REASON,
                 "dispatch": NOTHING}


def _draft_data(body: dict[str, Any]) -> drafting.DraftData:
    """``body`` as DRAFT checked it: every value already of its type."""
    return drafting.DraftData(
        type_code=body["type"], summary=body["summary"], body=body["body"], secrecy=body["secrecy"],
        urgency=body["urgency"], drafting_unit_id=body["drafting_unit_id"], register_id=body["register_id"],
        signer_id=body["signer_id"], signer_authority=body["signer_authority"],
        signer_authority_line=body["signer_authority_line"], signer_title=body["signer_title"],
        kinh_gui=body["kinh_gui"], copies=body["copies"], recipients=_recipients(body["recipients"]),
        reader_ids=body["reader_ids"], note=body["note"])


def _recipients(rows: list[dict[str, Any]]) -> list[drafting.RecipientData]:
    return [drafting.RecipientData(kind=r["kind"], purpose=r["purpose"], unit_id=r["unit_id"], user_id=r["user_id"],
                                   contact_id=r["contact_id"], label=r["label"]) for r in rows]


@bp.route("/documents", methods=["POST"])
def api_create_document() -> tuple[Response, int]:
    doc = actions.save_draft(api_user(), _draft_data(read_body(DRAFT)))
    return jsonify(presentation.document_json(doc)), 201


@bp.route("/documents/<int:doc_id>", methods=["GET"])
def api_get_document(doc_id: int) -> Response:
    doc = policy.viewable(api_user(), doc_id)
    actions.open_document(api_user(), doc)
    return jsonify(presentation.document_json(doc))


@bp.route("/documents/<int:doc_id>/versions", methods=["POST"])
def api_new_version(doc_id: int) -> tuple[Response, int]:
    user = api_user()
    doc = policy.viewable(user, doc_id)
    file = request.files.get("file")
    if file is not None:
        policy.require_edit(user, doc)  # refused before a DOCX is converted
        upload = sources.read_upload(file.stream, file.filename)
        doc = policy.viewable(user, doc_id)  # reading the upload ended the read transaction
        data = drafting.draft_data_of(doc)
        data.note = request.form.get("note", "")
        actions.save_draft(user, data, doc=doc, upload=upload)
    else:
        actions.save_draft(user, _draft_data(read_body(DRAFT)), doc=doc)
    return jsonify(presentation.document_json(doc)), 201


def _action(doc_id: int, action: str) -> Response:
    user = api_user()
    doc, _message = actions.perform(user, policy.viewable(user, doc_id), action,
                                    read_body(ACTION_BODIES[action], required=False))
    return jsonify(presentation.document_json(doc))


@bp.route("/documents/<int:doc_id>/submit", methods=["POST"])
def api_submit(doc_id: int) -> Response:
    return _action(doc_id, "submit")


@bp.route("/documents/<int:doc_id>/approve", methods=["POST"])
def api_approve(doc_id: int) -> Response:
    return _action(doc_id, "approve")


@bp.route("/documents/<int:doc_id>/return", methods=["POST"])
def api_return(doc_id: int) -> Response:
    return _action(doc_id, "return")


@bp.route("/documents/<int:doc_id>/issue", methods=["POST"])
def api_issue(doc_id: int) -> Response:
    return _action(doc_id, "issue")


@bp.route("/documents/<int:doc_id>/recall", methods=["POST"])
def api_recall(doc_id: int) -> Response:
    return _action(doc_id, "recall")


@bp.route("/documents/<int:doc_id>/replacement", methods=["POST"])
def api_replacement(doc_id: int) -> tuple[Response, int]:
    """A new draft replacing an issued (or recalled) document; issuing it marks the old one replaced."""
    user = api_user()
    read_body(NOTHING, required=False)
    doc, _message = actions.perform(user, policy.viewable(user, doc_id), "replace", {})
    return jsonify(presentation.document_json(doc)), 201


@bp.route("/documents/<int:doc_id>/comments", methods=["POST"])
def api_comment(doc_id: int) -> tuple[Response, int]:
    user = api_user()
    doc, _message = actions.perform(user, policy.viewable(user, doc_id), "comment", read_body(COMMENT))
    return jsonify(presentation.document_json(doc)), 201


@bp.route("/documents/<int:doc_id>/dispatch", methods=["POST"])
def api_dispatch(doc_id: int) -> Response:
    """Send again to the external recipients whose e-mail failed (the clerk)."""
    return _action(doc_id, "dispatch")


@bp.route("/documents/<int:doc_id>/attachments", methods=["POST"])
def api_attach(doc_id: int) -> tuple[Response, int]:
    doc = policy.viewable(api_user(), doc_id)
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed("Thiếu phần “file” trong yêu cầu multipart.", field="file")
    actions.attach(api_user(), doc, upload.stream, upload.filename or "", request.form.get("title", ""))
    return jsonify({"document_id": doc.id, "attachments": [
        {"id": a.id, "title": a.title, "file_id": a.file_id} for a in doc.attachments]}), 201


@bp.route("/documents/<int:doc_id>/recipients", methods=["GET"])
def api_recipients(doc_id: int) -> Response:
    """Nơi nhận; delivery and read status per recipient only for the clerk, the drafter and the signer."""
    user = api_user()
    doc = policy.viewable(user, doc_id)
    rows, shown = presentation.recipient_statuses(user, doc)
    return jsonify({"document_id": doc.id, "status_shown": shown, "archive": archive_line(doc),
                    "recipients": [row.to_json() if shown else
                                   {"id": row.id, "label": row.label, "kind": row.kind, "purpose": row.purpose}
                                   for row in rows]})


@bp.route("/documents", methods=["GET"])
def api_list_documents() -> Response:
    user = api_user()
    box = request.args.get("box", "inbox")
    query = request.args.get("q", "")
    among = search_service.matching_ids(user, query, "outgoing") if query.strip() else None
    documents = boxes.list_documents(user, box, among=among)
    unread = boxes.unread_ids(user)
    replacements = recall.replacements_of(d.id for d in documents if d.status == Status.REPLACED.value)
    return jsonify({"box": box, "documents": [
        {**presentation.document_json(d, replacements=replacements), "unread": d.id in unread} for d in documents]})


@bp.route("/document-types", methods=["GET"])
def api_document_types() -> Response:
    return jsonify({"types": [{"code": t.code, "name": t.name, "abbreviation": t.abbreviation, "kind": t.kind.value}
                              for t in DOCUMENT_TYPES.values()]})


@bp.route("/signers", methods=["GET"])
def api_signers() -> Response:
    return jsonify({"signers": [{"id": u.id, "full_name": u.full_name, "title": u.title}
                                for u in drafting.possible_signers(api_user().organisation_id)]})


@bp.route("/units", methods=["GET"])
def api_units() -> Response:
    units = db.session.execute(select(Unit).where(Unit.organisation_id == api_user().organisation_id,
                                                  Unit.active.is_(True)).order_by(Unit.name)).scalars()
    return jsonify({"units": [{"id": u.id, "name": u.name, "abbreviation": u.abbreviation} for u in units]})


@bp.route("/documents/<int:doc_id>/paper-scan", methods=["POST"])
def api_paper_scan(doc_id: int) -> tuple[Response, int]:
    """The scan of the signed paper original of a document its signer signed on paper (ký trên giấy), as
    multipart ``file`` (PDF, PNG or JPEG); the clerk then issues it (POST …/issue)."""
    user = api_user()
    doc = policy.viewable(user, doc_id)
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed("Thiếu phần “file” (bản chụp PDF hoặc ảnh) trong yêu cầu multipart.", field="file")
    name, scan = paper.read_scan(upload.stream, upload.filename)
    actions.keep_paper_scan(user, doc, name, scan)
    return jsonify(presentation.document_json(doc)), 201


@bp.route("/documents/<int:doc_id>/copies", methods=["POST"])
def api_copy(doc_id: int) -> tuple[Response, int]:
    user = api_user()
    body = read_body(COPY, required=False)
    copy = actions.make_copy(user, policy.viewable(user, doc_id), body["form"], signer_id=body["signer_id"],
                             recipients=_recipients(body["recipients"]), copies=body["copies"])
    return jsonify(presentation.document_json(copy)), 201


@bp.route("/documents/<int:doc_id>/sign", methods=["POST"])
def api_sign(doc_id: int) -> Response:
    body = read_body(SIGN)
    doc = policy.viewable(api_user(), doc_id)
    spot = body["placement"]
    placement = signing.chosen_placement(spot["page"] - 1, spot["x"], spot["y"]) if spot else None
    signing.sign_one(api_user(), doc, body["pin"], placement=placement)
    return jsonify(presentation.document_json(doc))


@bp.route("/documents/<int:doc_id>/signatures", methods=["GET"])
def api_document_signatures(doc_id: int) -> Response:
    doc = policy.viewable(api_user(), doc_id)
    return jsonify({"reports": [{"file_id": row.file_id, "context": row.context, "checked_at": row.created_at,
                                 **report} for row, report in signature_reports.reports_of(doc)]})


_doc = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Document"}}}}
_id = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
def _op(summary: str, ok: str = "200", codes: tuple[int, ...] = (400, 401, 403, 404, 409), **extra: Any
        ) -> dict[str, Any]:
    return {"summary": summary, "parameters": _id, "responses": {ok: {"description": "OK", **_doc}, **errors(*codes)},
            **extra}


_create = {"post": {"summary": "Tạo dự thảo", "requestBody": {"required": True, "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Draft"}}}},
    "responses": {"201": {"description": "Đã tạo", **_doc}, **errors(400, 401, 403)}}}
add_paths({
    "/documents/{id}": {"get": _op("Xem văn bản", codes=(401, 404))},
    "/documents/{id}/versions": {"post": _op(
        "Phiên bản mới (JSON như khi tạo, hoặc multipart với tệp DOCX/PDF ở phần “file”)", ok="201",
        codes=(400, 401, 403, 404, 413, 415),
        requestBody={"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Draft"}},
                                 "multipart/form-data": {"schema": {"type": "object", "properties": {
                                     "file": {"type": "string", "format": "binary"}, "note": {"type": "string"}}}}}})},
    "/documents/{id}/submit": {"post": _op("Trình ký", requestBody=optional_json_body(NOTHING))},
    "/documents/{id}/approve": {"post": _op("Duyệt (người ký)", requestBody=optional_json_body(NOTHING))},
    "/documents/{id}/return": {"post": _op("Trả lại kèm lý do (người ký)", requestBody=optional_json_body(REASON))},
    "/documents/{id}/issue": {"post": _op("Cấp số và ban hành (văn thư): văn bản đã ký số, hoặc ký trên giấy đã có "
                                          "bản chụp (409 khi chưa có chữ ký nào)",
                                          requestBody=optional_json_body(ISSUE))},
    "/documents/{id}/recall": {"post": _op("Thu hồi kèm lý do", requestBody=optional_json_body(REASON))},
    "/documents/{id}/attachments": {"post": {"summary": "Đính kèm phụ lục (tệp riêng: PDF, DOCX, XLSX, ODT)",
                                             "parameters": _id, "requestBody": {"content": {"multipart/form-data": {
                                                 "schema": {"type": "object", "properties": {
                                                     "file": {"type": "string", "format": "binary"},
                                                     "title": {"type": "string"}}}}}},
                                             "responses": {"201": {"description": "Đã đính kèm"},
                                                           **errors(400, 401, 403, 404, 413, 415)}}},
    "/documents/{id}/paper-scan": {"post": {
        "summary": "Bản chụp bản gốc ký trên giấy (PDF, PNG, JPEG) của văn bản người ký không ký số; sau đó ban hành",
        "parameters": _id, "requestBody": {"content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}}}}}},
        "responses": {"201": {"description": "Đã lưu bản chụp"}, **errors(400, 401, 403, 404, 409, 413, 415)}}},
    "/documents/{id}/sign": {"post": {
        "summary": "Người ký ký số văn bản đã duyệt (mã PIN ký số; với tệp không có ô chữ ký: vị trí ký)",
        "parameters": _id,
        "requestBody": json_body(SIGN),
        "responses": {"200": {"description": "Đã ký"}, **errors(400, 401, 403, 404, 429)}}},
    "/documents/{id}/signatures": {"get": {
        "summary": "Các báo cáo kiểm tra chữ ký đã lưu cùng văn bản (tệp tải lên, tệp ban hành)",
        "parameters": _id,
        "responses": {"200": {"description": "Báo cáo theo từng tệp"}, **errors(401, 404)}}},
    "/documents/{id}/recipients": {"get": {"summary": "Tình trạng nhận, đọc theo từng nơi nhận", "parameters": _id,
                                           "responses": {"200": {"description": "OK"}, **errors(401, 404)}}},
    "/documents/{id}/replacement": {"post": _op("Soạn văn bản thay thế (dự thảo mới tham chiếu văn bản cũ; ban hành "
                                                "nó thì văn bản cũ thành “đã bị thay thế”)", ok="201",
                                                requestBody=optional_json_body(NOTHING))},
    "/documents/{id}/comments": {"post": _op("Góp ý dự thảo", ok="201", requestBody=json_body(COMMENT))},
    "/documents/{id}/dispatch": {"post": _op("Gửi lại e-mail cho các nơi nhận bên ngoài gửi lỗi (văn thư)",
                                             requestBody=optional_json_body(NOTHING))},
    "/documents/{id}/copies": {"post": _op(
        "Cấp số bản sao (văn thư): sao y (SY), trích sao (TrS), sao lục (SL, từ bản sao y), ở sổ bản sao",
        ok="201", requestBody=optional_json_body(COPY))},
    "/documents": {**_create, "get": {"summary": "Danh sách văn bản theo hộp", "parameters": [
        {"name": "box", "in": "query", "schema": {"type": "string", "enum": list(boxes.BOXES)},
         "description": "inbox (mặc định): văn bản nhận; mine; to_sign; to_issue; issued"},
        {"name": "q", "in": "query", "schema": {"type": "string"},
         "description": "Tìm trong hộp (như /search: không cần dấu, số như 445/KH), kết quả tốt nhất trước"}],
        "responses": {"200": {"description": "OK"}, **errors(400, 401)}}},
    "/document-types": {"get": {"summary": "Loại văn bản (Phụ lục III) và chữ viết tắt",
                                "responses": {"200": {"description": "OK"}, **errors(401)}}},
    "/signers": {"get": {"summary": "Người có thể ký (lãnh đạo đang hoạt động)",
                         "responses": {"200": {"description": "OK"}, **errors(401)}}},
    "/units": {"get": {"summary": "Đơn vị của cơ quan (đơn vị soạn thảo, nơi nhận)",
                       "responses": {"200": {"description": "OK"}, **errors(401)}}},
}, schemas={
    "Draft": DRAFT.openapi(),
    "Document": {"type": "object", "properties": {
        "id": {"type": "integer"}, "status": {"type": "string"}, "type": {"type": "string"},
        "summary": {"type": "string"}, "reference": {"type": ["string", "null"]},
        "number": {"type": ["integer", "null"]},
        "notation": {"type": "string"}, "issued_on": {"type": ["string", "null"], "format": "date"},
        "register_id": {"type": ["integer", "null"]}, "pdf_file_id": {"type": ["integer", "null"]},
        "drafting_unit_id": {"type": ["integer", "null"]}, "replaces_id": {"type": ["integer", "null"]},
        "copy_of_id": {"type": ["integer", "null"]}, "unread": {"type": "boolean"},
        "recall_reason": {"type": ["string", "null"]},
        "replaced_by": {"type": ["object", "null"], "properties": {"id": {"type": "integer"},
                                                                   "reference": {"type": "string"}}}}},
})
