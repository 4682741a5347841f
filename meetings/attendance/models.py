"""The participants' names where the meetings packages have always imported them. The table and its enums are
defined with the meeting (``meetings.meeting.models``), whose policy reads them: defined here, they made
``meetings.attendance`` and ``meetings.meeting`` import each other. New code may import from either place."""

from __future__ import annotations

from meetings.meeting.models import ANSWER_LABELS, ROLE_LABELS, Answer, Participant, ParticipantRole

__all__ = ["ANSWER_LABELS", "ROLE_LABELS", "Answer", "Participant", "ParticipantRole"]
