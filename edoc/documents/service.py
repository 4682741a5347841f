"""Every change of state of an outgoing document goes through one function here.

Each validates, authorises (``policy``), writes in one transaction, appends the audit entry and queues the
realtime events, which leave after the commit.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import selectinload

from edoc.accounts.models import Role, User
from edoc.audit.service import record
from edoc.core.clock import vietnam_time
from edoc.core.db import chunked, db, utcnow
from edoc.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from edoc.core.forms import parse_int, parse_optional_id
from edoc.core.text import clean
from edoc.documents import policy, sources
from edoc.documents.models import (
    Attachment,
    Authority,
    Contact,
    Delivery,
    DocumentVersion,
    NamedReader,
    OutgoingDocument,
    Recipient,
    RecipientKind,
    RecipientPurpose,
    ReviewComment,
    Secrecy,
    Status,
    Urgency,
)
from edoc.files.models import StoredFile
from edoc.files.service import store_bytes
from edoc.notifications.service import notify
from edoc.organisations.models import Organisation, Unit
from edoc.realtime.events import emit_after_commit, user_room
from edoc.registers.models import Register, RegisterKind
from edoc.registers.numbering import take_next_number
from edoc.registers.types import TypeKind, build_notation, get_type

log = logging.getLogger(__name__)
DRAFTING_ROLES = (Role.SPECIALIST, Role.SECRETARY, Role.CLERK, Role.LEADER)


@dataclass
class RecipientData:
    kind: str
    purpose: str
    unit_id: int | None = None
    user_id: int | None = None
    contact_id: int | None = None
    label: str = ""


@dataclass
class DraftData:
    """Everything the drafter sets; strings are NFC-normalised and stripped on the way in."""

    type_code: str
    summary: str
    body: str = ""
    secrecy: str = ""
    urgency: str = ""
    drafting_unit_id: int | None = None
    signer_id: int | None = None
    signer_authority: str = ""
    signer_authority_line: str = ""
    signer_title: str = ""
    kinh_gui: str = ""
    copies: int = 1
    recipients: list[RecipientData] = field(default_factory=list)
    reader_ids: list[int] = field(default_factory=list)
    note: str = ""
    register_id: int | None = None
    """The register the number will come from, chosen while drafting because it decides what is printed (the
    issuing body in the header, the ký hiệu): None means the general register, or the secret one for a
    document with độ mật."""


# --- validation ----------------------------------------------------------------------------------------

def _enum_value(enum_cls: type, raw: str, field_name: str, message: str) -> str:
    value = clean(raw)
    try:
        return str(enum_cls(value).value)
    except ValueError:
        raise ValidationFailed(message, field=field_name) from None


def _validate(actor: User, data: DraftData) -> DraftData:
    org_id = actor.organisation_id
    data.type_code = clean(data.type_code)
    doc_type = get_type(data.type_code)
    if doc_type is None or doc_type.kind is TypeKind.COPY:
        raise ValidationFailed("Loại văn bản không hợp lệ.", field="type_code")
    data.summary = clean(data.summary)
    if not data.summary:
        raise ValidationFailed("Trích yếu nội dung không được để trống.", field="summary")
    if len(data.summary) > 1000:
        raise ValidationFailed("Trích yếu quá dài (tối đa 1000 ký tự).", field="summary")
    data.body = clean(data.body).replace("\r\n", "\n")
    data.secrecy = _enum_value(Secrecy, data.secrecy, "secrecy", "Độ mật không hợp lệ.")
    data.urgency = _enum_value(Urgency, data.urgency, "urgency", "Độ khẩn không hợp lệ.")
    data.signer_authority = _enum_value(Authority, data.signer_authority, "signer_authority",
                                        "Thẩm quyền ký không hợp lệ (TM., KT., TL., TUQ., Q.).")
    data.signer_authority_line = clean(data.signer_authority_line).upper()
    data.signer_title = clean(data.signer_title).upper()
    data.kinh_gui = clean(data.kinh_gui)
    if data.signer_id is None:
        raise ValidationFailed("Chưa chọn người ký.", field="signer_id")
    signer = db.session.get(User, data.signer_id)
    if signer is None or signer.organisation_id != org_id or not signer.active or not signer.has_role(Role.LEADER):
        raise ValidationFailed("Người ký phải là lãnh đạo đang hoạt động của cơ quan.", field="signer_id")
    if not data.signer_title:
        data.signer_title = signer.title.upper()
    if data.signer_authority and not data.signer_authority_line:
        raise ValidationFailed(f"Ghi rõ thẩm quyền sau “{data.signer_authority}” (ví dụ: BAN THƯỜNG VỤ).",
                               field="signer_authority_line")
    if data.drafting_unit_id is None:
        data.drafting_unit_id = actor.unit_id  # the drafter's own unit, as the form proposes
    if data.drafting_unit_id is not None:
        unit = db.session.get(Unit, data.drafting_unit_id)
        if unit is None or unit.organisation_id != org_id:
            raise ValidationFailed("Đơn vị soạn thảo không thuộc cơ quan.", field="drafting_unit_id")
    if not 1 <= data.copies <= 1000:
        raise ValidationFailed("Số lượng bản phải từ 1 đến 1000.", field="copies")
    data.register_id = draft_register(org_id, data.register_id, secret=bool(data.secrecy)).id
    data.recipients = [_validate_recipient(org_id, r) for r in data.recipients]
    if data.secrecy and any(r.kind == RecipientKind.EXTERNAL for r in data.recipients):
        # e-mail and the exchange network are no channel for state secrets: refused here, not at dispatch
        raise ValidationFailed("Văn bản mật không được gửi ra ngoài qua hệ thống (e-mail, trục liên thông): bỏ nơi "
                               "nhận bên ngoài và chuyển văn bản mật theo quy định về bảo vệ bí mật nhà nước.",
                               field="recipients")
    for reader_id in data.reader_ids:
        reader = db.session.get(User, reader_id)
        if reader is None or reader.organisation_id != org_id:
            raise ValidationFailed("Người xem/góp ý không thuộc cơ quan.", field="reader_ids")
    if data.secrecy:
        _require_issuing_clerk(org_id, [actor.id, data.signer_id, *data.reader_ids])
    data.note = clean(data.note)
    return data


SECRET_NEEDS_CLERK = ("Văn bản mật chỉ những người có tên được xem, nên văn thư cấp số và ban hành phải có tên: "
                      "thêm một văn thư đang làm việc của cơ quan vào danh sách người xem.")


def _require_issuing_clerk(org_id: int, people: Iterable[int | None]) -> None:
    """A secret document is seen only by its drafter, its signer and its named readers (``policy.can_view``); if
    none of them is an active clerk, nobody can issue it and it would wait for ever once approved. Refused while
    it can still be fixed (drafting, submitting), not discovered after approval."""
    ids = {i for i in people if i is not None}
    users = db.session.execute(select(User).where(User.id.in_(ids), User.organisation_id == org_id,
                                                  User.active.is_(True))).scalars() if ids else []
    if not any(u.has_role(Role.CLERK) for u in users):
        raise ValidationFailed(SECRET_NEEDS_CLERK, field="reader_ids")


def _validate_recipient(org_id: int, r: RecipientData) -> RecipientData:
    r.kind = _enum_value(RecipientKind, r.kind, "recipients", "Loại nơi nhận không hợp lệ.")
    r.purpose = _enum_value(RecipientPurpose, r.purpose, "recipients", "Mục đích gửi không hợp lệ.")
    r.label = clean(r.label)
    if r.purpose == RecipientPurpose.ARCHIVE and r.kind == RecipientKind.EXTERNAL:
        raise ValidationFailed("Bản lưu (Lưu) chỉ giao cho văn thư, đơn vị hoặc người trong cơ quan.",
                               field="recipients")
    if r.kind == RecipientKind.UNIT:
        unit = db.session.get(Unit, r.unit_id) if r.unit_id else None
        if unit is None or unit.organisation_id != org_id:
            raise ValidationFailed("Đơn vị nhận không thuộc cơ quan.", field="recipients")
        r.label = r.label or unit.name
    elif r.kind == RecipientKind.USER:
        user = db.session.get(User, r.user_id) if r.user_id else None
        if user is None or user.organisation_id != org_id:
            raise ValidationFailed("Người nhận không thuộc cơ quan.", field="recipients")
        r.label = r.label or (f"{user.full_name}, {user.title}" if user.title else user.full_name)
    else:
        contact = db.session.get(Contact, r.contact_id) if r.contact_id else None
        if contact is None or contact.organisation_id != org_id or not contact.active:
            # Another organisation's private directory entry is refused like an unknown one.
            raise ValidationFailed("Nơi nhận bên ngoài không có trong danh bạ của cơ quan.", field="recipients")
        r.label = r.label or contact.short_name or contact.name
    return r


# --- drafting ------------------------------------------------------------------------------------------

def _apply(doc: OutgoingDocument, data: DraftData) -> None:
    doc.type_code, doc.summary, doc.body = data.type_code, data.summary, data.body
    doc.secrecy, doc.urgency = data.secrecy, data.urgency
    doc.drafting_unit_id, doc.signer_id = data.drafting_unit_id, data.signer_id
    doc.register_id = data.register_id
    doc.register = db.session.get(Register, data.register_id) if data.register_id is not None else None
    doc.signer_authority, doc.signer_authority_line = data.signer_authority, data.signer_authority_line
    doc.signer_title, doc.kinh_gui, doc.copies = data.signer_title, data.kinh_gui, data.copies
    for old in list(doc.recipients):
        db.session.delete(old)
    doc.recipients = [
        Recipient(position=i, kind=r.kind, purpose=r.purpose, unit_id=r.unit_id if r.kind == "unit" else None,
                  user_id=r.user_id if r.kind == "user" else None,
                  contact_id=r.contact_id if r.kind == "external" else None, label=r.label)
        for i, r in enumerate(data.recipients)
    ]
    # readers who stay keep their row: deleting and adding (document, user) again in one flush inserts before it
    # deletes, and the unique constraint refused every edit of a draft that kept its named readers
    wanted = list(dict.fromkeys(data.reader_ids))
    kept = {r.user_id: r for r in doc.readers if r.user_id in wanted}
    for old_reader in doc.readers:
        if old_reader.user_id not in kept:
            db.session.delete(old_reader)
    doc.readers = [kept.get(uid) or NamedReader(user_id=uid) for uid in wanted]


def _snapshot(data: DraftData) -> str:
    payload = asdict(data)
    payload.pop("note", None)
    return json.dumps(payload, ensure_ascii=False, sort_keys=True)


def _add_version(actor: User, doc: OutgoingDocument, data: DraftData, source: str,
                 source_file: StoredFile | None, pdf_file: StoredFile | None) -> DocumentVersion:
    number = len(doc.versions) + 1
    version = DocumentVersion(number=number, source=source, content=_snapshot(data), note=data.note,
                              source_file_id=source_file.id if source_file else None,
                              pdf_file_id=pdf_file.id if pdf_file else None, created_by_id=actor.id)
    doc.versions.append(version)
    return version


def create_draft(actor: User, data: DraftData, *, source: str = "structured",
                 source_file: StoredFile | None = None, pdf_file: StoredFile | None = None) -> OutgoingDocument:
    if not any(actor.has_role(r) for r in DRAFTING_ROLES):
        raise NotAllowed("Bạn không có vai trò soạn thảo văn bản.")
    data = _validate(actor, data)
    doc = OutgoingDocument(organisation_id=actor.organisation_id, organisation=actor.organisation,
                           drafter_id=actor.id, status=Status.DRAFT.value, type_code=data.type_code,
                           summary=data.summary)
    _apply(doc, data)
    doc.notation = _notation(doc)
    db.session.add(doc)
    db.session.flush()
    _add_version(actor, doc, data, source, source_file, pdf_file)
    record("document.create", doc, actor=actor, changes={"type": doc.type_code, "summary": doc.summary})
    return doc


def update_draft(actor: User, doc: OutgoingDocument, data: DraftData, *, source: str = "structured",
                 source_file: StoredFile | None = None, pdf_file: StoredFile | None = None) -> DocumentVersion:
    """A new version; the earlier ones stay as they were."""
    policy.require(policy.can_edit(actor, doc), policy.cannot_edit_message(doc))
    if data.drafting_unit_id is None:
        data.drafting_unit_id = doc.drafting_unit_id  # a version that does not name the unit keeps it
    data = _validate(actor, data)
    _apply(doc, data)
    doc.notation = _notation(doc)
    version = _add_version(actor, doc, data, source, source_file, pdf_file)
    record("document.version", doc, actor=actor, changes={"version": version.number, "source": source})
    return version


def add_comment(actor: User, doc: OutgoingDocument, text: str) -> ReviewComment:
    policy.require(policy.can_comment(actor, doc), "Bạn không được góp ý vào dự thảo này.")
    text = clean(text)
    if not text:
        raise ValidationFailed("Nội dung góp ý không được để trống.", field="text")
    comment = ReviewComment(document_id=doc.id, version_number=len(doc.versions), author_id=actor.id,
                            text=text[:5000])
    db.session.add(comment)
    record("document.comment", doc, actor=actor, changes={"version": comment.version_number})
    for uid in {doc.drafter_id, *(r.user_id for r in doc.readers)} - {actor.id}:
        notify(uid, "document", f"{actor.full_name} góp ý dự thảo: {doc.summary[:80]}", f"/documents/{doc.id}")
    return comment


def add_attachment(actor: User, doc: OutgoingDocument, file: StoredFile, title: str) -> Attachment:
    policy.require(policy.can_edit(actor, doc), policy.cannot_edit_message(doc))
    title = clean(title) or file.original_name
    attachment = Attachment(document_id=doc.id, file_id=file.id, title=title[:255], position=len(doc.attachments))
    db.session.add(attachment)
    record("document.attachment", doc, actor=actor, changes={"file_id": file.id, "title": title})
    return attachment


# --- review and approval -------------------------------------------------------------------------------

def submit(actor: User, doc: OutgoingDocument) -> None:
    policy.require(policy.can_submit(actor, doc), "Chỉ người soạn thảo được trình ký dự thảo của mình.")
    if doc.is_secret:
        # checked again: the clerk named while drafting may have left or changed role since
        _require_issuing_clerk(doc.organisation_id, [doc.drafter_id, doc.signer_id, *(r.user_id for r in doc.readers)])
    doc.status = Status.SUBMITTED.value
    doc.return_reason = ""
    record("document.submit", doc, actor=actor, changes={"signer_id": doc.signer_id})
    assert doc.signer_id is not None
    notify(doc.signer_id, "document", f"Trình ký: {doc.summary[:100]}", f"/documents/{doc.id}")


def approve(actor: User, doc: OutgoingDocument) -> None:
    policy.require(policy.can_decide(actor, doc), "Chỉ người ký được duyệt văn bản đang chờ mình.")
    doc.status = Status.APPROVED.value
    record("document.approve", doc, actor=actor)
    notify(doc.drafter_id, "document", f"Đã duyệt: {doc.summary[:100]}", f"/documents/{doc.id}")
    for clerk in _clerks(doc):
        notify(clerk.id, "document", f"Chờ ban hành: {doc.summary[:100]}", f"/documents/{doc.id}")


def return_draft(actor: User, doc: OutgoingDocument, reason: str) -> None:
    policy.require(policy.can_decide(actor, doc), "Chỉ người ký được trả lại văn bản đang chờ mình.")
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


# --- issuing -------------------------------------------------------------------------------------------

def _notation(doc: OutgoingDocument) -> str:
    """Ký hiệu from the document's register (an advisory body has its own abbreviation) and, for a công văn,
    the drafting unit's abbreviation when the organisation numbers them so (Appendix I, II.3.b)."""
    doc_type = get_type(doc.type_code)
    assert doc_type is not None
    register = db.session.get(Register, doc.register_id) if doc.register_id is not None else None
    organisation = db.session.get(Organisation, doc.organisation_id)
    assert organisation is not None
    issuer = register.issuer() if register is not None else organisation.abbreviation
    unit_abbreviation = None
    advisory = register is not None and register.kind_enum is RegisterKind.ADVISORY
    if doc_type.kind is TypeKind.CONG_VAN and organisation.cong_van_with_unit and not advisory:
        unit = db.session.get(Unit, doc.drafting_unit_id) if doc.drafting_unit_id is not None else None
        unit_abbreviation = unit.abbreviation if unit is not None else None
    return build_notation(doc_type, issuer, unit_abbreviation)


