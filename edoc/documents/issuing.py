"""Issuing and delivery (cấp số, ban hành, chuyển): number, date and register a document in one transaction,
deliver it to its internal recipients, and record who opened it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from edoc.accounts.models import Role, User
from edoc.audit.service import record
from edoc.core.clock import vietnam_time
from edoc.core.db import db, locked, utcnow
from edoc.core.errors import Conflict, NotAllowed, ValidationFailed
from edoc.documents import paper, policy
from edoc.documents.drafting import draft_register
from edoc.documents.events import DOCUMENT_READ
from edoc.documents.models import Delivery, OutgoingDocument, RecipientKind, Status
from edoc.documents.recall import lock_replaced, notify_recipients
from edoc.notifications.service import notify
from edoc.realtime.events import emit_after_commit, user_room
from edoc.registers.models import Register
from edoc.registers.numbering import take_next_number


def _issue_register(doc: OutgoingDocument, register_id: int | None) -> Register:
    """The register chosen while drafting. What the signer approved already prints its issuing body and ký hiệu,
    so the clerk cannot switch to another one at issue."""
    if doc.register_id is None:  # drafted before the register was chosen with the draft
        return draft_register(doc.organisation_id, register_id, secret=doc.is_secret)
    register = db.session.get(Register, doc.register_id)
    assert register is not None
    if register_id is not None and register_id != register.id:
        raise ValidationFailed(
            f"Văn bản được soạn và duyệt để lấy số ở “{register.name}” (ký hiệu …/{doc.notation}); không đổi "
            "được sổ khi ban hành. Muốn lấy số ở sổ khác, người soạn sửa dự thảo, chọn sổ và trình ký lại.",
            field="register_id")
    if not register.active:
        raise ValidationFailed(f"“{register.name}” đã ngừng sử dụng; người soạn cần chọn sổ khác và trình ký lại.",
                               field="register_id")
    return register


def issue(actor: User, doc: OutgoingDocument, *, register_id: int | None = None,
          at: datetime | None = None) -> OutgoingDocument:
    """Number, date, register and deliver the document, in one transaction (the caller commits).

    The document row is locked first, so a double submission finds it issued and gets its number back as a
    conflict instead of a second number.
    """
    doc = locked(doc)
    if doc.status_enum in policy.PUBLISHED:
        raise Conflict(f"Văn bản đã được ban hành với số {doc.reference}, ngày {doc.issued_on:%d/%m/%Y}.")
    if not user_is_clerk(actor):
        raise NotAllowed("Chỉ văn thư được cấp số và ban hành văn bản.")
    policy.require_action("issue", actor, doc)
    paper.require_signature(doc)  # nothing issued that nobody signed: a digital signature, or the paper's scan
    replaced = lock_replaced(doc)
    register = _issue_register(doc, register_id)
    moment = at or utcnow()
    local = vietnam_time(moment)
    number = take_next_number(register, local.year)
    # the ký hiệu stays as drafted: it is printed in what the signer approved
    doc.register_id, doc.year, doc.number = register.id, local.year, number
    doc.issued_on, doc.issued_at, doc.issued_by_id = local.date(), moment, actor.id
    doc.status = Status.ISSUED.value
    if replaced is not None:
        replaced.status = Status.REPLACED.value  # recall_reason, if any, stays: why it was withdrawn still matters
        record("document.replaced", replaced, actor=actor, changes={"by": doc.id, "reference": doc.reference})
        notify_recipients(replaced, f"Văn bản {replaced.reference} đã được thay thế bởi văn bản "
                                     f"{doc.reference}", actor=actor)
        for recipient in replaced.recipients:
            if recipient.kind == RecipientKind.EXTERNAL:
                recipient.recall_notice = "pending"  # e-mailed after the commit, as a recall notice is
    deliver(doc)
    record("document.issue", doc, actor=actor, changes={
        "register_id": register.id, "year": local.year, "number": number, "reference": doc.reference})
    return doc


def user_is_clerk(user: User) -> bool:
    return user.has_role(Role.CLERK)


def deliver(doc: OutgoingDocument) -> None:
    """Internal recipients find it in their inbox at once; external ones are listed for dispatch."""
    seen: set[int] = set()
    for recipient in doc.recipients:
        if recipient.kind == RecipientKind.EXTERNAL:
            recipient.dispatch_status = "pending"
            continue
        if recipient.kind == RecipientKind.UNIT:
            users = db.session.execute(
                select(User).where(User.unit_id == recipient.unit_id, User.active.is_(True))
            ).scalars().all()
        else:
            users = [recipient.user] if recipient.user and recipient.user.active else []
        for user in users:
            if doc.is_secret and not policy.is_named_reader(user, doc) and user.id not in {doc.signer_id,
                                                                                             doc.drafter_id}:
                continue  # a secret document reaches only its named readers
            db.session.add(Delivery(recipient_id=recipient.id, document_id=doc.id, user_id=user.id,
                                    delivered_at=doc.issued_at or utcnow()))
            if user.id not in seen:
                seen.add(user.id)
                notify(user.id, "inbox", f"Văn bản đến: {doc.reference} — {doc.summary[:100]}",
                       f"/documents/{doc.id}")


def mark_read(user: User, doc: OutgoingDocument) -> bool:
    """Record that a recipient opened the document; True the first time."""
    rows = db.session.execute(
        select(Delivery).where(Delivery.document_id == doc.id, Delivery.user_id == user.id,
                               Delivery.read_at.is_(None))
    ).scalars().all()
    if not rows:
        return False
    now = utcnow()
    for row in rows:
        row.read_at = now
    record("document.read", doc, actor=user)
    # to those who see the recipients' status (policy.can_see_delivery): the drafter, the signer, the clerks
    watchers = {doc.drafter_id, doc.signer_id, doc.issued_by_id} - {None, user.id}
    for uid in watchers:
        emit_after_commit(db.session, DOCUMENT_READ, {"document_id": doc.id, "user_id": user.id},
                          room=user_room(uid))  # type: ignore[arg-type]
    return True
