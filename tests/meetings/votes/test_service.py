"""Votes through the service, on SQLite and PostgreSQL: a vote from creation to its result, every refusal with
nothing counted, the secret ballot kept apart from the register, paper ballots."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, inspect, select

from edoc.audit.models import AuditEntry
from edoc.core.db import db
from edoc.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from meetings.meeting.models import Meeting
from meetings.votes import service
from meetings.votes.models import Vote, VoteBallot, VoteVoter
from meetings.votes.record import vote_record
from signing.record import _vote_problems


def _vote(as_user, room, *, kind="open", option_set="tan_thanh", open_it=True, **kw):
    meeting = db.session.get(Meeting, room.meeting_id)
    vote = service.create_vote(as_user("secretary"), meeting, title="Thông qua chương trình đại hội", kind=kind,
                               option_set=option_set, **kw)
    if open_it:
        service.open_vote(as_user("chair"), vote, meeting)
    db.session.commit()
    return vote.id


def _cast(as_user, name, vote_id, choice, key=None):
    result = service.cast_vote(as_user(name), vote_id, choice, key)
    db.session.commit()
    return result


def _close(as_user, vote_id, who="chair"):
    vote, meeting = service.get_vote_for(as_user(who), vote_id)
    vote = service.close_vote(as_user(who), vote, meeting)
    db.session.commit()
    return json.loads(vote.result)


def _counted(vote_id):
    return db.session.execute(select(func.count()).where(VoteVoter.vote_id == vote_id)).scalar_one()


def test_open_vote_from_cast_to_result_with_a_deputy_and_a_resend(app, room, as_user):
    with app.app_context():
        room.check_in("chair", "m1", "m2", "m3", "deputy")
        room.check_in("m4", channel="remote")
        vote_id = _vote(as_user, room)
        first = _cast(as_user, "m1", vote_id, ["yes"], "key-m1-000001")
        again = _cast(as_user, "m1", vote_id, ["no"], "key-m1-000001")  # the browser resends after a reconnect
        assert not first.replayed and again.replayed and first.channel == "room"
        for name, choice in [("m2", "yes"), ("m3", "no"), ("m4", "yes"), ("deputy", "yes"), ("chair", "abstain")]:
            _cast(as_user, name, vote_id, [choice])
        assert _counted(vote_id) == 6
        voters = {v.participant_id: v for v in db.session.execute(select(VoteVoter)).scalars()}
        assert voters[room.participants["m5"]].cast_by_participant_id == room.participants["deputy"]
        assert voters[room.participants["m4"]].channel == "remote"
        result = _close(as_user, vote_id)
        # 6 members (chair, m1-m5; the deputy sits for m5), all present; 4 of 6 for: more than half
        assert result["passed"] and result["base"] == 6 and result["needed"] == 4
        assert [ln["votes"] for ln in result["lines"]] == [4, 1, 1]


def test_refusals_say_why_and_count_nothing(app, room, as_user):
    with app.app_context():
        room.check_in("m1", "guest", "novote", "m5")
        vote_id = _vote(as_user, room)
        cases = [
            ("m2", ["yes"], NotAllowed, "chưa điểm danh"),
            ("guest", ["yes"], NotAllowed, "Khách mời không có quyền biểu quyết"),
            ("novote", ["yes"], NotAllowed, "không có quyền biểu quyết"),
            ("m5", ["yes"], NotAllowed, "cử người dự họp thay"),
            ("m1", ["maybe"], ValidationFailed, "không thuộc"),
            ("m1", ["yes", "no"], ValidationFailed, "đúng một"),
        ]
        for name, choice, error, text in cases:
            with pytest.raises(error, match=text):
                service.cast_vote(as_user(name), vote_id, choice, None)
            db.session.rollback()
        with pytest.raises(NotFound):  # not a participant of the meeting: the meeting is not found
            service.cast_vote(as_user("outsider"), vote_id, ["yes"], None)
        with pytest.raises(ValidationFailed, match="8–64"):
            service.cast_vote(as_user("m1"), vote_id, ["yes"], "short")
        db.session.rollback()
        assert _counted(vote_id) == 0
        _cast(as_user, "m1", vote_id, ["yes"], "first-key-0001")
        with pytest.raises(Conflict, match="chỉ được biểu quyết một lần"):
            service.cast_vote(as_user("m1"), vote_id, ["no"], "second-key-001")
        db.session.rollback()
        with pytest.raises(NotAllowed, match="Chỉ chủ trì hoặc thư ký được kết thúc"):
            service.close_vote(as_user("m1"), db.session.get(Vote, vote_id), db.session.get(Meeting, room.meeting_id))
        db.session.rollback()
        _close(as_user, vote_id, who="secretary")
        room.check_in("m2")
        with pytest.raises(ValidationFailed, match="đã kết thúc"):
            service.cast_vote(as_user("m2"), vote_id, ["yes"], None)
        db.session.rollback()
        assert _cast(as_user, "m1", vote_id, ["yes"], "first-key-0001").replayed  # a late resend: no new vote
        assert _counted(vote_id) == 1
        assert json.loads(db.session.get(Vote, vote_id).result)["valid"] == 1


def test_draft_vote_takes_no_ballot_and_remote_vote_can_be_refused(app, room, as_user):
    with app.app_context():
        room.check_in("m1", channel="remote")
        draft = _vote(as_user, room, open_it=False)
        with pytest.raises(ValidationFailed, match="chưa mở"):
            service.cast_vote(as_user("m1"), draft, ["yes"], None)
        db.session.rollback()
        db.session.get(Meeting, room.meeting_id).allow_remote_vote = False
        db.session.commit()
        vote_id = _vote(as_user, room)
        with pytest.raises(NotAllowed, match="không cho phép biểu quyết trực tuyến"):
            service.cast_vote(as_user("m1"), vote_id, ["yes"], None)
        db.session.rollback()
        assert _counted(vote_id) == 0


def test_secret_ballots_cannot_be_joined_to_the_register(app, room, as_user):
    with app.app_context():
        room.check_in("chair", "m1", "m2", "m3", "m4")
        vote_id = _vote(as_user, room, kind="secret", option_set="election", candidates=["An", "Bình", "Cường"],
                        seats=2, preset="union_election")
        receipts = [_cast(as_user, name, vote_id, choice).receipt
                    for name, choice in [("m1", ["c1", "c2"]), ("m2", ["c1"]), ("m3", ["c2", "c3"]), ("m4", ["c1"])]]
        # the register names who voted and holds no choice; the ballots name nobody and carry no time
        assert set(db.session.execute(select(VoteVoter.choice)).scalars()) == {None}
        schema = inspect(db.session.connection())
        assert {c["name"] for c in schema.get_columns("vote_ballot")} == {"id", "vote_id", "choice", "salt", "digest"}
        assert [fk["referred_table"] for fk in schema.get_foreign_keys("vote_ballot")] == ["vote"]
        before = [b.id for b in db.session.execute(select(VoteBallot)).scalars()]
        result = _close(as_user, vote_id)
        after = list(db.session.execute(select(VoteBallot.id, VoteBallot.digest)))
        assert not set(before) & {b.id for b in after}  # rewritten under new random keys at the close
        assert sorted(d for _, d in after) == sorted(receipts) == service.ballot_digests(db.session.get(Vote, vote_id))
        # 6 members, 4 present: quorum two thirds needs 4; elected with more than half of 4 valid = 3
        assert result["elected"] == ["c1"] and result["needed"] == 3
        logged = " ".join(e.changes for e in db.session.execute(select(AuditEntry)).scalars())
        assert "c1" not in logged and "c2" not in logged


def test_elections_are_secret_when_the_rules_force_it(app, room, as_user):
    with app.app_context():
        with pytest.raises(ValidationFailed, match="phải bỏ phiếu kín"):
            _vote(as_user, room, kind="open", option_set="election", candidates=["An"], preset="union_election")


def test_named_vote_lists_who_voted_what_with_paper_ballots_marked(app, room, as_user):
    with app.app_context():
        room.check_in("m1", "m2")
        vote_id = _vote(as_user, room, kind="named", option_set="dong_y")
        _cast(as_user, "m1", vote_id, ["yes"])
        vote, meeting = service.get_vote_for(as_user("secretary"), vote_id)
        with pytest.raises(Conflict, match="đã biểu quyết điện tử"):
            service.enter_paper(as_user("secretary"), vote, meeting, voters=[], counts={}, invalid=0,
                                choices={room.participants["m1"]: ["no"]})
        db.session.rollback()
        with pytest.raises(NotAllowed):
            service.enter_paper(as_user("m2"), vote, meeting, voters=[], counts={}, invalid=0,
                                choices={room.participants["m3"]: ["no"]})
        db.session.rollback()
        service.enter_paper(as_user("secretary"), vote, meeting, voters=[], counts={}, invalid=0,
                            choices={room.participants["m3"]: ["other"]})
        db.session.commit()
        with pytest.raises(Conflict, match="phiếu giấy"):
            service.cast_vote(as_user("m3"), vote_id, ["yes"], None)
        db.session.rollback()
        _close(as_user, vote_id)
        named = {n["name"]: (n["choice"], n["channel"]) for n in service.named_list(db.session.get(Vote, vote_id))}
        assert named == {"Đại biểu Số 1": (["Đồng ý"], "room"), "Đại biểu Số 3": (["Ý kiến khác"], "paper")}


def test_paper_count_of_a_secret_vote_joins_the_electronic_ballots(app, room, as_user):
    with app.app_context():
        room.check_in("chair", "m1")
        vote_id = _vote(as_user, room, kind="secret")
        _cast(as_user, "m1", vote_id, ["yes"])
        vote, meeting = service.get_vote_for(as_user("secretary"), vote_id)
        paper = [room.participants[n] for n in ("m2", "m3", "m4")]
        with pytest.raises(ValidationFailed, match="khác số phiếu hợp lệ"):
            service.enter_paper(as_user("secretary"), vote, meeting, voters=paper, counts={"yes": 3}, invalid=1)
        db.session.rollback()
        service.enter_paper(as_user("secretary"), vote, meeting, voters=paper, counts={"yes": 1, "no": 1}, invalid=1)
        db.session.commit()
        result = _close(as_user, vote_id)
        # m1 electronic yes; paper: yes, no, one invalid; present: chair, m1 and the three paper voters
        assert (result["valid"], result["invalid"], result["cast"]) == (3, 1, 4)
        assert [ln["votes"] for ln in result["lines"]] == [2, 1, 0]
        assert not result["passed"]  # 2 of 5 present


def test_closed_votes_go_into_the_minutes_record_and_pass_its_independent_check(app, room, as_user):
    with app.app_context():
        room.check_in("chair", "m1", "m2", "m3")
        named = _vote(as_user, room, kind="named")
        for name, choice in [("m1", "yes"), ("m2", "yes"), ("m3", "no")]:
            _cast(as_user, name, named, [choice])
        election = _vote(as_user, room, kind="secret", option_set="election", candidates=["An", "Bình"], seats=1,
                         preset="union_election")
        for name, choice in [("chair", "c1"), ("m1", "c1"), ("m2", "c2"), ("m3", "c1")]:
            _cast(as_user, name, election, [choice])
        _close(as_user, named)
        _close(as_user, election)
        first = vote_record(db.session.get(Vote, named), 1)
        second = vote_record(db.session.get(Vote, election), 2)
        assert first["result"] == "rejected" and first["counts"] == {"Tán thành": 2, "Không tán thành": 1,
                                                                     "Không biểu quyết": 0}
        assert second["elected"] == ["An"] and len(second["ballot_hashes"]) == 4
        assert _vote_problems(first) == [] and _vote_problems(second) == []
