"""Configuring registers and reading them back as the Decree's forms (Appendix IV)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from edoc.accounts.models import Role, User
from edoc.accounts.policy import require_admin_of
from edoc.audit.service import record
from edoc.core.clock import vietnam_time
from edoc.core.db import db
from edoc.core.errors import NotAllowed, NotFound, ValidationFailed
from edoc.core.text import clean
from edoc.organisations.models import Organisation
from edoc.registers.models import Register, RegisterKind

if TYPE_CHECKING:
    from edoc.documents.models import OutgoingDocument

DEFAULT_REGISTERS = [
    (RegisterKind.OUTGOING, "Sổ đăng ký văn bản đi", "", ""),
    (RegisterKind.SECRET, "Sổ đăng ký văn bản mật đi", "", ""),
    (RegisterKind.COPIES, "Sổ đăng ký bản sao văn bản", "", ""),
    (RegisterKind.INCOMING, "Sổ đăng ký văn bản đến", "", ""),
]


def create_register(actor: User | None, org: Organisation, kind: str, name: str, *,
                    issuer_abbreviation: str = "", issuer_name: str = "") -> Register:
    if actor is not None:
        require_admin_of(actor, org)
    try:
        kind_enum = RegisterKind(kind)
    except ValueError:
        raise ValidationFailed("Loại sổ không hợp lệ.", field="kind") from None
    name = clean(name)
    if not name:
        raise ValidationFailed("Tên sổ không được để trống.", field="name")
    issuer_abbreviation = clean(issuer_abbreviation)
    if kind_enum is RegisterKind.ADVISORY:
        if not issuer_abbreviation:
            raise ValidationFailed("Sổ của Hội đồng/Ban/Tổ cần chữ viết tắt tên Hội đồng/Ban/Tổ.",
                                   field="issuer_abbreviation")
        _check_abbreviation(issuer_abbreviation)
        if not clean(issuer_name):
            raise ValidationFailed("Ghi tên đầy đủ của Hội đồng/Ban/Tổ (in ở phần tên cơ quan ban hành).",
                                   field="issuer_name")
    elif issuer_abbreviation:
        raise ValidationFailed("Chỉ sổ của Hội đồng/Ban/Tổ có chữ viết tắt riêng.", field="issuer_abbreviation")
    register = Register(organisation_id=org.id, kind=kind_enum.value, name=name,
                        issuer_abbreviation=issuer_abbreviation, issuer_name=clean(issuer_name).upper())
    db.session.add(register)
    record("register.create", register, actor=actor, changes={"kind": kind_enum.value, "name": name})
    return register


def update_register(actor: User, register: Register, *, name: str, active: bool, issuer_abbreviation: str = "",
                    issuer_name: str = "") -> Register:
    """Rename, (de)activate, or change an advisory body's abbreviation and name. The kind never changes: a
    register's numbers belong to its series. Documents already drafted keep the ký hiệu they print."""
    require_admin_of(actor, register.organisation)
    name = clean(name)
    if not name:
        raise ValidationFailed("Tên sổ không được để trống.", field="name")
    abbreviation = clean(issuer_abbreviation)
    if register.kind_enum is RegisterKind.ADVISORY:
        if not abbreviation:
            raise ValidationFailed("Sổ của Hội đồng/Ban/Tổ cần chữ viết tắt tên Hội đồng/Ban/Tổ.",
                                   field="issuer_abbreviation")
        _check_abbreviation(abbreviation)
    elif abbreviation:
        raise ValidationFailed("Chỉ sổ của Hội đồng/Ban/Tổ có chữ viết tắt riêng.", field="issuer_abbreviation")
    before = {"name": register.name, "active": register.active, "issuer_abbreviation": register.issuer_abbreviation,
              "issuer_name": register.issuer_name}
    register.name, register.active = name, active
    register.issuer_abbreviation, register.issuer_name = abbreviation, clean(issuer_name).upper()
    after = {"name": register.name, "active": register.active, "issuer_abbreviation": register.issuer_abbreviation,
             "issuer_name": register.issuer_name}
    changes = {k: [before[k], v] for k, v in after.items() if before[k] != v}
    if changes:
        record("register.update", register, actor=actor, changes=changes)
    return register


def _check_abbreviation(value: str) -> None:
    from edoc.organisations.service import ABBREVIATION_RE

    if not ABBREVIATION_RE.match(value):
        raise ValidationFailed("Chữ viết tắt chỉ gồm chữ in hoa và số, không dấu cách (ví dụ: HĐTĐKT).",
                               field="issuer_abbreviation")


