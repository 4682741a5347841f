"""The index's tables: one entry per searchable object, the keys that may read it, and files' extracted text.

The text columns hold what is shown (NFC, as written); what the databases index is derived from them in the
database itself, so it can never drift from the row: on PostgreSQL a generated ``search_vector`` column (over an
immutable ``unaccent`` wrapper) with a GIN index, on SQLite a contentless FTS5 table kept by triggers. Neither is
in the metadata (one database each): migration 0008 makes them, ``schema_filter`` hides them from comparisons.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from edoc.core.db import UTCDateTime, db, utcnow


class SearchEntry(db.Model):
    """Một mục chỉ mục: a document (outgoing, incoming, ...) as search sees it."""

    __tablename__ = "search_entry"
    __table_args__ = (
        UniqueConstraint("kind", "object_id"),
        Index("ix_search_entry_org_kind_date", "organisation_id", "kind", "doc_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    """Whose object: ``outgoing``, ``incoming``, ... (the registered ``Indexer``'s kind)."""
    object_id: Mapped[int]
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(String(255), default="")
    """Số, ký hiệu as printed (``445/KH-LĐLĐ``), and for an incoming document its số đến too."""
    title: Mapped[str] = mapped_column(Text, default="")
    """Trích yếu."""
    content: Mapped[str] = mapped_column(Text, default="")
    """Everything else a reader may find it by: body, sender, recipients, signer, notes and directions,
    attachments' text."""
    type_code: Mapped[str] = mapped_column(String(16), default="")
    unit_id: Mapped[int | None]
    signer_id: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(32), default="")
    urgency: Mapped[str] = mapped_column(String(16), default="")
    secret: Mapped[bool] = mapped_column(default=False)
    doc_date: Mapped[date | None] = mapped_column(Date)
    """The date it carries (issued on, received on), else the day it was created: the year and range filters."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SearchAccess(db.Model):
    """A key that may read an entry (``u:<user id>``, ``r:<role>``): the owner's policy decides the keys, search
    checks them in SQL, so a result the user may not read is never fetched, counted or ranked."""

    __tablename__ = "search_access"
    __table_args__ = (Index("ix_search_access_key_entry", "key", "entry_id"),)

    entry_id: Mapped[int] = mapped_column(ForeignKey("search_entry.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)


class SearchEntryFile(db.Model):
    """A file whose text is part of an entry: when its text arrives later (OCR), the entry is built again."""

    __tablename__ = "search_entry_file"
    __table_args__ = (Index("ix_search_entry_file_file", "file_id"),)

    entry_id: Mapped[int] = mapped_column(ForeignKey("search_entry.id", ondelete="CASCADE"), primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id", ondelete="CASCADE"), primary_key=True)


class FileText(db.Model):
    """The text of a stored file, extracted once (PDF text layer, DOCX) or given later (OCR)."""

    __tablename__ = "search_file_text"

    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id", ondelete="CASCADE"), primary_key=True)
    text: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16))
    """pdf, docx, text, ocr, none (nothing extractable), error."""
    extracted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


DATABASE_ONLY = {"search_vector", "ix_search_entry_vector"}
"""The PostgreSQL column and index the migration makes outside the metadata."""


def schema_filter(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's ``include_object``: leave out the index's database-specific parts (the FTS5 table and its shadow
    tables, the generated tsvector column and its GIN index) when comparing the models with the database."""
    if name is None:
        return True
    if type_ == "table" and name.startswith("search_fts"):
        return False
    return name not in DATABASE_ONLY


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic's ``include_name``: the FTS5 table and its shadow tables are not even reflected."""
    return not (type_ == "table" and name is not None and name.startswith("search_fts"))
