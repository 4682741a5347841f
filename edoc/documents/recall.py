"""Recall and replacement (thu hồi, thay thế): withdrawing an issued document, drafting the one that replaces it,
and finding what replaced what."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.core.db import chunked, db, locked
from edoc.core.errors import Conflict, ValidationFailed
from edoc.core.text import clean
from edoc.documents import policy, sources
from edoc.documents.drafting import create_draft, draft_data_of
from edoc.documents.models import Delivery, OutgoingDocument, RecipientKind, Status
from edoc.notifications.service import notify


def recall(actor: User, doc: OutgoingDocument, reason: str) -> None:
    """Recall in the caller's transaction: every internal recipient, the signer and the drafter are notified,
    external recipients are queued for a recall notice (sent by ``dispatch`` after the commit)."""
    doc = locked(doc)  # of two recalls at once, the second is told the first recalled it (policy.refusal)
    policy.require_action("recall", actor, doc)
    reason = clean(reason)
    if not reason:
        raise ValidationFailed("Ghi rõ lý do thu hồi.", field="reason")
    doc.status = Status.RECALLED.value
    doc.recall_reason = reason
    record("document.recall", doc, actor=actor, changes={"reason": reason})
    notify_recipients(doc, f"THU HỒI văn bản {doc.reference}: {reason[:120]}", actor=actor)
    for recipient in doc.recipients:
        if recipient.kind == RecipientKind.EXTERNAL:
            recipient.recall_notice = "pending"


def notify_recipients(doc: OutgoingDocument, text: str, *, actor: User | None = None) -> None:
    """One notification per person: everyone it was delivered to, the signer and the drafter (not the actor)."""
    users = set(db.session.execute(select(Delivery.user_id).where(Delivery.document_id == doc.id)).scalars())
    users |= {doc.drafter_id, *([doc.signer_id] if doc.signer_id else [])}
    users.discard(actor.id if actor is not None else None)
    for uid in sorted(users):
        notify(uid, "recall", text, f"/documents/{doc.id}")
    for recipient in doc.recipients:
        if recipient.kind == RecipientKind.EXTERNAL:
            recipient.dispatch_note = (recipient.dispatch_note + "\n" + text).strip()


def start_replacement(actor: User, old: OutgoingDocument) -> OutgoingDocument:
    """A new draft that replaces an issued (or recalled) document; issuing it marks the old one replaced."""
    if old.status_enum is Status.REPLACED and policy.can_view(actor, old):
        raise Conflict(already_replaced_message(old))
    policy.require(policy.can_replace(actor, old), "Bạn không được soạn văn bản thay thế cho văn bản này.")
    data = draft_data_of(old)
    data.note = f"Thay thế văn bản {old.reference}"
    doc = create_draft(actor, data)
    doc.replaces_id = old.id
    record("document.replacement_started", doc, actor=actor, changes={"replaces": old.id})
    sources.render_version(doc)
    return doc


def lock_replaced(doc: OutgoingDocument) -> OutgoingDocument | None:
    """The document ``doc`` replaces, locked for the rest of the issuing transaction, or None. Two replacement
    drafts of one document may both be approved; the lock makes their issues take turns, and the second finds
    the document already replaced and is refused before it takes a number."""
    if doc.replaces_id is None:
        return None
    old = db.session.get(OutgoingDocument, doc.replaces_id)
    assert old is not None
    old = locked(old)
    if old.status_enum is Status.REPLACED:
        raise Conflict(already_replaced_message(old) + " Không ban hành văn bản thay thế thứ hai cho nó.")
    if old.status_enum not in {Status.ISSUED, Status.RECALLED}:
        raise Conflict(f"Văn bản {old.reference} chưa ban hành nên không có gì để thay thế.")
    return old


def already_replaced_message(doc: OutgoingDocument) -> str:
    by = replaced_by(doc)
    if by is None:
        return f"Văn bản {doc.reference} đã được thay thế."
    return (f"Văn bản {doc.reference} đã được thay thế bởi văn bản {by.reference}; nếu cần sửa tiếp, hãy soạn văn "
            f"bản thay thế cho văn bản {by.reference}.")


def replaced_by(doc: OutgoingDocument) -> OutgoingDocument | None:
    """The issued document that replaced ``doc`` (drafts that name it are not, until issued)."""
    return replacements_of([doc.id]).get(doc.id)


def replacements_of(doc_ids: Iterable[int]) -> dict[int, OutgoingDocument]:
    """Replaced document id → the issued document that replaced it, for many documents at once (a list, a
    register): one query per ``chunked`` slice of ids. The first issued wins, should two ever name the same
    document; ids nothing replaced yet are absent."""
    found: dict[int, OutgoingDocument] = {}
    for ids in chunked(sorted(set(doc_ids))):
        rows = db.session.execute(
            select(OutgoingDocument).where(OutgoingDocument.replaces_id.in_(ids),
                                           OutgoingDocument.status.in_(policy.PUBLISHED_VALUES))
            .order_by(OutgoingDocument.issued_at, OutgoingDocument.id)).scalars()
        for by in rows:
            if by.replaces_id is not None:
                found.setdefault(by.replaces_id, by)
    return found