def register_json(register: Register) -> dict[str, object]:
    return {"id": register.id, "name": register.name, "kind": register.kind, "kind_label": register.kind_label,
            "active": register.active, "issuer_abbreviation": register.issuer_abbreviation or None,
            "issuer_name": register.issuer_name or None, "issuer": register.issuer()}


KIND_FOR_TYPE = {"administrative": (RegisterKind.OUTGOING, RegisterKind.SECRET, RegisterKind.ADVISORY),
                 "cong_van": (RegisterKind.OUTGOING, RegisterKind.SECRET, RegisterKind.ADVISORY),
                 "copy": (RegisterKind.COPIES,)}
"""Which registers number each kind of document type (``edoc.registers.types.TypeKind``)."""


def ensure_default_registers(org: Organisation) -> list[Register]:
    existing = {r.kind for r in db.session.execute(select(Register).where(Register.organisation_id == org.id))
                .scalars()}
    made = []
    for kind, name, abbr, issuer in DEFAULT_REGISTERS:
        if kind.value not in existing:
            made.append(create_register(None, org, kind.value, name, issuer_abbreviation=abbr, issuer_name=issuer))
    return made


def registers_of(org_id: int, *, outgoing_only: bool = False) -> list[Register]:
    query = select(Register).where(Register.organisation_id == org_id).order_by(Register.id)
    rows = list(db.session.execute(query).scalars())
    if outgoing_only:
        rows = [r for r in rows if r.kind_enum not in {RegisterKind.INCOMING, RegisterKind.COPIES}]
    return rows


def get_register_in(org_id: int, register_id: int) -> Register:
    register = db.session.get(Register, register_id)
    if register is None or register.organisation_id != org_id:
        raise NotFound("Không tìm thấy sổ đăng ký.")
    return register


REGISTERS_ARE_FOR = "Sổ đăng ký dành cho văn thư, lãnh đạo và quản trị viên."


def can_read_registers(user: User) -> bool:
    """Who may open the registers at all. Clerks keep them and read every row; leaders and admins read them too,
    but ``outgoing_entries`` shows them in full only the rows of documents they may open (docs/decisions.md)."""
    return user.has_role(Role.CLERK) or user.has_role(Role.LEADER) or user.has_role(Role.ADMIN)


def readable_register(user: User, register_id: int) -> Register:
    register = db.session.get(Register, register_id)
    if register is None or register.organisation_id != user.organisation_id:
        raise NotFound("Không tìm thấy sổ đăng ký.")
    if not can_read_registers(user):
        raise NotAllowed(REGISTERS_ARE_FOR)
    if register.kind_enum is RegisterKind.SECRET and not user.has_role(Role.CLERK):
        raise NotAllowed("Sổ văn bản mật chỉ văn thư được xem.")
    return register


@dataclass(frozen=True)
class OutgoingEntry:
    """One row of the Sổ đăng ký văn bản đi, Appendix IV: its ten columns."""

    reference: str          # (1) Số, ký hiệu văn bản
    issued_on: date         # (2) Ngày tháng văn bản
    type_and_summary: str   # (3) Tên loại và trích yếu nội dung
    signer: str             # (4) Người ký
    recipients: str         # (5) Nơi nhận văn bản
    archive: str            # (6) Đơn vị, người nhận bản lưu
    copies: int             # (7) Số lượng bản
    sent_on: date | None    # (8) Ngày chuyển
    receipt: str            # (9) Ký nhận
    note: str               # (10) Ghi chú
    document_id: int
    number: int
    masked: bool = False
    """The viewer may not open the document: only columns 1, 2, 4, 6, 7 and 8 and the type name are shown."""


COLUMNS = ["Số, ký hiệu văn bản", "Ngày tháng văn bản", "Tên loại và trích yếu nội dung văn bản", "Người ký",
           "Nơi nhận văn bản", "Đơn vị, người nhận bản lưu", "Số lượng bản", "Ngày chuyển", "Ký nhận", "Ghi chú"]


