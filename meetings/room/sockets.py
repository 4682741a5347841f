"""The room's Socket.IO handlers: thin. Each reads the payload (a JSON object naming ``meeting_id``), finds the
meeting through the meeting's policy (a meeting the user may not see is "not found"), calls one service function
and answers through the acknowledgement: ``{"ok": true, ...}`` or ``{"ok": false, "error": "<Vietnamese>"}``.
A payload of the wrong shape, a forged id or a refused action changes nothing; every action is authorised again
by its service function, whatever room the connection has joined.

Joining the meeting's Socket.IO room (``meeting.join``) is the only way to hear its events, and it is decided
by the policy (``room.policy.can_join``), never by the client.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, session
from flask_login import current_user
from flask_socketio import join_room, leave_room
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from edoc.accounts.models import User
from edoc.core.db import db, is_busy
from edoc.core.errors import DomainError
from edoc.core.http import BUSY_MESSAGE
from meetings.attendance import checkin
from meetings.live import events
from meetings.meeting import policy as meeting_policy
from meetings.meeting.models import Meeting
from meetings.room import policy, service
from meetings.speakers import service as speakers
from meetings.votes import actions as votes
from meetings.votes import forms as vote_forms

BAD_PAYLOAD = "Dữ liệu gửi lên không hợp lệ."
SIGNED_OUT = "Phiên đăng nhập đã kết thúc. Vui lòng đăng nhập lại."
JOINED = "meeting_rooms"
"""The connection's session key: the meetings whose rooms it joined (the policy said yes)."""
Action = Callable[[User, Meeting, dict[str, Any]], dict[str, Any] | None]
Preload = Callable[[int, dict[str, Any]], object]
_ACTIONS: dict[str, Action] = {}
_SEATED: set[Action] = set()
_PRELOADS: dict[Action, Preload] = {}


def refused(message: str) -> dict[str, Any]:
    return {"ok": False, "error": message}


def _meeting_id(data: object) -> tuple[User, int]:
    if not current_user.is_authenticated:
        raise DomainError(SIGNED_OUT)
    if not isinstance(data, dict):
        raise DomainError(BAD_PAYLOAD)
    meeting_id = data.get("meeting_id")
    if isinstance(meeting_id, bool) or not isinstance(meeting_id, int) or not 0 < meeting_id < 2**31:
        raise DomainError("Cuộc họp không hợp lệ.")
    return current_user._get_current_object(), meeting_id


def _meeting(data: object) -> tuple[User, Meeting]:
    user, meeting_id = _meeting_id(data)
    return user, meeting_policy.get_meeting_for(user, meeting_id)


def _joined_meeting(data: object) -> tuple[User, Meeting]:
    """The meeting for an action whose service decides who may do it from fresh rows (a ballot: the seat):
    a connection the meeting's policy let into the meeting's room (``join``) is not asked again on every event
    (that is a query per ballot, a thousand ballots in ten seconds); any other is."""
    user, meeting_id = _meeting_id(data)
    if meeting_id in session.get(JOINED, ()):
        meeting = db.session.get(Meeting, meeting_id)
        if meeting is not None:
            return user, meeting
    return user, meeting_policy.get_meeting_for(user, meeting_id)


def _guarded(handler: Callable[[object], dict[str, Any]]) -> Callable[[object], dict[str, Any]]:
    def run(data: object = None) -> dict[str, Any]:
        try:
            return handler(data)
        except DomainError as exc:
            db.session.rollback()  # nothing half-written stays in the session
            return refused(exc.message)
        except (PoolTimeout, DBAPIError) as exc:
            # the HTTP doors' 503 "đang bận": nothing was written, the page sends the same thing again (a ballot
            # with the same key); any other database error is a fault and propagates to the log
            if not isinstance(exc, PoolTimeout) and not is_busy(exc):
                raise
            db.session.rollback()
            return {**refused(BUSY_MESSAGE), "retry": True}
    return run


def join(data: object = None) -> dict[str, Any]:
    user, meeting = _meeting(data)
    meeting_policy.require(policy.can_join(user, meeting))
    join_room(events.meeting_room(meeting.id))
    # kept on this connection's own session (Flask-SocketIO's per-connection copy, never a cookie): it ends with
    # the connection, and a sign-in that ends disconnects its connections
    session[JOINED] = sorted({*session.get(JOINED, ()), meeting.id})
    return {"ok": True, "seq": events.last_seq(meeting.id)}


def leave(data: object = None) -> dict[str, Any]:
    _user, meeting = _meeting(data)
    leave_room(events.meeting_room(meeting.id))
    session[JOINED] = [m for m in session.get(JOINED, ()) if m != meeting.id]
    return {"ok": True}


