"""JSON API for meetings (/api/v1/meetings...): meetings (list by period, create, change, submit, approve,
announce, re-issue, cancel), rooms, participants, answers and deputies; bodies checked against one typed shape each
(``edoc.api.schema``), which also writes their OpenAPI description. Routes parse and call one service function,
which commits; a meeting the token's user may not see is a 404."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from edoc.api import bp
from edoc.api.openapi import add_paths, errors
from edoc.api.routes import api_user
from edoc.api.schema import Bool, Id, Int, List, Obj, Str, json_body, optional_json_body, read_body
from edoc.core.clock import vietnam_today
from edoc.core.errors import ValidationFailed
from meetings.meeting import calendar, forms, invitations, policy, service
from meetings.meeting import participants as attendance
from meetings.meeting.models import Answer, Invitation, Meeting, MeetingKind, MeetingMode, Participant, Room
from meetings.meeting.quorum import QUORUM_LABELS


def _bool(default: bool) -> Bool:
    """A true/false field that reads as ``default`` when left out."""
    field = Bool()
    field.default = default
    return field


def meeting_json(m: Meeting) -> dict[str, Any]:
    return {"id": m.id, "organisation_id": m.organisation_id, "title": m.title, "kind": m.kind, "mode": m.mode,
            "starts_at": m.starts_at.isoformat(), "ends_at": m.ends_at.isoformat(), "room_id": m.room_id,
            "location": m.location, "online_link": m.online_link, "place": m.place, "chair_id": m.chair_id,
            "secretary_id": m.secretary_id, "status": m.status, "status_label": m.status_label,
            "requires_approval": m.requires_approval, "quorum_rule": m.quorum_rule,
            "allow_remote_vote": m.allow_remote_vote, "version": m.version, "notes": m.notes,
            "announced_at": m.announced_at.isoformat() if m.announced_at else None}


def participant_json(p: Participant) -> dict[str, Any]:
    return {"id": p.id, "user_id": p.user_id, "name": p.name, "affiliation": p.affiliation, "role": p.role,
            "votes": p.votes, "unit_id": p.unit_id, "guest_email": p.guest_email, "deputy_for_id": p.deputy_for_id,
            "deputy_approved": p.deputy_approved, "answer": p.answer, "answer_reason": p.answer_reason,
            "answered_at": p.answered_at.isoformat() if p.answered_at else None}


def room_json(r: Room) -> dict[str, Any]:
    return {"id": r.id, "name": r.name, "capacity": r.capacity, "equipment": r.equipment_list, "active": r.active}


def invitation_json(i: Invitation) -> dict[str, Any]:
    return {"id": i.id, "document_id": i.document_id, "replaces_id": i.replaces_id, "reason": i.reason,
            "created_at": i.created_at.isoformat()}


# --- meetings --------------------------------------------------------------------------------------------

_MOMENT = "thời điểm ISO 8601; không có múi giờ thì hiểu là giờ Việt Nam"
MEETING_FIELDS = {
    "title": Str(max_length=500, min_length=1, nullable=False),
    "kind": Str(max_length=16, enum=tuple(k.value for k in MeetingKind), default="regular"),
    "mode": Str(max_length=16, enum=tuple(m.value for m in MeetingMode), default="in_person"),
    "starts_at": Str(max_length=40, min_length=1, nullable=False, description=_MOMENT),
    "ends_at": Str(max_length=40, min_length=1, nullable=False, description=_MOMENT),
    "room_id": Id(), "location": Str(max_length=255), "online_link": Str(max_length=1000),
    "chair_id": Id(nullable=False), "secretary_id": Id(nullable=False),
    "requires_approval": _bool(False), "quorum_rule": Str(max_length=32, enum=tuple(QUORUM_LABELS),
                                                                 default="half_members"),
    "allow_remote_vote": _bool(True), "notes": Str(max_length=5000, multiline=True),
}
NEW_MEETING = Obj(MEETING_FIELDS, required=("title", "starts_at", "ends_at", "chair_id", "secretary_id"))
MEETING_CHANGES = Obj({**MEETING_FIELDS, "version": Int(minimum=1, nullable=True)}, partial=True)
VERSION = Obj({"version": Int(minimum=1, nullable=True)})
REASON = Obj({"reason": Str(max_length=2000)})
DECISION = Obj({"approved": _bool(True), "note": Str(max_length=2000)})


def _data(body: dict[str, Any], base: Meeting | None = None) -> service.MeetingData:
    def pick(key: str, current: Any) -> Any:
        return body[key] if key in body else current

    starts = pick("starts_at", None)
    ends = pick("ends_at", None)
    return service.MeetingData(
        title=pick("title", base.title if base else ""), kind=pick("kind", base.kind if base else "regular"),
        mode=pick("mode", base.mode if base else "in_person"),
        starts_at=forms.parse_moment(starts, "starts_at") if starts is not None else (base.starts_at if base
                                                                                      else None),
        ends_at=forms.parse_moment(ends, "ends_at") if ends is not None else (base.ends_at if base else None),
        room_id=pick("room_id", base.room_id if base else None), location=pick("location", base.location if base
                                                                              else ""),
        online_link=pick("online_link", (base.online_link or "") if base else "") or "",
        chair_id=pick("chair_id", base.chair_id if base else None),
        secretary_id=pick("secretary_id", base.secretary_id if base else None),
        requires_approval=pick("requires_approval", base.requires_approval if base else False),
        quorum_rule=pick("quorum_rule", base.quorum_rule if base else "half_members"),
        allow_remote_vote=pick("allow_remote_vote", base.allow_remote_vote if base else True),
        notes=pick("notes", base.notes if base else ""))


@bp.route("/meetings", methods=["GET"])
def api_meetings_list() -> Response:
    """Without ``date``: the coming meetings the user may open. With ``date`` (and ``view`` week or month,
    ``scope`` mine or organisation): the calendar's period."""
    user = api_user()
    if not request.args.get("date"):
        return jsonify({"meetings": [meeting_json(m) for m in service.upcoming(user)]})
    view = request.args.get("view", "week")
    scope = request.args.get("scope", "mine")
    if view not in {"week", "month"}:
        raise ValidationFailed("view là week hoặc month.", field="view")
    if scope not in service.SCOPES:
        raise ValidationFailed("scope là mine hoặc organisation.", field="scope")
    shown = calendar.period(view, forms.parse_day(request.args.get("date") or vietnam_today().isoformat(), "date",
                                                  "Ngày"))
    found = service.meetings_between(user, shown.start, shown.end, scope=scope)
    return jsonify({"from": shown.first.isoformat(), "to": shown.last.isoformat(),
                    "meetings": [meeting_json(m) for m in found]})


