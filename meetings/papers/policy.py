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
from meetings.meeting.models import Meeting, Participant
from meetings.meeting.policy import OFFICE_ROLES, can_manage_meeting, can_view_meeting, participant_of
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


def reader_keys(paper: Paper, meeting: Meeting, now: datetime | None = None) -> set[str]:
    """``can_read_paper`` as the keys search checks in SQL (``edoc.search``: ``u:<user id>``, ``r:<role>``,
    within the meeting's organisation), at ``now``: the same rules, written for a whole index instead of one user.
    ``tests/meetings/papers/test_search.py`` checks the two agree for every demo user and paper.

    - the managers: chair, secretary, creator by name, the office (văn thư, quản trị) by role (search already
      keeps to the meeting's organisation, which is what ``is_office`` asks);
    - the presenters of the paper's item and of its parent;
    - once released, the participants with an account whose seat the chair did not refuse (a deputy refused is
      not invited) and, for a restricted paper, only those named on it;
    - a paper that is a secret document: only those among the above whom the document's own policy lets read it.
      Those keys are all people's (a secret document's ``reader_keys`` give no role), so the office's role key is
      turned into the office's people who are among them.

    Nobody reads a paper of a meeting they cannot see: before it is announced, only the managers and presenters
    who are managers (a presenter alone does not see a draft meeting). A meeting's participants from another
    organisation read its papers on the page but are not found by search, which keeps each user to their own
    organisation's entries (``search.service``): fewer results, never more."""
    announced = meeting.announced_at is not None
    keys = {f"u:{i}" for i in (meeting.chair_id, meeting.secretary_id, meeting.created_by_id)}
    keys.update(f"r:{role.value}" for role in OFFICE_ROLES)
    seats = db.session.execute(select(Participant.id, Participant.user_id, Participant.deputy_approved).where(
        Participant.meeting_id == meeting.id, Participant.user_id.is_not(None))).all()
    invited = {user_id for _, user_id, approved in seats if approved is not False}
    # a presenter reads the paper only if they see the meeting: as a manager, or as an invited participant
    keys.update(f"u:{i}" for i in presenter_ids(paper) if announced and i in invited)
    if announced and released(meeting, now):
        if paper.restricted:
            named = set(db.session.execute(select(PaperReader.participant_id).where(
                PaperReader.paper_id == paper.id)).scalars())
            keys.update(f"u:{user_id}" for seat_id, user_id, approved in seats
                        if seat_id in named and approved is not False)
        else:
            keys.update(f"u:{i}" for i in invited)
    secret = secret_document(paper)
    if secret is None:
        return keys
    doc_keys = (document_policy.reader_keys(secret) if isinstance(secret, OutgoingDocument)
                else incoming_policy.reader_keys(secret))
    people = {int(k[2:]) for k in doc_keys if k.startswith("u:")}
    office = set(db.session.execute(select(User.id).where(User.id.in_(people), User.organisation_id ==
                                                          meeting.organisation_id)).scalars()) if people else set()
    office = {i for i in office if db.session.get(User, i).roles & OFFICE_ROLES}
    return {k for k in keys if k.startswith("u:") and k in doc_keys} | {f"u:{i}" for i in office}


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
