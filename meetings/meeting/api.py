"""JSON API for meetings (/api/v1/meetings...)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from edoc.api import bp
from edoc.api.openapi import add_paths, errors
from edoc.api.routes import api_user
from meetings.meeting import policy, service
from meetings.meeting.models import Meeting


def meeting_json(m: Meeting) -> dict[str, Any]:
    return {"id": m.id, "organisation_id": m.organisation_id, "title": m.title, "kind": m.kind, "mode": m.mode,
            "starts_at": m.starts_at.isoformat(), "ends_at": m.ends_at.isoformat(), "room_id": m.room_id,
            "location": m.location, "online_link": m.online_link, "chair_id": m.chair_id,
            "secretary_id": m.secretary_id, "status": m.status, "status_label": m.status_label,
            "requires_approval": m.requires_approval, "quorum_rule": m.quorum_rule,
            "allow_remote_vote": m.allow_remote_vote, "version": m.version, "notes": m.notes}


@bp.route("/meetings", methods=["GET"])
def api_meetings_list() -> Response:
    return jsonify({"meetings": [meeting_json(m) for m in service.upcoming(api_user())]})


@bp.route("/meetings/<int:meeting_id>", methods=["GET"])
def api_meeting_show(meeting_id: int) -> Response:
    return jsonify(meeting_json(policy.get_meeting_for(api_user(), meeting_id)))


_MEETING = {"$ref": "#/components/schemas/Meeting"}
_ID = [{"name": "meeting_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
add_paths({
    "/meetings": {"get": {"summary": "Các cuộc họp sắp tới người dùng được xem", "responses": {
        "200": {"description": "OK", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"meetings": {"type": "array", "items": _MEETING}}}}}},
        **errors(401)}}},
    "/meetings/{meeting_id}": {"get": {"summary": "Một cuộc họp", "parameters": _ID, "responses": {
        "200": {"description": "OK", "content": {"application/json": {"schema": _MEETING}}}, **errors(401, 404)}}},
}, {"Meeting": {"type": "object", "properties": {
    "id": {"type": "integer"}, "title": {"type": "string"}, "kind": {"type": "string"}, "mode": {"type": "string"},
    "starts_at": {"type": "string", "format": "date-time"}, "ends_at": {"type": "string", "format": "date-time"},
    "room_id": {"type": ["integer", "null"]}, "chair_id": {"type": "integer"}, "secretary_id": {"type": "integer"},
    "status": {"type": "string"}, "version": {"type": "integer"}}}})
