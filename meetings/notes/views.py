"""/meetings/<id>/notes: the signed-in person's own note on the meeting, as JSON (GET, PUT)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from flask_login import current_user, login_required

from edoc.core.errors import ValidationFailed
from meetings.meeting import policy
from meetings.notes import service

bp = Blueprint("meetings_notes", __name__, url_prefix="/meetings")


@bp.route("/<int:meeting_id>/notes", methods=["GET", "PUT"])
@login_required
def note(meeting_id: int) -> Response:
    user = current_user._get_current_object()
    meeting = policy.get_meeting_for(user, meeting_id)
    if request.method == "PUT":
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ValidationFailed("Dữ liệu gửi lên không hợp lệ.")
        saved = service.save_note(user, meeting, body.get("text"))
        return jsonify({"text": saved.text, "updated_at": saved.updated_at.isoformat()})
    found = service.note_of(user, meeting)
    return jsonify({"text": found.text if found else "",
                    "updated_at": found.updated_at.isoformat() if found else None})
