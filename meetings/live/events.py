"""Publishing a meeting's events, and reading what a page missed.

Every service function that changes something in a meeting's room calls ``publish`` inside its transaction,
before it commits. The event gets the meeting's next sequence number and is written to ``meeting_event`` with
the change; the Socket.IO message (event name ``meeting.event``, room ``meeting:<id>``) leaves only after the
commit (``edoc.realtime.events.emit_after_commit``), so a page never hears of a change that rolled back, and the
numbers it hears have no gap unless it missed one. A page that sees a gap (or reconnects) asks for
``events_since`` its last number; if the log has moved on too far, for the whole snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import insert, literal, select, update

from edoc.accounts.models import User
from edoc.core.db import db, insert_ignore, utcnow
from edoc.realtime.events import emit_after_commit
from meetings.live.models import LiveState, MeetingEvent

EVENT = "meeting.event"
"""The one Socket.IO event name of the meeting room; ``type`` in its payload says what happened."""
MAX_CATCH_UP = 500
"""Events sent to a page catching up; beyond that it is cheaper to send it the snapshot."""

Section = Callable[[int, User], Any]
_SECTIONS: dict[str, Section] = {}


def meeting_room(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"


def state_for_update(meeting_id: int) -> LiveState:
    """The meeting's live row, made if missing, locked for the rest of the transaction. (Locked first: the row
    exists after a meeting's first event, and the insert-if-missing is one more round trip per action.)"""
    query = (select(LiveState).where(LiveState.meeting_id == meeting_id).with_for_update()
             .execution_options(populate_existing=True))
    found = db.session.execute(query).scalar_one_or_none()
    if found is not None:
        return found
    insert_ignore(LiveState, {"meeting_id": meeting_id, "seq": 0, "updated_at": utcnow()},
                  conflict_columns=["meeting_id"])
    return db.session.execute(query).scalar_one()


def state_of(meeting_id: int) -> LiveState | None:
    return db.session.get(LiveState, meeting_id)


def publish(meeting_id: int, type_: str, data: dict[str, Any], *, actor: User | None = None,
            state: LiveState | None = None, set_state: dict[str, Any] | None = None) -> MeetingEvent:
    """Append the event ``type_`` (e.g. ``agenda.opened``, ``vote.closed``) with ``data`` to the meeting's log in
    the caller's transaction, with the meeting's next sequence number, and send it to the meeting's room once that
    transaction commits. The caller has authorised and validated the change and commits it.

    ``data`` must be JSON and fit for every participant's eyes: it is sent to the whole room and kept in the log.
    ``state``: the meeting's live row when the caller already locked and changed it (``state_for_update``).
    Otherwise the number is taken by one ``UPDATE … RETURNING`` (the update locks the row as ``FOR UPDATE`` did),
    which also sets ``set_state``'s columns of the live row (the item on screen, the presenter's page), and on
    PostgreSQL the event row is written by the same statement: one round trip for the chair's whole change.
    """
    if state is not None and state.meeting_id == meeting_id:
        if set_state:
            for column, value in set_state.items():
                setattr(state, column, value)
        state.seq += 1
        state.updated_at = utcnow()
        event = MeetingEvent(meeting_id=meeting_id, seq=state.seq, type=type_, data=data,
                             actor_id=actor.id if actor is not None else None, created_at=state.updated_at)
        db.session.add(event)
        db.session.flush()
    else:
        event = _append(meeting_id, type_, data, actor.id if actor is not None else None, set_state or {})
    emit_after_commit(db.session, EVENT, event.payload(), room=meeting_room(meeting_id))
    return event


def _append(meeting_id: int, type_: str, data: dict[str, Any], actor_id: int | None,
            set_state: dict[str, Any]) -> MeetingEvent:
    db.session.flush()  # the caller's pending changes go first, as an ORM flush would have sent them
    now = utcnow()
    bump = (update(LiveState).where(LiveState.meeting_id == meeting_id)
            .values(seq=LiveState.seq + 1, updated_at=now, **set_state).returning(LiveState.seq))
    event = MeetingEvent(meeting_id=meeting_id, type=type_, data=data, actor_id=actor_id, created_at=now)
    for _attempt in range(2):
        if db.session.get_bind(mapper=LiveState).dialect.name == "postgresql":
            step = bump.cte("bump")
            columns = MeetingEvent.__table__.c
            row = db.session.execute(
                insert(MeetingEvent).from_select(
                    ["meeting_id", "seq", "type", "data", "actor_id", "created_at"],
                    select(literal(meeting_id, columns.meeting_id.type), step.c.seq,
                           literal(type_, columns.type.type), literal(data, columns.data.type),
                           literal(actor_id, columns.actor_id.type), literal(now, columns.created_at.type)))
                .returning(MeetingEvent.seq)).first()
        else:  # SQLite has no UPDATE inside a WITH: two statements under its one write lock
            row = db.session.execute(bump).first()
            if row is not None:
                db.session.execute(insert(MeetingEvent).values(
                    meeting_id=meeting_id, seq=row[0], type=type_, data=data, actor_id=actor_id, created_at=now))
        if row is not None:
            event.seq = row[0]
            # the ORM's copy of the live row (if the session holds one) is out of date now
            held = db.session.identity_map.get(db.session.identity_key(LiveState, meeting_id))
            if held is not None:
                db.session.expire(held)
            return event
        # the meeting's first event: make its live row, then number again
        insert_ignore(LiveState, {"meeting_id": meeting_id, "seq": 0, "updated_at": now},
                      conflict_columns=["meeting_id"])
    raise RuntimeError(f"meeting {meeting_id}: no live row to number the event")


def last_seq(meeting_id: int) -> int:
    state = state_of(meeting_id)
    return state.seq if state is not None else 0


def events_since(meeting_id: int, seq: int) -> tuple[list[dict[str, Any]], bool]:
    """The events after ``seq``, in order, and whether they are all of them (False: too many, take the snapshot)."""
    rows = db.session.execute(select(MeetingEvent).where(MeetingEvent.meeting_id == meeting_id,
                                                         MeetingEvent.seq > seq)
                              .order_by(MeetingEvent.seq).limit(MAX_CATCH_UP + 1)).scalars().all()
    return [r.payload() for r in rows[:MAX_CATCH_UP]], len(rows) <= MAX_CATCH_UP


def register_section(name: str, section: Section) -> None:
    """A part of the room's snapshot (``name``: its key), computed by ``section(meeting_id, user)`` for a user the
    meeting's policy already let in. Packages above this one (check-in, speakers, votes) register theirs at import,
    so the snapshot has them without this package importing them."""
    _SECTIONS[name] = section


def sections() -> dict[str, Section]:
    return dict(_SECTIONS)
