"""Reader rule for the files of incoming documents: whoever may see the document may read its files."""

from __future__ import annotations

from sqlalchemy import or_, select

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.files.models import StoredFile
from edoc.files.policy import register_reader_rule
from edoc.incoming import policy
from edoc.incoming.models import IncomingAttachment, IncomingDocument

PURPOSE = "incoming"


def can_read_incoming_file(user: User, file: StoredFile) -> bool:
    ids = set(db.session.execute(select(IncomingDocument.id).where(IncomingDocument.file_id == file.id)).scalars())
    ids |= set(db.session.execute(select(IncomingAttachment.document_id)
                                  .where(or_(IncomingAttachment.file_id == file.id))).scalars())
    return any(policy.can_view(user, doc) for doc in (db.session.get(IncomingDocument, i) for i in ids)
               if doc is not None)


def register_rules() -> None:
    register_reader_rule(PURPOSE, can_read_incoming_file)
