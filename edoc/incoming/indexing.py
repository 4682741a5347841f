"""Incoming documents in the search index (``edoc.search``): their fields, direction, result and text (the PDF's text
layer or OCR's, so a scanned letter is found by its words), readable by the keys ``policy.reader_keys`` gives.

The index is rebuilt in the transaction that changes a document, its tasks, readers or attachments. A person who
joins a unit later is not among the keys of that unit's earlier tasks until the entry is rebuilt (``edoc search
reindex``); the page itself always asks the policy."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from edoc.core.db import db
from edoc.incoming import policy
from edoc.incoming.models import STATUS_LABELS, IncomingAttachment, IncomingDocument, IncomingReader
from edoc.registers.types import get_type
from edoc.search.registry import EntryData, Indexer, register
from edoc.tasks.models import Task

KIND = "incoming"


def build(doc_id: int) -> EntryData | None:
    doc = db.session.get(IncomingDocument, doc_id)
    if doc is None:
        return None
    doc_type = get_type(doc.type_code) if doc.type_code else None
    lines = [doc_type.name if doc_type else "", f"Số đến {doc.number}" if doc.number is not None else "",
             f"Nơi gửi: {doc.sender_name}", f"Người ký: {doc.signer_name}" if doc.signer_name else "",
             doc.direction, doc.result, doc.return_reason, *(a.title for a in doc.attachments), doc.text]
    return EntryData(
        organisation_id=doc.organisation_id, reference=doc.original_reference, title=doc.summary,
        content="\n".join(line for line in lines if line), type_code=doc.type_code, status=doc.status,
        urgency=doc.urgency, secret=doc.is_secret, doc_date=doc.original_date or doc.received_on,
        access=policy.reader_keys(doc), file_ids=[a.file_id for a in doc.attachments])


def _task(task: object) -> Iterable[int]:
    return [task.subject_id] if task.subject_kind == policy.SUBJECT else []  # type: ignore[attr-defined]


def _own(obj: object) -> Iterable[int]:
    return [obj.document_id]  # type: ignore[attr-defined]


def all_ids() -> Iterable[int]:
    return db.session.execute(select(IncomingDocument.id)).scalars().all()


def register_indexer() -> None:
    register(Indexer(
        kind=KIND, label="Văn bản đến", build=build, all_ids=all_ids, url=lambda i: f"/incoming/{i}",
        watch={IncomingDocument: lambda d: [d.id], Task: _task, IncomingReader: _own,  # type: ignore[attr-defined]
               IncomingAttachment: _own},
        statuses={s.value: label for s, label in STATUS_LABELS.items()}))
