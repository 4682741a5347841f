"""Who may edit a meeting's papers (as its agenda: ``meetings.agenda.policy``), and who may read, download and
comment on each paper. Every rule starts at the meeting's gate (``meetings.meeting.policy``): nobody reaches a
paper of a meeting they cannot see.

- the agenda, papers, release time and reminders: the meeting's managers (chair, secretary, creator, the office),
  while the meeting has not ended or been cancelled;
- a paper, before its meeting's release time: the managers and the presenter of its item;
- after the release: every participant with an edoc account, but a restricted paper only to the participants
  named on it (and the managers and the presenter);
- a paper that is a secret document (độ mật): in addition, only to people the document's own policy lets read it
  (its named readers), whoever they are in the meeting;
- comments on a draft paper: anyone who may read it writes; each sees their own, the managers and the presenter
  see all.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from edoc.accounts.models import User
from edoc.core.db import db, utcnow
from edoc.core.errors import NotFound
from edoc.documents import policy as document_policy
from edoc.documents.models import OutgoingDocument
from edoc.incoming import policy as incoming_policy
from edoc.incoming.models import IncomingDocument
from meetings.agenda import policy as agenda_policy
from meetings.agenda.models import AgendaItem
from meetings.meeting.models import Meeting
from meetings.meeting.policy import can_manage_meeting, can_view_meeting, participant_of
from meetings.papers.models import Paper, PaperReader, PaperRelease

CLOSED = agenda_policy.CLOSED
can_edit_agenda = agenda_policy.can_edit_agenda
require_edit = agenda_policy.require_edit


def release_of(meeting: Meeting) -> PaperRelease | None:
    return db.session.get(PaperRelease, meeting.id)


def released(meeting: Meeting, now: datetime | None = None) -> bool:
    release = release_of(meeting)
    return release is not None and release.release_at <= (now or utcnow())


def presenter_ids(paper: Paper) -> set[int]:
    """The presenter of the paper's item, and of its parent item (a sub-item's paper is the section's too)."""
    item = db.session.get(AgendaItem, paper.agenda_item_id)
    ids: set[int] = set()
    while item is not None:
        if item.presenter_user_id is not None:
            ids.add(item.presenter_user_id)
        item = db.session.get(AgendaItem, item.parent_id) if item.parent_id is not None else None
    return ids


def secret_document(paper: Paper) -> OutgoingDocument | IncomingDocument | None:
    doc: OutgoingDocument | IncomingDocument | None = None
    if paper.outgoing_document_id is not None:
        doc = db.session.get(OutgoingDocument, paper.outgoing_document_id)
    elif paper.incoming_document_id is not None:
        doc = db.session.get(IncomingDocument, paper.incoming_document_id)
    return doc if doc is not None and doc.is_secret else None


def may_read_document(user: User, doc: OutgoingDocument | IncomingDocument) -> bool:
    if isinstance(doc, OutgoingDocument):
        return document_policy.can_view(user, doc)
    return incoming_policy.can_view(user, doc)


def can_read_paper(user: User, paper: Paper, meeting: Meeting) -> bool:
    if not user.is_authenticated or paper.meeting_id != meeting.id or not can_view_meeting(user, meeting):
        return False
    secret = secret_document(paper)
    if secret is not None and not may_read_document(user, secret):
        return False
    if can_manage_meeting(user, meeting) or user.id in presenter_ids(paper):
        return True
    participant = participant_of(user, meeting)
    if participant is None or not released(meeting):
        return False
    if paper.restricted:
        return db.session.execute(select(PaperReader.id).where(
            PaperReader.paper_id == paper.id, PaperReader.participant_id == participant.id)).first() is not None
    return True


def readable_paper(user: User, meeting: Meeting, paper_id: int) -> Paper:
    """The paper, or a 404 whether it does not exist, is another meeting's, or is not for ``user``: ids of papers
    one may not read cannot be probed."""
    paper = db.session.get(Paper, paper_id)
    if paper is None or not can_read_paper(user, paper, meeting):
        raise NotFound("Không tìm thấy tài liệu.")
    return paper


def sees_all_comments(user: User, paper: Paper, meeting: Meeting) -> bool:
    return can_manage_meeting(user, meeting) or user.id in presenter_ids(paper)


def can_comment(user: User, paper: Paper, meeting: Meeting) -> bool:
    return paper.draft and meeting.status not in CLOSED and can_read_paper(user, paper, meeting)
