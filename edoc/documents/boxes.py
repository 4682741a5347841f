"""Boxes and to-do (hộp văn bản, việc cần làm): the documents page's boxes and the home page's counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import selectinload

from edoc.accounts.models import Role, User
from edoc.core.db import db
from edoc.core.errors import ValidationFailed
from edoc.documents import policy
from edoc.documents.models import Delivery, OutgoingDocument, Status

BOXES = {
    "mine": "Dự thảo của tôi",
    "to_sign": "Chờ tôi duyệt",
    "to_issue": "Chờ ban hành",
    "inbox": "Văn bản nhận",
    "issued": "Đã ban hành",
}


def _in_box(user: User, box: str) -> list[ColumnElement[bool]]:
    """What narrows the query of a box (``BOXES``) for ``user``, within their organisation."""
    if box == "mine":
        where = [OutgoingDocument.drafter_id == user.id]
    elif box == "to_sign":
        where = [OutgoingDocument.signer_id == user.id, OutgoingDocument.status == Status.SUBMITTED.value]
    elif box == "to_issue":
        where = [OutgoingDocument.status == Status.APPROVED.value]
    elif box == "inbox":
        where = [OutgoingDocument.id.in_(select(Delivery.document_id).where(Delivery.user_id == user.id))]
    elif box == "issued":
        where = [OutgoingDocument.status.in_(policy.PUBLISHED_VALUES)]
    else:
        raise ValidationFailed(f"Hộp văn bản không hợp lệ: dùng một trong {', '.join(BOXES)}.", field="box")
    return [OutgoingDocument.organisation_id == user.organisation_id, *where]


def list_documents(user: User, box: str, *, limit: int = 300, among: list[int] | None = None
                   ) -> list[OutgoingDocument]:
    """A box of the documents page (and of GET /documents): the query narrows, the policy has the last word.
    ``among``: only these ids, in this order (the search box's matches, best first)."""
    where = _in_box(user, box)
    if among is not None:
        rows = db.session.execute(select(OutgoingDocument).where(*where, OutgoingDocument.id.in_(among))).scalars()
        order = {doc_id: i for i, doc_id in enumerate(among)}
        return sorted((d for d in rows if policy.can_view(user, d)), key=lambda d: order[d.id])[:limit]
    rows = db.session.execute(select(OutgoingDocument).where(*where)
                              .order_by(OutgoingDocument.updated_at.desc(), OutgoingDocument.id.desc())
                              .limit(limit)).scalars()
    return [d for d in rows if policy.can_view(user, d)]


def _awaiting_signature(user: User) -> list[ColumnElement[bool]]:
    return [OutgoingDocument.organisation_id == user.organisation_id, OutgoingDocument.signer_id == user.id,
            OutgoingDocument.status == Status.APPROVED.value, OutgoingDocument.signed_file_id.is_(None),
            OutgoingDocument.paper_scan_file_id.is_(None)]  # recorded as signed on paper: nothing left to sign


def awaiting_signature(user: User) -> list[OutgoingDocument]:
    """Approved documents ``user`` is the signer of and has not signed digitally yet (the signing page's list)."""
    rows = db.session.execute(select(OutgoingDocument).where(*_awaiting_signature(user))
                              .order_by(OutgoingDocument.id)).scalars()
    return [d for d in rows if policy.can_view(user, d)]


@dataclass(frozen=True)
class ToDo:
    """One line of the home page's "Việc cần làm": how many documents wait for ``user`` in one place."""

    key: str
    """A box of the documents page (``BOXES``), or ``sign`` for the signing page."""
    label: str
    count: int


def to_do(user: User) -> list[ToDo]:
    """What waits for ``user``, by the roles they hold: returned drafts to rework (specialist), drafts to approve
    and approved documents to sign (leader), approved documents to number and issue (clerk), documents received
    and not opened yet (everyone). Counted as the pages list them, so a count never promises a document its page
    would not list, but in the database and without the lists' limit: the home page asks on every load and on
    every notification.

    Each count is the box's own query where the policy can only say yes (``policy.can_view``): the drafter sees
    their drafts, the signer what was submitted to them, a clerk every approved document that is not secret, and
    whoever a document was delivered to sees it (it is delivered only once issued, and a secret one only to its
    named readers, signer and drafter, ``deliver``). Secret documents waiting to be issued are the exception:
    those the policy itself decides, a few rows with their readers loaded at once (``policy.viewable_among``).
    """
    def count(*where: ColumnElement[bool]) -> int:
        if not user.is_authenticated:  # an account deactivated meanwhile: the policy shows it nothing
            return 0
        return int(db.session.execute(select(func.count(OutgoingDocument.id)).where(*where)).scalar_one())

    items: list[ToDo] = []
    if user.has_role(Role.SPECIALIST):
        returned = count(*_in_box(user, "mine"), OutgoingDocument.status == Status.RETURNED.value)
        items.append(ToDo("mine", "Dự thảo bị trả lại, cần sửa", returned))
    if user.has_role(Role.LEADER):
        items.append(ToDo("to_sign", "Dự thảo chờ tôi duyệt", count(*_in_box(user, "to_sign"))))
        items.append(ToDo("sign", "Văn bản đã duyệt chờ tôi ký số", count(*_awaiting_signature(user))))
    if user.has_role(Role.CLERK):
        items.append(ToDo("to_issue", "Văn bản chờ cấp số, ban hành", _to_issue(user, count)))
    items.append(ToDo("inbox", "Văn bản nhận chưa đọc", count(
        OutgoingDocument.organisation_id == user.organisation_id, OutgoingDocument.id.in_(_unread(user)),
        OutgoingDocument.status.in_(policy.PUBLISHED_VALUES))))
    return items


def _to_issue(clerk: User, count: Callable[..., int]) -> int:
    """Approved documents ``clerk`` may issue: every one that is not secret, counted; the secret ones as the
    policy decides, which is by name (drafter, signer, named reader), never by the clerk's role."""
    # what can really be issued: signed by the signer, digitally or on paper (its scan uploaded); one approved
    # and not signed yet waits for its signer, not for the clerk
    in_box = [*_in_box(clerk, "to_issue"), or_(OutgoingDocument.signed_file_id.is_not(None),
                                               OutgoingDocument.paper_scan_file_id.is_not(None))]
    secret = db.session.execute(select(OutgoingDocument).where(*in_box, OutgoingDocument.secrecy != "")
                                .options(selectinload(OutgoingDocument.readers))).scalars().all()
    return count(*in_box, OutgoingDocument.secrecy == "") + len(policy.viewable_among(clerk, secret))


def _unread(user: User) -> Select[tuple[int]]:
    """Documents delivered to ``user`` that they have not opened yet, as a query."""
    return select(Delivery.document_id).where(Delivery.user_id == user.id, Delivery.read_at.is_(None))


def unread_ids(user: User) -> set[int]:
    return set(db.session.execute(_unread(user)).scalars())
