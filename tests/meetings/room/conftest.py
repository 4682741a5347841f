"""The live room fixture (tests/support/meeting_room.py), and the realtime tests' browser and served database."""

from tests.realtime.conftest import browser, served_env  # noqa: F401
from tests.support.meeting_room import live_room  # noqa: F401
