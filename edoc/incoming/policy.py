"""Who may see and do what with an incoming document: decided here and nowhere else.

- clerks (văn thư) of the organisation: the register and every non-secret document; they register, present,
  return and file;
- the leader it is presented to: it, and the direction and assignments;
- people it is assigned to (chủ trì, phối hợp, để biết; by name or through their unit) and those it was passed on
  to: it, and their own task;
- a secret document (độ mật): only the clerk who registered it, the leader it is presented to, the people named in
  its tasks and its named readers, never by role alone;
- nobody of another organisation, whatever their role.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, exists, or_, select, union
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from edoc.accounts.models import Role, User
from edoc.core.db import db
from edoc.core.errors import NotAllowed, NotFound
from edoc.incoming.models import IncomingBoardCount, IncomingDocument, IncomingReader, IncomingStatus
from edoc.tasks import policy as task_policy
from edoc.tasks.models import Task

SUBJECT = "incoming"
NOT_FOUND = "Không tìm thấy văn bản đến."


def is_clerk(user: User) -> bool:
    return user.has_role(Role.CLERK)


def _tasks(doc: IncomingDocument) -> list[Task]:
    return list(db.session.execute(select(Task).where(Task.subject_kind == SUBJECT, Task.subject_id == doc.id))
                .scalars())


def is_named(user: User, doc: IncomingDocument) -> bool:
    """Named on it: registered it, presented to or directed by, a reader, or assigned (person or unit)."""
    if user.id in {doc.registered_by_id, doc.presented_to_id, doc.directed_by_id}:
        return True
    if any(r.user_id == user.id for r in doc.readers):
        return True
    return any(task_policy.is_assignee(user, t) for t in _tasks(doc))


def can_view(user: User, doc: IncomingDocument) -> bool:
    if not user.is_authenticated or user.organisation_id != doc.organisation_id:
        return False
    if not doc.is_secret and is_clerk(user):
        return True
    return is_named(user, doc)


def reader_keys(doc: IncomingDocument) -> set[str]:
    """``can_view`` as the keys search checks (``u:<user id>``, ``r:<role>``): clerks by role unless secret, the
    people named on it, and the members of units given a task (at the time the entry is built)."""
    keys = {f"u:{i}" for i in (doc.registered_by_id, doc.presented_to_id, doc.directed_by_id) if i}
    keys.update(f"u:{r.user_id}" for r in doc.readers)
    if not doc.is_secret:
        keys.add(f"r:{Role.CLERK.value}")
    for task in _tasks(doc):
        if task.user_id is not None:
            keys.add(f"u:{task.user_id}")
        elif task.unit_id is not None:
            keys.update(f"u:{u}" for u in db.session.execute(select(User.id).where(User.unit_id == task.unit_id))
                        .scalars())
    return keys


def visible_clause(user: User) -> ColumnElement[bool]:
    """``can_view`` as a query condition, for lists and registers of thousands of rows."""
    assigned = [Task.user_id == user.id]
    if user.unit_id is not None:
        assigned.append(and_(Task.user_id.is_(None), Task.unit_id == user.unit_id))
    named = or_(
        IncomingDocument.registered_by_id == user.id, IncomingDocument.presented_to_id == user.id,
        IncomingDocument.directed_by_id == user.id,
        exists().where(IncomingReader.document_id == IncomingDocument.id, IncomingReader.user_id == user.id),
        exists().where(Task.subject_kind == SUBJECT, Task.subject_id == IncomingDocument.id, or_(*assigned)),
    )
    clause = named if not is_clerk(user) else or_(IncomingDocument.secrecy == "", named)
    return and_(IncomingDocument.organisation_id == user.organisation_id, clause)


def board_split(user: User) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """``visible_clause`` cut in two for the board: which kept counts (``IncomingBoardCount``) the user may add up,
    and the condition on the documents counted exactly beside them. The two never overlap and together are what
    the user may see (tested against the direct count):

    - a clerk sees every non-secret document (the counts not secret) and the secret ones they are named on (few);
    - anyone else sees what they are named on: the counts of what is presented to them, and the documents they are
      named on otherwise (registered, directed, read, assigned: found from those names, not by scanning the year).
    """
    org = IncomingBoardCount.organisation_id == user.organisation_id
    if is_clerk(user):
        return (and_(org, IncomingBoardCount.secret.is_(False)),
                # ``> ''``: the secret ones through the (organisation, year, secrecy) index ('' sorts first); told
                # selective, or SQLite's planner walks the board's covering index over the whole year instead.
                and_(selective(IncomingDocument.secrecy > ""), visible_clause(user)))
    assigned = [selective(Task.user_id == user.id)]
    if user.unit_id is not None:
        assigned.append(and_(Task.user_id.is_(None), Task.unit_id == user.unit_id))
    d = IncomingDocument
    # The leader who directs is the one it is presented to: "directed by me, presented to someone else" is a seek
    # of the (directed_by, presented_to) index, not a walk over all they directed.
    elsewhere = [d.presented_to_id.is_(None), d.presented_to_id < user.id, d.presented_to_id > user.id]
    named = union(
        *(select(d.id).where(column == user.id, where) for column in (d.registered_by_id, d.directed_by_id)
          for where in elsewhere),
        select(IncomingReader.document_id).where(IncomingReader.user_id == user.id),
        select(Task.subject_id).where(Task.subject_kind == SUBJECT, or_(*assigned)),
    )
    not_presented = or_(IncomingDocument.presented_to_id.is_(None), IncomingDocument.presented_to_id != user.id)
    return (and_(org, IncomingBoardCount.presented_to_id == user.id),
            and_(IncomingDocument.organisation_id == user.organisation_id, not_presented,
                 IncomingDocument.id.in_(named)))


class selective(FunctionElement[bool]):  # lower case: it stands for a SQL function
    """A condition few rows meet, told to SQLite's planner (``likelihood``). Its statistics (``ANALYZE``: average rows
    per value, no histogram) count the NULLs of ``task.user_id`` (tasks given to a unit) as one value, so "the tasks
    of this person" looked like every task and it scanned the table; and the year's secret documents looked like
    the whole year. PostgreSQL's statistics know both: the condition as it is."""

    inherit_cache = True  # untyped: a Boolean one is written "likelihood(…) = 1" on SQLite, which no index serves