def action(name: str, fn: Action, *, seated: bool = False, preload: Preload | None = None) -> None:
    """Register the room action ``name`` (Socket.IO event ``meeting.<name>``): ``fn(user, meeting, payload)``
    calls one service function; what it returns is added to the acknowledgement. ``seated``: the service
    authorises from the person's fresh participant row itself (a ballot), so a connection that joined the
    meeting's room is not asked the meeting's policy again (``_joined_meeting``). ``preload(meeting_id,
    payload)``: reads, in one statement, the rows the policy and the service will then ask the session for by
    id (the meeting, the item), so that they cost no further round trip; it decides nothing."""
    _ACTIONS[name] = fn
    if seated:
        _SEATED.add(fn)
    if preload is not None:
        _PRELOADS[fn] = preload


def _dispatch(fn: Action) -> Callable[[object], dict[str, Any]]:
    find = _joined_meeting if fn in _SEATED else _meeting
    preload = _PRELOADS.get(fn)

    def handler(data: object = None) -> dict[str, Any]:
        # held until the action is done: the session's identity map keeps rows only while someone holds them
        warm = preload(_meeting_id(data)[1], data) if preload is not None and isinstance(data, dict) else None
        user, meeting = find(data)
        assert isinstance(data, dict)
        answer = {"ok": True, **(fn(user, meeting, data) or {})}
        del warm
        return answer
    return _guarded(handler)


# --- the room's actions: payload → one service function -------------------------------------------------------

def _open_item(user: User, meeting: Meeting, data: dict[str, Any]) -> dict[str, Any]:
    return {"item_id": service.open_item(user, meeting, data.get("item_id"))}


def _turn_page(user: User, meeting: Meeting, data: dict[str, Any]) -> dict[str, Any]:
    paper, page = service.turn_page(user, meeting, data.get("paper_id"), data.get("page"))
    return {"paper_id": paper, "page": page}


def _check_in(user: User, meeting: Meeting, data: dict[str, Any]) -> dict[str, Any]:
    row = checkin.check_in(user, meeting, status=data.get("status"), reason=data.get("reason"),
                           participant_id=data.get("participant_id"))
    return {"participant_id": row.participant_id, "status": row.status}


def _speak(user: User, meeting: Meeting, data: dict[str, Any]) -> dict[str, Any]:
    return {"request_id": speakers.request_floor(user, meeting, data.get("kind")).id}


def _withdraw(user: User, meeting: Meeting, data: dict[str, Any]) -> dict[str, Any]:
    return {"request_id": speakers.withdraw(user, meeting).id}


def _reorder(user: User, meeting: Meeting, data: dict[str, Any]) -> dict[str, Any]:
    return {"order": speakers.reorder(user, meeting, data.get("order"))}


def _give(user: User, meeting: Meeting, data: dict[str, Any]) -> dict[str, Any]:
    return {"request_id": speakers.give_floor(user, meeting, data.get("request_id")).id}


def _end(user: User, meeting: Meeting, data: dict[str, Any]) -> dict[str, Any]:
    row = speakers.end_floor(user, meeting)
    return {"request_id": row.id, "seconds": row.seconds}


def _cast(user: User, meeting: Meeting, data: dict[str, Any]) -> dict[str, Any]:
    """A delegate's ballot over the room's socket (the page's first choice; HTTP when the socket is down): the
    same checks, service function and answer as ``POST .../votes/<id>/cast``."""
    vote_id = data.get("vote_id")
    if isinstance(vote_id, bool) or not isinstance(vote_id, int) or not 0 < vote_id < 2**31:
        raise DomainError("Cuộc biểu quyết không hợp lệ.")
    answer, _status = votes.cast_checked(user, meeting, vote_id, vote_forms.CAST.check(data))
    return answer


action("agenda.open", _open_item, preload=lambda meeting_id, data: service.item_rows(meeting_id,
                                                                                     data.get("item_id")))
action("presenter.page", _turn_page)
action("checkin", _check_in)
action("speakers.request", _speak)
action("speakers.withdraw", _withdraw)
action("speakers.reorder", _reorder)
action("speakers.give", _give)
action("speakers.end", _end)
action("vote.cast", _cast, seated=True)


def init_app(app: Flask) -> None:
    server = app.extensions["socketio"]
    server.on_event("meeting.join", _guarded(join))
    server.on_event("meeting.leave", _guarded(leave))
    for name, fn in _ACTIONS.items():
        server.on_event(f"meeting.{name}", _dispatch(fn))
