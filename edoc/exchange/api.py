"""/api/v1/exchange: send a document as edXML, see its recipients' statuses, post a received message."""

from __future__ import annotations

from flask import Response, jsonify, request

from edoc.api import RAW_BODY_ENDPOINTS, bp, json_object
from edoc.api.openapi import add_paths, errors
from edoc.api.routes import api_user
from edoc.core.errors import NotAllowed
from edoc.documents import policy as documents_policy
from edoc.exchange import policy, service
from edoc.exchange.models import ExchangeMessage


def message_json(m: ExchangeMessage) -> dict[str, object]:
    return {"id": m.id, "direction": m.direction, "kind": m.kind, "document_id": m.edxml_document_id,
            "business": m.business, "status_code": m.status_code or None, "peer": m.peer_organ_id,
            "peer_name": m.peer_name, "state": m.state, "note": m.note or None,
            "peer_status": m.peer_status or None, "peer_status_note": m.peer_status_note or None,
            "peer_status_at": m.peer_status_at.isoformat() if m.peer_status_at else None,
            "incoming_document_id": m.incoming_document_id, "created_at": m.created_at.isoformat(),
            "signature": m.signature or None, "signature_note": m.signature_note or None}


@bp.route("/exchange/documents/<int:doc_id>/send", methods=["POST"])
def api_exchange_send(doc_id: int) -> tuple[Response, int]:
    user = api_user()
    doc = documents_policy.viewable(user, doc_id)
    body = json_object(required=False)
    made = service.send_document(user, doc, business=str(body.get("business") or "new"),
                                 reason=str(body.get("reason") or ""))
    return jsonify({"messages": [message_json(m) for m in made]}), 201


@bp.route("/exchange/documents/<int:doc_id>", methods=["GET"])
def api_exchange_status(doc_id: int) -> Response:
    user = api_user()
    doc = documents_policy.viewable(user, doc_id)
    return jsonify({"document_id": doc.id, "messages": [message_json(m) for m in service.sent_for(user, doc)]})


@bp.route("/exchange/messages/<int:message_id>/edxml", methods=["GET"])
def api_exchange_message_xml(message_id: int) -> Response:
    user = api_user()
    message = service.message_for(user, message_id)
    return Response(service.message_bytes(message), mimetype="application/xml")


@bp.route("/exchange/messages", methods=["POST"])
def api_exchange_receive() -> tuple[Response, int]:
    user = api_user()
    if not policy.can_receive(user):
        raise NotAllowed("Chỉ văn thư tiếp nhận gói tin edXML.")
    received = service.receive_posted(request.get_data(cache=False), organisation_id=user.organisation_id,
                                      actor=user)
    return jsonify({"repeated": received.repeated,
                    "messages": [message_json(m) for m in received.messages]}), 200 if received.repeated else 201


RAW_BODY_ENDPOINTS.add("api.api_exchange_receive")

_id = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
_messages = {"content": {"application/json": {"schema": {"type": "object", "properties": {
    "messages": {"type": "array", "items": {"$ref": "#/components/schemas/ExchangeMessage"}}}}}}}
add_paths({
    "/exchange/documents/{id}/send": {"post": {
        "summary": "Gửi văn bản đã ban hành qua trục liên thông (edXML, QCVN 102:2016) tới các nơi nhận bên ngoài "
                   "có mã định danh; business: new (0), recall (1, văn bản đã thu hồi), update (2), replace (3)",
        "parameters": _id, "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
            "business": {"type": "string", "enum": list(service.BUSINESS_CODES)}, "reason": {"type": "string"}}}}}},
        "responses": {"201": {"description": "Đã tạo và gửi các gói tin", **_messages},
                      **errors(400, 401, 403, 404, 409)}}},
    "/exchange/documents/{id}": {"get": {
        "summary": "Các gói tin edXML đã gửi của văn bản và trạng thái từng nơi nhận báo về (01-06)",
        "parameters": _id, "responses": {"200": {"description": "OK", **_messages}, **errors(401, 404)}}},
    "/exchange/messages/{id}/edxml": {"get": {
        "summary": "Nội dung gói tin edXML", "parameters": _id,
        "responses": {"200": {"description": "application/xml"}, **errors(401, 404)}}},
    "/exchange/messages": {"post": {
        "summary": "Tiếp nhận một gói tin edXML (văn bản hoặc trạng thái) cho cơ quan của người gửi yêu cầu; gửi lại "
                   "đúng gói tin đã nhận thì không nhận lần hai (200, repeated)",
        "requestBody": {"content": {"application/xml": {"schema": {"type": "string"}}}},
        "responses": {"201": {"description": "Đã tiếp nhận", **_messages}, "200": {"description": "Đã nhận trước đó"},
                      **errors(401, 403, 404, 413), "422": {"description": "Gói tin không hợp lệ"}}}},
}, schemas={"ExchangeMessage": {"type": "object", "properties": {
    "id": {"type": "integer"}, "direction": {"type": "string"}, "kind": {"type": "string"},
    "document_id": {"type": "string"}, "business": {"type": "integer"}, "status_code": {"type": ["string", "null"]},
    "peer": {"type": "string"}, "peer_name": {"type": "string"}, "state": {"type": "string"},
    "note": {"type": ["string", "null"]}, "peer_status": {"type": ["string", "null"]},
    "peer_status_note": {"type": ["string", "null"]}, "peer_status_at": {"type": ["string", "null"]},
    "incoming_document_id": {"type": ["integer", "null"]}, "created_at": {"type": "string"},
    "signature": {"type": ["string", "null"], "enum": ["signed", "unsigned", "valid", "untrusted", None],
                  "description": "Chữ ký số XML của gói tin: signed/unsigned (gửi), valid/untrusted/unsigned (nhận)"},
    "signature_note": {"type": ["string", "null"], "description": "Người ký, hoặc lý do không ký / không tin cậy"}}}})
