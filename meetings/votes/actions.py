"""What each vote endpoint does, for the page's routes and the API's alike: read the checked body, call the
service (which commits), and say what the client shows. Kept apart from the routes so both doors behave alike."""

from __future__ import annotations

from typing import Any

from edoc.accounts.models import User
from edoc.api.schema import read_body
from edoc.core.errors import ValidationFailed
from meetings.live.events import register_section
from meetings.meeting.models import Meeting
from meetings.meeting.policy import get_meeting_for
from meetings.votes import forms, service
from meetings.votes.policy import can_manage_votes, seat_or_none


def list_votes(user: User, meeting_id: int) -> dict[str, Any]:
    return _votes_of(user, get_meeting_for(user, meeting_id))


def _section(meeting_id: int, user: User) -> dict[str, Any]:
    """The room snapshot's "votes" part (the room let ``user`` in already)."""
    return _votes_of(user, get_meeting_for(user, meeting_id))


def _votes_of(user: User, meeting: Meeting) -> dict[str, Any]:
    seat = seat_or_none(user, meeting)
    manage = can_manage_votes(user, meeting)
    body: dict[str, Any] = {"can_manage": manage, "can_vote": seat is not None,
                            "votes": [service.vote_json(v, seat=seat) for v in service.votes_of(meeting)]}
    if manage:  # for the tellers' paper form
        body["members"] = [{"id": p.id, "name": p.name} for p in service.voting_members(meeting)]
    return body


def show(user: User, meeting_id: int, vote_id: int) -> dict[str, Any]:
    vote, meeting = service.get_vote_for(user, vote_id, meeting_id)
    return service.vote_json(vote, seat=seat_or_none(user, meeting))


def create(user: User, meeting_id: int) -> dict[str, Any]:
    meeting = get_meeting_for(user, meeting_id)
    body = read_body(forms.CREATE)
    vote = service.create_vote(user, meeting, title=body["title"], kind=body["kind"], option_set=body["option_set"],
                               candidates=body["candidates"], seats=body["seats"], preset=body["preset"],
                               agenda_item_id=body["agenda_item_id"])
    return service.vote_json(vote)


def open_(user: User, meeting_id: int, vote_id: int) -> dict[str, Any]:
    vote, meeting = service.get_vote_for(user, vote_id, meeting_id)
    vote = service.open_vote(user, vote, meeting)
    return service.vote_json(vote)


def cast(user: User, meeting_id: int, vote_id: int) -> tuple[dict[str, Any], int]:
    """The HTTP doors (page and API): the request's JSON body."""
    return cast_checked(user, meeting_id, vote_id, read_body(forms.CAST))


def cast_checked(user: User, meeting: int | Meeting, vote_id: int,
                 body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """A ballot whose body ``forms.CAST`` has checked, from any door: the answer and its HTTP status (201 counted
    now, 200 a resend of a ballot counted before). ``meeting``: its id (HTTP: found and checked by the service),
    or the meeting the room's socket already found for ``user``."""
    if isinstance(meeting, Meeting):
        result = service.cast_vote(user, vote_id, body["choice"], body["idempotency_key"], meeting=meeting)
    else:
        result = service.cast_vote(user, vote_id, body["choice"], body["idempotency_key"], meeting_id=meeting)
    message = ("Phiếu của bạn đã được ghi nhận trước đó; lần gửi lại này không được tính thêm." if result.replayed
               else "Đã ghi nhận phiếu biểu quyết của bạn.")
    return ({"vote_id": vote_id, "accepted": True, "replayed": result.replayed, "receipt": result.receipt,
             "channel": result.channel, "message": message}, 200 if result.replayed else 201)


def paper(user: User, meeting_id: int, vote_id: int) -> dict[str, Any]:
    vote, meeting = service.get_vote_for(user, vote_id, meeting_id)
    body = read_body(forms.PAPER)
    vote = service.enter_paper(user, vote, meeting, **forms.paper_arguments(body, vote.kind == "named"))
    return service.vote_json(vote)


def close(user: User, meeting_id: int, vote_id: int) -> dict[str, Any]:
    vote, meeting = service.get_vote_for(user, vote_id, meeting_id)
    vote = service.close_vote(user, vote, meeting)
    return service.vote_json(vote)


def ballots(user: User, meeting_id: int, vote_id: int) -> dict[str, Any]:
    vote, _meeting = service.get_vote_for(user, vote_id, meeting_id)
    if vote.kind != "secret" or vote.status != "closed":
        raise ValidationFailed("Danh sách mã phiếu chỉ có cho cuộc bỏ phiếu kín đã kết thúc.")
    return {"vote_id": vote.id, "ballot_digest": vote.ballot_digest, "ballots": service.ballot_digests(vote)}


register_section("votes", _section)
