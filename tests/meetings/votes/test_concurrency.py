"""Concurrent casts on SQLite and PostgreSQL: two tabs of one member casting at once count once; a close racing
the casts counts exactly the casts it accepted, and none after."""

from __future__ import annotations

import json
import threading

from sqlalchemy import func, select

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.core.errors import DomainError
from meetings.meeting.models import Meeting
from meetings.votes import service
from meetings.votes.models import Vote, VoteBallot, VoteVoter

MEMBERS = ("chair", "m1", "m2", "m3", "m4", "deputy")


def _run_at_once(app, calls):
    barrier, outcomes = threading.Barrier(len(calls)), [None] * len(calls)

    def run(i, call):
        with app.app_context():
            barrier.wait()
            try:
                outcomes[i] = call()
            except DomainError as exc:
                outcomes[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


def _secret_vote(app, room):
    with app.app_context():
        room.check_in(*MEMBERS)
        meeting = db.session.get(Meeting, room.meeting_id)
        chair = db.session.get(User, room.users["chair"])
        vote = service.create_vote(chair, meeting, title="Bỏ phiếu kín", kind="secret", option_set="tan_thanh")
        service.open_vote(chair, vote, meeting)
        return vote.id


def _cast(room, name, vote_id, key):
    return lambda: service.cast_vote(db.session.get(User, room.users[name]), vote_id, ["yes"], key).replayed


def test_two_tabs_of_each_member_casting_at_once_count_once(app, room):
    vote_id = _secret_vote(app, room)
    calls = [_cast(room, n, vote_id, f"{n}-tab-{tab}-key") for n in MEMBERS for tab in (1, 2)]
    outcomes = _run_at_once(app, calls)
    accepted = [o for o in outcomes if o is False]
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(accepted) == len(MEMBERS) and len(refused) == len(MEMBERS), outcomes
    assert all("một lần" in r.message for r in refused)
    with app.app_context():
        voters = db.session.execute(select(func.count()).where(VoteVoter.vote_id == vote_id)).scalar_one()
        ballots = db.session.execute(select(func.count()).where(VoteBallot.vote_id == vote_id)).scalar_one()
        assert voters == ballots == len(MEMBERS)


def test_a_close_racing_the_casts_counts_exactly_what_it_accepted(app, room):
    vote_id = _secret_vote(app, room)

    def close():
        with app.app_context():
            chair = db.session.get(User, room.users["chair"])
            vote = db.session.get(Vote, vote_id)
            return service.close_vote(chair, vote, db.session.get(Meeting, room.meeting_id)).id

    outcomes = _run_at_once(app, [_cast(room, n, vote_id, f"{n}-only-key") for n in MEMBERS] + [close])
    accepted = sum(1 for o in outcomes[:-1] if o is False)
    late = [o for o in outcomes[:-1] if isinstance(o, DomainError)]
    assert all("đã kết thúc" in o.message for o in late) and accepted + len(late) == len(MEMBERS)
    with app.app_context():
        result = json.loads(db.session.get(Vote, vote_id).result)
        ballots = db.session.execute(select(func.count()).where(VoteBallot.vote_id == vote_id)).scalar_one()
        assert result["valid"] == ballots == accepted
