"""Appending to and verifying the audit chain.

``record`` is called by every service function inside its transaction, so the entry commits or rolls back
with the change it describes. The chain hash covers every field, so editing, deleting or reordering rows is
found by ``verify_chain``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import has_request_context, request
from sqlalchemy import select

from edoc.audit.models import GENESIS_HASH, AuditEntry, AuditHead
from edoc.core.db import db, insert_ignore, utcnow

log = logging.getLogger(__name__)


def _canonical(entry: AuditEntry) -> bytes:
    payload = {
        "seq": entry.seq,
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "organisation_id": entry.organisation_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "changes": entry.changes,
        "ip": entry.ip,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def compute_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


def _lock_head() -> AuditHead:
    """The head row, locked until the transaction ends (on SQLite the write lock already serialises writers)."""
    query = (select(AuditHead).where(AuditHead.id == 1).with_for_update()
             # A head already in this session's identity map would otherwise keep its stale seq.
             .execution_options(populate_existing=True))
    head = db.session.execute(query).scalar_one_or_none()
    if head is None:
        _restore_head()
        head = db.session.execute(query).scalar_one()
    return head


def _restore_head() -> None:
    """Make the missing head row, continuing the chain from its last entry.

    Migration 0006 makes the row and a trigger refuses deleting it, so it is missing only after a TRUNCATE (the
    test suite empties every table between tests) or from tampering. The insert ignores a concurrent twin, so two
    first writers both go on, one after the other, where inserting a plain row made one of them fail on
    PostgreSQL; the lock taken afterwards orders them.
    """
    last = db.session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    if last is not None:
        log.error("audit_head was missing while the chain has %s entries: restored from the last one", last.seq)
    seq, last_hash = (last.seq, last.hash) if last is not None else (0, GENESIS_HASH)
    insert_ignore(AuditHead, {"id": 1, "seq": seq, "last_hash": last_hash}, conflict_columns=["id"])


def record(
    action: str,
    obj: Any = None,
    *,
    actor: Any = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    changes: dict[str, Any] | None = None,
    organisation_id: int | None = None,
) -> AuditEntry:
    """Append one entry in the current transaction (the caller commits)."""
    if obj is not None:
        db.session.flush()  # the object's id is part of what we record
        object_type = object_type or type(obj).__tablename__
        object_id = object_id if object_id is not None else getattr(obj, "id", "")
        if organisation_id is None:
            # An organisation's own entries (its creation above all, which has no acting user) belong to it.
            organisation_id = obj.id if object_type == "organisation" else getattr(obj, "organisation_id", None)
    if actor is not None and organisation_id is None:
        organisation_id = getattr(actor, "organisation_id", None)
    head = _lock_head()
    entry = AuditEntry(
        seq=head.seq + 1,
        at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "full_name", "") or getattr(actor, "username", "") or "",
        organisation_id=organisation_id,
        action=action,
        object_type=object_type or "",
        object_id=str(object_id if object_id is not None else ""),
        changes=json.dumps(changes or {}, sort_keys=True, ensure_ascii=False, default=str),
        ip=(request.remote_addr or "") if has_request_context() else "",
        prev_hash=head.last_hash,
    )
    entry.hash = compute_hash(entry)
    head.seq = entry.seq
    head.last_hash = entry.hash
    db.session.add(entry)
    return entry


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)}


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    entry_id: int
    reason: str


def verify_chain(batch: int = 1000) -> ChainProblem | None:
    """Walk the chain in order; return the first entry that was altered, removed or reordered, else None."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    for entry in _iter_entries(batch):
        if entry.seq != expected_seq:
            return ChainProblem(entry.seq, entry.id, f"missing entry: expected seq {expected_seq}, found {entry.seq}")
        if entry.prev_hash != expected_prev:
            return ChainProblem(entry.seq, entry.id, "link to the previous entry is broken")
        if compute_hash(entry) != entry.hash:
            return ChainProblem(entry.seq, entry.id, "content does not match its hash (entry was altered)")
        expected_prev = entry.hash
        expected_seq += 1
    head = db.session.get(AuditHead, 1)
    last_seq = expected_seq - 1
    if head is None:
        if last_seq:
            return ChainProblem(expected_seq, 0, f"the head row is missing (the chain ends at seq {last_seq})")
        return None
    if head.seq != last_seq:
        return ChainProblem(expected_seq, 0, f"chain ends at seq {last_seq} but the head says {head.seq}")
    if head.last_hash != expected_prev:
        # Entries removed from the end, and one written in their place by someone who knows the format: the
        # head still holds the hash of the entry that was there.
        return ChainProblem(last_seq, 0, f"the head's hash does not match entry #{last_seq}")
    return None


def _iter_entries(batch: int) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = db.session.execute(
            select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)
        ).scalars().all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        db.session.expunge_all()


def entries_for(object_type: str, object_id: str | int) -> list[AuditEntry]:
    return list(
        db.session.execute(
            select(AuditEntry)
            .where(AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id))
            .order_by(AuditEntry.seq)
        ).scalars()
    )
