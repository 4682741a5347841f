"""The live room fixture (tests/support/meeting_room.py)."""

from tests.support.meeting_room import live_room  # noqa: F401
