"""Drafting (soạn thảo): what the drafter sets, checked; a draft and each new version; comments and attachments.

Every change of state of a document goes through one function of this package's modules (drafting, review,
issuing, recall, copies); each validates, authorises (``policy``), writes in the caller's transaction, appends the
audit entry and queues the realtime events, which leave after the commit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from sqlalchemy import select

from edoc.accounts.models import Role, User
from edoc.audit.service import record
from edoc.contacts.models import Contact
from edoc.core.db import db, locked
from edoc.core.errors import Conflict, NotAllowed, ValidationFailed
from edoc.core.text import clean
from edoc.documents import policy
from edoc.documents.models import (
    Attachment,
    Authority,
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
from edoc.notifications.service import notify
from edoc.organisations.models import Organisation, Unit
from edoc.registers.models import Register, RegisterKind
from edoc.registers.types import TypeKind, build_notation, get_type

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
    data.recipients = [validate_recipient(org_id, r) for r in data.recipients]
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
        require_issuing_clerk(org_id, [actor.id, data.signer_id, *data.reader_ids])
    data.note = clean(data.note)
    return data


SECRET_NEEDS_CLERK = ("Văn bản mật chỉ những người có tên được xem, nên văn thư cấp số và ban hành phải có tên: "
                      "thêm một văn thư đang làm việc của cơ quan vào danh sách người xem.")


def require_issuing_clerk(org_id: int, people: Iterable[int | None]) -> None:
    """A secret document is seen only by its drafter, its signer and its named readers (``policy.can_view``); if
    none of them is an active clerk, nobody can issue it and it would wait for ever once approved. Refused while
    it can still be fixed (drafting, submitting), not discovered after approval."""
    ids = {i for i in people if i is not None}
    users = db.session.execute(select(User).where(User.id.in_(ids), User.organisation_id == org_id,
                                                  User.active.is_(True))).scalars() if ids else []
    if not any(u.has_role(Role.CLERK) for u in users):
        raise ValidationFailed(SECRET_NEEDS_CLERK, field="reader_ids")


def validate_recipient(org_id: int, r: RecipientData) -> RecipientData:
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


class DraftChanged(Conflict):
    """Someone saved a version of the draft after the one the form was opened on (two people, or two tabs, editing
    at once): the second save is refused with the version it would have overwritten, so that the page can show
    both."""

    def __init__(self, version: DocumentVersion) -> None:
        super().__init__(f"{version.created_by.full_name} đã lưu phiên bản {version.number} của dự thảo trong khi bạn "
                         "đang sửa; bản của bạn chưa được lưu. Xem hai bản, sửa lại rồi lưu.", field="base_version")
        self.version = version


def update_draft(actor: User, doc: OutgoingDocument, data: DraftData, *, source: str = "structured",
                 source_file: StoredFile | None = None, pdf_file: StoredFile | None = None,
                 expected_version: int | None = None) -> DocumentVersion:
    """A new version; the earlier ones stay as they were. ``expected_version``: the version the editor's form was
    opened on (optimistic concurrency): if another was saved since, ``DraftChanged``. The row is locked first, so
    of two saves at once the second sees the first's version."""
    doc = locked(doc)
    policy.require(policy.can_edit(actor, doc), policy.cannot_edit_message(doc))
    if expected_version is not None:
        latest = db.session.execute(select(DocumentVersion).where(DocumentVersion.document_id == doc.id)
                                    .order_by(DocumentVersion.number.desc()).limit(1)).scalar_one_or_none()
        if latest is not None and latest.number != expected_version:
            raise DraftChanged(latest)
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


def possible_signers(organisation_id: int) -> list[User]:
    """Leaders of the organisation, active: who a draft may be submitted to."""
    users = db.session.execute(select(User).where(User.organisation_id == organisation_id, User.active.is_(True))
                               .order_by(User.full_name)).scalars()
    return [u for u in users if u.has_role(Role.LEADER)]
