"""Review and approval (trình ký, duyệt, trả lại): the drafter submits, the signer approves or returns."""

from __future__ import annotations

from sqlalchemy import select

from edoc.accounts.models import Role, User
from edoc.audit.service import record
from edoc.core.db import db, locked
from edoc.core.errors import ValidationFailed
from edoc.core.text import clean
from edoc.documents import policy
from edoc.documents.drafting import require_issuing_clerk
from edoc.documents.models import OutgoingDocument, RecipientPurpose, Status
from edoc.notifications.service import notify
from edoc.registers.types import TypeKind, get_type

NO_RECIPIENT = ("Công văn chưa có nơi nhận (Kính gửi): sửa dự thảo, chọn nơi nhận để thực hiện hoặc ghi dòng "
                "Kính gửi, rồi trình ký.")


def submit(actor: User, doc: OutgoingDocument) -> None:
    """Trình ký. Rows are locked first (``locked``): of two tabs submitting at once, the second is told the first
    did it (``policy.refusal``), not that only the drafter may submit."""
    doc = locked(doc)
    policy.require_action("submit", actor, doc)
    doc_type = get_type(doc.type_code)
    if doc_type is not None and doc_type.kind is TypeKind.CONG_VAN and not doc.kinh_gui.strip() and not any(
            r.purpose == RecipientPurpose.ACT for r in doc.recipients):
        # a công văn is a letter to someone: without a Kính gửi it cannot be signed, numbered or sent
        raise ValidationFailed(NO_RECIPIENT, field="recipients_act")
    if doc.is_secret:
        # checked again: the clerk named while drafting may have left or changed role since
        require_issuing_clerk(doc.organisation_id, [doc.drafter_id, doc.signer_id, *(r.user_id for r in doc.readers)])
    doc.status = Status.SUBMITTED.value
    doc.return_reason = ""
    record("document.submit", doc, actor=actor, changes={"signer_id": doc.signer_id})
    assert doc.signer_id is not None
    notify(doc.signer_id, "document", f"Trình ký: {doc.summary[:100]}", f"/documents/{doc.id}")


def approve(actor: User, doc: OutgoingDocument) -> None:
    doc = locked(doc)
    policy.require_action("approve", actor, doc)
    doc.status = Status.APPROVED.value
    record("document.approve", doc, actor=actor)
    notify(doc.drafter_id, "document", f"Đã duyệt: {doc.summary[:100]}", f"/documents/{doc.id}")
    for clerk in _clerks(doc):
        notify(clerk.id, "document", f"Chờ ban hành: {doc.summary[:100]}", f"/documents/{doc.id}")


def return_draft(actor: User, doc: OutgoingDocument, reason: str) -> None:
    doc = locked(doc)
    policy.require_action("return", actor, doc)
    reason = clean(reason)
    if not reason:
        raise ValidationFailed("Ghi rõ lý do trả lại.", field="reason")
    doc.status = Status.RETURNED.value
    doc.return_reason = reason
    record("document.return", doc, actor=actor, changes={"reason": reason})
    notify(doc.drafter_id, "document", f"Bị trả lại: {doc.summary[:80]} ({reason[:80]})", f"/documents/{doc.id}")


def _clerks(doc: OutgoingDocument) -> list[User]:
    users = db.session.execute(
        select(User).where(User.organisation_id == doc.organisation_id, User.active.is_(True))
    ).scalars()
    clerks = [u for u in users if u.has_role(Role.CLERK)]
    if doc.is_secret:
        named = {r.user_id for r in doc.readers}
        clerks = [c for c in clerks if c.id in named]
    return clerks
