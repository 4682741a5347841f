"""A vote, its options, the register of who voted, and the secret ballots kept apart from it.

Secret ballots (``vote_ballot``) and the register (``vote_voter``) share nothing that joins them: no foreign key,
no timestamp on the ballot, and random primary keys on both (a sequence would number both tables in the same
order). Insertion order is the one link a database keeps by itself (PostgreSQL's heap, SQLite's file pages):
closing a secret vote rewrites its ballots in a shuffled order under new random keys (``service.close_vote``).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edoc.core.db import UTCDateTime, db, utcnow

# Signed 64-bit on both databases; ids above 2**53 would lose digits in JavaScript, so they stay below.
RANDOM_ID_BITS = 52


def random_id() -> int:
    return secrets.randbits(RANDOM_ID_BITS) + 1


class Vote(db.Model):
    __tablename__ = "vote"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_item.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(16))  # open | named | secret (rules.KINDS)
    option_set: Mapped[str] = mapped_column(String(16))  # tan_thanh | dong_y | election
    seats: Mapped[int] = mapped_column(Integer, default=1)
    preset: Mapped[str] = mapped_column(String(40))
    quorum_rule: Mapped[str] = mapped_column(String(32))
    majority_base: Mapped[str] = mapped_column(String(32))
    threshold: Mapped[str] = mapped_column(String(32))
    secret_for_elections: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | open | closed
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # the electorate when the vote closed: members with a vote summoned, and of them those checked in
    members_at_close: Mapped[int | None] = mapped_column(Integer)
    present_at_close: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[str | None] = mapped_column(Text)  # rules.Decision.as_dict() as JSON, written at the close
    # paper ballots the tellers counted (ban kiểm phiếu), entered by the chair or secretary
    paper_valid: Mapped[int] = mapped_column(Integer, default=0)
    paper_invalid: Mapped[int] = mapped_column(Integer, default=0)
    paper_entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    paper_entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ballot_digest: Mapped[str | None] = mapped_column(String(64))  # secret: SHA-256 over the sorted ballot hashes

    options: Mapped[list[VoteOption]] = relationship(
        order_by="VoteOption.position", cascade="all, delete-orphan", lazy="selectin"
    )


class VoteOption(db.Model):
    __tablename__ = "vote_option"
    __table_args__ = (UniqueConstraint("vote_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(8))
    label: Mapped[str] = mapped_column(String(200))
    approves: Mapped[bool] = mapped_column(Boolean, default=False)


class VoteVoter(db.Model):
    """Who voted: one row per member, whoever cast it (the member, their deputy, or the tellers on paper).

    ``choice`` is kept for open and named votes only (option keys joined by commas); a secret vote's choice is a
    ``VoteBallot`` that names no one. ``idempotency_key`` is the page's key for this cast: the same key sent again
    (a resend after a reconnect) gets the first answer, never a second vote.
    """

    __tablename__ = "vote_voter"
    __table_args__ = (UniqueConstraint("vote_id", "participant_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False, default=random_id)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    cast_by_participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="SET NULL")
    )
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # paper: who typed it in
    channel: Mapped[str] = mapped_column(String(16))  # room | remote | paper (as signing/record.py names them)
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    choice: Mapped[str | None] = mapped_column(String(2000))
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VoteBallot(db.Model):
    """One secret ballot: what was chosen, and nothing about who or when. ``digest`` (SHA-256 of the vote, a
    random salt and the choice) goes into the minutes' ballot list and is the voter's receipt."""

    __tablename__ = "vote_ballot"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False, default=random_id)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id", ondelete="CASCADE"), index=True)
    choice: Mapped[str] = mapped_column(String(2000))
    salt: Mapped[str] = mapped_column(String(32))
    digest: Mapped[str] = mapped_column(String(64))


class VotePaperCount(db.Model):
    """The tellers' count of paper ballots for one option (a candidate, for an election)."""

    __tablename__ = "vote_paper_count"

    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id", ondelete="CASCADE"), primary_key=True)
    option_key: Mapped[str] = mapped_column(String(8), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
