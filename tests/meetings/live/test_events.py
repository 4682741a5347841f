"""The event log: numbers without gaps or repeats, written with the change, nothing sent or kept for a change
that rolled back, and what a page missed read back in order."""

from __future__ import annotations

import pytest

from edoc.core.db import commit, db
from meetings.live import events
from meetings.live.models import MeetingEvent


def test_numbers_follow_each_other_per_meeting_and_a_rollback_uses_none(live_room):
    with live_room.app.app_context():
        server = live_room.app.extensions["socketio"]
        sent = []
        original = server.emit
        server.emit = lambda name, payload, **kw: sent.append((name, payload["seq"], kw["to"]))
        try:
            for i in range(3):
                events.publish(live_room.meeting_id, "test.one", {"i": i})
                commit()
            events.publish(live_room.other_meeting_id, "test.other", {})
            commit()
            events.publish(live_room.meeting_id, "test.lost", {})
            db.session.rollback()  # the change failed: no event, no number spent, nothing sent
            events.publish(live_room.meeting_id, "test.two", {})
            commit()
        finally:
            server.emit = original
        room = events.meeting_room(live_room.meeting_id)
        assert sent == [("meeting.event", 1, room), ("meeting.event", 2, room), ("meeting.event", 3, room),
                        ("meeting.event", 1, events.meeting_room(live_room.other_meeting_id)),
                        ("meeting.event", 4, room)]
        found, complete = events.events_since(live_room.meeting_id, 2)
        assert complete and [(e["seq"], e["type"]) for e in found] == [(3, "test.one"), (4, "test.two")]
        assert events.last_seq(live_room.meeting_id) == 4
        assert db.session.query(MeetingEvent).filter_by(type="test.lost").count() == 0


def test_too_many_missed_events_ask_for_the_snapshot(live_room, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(events, "MAX_CATCH_UP", 2)
    with live_room.app.app_context():
        for _ in range(3):
            events.publish(live_room.meeting_id, "test.one", {})
        commit()
        assert events.events_since(live_room.meeting_id, 0)[1] is False
        assert events.events_since(live_room.meeting_id, 1) == (events.events_since(live_room.meeting_id, 1)[0], True)
