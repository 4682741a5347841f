"""Configuring registers and reading them back as the Decree's forms (Appendix IV)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from edoc.accounts.models import Role, User
from edoc.accounts.policy import require_admin_of
from edoc.audit.service import record
from edoc.core.db import db
from edoc.core.errors import NotAllowed, NotFound, ValidationFailed
from edoc.core.text import clean
from edoc.organisations.models import Organisation
from edoc.registers.models import Register, RegisterKind

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
    if kind_enum is RegisterKind.ADVISORY and not issuer_abbreviation:
        raise ValidationFailed("Sổ của Hội đồng/Ban/Tổ cần chữ viết tắt tên Hội đồng/Ban/Tổ.",
                               field="issuer_abbreviation")
    register = Register(organisation_id=org.id, kind=kind_enum.value, name=name,
                        issuer_abbreviation=issuer_abbreviation, issuer_name=clean(issuer_name))
    db.session.add(register)
    record("register.create", register, actor=actor, changes={"kind": kind_enum.value, "name": name})
    return register


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


def can_read_registers(user: User) -> bool:
    return user.has_role(Role.CLERK) or user.has_role(Role.LEADER) or user.has_role(Role.ADMIN)


def readable_register(user: User, register_id: int) -> Register:
    register = db.session.get(Register, register_id)
    if register is None or register.organisation_id != user.organisation_id:
        raise NotFound("Không tìm thấy sổ đăng ký.")
    if not can_read_registers(user):
        raise NotAllowed("Sổ đăng ký dành cho văn thư và lãnh đạo.")
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


COLUMNS = ["Số, ký hiệu văn bản", "Ngày tháng văn bản", "Tên loại và trích yếu nội dung văn bản", "Người ký",
           "Nơi nhận văn bản", "Đơn vị, người nhận bản lưu", "Số lượng bản", "Ngày chuyển", "Ký nhận", "Ghi chú"]


def outgoing_entries(register: Register, year: int, *, query: str = "", month: int | None = None
                     ) -> list[OutgoingEntry]:
    from edoc.documents.models import OutgoingDocument, Status
    from edoc.documents.spec import archive_line
    from edoc.registers.types import get_type

    stmt = (select(OutgoingDocument)
            .where(OutgoingDocument.register_id == register.id, OutgoingDocument.year == year,
                   OutgoingDocument.number.is_not(None))
            .options(selectinload(OutgoingDocument.recipients), selectinload(OutgoingDocument.signer),
                     selectinload(OutgoingDocument.drafting_unit))
            .order_by(OutgoingDocument.number))
    entries = []
    folded = _fold(query)
    for doc in db.session.execute(stmt).scalars():
        if month and doc.issued_on and doc.issued_on.month != month:
            continue
        doc_type = get_type(doc.type_code)
        type_name = doc_type.name if doc_type else doc.type_code
        recipients = "; ".join(r.label for r in doc.recipients if r.purpose != "archive")
        archive = archive_line(doc)
        note = {Status.RECALLED.value: f"Đã thu hồi: {doc.recall_reason}",
                Status.REPLACED.value: "Đã bị thay thế"}.get(doc.status, "")
        if doc.replaces_id:
            note = (note + f" Thay thế văn bản {doc.replaces.reference}").strip() if doc.replaces else note
        entry = OutgoingEntry(
            reference=doc.reference, issued_on=doc.issued_on or date(year, 1, 1),
            type_and_summary=f"{type_name}: {doc.summary}", signer=doc.signer.full_name if doc.signer else "",
            recipients=recipients, archive=archive, copies=doc.copies,
            sent_on=doc.issued_on, receipt="", note=note, document_id=doc.id, number=doc.number or 0)
        if folded and folded not in _fold(" ".join([entry.reference, entry.type_and_summary, entry.signer,
                                                       entry.recipients])):
            continue
        entries.append(entry)
    return entries


def _fold(text: str) -> str:
    from edoc.core.text import fold

    return fold(text).strip()
