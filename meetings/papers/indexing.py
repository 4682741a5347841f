"""Meeting papers (tài liệu họp) in the search index (``edoc.search``): the meeting's name and place, the agenda
item, the paper's title, the presenter, and the text of its current version's file, readable by the keys
``policy.reader_keys`` gives (``can_read_paper`` written for SQL).

Registered by ``meetings.init_app``. Kept current in the transaction of the change: a paper added, a new version,
removed, its readers changed; the release time changed; a participant added, removed or refused; the meeting or
the item changed; and, for a paper that is a document, the document's readers changed (a secret document's
paper follows its readers). One change needs no write: a release time that arrives. ``JOB`` (every five
minutes) rebuilds the papers of meetings whose release has come since their entry was built (``rebuild_released``).

The meeting itself is not an entry (decision, 3 December): its title, place and agenda are in each of its papers'
entries already, and the meeting is found on the calendar and the meetings list, which its people open first;
an entry of its own would add a second set of keys (``can_view_meeting``) and watches over every meetings package
(agenda, conclusions) for little a paper's entry does not already find."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from edoc import jobs
from edoc.core.clock import vietnam_time
from edoc.core.db import commit, db, utcnow
from edoc.documents.models import Delivery, NamedReader, OutgoingDocument
from edoc.incoming import policy as incoming_policy
from edoc.incoming.models import IncomingDocument, IncomingReader
from edoc.search.models import SearchEntry
from edoc.search.registry import EntryData, Indexer, mark, register, written_fields
from edoc.tasks.models import Task
from meetings.agenda.models import AgendaItem
from meetings.meeting.models import Meeting, Participant
from meetings.papers import policy
from meetings.papers.models import Paper, PaperReader, PaperRelease, PaperVersion

KIND = "meeting_paper"
LABEL = "Tài liệu họp"
STATUSES = {"draft": "Dự thảo", "final": "Chính thức"}
JOB = "meetings.papers.index_released"
RECENT = timedelta(minutes=15)
"""Releases this recent are looked at whatever their entries' stamps (for ``SETTLE``): three runs of ``JOB``."""
SETTLE = timedelta(minutes=1)
"""An entry built less than this after the release is built again once more: the release may have come between
``build`` asking the policy and the entry's ``updated_at`` being stamped (a long file's text is extracted in
between), and such an entry may lack the participants."""


def build(paper_id: int) -> EntryData | None:
    paper = db.session.get(Paper, paper_id)
    if paper is None:
        return None
    meeting = db.session.get(Meeting, paper.meeting_id)
    item = db.session.get(AgendaItem, paper.agenda_item_id)
    if meeting is None or item is None:
        return None
    parent = db.session.get(AgendaItem, item.parent_id) if item.parent_id is not None else None
    presenter = item.presenter or (parent.presenter if parent is not None else None)
    place = meeting.room.name if meeting.room is not None else ""
    start = vietnam_time(meeting.starts_at)
    lines = [f"Cuộc họp: {meeting.title}", f"Thời gian: {start:%H:%M %d/%m/%Y}",
             f"Địa điểm: {', '.join(p for p in (place, meeting.location) if p)}" if place or meeting.location else "",
             f"Nội dung: {parent.title}" if parent is not None else "", f"Nội dung: {item.title}",
             f"Người trình bày: {presenter.full_name}" if presenter is not None else ""]
    version = paper.current
    secret = policy.secret_document(paper)
    return EntryData(
        organisation_id=meeting.organisation_id, reference="", title=paper.title,
        # one line, the parts set apart: the passage shown on the results reads as the meeting's particulars
        content=" · ".join(line for line in lines if line), status="draft" if paper.draft else "final",
        secret=secret is not None, urgency=secret.urgency if secret is not None else "", doc_date=start.date(),
        access=policy.reader_keys(paper, meeting), file_ids=[version.file_id] if version is not None else [])


def url(paper_id: int) -> str:
    meeting_id = db.session.execute(select(Paper.meeting_id).where(Paper.id == paper_id)).scalar()
    return f"/meetings/{meeting_id}/papers/{paper_id}"


def all_ids() -> Iterable[int]:
    return db.session.execute(select(Paper.id)).scalars().all()


def preload(ids: list[int]) -> list[object]:
    """A reindex batch's papers with their versions, meetings and items (``build``'s ``session.get`` finds them
    in the identity map while the caller holds them)."""
    papers = db.session.execute(select(Paper).where(Paper.id.in_(ids)).options(
        selectinload(Paper.versions), selectinload(Paper.readers))).scalars().all()
    meetings = db.session.execute(select(Meeting).where(Meeting.id.in_({p.meeting_id for p in papers}))).scalars()
    items = db.session.execute(select(AgendaItem).where(AgendaItem.meeting_id.in_({p.meeting_id for p in papers}))
                               .options(selectinload(AgendaItem.presenter))).scalars()
    return [*papers, *meetings, *items]


# --- which writes change which papers' entries ---------------------------------------------------------------


def _of_meeting(meeting_id: int | None) -> list[int]:
    if meeting_id is None:
        return []
    return list(db.session.execute(select(Paper.id).where(Paper.meeting_id == meeting_id)).scalars())


def _paper(obj: object) -> Iterable[int]:
    return [obj.id]  # type: ignore[attr-defined]


def _own(obj: object) -> Iterable[int]:
    return [obj.paper_id]  # type: ignore[attr-defined]