OUTGOING_KINDS = (RegisterKind.OUTGOING, RegisterKind.SECRET, RegisterKind.ADVISORY)


def draft_register(org_id: int, register_id: int | None, *, secret: bool) -> Register:
    """The register a draft will be numbered in: the one chosen, checked, or the default (general, or secret
    for a document with độ mật)."""
    if register_id is not None:
        register = db.session.get(Register, register_id)
        if register is None or register.organisation_id != org_id or not register.active:
            raise ValidationFailed("Sổ đăng ký không tồn tại.", field="register_id")
    else:
        wanted = RegisterKind.SECRET if secret else RegisterKind.OUTGOING
        register = db.session.execute(
            select(Register).where(Register.organisation_id == org_id, Register.kind == wanted.value,
                                   Register.active.is_(True)).order_by(Register.id)
        ).scalars().first()
        if register is None:
            raise ValidationFailed("Cơ quan chưa có sổ đăng ký phù hợp; quản trị viên cần tạo sổ.",
                                   field="register_id")
    kind = register.kind_enum
    if kind not in OUTGOING_KINDS:
        raise ValidationFailed("Sổ này không dùng để cấp số văn bản đi.", field="register_id")
    if secret != (kind is RegisterKind.SECRET):
        raise ValidationFailed("Văn bản mật phải lấy số ở sổ văn bản mật, và chỉ văn bản mật.", field="register_id")
    return register


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


