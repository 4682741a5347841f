"""A meeting's agenda: ordered items with one level of sub-items (title, presenter, planned duration, kind).

Each change is one function: validated, authorised (``meetings.agenda.policy``), written, audited and committed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.core.db import commit, db, locked
from edoc.core.errors import NotFound, ValidationFailed
from edoc.core.text import clean, has_control_chars
from meetings.agenda import policy
from meetings.agenda.models import KIND_LABELS, AgendaItem
from meetings.attendance.models import Participant
from meetings.meeting.models import Meeting

DeleteCheck = Callable[[AgendaItem], str | None]
_delete_checks: list[DeleteCheck] = []
"""What else hangs on an item (papers, votes...): each package that attaches things to items registers a check
that names what is left, so the agenda refuses to delete an item without importing them."""


def refuse_delete_when(check: DeleteCheck) -> None:
    if check not in _delete_checks:
        _delete_checks.append(check)


KINDS = {kind.value: label for kind, label in KIND_LABELS.items()}
MAX_TITLE = 500
MAX_MINUTES = 24 * 60


@dataclass(frozen=True)
class ItemData:
    title: str
    kind: str
    presenter_user_id: int | None
    planned_minutes: int | None
    parent_id: int | None = None


def parse_item(form: Any) -> ItemData:
    """Form or JSON fields into checked values (clear Vietnamese messages, naming the field)."""
    title = clean(str(form.get("title") or ""))
    if not title:
        raise ValidationFailed("Chưa nhập nội dung (tên) của mục chương trình.", field="title")
    if len(title) > MAX_TITLE or has_control_chars(title):
        raise ValidationFailed(f"Tên mục dài quá {MAX_TITLE} ký tự hoặc chứa ký tự không hợp lệ.", field="title")
    kind = str(form.get("kind") or "report")
    if kind not in KINDS:
        raise ValidationFailed("Loại mục không hợp lệ (báo cáo, thảo luận, biểu quyết, bầu cử).", field="kind")
    return ItemData(title, kind, _optional_int(form.get("presenter_user_id"), "presenter_user_id", 1, 2**31 - 1,
                                               "Người trình bày không hợp lệ."),
                    _optional_int(form.get("planned_minutes"), "planned_minutes", 1, MAX_MINUTES,
                                  f"Thời lượng dự kiến là số phút từ 1 đến {MAX_MINUTES}."),
                    _optional_int(form.get("parent_id"), "parent_id", 1, 2**31 - 1, "Mục cha không hợp lệ."))


def _optional_int(raw: object, field: str, low: int, high: int, message: str) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise ValidationFailed(message, field=field)
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ValidationFailed(message, field=field) from None
    if not low <= value <= high:
        raise ValidationFailed(message, field=field)
    return value


def items_of(meeting: Meeting) -> list[AgendaItem]:
    """All items in reading order: each top-level item followed by its sub-items."""
    rows = list(db.session.execute(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
                                   .order_by(AgendaItem.position, AgendaItem.id)).scalars())
    top = [r for r in rows if r.parent_id is None]
    children: dict[int, list[AgendaItem]] = {}
    for r in rows:
        if r.parent_id is not None:
            children.setdefault(r.parent_id, []).append(r)
    ordered: list[AgendaItem] = []
    for item in top:
        ordered.append(item)
        ordered.extend(children.get(item.id, []))
    return ordered


def numbering(items: list[AgendaItem]) -> dict[int, str]:
    """"1", "2", "2.1"...: how the page and the minutes number the items."""
    labels: dict[int, str] = {}
    top = 0
    sub: dict[int, int] = {}
    for item in items:
        if item.parent_id is None:
            top += 1
            labels[item.id] = str(top)
        else:
            sub[item.parent_id] = sub.get(item.parent_id, 0) + 1
            labels[item.id] = f"{labels.get(item.parent_id, '?')}.{sub[item.parent_id]}"
    return labels


def get_item(meeting: Meeting, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        raise NotFound("Không tìm thấy mục chương trình.")
    return item


def _check_presenter(meeting: Meeting, user_id: int | None) -> None:
    """A presenter is a participant of the meeting or a person of its organisation."""
    if user_id is None:
        return
    person = db.session.get(User, user_id)
    is_participant = db.session.execute(select(Participant.id).where(
        Participant.meeting_id == meeting.id, Participant.user_id == user_id)).first() is not None
    if person is None or not (is_participant or (person.organisation_id == meeting.organisation_id
                                                 and person.active)):
        raise ValidationFailed("Người trình bày phải là đại biểu của cuộc họp hoặc người của cơ quan.",
                               field="presenter_user_id")


def _check_parent(meeting: Meeting, parent_id: int | None, item: AgendaItem | None = None) -> None:
    if parent_id is None:
        return
    parent = db.session.get(AgendaItem, parent_id)
    if parent is None or parent.meeting_id != meeting.id:
        raise ValidationFailed("Mục cha không thuộc cuộc họp này.", field="parent_id")
    if parent.parent_id is not None:
        raise ValidationFailed("Chương trình chỉ có một cấp mục con.", field="parent_id")
    if item is not None and (parent.id == item.id or _has_children(item)):
        raise ValidationFailed("Không đặt được mục này làm mục con (mục có mục con, hoặc là chính nó).",
                               field="parent_id")


def _has_children(item: AgendaItem) -> bool:
    return db.session.execute(select(AgendaItem.id).where(AgendaItem.parent_id == item.id)).first() is not None


def _next_position(meeting: Meeting, parent_id: int | None) -> int:
    siblings = AgendaItem.parent_id.is_(None) if parent_id is None else AgendaItem.parent_id == parent_id
    top = db.session.execute(select(func.max(AgendaItem.position)).where(
        AgendaItem.meeting_id == meeting.id, siblings)).scalar()
    return (top or 0) + 1


def create_item(actor: User, meeting: Meeting, data: ItemData) -> AgendaItem:
    policy.require_edit(actor, meeting)
    locked(meeting)  # positions are taken one writer at a time
    _check_parent(meeting, data.parent_id)
    _check_presenter(meeting, data.presenter_user_id)
    item = AgendaItem(meeting_id=meeting.id, parent_id=data.parent_id,
                      position=_next_position(meeting, data.parent_id), title=data.title, kind=data.kind,
                      presenter_user_id=data.presenter_user_id, planned_minutes=data.planned_minutes)
    db.session.add(item)
    record("meeting.agenda.add", item, actor=actor, organisation_id=meeting.organisation_id,
           changes={"meeting_id": meeting.id, "title": item.title, "kind": item.kind,
                    "parent_id": item.parent_id, "presenter_user_id": item.presenter_user_id,
                    "planned_minutes": item.planned_minutes})
    commit()
    return item


def update_item(actor: User, meeting: Meeting, item: AgendaItem, data: ItemData) -> AgendaItem:
    policy.require_edit(actor, meeting)
    locked(meeting)
    _check_parent(meeting, data.parent_id, item)
    _check_presenter(meeting, data.presenter_user_id)
    before = {"title": item.title, "kind": item.kind, "parent_id": item.parent_id,
              "presenter_user_id": item.presenter_user_id, "planned_minutes": item.planned_minutes}
    if data.parent_id != item.parent_id:
        item.position = _next_position(meeting, data.parent_id)  # moved: last under its new parent
    item.title, item.kind, item.parent_id = data.title, data.kind, data.parent_id
    item.presenter_user_id, item.planned_minutes = data.presenter_user_id, data.planned_minutes
    after = {"title": item.title, "kind": item.kind, "parent_id": item.parent_id,
             "presenter_user_id": item.presenter_user_id, "planned_minutes": item.planned_minutes}
    record("meeting.agenda.edit", item, actor=actor, organisation_id=meeting.organisation_id,
           changes={k: [before[k], after[k]] for k in after if before[k] != after[k]})
    commit()
    return item


def move_item(actor: User, meeting: Meeting, item: AgendaItem, direction: str) -> None:
    """One step up or down among its siblings."""
    if direction not in {"up", "down"}:
        raise ValidationFailed("Hướng chuyển không hợp lệ.", field="direction")
    policy.require_edit(actor, meeting)
    locked(meeting)
    siblings = [i for i in items_of(meeting) if i.parent_id == item.parent_id]
    index = siblings.index(item)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(siblings):
        return  # already first or last: nothing to do
    reorder(actor, meeting, item.parent_id,
            [s.id for s in _swapped(siblings, index, other)])


def _swapped(items: list[AgendaItem], a: int, b: int) -> list[AgendaItem]:
    items = list(items)
    items[a], items[b] = items[b], items[a]
    return items


def reorder(actor: User, meeting: Meeting, parent_id: int | None, order: list[int]) -> None:
    """Put the items under ``parent_id`` (None: the top level) in ``order``, which must name each exactly once."""
    policy.require_edit(actor, meeting)
    locked(meeting)
    siblings = [i for i in items_of(meeting) if i.parent_id == parent_id]
    if sorted(order) != sorted(i.id for i in siblings) or len(set(order)) != len(order):
        raise ValidationFailed("Thứ tự mới phải liệt kê đúng và đủ các mục cùng cấp, mỗi mục một lần.",
                               field="order")
    by_id = {i.id: i for i in siblings}
    for position, item_id in enumerate(order, start=1):
        by_id[item_id].position = position
    record("meeting.agenda.reorder", meeting, actor=actor, organisation_id=meeting.organisation_id,
           changes={"parent_id": parent_id, "order": order})
    commit()


def delete_item(actor: User, meeting: Meeting, item: AgendaItem) -> None:
    """Only an empty item: one with sub-items or papers is refused rather than losing them."""
    policy.require_edit(actor, meeting)
    locked(meeting)
    if _has_children(item):
        raise ValidationFailed("Mục còn mục con: xóa hoặc chuyển các mục con trước.", field="item")
    for check in _delete_checks:
        problem = check(item)
        if problem:
            raise ValidationFailed(problem, field="item")
    record("meeting.agenda.delete", item, actor=actor, organisation_id=meeting.organisation_id,
           changes={"title": item.title})
    db.session.delete(item)
    commit()