MEETING_FIELDS = frozenset({"organisation_id", "title", "starts_at", "room_id", "location", "chair_id",
                            "secretary_id", "created_by_id", "announced_at"})
PARTICIPANT_FIELDS = frozenset({"meeting_id", "user_id", "deputy_approved"})
ITEM_FIELDS = frozenset({"meeting_id", "parent_id", "title", "presenter_user_id"})


def _changed(obj: object, fields: frozenset[str]) -> bool:
    """Added, deleted, or one of ``fields`` written: a live meeting writes its row, its seats (check-in, answers)
    and its items (position, the current item) often, and none of that changes a paper's entry."""
    written = written_fields(obj)
    return written is None or bool(written & fields)


def _meeting(obj: object) -> Iterable[int]:
    return _of_meeting(obj.id) if _changed(obj, MEETING_FIELDS) else []  # type: ignore[attr-defined]


def _release(obj: object) -> Iterable[int]:
    return _of_meeting(obj.meeting_id)  # type: ignore[attr-defined]


def _participant(obj: object) -> Iterable[int]:
    """A participant added, removed, given an account or refused as a deputy: every paper of the meeting."""
    return _of_meeting(obj.meeting_id) if _changed(obj, PARTICIPANT_FIELDS) else []  # type: ignore[attr-defined]


def _item(obj: object) -> Iterable[int]:
    # the item's own papers and its sub-items' (the parent's presenter reads those too)
    if not _changed(obj, ITEM_FIELDS):
        return []
    item_id = obj.id  # type: ignore[attr-defined]
    children = select(AgendaItem.id).where(AgendaItem.parent_id == item_id)
    return list(db.session.execute(select(Paper.id).where(
        or_(Paper.agenda_item_id == item_id, Paper.agenda_item_id.in_(children)))).scalars())


def _only_read_at(obj: object) -> bool:
    written = written_fields(obj)
    return written is not None and written <= {"read_at"}


def _outgoing(document_id: int | None) -> list[int]:
    if document_id is None:
        return []
    return list(db.session.execute(select(Paper.id).where(Paper.outgoing_document_id == document_id)).scalars())


def _incoming(document_id: int | None) -> list[int]:
    if document_id is None:
        return []
    return list(db.session.execute(select(Paper.id).where(Paper.incoming_document_id == document_id)).scalars())


def _outgoing_doc(obj: object) -> Iterable[int]:
    return _outgoing(obj.id)  # type: ignore[attr-defined]


def _outgoing_row(obj: object) -> Iterable[int]:
    # a secret document's paper is read by the document's readers: who received it, who is named on it
    return [] if _only_read_at(obj) else _outgoing(obj.document_id)  # type: ignore[attr-defined]


def _incoming_doc(obj: object) -> Iterable[int]:
    return _incoming(obj.id)  # type: ignore[attr-defined]


def _incoming_row(obj: object) -> Iterable[int]:
    return _incoming(obj.document_id)  # type: ignore[attr-defined]


def _task(task: object) -> Iterable[int]:
    return _incoming(task.subject_id) if task.subject_kind == incoming_policy.SUBJECT else []  # type: ignore[attr-defined]


# --- the release time arriving ---------------------------------------------------------------------------------


def rebuild_released(now: datetime | None = None) -> int:
    """Rebuild the entries of papers whose meeting's release time has come since the entry was built (or less
    than ``SETTLE`` before it was), so that participants find them from then on; in the caller's transaction.
    Idempotent: an entry rebuilt is stamped after the release and is not picked again (past ``SETTLE``), so a job
    run twice, killed half-way or late after a stop rebuilds what is still stale and nothing else. Returns how
    many entries were marked."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Paper.id, PaperRelease.release_at, SearchEntry.updated_at)
        .join(PaperRelease, PaperRelease.meeting_id == Paper.meeting_id)
        .outerjoin(SearchEntry, (SearchEntry.kind == KIND) & (SearchEntry.object_id == Paper.id))
        .where(PaperRelease.release_at <= now,
               or_(SearchEntry.id.is_(None), SearchEntry.updated_at <= PaperRelease.release_at,
                   PaperRelease.release_at > now - SETTLE - RECENT))).all()
    stale = [paper_id for paper_id, release_at, updated_at in rows
             if updated_at is None or updated_at < release_at + SETTLE]
    for paper_id in stale:
        mark(db.session, KIND, paper_id)
    return len(stale)


def _handle(context: jobs.JobContext) -> jobs.Outcome:
    count = rebuild_released()
    commit()
    return jobs.Outcome(f"đã cập nhật chỉ mục {count} tài liệu họp đến giờ phát hành")


def register_indexer() -> None:
    register(Indexer(
        kind=KIND, label=LABEL, build=build, all_ids=all_ids, url=url, statuses=STATUSES, preload=preload,
        watch={Paper: _paper, PaperVersion: _own, PaperReader: _own, PaperRelease: _release,
               Participant: _participant, Meeting: _meeting, AgendaItem: _item,
               OutgoingDocument: _outgoing_doc, NamedReader: _outgoing_row, Delivery: _outgoing_row,
               IncomingDocument: _incoming_doc, IncomingReader: _incoming_row, Task: _task}))


# every five minutes, as the reminders: each run is a row of the job table, kept, and a participant waiting a few
# minutes more to *find* a released paper (its page shows it at once) is worth fewer rows
jobs.periodic(JOB, _handle, minute="*/5")
