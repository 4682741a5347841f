"""Reader rule for files that belong to documents: whoever may view the document may read its files."""

from __future__ import annotations

from sqlalchemy import or_, select

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.documents import policy
from edoc.documents.models import Attachment, DocumentVersion, OutgoingDocument
from edoc.files.models import StoredFile
from edoc.files.policy import register_reader_rule


def _documents_of(file: StoredFile) -> list[OutgoingDocument]:
    ids = set(db.session.execute(select(DocumentVersion.document_id).where(
        or_(DocumentVersion.pdf_file_id == file.id, DocumentVersion.source_file_id == file.id))).scalars())
    ids |= set(db.session.execute(select(OutgoingDocument.id).where(
        OutgoingDocument.issued_file_id == file.id)).scalars())
    ids |= set(db.session.execute(select(Attachment.document_id).where(
        or_(Attachment.file_id == file.id, Attachment.issued_file_id == file.id))).scalars())
    return [d for d in (db.session.get(OutgoingDocument, i) for i in ids) if d is not None]


def can_read_document_file(user: User, file: StoredFile) -> bool:
    return any(policy.can_view(user, doc) for doc in _documents_of(file))


def register_rules() -> None:
    for purpose in ("document", "document-source", "attachment"):
        register_reader_rule(purpose, can_read_document_file)
