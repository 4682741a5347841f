"""Casting over the room's socket (``meeting.vote.cast``), as the room page does first: the same service and
answers as the HTTP doors (tests/meetings/votes/test_http.py), through the Socket.IO acknowledgement; a resend with
the same key counted once, whichever door it takes; every misuse and forged payload refused with a message and
nothing counted."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from edoc.core.db import db
from meetings.votes.models import VoteVoter
from tests.support.web import csrf_token, login

CAST = "meeting.vote.cast"


def _counted(app, vote_id: int) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).where(VoteVoter.vote_id == vote_id)).scalar_one()


def _people(app, room, *names: str) -> dict[str, tuple[Any, Any, str]]:
    """name → (HTTP client signed in, its Socket.IO client joined to the meeting's room, CSRF token)."""
    made = {}
    for name in names:
        client = app.test_client()
        login(client, f"v-{name}")
        socket = app.extensions["socketio"].test_client(app, flask_test_client=client)
        assert socket.emit("meeting.join", {"meeting_id": room.meeting_id}, callback=True)["ok"], name
        made[name] = (client, socket, csrf_token(client, "/"))
    return made


def _vote(chair, token: str, room) -> int:
    base = f"/meetings/{room.meeting_id}/votes"
    headers = {"X-CSRFToken": token, "Accept": "application/json"}
    made = chair.post(base, json={"title": "Thông qua quy chế bầu cử", "kind": "secret", "option_set": "tan_thanh"},
                      headers=headers)
    assert made.status_code == 201, made.get_json()
    vote = made.get_json()["id"]
    assert chair.post(f"{base}/{vote}/open", json={}, headers=headers).status_code == 200
    return int(vote)


def test_a_ballot_over_the_socket_is_counted_once_whichever_door_resends_it(app, room):
    with app.app_context():
        room.check_in("chair", "m1", "m2", "deputy")
    people = _people(app, room, "chair", "m1", "deputy")
    chair, _chair_socket, chair_token = people["chair"]
    vote = _vote(chair, chair_token, room)
    m1_http, m1, m1_token = people["m1"]
    ballot = {"meeting_id": room.meeting_id, "vote_id": vote, "choice": ["yes"], "idempotency_key": "sock-key-0001"}

    first = m1.emit(CAST, ballot, callback=True)
    assert first["ok"] and first["accepted"] and not first["replayed"] and first["channel"] == "room"
    assert len(first["receipt"]) == 64  # a secret ballot: the receipt the minutes list
    again = m1.emit(CAST, ballot, callback=True)  # the page resends after a reconnect
    assert again["ok"] and again["replayed"] and again["receipt"] is None
    # the socket went down meanwhile: the page sends the same ballot over HTTP with the same key
    fallback = m1_http.post(f"/meetings/{room.meeting_id}/votes/{vote}/cast",
                            json={"choice": ["yes"], "idempotency_key": "sock-key-0001"},
                            headers={"X-CSRFToken": m1_token, "Accept": "application/json"})
    assert fallback.status_code == 200 and fallback.get_json()["replayed"]
    other_key = m1.emit(CAST, {**ballot, "choice": ["no"], "idempotency_key": "sock-key-0002"}, callback=True)
    assert other_key == {"ok": False, "error": "Bạn đã biểu quyết trong cuộc biểu quyết này; mỗi thành viên chỉ "
                                               "được biểu quyết một lần."}
    # the approved deputy votes in m5's seat
    _http, deputy, _token = people["deputy"]
    assert deputy.emit(CAST, {**ballot, "idempotency_key": "sock-key-dep1"}, callback=True)["accepted"]
    assert _counted(app, vote) == 2


def test_misuse_and_forged_ballots_over_the_socket_are_refused_and_count_nothing(app, room):
    with app.app_context():
        room.check_in("chair", "m1", "m2", "guest", "novote")
    people = _people(app, room, "chair", "m1", "m2", "m3", "m5", "guest", "novote")
    chair, _s, chair_token = people["chair"]
    vote = _vote(chair, chair_token, room)
    ok = {"meeting_id": room.meeting_id, "vote_id": vote, "choice": ["yes"], "idempotency_key": "forged-key-01"}
    refused: list[tuple[str, dict[str, Any], str]] = [
        ("guest", {}, "Khách mời không có quyền biểu quyết."),
        ("novote", {}, "Bạn tham dự cuộc họp này không có quyền biểu quyết."),
        ("m3", {}, "Bạn chưa điểm danh nên chưa thể biểu quyết. Hãy điểm danh trước."),
        ("m5", {}, "Bạn đã cử người dự họp thay; người dự thay biểu quyết thay bạn."),
        ("m1", {"choice": "yes"}, "“choice” phải là một danh sách"),
        ("m1", {"choice": [1]}, "“choice[0]” phải là một chuỗi văn bản"),
        ("m1", {"choice": None}, "Thiếu trường “choice”."),
        ("m1", {"choice": []}, "Hãy chọn đúng một phương án."),
        ("m1", {"choice": ["yes", "no"]}, "Hãy chọn đúng một phương án."),
        ("m1", {"choice": ["veto"]}, "có phương án không thuộc cuộc biểu quyết này"),
        ("m1", {"idempotency_key": "x" * 65}, "quá dài (tối đa 64 ký tự)"),
        ("m1", {"idempotency_key": "short"}, "Mã chống gửi lặp phải gồm 8–64 ký tự"),
        ("m1", {"vote_id": str(vote)}, "Cuộc biểu quyết không hợp lệ."),
        ("m1", {"vote_id": True}, "Cuộc biểu quyết không hợp lệ."),
        ("m1", {"vote_id": 2**40}, "Cuộc biểu quyết không hợp lệ."),
        ("m1", {"vote_id": vote + 1000}, "Không tìm thấy cuộc biểu quyết."),
        ("m1", {"meeting_id": room.meeting_id + 1000}, "Không tìm thấy cuộc họp."),
        ("m1", {"meeting_id": None}, "Cuộc họp không hợp lệ."),
    ]
    for who, change, message in refused:
        answer = people[who][1].emit(CAST, {**ok, **change}, callback=True)
        assert answer["ok"] is False and answer["error"], (who, change, answer)
        assert message in answer["error"], (who, change, answer)
        assert set(answer) == {"ok", "error"}, answer
    for payload in (None, [ok], "yes", 7):
        assert people["m1"][1].emit(CAST, payload, callback=True) == {"ok": False,
                                                                       "error": "Dữ liệu gửi lên không hợp lệ."}
    assert _counted(app, vote) == 0
    # a delegate may not close the vote; after the chair closes it a ballot is refused, a resend still answered
    assert people["m2"][1].emit(CAST, {**ok, "idempotency_key": "m2-before-close"}, callback=True)["accepted"]
    base = f"/meetings/{room.meeting_id}/votes/{vote}"
    closed = chair.post(f"{base}/close", json={}, headers={"X-CSRFToken": chair_token, "Accept": "application/json"})
    assert closed.status_code == 200 and closed.get_json()["voted"] == 1
    late = people["m1"][1].emit(CAST, ok, callback=True)
    assert late == {"ok": False, "error": "Cuộc biểu quyết đã kết thúc; phiếu này không được tính."}
    resent = people["m2"][1].emit(CAST, {**ok, "idempotency_key": "m2-before-close"}, callback=True)
    assert resent["ok"] and resent["replayed"]
    assert _counted(app, vote) == 1
