"""Votes closed in the meeting (``meetings.votes``) reach the minutes: numbered in agenda order, with their rule,
counts and result, the named ballots with how each arrived, the secret ballots' hashes; the record embedded in the
secretary's signed version recomputes and its figures are in the signed text. The members check in
first (two in the room, one online), as the votes require."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.files.service import read_verified
from meetings.attendance import checkin
from meetings.attendance.models import Participant
from meetings.minutes import service
from meetings.votes import service as votes
from meetings.votes.models import Vote
from meetings.votes.record import vote_record
from signing.record import check_record, read_record
from tests.meetings.minutes.conftest import PIN, get, items_of


@pytest.mark.parametrize("backend", ["sqlite"])  # the flow runs on both; this part is no database matter
def test_closed_votes_in_the_minutes_and_the_record(app: Flask, demo: dict[str, int],
                                                     make_meeting: Callable[..., int]) -> None:
    meeting_id = make_meeting(status="in_progress")
    with app.app_context():
        meeting = get(meeting_id)
        first, second = items_of(meeting_id)
        chair = db.session.get(User, demo["chutich"])
        secretary = db.session.get(User, demo["thuky"])
        assert chair is not None and secretary is not None
        for username, where in (("chutich", "in_room"), ("phochutich", "in_room"), ("chuyenvien", "online")):
            checkin.check_in(db.session.get(User, demo[username]), meeting, status=where)
        secret = votes.create_vote(secretary, meeting, title="Nhân sự giới thiệu", kind="secret",
                                   option_set="dong_y", agenda_item_id=second.id)
        named = votes.create_vote(secretary, meeting, title="Thông qua báo cáo", kind="named",
                                  option_set="tan_thanh", agenda_item_id=first.id)
        db.session.commit()
        for vote in (named, secret):
            votes.open_vote(secretary, vote, meeting)
            db.session.commit()
        voters = {p.user_id: p for p in db.session.execute(db.select(Participant).where(
            Participant.meeting_id == meeting_id, Participant.votes.is_(True))).scalars()}
        choices = {demo["chutich"]: "yes", demo["phochutich"]: "yes", demo["chuyenvien"]: "no"}
        for user_id, choice in choices.items():
            assert user_id in voters
            user = db.session.get(User, user_id)
            votes.cast_vote(user, named.id, [choice], None)
            votes.cast_vote(user, secret.id, ["yes"], None)
            db.session.commit()
        for vote in (named, secret):
            votes.close_vote(secretary, vote, meeting)
            db.session.commit()
        meeting.status = "ended"
        db.session.commit()

        service.draft_minutes(secretary, meeting)
        minutes = service.sign_as_secretary(secretary, meeting, PIN)
        db.session.commit()
        pdf = read_verified(minutes.document.current_version.pdf_file)
        record = read_record(pdf)
        first_vote, second_vote = record["votes"]
        assert (first_vote["number"], first_vote["title"], first_vote["kind"]) == (1, "Thông qua báo cáo", "named")
        assert first_vote["counts"] == {"Tán thành": 2, "Không tán thành": 1, "Không biểu quyết": 0}
        assert sorted(b["channel"] for b in first_vote["ballots"]) == ["remote", "room", "room"]
        assert first_vote == vote_record(db.session.get(Vote, named.id), 1)  # the bulk query gives the same entry
        assert second_vote["kind"] == "secret" and len(second_vote["ballot_hashes"]) == 3
        assert "ballots" not in second_vote
        body = minutes.document.body
        assert "Biểu quyết số 1: Tán thành: 2; Không tán thành: 1; Không biểu quyết: 0;" in body
        assert "Cách gửi phiếu: tại phòng họp: 2, từ xa: 1." in body
        assert check_record(pdf).problems == []