def _lock(doc: OutgoingDocument) -> OutgoingDocument:
    locked = db.session.execute(
        select(OutgoingDocument).where(OutgoingDocument.id == doc.id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    return locked


def issue(actor: User, doc: OutgoingDocument, *, register_id: int | None = None,
          at: datetime | None = None) -> OutgoingDocument:
    """Number, date, register and deliver the document, in one transaction (the caller commits).

    The document row is locked first, so a double submission finds it issued and gets its number back as a
    conflict instead of a second number.
    """
    doc = _lock(doc)
    if doc.status_enum in policy.PUBLISHED:
        raise Conflict(f"Văn bản đã được ban hành với số {doc.reference}, ngày {doc.issued_on:%d/%m/%Y}.")
    if not user_is_clerk(actor):
        raise NotAllowed("Chỉ văn thư được cấp số và ban hành văn bản.")
    policy.require(policy.can_issue(actor, doc), "Văn bản chưa được người có thẩm quyền duyệt.")
    replaced = _lock_replaced(doc)
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
        _notify_recipients(replaced, f"Văn bản {replaced.reference} đã được thay thế bởi văn bản "
                                     f"{doc.reference}", actor=actor)
        for recipient in replaced.recipients:
            if recipient.kind == RecipientKind.EXTERNAL:
                recipient.recall_notice = "pending"  # e-mailed after the commit, as a recall notice is
    _deliver(doc)
    record("document.issue", doc, actor=actor, changes={
        "register_id": register.id, "year": local.year, "number": number, "reference": doc.reference})
    return doc


def _lock_replaced(doc: OutgoingDocument) -> OutgoingDocument | None:
    """The document ``doc`` replaces, locked for the rest of the issuing transaction, or None. Two replacement
    drafts of one document may both be approved; the lock makes their issues take turns, and the second finds
    the document already replaced and is refused before it takes a number."""
    if doc.replaces_id is None:
        return None
    old = db.session.get(OutgoingDocument, doc.replaces_id)
    assert old is not None
    old = _lock(old)
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


def issue_document(actor: User, doc: OutgoingDocument, *, register_id: int | None = None,
                   at: datetime | None = None) -> OutgoingDocument:
    """The clerk's one action, as pages and API call it: number and deliver (``issue``), fill the number and date
    into the signed PDF and apply the organisation's signature (``sources.finalise_issued``) in the same
    transaction, so a refusal at any step rolls the number back; commit; then hand external recipients (and those
    of the document it replaces) to the dispatcher, outside the request's transaction. The issued file's signature
    report is kept last: it changes nothing the issue depends on, checking it under the register's lock would hold
    other clerks, and a failure there must neither keep the document from its recipients nor show the clerk an
    error for a document that is issued."""
    doc = issue(actor, doc, register_id=register_id, at=at)
    sources.finalise_issued(actor, doc)
    db.session.commit()
    sources.dispatch_external(doc)
    _keep_issued_report(actor, doc)
    return doc


def _keep_issued_report(actor: User, doc: OutgoingDocument) -> None:
    from edoc.signatures.service import record_issued

    doc_id, reference = doc.id, doc.reference  # read now: after a rollback they would be loaded again
    try:
        record_issued(actor, doc)
        db.session.commit()
    except Exception:  # whatever failed, the issue is committed and stands: only its kept report is missing
        db.session.rollback()
        log.exception("signature report of issued document %s (%s) not kept", doc_id, reference)


def user_is_clerk(user: User) -> bool:
    return user.has_role(Role.CLERK)


def _deliver(doc: OutgoingDocument) -> None:
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
        emit_after_commit(db.session, "document.read", {"document_id": doc.id, "user_id": user.id},
                          room=user_room(uid))  # type: ignore[arg-type]
    return True


# --- recall and replacement ----------------------------------------------------------------------------

def recall(actor: User, doc: OutgoingDocument, reason: str) -> None:
    """Recall in the caller's transaction: every internal recipient, the signer and the drafter are notified,
    external recipients are queued for a recall notice (sent by ``dispatch`` after the commit)."""
    policy.require(policy.can_recall(actor, doc), "Chỉ văn thư hoặc người ký được thu hồi văn bản đã ban hành.")
    reason = clean(reason)
    if not reason:
        raise ValidationFailed("Ghi rõ lý do thu hồi.", field="reason")
    doc = _lock(doc)
    if doc.status_enum is not Status.ISSUED:
        raise Conflict("Văn bản không ở trạng thái đã ban hành.")
    doc.status = Status.RECALLED.value
    doc.recall_reason = reason
    record("document.recall", doc, actor=actor, changes={"reason": reason})
    _notify_recipients(doc, f"THU HỒI văn bản {doc.reference}: {reason[:120]}", actor=actor)
    for recipient in doc.recipients:
        if recipient.kind == RecipientKind.EXTERNAL:
            recipient.recall_notice = "pending"


def recall_document(actor: User, doc: OutgoingDocument, reason: str) -> OutgoingDocument:
    """Recall, commit, then e-mail the recall notice to external recipients in the background."""
    recall(actor, doc, reason)
    db.session.commit()
    from edoc.documents import dispatch

    dispatch.start(doc, dispatch.RECALL)
    return doc


def _notify_recipients(doc: OutgoingDocument, text: str, *, actor: User | None = None) -> None:
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


def draft_data_of(doc: OutgoingDocument) -> DraftData:
    return DraftData(
        type_code=doc.type_code, summary=doc.summary, body=doc.body, secrecy=doc.secrecy, urgency=doc.urgency,
        drafting_unit_id=doc.drafting_unit_id, signer_id=doc.signer_id, signer_authority=doc.signer_authority,
        signer_authority_line=doc.signer_authority_line, signer_title=doc.signer_title, kinh_gui=doc.kinh_gui,
        copies=doc.copies, register_id=doc.register_id,
        recipients=[RecipientData(r.kind, r.purpose, r.unit_id, r.user_id, r.contact_id, r.label)
                    for r in doc.recipients],
        reader_ids=[r.user_id for r in doc.readers],
    )


# --- copies (bản sao y, trích sao, sao lục) -------------------------------------------------------------

def make_copy(actor: User, source: OutgoingDocument, form: str, *, signer_id: int | None = None,
              recipients: list[RecipientData] | None = None, copies: int = 1,
              at: datetime | None = None) -> OutgoingDocument:
    """A copy of an issued document, numbered in the copies register in the same transaction (one sequence for
    every copy form, Appendix I, Part II, II.1.c: ``05/SY-LĐLĐ``), with the copy block rendered as its PDF and
    delivered to its internal recipients. A sao lục is made from a bản sao y; the others from an original."""
    from edoc.rendering.copies import FORMS, CopySpec, render_copy
    from edoc.rendering.dates import date_line, number_str

    source = _lock(source)
    policy.require(policy.can_copy(actor, source), "Chỉ văn thư cấp số bản sao của văn bản đã ban hành.")
    doc_type = get_type(form)
    if doc_type is None or doc_type.kind is not TypeKind.COPY:
        raise ValidationFailed("Hình thức sao phải là SY (sao y), TrS (trích sao) hoặc SL (sao lục).", field="form")
    if source.is_secret:
        raise ValidationFailed("Văn bản mật được sao theo quy định về bảo vệ bí mật nhà nước, không sao trên hệ "
                               "thống.", field="form")
    source_is_copy = source.copy_of_id is not None
    if form == "SL" and source.type_code != "SY":
        raise ValidationFailed("Bản sao lục được sao từ bản sao y.", field="form")
    if form != "SL" and source_is_copy:
        raise ValidationFailed("Sao y, trích sao từ bản gốc hoặc bản chính, không từ một bản sao.", field="form")
    signer = db.session.get(User, signer_id or source.signer_id or 0)
    if signer is None or signer.organisation_id != actor.organisation_id or not signer.has_role(Role.LEADER):
        raise ValidationFailed("Người ký bản sao phải là lãnh đạo của cơ quan.", field="signer_id")
    if not 1 <= copies <= 1000:
        raise ValidationFailed("Số lượng bản phải từ 1 đến 1000.", field="copies")
    checked = [_validate_recipient(actor.organisation_id, r) for r in recipients or []]
    register = db.session.execute(select(Register).where(
        Register.organisation_id == actor.organisation_id, Register.kind == RegisterKind.COPIES.value,
        Register.active.is_(True)).order_by(Register.id)).scalars().first()
    if register is None:
        raise ValidationFailed("Cơ quan chưa có sổ bản sao; quản trị viên cần tạo sổ.", field="register_id")
    moment = at or utcnow()
    local = vietnam_time(moment)
    organisation = db.session.get(Organisation, actor.organisation_id)
    assert organisation is not None
    copy = OutgoingDocument(
        organisation_id=organisation.id, drafter_id=actor.id, status=Status.ISSUED.value, type_code=form,
        summary=source.summary, secrecy="", urgency="", signer_id=signer.id, signer_title=signer.title.upper(),
        register_id=register.id, copy_of_id=source.id, copies=copies,
        notation=build_notation(doc_type, organisation.abbreviation), drafting_unit_id=actor.unit_id,
        recipients=[Recipient(position=i, kind=r.kind, purpose=r.purpose, unit_id=r.unit_id, user_id=r.user_id,
                              contact_id=r.contact_id, label=r.label) for i, r in enumerate(checked)])
    db.session.add(copy)
    copy.year, copy.number = local.year, take_next_number(register, local.year)
    copy.issued_on, copy.issued_at, copy.issued_by_id = local.date(), moment, actor.id
    db.session.flush()
    source_type = get_type(source.type_code)
    spec = CopySpec(
        form=FORMS[form], organisation=organisation.name, number=number_str(copy.number), notation=copy.notation,
        date_line=date_line(organisation.place_name, local.date()), signer_lines=[signer.title.upper()],
        signer_name=signer.full_name, source_reference=source.reference,
        source_date=f"{source.issued_on:%d/%m/%Y}" if source.issued_on else "",
        source_body=organisation.name.title(), source_summary=(source_type.name if source_type else "") + " "
        + source.summary, recipients=[f"- {r.label};" for r in checked] + ["- Lưu: VT."])
    copy.issued_file_id = store_bytes(render_copy(spec), f"{copy.reference.replace('/', '-')}.pdf", uploader=actor,
                                      purpose="document", media_type="application/pdf").id
    _deliver(copy)
    record("document.copy", copy, actor=actor, changes={"of": source.id, "form": form, "reference": copy.reference})
    return copy


# --- the document's actions, as the page's buttons and the API's endpoints call them -----------------------

ACTIONS = ("submit", "approve", "return", "comment", "issue", "recall", "replace", "dispatch", "copy")


def perform(actor: User, doc: OutgoingDocument, action: str, fields: Mapping[str, Any]
            ) -> tuple[OutgoingDocument, str]:
    """One change of state of ``doc``, committed, with what to tell the user; ``fields`` are the form's or
    the JSON body's. Returns the document to show next (the new draft, for a replacement)."""
    from edoc.documents import dispatch

    if action == "submit":
        submit(actor, doc)
        message = "Đã trình ký."
    elif action == "approve":
        approve(actor, doc)
        message = "Đã duyệt văn bản."
    elif action == "return":
        return_draft(actor, doc, str(fields.get("reason") or ""))
        message = "Đã trả lại dự thảo."
    elif action == "comment":
        add_comment(actor, doc, str(fields.get("text") or ""))
        message = "Đã gửi góp ý."
    elif action == "issue":
        register_id = parse_optional_id(fields.get("register_id"), field="register_id")
        doc = issue_document(actor, doc, register_id=register_id)
        return doc, f"Đã ban hành văn bản số {doc.reference}."
    elif action == "recall":
        recall_document(actor, doc, str(fields.get("reason") or ""))
        return doc, "Đã thu hồi văn bản và thông báo cho nơi nhận."
    elif action == "replace":
        doc = start_replacement(actor, doc)
        message = "Đã tạo dự thảo thay thế. Hãy sửa nội dung rồi trình ký."
    elif action == "copy":
        copy = make_copy(actor, doc, str(fields.get("form") or "SY"),
                         signer_id=parse_optional_id(fields.get("signer_id"), field="signer_id"),
                         copies=parse_int(fields.get("copies") or 1, field="copies", minimum=1, maximum=1000,
                                          message="Số lượng bản phải từ 1 đến 1000."))
        db.session.commit()
        return copy, f"Đã cấp số bản sao {copy.reference}."
    elif action == "dispatch":
        count = dispatch.retry(actor, doc)
        db.session.commit()
        dispatch.start(doc, dispatch.ISSUE)
        dispatch.start(doc, dispatch.RECALL)
        return doc, f"Đang gửi lại {count} nơi nhận."
    else:
        raise NotFound("Không có thao tác này.")
    db.session.commit()
    return doc, message


# --- what the pages and the API show -------------------------------------------------------------------

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


def list_documents(user: User, box: str, *, limit: int = 300) -> list[OutgoingDocument]:
    """A box of the documents page (and of GET /documents): the query narrows, the policy has the last word."""
    rows = db.session.execute(select(OutgoingDocument).where(*_in_box(user, box))
                              .order_by(OutgoingDocument.updated_at.desc(), OutgoingDocument.id.desc())
                              .limit(limit)).scalars()
    return [d for d in rows if policy.can_view(user, d)]


def _awaiting_signature(user: User) -> list[ColumnElement[bool]]:
    return [OutgoingDocument.organisation_id == user.organisation_id, OutgoingDocument.signer_id == user.id,
            OutgoingDocument.status == Status.APPROVED.value, OutgoingDocument.signed_file_id.is_(None)]


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
    named readers, signer and drafter, ``_deliver``). Secret documents waiting to be issued are the exception:
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
    in_box = _in_box(clerk, "to_issue")
    secret = db.session.execute(select(OutgoingDocument).where(*in_box, OutgoingDocument.secrecy != "")
                                .options(selectinload(OutgoingDocument.readers))).scalars().all()
    return count(*in_box, OutgoingDocument.secrecy == "") + len(policy.viewable_among(clerk, secret))


def _unread(user: User) -> Select[tuple[int]]:
    """Documents delivered to ``user`` that they have not opened yet, as a query."""
    return select(Delivery.document_id).where(Delivery.user_id == user.id, Delivery.read_at.is_(None))


def unread_ids(user: User) -> set[int]:
    return set(db.session.execute(_unread(user)).scalars())


def possible_signers(organisation_id: int) -> list[User]:
    """Leaders of the organisation, active: who a draft may be submitted to."""
    users = db.session.execute(select(User).where(User.organisation_id == organisation_id, User.active.is_(True))
                               .order_by(User.full_name)).scalars()
    return [u for u in users if u.has_role(Role.LEADER)]

PURPOSE_LABELS = {RecipientPurpose.ACT.value: "Thực hiện (Kính gửi)",
                  RecipientPurpose.INFO.value: "Để biết, báo cáo, giám sát",
                  RecipientPurpose.ARCHIVE.value: "Lưu"}
DISPATCH_LABELS = {"pending": "Chờ gửi", "sending": "Đang gửi", "sent": "Đã gửi e-mail", "failed": "Gửi lỗi",
                   "manual": "Gửi thủ công"}


@dataclass
class PersonStatus:
    user_id: int
    name: str
    delivered_at: datetime
    read_at: datetime | None


@dataclass
class RecipientStatus:
    """One Nơi nhận line and, for those who may see it (``policy.can_see_delivery``), how far it got."""

    id: int
    label: str
    kind: str
    purpose: str
    purpose_label: str
    dispatch_status: str | None = None
    dispatch_label: str = ""
    dispatch_note: str = ""
    dispatched_at: datetime | None = None
    people: list[PersonStatus] = field(default_factory=list)

    @property
    def delivered(self) -> int:
        return len(self.people)

    @property
    def read(self) -> int:
        return sum(1 for p in self.people if p.read_at is not None)

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "label": self.label, "kind": self.kind, "purpose": self.purpose,
                "dispatch_status": self.dispatch_status, "dispatch_note": self.dispatch_note or None,
                "dispatched_at": self.dispatched_at.isoformat() if self.dispatched_at else None,
                "delivered": self.delivered, "read": self.read,
                "deliveries": [{"user_id": p.user_id, "name": p.name, "delivered_at": p.delivered_at.isoformat(),
                                "read_at": p.read_at.isoformat() if p.read_at else None} for p in self.people]}


def recipient_statuses(user: User, doc: OutgoingDocument) -> tuple[list[RecipientStatus], bool]:
    """The Nơi nhận lines, with delivery and read status when ``user`` may see them; (rows, status shown)."""
    shown = policy.can_see_delivery(user, doc)
    deliveries: dict[int, list[Delivery]] = {}
    if shown:
        for d in db.session.execute(select(Delivery).where(Delivery.document_id == doc.id)
                                    .order_by(Delivery.id)).scalars():
            deliveries.setdefault(d.recipient_id, []).append(d)
    rows = []
    for r in doc.recipients:
        row = RecipientStatus(r.id, r.label, r.kind, r.purpose, PURPOSE_LABELS.get(r.purpose, r.purpose))
        if shown:
            if r.kind == RecipientKind.EXTERNAL:
                row.dispatch_status = r.dispatch_status or None
                row.dispatch_label = DISPATCH_LABELS.get(r.dispatch_status, "—")
                row.dispatch_note, row.dispatched_at = r.dispatch_note, r.dispatched_at
            row.people = [PersonStatus(d.user_id, d.user.full_name, d.delivered_at, d.read_at)
                          for d in deliveries.get(r.id, [])]
        rows.append(row)
    return rows, shown
