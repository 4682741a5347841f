"""Reader rule for files that belong to documents: whoever may view the document may read what was issued (its
issued file, its attachments); its drafts' files (each version's PDF and source) only those who worked on it
(``policy.can_see_drafts``): a recipient reads the issued version, not a draft."""

from __future__ import annotations

from sqlalchemy import or_, select

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.documents import policy
from edoc.documents.models import Attachment, DocumentVersion, OutgoingDocument
from edoc.files.models import StoredFile
from edoc.files.policy import register_reader_rule


def _documents_of(file: StoredFile) -> tuple[list[OutgoingDocument], list[OutgoingDocument]]:
    """(documents whose draft versions hold ``file``, documents that issued or attach it)."""
    drafts = set(db.session.execute(select(DocumentVersion.document_id).where(
        or_(DocumentVersion.pdf_file_id == file.id, DocumentVersion.source_file_id == file.id))).scalars())
    issued = set(db.session.execute(select(OutgoingDocument.id).where(or_(
        OutgoingDocument.issued_file_id == file.id, OutgoingDocument.paper_scan_file_id == file.id))).scalars())
    issued |= set(db.session.execute(select(Attachment.document_id).where(
        or_(Attachment.file_id == file.id, Attachment.issued_file_id == file.id))).scalars())

    def load(ids: set[int]) -> list[OutgoingDocument]:
        return [d for d in (db.session.get(OutgoingDocument, i) for i in sorted(ids)) if d is not None]

    return load(drafts), load(issued)


def can_read_document_file(user: User, file: StoredFile) -> bool:
    drafts, issued = _documents_of(file)
    return (any(policy.can_view(user, doc) for doc in issued)
            or any(policy.can_see_drafts(user, doc) for doc in drafts))


def register_rules() -> None:
    for purpose in ("document", "document-source", "attachment"):
        register_reader_rule(purpose, can_read_document_file)