@compiles(selective)
def _selective(element: selective, compiler: SQLCompiler, **kw: object) -> str:
    return compiler.process(next(iter(element.clauses)), **kw)


@compiles(selective, "sqlite")
def _selective_sqlite(element: selective, compiler: SQLCompiler, **kw: object) -> str:
    return f"likelihood({compiler.process(next(iter(element.clauses)), **kw)}, 0.001)"


def viewable(user: User, doc_id: int) -> IncomingDocument:
    """The document if ``user`` may see it; another organisation's, or a secret one, is "not found"."""
    doc = db.session.get(IncomingDocument, doc_id)
    if doc is None or not can_view(user, doc):
        raise NotFound(NOT_FOUND)
    return doc


def can_read_register(user: User) -> bool:
    return user.is_authenticated and (is_clerk(user) or user.has_role(Role.LEADER))


def can_register(user: User) -> bool:
    return is_clerk(user)


def can_manage_mailbox(user: User) -> bool:
    """The organisation's incoming mailbox (e-mail channel): its clerks and its admin set, test and poll it."""
    return user.is_authenticated and (is_clerk(user) or user.has_role(Role.ADMIN))


def can_present(user: User, doc: IncomingDocument) -> bool:
    return is_clerk(user) and can_view(user, doc) and doc.status_enum in {IncomingStatus.REGISTERED,
                                                                          IncomingStatus.PRESENTED}


def can_direct(user: User, doc: IncomingDocument) -> bool:
    """The leader it is presented to writes the direction; they may direct it again while it is handled."""
    return (user.has_role(Role.LEADER) and doc.presented_to_id == user.id
            and doc.status_enum in {IncomingStatus.PRESENTED, IncomingStatus.IN_PROGRESS})


def can_return(user: User, doc: IncomingDocument) -> bool:
    return is_clerk(user) and can_view(user, doc) and doc.status_enum in {
        IncomingStatus.RECEIVED, IncomingStatus.REGISTERED, IncomingStatus.PRESENTED}


def can_finish(user: User, doc: IncomingDocument) -> bool:
    """Answered or closed: by whoever leads it (the chủ trì's handlers) or the leader who directed it."""
    if doc.status_enum is not IncomingStatus.IN_PROGRESS or user.organisation_id != doc.organisation_id:
        return False
    if doc.directed_by_id == user.id:
        return True
    return any(t.role == "lead" and t.is_open and task_policy.is_handler(user, t) for t in _tasks(doc))


ATTACHABLE = {IncomingStatus.RECEIVED, IncomingStatus.REGISTERED, IncomingStatus.PRESENTED, IncomingStatus.IN_PROGRESS}
"""Files may still be added (a phụ lục sent separately, a page scanned late) until it is finished, filed, returned or
recalled."""


def can_attach(user: User, doc: IncomingDocument) -> bool:
    """The clerks who see it attach files after registration."""
    return is_clerk(user) and can_view(user, doc)


def can_file(user: User, doc: IncomingDocument) -> bool:
    return is_clerk(user) and can_view(user, doc) and doc.status_enum is IncomingStatus.DONE


def can_see_board(user: User) -> bool:
    return user.has_role(Role.LEADER) or is_clerk(user)


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise NotAllowed(message)


def readable_ids(user: User, ids: Iterable[int]) -> set[int]:
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    return set(db.session.execute(select(IncomingDocument.id).where(IncomingDocument.id.in_(wanted),
                                                                     visible_clause(user))).scalars())
