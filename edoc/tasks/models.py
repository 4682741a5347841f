"""A task given to a person or a unit about a subject (an incoming document, a meeting's conclusion), its
progress reports, and the reminders already sent for it."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edoc.accounts.models import User
from edoc.core.db import UTCDateTime, db, utcnow
from edoc.organisations.models import Unit


class TaskRole(enum.StrEnum):
    LEAD = "lead"
    """Chủ trì: answers for the result."""
    COOPERATE = "cooperate"
    """Phối hợp: contributes to the lead's work."""
    INFORM = "inform"
    """Để biết: informed, nothing to do, no deadline."""


ROLE_LABELS = {TaskRole.LEAD: "Chủ trì", TaskRole.COOPERATE: "Phối hợp", TaskRole.INFORM: "Để biết"}


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    PASSED_ON = "passed_on"
    """A unit head handed it to a specialist (a child task carries it on)."""


STATUS_LABELS = {TaskStatus.OPEN: "Chưa xử lý", TaskStatus.IN_PROGRESS: "Đang xử lý", TaskStatus.DONE: "Đã xong",
                 TaskStatus.PASSED_ON: "Đã giao tiếp"}
OPEN_VALUES = (TaskStatus.OPEN.value, TaskStatus.IN_PROGRESS.value)


class Task(db.Model):
    __tablename__ = "task"
    __table_args__ = (
        Index("ix_task_subject", "subject_kind", "subject_id"),
        Index("ix_task_org_status_deadline", "organisation_id", "status", "deadline"),
        Index("ix_task_user_status", "user_id", "status"),
        Index("ix_task_unit_status", "unit_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    subject_kind: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int]
    role: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    instructions: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[date | None] = mapped_column(Date)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"), index=True)
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=TaskStatus.OPEN.value)
    progress: Mapped[int] = mapped_column(default=0)
    """Percent done, as the assignee last reported it."""
    result: Mapped[str] = mapped_column(Text, default="")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_on: Mapped[date | None] = mapped_column(Date)
    """The Vietnam day it was done: compared with the deadline for on time / late."""

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    unit: Mapped[Unit | None] = relationship()
    assigned_by: Mapped[User] = relationship(foreign_keys=[assigned_by_id])
    parent: Mapped[Task | None] = relationship(remote_side=[id])
    updates: Mapped[list[TaskUpdate]] = relationship(back_populates="task", order_by="TaskUpdate.id")

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[TaskRole(self.role)]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[TaskStatus(self.status)]

    @property
    def assignee_label(self) -> str:
        if self.user is not None:
            return self.user.full_name
        return self.unit.name if self.unit is not None else ""

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_VALUES


class TaskUpdate(db.Model):
    """A progress report (tiến độ) or the result, in the assignee's words."""

    __tablename__ = "task_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    progress: Mapped[int]
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    task: Mapped[Task] = relationship(back_populates="updates")
    author: Mapped[User] = relationship()


class TaskReminder(db.Model):
    """A reminder sent: at most one of each kind per task per day, so a reminder job run twice sends nothing twice."""

    __tablename__ = "task_reminder"
    __table_args__ = (UniqueConstraint("task_id", "kind", "sent_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    """``due`` (before the deadline) or ``overdue``."""
    sent_on: Mapped[date] = mapped_column(Date)
