"""Copies (bản sao y, trích sao, sao lục; Decree 30 Articles 25-27): numbered in the copies register. An electronic
copy holds the whole original as issued, then the copy block (Appendix I, Part II), and is signed by the
organisation at the top right of its first page (Appendix I, Part II, I.3): never a page of the copy block alone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from edoc.accounts.models import Role, User
from edoc.audit.service import record
from edoc.core.clock import vietnam_time
from edoc.core.db import db, locked, utcnow
from edoc.core.errors import Conflict, ValidationFailed
from edoc.documents import policy
from edoc.documents.drafting import RecipientData, validate_recipient
from edoc.documents.issuing import deliver
from edoc.documents.models import OutgoingDocument, Recipient, Status
from edoc.files.service import read_verified, store_bytes
from edoc.organisations.models import Organisation
from edoc.registers.models import Register, RegisterKind
from edoc.registers.numbering import take_next_number
from edoc.registers.types import TypeKind, build_notation, get_type
from edoc.rendering.copies import FORMS, CopySpec, render_copy
from edoc.rendering.dates import date_line, number_str
from edoc.rendering.merge import MergeError, join
from edoc.signatures.digitised import sign_electronic_copy


def make_copy(actor: User, source: OutgoingDocument, form: str, *, signer_id: int | None = None,
              recipients: list[RecipientData] | None = None, copies: int = 1,
              at: datetime | None = None) -> OutgoingDocument:
    """A copy of an issued document, numbered in the copies register in the same transaction (one sequence for
    every copy form, Appendix I, Part II, II.1.c: ``05/SY-LĐLĐ``), with the copy block rendered as its PDF and
    delivered to its internal recipients. A sao lục is made from a bản sao y; the others from an original."""
    source = locked(source)
    policy.require_action("copy", actor, source)  # a recalled or replaced document is no longer in force: 409
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
    checked = [validate_recipient(actor.organisation_id, r) for r in recipients or []]
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
    if source.issued_file is None:
        raise Conflict(f"Văn bản {source.reference} không có tệp ban hành để sao.")
    try:
        # the whole original as issued (its signatures' appearances flattened into the pages: the copy is a new
        # document, signed by the organisation), then the copy block on a page of its own
        whole = join([(read_verified(source.issued_file), f"Văn bản {source.reference}"),
                      (render_copy(spec), "Khối bản sao")])
    except MergeError as exc:
        raise Conflict(f"Không tạo được bản sao của văn bản {source.reference}: {exc}.") from None
    signed = sign_electronic_copy(organisation, whole, form=FORMS[form])
    copy.issued_file_id = store_bytes(signed, f"{copy.reference.replace('/', '-')}.pdf", uploader=actor,
                                      purpose="document", media_type="application/pdf").id
    deliver(copy)
    record("document.copy", copy, actor=actor, changes={"of": source.id, "form": form, "reference": copy.reference})
    return copy
