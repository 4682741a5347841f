"""Outgoing documents in the search index (``edoc.search``): what an entry holds and who may read it.

Registered by the app factory. Search never imports documents: this module pushes the text, and names the
models whose writes change an entry, so the index is rebuilt in the transaction that changed them.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from edoc.accounts.models import User
from edoc.core.clock import vietnam_time
from edoc.core.db import db
from edoc.documents import policy
from edoc.documents.models import (
    STATUS_LABELS,
    Attachment,
    Delivery,
    DocumentVersion,
    NamedReader,
    OutgoingDocument,
    Recipient,
    ReviewComment,
)
from edoc.registers.types import get_type
from edoc.search.registry import EntryData, Indexer, register, written_fields

KIND = "outgoing"


def build(doc_id: int) -> EntryData | None:
    doc = db.session.get(OutgoingDocument, doc_id)
    if doc is None:
        return None
    doc_type = get_type(doc.type_code)
    signer: User | None = doc.signer
    signer_line = " ".join(p for p in [doc.signer_authority, doc.signer_authority_line, doc.signer_title,
                                       signer.full_name if signer else ""] if p)
    comments = db.session.execute(select(ReviewComment.text).where(ReviewComment.document_id == doc.id)
                                  .order_by(ReviewComment.id)).scalars()
    version = doc.current_version
    lines = [
        doc_type.name if doc_type else doc.type_code,
        # "Số 1" beside the printed "01/...": a number typed without its zero finds it too
        f"Số {doc.number}" if doc.number is not None else "",
        doc.body,
        doc.organisation.name, doc.drafting_unit.name if doc.drafting_unit else "",
        f"Người soạn: {doc.drafter.full_name}", f"Người ký: {signer_line}" if signer_line else "",
        "Kính gửi: " + "; ".join(doc.kinh_gui.splitlines()) if doc.kinh_gui else "",
        "Nơi nhận: " + "; ".join(r.label for r in doc.recipients) if doc.recipients else "",
        *(a.title for a in doc.attachments),
        *comments, *(v.note for v in doc.versions if v.note),
        doc.return_reason, doc.recall_reason,
    ]
    file_ids = [a.file_id for a in doc.attachments]
    if version is not None and version.source != "structured" and version.pdf_file_id:
        file_ids.insert(0, version.pdf_file_id)  # an uploaded DOCX/PDF: its text is the body
    return EntryData(
        organisation_id=doc.organisation_id, reference=doc.reference if doc.number is not None else doc.notation,
        title=doc.summary, content="\n".join(line for line in lines if line), type_code=doc.type_code,
        unit_id=doc.drafting_unit_id, signer_id=doc.signer_id, status=doc.status, urgency=doc.urgency,
        secret=doc.is_secret, doc_date=doc.issued_on or vietnam_time(doc.created_at).date(),
        access=policy.reader_keys(doc), file_ids=file_ids)


def _own(obj: object) -> Iterable[int]:
    return [obj.document_id]  # type: ignore[attr-defined]


def _delivery(obj: object) -> Iterable[int]:
    # opening a document (read_at) changes nobody's access: no rebuild for each reader's first look
    written = written_fields(obj)
    if written is not None and written <= {"read_at"}:
        return []
    return _own(obj)


def all_ids() -> Iterable[int]:
    return db.session.execute(select(OutgoingDocument.id)).scalars().all()


def preload(ids: list[int]) -> list[object]:
    """A reindex batch's documents with what ``build`` reads, in a few queries (``build``'s ``session.get``
    finds them in the identity map while the caller holds them)."""
    return db.session.execute(select(OutgoingDocument).where(OutgoingDocument.id.in_(ids)).options(
        joinedload(OutgoingDocument.organisation), joinedload(OutgoingDocument.drafting_unit),
        joinedload(OutgoingDocument.drafter), joinedload(OutgoingDocument.signer),
        selectinload(OutgoingDocument.recipients), selectinload(OutgoingDocument.attachments),
        selectinload(OutgoingDocument.readers), selectinload(OutgoingDocument.versions))).unique().scalars().all()  # type: ignore[return-value]


def register_indexer() -> None:
    register(Indexer(
        kind=KIND, label="Văn bản đi", build=build, all_ids=all_ids, url=lambda i: f"/documents/{i}",
        watch={OutgoingDocument: lambda d: [d.id], Recipient: _own, Delivery: _delivery,  # type: ignore[attr-defined]
               NamedReader: _own, Attachment: _own, ReviewComment: _own, DocumentVersion: _own},
        statuses={s.value: label for s, label in STATUS_LABELS.items()}, preload=preload))
