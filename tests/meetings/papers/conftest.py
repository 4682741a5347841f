"""The agenda tests' meeting, reused."""

from tests.meetings.agenda.conftest import make_meeting  # noqa: F401  (fixture reused)
