"""Who may see and do what with an outgoing document: decided here and nowhere else.

- drafter: their drafts, always;
- named readers (reviewers): the draft they were named on, and may comment;
- signer: once it is submitted to them;
- clerk: once approved (to issue it), and everything issued (registers);
- register rows: in full for those who may view the document (``viewable_among``), otherwise masked;
- recipients: what they received, once issued;
- a secret document (độ mật): only the drafter, the signer and its named readers, never by role alone.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import select

from edoc.accounts.models import Role, User
from edoc.core.db import chunked, db
from edoc.core.errors import NotAllowed, NotFound
from edoc.documents.models import Delivery, OutgoingDocument, Status

PUBLISHED = frozenset({Status.ISSUED, Status.RECALLED, Status.REPLACED})
"""Issued, whatever happened since: numbered, in the register, delivered."""
PUBLISHED_VALUES = tuple(sorted(s.value for s in PUBLISHED))
"""``PUBLISHED`` as the status column stores it, for queries (``OutgoingDocument.status.in_(...)``)."""
_AFTER_SUBMIT = {Status.SUBMITTED, Status.APPROVED, Status.RETURNED, *PUBLISHED}


def is_named_reader(user: User, doc: OutgoingDocument) -> bool:
    return any(r.user_id == user.id for r in doc.readers)


def is_recipient(user: User, doc: OutgoingDocument) -> bool:
    return db.session.execute(
        select(Delivery.id).where(Delivery.document_id == doc.id, Delivery.user_id == user.id)
    ).first() is not None


def can_view(user: User, doc: OutgoingDocument, *, received: Collection[int] | None = None) -> bool:
    """``received``: the ids of documents delivered to ``user``, when the caller asked once for many documents
    (``viewable_among``); otherwise asked here."""
    if not user.is_authenticated or user.organisation_id != doc.organisation_id:
        return False
    status = doc.status_enum
    if doc.drafter_id == user.id or is_named_reader(user, doc):
        return True
    if doc.signer_id == user.id and status in _AFTER_SUBMIT:
        return True
    if not doc.is_secret and user.has_role(Role.CLERK) and status in {Status.APPROVED, *PUBLISHED}:
        return True
    # a secret document reaches a recipient only if delivered, and it is delivered only to named readers
    if status not in PUBLISHED:
        return False
    return doc.id in received if received is not None else is_recipient(user, doc)


def viewable_among(user: User, docs: Iterable[OutgoingDocument]) -> set[int]:
    """The ids of ``docs`` that ``user`` may view (``can_view``), asking what was delivered to them once per
    ``chunked`` slice of ids rather than once per document: a register of a year is hundreds of rows, thousands in
    a big organisation. The register shows only these rows in full."""
    docs = list(docs)
    received: set[int] = set()
    for ids in chunked(sorted({d.id for d in docs})):  # a bind parameter per id: a big year is asked in slices
        received.update(db.session.execute(select(Delivery.document_id).where(
            Delivery.user_id == user.id, Delivery.document_id.in_(ids))).scalars())
    return {d.id for d in docs if can_view(user, d, received=received)}


def reader_keys(doc: OutgoingDocument) -> set[str]:
    """``can_view`` as the keys search checks in SQL (``edoc.search``: ``u:<user id>``, ``r:<role>``, within the
    document's organisation): the same rules, written for a whole index instead of one user. A secret document
    gets no role key, only its people. ``tests/search`` checks the two agree for every user and document."""
    status = doc.status_enum
    keys = {f"u:{doc.drafter_id}", *(f"u:{r.user_id}" for r in doc.readers)}
    if doc.signer_id is not None and status in _AFTER_SUBMIT:
        keys.add(f"u:{doc.signer_id}")
    if not doc.is_secret and status in {Status.APPROVED, *PUBLISHED}:
        keys.add(f"r:{Role.CLERK.value}")
    if status in PUBLISHED:
        keys.update(f"u:{u}" for u in db.session.execute(
            select(Delivery.user_id).where(Delivery.document_id == doc.id)).scalars())
    return keys


def can_edit(user: User, doc: OutgoingDocument) -> bool:
    return doc.drafter_id == user.id and doc.status_enum in {Status.DRAFT, Status.RETURNED}


def cannot_edit_message(doc: OutgoingDocument) -> str:
    """Why ``can_edit`` said no, in the words the drafter needs."""
    if doc.status_enum in PUBLISHED:
        return "Văn bản đã ban hành không được sửa. Hãy thu hồi hoặc ban hành văn bản thay thế."
    return "Chỉ người soạn thảo được sửa dự thảo khi chưa trình ký."


def require_edit(user: User, doc: OutgoingDocument) -> None:
    require(can_edit(user, doc), cannot_edit_message(doc))


def can_comment(user: User, doc: OutgoingDocument) -> bool:
    if doc.status_enum not in {Status.DRAFT, Status.RETURNED, Status.SUBMITTED}:
        return False
    return doc.drafter_id == user.id or doc.signer_id == user.id or any(
        r.user_id == user.id and r.can_review for r in doc.readers)


def can_submit(user: User, doc: OutgoingDocument) -> bool:
    return can_edit(user, doc)


def can_decide(user: User, doc: OutgoingDocument) -> bool:
    """Approve or return: the intended signer, while it waits for them."""
    return doc.signer_id == user.id and doc.status_enum is Status.SUBMITTED


def can_issue(user: User, doc: OutgoingDocument) -> bool:
    return (user.has_role(Role.CLERK) and doc.status_enum is Status.APPROVED and can_view(user, doc)
            and user.organisation_id == doc.organisation_id)


def can_recall(user: User, doc: OutgoingDocument) -> bool:
    return doc.status_enum is Status.ISSUED and can_view(user, doc) and (
        user.has_role(Role.CLERK) or doc.signer_id == user.id)


def can_replace(user: User, doc: OutgoingDocument) -> bool:
    return doc.status_enum in {Status.ISSUED, Status.RECALLED} and can_view(user, doc) and (
        doc.drafter_id == user.id or user.has_role(Role.CLERK) or user.has_role(Role.SPECIALIST))


def can_see_delivery(user: User, doc: OutgoingDocument) -> bool:
    """Per-recipient delivery and read status: for the clerk, the drafter and the signer, not for every recipient
    (who received a document and when they read it is the sender's business)."""
    if not can_view(user, doc):
        return False
    return doc.drafter_id == user.id or doc.signer_id == user.id or user.has_role(Role.CLERK)


def can_copy(user: User, doc: OutgoingDocument) -> bool:
    """Make a bản sao y / trích sao / sao lục: the clerk, of a document in force (issued, not recalled)."""
    return user.has_role(Role.CLERK) and doc.status_enum is Status.ISSUED and can_view(user, doc)


def can_dispatch(user: User, doc: OutgoingDocument) -> bool:
    """Send again to external recipients whose e-mail failed: the clerk, once issued."""
    return user.has_role(Role.CLERK) and doc.status_enum in PUBLISHED and can_view(user, doc)


def viewable(user: User, doc_id: int) -> OutgoingDocument:
    """The document if the user may see it; unknown and forbidden look the same (404)."""
    doc = db.session.get(OutgoingDocument, doc_id)
    if doc is None or not can_view(user, doc):
        raise NotFound("Không tìm thấy văn bản, hoặc bạn không có quyền xem văn bản này.")
    return doc


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise NotAllowed(message)