def outgoing_entries(register: Register, year: int, *, viewer: User, query: str = "",
                     month: int | None = None) -> list[OutgoingEntry]:
    """The register's rows for a year as ``viewer`` may read them, filtered by month and by an accent-insensitive
    search (đ as d) over columns 1, 3, 4 and 5. There is no reading without a viewer: every caller (page, API,
    export) names the person the rows are shown to. A document that ``viewer`` may not open
    (``policy.viewable_among``: a secret one they are not named on, or, for a leader or an admin, one not addressed
    to them) keeps its row, so the numbers run on without a gap, with its trích yếu, recipients, receipts and note
    masked; the search sees only what is shown, so the hidden text cannot be probed."""
    from edoc.documents import policy
    from edoc.documents.models import OutgoingDocument, Recipient, Status
    from edoc.documents.recall import replacements_of
    from edoc.documents.spec import archive_line
    from edoc.registers.types import get_type

    stmt = (select(OutgoingDocument)
            .where(OutgoingDocument.register_id == register.id, OutgoingDocument.year == year,
                   OutgoingDocument.number.is_not(None))
            .options(selectinload(OutgoingDocument.recipients).selectinload(Recipient.deliveries),
                     selectinload(OutgoingDocument.readers), selectinload(OutgoingDocument.signer),
                     selectinload(OutgoingDocument.drafting_unit), selectinload(OutgoingDocument.replaces),
                     selectinload(OutgoingDocument.copy_of))
            .order_by(OutgoingDocument.number))
    docs = list(db.session.execute(stmt).scalars())
    visible = policy.viewable_among(viewer, docs)
    replacements = replacements_of(d.id for d in docs if d.status == Status.REPLACED.value)
    entries = []
    folded = _fold(query)
    for doc in docs:
        if month and doc.issued_on and doc.issued_on.month != month:
            continue
        doc_type = get_type(doc.type_code)
        type_name = doc_type.name if doc_type else doc.type_code
        masked = doc.id not in visible
        note = f"Đã thu hồi: {doc.recall_reason}" if doc.recall_reason else ""  # a replaced one may be recalled too
        if doc.status == Status.REPLACED.value:
            by = replacements.get(doc.id)
            note = ((note.rstrip(".") + ". " if note else "") + "Đã bị thay thế"
                    + (f" bởi văn bản {by.reference}" if by is not None else ""))
        if doc.replaces_id and doc.replaces is not None:
            note = (note + f" Thay thế văn bản {doc.replaces.reference}").strip()
        if doc.copy_of is not None:
            note = (note + f" {type_name} văn bản {doc.copy_of.reference}").strip()
        if doc.signed_on_paper:
            note = ("Ký trên giấy. " + note).strip()  # not hidden when masked: how it was signed is no content
        sent_on, receipt = _transfer(doc)
        entry = OutgoingEntry(
            reference=doc.reference, issued_on=doc.issued_on or date(year, 1, 1),
            type_and_summary=f"{type_name}: " + (_masked_summary(doc) if masked else doc.summary),
            signer=doc.signer.full_name if doc.signer else "",
            recipients="—" if masked else "; ".join(r.label for r in doc.recipients if r.purpose != "archive"),
            archive=archive_line(doc), copies=doc.copies, sent_on=sent_on, receipt="" if masked else receipt,
            note="" if masked else note, document_id=doc.id, number=doc.number or 0, masked=masked)
        if folded and folded not in _fold(" ".join([entry.reference, entry.type_and_summary, entry.signer,
                                                       entry.recipients])):
            continue
        entries.append(entry)
    return entries


def _masked_summary(doc: OutgoingDocument) -> str:
    if doc.is_secret:
        return "(văn bản mật, chỉ người có tên được xem)"
    return "(chỉ người được xem văn bản mới thấy trích yếu)"


def _transfer(doc: object) -> tuple[date | None, str]:
    """Columns 8 and 9 from what happened: the day it first left (delivered to inboxes, e-mailed), Vietnam
    time; and, per recipient, the electronic receipt (read by so many of those it reached, or the e-mail's
    state), which stands in for the paper register's signature."""
    from edoc.documents.models import RecipientKind
    moments = []
    parts = []
    for r in doc.recipients:  # type: ignore[attr-defined]
        if r.kind == RecipientKind.EXTERNAL:
            if r.dispatched_at is not None:
                moments.append(r.dispatched_at)
            state = {"sent": "đã gửi e-mail", "failed": "gửi e-mail lỗi", "manual": "gửi thủ công",
                     "pending": "chờ gửi", "sending": "đang gửi"}.get(r.dispatch_status, "chưa gửi")
            when = f" {vietnam_time(r.dispatched_at):%d/%m/%Y}" if r.dispatched_at else ""
            parts.append(f"{r.label}: {state}{when}")
        else:
            moments += [d.delivered_at for d in r.deliveries]
            if r.deliveries:
                read = sum(1 for d in r.deliveries if d.read_at is not None)
                parts.append(f"{r.label}: đã đọc {read}/{len(r.deliveries)}")
    sent_on = vietnam_time(min(moments)).date() if moments else None
    return sent_on, "; ".join(parts)


def _fold(text: str) -> str:
    from edoc.core.text import fold

    return fold(text).strip()
