"""Who reads a private note or annotation: its author, nobody else. Not the chair, the secretary, the office or
an administrator: a delegate's notes are theirs (issue 13 item 5), so another person's row is "not found" (404),
exactly like a row that does not exist."""

from __future__ import annotations

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.core.errors import NotFound
from meetings.meeting.models import Meeting
from meetings.notes.models import PaperAnnotation
from meetings.papers import policy as papers_policy
from meetings.papers.models import Paper

NOT_FOUND = "Không tìm thấy chú thích."


def can_annotate(user: User, paper: Paper, meeting: Meeting) -> bool:
    """One annotates what one may read: the paper's own rules (release, restricted readers, secret documents)."""
    return papers_policy.can_read_paper(user, paper, meeting)


def own_annotation(user: User, annotation_id: int) -> PaperAnnotation:
    """The annotation if ``user`` wrote it; "not found" for anybody else, whatever their role."""
    found = db.session.get(PaperAnnotation, annotation_id)
    if found is None or not user.is_authenticated or found.user_id != user.id:
        raise NotFound(NOT_FOUND)
    return found
