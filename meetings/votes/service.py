"""Votes: create, open, cast, paper count, close. Each change of state is one function here, which commits.

Casting is the hot path (a thousand delegates in ten seconds). It reads the vote under a shared lock (PostgreSQL
``FOR SHARE``: casts do not wait for each other, a close waits for the casts in flight and casts after it see the
vote closed), then inserts the register row with ``ON CONFLICT DO NOTHING``: the unique (vote, member) pair is the
one guard against a second vote, whether it comes from a second tab, a second server process or a resend after a
reconnect. A resend carries the page's idempotency key and gets the first answer back. Casts are not written to
the audit chain one by one: the register is their record, and the chain's single head row would queue every
cast of the room behind one lock (opening, the paper count and the close are audited).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.core.db import commit, db, locked, utcnow
from edoc.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from meetings.attendance.models import Participant
from meetings.meeting.models import Meeting, MeetingStatus
from meetings.meeting.policy import get_meeting_for
from meetings.votes import events, presence, rules
from meetings.votes.models import Vote, VoteBallot, VoteOption, VotePaperCount, VoteVoter, random_id
from meetings.votes.policy import Seat, entitled, require_manager

NOT_FOUND = "Không tìm thấy cuộc biểu quyết."
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,64}")
MAX_TITLE = 500
STATUS_LABELS = {"draft": "Chưa mở", "open": "Đang biểu quyết", "closed": "Đã kết thúc"}
CHANNEL_LABELS = {"room": "Tại phòng họp", "remote": "Từ xa", "paper": "Phiếu giấy"}


def _rule_error(exc: rules.RuleError) -> ValidationFailed:
    return ValidationFailed(exc.message, field=exc.field)


def option_set_of(vote: Vote) -> rules.OptionSet:
    options = tuple(rules.Option(o.key, o.label, o.approves) for o in vote.options)
    return rules.OptionSet(vote.option_set, options, election=vote.option_set == "election", seats=vote.seats)


def rules_of(vote: Vote) -> rules.Rules:
    return rules.Rules(vote.quorum_rule, vote.majority_base, vote.threshold, vote.secret_for_elections)


def get_vote_for(user: User, vote_id: int, meeting_id: int | None = None) -> tuple[Vote, Meeting]:
    """The vote and its meeting if ``user`` may see the meeting; else "not found" (a vote of another meeting too)."""
    vote = db.session.get(Vote, vote_id)
    if vote is None or (meeting_id is not None and vote.meeting_id != meeting_id):
        raise NotFound(NOT_FOUND)
    return vote, get_meeting_for(user, vote.meeting_id)


def votes_of(meeting: Meeting) -> list[Vote]:
    return list(db.session.execute(select(Vote).where(Vote.meeting_id == meeting.id).order_by(Vote.id)).scalars())


# --- setting up ------------------------------------------------------------------------------------------------


def create_vote(actor: User, meeting: Meeting, *, title: str, kind: str, option_set: str,
                candidates: Sequence[str] = (), seats: int = 1, preset: str = rules.DEFAULT_PRESET,
                agenda_item_id: int | None = None) -> Vote:
    require_manager(actor, meeting)
    if meeting.status_enum in {MeetingStatus.ENDED, MeetingStatus.CANCELLED}:
        raise ValidationFailed("Cuộc họp đã kết thúc hoặc đã hủy: không thể tạo biểu quyết.")
    title = rules.clean_label(title)
    if not title:
        raise ValidationFailed("Hãy nhập nội dung biểu quyết.", field="title")
    if len(title) > MAX_TITLE:
        raise ValidationFailed(f"Nội dung biểu quyết dài quá {MAX_TITLE} ký tự.", field="title")
    try:
        if option_set == "election":
            options = rules.election_options(candidates, seats)
        elif option_set in rules.OPTION_SETS:
            options = rules.OPTION_SETS[option_set]
        else:
            raise rules.RuleError(f"Bộ phương án “{option_set}” không có.", field="option_set")
        vote_rules = rules.preset_rules(preset, meeting.quorum_rule if meeting.quorum_rule in rules.QUORUMS else None)
        rules.check_setup(kind, options, vote_rules)
    except rules.RuleError as exc:
        raise _rule_error(exc) from None
    if agenda_item_id is not None:
        from_meeting = db.session.execute(
            select(func.count()).select_from(_agenda_table()).where(
                _agenda_table().c.id == agenda_item_id, _agenda_table().c.meeting_id == meeting.id)
        ).scalar_one()
        if not from_meeting:
            raise ValidationFailed("Nội dung chương trình không thuộc cuộc họp này.", field="agenda_item_id")
    vote = Vote(meeting_id=meeting.id, agenda_item_id=agenda_item_id, title=title, kind=kind, option_set=option_set,
                seats=options.seats, preset=preset, quorum_rule=vote_rules.quorum, majority_base=vote_rules.base,
                threshold=vote_rules.threshold, secret_for_elections=vote_rules.secret_for_elections,
                status="draft", created_by_id=actor.id, paper_valid=0, paper_invalid=0)
    vote.options = [VoteOption(position=i, key=o.key, label=o.label, approves=o.approves)
                    for i, o in enumerate(options.options)]
    db.session.add(vote)
    record("vote.create", vote, actor=actor, organisation_id=meeting.organisation_id,
           changes={"title": title, "kind": kind, "options": option_set, "preset": preset})
    events.publish(meeting, "vote.created", vote_json(vote), actor)
    commit()
    return vote


def _agenda_table() -> Any:
    return db.metadata.tables["agenda_item"]


def open_vote(actor: User, vote: Vote, meeting: Meeting) -> Vote:
    require_manager(actor, meeting)
    vote = locked(vote)
    if vote.status != "draft":
        raise Conflict("Cuộc biểu quyết đã được mở trước đó.")
    if meeting.status_enum is not MeetingStatus.IN_PROGRESS:
        raise ValidationFailed("Chỉ mở biểu quyết khi cuộc họp đang diễn ra.")
    vote.status, vote.opened_at = "open", utcnow()
    record("vote.open", vote, actor=actor, organisation_id=meeting.organisation_id)
    events.publish(meeting, "vote.opened", vote_json(vote), actor)
    commit()
    return vote


# --- casting ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CastResult:
    vote_id: int
    replayed: bool  # the same idempotency key was accepted before: nothing new was counted
    receipt: str | None  # secret votes: the ballot's digest, as listed in the minutes
    channel: str


@dataclass(frozen=True)
class _Head:
    """What a cast reads of its vote, under the shared lock: one statement, the options with it."""

    meeting_id: int
    status: str
    kind: str
    options: rules.OptionSet


def _locked_head(vote_id: int) -> _Head | None:
    """The vote's status, kind and options, read under a shared lock on the vote's row (PostgreSQL ``FOR SHARE OF
    vote``: casts do not wait for each other, a close waits for them) in one statement: the hot path loads
    nothing it does not use."""
    rows = db.session.execute(
        select(Vote.meeting_id, Vote.status, Vote.kind, Vote.option_set, Vote.seats, VoteOption.key,
               VoteOption.label, VoteOption.approves)
        .join(VoteOption, VoteOption.vote_id == Vote.id).where(Vote.id == vote_id).order_by(VoteOption.position)
        .with_for_update(read=True, of=Vote)
    ).all()
    if not rows:
        return None
    first = rows[0]
    options = tuple(rules.Option(r.key, r.label, r.approves) for r in rows)
    return _Head(first.meeting_id, first.status, first.kind,
                 rules.OptionSet(first.option_set, options, election=first.option_set == "election",
                                 seats=first.seats))


def _insert_voter(values: dict[str, Any]) -> bool:
    """Insert one register row unless the member already has one (also one a concurrent transaction is
    committing: PostgreSQL waits for it, SQLite's write lock orders them). True when this call inserted it."""
    dialect = db.session.get_bind(mapper=VoteVoter).dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    row = db.session.execute(
        insert(VoteVoter).values(**values)
        .on_conflict_do_nothing(index_elements=["vote_id", "participant_id"]).returning(VoteVoter.id)
    ).first()
    return row is not None


def _existing(vote_id: int, participant_id: int) -> VoteVoter | None:
    return db.session.execute(
        select(VoteVoter).where(VoteVoter.vote_id == vote_id, VoteVoter.participant_id == participant_id)
    ).scalar_one_or_none()


ALREADY_VOTED = "Bạn đã biểu quyết trong cuộc biểu quyết này; mỗi thành viên chỉ được biểu quyết một lần."


def _replay(vote_id: int, previous: VoteVoter, key: str | None) -> CastResult:
    if key is not None and previous.idempotency_key == key:
        return CastResult(vote_id, True, None, previous.channel)
    if previous.channel == "paper":
        raise Conflict("Phiếu của bạn đã được ban kiểm phiếu nhập từ phiếu giấy; không thể biểu quyết lần nữa.")
    raise Conflict(ALREADY_VOTED)


def cast_vote(actor: User, vote_id: int, choice: Sequence[str], key: str | None,
              meeting_id: int | None = None, *, meeting: Meeting | None = None) -> CastResult:
    """One ballot of ``actor`` (for their seat: themselves, or the member they stand in for as an approved
    deputy). ``key``: the page's idempotency key; the same key again gets the first answer.

    ``meeting``: the vote's meeting when the caller's door already found it for ``actor`` through the meeting's
    policy (the room's socket, whose connection the policy let into the meeting's room); otherwise it is found and
    checked here. Either way the seat is read and decided here, fresh, on every ballot."""
    head = _locked_head(vote_id)
    if head is None or (meeting_id is not None and head.meeting_id != meeting_id) or (
            meeting is not None and head.meeting_id != meeting.id):
        raise NotFound(NOT_FOUND)
    if meeting is None:
        meeting = get_meeting_for(actor, head.meeting_id)
    if key is not None and not KEY_PATTERN.fullmatch(key):
        raise ValidationFailed("Mã chống gửi lặp phải gồm 8–64 ký tự chữ, số, “-” hoặc “_”.",
                               field="idempotency_key")
    seat, channel = presence.seat_and_channel(actor, meeting)
    try:
        keys = rules.validate_choice(head.options, choice)
    except rules.RuleError as exc:
        raise _rule_error(exc) from None
    meeting_id, secret, member = meeting.id, head.kind == "secret", seat.member.id  # the commit expires them
    refusal = None
    if head.status != "open":
        refusal = ValidationFailed("Cuộc biểu quyết chưa mở." if head.status == "draft"
                                   else "Cuộc biểu quyết đã kết thúc; phiếu này không được tính.")
    elif channel is None:
        refusal = NotAllowed("Bạn chưa điểm danh nên chưa thể biểu quyết. Hãy điểm danh trước.")
    elif channel == "remote" and not meeting.allow_remote_vote:
        refusal = NotAllowed("Cuộc họp không cho phép biểu quyết trực tuyến: hãy biểu quyết tại phòng họp.")
    if refusal is not None:
        # a resend of a ballot already counted gets its first answer, even after the close or a check-out
        previous = _existing(vote_id, member)
        if previous is not None:
            return _replay(vote_id, previous, key)
        raise refusal
    # the common case goes straight to the insert: the unique (vote, member) pair finds an earlier ballot
    inserted = _insert_voter({
        "id": random_id(), "vote_id": vote_id, "participant_id": member,
        "cast_by_participant_id": seat.caster.id, "channel": channel, "idempotency_key": key,
        "choice": None if secret else ",".join(keys), "cast_at": utcnow(),
    })
    if not inserted:
        previous = _existing(vote_id, member)
        if previous is None:  # cannot be: the conflict was this very pair
            raise Conflict(ALREADY_VOTED)
        return _replay(vote_id, previous, key)
    receipt = _add_ballot(vote_id, keys) if secret else None
    commit()
    events.turnout_soon(vote_id, meeting_id)
    return CastResult(vote_id, False, receipt, channel)


def _add_ballot(vote_id: int, keys: Sequence[str]) -> str:
    salt = secrets.token_hex(16)
    choice = ",".join(keys)
    digest = ballot_digest(vote_id, salt, choice)
    db.session.add(VoteBallot(id=random_id(), vote_id=vote_id, choice=choice, salt=salt, digest=digest))
    return digest


def ballot_digest(vote_id: int, salt: str, choice: str) -> str:
    return hashlib.sha256(f"{vote_id}:{salt}:{choice}".encode()).hexdigest()


def voting_members(meeting: Meeting) -> list[Participant]:
    return presence.voting_members(meeting)


def turnout(vote: Vote) -> int:
    return db.session.execute(select(func.count()).where(VoteVoter.vote_id == vote.id)).scalar_one()


# --- paper ballots -----------------------------------------------------------------------------------------


def enter_paper(actor: User, vote: Vote, meeting: Meeting, *, voters: Sequence[int], counts: dict[str, int],
                invalid: int, choices: dict[int, Sequence[str]] | None = None) -> Vote:
    """The tellers' count of paper ballots, entered once by the chair or secretary while the vote is open.

    ``voters``: the members who handed in a paper ballot (from the tellers' list); they are marked as having voted
    on paper and cannot vote again. Open and secret votes take the counts per option (``counts``) and the invalid
    ballots (``invalid``): a paper secret ballot is counted, never tied to a name. A named vote takes each member's
    choice (``choices``: participant id → option keys), as it is read out.
    """
    require_manager(actor, meeting, "Chỉ chủ trì hoặc thư ký nhập kết quả kiểm phiếu giấy.")
    vote = locked(vote)
    if vote.status != "open":
        raise ValidationFailed("Chỉ nhập phiếu giấy khi cuộc biểu quyết đang mở.")
    if vote.paper_entered_at is not None:
        raise Conflict("Kết quả phiếu giấy của cuộc biểu quyết này đã được nhập.")
    options = option_set_of(vote)
    ids = list(voters) if choices is None else list(choices)
    if not ids:
        raise ValidationFailed("Hãy chọn những thành viên đã bỏ phiếu giấy.", field="voters")
    if len(set(ids)) != len(ids):
        raise ValidationFailed("Danh sách người bỏ phiếu giấy có tên trùng nhau.", field="voters")
    members = {p.id: p for p in db.session.execute(
        select(Participant).where(Participant.meeting_id == meeting.id, Participant.id.in_(ids))).scalars()}
    for pid in ids:
        member = members.get(pid)
        if member is None or not entitled(member) or member.deputy_for_id is not None:
            raise ValidationFailed("Người bỏ phiếu giấy phải là thành viên có quyền biểu quyết của cuộc họp.",
                                   field="voters")
    taken = db.session.execute(select(VoteVoter.participant_id).where(
        VoteVoter.vote_id == vote.id, VoteVoter.participant_id.in_(ids))).scalars().first()
    if taken is not None:
        raise Conflict(f"{members[taken].name} đã biểu quyết điện tử; không thể nhập thêm phiếu giấy.")
    named = vote.kind == "named"
    try:
        if named:
            if choices is None:
                raise rules.RuleError("Biểu quyết ghi danh: nhập lựa chọn của từng người.", field="choices")
            checked = {pid: rules.validate_choice(options, c) for pid, c in choices.items()}
            tally = Counter(k for keys in checked.values() for k in keys)
            valid, invalid = len(checked), 0
        else:
            if isinstance(invalid, bool) or not isinstance(invalid, int) or invalid < 0:
                raise rules.RuleError("Số phiếu không hợp lệ phải là số nguyên không âm.", field="invalid")
            valid = len(ids) - invalid
            tally = Counter({k: v for k, v in counts.items() if v})
            rules.decide(options, rules_of(vote), rules.Tally(dict(tally), max(valid, 0), invalid),
                         rules.Electorate(len(ids), len(ids)))  # the same checks as the result's
            if valid < 0:
                raise rules.RuleError("Số phiếu không hợp lệ nhiều hơn số người bỏ phiếu.", field="invalid")
            checked = {}
    except rules.RuleError as exc:
        raise _rule_error(exc) from None
    now = utcnow()
    for pid in ids:
        inserted = _insert_voter({
            "id": random_id(), "vote_id": vote.id, "participant_id": pid, "cast_by_participant_id": None,
            "entered_by_id": actor.id, "channel": "paper", "idempotency_key": None,
            "choice": ",".join(checked[pid]) if named else None, "cast_at": now,
        })
        if not inserted:
            raise Conflict(f"{members[pid].name} vừa biểu quyết điện tử; hãy kiểm tra lại danh sách phiếu giấy.")
    if not named:
        for key, count in tally.items():
            db.session.add(VotePaperCount(vote_id=vote.id, option_key=key, count=count))
        vote.paper_valid, vote.paper_invalid = valid, invalid
    vote.paper_entered_by_id, vote.paper_entered_at = actor.id, now
    record("vote.paper", vote, actor=actor, organisation_id=meeting.organisation_id,
           changes={"ballots": len(ids), "invalid": invalid})
    events.publish(meeting, "vote.turnout", {"vote_id": vote.id, "voted": turnout(vote)}, actor)
    commit()
    return vote


# --- closing ---------------------------------------------------------------------------------------------------


def tally_of(vote: Vote) -> rules.Tally:
    """Every counted choice: the register's (open, named), the secret ballots, the tellers' paper counts."""
    counts: Counter[str] = Counter()
    valid = 0
    if vote.kind == "secret":
        rows = db.session.execute(select(VoteBallot.choice).where(VoteBallot.vote_id == vote.id)).scalars()
    else:
        rows = db.session.execute(select(VoteVoter.choice).where(
            VoteVoter.vote_id == vote.id, VoteVoter.choice.is_not(None))).scalars()
    for choice in rows:
        valid += 1
        counts.update(choice.split(","))
    for row in db.session.execute(select(VotePaperCount).where(VotePaperCount.vote_id == vote.id)).scalars():
        counts[row.option_key] += row.count
    return rules.Tally(dict(counts), valid + vote.paper_valid, vote.paper_invalid)


def close_vote(actor: User, vote: Vote, meeting: Meeting) -> Vote:
    require_manager(actor, meeting, "Chỉ chủ trì hoặc thư ký được kết thúc biểu quyết.")
    vote = locked(vote)  # waits for the casts in flight (they hold FOR SHARE); later casts see it closed
    if vote.status != "open":
        raise Conflict("Cuộc biểu quyết không ở trạng thái đang mở." if vote.status == "draft"
                       else "Cuộc biểu quyết đã kết thúc trước đó.")
    if vote.kind == "secret":
        _shuffle_ballots(vote.id)
    voted = set(db.session.execute(select(VoteVoter.participant_id).where(VoteVoter.vote_id == vote.id)).scalars())
    members, present = presence.electorate(meeting, voted)
    tally = tally_of(vote)
    decision = rules.decide(option_set_of(vote), rules_of(vote), tally, rules.Electorate(members, present))
    vote.status, vote.closed_at, vote.closed_by_id = "closed", utcnow(), actor.id
    vote.members_at_close, vote.present_at_close = members, present
    vote.result = json.dumps(decision.as_dict(), ensure_ascii=False)
    if vote.kind == "secret":
        vote.ballot_digest = hashlib.sha256("\n".join(ballot_digests(vote)).encode()).hexdigest()
    record("vote.close", vote, actor=actor, organisation_id=meeting.organisation_id,
           changes={"passed": decision.passed, "headline": decision.headline})
    events.publish(meeting, "vote.closed", vote_json(vote), actor)
    commit()
    return vote


def _shuffle_ballots(vote_id: int) -> None:
    """Rewrite a secret vote's ballots in a random order under new random keys: the order rows were inserted in
    (which follows the order of the register) is gone from the table."""
    rows = [(b.choice, b.salt, b.digest) for b in db.session.execute(
        select(VoteBallot).where(VoteBallot.vote_id == vote_id)).scalars()]
    db.session.execute(delete(VoteBallot).where(VoteBallot.vote_id == vote_id))
    random.SystemRandom().shuffle(rows)
    db.session.add_all([VoteBallot(id=random_id(), vote_id=vote_id, choice=c, salt=s, digest=d) for c, s, d in rows])
    db.session.flush()


def ballot_digests(vote: Vote) -> list[str]:
    """The secret ballots' digests in sorted order, for the minutes: each voter finds their receipt in it."""
    return sorted(db.session.execute(select(VoteBallot.digest).where(VoteBallot.vote_id == vote.id)).scalars())


# --- what pages and the API see --------------------------------------------------------------------------------


def result_payload(vote: Vote) -> dict[str, Any]:
    body: dict[str, Any] = {"vote_id": vote.id, "status": vote.status}
    if vote.status == "closed" and vote.result:
        body["result"] = json.loads(vote.result)
    return body


def named_list(vote: Vote) -> list[dict[str, Any]]:
    """Who voted what, for a closed named vote (the chair's list and the minutes)."""
    labels = {o.key: o.label for o in vote.options}
    rows = db.session.execute(
        select(VoteVoter, Participant).join(Participant, Participant.id == VoteVoter.participant_id)
        .where(VoteVoter.vote_id == vote.id).order_by(Participant.id)
    ).all()
    return [{"participant_id": p.id, "name": p.name, "channel": v.channel,
             "choice": [labels.get(k, k) for k in (v.choice or "").split(",") if k]} for v, p in rows]


def vote_json(vote: Vote, *, seat: Seat | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": vote.id, "meeting_id": vote.meeting_id, "agenda_item_id": vote.agenda_item_id, "title": vote.title,
        "kind": vote.kind, "kind_label": rules.KINDS[vote.kind], "option_set": vote.option_set, "seats": vote.seats,
        "status": vote.status, "status_label": STATUS_LABELS[vote.status], "preset": vote.preset,
        "rules": rules_of(vote).as_dict(), "rules_text": rules_of(vote).describe(),
        "options": [{"key": o.key, "label": o.label} for o in vote.options],
        "voted": turnout(vote),
        "paper_entered": vote.paper_entered_at is not None,
    }
    if seat is not None:
        mine = _existing(vote.id, seat.member.id)
        body["my_vote"] = None if mine is None else {
            "channel": mine.channel,
            "choice": None if vote.kind == "secret" or mine.choice is None else mine.choice.split(","),
        }
    if vote.status == "closed":
        body["result"] = json.loads(vote.result or "null")
        body["members_at_close"], body["present_at_close"] = vote.members_at_close, vote.present_at_close
        if vote.kind == "named":
            body["named"] = named_list(vote)
        if vote.kind == "secret":
            body["ballot_digest"] = vote.ballot_digest
    return body