@bp.route("/meetings", methods=["POST"])
def api_meeting_create() -> tuple[Response, int]:
    meeting = service.create_meeting(api_user(), _data(read_body(NEW_MEETING)))
    return jsonify(meeting_json(meeting)), 201


@bp.route("/meetings/<int:meeting_id>", methods=["GET"])
def api_meeting_show(meeting_id: int) -> Response:
    return jsonify(meeting_json(policy.get_meeting_for(api_user(), meeting_id)))


@bp.route("/meetings/<int:meeting_id>", methods=["PATCH"])
def api_meeting_update(meeting_id: int) -> Response:
    """Only the fields sent change; ``version`` (the one read) refuses a change made meanwhile (409). An
    announced meeting whose time or place changes gets a new Giấy mời, named in ``invitation``."""
    user = api_user()
    meeting = policy.get_meeting_for(user, meeting_id)
    body = read_body(MEETING_CHANGES)
    invitation = invitations.update(user, meeting, _data(body, meeting), expected_version=body.get("version"))
    return jsonify({**meeting_json(meeting), "invitation": invitation_json(invitation) if invitation else None})


@bp.route("/meetings/<int:meeting_id>/submit", methods=["POST"])
def api_meeting_submit(meeting_id: int) -> Response:
    user = api_user()
    return jsonify(meeting_json(service.submit_for_approval(user, policy.get_meeting_for(user, meeting_id))))


@bp.route("/meetings/<int:meeting_id>/approve", methods=["POST"])
def api_meeting_approve(meeting_id: int) -> Response:
    user = api_user()
    meeting = policy.get_meeting_for(user, meeting_id)
    body = read_body(DECISION, required=False)
    return jsonify(meeting_json(service.approve(user, meeting, approved=body["approved"], note=body["note"])))


@bp.route("/meetings/<int:meeting_id>/announce", methods=["POST"])
def api_meeting_announce(meeting_id: int) -> tuple[Response, int]:
    user = api_user()
    meeting = policy.get_meeting_for(user, meeting_id)
    body = read_body(VERSION, required=False)
    invitation = invitations.announce(user, meeting, expected_version=body["version"])
    return jsonify({**meeting_json(meeting), "invitation": invitation_json(invitation)}), 201


@bp.route("/meetings/<int:meeting_id>/reissue", methods=["POST"])
def api_meeting_reissue(meeting_id: int) -> tuple[Response, int]:
    user = api_user()
    meeting = policy.get_meeting_for(user, meeting_id)
    invitation = invitations.reissue(user, meeting, read_body(REASON, required=False)["reason"])
    return jsonify(invitation_json(invitation)), 201


