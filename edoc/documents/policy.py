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
from edoc.core.errors import Conflict, DomainError, NotAllowed, NotFound
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


DRAFTING_ROLES = (Role.SPECIALIST, Role.SECRETARY, Role.CLERK, Role.LEADER)
"""Who drafts outgoing documents; a delegate (đại biểu) or an admin alone does not."""
CANNOT_DRAFT = ("Bạn không có vai trò soạn thảo văn bản (chuyên viên, thư ký, văn thư, lãnh đạo); nếu công việc cần, "
                "hãy đề nghị quản trị viên bổ sung vai trò.")


def can_draft(user: User) -> bool:
    return user.is_authenticated and any(user.has_role(r) for r in DRAFTING_ROLES)


def can_see_contacts(user: User) -> bool:
    """The directory of external recipients: for those who choose recipients (drafters) and keep it (clerks)."""
    return can_draft(user)


def boxes_for(user: User) -> list[str]:
    """The documents page's boxes (``service.BOXES``) that mean something for ``user``'s roles: drafts for those
    who draft, approval for leaders, issuing for clerks, what was issued for those who keep or oversee it, and
    what they received for everyone."""
    boxes = []
    if can_draft(user):
        boxes.append("mine")
    if user.has_role(Role.LEADER):
        boxes.append("to_sign")
    if user.has_role(Role.CLERK):
        boxes.append("to_issue")
    boxes.append("inbox")
    if user.has_role(Role.CLERK) or user.has_role(Role.LEADER):
        boxes.append("issued")
    return boxes


def can_see_drafts(user: User, doc: OutgoingDocument) -> bool:
    """The draft's versions, their files and review comments: for those who worked on it (drafter, named readers,
    signer, the clerk who issues it), not for someone who only received it: a recipient reads what was issued."""
    if not can_view(user, doc):
        return False
    if doc.drafter_id == user.id or doc.signer_id == user.id or is_named_reader(user, doc):
        return True
    return not doc.is_secret and user.has_role(Role.CLERK)


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


def can_sign(user: User, doc: OutgoingDocument) -> bool:
    """The signer signs digitally the approved version, once; a document the clerk recorded as signed on paper
    (its scan kept) has its signature already."""
    return (doc.signer_id == user.id and doc.status_enum is Status.APPROVED and doc.signed_file_id is None
            and doc.paper_scan_file_id is None)


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


STALE = " Trang bạn đang xem đã cũ: tải lại trang để thấy trạng thái hiện tại."
"""Said after every refusal that a page opened before someone else acted would meet."""

_DONE_ELSEWHERE = {
    Status.SUBMITTED: "Dự thảo đã được trình ký ở một phiên khác.",
    Status.APPROVED: "Văn bản đã được duyệt ở một phiên khác.",
    Status.RETURNED: "Dự thảo đã được trả lại ở một phiên khác.",
    Status.ISSUED: "Văn bản đã được ban hành ở một phiên khác.",
    Status.RECALLED: "Văn bản đã được thu hồi ở một phiên khác.",
    Status.REPLACED: "Văn bản đã bị thay thế bởi một văn bản khác.",
}


def refusal(action: str, user: User, doc: OutgoingDocument) -> DomainError:
    """Why ``user`` may not ``action`` (submit, approve, return, issue, recall, copy) ``doc`` now, in the words they
    need. Someone whose role allows the action but whose page is older than the document (another tab, another
    person, a double click) is told what happened meanwhile, as a conflict (409), not that they lack the right:
    a signer whose draft was approved in another tab reads "đã được duyệt ở một phiên khác", not "only the
    signer may approve"."""
    status = doc.status_enum
    elsewhere = _DONE_ELSEWHERE.get(status, "")
    if action == "submit":
        if doc.drafter_id == user.id and status not in {Status.DRAFT, Status.RETURNED}:
            return Conflict(elsewhere + STALE)
        return NotAllowed("Chỉ người soạn thảo được trình ký dự thảo của mình.")
    if action in {"approve", "return"}:
        if doc.signer_id == user.id and status is not Status.SUBMITTED:
            if status in {Status.DRAFT}:
                return Conflict("Dự thảo chưa được trình ký (người soạn đang sửa)." + STALE)
            return Conflict(elsewhere + STALE)
        verb = "duyệt" if action == "approve" else "trả lại"
        return NotAllowed(f"Chỉ người ký được {verb} văn bản đang chờ mình.")
    if action == "issue":
        if not user.has_role(Role.CLERK):
            return NotAllowed("Chỉ văn thư được cấp số và ban hành văn bản.")
        if status in PUBLISHED:
            return Conflict(elsewhere + STALE)
        return Conflict(f"Văn bản chưa được người có thẩm quyền duyệt (đang ở trạng thái “{doc.status_label}”).")
    if action == "recall":
        if (user.has_role(Role.CLERK) or doc.signer_id == user.id) and status in {Status.RECALLED,
                                                                                  Status.REPLACED}:
            return Conflict(elsewhere + STALE)
        return NotAllowed("Chỉ văn thư hoặc người ký được thu hồi văn bản đã ban hành.")
    if action == "copy":
        if user.has_role(Role.CLERK) and status in {Status.RECALLED, Status.REPLACED}:
            return Conflict(f"Văn bản {doc.reference} đã bị thu hồi hoặc thay thế nên không còn hiệu lực: không cấp "
                            "bản sao của nó." + (" Hãy sao văn bản thay thế." if status is Status.REPLACED else ""))
        return NotAllowed("Chỉ văn thư cấp số bản sao của văn bản đã ban hành.")
    return NotAllowed("Bạn không được thực hiện thao tác này với văn bản.")


_ALLOWED = {"submit": can_submit, "approve": can_decide, "return": can_decide, "issue": can_issue,
            "recall": can_recall, "copy": can_copy}


def require_action(action: str, user: User, doc: OutgoingDocument) -> None:
    """Refuse ``action`` unless ``user`` may do it to ``doc`` now, with ``refusal``'s reason."""
    if not _ALLOWED[action](user, doc):
        raise refusal(action, user, doc)
