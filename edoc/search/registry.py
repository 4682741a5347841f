"""What the owners of searchable things register, and the session hooks that keep their entries current.

An owner (documents, incoming, ...) registers an ``Indexer``: its kind, how to build the entry of one of its
objects (``EntryData``, with the access keys its own policy computes), and which of its models, when written,
change which object's entry (``watch``). Search imports none of them.

Kept current in the same transaction as the change by the session hooks of ``edoc.search.index``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import inspect
from sqlalchemy.orm import Session


@dataclass
class EntryData:
    """An object as search sees it. Strings are shown as given (NFC); ``access``: the keys that may read it
    (``u:<user id>``, ``r:<role>``), from the owner's policy module; empty means nobody."""

    organisation_id: int
    reference: str = ""
    title: str = ""
    content: str = ""
    type_code: str = ""
    unit_id: int | None = None
    signer_id: int | None = None
    status: str = ""
    urgency: str = ""
    secret: bool = False
    doc_date: date | None = None
    access: set[str] = field(default_factory=set)
    file_ids: list[int] = field(default_factory=list)
    """Files whose text joins ``content`` (attachments, an uploaded main file): extracted once and kept."""


@dataclass
class Indexer:
    kind: str
    label: str
    """Shown on the results and in the kind filter: "Văn bản đi", "Văn bản đến"."""
    build: Callable[[int], EntryData | None]
    """The entry of object ``id``, or None when it no longer exists or should not be found."""
    all_ids: Callable[[], Iterable[int]]
    """Every object of this kind, for ``edoc search reindex``."""
    url: Callable[[int], str]
    watch: dict[type, Callable[[object], Iterable[int]]] = field(default_factory=dict)
    """Model class → the ids of this kind's objects whose entry a write of one of its rows changes."""
    statuses: dict[str, str] = field(default_factory=dict)
    """Status value → label, for the status filter and the results."""
    preload: Callable[[list[int]], list[object]] | None = None
    """Load a batch of objects with what ``build`` reads, in a few queries (reindex), instead of lazily per row;
    the caller holds the returned objects while it builds (the session's identity map only refers to them
    weakly)."""


_indexers: dict[str, Indexer] = {}
PENDING = "edoc_search_pending"


def register(indexer: Indexer) -> None:
    """Register (or replace, on a second app in the same process) the indexer of a kind."""
    _indexers[indexer.kind] = indexer


def indexers() -> dict[str, Indexer]:
    return dict(_indexers)


def get(kind: str) -> Indexer | None:
    return _indexers.get(kind)


def mark(session: Session, kind: str, object_id: int) -> None:
    """Ask for the entry of ``(kind, object_id)`` to be built again before this transaction commits; for writes
    the watched models cannot see (a Core ``insert`` or ``update``)."""
    session.info.setdefault(PENDING, set()).add((kind, object_id))


def written_fields(obj: object) -> set[str] | None:
    """For a ``watch`` callable: the attributes of ``obj`` the flush being watched wrote, or None when it added or
    deleted the row. Watches run in ``after_flush``, where a row just inserted or deleted already reads as
    "persistent" (a deleted one with no attribute changed): only the session's own lists, not yet reset, tell."""
    state = inspect(obj)
    session = state.session
    if not state.persistent or (session is not None and (obj in session.new or obj in session.deleted)):
        return None
    return {attr.key for attr in state.attrs if attr.history.has_changes()}
