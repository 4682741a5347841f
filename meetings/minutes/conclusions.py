"""Tasks from a meeting's conclusions, followed with the machinery of incoming documents' assignments
(``edoc.tasks``): lead and cooperating units or people, a deadline in working days counted from the meeting's day,
progress reports, reminders (the tasks job reminds every task, whatever its subject), the overdue list, and closing
by a result or by an issued outgoing document (``answer_with_document``). The subject is the item's conclusion
(``SUBJECT``, the ``ItemMinutes`` id), whose link leads back to the minutes' page; an answering document's page links
back to the conclusion (``related``), so the chain reads both ways."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, select

from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.calendar.service import calendar_for
from edoc.core.clock import vietnam_today
from edoc.core.db import db
from edoc.core.errors import NotAllowed, NotFound, ValidationFailed
from edoc.documents import policy as document_policy
from edoc.documents.models import OutgoingDocument
from edoc.tasks import service as tasks
from edoc.tasks.models import Task
from edoc.tasks.policy import can_report
from edoc.tasks.subjects import Subject, register_subject
from meetings.meeting.models import Meeting
from meetings.minutes import policy
from meetings.minutes.models import ItemMinutes, TaskAnswer
from meetings.minutes.service import meeting_day, require_ended

SUBJECT = "meeting_conclusion"
MAX_WORKING_DAYS = 250


@dataclass(frozen=True)
class TaskLine:
    """One line of the form: a person or a unit, a role, instructions, and a deadline either as working days
    from the meeting's day or as a date."""

    role: str
    user_id: int | None = None
    unit_id: int | None = None
    instructions: str = ""
    working_days: int | None = None
    deadline: date | None = None


def _deadline(meeting: Meeting, line: TaskLine) -> date | None:
    if line.role == "inform":
        return None
    day = meeting_day(meeting)
    if line.working_days is not None:
        if not 1 <= line.working_days <= MAX_WORKING_DAYS:
            raise ValidationFailed(f"Thời hạn tính bằng ngày làm việc, từ 1 đến {MAX_WORKING_DAYS}.", field="deadline")
        return calendar_for(meeting.organisation_id).add_working_days(day, line.working_days)
    if line.deadline is None:
        raise ValidationFailed("Ghi thời hạn (số ngày làm việc hoặc ngày cụ thể) cho việc chủ trì, phối hợp.",
                               field="deadline")
    if line.deadline < day:
        raise ValidationFailed(f"Hạn giải quyết {line.deadline:%d/%m/%Y} trước ngày họp ({day:%d/%m/%Y}): chọn hạn từ "
                               "ngày họp trở đi.", field="deadline")
    return line.deadline


def conclusion_of(meeting: Meeting, item_minutes_id: int) -> ItemMinutes:
    row = db.session.get(ItemMinutes, item_minutes_id)
    if row is None or row.meeting_id != meeting.id:
        raise NotFound("Không tìm thấy kết luận này.")
    return row


def assign_tasks(actor: User, meeting: Meeting, conclusion: ItemMinutes, lines: list[TaskLine]) -> list[Task]:
    """Tasks from one conclusion, in the caller's transaction; the people notified once it commits."""
    policy.require(policy.can_conclude(actor, meeting), "Chỉ chủ tọa và thư ký cuộc họp giao việc từ kết luận.")
    require_ended(meeting, "giao việc từ kết luận")
    if not conclusion.conclusion.strip():
        raise ValidationFailed("Nội dung này chưa có kết luận để giao việc.", field="conclusion")
    if not lines:
        raise ValidationFailed("Chọn ít nhất một người hoặc đơn vị được giao.", field="assignee")
    assignees = [tasks.Assignee(line.role, line.user_id, line.unit_id, line.instructions, _deadline(meeting, line))
                 for line in lines]
    checked = tasks.check_assignees(meeting.organisation_id, assignees, not_before=meeting_day(meeting))
    made = [tasks.assign(actor, meeting.organisation_id, SUBJECT, conclusion.id, a) for a in checked]
    record("meeting.conclusion_tasks", conclusion, actor=actor, organisation_id=meeting.organisation_id,
           changes={"tasks": [t.id for t in made]})
    return made


