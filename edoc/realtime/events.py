"""Queueing realtime events so they leave only after the transaction that caused them commits.

A service function calls ``emit_after_commit``; if the transaction rolls back, the event is dropped, so a
client never sees a change that did not happen. Clients re-fetch state on reconnect, so a missed event is
never lost state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

_PENDING = "edoc_pending_emits"
_CLOSING = "edoc_pending_room_closes"


@dataclass(frozen=True)
class PendingEmit:
    event: str
    payload: dict[str, Any]
    room: str
    namespace: str = "/"


SESSION_ENDED = "session.ended"
"""The page's sign-in ended (logout, password changed, account deactivated): the page goes to the sign-in form."""

SESSION_ROOM_PREFIX = "session:"


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def session_room(session_id: int) -> str:
    """The room of one sign-in's connections (every tab of that browser); closing it disconnects them."""
    return f"{SESSION_ROOM_PREFIX}{session_id}"


def emit_after_commit(session: Session, event_name: str, payload: dict[str, Any], *, room: str,
                      namespace: str = "/") -> None:
    session.info.setdefault(_PENDING, []).append(PendingEmit(event_name, payload, room, namespace))


def end_sessions_after_commit(session: Session, user_id: int, session_ids: list[int]) -> None:
    """A user's sessions end (deactivated, password changed): once that commits, their open pages are told so,
    their connections leave the personal room, which the next sign-in joins again, and the connections of each
    ended sign-in (``session_ids``) are disconnected. Without this, a page opened before would keep receiving the
    user's notifications until it was reloaded."""
    emit_after_commit(session, SESSION_ENDED, {}, room=user_room(user_id))
    session.info.setdefault(_CLOSING, []).extend([user_room(user_id), *map(session_room, session_ids)])


def end_session_after_commit(session: Session, session_id: int) -> None:
    """One sign-in ends (logout): once that commits, its pages are told so and its connections are disconnected
    in every process; the user's other sign-ins are not touched."""
    emit_after_commit(session, SESSION_ENDED, {}, room=session_room(session_id))
    session.info.setdefault(_CLOSING, []).append(session_room(session_id))


@event.listens_for(Session, "after_commit")
def _flush_emits(session: Session) -> None:
    pending: list[PendingEmit] = session.info.pop(_PENDING, [])
    closing: list[str] = session.info.pop(_CLOSING, [])
    if not (pending or closing) or not has_app_context():
        return
    server = current_app.extensions.get("socketio")
    if server is None:
        return
    for item in pending:
        server.emit(item.event, item.payload, to=item.room, namespace=item.namespace)
    for room in closing:  # after the emits: the pages hear why before they leave (through Redis, in that order)
        server.close_room(room)


@event.listens_for(Session, "after_soft_rollback")
def _drop_emits(session: Session, previous_transaction: object) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_CLOSING, None)
