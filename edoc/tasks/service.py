"""Giving, passing on and reporting tasks; due-soon and overdue lists; reminders before and after the deadline.

Callers (incoming documents, meetings) validate and authorise their own action (the leader's direction) and call
``assign`` in their transaction; each function here notifies the people concerned, live and by e-mail, once the
caller's transaction commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, or_, select

from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.calendar.service import calendar_for
from edoc.calendar.workdays import WorkCalendar
from edoc.core.clock import vietnam_time, vietnam_today
from edoc.core.db import db, get_in, utcnow
from edoc.core.errors import NotAllowed, ValidationFailed
from edoc.core.text import clean
from edoc.notifications.mail import mail_after_commit
from edoc.notifications.service import notify
from edoc.organisations.models import Unit
from edoc.tasks import policy
from edoc.tasks.models import OPEN_VALUES, Task, TaskReminder, TaskRole, TaskStatus, TaskUpdate
from edoc.tasks.subjects import describe

DUE_SOON_WORKING_DAYS = 2
"""A task is due soon when its deadline is at most this many working days away."""
MAX_TEXT = 5000


@dataclass(frozen=True)
class Assignee:
    """One line of a direction: a person or a unit, in a role, with a deadline (none for để biết)."""

    role: str
    user_id: int | None = None
    unit_id: int | None = None
    instructions: str = ""
    deadline: date | None = None


def _check_text(text: str, field: str, what: str) -> str:
    text = clean(text)
    if len(text) > MAX_TEXT:
        raise ValidationFailed(f"{what} dài quá {MAX_TEXT} ký tự.", field=field)
    return text


def _check_assignee(organisation_id: int, a: Assignee, *, not_before: date) -> Assignee:
    try:
        role = TaskRole(a.role)
    except ValueError:
        raise ValidationFailed("Vai trò giao việc không hợp lệ (chủ trì, phối hợp, để biết).", field="role") from None
    if (a.user_id is None) == (a.unit_id is None):
        raise ValidationFailed("Mỗi dòng giao việc chọn một người hoặc một đơn vị.", field="assignee")
    if a.user_id is not None:
        user = db.session.get(User, a.user_id)
        if user is None or user.organisation_id != organisation_id:
            raise ValidationFailed("Chỉ giao việc được cho người trong cơ quan.", field="assignee")
        if not user.active:
            raise ValidationFailed(f"Tài khoản {user.full_name} đã ngừng hoạt động.", field="assignee")
    else:
        unit = db.session.get(Unit, a.unit_id)
        if unit is None or unit.organisation_id != organisation_id:
            raise ValidationFailed("Chỉ giao việc được cho đơn vị trong cơ quan.", field="assignee")
    deadline = a.deadline if role is not TaskRole.INFORM else None
    if deadline is not None and deadline < not_before:
        raise ValidationFailed(f"Hạn giải quyết ({deadline:%d/%m/%Y}) không được trước ngày "
                               f"{not_before:%d/%m/%Y}.", field="deadline")
    return Assignee(role.value, a.user_id, a.unit_id, _check_text(a.instructions, "instructions", "Nội dung giao"),
                    deadline)


def check_assignees(organisation_id: int, assignees: Sequence[Assignee], *, not_before: date) -> list[Assignee]:
    """Validated lines: each in the organisation, deadlines not before ``not_before``, one lead at most, nobody
    twice."""
    checked = [_check_assignee(organisation_id, a, not_before=not_before) for a in assignees]
    if sum(1 for a in checked if a.role == TaskRole.LEAD) > 1:
        raise ValidationFailed("Chỉ một đơn vị hoặc một người chủ trì.", field="role")
    seen = [(a.user_id, a.unit_id) for a in checked]
    if len(seen) != len(set(seen)):
        raise ValidationFailed("Một người hoặc đơn vị được nêu hai lần.", field="assignee")
    return checked


def _tell(task: Task, text: str) -> None:
    subject = describe(task.subject_kind, task.subject_id)
    for user in policy.handlers(task) if task.role != TaskRole.INFORM else _inform_people(task):
        notify(user.id, "task", f"{text}: {subject.title}", subject.link)
        mail_after_commit(user.email, f"[edoc] {text}", f"{text}: {subject.title}\n\n{subject.link}")


def _inform_people(task: Task) -> list[User]:
    if task.user_id is not None:
        return [task.user] if task.user is not None else []
    return list(db.session.execute(select(User).where(User.unit_id == task.unit_id, User.active.is_(True)))
                .scalars())


def assign(actor: User, organisation_id: int, subject_kind: str, subject_id: int, a: Assignee, *,
           parent: Task | None = None) -> Task:
    """One task in the caller's transaction (``a`` already checked by ``check_assignees``); its people notified."""
    task = Task(organisation_id=organisation_id, subject_kind=subject_kind, subject_id=subject_id, role=a.role,
                user_id=a.user_id, unit_id=a.unit_id, instructions=a.instructions, deadline=a.deadline,
                parent_id=parent.id if parent else None, assigned_by_id=actor.id, assigned_at=utcnow())
    db.session.add(task)
    db.session.flush()
    record("task.assign", task, actor=actor, changes={"subject": f"{subject_kind}:{subject_id}", "role": a.role,
                                                      "user_id": a.user_id, "unit_id": a.unit_id,
                                                      "deadline": a.deadline.isoformat() if a.deadline else None})
    label = {"lead": "Được giao chủ trì", "cooperate": "Được giao phối hợp", "inform": "Gửi để biết"}[a.role]
    _tell(task, label + (f", hạn {a.deadline:%d/%m/%Y}" if a.deadline else ""))
    return task