@bp.route("/meetings/<int:meeting_id>/invitations", methods=["GET"])
def api_meeting_invitations(meeting_id: int) -> Response:
    user = api_user()
    meeting = policy.get_meeting_for(user, meeting_id)
    policy.require(policy.can_manage_meeting(user, meeting), "Chỉ người quản lý cuộc họp xem các giấy mời.")
    return jsonify({"invitations": [invitation_json(i) for i in invitations.invitations_of(meeting)]})


@bp.route("/meetings/<int:meeting_id>/cancel", methods=["POST"])
def api_meeting_cancel(meeting_id: int) -> Response:
    user = api_user()
    meeting = policy.get_meeting_for(user, meeting_id)
    return jsonify(meeting_json(service.cancel(user, meeting, read_body(REASON)["reason"])))


# --- participants and answers ----------------------------------------------------------------------------

NEW_PARTICIPANTS = Obj({
    "user_ids": List(item=Id(nullable=False), max_items=500, description="người dùng (cơ quan mình hoặc cơ quan "
                     "khác trong danh bạ trên hệ thống)"),
    "unit_id": Id(description="mời cả đơn vị"),
    "role": Str(max_length=16, enum=("member", "guest"), default="member"),
    "guest": Obj({"name": Str(max_length=255, min_length=1, nullable=False), "organisation": Str(max_length=255),
                  "email": Str(max_length=255)}, required=("name",), nullable=True,
                 description="khách mời bên ngoài"),
})
ANSWER = Obj({
    "answer": Str(max_length=16, nullable=False, enum=tuple(a.value for a in Answer if a is not Answer.PENDING)),
    "reason": Str(max_length=2000), "deputy_user_id": Id(),
    "participant_id": Id(description="khách mời bên ngoài mà thư ký ghi trả lời; bỏ trống: chính mình"),
}, required=("answer",))
DEPUTY = Obj({"approved": Bool(nullable=False)}, required=("approved",))
ROLE = Obj({"role": Str(max_length=16, nullable=False, enum=("member", "guest"))}, required=("role",))


@bp.route("/meetings/<int:meeting_id>/participants", methods=["GET"])
def api_participants(meeting_id: int) -> Response:
    user = api_user()
    meeting = policy.get_meeting_for(user, meeting_id)
    policy.require(policy.can_see_participants(user, meeting))
    people = attendance.participants_of(meeting)
    return jsonify({"participants": [participant_json(p) for p in people],
                    "answers": attendance.summary(people)})


@bp.route("/meetings/<int:meeting_id>/participants", methods=["POST"])
def api_participants_add(meeting_id: int) -> tuple[Response, int]:
    """One of ``user_ids``, ``unit_id`` or ``guest``."""
    user = api_user()
    meeting = policy.get_meeting_for(user, meeting_id)
    body = read_body(NEW_PARTICIPANTS)
    given = [k for k in ("user_ids", "unit_id", "guest") if body.get(k)]
    if len(given) != 1:
        raise ValidationFailed("Gửi đúng một trong: user_ids, unit_id, guest.", field="user_ids")
    if given == ["user_ids"]:
        added = attendance.add_people(user, meeting, body["user_ids"], body["role"])
    elif given == ["unit_id"]:
        added = attendance.add_unit(user, meeting, body["unit_id"], body["role"])
    else:
        guest = body["guest"]
        added = [attendance.add_guest(user, meeting, guest["name"], guest["organisation"], guest["email"])]
    return jsonify({"added": [participant_json(p) for p in added]}), 201


@bp.route("/meetings/<int:meeting_id>/participants/<int:participant_id>", methods=["PATCH"])
def api_participant_role(meeting_id: int, participant_id: int) -> Response:
    user = api_user()
    meeting = policy.get_meeting_for(user, meeting_id)
    seat = attendance.get_participant(meeting, participant_id)
    return jsonify(participant_json(attendance.set_role(user, meeting, seat, read_body(ROLE)["role"])))


@bp.route("/meetings/<int:meeting_id>/participants/<int:participant_id>", methods=["DELETE"])
def api_participant_remove(meeting_id: int, participant_id: int) -> tuple[str, int]:
    user = api_user()
    meeting = policy.get_meeting_for(user, meeting_id)
    attendance.remove(user, meeting, attendance.get_participant(meeting, participant_id))
    return "", 204


