"""The votes' realtime events, and the live turnout, through the meeting's event log (``meetings.live``: each
event numbered, kept, sent to the meeting's room after the commit).

Events carry no choice of anybody: ``vote.created``, ``vote.opened``, ``vote.turnout`` (how many have voted),
``vote.closed`` (the result, for everyone at once). The turnout is not sent per cast: a thousand casts in ten
seconds to a thousand pages would be a million messages, and a thousand log rows. A cast asks for the turnout to
be sent (``turnout_soon``); each server process sends it at most once per ``TURNOUT_INTERVAL`` per vote, counted
from the database when it goes, so the last count always goes out and no process's memory holds anything that
matters.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import Flask, current_app
from sqlalchemy import func, select

from edoc.accounts.models import User
from edoc.core.db import commit, db
from meetings.live import events as live
from meetings.meeting.models import Meeting
from meetings.votes.models import VoteVoter

log = logging.getLogger(__name__)
TURNOUT_INTERVAL = 0.5


def publish(meeting: Meeting, name: str, payload: dict[str, Any], actor: User | None = None) -> None:
    """Log ``name`` in the meeting's event log, sent to its room once the caller's transaction commits."""
    db.session.flush()
    live.publish(meeting.id, name, payload, actor=actor)


_waiting: set[int] = set()
_guard = threading.Lock()


def turnout_soon(vote_id: int, meeting_id: int) -> None:
    """After a committed cast: the turnout goes to the room within ``TURNOUT_INTERVAL``."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    server = app.extensions.get("socketio")
    if server is None:
        return
    with _guard:
        if vote_id in _waiting:
            return
        _waiting.add(vote_id)
    server.start_background_task(_send_turnout, app, vote_id, meeting_id)


def _send_turnout(app: Flask, vote_id: int, meeting_id: int) -> None:
    time.sleep(app.config.get("VOTE_TURNOUT_INTERVAL", TURNOUT_INTERVAL))
    with _guard:
        _waiting.discard(vote_id)
    try:
        with app.app_context():
            voted = db.session.execute(select(func.count()).where(VoteVoter.vote_id == vote_id)).scalar_one()
            live.publish(meeting_id, "vote.turnout", {"vote_id": vote_id, "voted": voted})
            commit()
            db.session.remove()
    except Exception:  # a turnout that does not go out is shown by the next one; never fail the worker
        log.exception("turnout of vote %s not sent", vote_id)
