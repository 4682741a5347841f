"""The room's pages and JSON: the room page, its snapshot, the events a page missed, the door's QR check-in."""

from __future__ import annotations

import io
from pathlib import Path

import segno
from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from flask_login import current_user, login_required

from edoc.accounts.models import User
from edoc.core.errors import NotFound, ValidationFailed
from meetings.attendance import checkin
from meetings.live import events
from meetings.meeting import policy as meeting_policy
from meetings.meeting.models import Meeting
from meetings.room import policy, service

bp = Blueprint("meetings_room", __name__, url_prefix="/meetings")


def me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _room(meeting_id: int) -> Meeting:
    meeting = meeting_policy.get_meeting_for(me(), meeting_id)
    meeting_policy.require(policy.can_join(me(), meeting))
    return meeting


@bp.route("/<int:meeting_id>/room")
@login_required
def room(meeting_id: int) -> str:
    meeting = _room(meeting_id)
    door = url_for("meetings_room.door", meeting_id=meeting.id, token=checkin.door_token(meeting), _external=True) \
        if policy.can_lead(me(), meeting) else None
    votes_script = Path(current_app.static_folder or "", "js", "meeting-votes.js").exists()
    return render_template("meetings/room/room.html", meeting=meeting, door_url=door, votes_script=votes_script)


@bp.route("/<int:meeting_id>/room/door-qr.svg")
@login_required
def door_qr(meeting_id: int) -> Response:
    """The door's QR code, for the chair and the secretary to print or show on a screen at the door."""
    meeting = _room(meeting_id)
    meeting_policy.require(policy.can_lead(me(), meeting))
    url = url_for("meetings_room.door", meeting_id=meeting.id, token=checkin.door_token(meeting), _external=True)
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=5, border=2)
    return Response(out.getvalue(), mimetype="image/svg+xml", headers={"Cache-Control": "private, no-store"})


@bp.route("/<int:meeting_id>/live/state")
@login_required
def state(meeting_id: int) -> Response:
    return jsonify(service.snapshot(me(), _room(meeting_id)))


@bp.route("/<int:meeting_id>/live/events")
@login_required
def missed(meeting_id: int) -> Response:
    meeting = _room(meeting_id)
    since = request.args.get("since", "")
    if not since.isdigit() or len(since) > 10:
        raise ValidationFailed("Tham số since phải là số thứ tự sự kiện (số nguyên không âm).", field="since")
    found, complete = events.events_since(meeting.id, int(since))
    return jsonify({"events": found, "complete": complete, "seq": events.last_seq(meeting.id)})


@bp.route("/<int:meeting_id>/checkin/<token>", methods=["GET", "POST"])
@login_required
def door(meeting_id: int, token: str) -> str:
    """The QR code at the door opens this page; its button checks the person in as present in the room (a POST,
    so that a link or an image elsewhere cannot check anybody in)."""
    if request.method == "GET":
        if checkin.meeting_of_token(token) != meeting_id:
            raise NotFound("Mã QR điểm danh không thuộc cuộc họp này.")
        return render_template("meetings/room/door.html", meeting=_room(meeting_id), token=token, row=None)
    meeting, row = checkin.check_in_at_door(me(), meeting_id, token)
    return render_template("meetings/room/door.html", meeting=meeting, token=token, row=row,
                           label=checkin.PRESENCE_LABELS[checkin.Presence(row.status)])
