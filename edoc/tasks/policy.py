"""Who may act on a task: the person it is given to; for a unit's task, the unit's leaders (its head and deputies:
users of the unit with the leader role), or, in a unit with no leader in the system, its members."""

from __future__ import annotations

from sqlalchemy import select

from edoc.accounts.models import Role, User
from edoc.core.db import db
from edoc.tasks.models import Task


def unit_handlers(unit_id: int) -> list[User]:
    members = list(db.session.execute(select(User).where(User.unit_id == unit_id, User.active.is_(True))
                                      .order_by(User.id)).scalars())
    leaders = [u for u in members if u.has_role(Role.LEADER)]
    return leaders or members


def handlers(task: Task) -> list[User]:
    """The people who act on ``task`` and are reminded of it."""
    if task.user_id is not None:
        return [task.user] if task.user is not None and task.user.active else []
    return unit_handlers(task.unit_id) if task.unit_id is not None else []


def is_handler(user: User, task: Task) -> bool:
    if not user.is_authenticated or user.organisation_id != task.organisation_id:
        return False
    if task.user_id is not None:
        return task.user_id == user.id
    return task.unit_id is not None and any(u.id == user.id for u in unit_handlers(task.unit_id))


def is_assignee(user: User, task: Task) -> bool:
    """Named in the task, as the person or a member of the unit: may read its subject."""
    if task.user_id is not None:
        return task.user_id == user.id
    return task.unit_id is not None and user.unit_id == task.unit_id


def can_report(user: User, task: Task) -> bool:
    return task.is_open and task.role != "inform" and is_handler(user, task)


def can_pass_on(user: User, task: Task) -> bool:
    return task.is_open and task.role != "inform" and is_handler(user, task)
