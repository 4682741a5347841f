"""/meetings/<id>/notes: the signed-in person's own note on the meeting, as JSON (GET, PUT); and their own
annotations on a paper's pages (GET all pages of a version, PUT one page, GET one row by id: its author only)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, jsonify, request
from flask_login import current_user, login_required

from edoc.accounts.models import User
from edoc.core.errors import TooLarge, ValidationFailed
from meetings.meeting import policy
from meetings.notes import annotations, service
from meetings.notes import policy as notes_policy
from meetings.papers import policy as papers_policy

bp = Blueprint("meetings_notes", __name__, url_prefix="/meetings")


def me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


@bp.route("/<int:meeting_id>/notes", methods=["GET", "PUT"])
@login_required
def note(meeting_id: int) -> Response:
    user = me()
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


@bp.route("/<int:meeting_id>/papers/<int:paper_id>/annotations")
@login_required
def paper_annotations(meeting_id: int, paper_id: int) -> Response:
    """The reader's own annotations on the version asked for (``v``), else the current one: the version the
    viewer's download of the paper gives at the same moment."""
    user = me()
    meeting = policy.get_meeting_for(user, meeting_id)
    paper = papers_policy.readable_paper(user, meeting, paper_id)
    raw = request.args.get("v", "")
    number = int(raw) if raw.isdigit() and len(raw) < 6 else None
    version, rows = annotations.annotations_of(user, meeting, paper, number)
    return jsonify({"paper_id": paper.id, "version": version.number, "pages": version.pages,
                    "annotations": {str(r.page): annotations.as_json(r) for r in rows}})


def _body() -> dict[str, object]:
    """The JSON object sent, read no further than the size limit (a forged huge body is refused unread)."""
    if (request.content_length or 0) > annotations.MAX_BODY:
        raise TooLarge(f"{annotations.BAD}: dữ liệu gửi lên quá lớn (tối đa {annotations.MAX_BODY // 1000} KB).")
    data = request.stream.read(annotations.MAX_BODY + 1)
    if len(data) > annotations.MAX_BODY:
        raise TooLarge(f"{annotations.BAD}: dữ liệu gửi lên quá lớn (tối đa {annotations.MAX_BODY // 1000} KB).")
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict) or set(body) != {"version", "items"}:
        raise ValidationFailed(f"{annotations.BAD}: gửi một đối tượng JSON gồm version và items.")
    return body


@bp.route("/<int:meeting_id>/papers/<int:paper_id>/annotations/<int:page>", methods=["PUT"])
@login_required
def save_page(meeting_id: int, paper_id: int, page: int) -> Response:
    user = me()
    meeting = policy.get_meeting_for(user, meeting_id)
    paper = papers_policy.readable_paper(user, meeting, paper_id)
    body = _body()
    row = annotations.save_page(user, meeting, paper, body["version"], page, body["items"])
    return jsonify(annotations.as_json(row) if row else {"id": None, "page": page, "items": [], "updated_at": None})


@bp.route("/annotations/<int:annotation_id>")
@login_required
def annotation(annotation_id: int) -> Response:
    """One annotation row, for its author only: anyone else (chair, secretary, administrator) gets 404."""
    return jsonify(annotations.as_json(notes_policy.own_annotation(me(), annotation_id)))