def get_task(user: User, task_id: int) -> Task:
    return get_in(Task, task_id, user.organisation_id, "Không tìm thấy việc được giao.")


def pass_on(actor: User, task: Task, user_id: int, instructions: str, deadline: date | None) -> Task:
    """A unit head (or the person given it) hands the task to a specialist with their own instructions and a
    deadline no later than the task's own."""
    if not policy.can_pass_on(actor, task):
        raise NotAllowed("Chỉ người được giao (lãnh đạo đơn vị với việc giao cho đơn vị) được giao tiếp việc này.")
    deadline = deadline or task.deadline
    if deadline is not None and task.deadline is not None and deadline > task.deadline:
        raise ValidationFailed(f"Hạn giao tiếp không được sau hạn của việc ({task.deadline:%d/%m/%Y}).",
                               field="deadline")
    checked = _check_assignee(task.organisation_id, Assignee(task.role, user_id=user_id, instructions=instructions,
                                                             deadline=deadline),
                              not_before=vietnam_today())
    if checked.user_id == actor.id:
        raise ValidationFailed("Không giao tiếp cho chính mình.", field="assignee")
    child = assign(actor, task.organisation_id, task.subject_kind, task.subject_id, checked, parent=task)
    task.status = TaskStatus.PASSED_ON.value
    record("task.pass_on", task, actor=actor, changes={"to": user_id, "child": child.id})
    return child


def report(actor: User, task: Task, *, progress: int, note: str, done: bool = False) -> TaskUpdate:
    """Tiến độ: a percentage and a note; ``done`` records the result and closes the task. A task passed on is
    done when its child is (the child's report closes the parent too)."""
    if not policy.can_report(actor, task):
        raise NotAllowed("Chỉ người được giao việc này được báo cáo tiến độ.")
    if not 0 <= progress <= 100:
        raise ValidationFailed("Tiến độ là số phần trăm từ 0 đến 100.", field="progress")
    note = _check_text(note, "note", "Nội dung báo cáo")
    if not note:
        raise ValidationFailed("Ghi nội dung báo cáo tiến độ hoặc kết quả.", field="note")
    update = TaskUpdate(task_id=task.id, author_id=actor.id, progress=100 if done else progress, note=note)
    db.session.add(update)
    _progress(task, update.progress, note if done else None)
    record("task.report", task, actor=actor, changes={"progress": update.progress, "done": done})
    if task.assigned_by_id != actor.id:
        subject = describe(task.subject_kind, task.subject_id)
        verb = "đã hoàn thành" if done else f"báo cáo tiến độ {update.progress}%"
        notify(task.assigned_by_id, "task", f"{actor.full_name} {verb}: {subject.title}", subject.link)
    return update


