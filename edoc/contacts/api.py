"""The directory through the JSON API (bearer tokens only)."""

from __future__ import annotations

from flask import Response, jsonify

from edoc.api import bp
from edoc.api.openapi import add_paths, errors
from edoc.api.routes import api_user
from edoc.api.schema import Bool, Obj, Str, json_body, read_body
from edoc.contacts.models import Contact
from edoc.contacts.service import add_contact, contacts_of, get_contact_in, update_contact


def contact_json(contact: Contact) -> dict[str, object]:
    return {"id": contact.id, "name": contact.name, "short_name": contact.short_name, "organ_id": contact.organ_id,
            "email": contact.email, "active": contact.active}


@bp.route("/contacts", methods=["GET"])
def api_contacts() -> Response:
    return jsonify({"contacts": [contact_json(c) for c in contacts_of(api_user().organisation_id,
                                                                      include_inactive=True)]})


CONTACT_FIELDS = {
    "name": Str(max_length=255, min_length=1, nullable=False, description="tên cơ quan nhận"),
    "short_name": Str(max_length=255, description="tên in ở Nơi nhận"),
    "organ_id": Str(max_length=64, description="mã định danh (OrganId) trên trục liên thông"),
    "email": Str(max_length=255),
}
NEW_CONTACT = Obj(CONTACT_FIELDS, required=("name",))
CONTACT_CHANGES = Obj({**CONTACT_FIELDS, "active": Bool()}, partial=True)


@bp.route("/contacts", methods=["POST"])
def api_create_contact() -> tuple[Response, int]:
    user = api_user()
    body = read_body(NEW_CONTACT)
    contact = add_contact(user, user.organisation_id, body["name"], short_name=body["short_name"],
                          organ_id=body["organ_id"], email=body["email"])
    return jsonify(contact_json(contact)), 201


@bp.route("/contacts/<int:contact_id>", methods=["PATCH"])
def api_update_contact(contact_id: int) -> Response:
    """Only the fields sent change."""
    user = api_user()
    contact = get_contact_in(user.organisation_id, contact_id)
    body = read_body(CONTACT_CHANGES)
    update_contact(user, contact, name=body.get("name", contact.name),
                   short_name=body.get("short_name", contact.short_name),
                   organ_id=body.get("organ_id", contact.organ_id), email=body.get("email", contact.email),
                   active=body.get("active", contact.active))
    return jsonify(contact_json(contact))


_id = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
_contact = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Contact"}}}}
add_paths({
    "/contacts": {
        "get": {"summary": "Danh bạ nơi nhận bên ngoài của cơ quan", "responses": {
            "200": {"description": "OK"}, **errors(401)}},
        "post": {"summary": "Thêm nơi nhận vào danh bạ (văn thư, quản trị viên)", "requestBody": json_body(NEW_CONTACT),
                 "responses": {"201": {"description": "Đã thêm", **_contact}, **errors(400, 401, 403)}}},
    "/contacts/{id}": {"patch": {"summary": "Sửa hoặc ngừng dùng nơi nhận (văn thư, quản trị viên)",
                                 "parameters": _id, "requestBody": json_body(CONTACT_CHANGES),
                                 "responses": {"200": {"description": "OK", **_contact},
                                               **errors(400, 401, 403, 404)}}},
}, schemas={
    "Contact": {"type": "object", "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "short_name": {"type": "string"},
        "organ_id": {"type": "string"}, "email": {"type": "string"}, "active": {"type": "boolean"}}},
})