@bp.route("/meetings/<int:meeting_id>/answer", methods=["POST"])
def api_answer(meeting_id: int) -> Response:
    user = api_user()
    meeting = policy.get_meeting_for(user, meeting_id)
    body = read_body(ANSWER)
    if body["participant_id"] is not None:
        seat = attendance.get_participant(meeting, body["participant_id"])
    else:
        seat = policy.participant_of(user, meeting)
        if seat is None:
            raise ValidationFailed("Bạn không có trong thành phần cuộc họp này.", field="participant_id")
    done = attendance.answer(user, meeting, seat, body["answer"], body["reason"], body["deputy_user_id"])
    return jsonify(participant_json(done))


@bp.route("/meetings/<int:meeting_id>/participants/<int:participant_id>/deputy", methods=["POST"])
def api_deputy(meeting_id: int, participant_id: int) -> Response:
    user = api_user()
    meeting = policy.get_meeting_for(user, meeting_id)
    seat = attendance.get_participant(meeting, participant_id)
    return jsonify(participant_json(attendance.decide_deputy(user, meeting, seat, read_body(DEPUTY)["approved"])))


# --- rooms -----------------------------------------------------------------------------------------------

ROOM_FIELDS = {"name": Str(max_length=255, min_length=1, nullable=False),
               "capacity": Int(minimum=0, maximum=100_000, nullable=True, default=0),
               "equipment": List(item=Str(max_length=200), max_items=50, description="trang thiết bị"),
               "active": _bool(True)}
NEW_ROOM = Obj(ROOM_FIELDS, required=("name",))
ROOM_CHANGES = Obj(ROOM_FIELDS, partial=True)


@bp.route("/meetings/rooms", methods=["GET"])
def api_rooms() -> Response:
    return jsonify({"rooms": [room_json(r) for r in service.rooms_of(api_user().organisation_id,
                                                                      active_only=False)]})


@bp.route("/meetings/rooms", methods=["POST"])
def api_room_create() -> tuple[Response, int]:
    body = read_body(NEW_ROOM)
    room = service.create_room(api_user(), service.RoomData(name=body["name"], capacity=body["capacity"] or 0,
                                                            equipment="\n".join(body["equipment"]),
                                                            active=body["active"]))
    return jsonify(room_json(room)), 201


@bp.route("/meetings/rooms/<int:room_id>", methods=["PATCH"])
def api_room_update(room_id: int) -> Response:
    user = api_user()
    room = service.get_room_in(user.organisation_id, room_id)
    body = read_body(ROOM_CHANGES)
    data = service.RoomData(name=body.get("name", room.name), capacity=body.get("capacity", room.capacity) or 0,
                            equipment="\n".join(body["equipment"]) if "equipment" in body else room.equipment,
                            active=body.get("active", room.active))
    return jsonify(room_json(service.update_room(user, room, data)))


# --- OpenAPI ---------------------------------------------------------------------------------------------