def _progress(task: Task, progress: int, result: str | None) -> None:
    task.progress = progress
    if result is None:
        task.status = TaskStatus.IN_PROGRESS.value
        return
    task.status, task.result = TaskStatus.DONE.value, result
    task.done_at = utcnow()
    task.done_on = vietnam_time(task.done_at).date()
    if task.parent is not None and task.parent.status == TaskStatus.PASSED_ON.value:
        _progress(task.parent, progress, result)


def tasks_of_subject(kind: str, subject_id: int) -> list[Task]:
    return list(db.session.execute(select(Task).where(Task.subject_kind == kind, Task.subject_id == subject_id)
                                   .order_by(Task.id)).scalars())


def tasks_of_subjects(kind: str, subject_ids: Iterable[int]) -> dict[int, list[Task]]:
    found: dict[int, list[Task]] = {}
    ids = sorted(set(subject_ids))
    for start in range(0, len(ids), 500):
        for task in db.session.execute(select(Task).where(Task.subject_kind == kind,
                                                          Task.subject_id.in_(ids[start:start + 500]))
                                       .order_by(Task.id)).scalars():
            found.setdefault(task.subject_id, []).append(task)
    return found


def assigned_to(user: User) -> ColumnElement[bool]:
    """Tasks given to ``user`` by name or to their unit."""
    clauses = [Task.user_id == user.id]
    if user.unit_id is not None:
        clauses.append(and_(Task.user_id.is_(None), Task.unit_id == user.unit_id))
    return or_(*clauses)


def due_bounds(calendar: WorkCalendar, today: date) -> date:
    """The last deadline that counts as due soon today."""
    return calendar.add_working_days(today, DUE_SOON_WORKING_DAYS)


def open_tasks(organisation_id: int, *, where: ColumnElement[bool] | None = None, overdue: bool | None = None,
               today: date | None = None) -> list[Task]:
    """Open tasks with a deadline, soonest first: ``overdue=True`` past their deadline, ``False`` due within
    ``DUE_SOON_WORKING_DAYS``, ``None`` both."""
    today = today or vietnam_today()
    query = select(Task).where(Task.organisation_id == organisation_id, Task.status.in_(OPEN_VALUES),
                               Task.deadline.is_not(None))
    if where is not None:
        query = query.where(where)
    if overdue is True:
        query = query.where(Task.deadline < today)
    elif overdue is False:
        query = query.where(Task.deadline >= today,
                            Task.deadline <= due_bounds(calendar_for(organisation_id), today))
    else:
        query = query.where(Task.deadline <= due_bounds(calendar_for(organisation_id), today))
    return list(db.session.execute(query.order_by(Task.deadline, Task.id)).scalars())


def remind(organisation_id: int, *, today: date | None = None) -> int:
    """The reminder job's body for one organisation: each open task due within ``DUE_SOON_WORKING_DAYS`` working
    days is reminded once (``due``), each overdue one once per working day (``overdue``). Idempotent: a reminder
    already recorded for the day is not sent again, so the job may run as often as it likes. The caller commits.
    Returns the reminders sent."""
    today = today or vietnam_today()
    calendar = calendar_for(organisation_id)
    sent = 0
    for task in open_tasks(organisation_id, today=today):
        if task.role == TaskRole.INFORM or task.deadline is None:
            continue
        kind = "overdue" if task.deadline < today else "due"
        if kind == "overdue" and not calendar.is_working_day(today):
            continue
        on = today if kind == "overdue" else task.deadline
        exists = db.session.execute(select(TaskReminder.id).where(
            TaskReminder.task_id == task.id, TaskReminder.kind == kind, TaskReminder.sent_on == on)).first()
        if exists:
            continue
        db.session.add(TaskReminder(task_id=task.id, kind=kind, sent_on=on))
        late = calendar.working_days_between(task.deadline, today)
        text = (f"Quá hạn {late} ngày làm việc (hạn {task.deadline:%d/%m/%Y})" if kind == "overdue"
                else f"Sắp đến hạn {task.deadline:%d/%m/%Y}")
        _tell(task, text)
        if kind == "overdue":
            notify(task.assigned_by_id, "task", f"{text}: {describe(task.subject_kind, task.subject_id).title} "
                                                f"— {task.assignee_label}", describe(task.subject_kind,
                                                                                      task.subject_id).link)
        sent += 1
    return sent