def tasks_of(conclusion: ItemMinutes) -> list[Task]:
    return tasks.tasks_of_subject(SUBJECT, conclusion.id)


def answer_with_document(actor: User, task: Task, doc: OutgoingDocument) -> TaskAnswer:
    """Close a conclusion's task by an issued outgoing document that answers it (the plan, the report asked for)."""
    if task.subject_kind != SUBJECT:
        raise NotFound("Không tìm thấy việc được giao từ kết luận cuộc họp.")
    if not can_report(actor, task):
        raise NotAllowed("Chỉ người được giao việc này (còn mở) được báo kết quả.")
    if (doc.organisation_id != task.organisation_id or not document_policy.can_view(actor, doc)
            or doc.status_enum not in document_policy.PUBLISHED):
        raise ValidationFailed("Chọn một văn bản đi đã ban hành của cơ quan mà bạn xem được.", field="document_id")
    answer = TaskAnswer(task_id=task.id, document_id=doc.id, linked_by_id=actor.id)
    db.session.add(answer)
    tasks.report(actor, task, progress=100, note=f"Hoàn thành bằng văn bản {doc.reference}: {doc.summary[:200]}",
                 done=True)
    record("meeting.task_answer", task, actor=actor, changes={"document_id": doc.id, "reference": doc.reference})
    return answer


def answers_of(task_ids: list[int]) -> dict[int, TaskAnswer]:
    if not task_ids:
        return {}
    return {a.task_id: a for a in db.session.execute(select(TaskAnswer).where(TaskAnswer.task_id.in_(task_ids)))
            .scalars()}


def describe(subject_id: int) -> Subject:
    row = db.session.get(ItemMinutes, subject_id)
    if row is None:
        return Subject(f"Kết luận cuộc họp #{subject_id}", "")
    meeting = db.session.get(Meeting, row.meeting_id)
    title = meeting.title if meeting else ""
    return Subject(f"Kết luận về {row.agenda_item.title[:120]} ({title[:120]})",
                   f"/meetings/{row.meeting_id}/minutes#ket-luan-{row.id}")


def related(user: User, doc: OutgoingDocument) -> list[tuple[str, str]]:
    """The lines a document's page shows: the conclusion a document answered."""
    lines = []
    for answer in db.session.execute(select(TaskAnswer).where(TaskAnswer.document_id == doc.id)).scalars():
        task = db.session.get(Task, answer.task_id)
        if task is None:
            continue
        subject = describe(task.subject_id)
        lines.append((f"Thực hiện: {subject.title}", subject.link))
    return lines



@dataclass(frozen=True)
class BoardLine:
    task: Task
    subject: Subject
    late_days: int
    """Working days past the deadline (0 or less: not late)."""


def board(user: User) -> tuple[list[BoardLine], list[BoardLine]]:
    """Open tasks from conclusions, (overdue, due within two working days), soonest first: the organisation's for
    those who follow them (``policy.sees_all_meeting_tasks``), else the user's own and their unit's."""
    where = Task.subject_kind == SUBJECT
    if not policy.sees_all_meeting_tasks(user):
        where = and_(where, tasks.assigned_to(user))
    calendar = calendar_for(user.organisation_id)
    today = vietnam_today()

    def lines(overdue: bool) -> list[BoardLine]:
        found = tasks.open_tasks(user.organisation_id, where=where, overdue=overdue, today=today)
        return [BoardLine(t, describe(t.subject_id), calendar.working_days_between(t.deadline, today)
                          if t.deadline else 0) for t in found if t.role != "inform"]

    return lines(True), lines(False)


register_subject(SUBJECT, describe)
