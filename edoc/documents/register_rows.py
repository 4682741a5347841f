"""The outgoing registers' rows (Sổ đăng ký văn bản đi, Appendix IV) read from the documents they number.

Registers show and export them without knowing documents (``edoc.registers.entries``): ``install`` hands them
this reader when the app is built."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from edoc.accounts.models import User
from edoc.core.clock import vietnam_time
from edoc.core.db import db
from edoc.core.text import fold
from edoc.documents import policy
from edoc.documents.models import OutgoingDocument, Recipient, RecipientKind, Status
from edoc.documents.recall import replacements_of
from edoc.documents.spec import archive_line
from edoc.registers.entries import OutgoingEntry, install_reader
from edoc.registers.models import Register
from edoc.registers.types import get_type


def install() -> None:
    install_reader(outgoing_entries)


def outgoing_entries(register: Register, year: int, *, viewer: User, query: str = "",
                     month: int | None = None) -> list[OutgoingEntry]:
    """The register's rows for a year as ``viewer`` may read them, filtered by month and by an accent-insensitive
    search (đ as d) over columns 1, 3, 4 and 5. There is no reading without a viewer: every caller (page, API,
    export) names the person the rows are shown to. A document that ``viewer`` may not open
    (``policy.viewable_among``: a secret one they are not named on, or, for a leader or an admin, one not addressed
    to them) keeps its row, so the numbers run on without a gap, with its trích yếu, recipients, receipts and note
    masked; the search sees only what is shown, so the hidden text cannot be probed."""
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


def _transfer(doc: OutgoingDocument) -> tuple[date | None, str]:
    """Columns 8 and 9 from what happened: the day it first left (delivered to inboxes, e-mailed), Vietnam
    time; and, per recipient, the electronic receipt (read by so many of those it reached, or the e-mail's
    state), which stands in for the paper register's signature."""
    moments = []
    parts = []
    for r in doc.recipients:
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
    return fold(text).strip()