def _ref(name: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


_M = [{"name": "meeting_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
_P = _M + [{"name": "participant_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
_R = [{"name": "room_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
_LIST_ARGS = [{"name": "date", "in": "query", "schema": {"type": "string", "format": "date"}},
              {"name": "view", "in": "query", "schema": {"type": "string", "enum": ["week", "month"]}},
              {"name": "scope", "in": "query", "schema": {"type": "string", "enum": ["mine", "organisation"]}}]


def _op(summary: str, ok: str, schema: str | None, codes: tuple[int, ...], **extra: Any) -> dict[str, Any]:
    answer = {"description": "OK", **(_ref(schema) if schema else {})}
    return {"summary": summary, **extra, "responses": {ok: answer, **errors(*codes)}}


add_paths({
    "/meetings": {
        "get": _op("Các cuộc họp: sắp tới, hoặc theo tuần/tháng (của tôi, cả cơ quan)", "200", None, (400, 401),
                   parameters=_LIST_ARGS),
        "post": _op("Tạo cuộc họp (dự thảo); phòng hoặc chủ trì trùng giờ bị từ chối", "201", "Meeting",
                    (400, 401, 403, 409), requestBody=json_body(NEW_MEETING))},
    "/meetings/{meeting_id}": {
        "get": _op("Một cuộc họp", "200", "Meeting", (401, 404), parameters=_M),
        "patch": _op("Sửa cuộc họp (chỉ các trường gửi); đã thông báo thì đổi giờ, địa điểm soạn giấy mời mới",
                     "200", "Meeting", (400, 401, 403, 404, 409), parameters=_M,
                     requestBody=json_body(MEETING_CHANGES))},
    "/meetings/{meeting_id}/submit": {"post": _op("Gửi văn phòng duyệt", "200", "Meeting", (401, 403, 404, 409),
                                                  parameters=_M)},
    "/meetings/{meeting_id}/approve": {"post": _op("Văn phòng duyệt hoặc trả lại", "200", "Meeting",
                                                   (400, 401, 403, 404, 409), parameters=_M,
                                                   requestBody=optional_json_body(DECISION))},
    "/meetings/{meeting_id}/announce": {"post": _op("Thông báo và soạn Giấy mời (GM)", "201", None,
                                                    (400, 401, 403, 404, 409), parameters=_M,
                                                    requestBody=optional_json_body(VERSION))},
    "/meetings/{meeting_id}/reissue": {"post": _op("Soạn giấy mời mới thay thế giấy mời trước", "201",
                                                   "Invitation", (400, 401, 403, 404, 409), parameters=_M,
                                                   requestBody=optional_json_body(REASON))},
    "/meetings/{meeting_id}/invitations": {"get": _op("Các giấy mời của cuộc họp", "200", None, (401, 403, 404),
                                                      parameters=_M)},
    "/meetings/{meeting_id}/cancel": {"post": _op("Hủy cuộc họp", "200", "Meeting", (400, 401, 403, 404, 409),
                                                  parameters=_M, requestBody=json_body(REASON))},
    "/meetings/{meeting_id}/participants": {
        "get": _op("Thành phần tham dự và trả lời", "200", None, (401, 403, 404), parameters=_M),
        "post": _op("Thêm người, cả đơn vị hoặc khách mời", "201", None, (400, 401, 403, 404, 409), parameters=_M,
                    requestBody=json_body(NEW_PARTICIPANTS))},
    "/meetings/{meeting_id}/participants/{participant_id}": {
        "patch": _op("Đổi vai trò (thành viên, khách mời)", "200", "Participant", (400, 401, 403, 404, 409),
                     parameters=_P, requestBody=json_body(ROLE)),
        "delete": {"summary": "Bỏ khỏi thành phần tham dự", "parameters": _P,
                   "responses": {"204": {"description": "Đã bỏ"}, **errors(400, 401, 403, 404, 409)}}},
    "/meetings/{meeting_id}/answer": {"post": _op("Trả lời giấy mời (của chính mình)", "200", "Participant",
                                                  (400, 401, 403, 404, 409), parameters=_M,
                                                  requestBody=json_body(ANSWER))},
    "/meetings/{meeting_id}/participants/{participant_id}/deputy": {
        "post": _op("Chủ trì đồng ý hoặc không đồng ý người dự thay", "200", "Participant",
                    (400, 401, 403, 404, 409), parameters=_P, requestBody=json_body(DEPUTY))},
    "/meetings/rooms": {
        "get": _op("Phòng họp của cơ quan", "200", None, (401,)),
        "post": _op("Thêm phòng họp (văn phòng)", "201", "Room", (400, 401, 403), requestBody=json_body(NEW_ROOM))},
    "/meetings/rooms/{room_id}": {"patch": _op("Sửa phòng họp (văn phòng)", "200", "Room", (400, 401, 403, 404),
                                               parameters=_R, requestBody=json_body(ROOM_CHANGES))},
}, {
    "Meeting": {"type": "object", "properties": {
        "id": {"type": "integer"}, "title": {"type": "string"}, "kind": {"type": "string"},
        "mode": {"type": "string"}, "starts_at": {"type": "string", "format": "date-time"},
        "ends_at": {"type": "string", "format": "date-time"}, "room_id": {"type": ["integer", "null"]},
        "place": {"type": "string"}, "chair_id": {"type": "integer"}, "secretary_id": {"type": "integer"},
        "status": {"type": "string"}, "version": {"type": "integer"}}},
    "Participant": {"type": "object", "properties": {
        "id": {"type": "integer"}, "user_id": {"type": ["integer", "null"]}, "name": {"type": "string"},
        "role": {"type": "string"}, "votes": {"type": "boolean"}, "deputy_for_id": {"type": ["integer", "null"]},
        "deputy_approved": {"type": ["boolean", "null"]}, "answer": {"type": "string"},
        "answer_reason": {"type": ["string", "null"]}}},
    "Room": {"type": "object", "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "capacity": {"type": "integer"},
        "equipment": {"type": "array", "items": {"type": "string"}}, "active": {"type": "boolean"}}},
    "Invitation": {"type": "object", "properties": {
        "id": {"type": "integer"}, "document_id": {"type": "integer"}, "replaces_id": {"type": ["integer", "null"]},
        "reason": {"type": "string"}}},
})
