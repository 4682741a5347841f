"""Appending to and verifying the audit chain.

``record`` is called by every service function inside its transaction, so the entry commits or rolls back
with the change it describes. The chain hash covers every field, so editing, deleting or reordering rows is
found by ``verify_chain``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import has_request_context, request
from sqlalchemy import select

from edoc.audit.models import GENESIS_HASH, AuditEntry, AuditHead
from edoc.core.db import db, utcnow


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
    head = db.session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, last_hash=GENESIS_HASH)
        db.session.add(head)
        db.session.flush()
    return head


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
            organisation_id = getattr(obj, "organisation_id", None)
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
    if head is not None and head.seq != expected_seq - 1:
        return ChainProblem(expected_seq, 0, f"chain ends at seq {expected_seq - 1} but the head says {head.seq}")
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
