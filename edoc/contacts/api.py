"""The directory through the JSON API (bearer tokens only)."""

from __future__ import annotations

from flask import Response, jsonify

from edoc.api import bp, json_object
from edoc.api.openapi import add_paths, errors
from edoc.api.routes import api_user
from edoc.contacts.models import Contact
from edoc.contacts.service import contacts_of, create_contact, get_contact_in, update_contact
from edoc.core.db import db
from edoc.core.errors import ValidationFailed


def contact_json(contact: Contact) -> dict[str, object]:
    return {"id": contact.id, "name": contact.name, "short_name": contact.short_name, "organ_id": contact.organ_id,
            "email": contact.email, "active": contact.active}


@bp.route("/contacts", methods=["GET"])
def api_contacts() -> Response:
    return jsonify({"contacts": [contact_json(c) for c in contacts_of(api_user().organisation_id,
                                                                      include_inactive=True)]})


@bp.route("/contacts", methods=["POST"])
def api_create_contact() -> tuple[Response, int]:
    user = api_user()
    body = json_object()
    contact = create_contact(user, user.organisation_id, str(body.get("name") or ""),
                             short_name=str(body.get("short_name") or ""), organ_id=str(body.get("organ_id") or ""),
                             email=str(body.get("email") or ""))
    db.session.commit()
    return jsonify(contact_json(contact)), 201


@bp.route("/contacts/<int:contact_id>", methods=["PATCH"])
def api_update_contact(contact_id: int) -> Response:
    user = api_user()
    contact = get_contact_in(user.organisation_id, contact_id)
    body = json_object()
    active = body.get("active", contact.active)
    if not isinstance(active, bool):
        raise ValidationFailed("“active” phải là true hoặc false.", field="active")
    update_contact(user, contact, name=str(body.get("name", contact.name) or ""),
                   short_name=str(body.get("short_name", contact.short_name) or ""),
                   organ_id=str(body.get("organ_id", contact.organ_id) or ""),
                   email=str(body.get("email", contact.email) or ""), active=active)
    db.session.commit()
    return jsonify(contact_json(contact))


_id = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
_contact = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Contact"}}}}
_contact_body = {"content": {"application/json": {"schema": {"type": "object", "properties": {
    "name": {"type": "string"}, "short_name": {"type": "string"}, "organ_id": {"type": "string"},
    "email": {"type": "string"}, "active": {"type": "boolean"}}}}}}
add_paths({
    "/contacts": {
        "get": {"summary": "Danh bạ nơi nhận bên ngoài của cơ quan", "responses": {
            "200": {"description": "OK"}, **errors(401)}},
        "post": {"summary": "Thêm nơi nhận vào danh bạ (văn thư, quản trị viên)", "requestBody": _contact_body,
                 "responses": {"201": {"description": "Đã thêm", **_contact}, **errors(400, 401, 403)}}},
    "/contacts/{id}": {"patch": {"summary": "Sửa hoặc ngừng dùng nơi nhận (văn thư, quản trị viên)",
                                 "parameters": _id, "requestBody": _contact_body,
                                 "responses": {"200": {"description": "OK", **_contact},
                                               **errors(400, 401, 403, 404)}}},
}, schemas={
    "Contact": {"type": "object", "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "short_name": {"type": "string"},
        "organ_id": {"type": "string"}, "email": {"type": "string"}, "active": {"type": "boolean"}}},
})
