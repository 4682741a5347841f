"""The shared agenda in the room: the chair (or secretary) opens an item and every page follows; the presenter
turns the page of their paper and every viewer that follows does too. And the room's snapshot, which a page
loads on opening and on every reconnect, so it never shows stale state."""

from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import and_, select
from sqlalchemy.orm import joinedload

from edoc.accounts.models import User
from edoc.core.db import commit, db, utcnow
from edoc.core.errors import NotAllowed, NotFound, ValidationFailed
from meetings.agenda.models import AgendaItem
from meetings.live import events
from meetings.meeting import policy as meeting_policy
from meetings.meeting.models import Meeting, MeetingStatus
from meetings.papers import policy as papers_policy
from meetings.papers import service as papers
from meetings.room import policy

MAX_PAGE = 100_000
CLOSED = (MeetingStatus.ENDED, MeetingStatus.CANCELLED)


def _int(value: object, field: str, label: str, *, low: int = 1, high: int = 2**31 - 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationFailed(f"{label} không hợp lệ.", field=field)
    return value


def _not_closed(meeting: Meeting) -> None:
    if meeting.status_enum in CLOSED:
        raise NotAllowed("Cuộc họp đã kết thúc hoặc đã hủy.")


def item_json(item: AgendaItem | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {"id": item.id, "title": item.title, "position": item.position, "parent_id": item.parent_id,
            "kind": item.kind, "kind_label": item.kind_label, "presenter_user_id": item.presenter_user_id,
            "presenter": item.presenter.full_name if item.presenter else None,
            "planned_minutes": item.planned_minutes}


def agenda_of(meeting_id: int) -> list[AgendaItem]:
    return list(db.session.execute(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id)
                                   .order_by(AgendaItem.parent_id.is_not(None), AgendaItem.position,
                                             AgendaItem.id)).scalars())


def item_rows(meeting_id: int, item_id: object) -> list[object]:
    """The meeting, its agenda item ``item_id`` (if it has one by that id) and the item's presenter, read in one
    statement for the chair's ``agenda.open``: the meeting's policy and ``open_item`` then find them in the
    session by id, with no further round trip to the database (before the pages hear of it: one round trip
    fewer, two when the item has a presenter). Reads only; who may see what is still the policy's to say. The caller
    holds the rows until it is done (the session keeps them only while they are held)."""
    if isinstance(item_id, bool) or not isinstance(item_id, int) or not 0 < item_id < 2**31:
        return []
    row = db.session.execute(
        select(Meeting, AgendaItem)
        .outerjoin(AgendaItem, and_(AgendaItem.meeting_id == Meeting.id, AgendaItem.id == item_id))
        .where(Meeting.id == meeting_id)
        .options(joinedload(AgendaItem.presenter))).first()
    return [] if row is None else [row[0], row[1]]


def open_item(actor: User, meeting: Meeting, item_id: object) -> int:
    """The chair opens an agenda item: it is on every page of the meeting, and the presenter's page starts over.
    Returns the item's id.

    The chair's hot path (a thousand pages wait for it): the item is read, then one statement moves the live row
    and appends the event (``publish(set_state=…)``). Not in the audit log: the event log is this action's record
    (who, which item, when, in order; carried whole in the meeting file and hashed in the signed minutes' record),
    as for the presenter's page turns, and the audit chain's single head row would put every chair's click behind
    the whole installation's audited writes."""
    meeting_policy.require(policy.can_lead(actor, meeting), "Chỉ chủ trì hoặc thư ký được chuyển nội dung họp.")
    _not_closed(meeting)
    item = db.session.get(AgendaItem, _int(item_id, "item_id", "Nội dung họp"))
    if item is None or item.meeting_id != meeting.id:
        raise NotFound("Không tìm thấy nội dung này trong chương trình họp.")
    opened = item.id  # read before the commit expires it (the answer needs no query after)
    events.publish(meeting.id, "agenda.opened", {"item": item_json(item)}, actor=actor,
                   set_state={"current_item_id": opened, "presenter_paper_id": None, "presenter_page": None})
    commit()
    return opened


def turn_page(actor: User, meeting: Meeting, paper_id: object, page: object) -> tuple[int | None, int]:
    """The presenter shows ``page`` of their paper ``paper_id`` (None: the page of whatever paper is open).
    Not in the audit log: a page turn changes nothing anyone signs, and a long report turns hundreds."""
    _not_closed(meeting)
    number = _int(page, "page", "Số trang", high=MAX_PAGE)
    paper = None if paper_id is None else _int(paper_id, "paper_id", "Tài liệu")
    state = events.state_for_update(meeting.id)
    item = db.session.get(AgendaItem, state.current_item_id) if state.current_item_id else None
    meeting_policy.require(policy.can_turn_pages(actor, meeting, item),
                           "Chỉ người trình bày nội dung đang họp (hoặc chủ trì, thư ký) được chuyển trang.")
    state.presenter_paper_id, state.presenter_page, state.updated_at = paper, number, utcnow()
    events.publish(meeting.id, "presenter.page", {"paper_id": paper, "page": number,
                                                  "item_id": state.current_item_id}, actor=actor, state=state)
    commit()
    return paper, number


def papers_by_item(user: User, meeting: Meeting) -> dict[str, list[dict[str, Any]]]:
    """The papers ``user`` may read, by agenda item (meet-papers' rules: released, restricted readers, secret
    documents): the page shows the current item's with it, and an item opened later needs no new request."""
    found: dict[str, list[dict[str, Any]]] = {}
    for paper in papers.papers_of(meeting):
        if papers_policy.can_read_paper(user, paper, meeting):
            found.setdefault(str(paper.agenda_item_id), []).append({
                "id": paper.id, "title": paper.title,
                "url": url_for("meeting_agenda.paper", meeting_id=meeting.id, paper_id=paper.id),
                # read in the room's viewer: the same download as the paper's page (watermarked when unsigned)
                "file": url_for("meeting_agenda.paper_file", meeting_id=meeting.id, paper_id=paper.id, inline=1)})
    return found


def snapshot(user: User, meeting: Meeting) -> dict[str, Any]:
    """Everything the room page shows, as of sequence number ``seq``. The number is read first: an event that
    commits while the rest is read is then sent again to the page (its events carry the state they set, so
    applying one twice changes nothing), never lost."""
    state = events.state_of(meeting.id)
    seq = state.seq if state else 0
    current = db.session.get(AgendaItem, state.current_item_id) if state and state.current_item_id else None
    me = meeting_policy.participant_of(user, meeting)
    data: dict[str, Any] = {
        "seq": seq,
        "meeting": {"id": meeting.id, "title": meeting.title, "status": meeting.status,
                    "status_label": meeting.status_label},
        "me": {"user_id": user.id, "participant_id": me.id if me else None, "role": me.role if me else None,
               "can_lead": policy.can_lead(user, meeting)},
        "agenda": [item_json(i) for i in agenda_of(meeting.id)],
        "current_item": item_json(current),
        "presenter": {"paper_id": state.presenter_paper_id if state else None,
                      "page": state.presenter_page if state else None},
    }
    data["papers"] = papers_by_item(user, meeting)
    for name, section in events.sections().items():
        data[name] = section(meeting.id, user)
    return data
